"""Benchmark: streaming latency -- the voice stream, the streamed DDSP decoder, the AR sample model.

Targets (issue 9, chapter 6a):

* the streaming voice (:class:`musynth_lab.synth.VoiceStream`, a SubtractiveVoice with its
  resonant filter, 44.1 kHz) at a real-time factor of at most 0.05 with 256-sample blocks on
  one CPU thread, and its p99 block time under half the block's duration (2.9 ms);
* the neural decoder (chapter 5's DDSPDecoder streamed frame-block by frame-block,
  :class:`musynth_lab.models.streaming.DDSPStream`, 16 kHz) at RTF <= 0.5 with 1024-sample blocks.

Each figure is the median of ``--runs`` (>= 5) runs in this one process after a warm-up;
each voice run streams ``--blocks`` blocks and takes that run's RTF (total compute / audio
time) and p99 block time. The AR model (one GRU step per sample) and the accelerated variants
(TorchScript, dynamic int8, and ``torch.compile`` with ``--compile``: about 40 s of compiling
on a CPU) are printed for comparison, without targets. No peer: there is no streaming
synthesizer in the peers venv to compare with.

Run::

    PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/bench_streaming.py --threads 1

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch

from harness import set_threads

from musynth_lab.latency import time_blocks
from musynth_lab.models.ddsp import DDSPDecoder
from musynth_lab.models.streaming import neural_latency, time_ddsp_stream
from musynth_lab.synth import FMVoice, SubtractiveVoice, VoiceStream

VOICE_RTF, VOICE_P99_FRACTION, DDSP_RTF = 0.05, 0.5, 0.5


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def voice_runs(voice, *, sr: int, block: int, blocks: int, runs: int, **values):
    rtfs, p99s, p50s = [], [], []
    VoiceStream(voice, sr=sr, **values).process(block)  # warm-up
    for _ in range(runs):
        s = VoiceStream(voice, sr=sr, **values)
        t = time_blocks(s.process, block_size=block, sr=sr, n_blocks=blocks, warmup=2)
        rtfs.append(t.rtf)
        p99s.append(t.p99_ms)
        p50s.append(t.p50_ms)
    return statistics.median(rtfs), statistics.median(p99s), statistics.median(p50s), t.block_ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--blocks", type=int, default=400, help="blocks per voice run")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile variants (slow to compile)")
    args = ap.parse_args()
    runs = max(5, args.runs)
    n = set_threads(args.threads)
    print(f"threads={n}, runs={runs} (median), torch {torch.__version__}", flush=True)

    sr, block = 44100, 256
    rows = []
    for name, voice, values in (
        (
            "SubtractiveVoice (filter, vibrato, noise)",
            SubtractiveVoice(),
            dict(midi_f0=48.0, lfo_pitch_semitones=0.2, noise_level=0.05),
        ),
        ("SubtractiveVoice (default patch)", SubtractiveVoice(), dict(midi_f0=48.0)),
        ("FMVoice", FMVoice(), dict(midi_f0=60.0)),
    ):
        for b in (64, 256, 1024):
            rtf, p99, p50, block_ms = voice_runs(voice, sr=sr, block=b, blocks=args.blocks, runs=runs, **values)
            line = (
                f"voice stream {name}, {b} samples @ {sr} Hz ({block_ms:.2f} ms): p50 {p50:.3f} ms, "
                f"p99 {p99:.3f} ms, RTF {rtf:.4f}"
            )
            if b == block and "default" in name:
                ok = rtf <= VOICE_RTF and p99 < VOICE_P99_FRACTION * block_ms
                line += f"  target RTF <= {VOICE_RTF} and p99 < {VOICE_P99_FRACTION * block_ms:.2f} ms: {verdict(ok)}"
            print(line, flush=True)
            rows.append((name, b, rtf, p99))

    # control: a pure NumPy loop of about one voice block's duration, timed the same way. On a
    # shared machine its p99 shows how often the scheduler takes the core away mid-block; a
    # voice p99 close to it is the machine's, not the voice's.
    a = np.random.default_rng(0).random(256)

    def busy(_n):
        x = a
        for _ in range(120):
            x = x * 1.0001 + 0.1
        return x

    ctl = [time_blocks(busy, block_size=block, sr=sr, n_blocks=args.blocks, warmup=2) for _ in range(runs)]
    print(
        f"control (NumPy busy loop, no synthesis): p50 {statistics.median(t.p50_ms for t in ctl):.3f} ms, "
        f"p99 {statistics.median(t.p99_ms for t in ctl):.3f} ms",
        flush=True,
    )

    dec = DDSPDecoder(sr=16000, hop_length=64).eval()  # untrained: same arithmetic
    rtfs = [time_ddsp_stream(dec, block_size=1024, n_blocks=16, repeats=1)["rtf"] for _ in range(runs)]
    rtf = statistics.median(rtfs)
    print(
        f"DDSP decoder stream (hidden 128, 40 harmonics, reverb), 1024 samples @ 16000 Hz: RTF {rtf:.4f}  "
        f"target RTF <= {DDSP_RTF}: {verdict(rtf <= DDSP_RTF)}",
        flush=True,
    )

    variants = ("eager", "script", "int8") + (("compile",) if args.compile else ())
    print("autoregressive vs parallel (median of the runs' RTFs; speed-up over eager):", flush=True)
    table = [
        neural_latency(sr=16000, variants=variants, ar_samples=1600, n_blocks=8, repeats=1, device="cpu") for _ in range(runs)
    ]
    for i, r in enumerate(table[0]):
        vals = [t[i]["rtf"] for t in table if t[i]["rtf"] is not None]
        if not vals:
            print(f"  {r['model']:<28} {r['variant']:<8} not available: {r['note']}", flush=True)
            continue
        base = [t[j]["rtf"] for t in table for j in range(len(t)) if t[j]["model"] == r["model"] and t[j]["variant"] == "eager"]
        err = "" if r["rel_error"] is None else f", int8 error {r['rel_error']:.4f} of peak"
        print(
            f"  {r['model']:<28} {r['variant']:<8} RTF {statistics.median(vals):.4f}, "
            f"speed-up {statistics.median(base) / statistics.median(vals):.2f}x{err}",
            flush=True,
        )
    if torch.cuda.is_available():
        t = time_ddsp_stream(dec.to("cuda"), block_size=1024, n_blocks=16, device="cuda")
        print(f"DDSP decoder stream on {torch.cuda.get_device_name()}: RTF {t['rtf']:.4f}")


if __name__ == "__main__":
    main()
