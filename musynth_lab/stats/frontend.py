"""The few audio features chapter 4 needs, in one place.

Chapter 4 computes chroma and mel spectrograms through this module only. They come from
:mod:`musynth_lab.features` (chapter 3's PyTorch features, which match librosa's functions
of the same names; ``BACKEND = "librosa"`` switches back to librosa itself).

Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import numpy as np

from .. import features
from ..audio import as_audio, to_numpy

__all__ = ["chroma_cqt", "melspectrogram", "BACKEND"]

#: ``"musynth_lab"`` (default) or ``"librosa"``.
BACKEND = "musynth_lab"


def chroma_cqt(y, *, sr: int, hop_length: int = 512) -> np.ndarray:
    """Chroma from a constant-Q transform, ``(12, n_frames)``, frames at ``k * hop_length / sr`` s.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> int(chroma_cqt(y, sr=22050).mean(axis=1).argmax())          # A = pitch class 9
    9

    Chapter: notebooks/04a_statistical.ipynb
    """
    y = to_numpy(as_audio(y, mono=True)).astype(np.float32)
    if BACKEND == "librosa":
        # librosa is imported where used: importing this module (and `import musynth_lab`) stays light
        import librosa

        C = librosa.feature.chroma_cqt(y=y, sr=int(sr), hop_length=int(hop_length))
    else:
        C = to_numpy(features.chroma_cqt(y, sr=int(sr), hop_length=int(hop_length)))
    return np.asarray(C, dtype=np.float64)


def melspectrogram(y, *, sr: int, n_fft: int = 1024, hop_length: int = 256, n_mels: int = 64) -> np.ndarray:
    """Mel power spectrogram, ``(..., n_mels, n_frames)`` float32.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(4096) / 22050).astype(np.float32)
    >>> S = melspectrogram(y, sr=22050)
    >>> S.shape, S.dtype
    ((64, 17), dtype('float32'))

    Chapter: notebooks/04b_deep.ipynb
    """
    y = to_numpy(y).astype(np.float32)
    if BACKEND == "librosa":
        import librosa

        S = librosa.feature.melspectrogram(y=y, sr=int(sr), n_fft=int(n_fft), hop_length=int(hop_length), n_mels=int(n_mels))
    else:
        S = to_numpy(features.melspectrogram(y, sr=int(sr), n_fft=int(n_fft), hop_length=int(hop_length), n_mels=int(n_mels)))
    return np.asarray(S, dtype=np.float32)
