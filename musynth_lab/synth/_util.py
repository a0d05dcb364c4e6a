"""Shared helpers of :mod:`musynth_lab.synth`: parameter validation and shapes.

Every synth function takes scalar parameters as a Python number, a ``(batch,)`` tensor
(one value per batch item) or, where documented, a ``(batch, n_samples)`` tensor (one
value per sample, e.g. a modulated frequency). :func:`param` turns any of these into a
float32 tensor of shape ``(batch or 1, 1 or n_samples)`` after checking it is finite and in
range, so the error names the argument.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..audio import as_audio, like, to_tensor
from ..audio import check_sr  # noqa: F401  (the kit's one sample-rate rule, for the synth modules)
from ..errors import ParameterError, short_repr, check

__all__ = ["param", "batch_of", "check_sr", "check_n_samples", "audio_in", "audio_out", "tensor_arg", "TWO_PI"]

TWO_PI = 2.0 * math.pi


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo is not None and hi is not None:
        return f"a number in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"a number {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f"a number {'<' if hi_open else '<='} {hi}"
    return "a finite number"


def param(
    value,
    name: str,
    *,
    lo=None,
    hi=None,
    lo_open: bool = False,
    hi_open: bool = False,
    device=None,
    n_samples: int | None = None,
    per_sample: bool = False,
    expected: str | None = None,
) -> torch.Tensor:
    """Validate a parameter and return it as float32 ``(batch or 1, 1 or n_samples)``.

    Parameters
    ----------
    value : float, np.ndarray or torch.Tensor [shape=() or (batch,) or (batch, n_samples)]
    name : str
        The argument's name (for the error message).
    lo, hi : float, optional
        Bounds; ``lo_open``/``hi_open`` make them strict.
    device : torch.device, optional
        Where the result lives (a tensor keeps its device when ``None``).
    n_samples : int, optional
        Length a per-sample control must have.
    per_sample : bool
        Accept a ``(batch, n_samples)`` (or ``(n_samples,)`` when ``n_samples > 1``) control.

    Raises
    ------
    ParameterError
        NaN or infinite values, values out of range, or a shape that is not one of the above.

    Examples
    --------
    >>> param(440.0, "freq_hz", lo=0).shape
    torch.Size([1, 1])
    >>> param([1.0, 2.0], "gain").shape
    torch.Size([2, 1])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise ParameterError(f"{name}={value!r}: expected {expected or _range_text(lo, hi, lo_open, hi_open)}")
    if isinstance(value, torch.Tensor):
        t = value
        if not t.is_floating_point():
            t = t.float()
        if t.dtype != torch.float32:
            t = t.float()
        if device is not None and t.device != torch.device(device):
            t = t.to(device)
    else:
        try:
            arr = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise ParameterError(f"{name}={short_repr(value)}: expected {expected or 'numbers'}") from None
        t = torch.from_numpy(np.array(arr)).to(device or "cpu")
    if t.numel() == 0:
        raise ParameterError(f"{name}={short_repr(value)}: expected at least one value")
    t_lo, t_hi = _extremes(t)
    if not (math.isfinite(t_lo) and math.isfinite(t_hi)):
        raise ParameterError(f"{name}={short_repr(value)}: expected finite numbers (no NaN or infinity)")
    bad = False  # the bounds in float32, as torch compares a float32 tensor with a number
    if lo is not None:
        lo32 = float(np.float32(lo))
        bad |= t_lo <= lo32 if lo_open else t_lo < lo32
    if hi is not None:
        hi32 = float(np.float32(hi))
        bad |= t_hi >= hi32 if hi_open else t_hi > hi32
    if bad:
        shown = value if not isinstance(value, torch.Tensor) or value.numel() > 8 else value.tolist()
        raise ParameterError(f"{name}={short_repr(shown)}: expected {expected or _range_text(lo, hi, lo_open, hi_open)}")
    if t.ndim == 0:
        return t.reshape(1, 1)
    if t.ndim == 1:
        if per_sample and n_samples is not None and n_samples > 1 and t.shape[0] == n_samples:
            return t.reshape(1, -1)
        return t.reshape(-1, 1)
    if t.ndim == 2 and per_sample:
        if n_samples is not None and t.shape[1] not in (1, n_samples):
            raise ParameterError(f"{name} has shape {tuple(t.shape)}: expected (batch, {n_samples}) per-sample values")
        return t
    if t.ndim == 2 and t.shape[1] == 1:
        return t
    raise ParameterError(
        f"{name} has shape {tuple(t.shape)}: expected a number or a (batch,) tensor"
        + (" or a (batch, n_samples) control" if per_sample else "")
    )


