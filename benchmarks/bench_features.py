"""musynth_lab.features against librosa: 32 ten-second clips at 22.05 kHz, same process.

Targets (issue 4): mel spectrogram, MFCC and chroma at least 1.5x librosa's speed, CQT at
least 2x, at 1 thread and with all threads. Run with the peers venv::

    PYTHONPATH=.:benchmarks .peers-venv/bin/python benchmarks/bench_features.py [--threads N] [--runs R]

Both sides get the same float32 batch ``(32, 220500)``; librosa is called on the batch too
(it vectorises over leading dimensions). When CUDA is present, the GPU figures are printed
as well (our functions on a CUDA tensor, synchronised).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from harness import compare, set_threads


def clips(n: int = 32, seconds: float = 10.0, sr: int = 22050) -> np.ndarray:
    """``n`` ten-second clips cut from the bundled excerpts (looped when shorter)."""
    from musynth_lab.data import list_excerpts, load_excerpt

    names = list_excerpts()
    out = np.empty((n, int(seconds * sr)), dtype=np.float32)
    for i in range(n):
        a = load_excerpt(names[i % len(names)]).audio
        reps = int(np.ceil(out.shape[1] / len(a)))
        out[i] = np.tile(a, reps)[: out.shape[1]]
    return out


def main() -> int:
    import librosa
    import torch

    import musynth_lab.features as F

    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="*", default=None)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", nargs="*", default=None)
    args = p.parse_args()
    y = clips()
    sr = 22050
    secs = y.shape[0] * y.shape[1] / sr
    cases = {
        "stft": (lambda a: F.stft(a, n_fft=2048, hop_length=512), lambda a: librosa.stft(a, n_fft=2048, hop_length=512)),
        "melspectrogram": (lambda a: F.melspectrogram(a, sr=sr), lambda a: librosa.feature.melspectrogram(y=a, sr=sr)),
        "mfcc": (lambda a: F.mfcc(a, sr=sr, n_mfcc=20), lambda a: librosa.feature.mfcc(y=a, sr=sr, n_mfcc=20)),
        "chroma_stft": (lambda a: F.chroma_stft(a, sr=sr), lambda a: librosa.feature.chroma_stft(y=a, sr=sr)),
        "chroma_stft (tuning=0)": (
            lambda a: F.chroma_stft(a, sr=sr, tuning=0.0),
            lambda a: librosa.feature.chroma_stft(y=a, sr=sr, tuning=0.0),
        ),
        "cqt": (lambda a: F.cqt(a, sr=sr), lambda a: librosa.cqt(a, sr=sr)),
        "chroma_cqt": (lambda a: F.chroma_cqt(a, sr=sr), lambda a: librosa.feature.chroma_cqt(y=a, sr=sr)),
    }
    if args.only:
        cases = {k: v for k, v in cases.items() if k in args.only}
    threads = args.threads or [1, os.cpu_count() or 1]
    for n in threads:
        n = set_threads(n)
        print(f"-- {n} thread(s), 32 x 10 s at {sr} Hz ({secs:.0f} s of audio)", flush=True)
        for name, (ours, peer) in cases.items():
            compare(
                f"{name} [{n} thr]",
                ours=lambda o=ours: o(y),
                peer=lambda p=peer: p(y),
                runs=args.runs,
                warmup=1,
                peer_name="librosa",
                audio_seconds=secs,
            )
    if torch.cuda.is_available():
        x = torch.from_numpy(y).cuda()
        print("-- CUDA", torch.cuda.get_device_name(0), flush=True)
        for name, (ours, _peer) in cases.items():
            compare(
                f"{name} [cuda]",
                ours=lambda o=ours: o(x),
                peer=None,
                runs=args.runs,
                warmup=2,
                sync=torch.cuda.synchronize,
                audio_seconds=secs,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
