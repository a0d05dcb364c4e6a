"""The audio feature chapter 4's statistical models need (chroma), in one place.

Chapter 4a's chord HMMs compute chroma through this module only. It comes from
:mod:`musynth_lab.features` (chapter 3's PyTorch features, which match librosa's functions
of the same names; ``BACKEND = "librosa"`` switches back to librosa itself). This is the
kit's one backend switch; the notes' log-mel spectrograms (chapters 1b, 2, 4b) all come
from :func:`musynth_lab.features.note_logmel`, with none.

Chapter: notebooks/04a_statistical.ipynb
"""

from __future__ import annotations

import numpy as np

from .. import features
from ..audio import as_audio, to_numpy

__all__ = ["chroma_cqt", "BACKEND"]

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
