"""Shared plumbing of ``musynth_lab.features``: argument checks and array/tensor handling.

Every public feature accepts a NumPy array or a torch tensor ``(..., n_samples)`` and
returns the same kind (a tensor stays on its device). Internally everything is a float32
torch tensor; :func:`audio_in` validates and converts, :func:`out` converts back.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ..audio import as_audio, is_tensor, like, to_tensor
from ..errors import ParameterError, check

__all__ = ["audio_in", "spec_in", "out", "check_int", "check_sr", "check_hop", "check_fmax"]


def audio_in(y, *, name: str = "y", mono: bool = False, min_samples: int = 1) -> torch.Tensor:
    """Validate audio (finite, floating point, not channels-last) and return a float32 tensor.

    The same rules as :func:`musynth_lab.audio.as_audio` with ``allow_int=False``; a float32
    tensor takes a fast path (one reduction decides finiteness; the full check runs only when
    the sum is not finite), because the features run on large batches.
    """
    if y is None:
        raise ParameterError(f"{name}=None: expected audio samples (..., n_samples)")
    if isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.ndim >= 1 and y.numel() >= 1:
        t = y
    elif isinstance(y, np.ndarray) and y.dtype == np.float32 and y.ndim >= 1 and y.size >= 1:
        t = torch.from_numpy(np.ascontiguousarray(y))
    else:
        y = as_audio(y, name=name, mono=mono, allow_int=False, min_samples=min_samples)
        return to_tensor(y, dtype=torch.float32)
    if t.shape[-1] < min_samples:
        raise ParameterError(f"{name} has {t.shape[-1]} samples: expected at least {min_samples}")
    if t.ndim == 2 and t.shape[-1] <= 2 < t.shape[0]:
        raise ParameterError(f"{name} has shape {tuple(t.shape)}, which looks channels-last (n_samples, channels): "
                             "expected (channels, n_samples); transpose it")
    if mono and t.ndim != 1:
        raise ParameterError(f"{name} has shape {tuple(t.shape)}: expected mono audio of shape (n_samples,); "
                             "mix down with y.mean(axis=0)")
    if not bool(torch.isfinite(t.detach().sum())) and not bool(torch.isfinite(t).all()):
        raise ParameterError(f"{name} contains NaN or infinite samples: expected finite audio")
    return t


def spec_in(S, *, name: str = "S", min_ndim: int = 2) -> torch.Tensor:
    """Validate a (non-negative or complex) spectrogram ``(..., n_bins, n_frames)``; return a tensor."""
    if not is_tensor(S):
        arr = np.asarray(S)
        if arr.dtype.kind not in "fc":
            raise ParameterError(f"{name} has dtype {arr.dtype}: expected a floating-point spectrogram")
        S = torch.from_numpy(np.ascontiguousarray(arr))
    if S.ndim < min_ndim:
        raise ParameterError(f"{name} has shape {tuple(S.shape)}: expected (..., n_bins, n_frames)")
    if not bool(torch.isfinite(S).all()):
        raise ParameterError(f"{name} contains NaN or infinite values: expected a finite spectrogram")
    if S.dtype == torch.float64:
        S = S.float()
    elif S.dtype == torch.complex128:
        S = S.to(torch.complex64)
    return S


def out(reference, value):
    """Return ``value`` as the kind of ``reference`` (array -> array, tensor -> tensor)."""
    return like(reference, value)


def check_int(value, name: str, *, minimum: int = 1, allow_none: bool = False):
    if value is None and allow_none:
        return None
    ok = isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool) and value >= minimum
    check(ok, name, value, f"an integer >= {minimum}")
    return int(value)


def check_sr(sr) -> float:
    ok = isinstance(sr, (numbers.Real, np.number)) and not isinstance(sr, bool) and float(sr) > 0
    check(ok, "sr", sr, "a positive sample rate in Hz")
    return float(sr)


def check_hop(hop_length, default: int) -> int:
    if hop_length is None:
        return int(default)
    return check_int(hop_length, "hop_length")


def check_fmax(fmax, sr: float, *, name: str = "fmax"):
    """``fmax`` must lie in (0, sr/2]; ``None`` means sr/2."""
    if fmax is None:
        return sr / 2.0
    ok = isinstance(fmax, (numbers.Real, np.number)) and 0 < float(fmax) <= sr / 2.0 + 1e-9
    check(ok, name, fmax, f"a frequency in (0, {sr / 2:g}] Hz (the Nyquist frequency at sr={sr:g})")
    return float(fmax)


def flatten(x: torch.Tensor, keep: int):
    """Reshape ``(..., *last keep dims)`` to ``(batch, *last)``; return it and the leading shape."""
    lead = tuple(x.shape[: x.ndim - keep])
    return x.reshape((-1,) + tuple(x.shape[x.ndim - keep:])), lead


def map_blocks(fn, x: torch.Tensor, step: int) -> list:
    """``[fn(x[i:i + step]) for i in range(0, len(x), step)]``: cache-sized blocks, in order.

    (A version that spread the blocks over Python worker threads with single-threaded torch
    kernels was faster at 2 threads in the benchmark but hung a Jupyter kernel once, mixing
    OpenMP teams across threads; it was removed. Multi-threading is torch's own, inside each
    block.)
    """
    return [fn(x[i:i + step]) for i in range(0, x.shape[0], step)]
