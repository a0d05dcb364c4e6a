"""Shared helpers of the attention package: tensors in, the caller's kind out, shape checks."""

from __future__ import annotations

import numpy as np
import torch

from ..audio import like, to_tensor
from ..errors import ParameterError, short_repr, as_array, check

__all__ = ["as_float", "as_mask", "back", "check_dim", "check_tensor"]


def as_float(x, name: str, *, min_ndim: int = 1) -> torch.Tensor:
    """``x`` as a floating tensor (an array goes to the CPU), refusing non-numeric or non-finite input.

    Examples
    --------
    >>> as_float([[1, 2, 3]], "scores").dtype, as_float(np.ones((2, 3)), "scores").shape
    (torch.float32, torch.Size([2, 3]))
    >>> as_float([1.0, float("nan")], "scores")
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: scores contains NaN or infinite values: expected finite numbers
    """
    if not isinstance(x, (torch.Tensor, np.ndarray, list, tuple, float, int)):
        raise ParameterError(f"{name}: expected a NumPy array or torch tensor, got {type(x).__name__}")
    if isinstance(x, (list, tuple, float, int)):
        x = as_array(x, name, allow_empty=True, finite=False, dtype=np.float32)  # strings, ragged, complex refused
    t = to_tensor(x)
    if isinstance(x, np.ndarray) and x.ndim == 0:
        t = t.reshape(())  # to_tensor makes a 0-d array 1-d; keep its true shape
    if t.dtype == torch.bool or not (t.is_floating_point() or t.dtype in (torch.int32, torch.int64)):
        raise ParameterError(f"{name} has dtype {t.dtype}: expected real numbers")
    if not t.is_floating_point():
        t = t.float()
    if t.ndim < min_ndim:
        raise ParameterError(f"{name} has shape {tuple(t.shape)}: expected at least {min_ndim} dimension(s)")
    if t.numel() == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(t.shape)}): expected at least one value")
    if not bool(torch.isfinite(t).all()):
        raise ParameterError(f"{name} contains NaN or infinite values: expected finite numbers")
    return t


def as_mask(mask, shape, name: str = "mask", device=None) -> torch.Tensor | None:
    """A boolean mask (True = a position that may be attended) broadcastable to ``shape``.

    It must have as many dimensions as ``shape`` and each size must be that of ``shape`` or 1.

    Examples
    --------
    >>> m = as_mask(np.array([[1.0, 1.0, 0.0]]), (4, 3))     # one row shared by the 4 queries
    >>> m.dtype, m.shape, m.tolist()
    (torch.bool, torch.Size([1, 3]), [[True, True, False]])
    >>> as_mask(None, (4, 3)) is None
    True
    """
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        mask = as_array(mask, name)  # numbers, real, finite, non-empty
    m = to_tensor(mask)
    if isinstance(mask, np.ndarray) and mask.ndim == 0:
        m = m.reshape(())  # a 0-d array stays 0-d (and is refused below)
    if m.dtype != torch.bool:
        if m.is_floating_point() and not bool(((m == 0) | (m == 1)).all()):
            raise ParameterError(f"{name}: expected a boolean mask (True where attention is allowed)")
        m = m != 0
    ok = m.ndim == len(shape) and all(a in (b, 1) for a, b in zip(m.shape, shape))
    if not ok:
        raise ParameterError(
            f"{name} has shape {tuple(m.shape)}: expected a shape broadcastable to the scores' "
            f"{tuple(shape)} with the same number of dimensions (sizes equal or 1)"
        )
    return m.to(device) if device is not None else m


def back(reference, value):
    """Return ``value`` as the kind of ``reference`` (array in, array out; tensor in, tensor out).

    Examples
    --------
    >>> type(back(np.zeros(3), torch.ones(2))).__name__, type(back(torch.zeros(3), torch.ones(2))).__name__
    ('ndarray', 'Tensor')
    """
    if isinstance(reference, torch.Tensor):
        return value
    return like(np.zeros(0), value)


def check_dim(size: int, expected: int, name: str, what: str) -> None:
    """Raise ParameterError when a feature dimension does not match.

    Examples
    --------
    >>> check_dim(16, 16, "query", "d_model")                 # silent when it matches
    >>> check_dim(8, 16, "query", "d_model")
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: query='<last dimension 8>': expected a last dimension of 16 (d_model)
    """
    check(int(size) == int(expected), name, f"<last dimension {size}>", f"a last dimension of {expected} ({what})")


def check_tensor(x, name: str, *, ndim: int | None = None, min_ndim: int = 1, what: str = "") -> torch.Tensor:
    """Check a module's tensor input cheaply: a real floating tensor, non-empty, finite, of the right rank.

    Examples
    --------
    >>> check_tensor(torch.ones(2, 3), "x", ndim=2).shape
    torch.Size([2, 3])
    >>> check_tensor(torch.tensor([1.0, float("inf")]), "x")
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: x contains NaN or infinite values: expected finite numbers
    """
    shape_words = f" {what}" if what else ""
    if not isinstance(x, torch.Tensor):
        raise ParameterError(f"{name}={short_repr(x)}: expected a torch tensor{shape_words}")
    if not x.is_floating_point():
        raise ParameterError(f"{name} has dtype {x.dtype}: expected a real floating-point tensor")
    if ndim is not None and x.ndim != ndim:
        raise ParameterError(f"{name} has shape {tuple(x.shape)}: expected {ndim} dimensions{shape_words}")
    if x.ndim < min_ndim:
        raise ParameterError(f"{name} has shape {tuple(x.shape)}: expected at least {min_ndim} dimension(s){shape_words}")
    if x.numel() == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(x.shape)}): expected at least one value")
    if not bool(torch.isfinite(x).all()):
        raise ParameterError(f"{name} contains NaN or infinite values: expected finite numbers")
    return x
