"""The few audio features chapter 4 needs, in one place.

Chapter 4 computes chroma and mel spectrograms through this module only, so the source of
the features can change in one line (librosa's functions of the same names, or
:mod:`musynth_lab.features` when it provides them).

Chapter: notebooks/04_encoding.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import as_audio, to_numpy

__all__ = ["chroma_cqt", "melspectrogram", "BACKEND"]

BACKEND = "librosa"


def chroma_cqt(y, *, sr: int, hop_length: int = 512) -> np.ndarray:
    """Chroma from a constant-Q transform, ``(12, n_frames)``, frames at ``k * hop_length / sr`` s."""
    import librosa

    y = to_numpy(as_audio(y, mono=True)).astype(np.float32)
    return librosa.feature.chroma_cqt(y=y, sr=int(sr), hop_length=int(hop_length)).astype(np.float64)


def melspectrogram(y, *, sr: int, n_fft: int = 1024, hop_length: int = 256, n_mels: int = 64) -> np.ndarray:
    """Mel power spectrogram, ``(..., n_mels, n_frames)``."""
    import librosa

    y = to_numpy(y).astype(np.float32)
    return librosa.feature.melspectrogram(y=y, sr=int(sr), n_fft=int(n_fft), hop_length=int(hop_length),
                                          n_mels=int(n_mels)).astype(np.float32)
