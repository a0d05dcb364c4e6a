"""Benchmark: 128 four-second voices at 44.1 kHz, our SubtractiveVoice vs torchsynth's Voice.

Both render random patches in the same process with the same thread count: one warm-up
each, then ``--runs`` rounds that time ours and torchsynth's back to back (``harness.time_it``
with one run each), and the medians are compared. Interleaving matters on a shared machine:
timing all of one and then all of the other lets a change in background load decide the
ratio. Ours is timed twice: in torchsynth's
layout (two oscillators, noise, envelopes, LFO; ``use_filter=False``) for a like-for-like
ratio, and with its time-varying resonant filter (which torchsynth's Voice does not have).
The real-time factor is render time / audio time for the whole batch (128 x 4 s = 512 s of
audio); below 1 is faster than real time. With a GPU the GPU figure is printed too.

Run (peers venv, see ``make peers``)::

    PYTHONPATH=/work/main:/work/main/benchmarks .peers-venv/bin/python benchmarks/bench_synth.py --threads 1

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import argparse

import torch

import statistics

from harness import compare, set_threads, time_it

from musynth_lab.synth import SubtractiveVoice

BATCH, SECONDS, SR = 128, 4.0, 44100


def our_voice(use_filter: bool, device="cpu", batch: int = BATCH):
    voice = SubtractiveVoice(use_filter=use_filter)
    values = voice.random_values(batch, seed=0, device=device)
    values["note_off"] = torch.full((batch,), 3.0, device=device)
    n = int(SECONDS * SR)

    def run():
        with torch.no_grad():
            return voice.render(sr=SR, n_samples=n, **values)

    return run


def torchsynth_voice(device="cpu"):
    from torchsynth.config import SynthConfig
    from torchsynth.synth import Voice

    cfg = SynthConfig(batch_size=BATCH, sample_rate=SR, buffer_size_seconds=SECONDS, reproducible=False)
    voice = Voice(cfg).to(device)
    state = {"i": 0}

    def run():
        state["i"] += 1
        with torch.no_grad():
            return voice(state["i"])

    return run


def interleaved(name, ours, peer, runs, audio_s):
    """Median times of ``ours`` and ``peer`` measured in alternation; prints ratio and real-time factor."""
    ours()
    if peer is None:
        return compare(name, ours=ours, runs=runs, warmup=0, audio_seconds=audio_s)
    peer()
    t_ours, t_peer = [], []
    for _ in range(runs):
        t_ours.append(time_it(ours, runs=1, warmup=0))
        t_peer.append(time_it(peer, runs=1, warmup=0))
    a, b = statistics.median(t_ours), statistics.median(t_peer)
    print(
        f"{name}: ours {a * 1e3:.1f} ms, torchsynth {b * 1e3:.1f} ms, speed-up {b / a:.2f}x, "
        f"real-time factor ours {a / audio_s:.4f}, torchsynth {b / audio_s:.4f} "
        f"(medians of {runs} interleaved runs; ours {[round(t, 2) for t in t_ours]} s, "
        f"torchsynth {[round(t, 2) for t in t_peer]} s)",
        flush=True,
    )
    return {"name": name, "ours_s": a, "peer_s": b, "speedup": b / a, "rtf": a / audio_s}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    n = set_threads(args.threads)
    audio_s = BATCH * SECONDS
    print(f"threads={n}, batch={BATCH} x {SECONDS:g} s at {SR} Hz ({audio_s:g} s of audio)", flush=True)
    try:
        peer = torchsynth_voice()
    except ImportError as err:  # torchsynth lives in the peers venv
        print(f"torchsynth not available ({err}); timing ours only")
        peer = None
    interleaved("voice without filter (torchsynth layout)", our_voice(False), peer, args.runs, audio_s)
    interleaved("voice with time-varying resonant filter", our_voice(True), peer, max(3, args.runs // 2), audio_s)
    if torch.cuda.is_available():
        sync = torch.cuda.synchronize
        compare("GPU: voice without filter", ours=our_voice(False, "cuda"), runs=args.runs, sync=sync, audio_seconds=audio_s)
        compare("GPU: voice with filter", ours=our_voice(True, "cuda"), runs=args.runs, sync=sync, audio_seconds=audio_s)
        if peer is not None:
            compare("GPU: torchsynth Voice", ours=torchsynth_voice("cuda"), runs=args.runs, sync=sync, audio_seconds=audio_s)


if __name__ == "__main__":
    main()
