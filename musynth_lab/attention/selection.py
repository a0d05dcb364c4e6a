"""Normalising scores into weights, and selecting what to keep.

The source (3.1.2 选择感兴趣区域, 3.2.2 选择感兴趣词语) keeps the positions whose score is
above a threshold of 0.5 and drops the rest. A raw score has no fixed scale, so that rule
only means something once the scores are normalised: a sigmoid gate puts 0.5 at a logit of
zero; a softmax makes the weights sum to one (so at most one of them can exceed 0.5);
dividing by the largest weight keeps the cells at least half as strong as the strongest.

Conventions: a ``mask`` is boolean, True where attention is allowed, with as many
dimensions as the scores and each size equal or 1. Masked positions get weight 0, and a
row with nothing allowed gets all zeros (never NaN). NumPy in gives NumPy out; a tensor
stays a tensor on its device.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import torch

from ..errors import ParameterError, as_array, check
from ._util import as_float, as_mask, back

__all__ = [
    "masked_softmax",
    "sigmoid_gate",
    "normalise_scores",
    "hard_select",
    "top_k_select",
    "apply_selection",
    "NORMALISATIONS",
]

#: The ways :func:`normalise_scores` can turn scores into weights in [0, 1].
NORMALISATIONS = ("softmax", "sigmoid", "max", "minmax", "none")


def _dim(dim, ndim: int) -> int:
    check(isinstance(dim, int) and -ndim <= dim < ndim, "dim", dim, f"an axis in [-{ndim}, {ndim})")
    return dim % ndim


def masked_softmax(scores, mask=None, *, dim: int = -1, temperature: float = 1.0):
    """Softmax over ``dim`` that gives masked positions exactly zero weight.

    Parameters
    ----------
    scores : np.ndarray or torch.Tensor [shape=(..., n)]
        Attention scores (any real numbers).
    mask : array_like of bool, optional
        True where attention is allowed; broadcastable to ``scores`` (same ``ndim``).
    dim : int
        The axis the weights sum over.
    temperature : float
        Divide the scores by this first (lower is sharper).

    Returns
    -------
    weights : same kind and shape as ``scores``
        Non-negative; each slice along ``dim`` sums to 1 over its allowed positions, or is
        all zeros when nothing is allowed.

    Raises
    ------
    ParameterError
        Non-finite scores, a mask of the wrong shape, a non-positive temperature.

    Examples
    --------
    >>> import numpy as np
    >>> masked_softmax(np.array([1.0, 2.0, 3.0]), np.array([True, True, False])).round(3).tolist()
    [0.269, 0.731, 0.0]

    Chapter: notebooks/02_attention.ipynb
    """
    check(temperature > 0, "temperature", temperature, "a positive number")
    s = as_float(scores, "scores")
    dim = _dim(dim, s.ndim)
    m = as_mask(mask, s.shape, device=s.device)
    z = s / temperature
    if m is not None:
        z = z.masked_fill(~m, float("-inf"))
    zmax = z.amax(dim=dim, keepdim=True)
    zmax = torch.where(torch.isfinite(zmax), zmax, torch.zeros_like(zmax))
    e = torch.exp(z - zmax)
    total = e.sum(dim=dim, keepdim=True)
    w = torch.where(total > 0, e / total.clamp_min(torch.finfo(e.dtype).tiny), torch.zeros_like(e))
    return back(scores, w)


def sigmoid_gate(scores, mask=None):
    """Independent gates ``sigmoid(score)`` in (0, 1), zero where masked (no sum-to-one).

    This is how squeeze-and-excitation and CBAM weigh channels and cells; a gate of 0.5
    means a logit of 0, which is what makes a fixed 0.5 threshold meaningful.

    Parameters
    ----------
    scores : np.ndarray or torch.Tensor [shape=(...)]
    mask : array_like of bool, optional

    Returns
    -------
    same kind and shape as ``scores``

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid_gate(np.array([0.0, 100.0, -100.0])).round(3).tolist()
    [0.5, 1.0, 0.0]

    Chapter: notebooks/02_attention.ipynb
    """
    s = as_float(scores, "scores")
    m = as_mask(mask, s.shape, device=s.device)
    g = torch.sigmoid(s)
    if m is not None:
        g = g * m
    return back(scores, g)


def normalise_scores(scores, method: str = "softmax", *, mask=None, dim: int = -1):
    """Turn scores into weights in [0, 1] in one of the ways a threshold can be applied to.

    Parameters
    ----------
    scores : np.ndarray or torch.Tensor [shape=(..., n)]
    method : {'softmax', 'sigmoid', 'max', 'minmax', 'none'}
        ``softmax`` over ``dim`` (sums to one); ``sigmoid`` gates; ``max`` divides the
        non-negative scores by their largest value along ``dim`` (1 at the strongest);
        ``minmax`` rescales each slice to [0, 1]; ``none`` returns the scores as they are
        (the source's literal rule, whose 0.5 has no fixed meaning).
    mask : array_like of bool, optional
        Masked positions get 0 and are left out of the max/min.
    dim : int
        The axis ``softmax``, ``max`` and ``minmax`` work along.

    Returns
    -------
    same kind and shape as ``scores``

    Examples
    --------
    >>> import numpy as np
    >>> normalise_scores(np.array([2.0, 4.0, 1.0]), "max").tolist()
    [0.5, 1.0, 0.25]

    Chapter: notebooks/02_attention.ipynb
    """
    if method not in NORMALISATIONS:
        raise ParameterError(f"method={method!r}: expected one of {NORMALISATIONS}")
    if method == "softmax":
        return masked_softmax(scores, mask, dim=dim)
    if method == "sigmoid":
        return sigmoid_gate(scores, mask)
    s = as_float(scores, "scores")
    d = _dim(dim, s.ndim)
    m = as_mask(mask, s.shape, device=s.device)
    allowed = torch.ones_like(s, dtype=torch.bool) if m is None else m.expand(s.shape)
    if method == "none":
        return back(scores, s * allowed)
    if method == "max":
        if bool((s[allowed] < 0).any()):
            raise ParameterError(
                "scores has negative values: method='max' expects non-negative scores "
                "(e.g. after a ReLU or a softmax); use 'minmax' or 'softmax'"
            )
        top = s.masked_fill(~allowed, 0.0).amax(dim=d, keepdim=True)
        w = torch.where(top > 0, s / top.clamp_min(1e-30), torch.zeros_like(s))
    else:
        hi = s.masked_fill(~allowed, float("-inf")).amax(dim=d, keepdim=True)
        lo = s.masked_fill(~allowed, float("inf")).amin(dim=d, keepdim=True)
        span = hi - lo
        ok = torch.isfinite(span) & (span > 0)
        w = torch.where(ok, (s - torch.where(ok, lo, 0)) / torch.where(ok, span, 1), torch.ones_like(s))
    return back(scores, w * allowed)


def hard_select(weights, threshold: float = 0.5, *, mask=None):
    """The source's hard selection: keep exactly the positions whose weight exceeds ``threshold``.

    "当某个位置的注意力分数超过一定阈值时，我们认为它是重要的 ... 这里我们使用的阈值为0.5".
    Pass weights that are already normalised (:func:`normalise_scores`); on raw scores the
    threshold has no fixed meaning.

    Parameters
    ----------
    weights : np.ndarray or torch.Tensor [shape=(...)]
        Normalised weights (usually in [0, 1]).
    threshold : float
        In [0, 1]; positions with ``weight > threshold`` are kept.
    mask : array_like of bool, optional
        Masked positions are never kept.

    Returns
    -------
    keep : bool array or tensor, the shape of ``weights``

    Raises
    ------
    ParameterError
        A threshold outside [0, 1], a mask of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> hard_select(np.array([0.2, 0.5, 0.51, 0.9])).tolist()
    [False, False, True, True]

    Chapter: notebooks/02_attention.ipynb
    """
    check(
        isinstance(threshold, (int, float)) and not isinstance(threshold, bool) and 0.0 <= float(threshold) <= 1.0,
        "threshold",
        threshold,
        "a number in [0, 1] (normalise the scores first)",
    )
    w = as_float(weights, "weights")
    m = as_mask(mask, w.shape, device=w.device)
    keep = w > float(threshold)
    if m is not None:
        keep = keep & m
    return back(weights, keep)


def top_k_select(scores, k: int, *, dim: int = -1, mask=None):
    """Keep the ``k`` highest-scoring allowed positions along ``dim`` (ties broken by position).

    Parameters
    ----------
    scores : np.ndarray or torch.Tensor [shape=(..., n)]
    k : int
        How many to keep; at least 1, at most ``n`` (fewer are kept where fewer are allowed).
    dim : int
    mask : array_like of bool, optional

    Returns
    -------
    keep : bool array or tensor, the shape of ``scores``

    Examples
    --------
    >>> import numpy as np
    >>> top_k_select(np.array([0.1, 0.7, 0.3, 0.9]), 2).tolist()
    [False, True, False, True]

    Chapter: notebooks/02_attention.ipynb
    """
    s = as_float(scores, "scores")
    d = _dim(dim, s.ndim)
    check(
        isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= s.shape[d],
        "k",
        k,
        f"an integer in 1..{s.shape[d]} (the size of axis {dim})",
    )
    m = as_mask(mask, s.shape, device=s.device)
    z = s if m is None else s.masked_fill(~m, float("-inf"))
    idx = z.topk(k, dim=d).indices
    keep = torch.zeros_like(s, dtype=torch.bool).scatter(d, idx, True)
    if m is not None:
        keep = keep & m
    return back(scores, keep)


def apply_selection(values, keep, *, dim: int = -2):
    """Zero the dropped positions of ``values`` (the positions run along ``dim``).

    Parameters
    ----------
    values : np.ndarray or torch.Tensor [shape=(..., n, d)]
    keep : bool array [shape=(..., n)]
        From :func:`hard_select` or :func:`top_k_select`.
    dim : int
        Axis of ``values`` that ``keep`` indexes (``-2`` for (..., n, d) features; use
        ``-1`` when ``values`` has the shape of ``keep``).

    Returns
    -------
    same kind and shape as ``values``

    Examples
    --------
    >>> import numpy as np
    >>> apply_selection(np.ones((3, 2)), np.array([True, False, True])).tolist()
    [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]

    Chapter: notebooks/02_attention.ipynb
    """
    v = as_float(values, "values")
    if keep is None:
        raise ParameterError("keep=None: expected a boolean array (from hard_select or top_k_select)")
    if not isinstance(keep, torch.Tensor):
        keep = as_array(keep, "keep")  # numbers, real, finite, non-empty (strings refused)
    k = as_mask(keep, tuple(keep.shape), name="keep", device=v.device)
    d = _dim(dim, v.ndim)
    if d == v.ndim - 1:
        check(tuple(k.shape) == tuple(v.shape), "keep", keep, f"the shape of values {tuple(v.shape)}")
        return back(values, v * k)
    check(
        tuple(k.shape) == tuple(v.shape[: d + 1]),
        "keep",
        keep,
        f"shape {tuple(v.shape[: d + 1])} (values' leading axes up to dim)",
    )
    kk = k.reshape(k.shape + (1,) * (v.ndim - d - 1))
    return back(values, v * kk)
