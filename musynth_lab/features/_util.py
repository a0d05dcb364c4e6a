"""Shared plumbing of ``musynth_lab.features``: argument checks and array/tensor handling.

Every public feature accepts a NumPy array or a torch tensor ``(..., n_samples)`` and
returns the same kind (a tensor stays on its device). Internally everything is a float32
torch tensor; :func:`audio_in` validates and converts, :func:`out` converts back.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import torch

from ..audio import MAX_MAGNITUDE, as_audio, check_magnitude, is_tensor, like, to_tensor
from ..audio import check_sr as audio_check_sr
from ..errors import ParameterError, check

__all__ = ["audio_in", "spec_in", "out", "check_int", "check_sr", "check_hop", "check_fmax"]


def audio_in(y, *, name: str = "y", mono: bool = False, min_samples: int = 1) -> torch.Tensor:
    """Validate audio (finite, floating point, not channels-last) and return a float32 tensor.

    The same rules as :func:`musynth_lab.audio.as_audio` with ``allow_int=False``; a float32
    tensor takes a fast path (one reduction decides finiteness; the full check runs only when
    the sum is not finite), because the features run on large batches.

    Examples
    --------
    >>> t = audio_in(np.zeros((2, 100), dtype=np.float32))
    >>> type(t).__name__, tuple(t.shape), t.dtype
    ('Tensor', (2, 100), torch.float32)
    >>> audio_in(np.zeros((100, 2), dtype=np.float32))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: y has shape (100, 2), which looks channels-last ...: expected (channels, n_samples); ...
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
        raise ParameterError(
            f"{name} has shape {tuple(t.shape)}, which looks channels-last (n_samples, channels): "
            "expected (channels, n_samples); transpose it"
        )
    if mono and t.ndim != 1:
        raise ParameterError(
            f"{name} has shape {tuple(t.shape)}: expected mono audio of shape (n_samples,); mix down with y.mean(axis=0)"
        )
    peak = t.detach().abs().amax()  # one reduction: NaN, inf and overflow-sized samples
    if not bool(peak <= MAX_MAGNITUDE):
        if not bool(torch.isfinite(t).all()):
            raise ParameterError(f"{name} contains NaN or infinite samples: expected finite audio")
        check_magnitude(t, name)
    return t


def spec_in(S, *, name: str = "S", min_ndim: int = 2, real: bool = False) -> torch.Tensor:
    """Validate a (non-negative or complex) spectrogram ``(..., n_bins, n_frames)``; return a tensor.

    Examples
    --------
    >>> S = spec_in(np.ones((5, 3)))
    >>> S.dtype, tuple(S.shape)
    (torch.float32, (5, 3))
    """
    if not is_tensor(S):
        arr = np.asarray(S)
        if arr.dtype.kind not in "fc":
            raise ParameterError(f"{name} has dtype {arr.dtype}: expected a floating-point spectrogram")
        S = torch.from_numpy(np.ascontiguousarray(arr).reshape(arr.shape))  # keep a 0-d array 0-d
    if S.ndim < min_ndim:
        raise ParameterError(f"{name} has shape {tuple(S.shape)}: expected (..., n_bins, n_frames)")
    if real and S.is_complex():
        raise ParameterError(f"{name} is complex: expected real values (take abs() or .real first)")
    if S.numel() == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(S.shape)}): expected at least one value")
    if not bool(torch.isfinite(S).all()):
        raise ParameterError(f"{name} contains NaN or infinite values: expected a finite spectrogram")
    if S.dtype == torch.float64:
        S = S.float()
    elif S.dtype == torch.complex128:
        S = S.to(torch.complex64)
    return S


def out(reference, value):
    """Return ``value`` as the kind of ``reference`` (array -> array, tensor -> tensor).

    Examples
    --------
    >>> type(out(np.zeros(1), torch.ones(2))).__name__, type(out(torch.zeros(1), torch.ones(2))).__name__
    ('ndarray', 'Tensor')
    """
    return like(reference, value)


