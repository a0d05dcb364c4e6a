"""musynth_lab.synth effects against pedalboard (Spotify's effects library), one thread.

Two workloads, as issue 19 asks: (a) one 60 s stereo file at 44.1 kHz, ``(2, 2646000)``
float32, and (b) a batch of 64 mono clips of 4 s, ``(64, 176400)``. Ours takes the whole
array at once (leading dimensions are a batch); pedalboard processes ``(channels, n)``
buffers, so on (a) it gets the stereo file in one call and on (b) one call per clip (its
reverb and chorus are stereo processors; that is how an engineer would run it over a data
set). Settings are matched as far as the two designs allow:

=========== ====================================================== =============================================
effect      ours                                                   pedalboard
=========== ====================================================== =============================================
reverb      ``algorithmic_reverb(rt60=1.5, damping=0.3, mix=0.3)`` ``Reverb(room_size=0.8, damping=0.3,
            (Freeverb network, its exact IR by FFT convolution)    wet_level=0.3, dry_level=0.7)`` (Freeverb)
delay       ``delay(delay_s=0.25, feedback=0.3, mix=0.5)``         ``Delay(0.25, feedback=0.3, mix=0.5)``
chorus      ``chorus(rate_hz=0.8, depth_s=0.003, delay_s=0.02,     ``Chorus(rate_hz=0.8, depth=0.25,
            mix=0.5, voices=2)``                                   centre_delay_ms=20, mix=0.5)``
compressor  ``compressor(threshold_db=-20, ratio=4, attack 5 ms,   ``Compressor(-20, 4, attack_ms=5,
            release 50 ms)``                                       release_ms=50)``
low-pass    ``biquad(kind='lowpass', cutoff_hz=1000)`` (2nd order) ``LowpassFilter(1000)`` (1st order: pedalboard
                                                                   has no 2nd-order low-pass; both are one IIR pass)
overdrive   ``overdrive(gain(x, 6 dB), drive_db=12)``              ``Pedalboard([Gain(6), Distortion(12)])``
=========== ====================================================== =============================================

Timing: one warm-up of each, then ``--runs`` rounds that time ours and pedalboard's back to
back; the medians are compared (speed-up = pedalboard time / our time, above 1 = we are
faster). Run (peers venv, ``make peers``)::

    PYTHONPATH=$PWD:benchmarks .peers-venv/bin/python benchmarks/bench_effects.py --threads 1 --runs 5 [--clock cpu]

Our CPU path runs compiled loops (numba) where an effect is a per-sample recurrence; the
first call in a process compiles them (or loads numba's cache), which the warm-up absorbs.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from harness import set_threads

SR = 44100


def signals():
    """(a) a 60 s stereo file and (b) 64 clips of 4 s: a bundled excerpt, resampled and looped, at -6 dBFS."""
    from musynth_lab.data import list_excerpts, load_excerpt

    import librosa

    ex = load_excerpt(list_excerpts()[0])
    a = librosa.resample(ex.audio.astype(np.float32), orig_sr=ex.sr, target_sr=SR)
    a = 0.5 * a / max(1e-6, float(np.abs(a).max()))

    def loop(n, offset):
        return np.roll(np.tile(a, int(np.ceil(n / len(a))) + 1), -offset)[:n]

    stereo = np.stack([loop(60 * SR, 0), loop(60 * SR, 1234)]).astype(np.float32)
    batch = np.stack([loop(4 * SR, 997 * i) for i in range(64)]).astype(np.float32)
    return stereo, batch


def cases():
    import pedalboard as pb

    import musynth_lab.synth as S

    return {
        "reverb": (
            lambda x: S.algorithmic_reverb(x, sr=SR, rt60=1.5, damping=0.3, mix=0.3),
            pb.Reverb(room_size=0.8, damping=0.3, wet_level=0.3, dry_level=0.7),
        ),
        "delay": (
            lambda x: S.delay(x, delay_s=0.25, sr=SR, feedback=0.3, mix=0.5),
            pb.Delay(delay_seconds=0.25, feedback=0.3, mix=0.5),
        ),
        "chorus": (
            lambda x: S.chorus(x, sr=SR, rate_hz=0.8, depth_s=0.003, delay_s=0.02, mix=0.5, voices=2),
            pb.Chorus(rate_hz=0.8, depth=0.25, centre_delay_ms=20.0, mix=0.5),
        ),
        "compressor": (
            lambda x: S.compressor(x, sr=SR, threshold_db=-20.0, ratio=4.0, attack_s=0.005, release_s=0.05),
            pb.Compressor(threshold_db=-20.0, ratio=4.0, attack_ms=5.0, release_ms=50.0),
        ),
        "low-pass": (
            lambda x: S.biquad(x, kind="lowpass", cutoff_hz=1000.0, sr=SR),
            pb.LowpassFilter(cutoff_frequency_hz=1000.0),
        ),
        "gain+overdrive": (
            lambda x: S.overdrive(S.gain(x, gain_db=6.0), drive_db=12.0),
            pb.Pedalboard([pb.Gain(gain_db=6.0), pb.Distortion(drive_db=12.0)]),
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: perf_counter (the figure on a quiet machine); cpu: this process's CPU time "
        "(process_time), steadier on a machine shared with other work (both sides run one thread)",
    )
    args = ap.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    n = set_threads(args.threads)
    stereo, batch = signals()
    todo = cases()
    if args.only:
        todo = {k: v for k, v in todo.items() if k in args.only}
    for label, x, per_clip in (("(a) 60 s stereo", stereo, False), ("(b) 64 x 4 s", batch, True)):
        print(f"-- {label} at {SR} Hz, {n} thread(s)", flush=True)
        for name, (ours, plugin) in todo.items():

            def run_ours(x=x, ours=ours):
                return ours(x)

            if per_clip:

                def run_peer(x=x, plugin=plugin):
                    return [plugin(clip[None], SR, reset=True) for clip in x]
            else:

                def run_peer(x=x, plugin=plugin):
                    return plugin(x, SR, reset=True)

            run_ours(), run_peer()
            t_o, t_p = [], []
            for _ in range(args.runs):
                for fn, ts in ((run_ours, t_o), (run_peer, t_p)):
                    t0 = clock()
                    fn()
                    ts.append(clock() - t0)
            a, b = statistics.median(t_o), statistics.median(t_p)
            print(
                f"{name} {label} [{n} thr]: ours {a * 1e3:.1f} ms, pedalboard {b * 1e3:.1f} ms, "
                f"speed-up {b / a:.2f}x (medians of {args.runs} interleaved runs, {args.clock} clock)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