def _extremes(t: torch.Tensor) -> tuple:
    """``(min, max)`` of a tensor as floats: one pass, no temporaries; a NaN anywhere makes both NaN."""
    lo, hi = torch.aminmax(t.detach())
    return float(lo), float(hi)


def tensor_arg(value, name: str, *, ndim: int = 2, what: str = "(batch or 1, n)") -> torch.Tensor:
    """Check that ``value`` is a real, finite, non-empty ``ndim``-D tensor (returned as it is, gradients kept).

    For the low-level building blocks whose arguments are documented as tensors of a given
    shape; nothing is converted, so a valid call's result is unchanged.

    Examples
    --------
    >>> tensor_arg(torch.zeros(1, 3), "t").shape
    torch.Size([1, 3])
    >>> tensor_arg(torch.tensor(0.5), "attack", what="(batch or 1, 1)")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: attack=tensor(0.5000): expected a 2-D tensor (batch or 1, 1), got shape ()
    """
    if not isinstance(value, torch.Tensor):
        raise ParameterError(f"{name}={short_repr(value)}: expected a {ndim}-D tensor {what}")
    if value.is_complex() or value.dtype == torch.bool:
        raise ParameterError(f"{name} has dtype {value.dtype}: expected a real tensor {what}")
    check(value.ndim == ndim, name, value, f"a {ndim}-D tensor {what}, got shape {tuple(value.shape)}")
    check(value.numel() > 0, name, value, f"a non-empty tensor {what}, got shape {tuple(value.shape)}")
    if value.is_floating_point() and not all(math.isfinite(v) for v in _extremes(value)):
        raise ParameterError(f"{name}={short_repr(value)}: expected finite numbers (no NaN or infinity)")
    return value


def batch_of(**tensors) -> int:
    """The common batch size of ``(batch or 1, ...)`` tensors; mismatches raise ParameterError.

    Examples
    --------
    >>> batch_of(a=torch.zeros(3, 1), b=torch.zeros(1, 1))
    3

    Chapter: notebooks/01a_synthesis.ipynb
    """
    size, first = 1, None
    for name, t in tensors.items():
        if t is None:
            continue
        b = int(t.shape[0])
        if b == 1:
            continue
        if size == 1:
            size, first = b, name
        elif b != size:
            raise ParameterError(f"{name} has batch size {b}: expected {size} to match {first} (or 1 to share one value)")
    return size


def check_n_samples(n, name: str = "n_samples") -> int:
    """Validate a positive whole number of samples (argument ``name``) and return it as ``int``.

    Examples
    --------
    >>> check_n_samples(np.int64(256))
    256
    >>> check_n_samples(0, "n")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: n=0: expected a positive integer number of samples
    """
    ok = isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
    check(ok, name, n, "a positive integer number of samples")
    return int(n)


def audio_in(x, name: str = "x", device=None):
    """Validate audio and return ``(tensor (batch, n), kind_reference, original_shape)``.

    Examples
    --------
    >>> t, ref, shape = audio_in(np.zeros((2, 3, 100), dtype=np.float32))
    >>> tuple(t.shape), shape, ref is not t
    ((6, 100), (2, 3, 100), True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    y = as_audio(x, name=name)
    t = to_tensor(y, device=device)
    shape = tuple(t.shape)
    if t.ndim == 1:
        t = t.unsqueeze(0)
    elif t.ndim > 2:
        t = t.reshape(-1, shape[-1])
    return t, x, shape


def audio_out(t: torch.Tensor, reference, shape: tuple):
    """Restore the input's leading shape (for the same number of samples) and kind.

    Examples
    --------
    >>> t, ref, shape = audio_in(np.ones((2, 3, 100), dtype=np.float32))
    >>> y = audio_out(0.5 * t, ref, shape)
    >>> type(y).__name__, y.shape, float(y.max())
    ('ndarray', (2, 3, 100), 0.5)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if t.ndim == 2 and len(shape) == 1 and t.shape[0] == 1:
        t = t[0]
    elif len(shape) > 2 and t.ndim == 2:
        t = t.reshape(*shape[:-1], t.shape[-1])
    if isinstance(reference, torch.Tensor):
        return t
    return like(reference, t)
