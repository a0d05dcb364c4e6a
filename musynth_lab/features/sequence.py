"""``to_sequence``: features ``(..., n_bins, n_frames)`` to model input ``(batch, time, dim)``.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (doctests)

from ..errors import check
from ._util import out, spec_in

__all__ = ["to_sequence"]


def to_sequence(features, *, normalize: bool = False, eps: float = 1e-8):
    """Turn ``(..., n_bins, n_frames)`` features into ``(batch, time, dim)`` for sequence models.

    Leading dimensions are flattened into the batch; a single ``(n_bins, n_frames)`` array
    becomes a batch of one. With ``normalize``, each sequence's dimensions are standardised
    over time (zero mean, unit variance; constant dimensions stay 0).

    Examples
    --------
    >>> to_sequence(np.zeros((4, 2, 13, 50))).shape
    (8, 50, 13)
    >>> to_sequence(np.zeros((13, 50))).shape
    (1, 50, 13)

    Chapter: notebooks/03_features.ipynb
    """
    X = spec_in(features, name="features", min_ndim=2, real=True)
    check(not X.is_complex(), "features", features, "real features (take np.abs of a complex STFT first)")
    seq = X.reshape((-1,) + tuple(X.shape[-2:])).transpose(1, 2)
    if normalize:
        mu = seq.mean(1, keepdim=True)
        sd = seq.std(1, unbiased=False, keepdim=True)
        seq = (seq - mu) / (sd + eps)
    return out(features, seq.contiguous())