def check_int(value, name: str, *, minimum: int = 1, allow_none: bool = False):
    """Validate an integer argument ``>= minimum`` and return it as ``int`` (``None`` passes when ``allow_none``).

    Examples
    --------
    >>> check_int(np.int64(4), "n_fft"), check_int(None, "hop_length", allow_none=True)
    (4, None)
    >>> check_int(0, "n_fft")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: n_fft=0: expected an integer >= 1
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool) and value >= minimum
    check(ok, name, value, f"an integer >= {minimum}")
    return int(value)


def check_sr(sr) -> float:
    """Validate a sample rate in Hz by the kit's one rule (:func:`musynth_lab.audio.check_sr`:
    a positive whole number) and return it as ``float``.

    Examples
    --------
    >>> check_sr(22050)
    22050.0
    >>> check_sr(22050.5)
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: sr=22050.5: expected a positive whole number of samples per second
    """
    return float(audio_check_sr(sr))


def check_hop(hop_length, default: int) -> int:
    """``hop_length`` validated as a positive integer, or ``default`` when it is ``None``.

    Examples
    --------
    >>> check_hop(None, 512), check_hop(256, 512)
    (512, 256)
    """
    if hop_length is None:
        return int(default)
    return check_int(hop_length, "hop_length")


def check_fmax(fmax, sr: float, *, name: str = "fmax"):
    """``fmax`` must lie in (0, sr/2]; ``None`` means sr/2.

    Examples
    --------
    >>> check_fmax(None, 22050.0), check_fmax(8000, 22050.0)
    (11025.0, 8000.0)
    """
    if fmax is None:
        return sr / 2.0
    ok = isinstance(fmax, (numbers.Real, np.number)) and 0 < float(fmax) <= sr / 2.0 + 1e-9
    check(ok, name, fmax, f"a frequency in (0, {sr / 2:g}] Hz (the Nyquist frequency at sr={sr:g})")
    return float(fmax)


def flatten(x: torch.Tensor, keep: int):
    """Reshape ``(..., *last keep dims)`` to ``(batch, *last)``; return it and the leading shape.

    Examples
    --------
    >>> x, lead = flatten(torch.zeros(2, 3, 5, 7), 2)
    >>> tuple(x.shape), lead
    ((6, 5, 7), (2, 3))
    """
    lead = tuple(x.shape[: x.ndim - keep])
    return x.reshape((-1,) + tuple(x.shape[x.ndim - keep :])), lead


def map_blocks(fn, x: torch.Tensor, step: int) -> list:
    """``[fn(x[i:i + step]) for i in range(0, len(x), step)]``: cache-sized blocks, in order.

    (A version that spread the blocks over Python worker threads with single-threaded torch
    kernels was faster at 2 threads in the benchmark but hung a Jupyter kernel once, mixing
    OpenMP teams across threads; it was removed. Multi-threading is torch's own, inside each
    block.)

    Examples
    --------
    >>> map_blocks(lambda b: int(b.sum()), torch.arange(5), 2)
    [1, 5, 4]
    """
    return [fn(x[i : i + step]) for i in range(0, x.shape[0], step)]


def translate_librosa_errors(fn):
    """Wrap ``fn`` so that librosa's ``ParameterError`` (not a ``ValueError``) comes out as ours.

    The features validate their arguments first; this is the safety net for what only librosa
    checks, applied once to every public function of :mod:`musynth_lab.features`.

    Examples
    --------
    >>> import librosa
    >>> f = translate_librosa_errors(lambda: librosa.util.normalize(np.ones(3), norm="nope"))
    >>> try:
    ...     f()
    ... except ParameterError as err:
    ...     print(type(err).__name__)
    ParameterError
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ParameterError:
            raise
        except Exception as err:  # noqa: BLE001
            if type(err).__module__.startswith("librosa"):
                raise ParameterError(f"{err} (refused by librosa in {fn.__name__})") from None
            raise

    return wrapper
