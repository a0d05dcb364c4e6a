"""Audio core: validation, array/tensor conversion, devices, seeding, I/O, playback, units.

Every other subpackage builds on this module. Conventions (see ``ARCHITECTURE.md``):

* audio is ``(..., n_samples)`` float32;
* a NumPy array in gives a NumPy array out, a torch tensor in gives a tensor out on its
  device; the conversion happens here and nowhere else (:func:`to_numpy`, :func:`to_tensor`,
  :func:`like`);
* anything that depends on the sample rate takes ``sr`` as a required keyword;
* bad input raises :class:`musynth_lab.ParameterError` naming the argument.

Chapter: notebooks/00_start_here.ipynb
"""

from __future__ import annotations

import math
import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import ParameterError, as_array, as_float, as_int, check, check_finite_result, short_repr

__all__ = [
    "as_audio",
    "to_numpy",
    "to_tensor",
    "like",
    "is_tensor",
    "get_device",
    "set_device",
    "seed_everything",
    "load",
    "save",
    "resample",
    "normalize",
    "soft_limit",
    "play",
    "hz_to_midi",
    "midi_to_hz",
    "midi_to_note",
    "note_to_midi",
    "amplitude_to_db",
    "db_to_amplitude",
    "power_to_db",
    "db_to_power",
]

# --------------------------------------------------------------------------------------
# Array / tensor conversion: the one place where NumPy and torch meet.
# --------------------------------------------------------------------------------------


def is_tensor(x: Any) -> bool:
    """True when ``x`` is a ``torch.Tensor``.

    Examples
    --------
    >>> is_tensor(torch.zeros(2)), is_tensor(np.zeros(2))
    (True, False)

    Chapter: notebooks/00_start_here.ipynb
    """
    return isinstance(x, torch.Tensor)


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array (a tensor is detached and copied to the CPU).

    Examples
    --------
    >>> to_numpy(torch.ones(2)).tolist()
    [1.0, 1.0]

    Chapter: notebooks/00_start_here.ipynb
    """
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_tensor(x: Any, *, device: str | torch.device | None = None, dtype=None) -> torch.Tensor:
    """Return ``x`` as a torch tensor (no copy when it already is one on ``device``).

    Parameters
    ----------
    x : array_like or torch.Tensor
    device : str or torch.device, optional
        Where the tensor should live; ``None`` keeps a tensor where it is and puts an
        array on the CPU.
    dtype : torch.dtype, optional

    Examples
    --------
    >>> to_tensor(np.zeros(3, dtype=np.float32)).shape
    torch.Size([3])

    Chapter: notebooks/00_start_here.ipynb
    """
    if isinstance(x, torch.Tensor):
        t = x
    else:
        arr = np.asarray(x)
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(np.float32)
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if device is not None or dtype is not None:
        t = t.to(device=device if device is not None else t.device, dtype=dtype or t.dtype)
    return t


def like(reference: Any, value: Any):
    """Return ``value`` in the kind of ``reference``: a tensor on its device, or an array.

    This is how a function keeps the promise "array in, array out; tensor in, tensor out".

    Examples
    --------
    >>> type(like(np.zeros(2), torch.ones(2))).__name__
    'ndarray'

    Chapter: notebooks/00_start_here.ipynb
    """
    if isinstance(reference, torch.Tensor):
        return to_tensor(value, device=reference.device)
    return to_numpy(value)


_PCM_SCALE = {np.dtype("int8"): 2**7, np.dtype("int16"): 2**15, np.dtype("int32"): 2**31}


def as_audio(
    y: Any,
    *,
    name: str = "y",
    mono: bool = False,
    allow_int: bool = True,
    min_samples: int = 1,
    dtype=None,
):
    """Validate an audio signal and return it as floating point of the same kind.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)]
        The signal. Integer PCM (int8, int16, int32, uint8) is scaled to [-1, 1) when
        ``allow_int`` is true; other dtypes (bool, complex, object) are refused.
    name : str
        The argument's name, used in error messages.
    mono : bool
        Require a 1-D signal ``(n_samples,)``.
    allow_int : bool
        Convert integer PCM instead of refusing it.
    min_samples : int
        The least number of samples along the last axis.
    dtype : numpy or torch float dtype, optional
        The floating dtype of the result; float32 by default (float64 input is kept
        as float64 only when asked for).

    Returns
    -------
    np.ndarray or torch.Tensor [shape=(..., n_samples)]
        Finite floating-point audio, the same kind (and device) as ``y``.

    Raises
    ------
    ParameterError
        Empty, NaN or infinite samples, a scalar, a non-numeric dtype, integer PCM when
        ``allow_int`` is false, a channels-last array such as ``(n_samples, 2)``, or a
        multi-channel array where ``mono`` is required.

    Examples
    --------
    >>> as_audio(np.array([0, 16384, -32768], dtype=np.int16)).tolist()
    [0.0, 0.5, -1.0]

    Chapter: notebooks/00_start_here.ipynb
    """
    if min_samples.__class__ is not int or min_samples < 1:
        min_samples = as_int(min_samples, "min_samples", low=1)
    tensor = isinstance(y, torch.Tensor)
    if not tensor:
        if isinstance(y, (list, tuple)):
            try:
                y = np.asarray(y, dtype=np.float32)
            except (TypeError, ValueError):
                raise ParameterError(f"{name}={_brief(y)}: expected audio samples (real numbers)") from None
        elif isinstance(y, (np.generic, int, float)) and not isinstance(y, bool):
            y = np.asarray(y)
        elif not isinstance(y, np.ndarray):
            raise ParameterError(f"{name}: expected a NumPy array or torch tensor of audio samples, got {type(y).__name__}")
    np_dtype = _torch_kind(y.dtype) if tensor else y.dtype
    if y.ndim == 0:
        raise ParameterError(f"{name}: expected at least 1-D audio (..., n_samples), got a scalar")
    if np_dtype.kind in "iu":
        if not allow_int:
            raise ParameterError(
                f"{name} has integer dtype {np_dtype}: expected floating-point audio in [-1, 1]; "
                "divide by 32768 (int16) or pass allow_int=True"
            )
        if np_dtype == np.dtype("uint8"):
            y = (y.float() if tensor else y.astype(np.float32)) / 128.0 - 1.0
        elif np_dtype in _PCM_SCALE:
            scale = float(_PCM_SCALE[np_dtype])
            y = (y.double() / scale).float() if tensor else (y.astype(np.float64) / scale).astype(np.float32)
        else:
            raise ParameterError(f"{name} has integer dtype {np_dtype}: expected int8, int16, int32 or uint8 PCM")
    elif np_dtype.kind != "f":
        raise ParameterError(f"{name} has dtype {np_dtype}: expected floating-point audio")
    target = dtype
    if target is None:
        target = torch.float32 if tensor else np.float32
        if (tensor and y.dtype == torch.float64) or (not tensor and y.dtype == np.float64):
            target = torch.float32 if tensor else np.float32
    y = y.to(target) if tensor else y.astype(target, copy=False)
    n = y.shape[-1]
    if y.numel() == 0 if tensor else y.size == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(y.shape)}): expected at least one sample")
    if n < min_samples:
        raise ParameterError(f"{name} has {n} samples: expected at least {min_samples}")
    if y.ndim == 2 and y.shape[-1] <= 2 < y.shape[0]:
        raise ParameterError(
            f"{name} has shape {tuple(y.shape)}, which looks channels-last (n_samples, channels): "
            "expected (channels, n_samples); transpose it"
        )
    if mono and y.ndim != 1:
        raise ParameterError(
            f"{name} has shape {tuple(y.shape)}: expected mono audio of shape (n_samples,); mix down with y.mean(axis=0)"
        )
    # One pass, no temporary: the extremes within +-MAX_MAGNITUDE mean finite and not too loud
    # (NaN fails both comparisons). Only a failing signal pays for the checks that name the fault.
    lo, hi = torch.aminmax(y.detach()) if tensor else (y.min(), y.max())
    if not (-MAX_MAGNITUDE <= float(lo) and float(hi) <= MAX_MAGNITUDE):
        finite = bool(torch.isfinite(y).all()) if tensor else bool(np.isfinite(y).all())
        if not finite:
            raise ParameterError(f"{name} contains NaN or infinite samples: expected finite audio")
        check_magnitude(y, name)
    return y


MAX_MAGNITUDE = 1e6


def _torch_kind(dtype) -> np.dtype:
    """The NumPy dtype standing for a torch dtype in :func:`as_audio`'s checks (bfloat16 and
    float8 count as floating point; a dtype NumPy lacks and torch does not call floating is refused)."""
    try:
        return np.dtype(str(dtype).replace("torch.", ""))
    except TypeError:
        if dtype.is_floating_point:
            return np.dtype(np.float32)
        return np.dtype(np.complex64) if dtype.is_complex else np.dtype(object)


def check_magnitude(y, name: str = "y"):
    """Refuse audio louder than ``MAX_MAGNITUDE`` (1e6; full scale is 1).

    The kit's rule against overflow: float32 powers and spectra of samples near 1e19 and
    beyond are infinite, so such input is refused up front (it is always a units mistake,
    e.g. int32 PCM not divided by 2**31) instead of coming back as inf.

    Examples
    --------
    >>> check_magnitude(np.array([0.5, -1.0]))
    >>> check_magnitude(np.array([1e30]))
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: y has a sample of magnitude 1e+30: expected audio within +-1e+06
    (full scale is 1); scale it down
    """
    peak = float(y.detach().abs().max()) if isinstance(y, torch.Tensor) else float(np.abs(y).max())
    if not peak <= MAX_MAGNITUDE:
        raise ParameterError(
            f"{name} has a sample of magnitude {peak:.3g}: expected audio within "
            f"+-{MAX_MAGNITUDE:.0e} (full scale is 1); scale it down"
        )


# --------------------------------------------------------------------------------------
# Devices and seeds
# --------------------------------------------------------------------------------------

_DEVICE_OVERRIDE: torch.device | None = None


def _validate_device(device) -> torch.device:
    if isinstance(device, torch.device):
        dev = device
    else:
        try:
            dev = torch.device(str(device))
        except RuntimeError:
            raise ParameterError(f"device={device!r}: expected 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r}: CUDA is not available here; use 'cpu'")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ParameterError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) here")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ParameterError(f"device={device!r}: Apple MPS is not available here; use 'cpu'")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ParameterError(f"device={device!r}: expected 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return dev


def get_device(device: str | torch.device | None = None) -> torch.device:
    """Choose the device: the one asked for, else CUDA, then Apple MPS, then the CPU.

    The choice can be overridden for a whole session with :func:`set_device` or the
    environment variable ``MUSYNTH_DEVICE`` (e.g. ``MUSYNTH_DEVICE=cpu``).

    Parameters
    ----------
    device : str or torch.device, optional
        ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ``'mps'``; ``None`` picks the best available.

    Raises
    ------
    ParameterError
        An unknown device name, or one that this machine does not have.

    Examples
    --------
    >>> get_device("cpu")
    device(type='cpu')

    Chapter: notebooks/00_start_here.ipynb
    """
    if device is not None:
        return _validate_device(device)
    if _DEVICE_OVERRIDE is not None:
        return _DEVICE_OVERRIDE
    env = os.environ.get("MUSYNTH_DEVICE")
    if env:
        return _validate_device(env)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_device(device: str | torch.device | None) -> torch.device:
    """Make ``device`` the default for :func:`get_device` (``None`` restores automatic choice).

    Examples
    --------
    >>> set_device("cpu")
    device(type='cpu')
    >>> get_device()
    device(type='cpu')
    >>> _ = set_device(None)        # back to the automatic choice

    Chapter: notebooks/00_start_here.ipynb
    """
    global _DEVICE_OVERRIDE
    _DEVICE_OVERRIDE = None if device is None else _validate_device(device)
    return get_device()


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) in one call.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    np.random.Generator
        A fresh generator seeded with ``seed``, for code that prefers explicit generators.

    Examples
    --------
    >>> g = seed_everything(1); a = torch.rand(1); _ = seed_everything(1); bool(torch.rand(1) == a)
    True

    Chapter: notebooks/00_start_here.ipynb
    """
    check(
        isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0, "seed", seed, "a non-negative integer"
    )
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------
# Loading, saving, resampling
# --------------------------------------------------------------------------------------


def check_sr(sr, name: str = "sr") -> int:
    """A sample rate in Hz: a positive, finite whole number (``ParameterError`` otherwise).

    The one sample-rate rule of the kit: ``musynth_lab.features``, ``synth``, ``plot``,
    ``attention`` and ``latency`` all call it (``features`` returns it as a float).

    Parameters
    ----------
    sr : int or float
        Samples per second; ``22050`` and ``22050.0`` pass, ``22050.5``, ``0``, ``nan``,
        ``True`` and ``"22050"`` do not.
    name : str
        The argument's name in the error message.

    Returns
    -------
    int

    Examples
    --------
    >>> check_sr(22050.0)
    22050
    >>> check_sr(22050.5)
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: sr=22050.5: expected a positive whole number of samples per second

    Chapter: notebooks/00_start_here.ipynb
    """
    check(
        isinstance(sr, (int, float, np.integer, np.floating))
        and not isinstance(sr, bool)
        and math.isfinite(sr)
        and sr > 0
        and float(sr) == int(sr),
        name,
        sr,
        "a positive whole number of samples per second",
    )
    return int(sr)


def resample(y, *, orig_sr: int, target_sr: int):
    """Change the sample rate of ``y`` (band-limited; librosa's soxr 'high quality').

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)]
    orig_sr, target_sr : int
        Sample rates in Hz.

    Returns
    -------
    np.ndarray or torch.Tensor [shape=(..., ceil(n_samples * target_sr / orig_sr))]
        Same kind as ``y``. A tensor is resampled on the CPU (not differentiable).

    Examples
    --------
    >>> resample(np.zeros(16000, dtype=np.float32), orig_sr=16000, target_sr=8000).shape
    (8000,)

    Chapter: notebooks/00_start_here.ipynb
    """
    # librosa, soundfile and IPython are imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    y = as_audio(y)
    orig_sr = check_sr(orig_sr, "orig_sr")
    target_sr = check_sr(target_sr, "target_sr")
    if orig_sr == target_sr:
        return y
    out = librosa.resample(to_numpy(y), orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    return like(y, out.astype(np.float32))


def load(path, *, sr: int | None = None, mono: bool = True, offset: float = 0.0, duration: float | None = None):
    """Read an audio file with soundfile, optionally mixed to mono and resampled.

    Parameters
    ----------
    path : str or Path
        A WAV, FLAC or OGG file.
    sr : int, optional
        Resample to this rate (Hz); ``None`` keeps the file's rate.
    mono : bool
        Average the channels.
    offset, duration : float
        Start and length to read, in seconds.

    Returns
    -------
    y : np.ndarray [shape=(n_samples,) or (channels, n_samples)], float32
    sr : int
        The sample rate of ``y``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ParameterError
        A file soundfile cannot decode, or bad ``offset``/``duration``/``sr``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> save(p, np.zeros(800, dtype=np.float32), sr=8000)
    >>> load(p, sr=16000)[0].shape
    (1600,)

    Chapter: notebooks/00_start_here.ipynb
    """
    import soundfile as sf

    path = _as_path(path)
    if not path.exists():
        raise FileNotFoundError(f"path={str(path)!r}: no such audio file")
    sr = None if sr is None else check_sr(sr)
    offset = as_float(offset, "offset", low=0)
    duration = as_float(duration, "duration", low=0, low_open=True, allow_none=True)
    try:
        info = sf.info(str(path))
        start = int(round(offset * info.samplerate))
        frames = -1 if duration is None else int(round(duration * info.samplerate))
        data, file_sr = sf.read(str(path), start=start, frames=frames, dtype="float32", always_2d=True)
    except (RuntimeError, getattr(sf, "LibsndfileError", RuntimeError)) as err:
        raise ParameterError(f"path={str(path)!r}: not a readable audio file ({err})") from None
    y = data.T  # (channels, n)
    if y.shape[-1] == 0:
        raise ParameterError(f"path={str(path)!r} with offset={offset}: no samples read")
    y = y.mean(axis=0) if mono else (y[0] if y.shape[0] == 1 else y)
    y = np.ascontiguousarray(y, dtype=np.float32)
    if sr is not None and sr != file_sr:
        y = resample(y, orig_sr=file_sr, target_sr=sr)
        file_sr = int(sr)
    return y, int(file_sr)


def _as_path(path) -> Path:
    check(isinstance(path, (str, os.PathLike)) and str(path) != "", "path", path, "a file path (str or Path)")
    return Path(path)


def save(path, y, *, sr: int, overwrite: bool = False, subtype: str | None = None) -> None:
    """Write audio with soundfile; never overwrites an existing file unless asked.

    Parameters
    ----------
    path : str or Path
        The file to write; its extension chooses the format (.wav, .flac, .ogg).
    y : np.ndarray or torch.Tensor [shape=(n_samples,) or (channels, n_samples)]
    sr : int
        Sample rate in Hz.
    overwrite : bool
        Replace an existing file. Without it, an existing file raises ``FileExistsError``.
    subtype : str, optional
        soundfile subtype, e.g. ``'PCM_16'`` (default for WAV/FLAC) or ``'FLOAT'``.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is false.
    ParameterError
        A peak above full scale with an integer subtype (it would clip), or bad audio.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = Path(d) / "half.wav"
    ...     save(path, np.full(100, 0.5, dtype=np.float32), sr=8000)
    ...     y, file_sr = load(path)
    ...     try:
    ...         save(path, y, sr=8000)
    ...     except FileExistsError:
    ...         print("kept the existing file")
    kept the existing file
    >>> y.shape, file_sr, round(float(y[0]), 3)
    ((100,), 8000, 0.5)

    Chapter: notebooks/00_start_here.ipynb
    """
    import soundfile as sf

    path = _as_path(path)
    sr = check_sr(sr)
    fmt = path.suffix.lower().lstrip(".").upper()
    check(
        fmt in sf.available_formats(),
        "path",
        str(path),
        "a file name ending in a format soundfile writes (.wav, .flac, .ogg, ...)",
    )
    check(path.parent.is_dir(), "path", str(path), "a file in an existing folder")
    check(
        subtype is None or (isinstance(subtype, str) and subtype.upper() in sf.available_subtypes(fmt)),
        "subtype",
        subtype,
        f"one of {', '.join(sorted(sf.available_subtypes(fmt)))} for .{fmt.lower()}",
    )
    if path.exists() and not overwrite:
        raise FileExistsError(f"path={str(path)!r} exists: pass overwrite=True to replace it")
    y = to_numpy(as_audio(y))
    check(y.ndim in (1, 2), "y", y, "shape (n_samples,) or (channels, n_samples)")
    subtype = subtype or ("PCM_16" if path.suffix.lower() in (".wav", ".flac") else None)
    peak = float(np.abs(y).max())
    if subtype and subtype.startswith("PCM") and peak > 1.0:
        raise ParameterError(
            f"y has peak {peak:.3f} > 1.0, which {subtype} would clip: expected audio in [-1, 1]; "
            "use musynth_lab.audio.normalize(y) or subtype='FLOAT'"
        )
    try:
        sf.write(str(path), y.T, sr, subtype=subtype)
    except (TypeError, ValueError, RuntimeError) as err:  # soundfile's refusals, at this one boundary
        raise ParameterError(f"path={str(path)!r}: soundfile cannot write this ({err})") from None


# --------------------------------------------------------------------------------------
# Levels and playback
# --------------------------------------------------------------------------------------


def normalize(y, *, peak_db: float = -1.0):
    """Scale ``y`` so that its largest absolute sample is ``peak_db`` dBFS (silence stays silent).

    Examples
    --------
    >>> round(float(np.abs(normalize(np.array([0.0, 0.25]), peak_db=0.0)).max()), 6)
    1.0

    Chapter: notebooks/00_start_here.ipynb
    """
    y = as_audio(y)
    peak_db = as_float(peak_db, "peak_db", high=0)
    peak = float(y.abs().max()) if is_tensor(y) else float(np.abs(y).max())
    if peak == 0.0:
        return y
    return y * (float(db_to_amplitude(peak_db)) / peak)


def soft_limit(y, *, threshold: float = 0.9):
    """Pass samples below ``threshold`` unchanged and bend larger ones smoothly under 1.0.

    Above the threshold ``t`` a sample of magnitude ``a`` becomes
    ``t + (1 - t) * tanh((a - t) / (1 - t))``: continuous, monotonic, never above 1.

    Examples
    --------
    >>> float(np.abs(soft_limit(np.array([1.5, -50.0]))).max()) <= 1.0
    True

    Chapter: notebooks/00_start_here.ipynb
    """
    threshold = as_float(threshold, "threshold", low=0, high=1, low_open=True, high_open=True)
    y = as_audio(y)
    t = threshold
    if is_tensor(y):
        a = y.abs()
        over = t + (1 - t) * torch.tanh((a - t) / (1 - t))
        return torch.where(a > t, torch.sign(y) * over, y)
    a = np.abs(y)
    over = t + (1 - t) * np.tanh((a - t) / (1 - t))
    return np.where(a > t, np.sign(y) * over, y).astype(y.dtype)


def play(y, *, sr: int, normalize_peak: bool = True, limit: bool = True, autoplay: bool = False):
    """A notebook audio player for ``y``: peak-normalised to -1 dBFS, soft-limited, no autoplay.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(n_samples,) or (2, n_samples)]
        Mono or stereo audio.
    sr : int
        Sample rate in Hz.
    normalize_peak : bool
        Scale to a -1 dBFS peak, so quiet and loud examples play at a comfortable level.
        Turn it off to hear real level differences (then the limiter guards the ears).
    limit : bool
        Apply :func:`soft_limit` so nothing exceeds full scale.
    autoplay : bool
        Off by default: a notebook should not start sounds by itself.

    Returns
    -------
    IPython.display.Audio

    Examples
    --------
    >>> player = play(np.zeros(100, dtype=np.float32), sr=8000)
    >>> type(player).__name__
    'Audio'

    Chapter: notebooks/00_start_here.ipynb
    """
    from IPython.display import Audio

    sr = check_sr(sr)
    y = to_numpy(as_audio(y)).astype(np.float32)
    check(y.ndim == 1 or (y.ndim == 2 and y.shape[0] in (1, 2)), "y", y, "mono (n_samples,) or stereo (2, n_samples) audio")
    if normalize_peak:
        y = normalize(y)
    if limit:
        y = soft_limit(y)
    return Audio(y, rate=sr, normalize=False, autoplay=autoplay)


# --------------------------------------------------------------------------------------
# Unit conversions (array -> array, tensor -> tensor, number -> float)
# --------------------------------------------------------------------------------------


def _num(x, name: str):
    """A number or array for the unit conversions: real and finite (None, strings, complex, NaN refused)."""
    if isinstance(x, torch.Tensor):
        check(not (x.is_complex() or x.dtype == torch.bool), name, x, "real numbers")
        check(bool(torch.isfinite(x).all()), name, x, "finite numbers (no NaN or inf)")
        return x, True
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)):
        return np.asarray(as_float(x, name)), False
    return as_array(x, name, allow_empty=True), False


def _out(x, value, tensor: bool):
    if tensor:
        return value
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(value)
    return value


def hz_to_midi(frequency_hz, *, tuning_hz: float = 440.0):
    """Frequency in Hz to a (fractional) MIDI note number; A4 = 69 = ``tuning_hz``.

    Raises ``ParameterError`` for frequencies at or below 0 Hz.

    Examples
    --------
    >>> hz_to_midi(440.0), round(hz_to_midi(261.6256), 3)
    (69.0, 60.0)

    Chapter: notebooks/00_start_here.ipynb
    """
    tuning_hz = as_float(tuning_hz, "tuning_hz", low=0, low_open=True)
    f, tensor = _num(frequency_hz, "frequency_hz")
    bad = bool((f <= 0).any()) if tensor else bool(np.any(f <= 0))
    if bad:
        raise ParameterError(f"frequency_hz={_brief(frequency_hz)}: expected frequencies above 0 Hz")
    log2 = torch.log2 if tensor else np.log2
    return _out(frequency_hz, 69.0 + 12.0 * log2(f / tuning_hz), tensor)


def midi_to_hz(midi, *, tuning_hz: float = 440.0):
    """MIDI note number (fractional allowed) to frequency in Hz.

    Examples
    --------
    >>> midi_to_hz(69), round(midi_to_hz(60), 4)
    (440.0, 261.6256)

    Chapter: notebooks/00_start_here.ipynb
    """
    tuning_hz = as_float(tuning_hz, "tuning_hz", low=0, low_open=True)
    m, tensor = _num(midi, "midi")
    return _out(midi, check_finite_result(tuning_hz * 2.0 ** ((m - 69.0) / 12.0), "midi", "the frequency"), tensor)


_NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_NOTE_OFFSETS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def midi_to_note(midi: int) -> str:
    """MIDI number to a note name with octave, e.g. ``60 -> 'C4'``.

    Examples
    --------
    >>> midi_to_note(61)
    'C#4'

    Chapter: notebooks/00_start_here.ipynb
    """
    check(isinstance(midi, (int, np.integer)) and 0 <= midi <= 127, "midi", midi, "an integer in 0..127")
    return f"{_NOTE_NAMES[int(midi) % 12]}{int(midi) // 12 - 1}"


def note_to_midi(note: str) -> int:
    """Note name to MIDI number: ``'A4' -> 69``, ``'C#3'``, ``'Eb5'``, ``'Bb-1'``.

    Examples
    --------
    >>> note_to_midi("A4"), note_to_midi("Eb5")
    (69, 75)

    Chapter: notebooks/00_start_here.ipynb
    """
    m = re.fullmatch(r"\s*([A-Ga-g])([#b♯♭]*)(-?\d+)\s*", str(note))
    if not m:
        raise ParameterError(f"note={note!r}: expected a name like 'C4', 'F#3' or 'Bb5'")
    letter, acc, octave = m.groups()
    pc = _NOTE_OFFSETS[letter.upper()] + acc.count("#") + acc.count("♯") - acc.count("b") - acc.count("♭")
    return (int(octave) + 1) * 12 + pc


def amplitude_to_db(amplitude, *, ref: float = 1.0, amin: float = 1e-5, top_db: float | None = None):
    """Amplitude to decibels, ``20 log10(max(amin, |a|) / ref)``; silence gives a floor, not -inf.

    Examples
    --------
    >>> amplitude_to_db(1.0), amplitude_to_db(0.0)
    (0.0, -100.0)

    Chapter: notebooks/00_start_here.ipynb
    """
    ref = as_float(ref, "ref", low=0, low_open=True)
    amin = as_float(amin, "amin", low=0, low_open=True)
    a, tensor = _num(amplitude, "amplitude")
    power = a.abs() ** 2 if tensor else np.abs(a) ** 2
    # As librosa does: the dB of an amplitude is the dB of its power.
    return _out(amplitude, power_to_db(power, ref=ref**2, amin=amin**2, top_db=top_db), tensor)


def db_to_amplitude(db, *, ref: float = 1.0):
    """Decibels to amplitude, ``ref * 10**(db / 20)``.

    Examples
    --------
    >>> round(db_to_amplitude(-6.0206), 4)
    0.5

    Chapter: notebooks/00_start_here.ipynb
    """
    ref = as_float(ref, "ref", low=0, low_open=True)
    d, tensor = _num(db, "db")
    return _out(db, check_finite_result(ref * 10.0 ** (d / 20.0), "db", "10**(db/20)"), tensor)


def power_to_db(power, *, ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0):
    """Power to decibels, ``10 log10(max(amin, p) / ref)``, as ``librosa.power_to_db``.

    Examples
    --------
    >>> power_to_db(100.0, top_db=None)
    20.0

    Chapter: notebooks/00_start_here.ipynb
    """
    ref = as_float(ref, "ref", low=0, low_open=True)
    amin = as_float(amin, "amin", low=0, low_open=True)
    top_db = as_float(top_db, "top_db", low=0, allow_none=True)
    p, tensor = _num(power, "power")
    if tensor:
        db = 10.0 * torch.log10(torch.clamp(p, min=amin)) - 10.0 * math.log10(max(amin, ref))
        if top_db is not None:
            db = torch.maximum(db, db.max() - top_db) if db.numel() else db
    else:
        db = 10.0 * np.log10(np.maximum(amin, p)) - 10.0 * np.log10(max(amin, ref))
        if top_db is not None and db.size:
            db = np.maximum(db, db.max() - top_db)
    return _out(power, db, tensor)


def db_to_power(db, *, ref: float = 1.0):
    """Decibels to power, ``ref * 10**(db / 10)``.

    Examples
    --------
    >>> db_to_power(20.0)
    100.0

    Chapter: notebooks/00_start_here.ipynb
    """
    ref = as_float(ref, "ref", low=0, low_open=True)
    d, tensor = _num(db, "db")
    return _out(db, check_finite_result(ref * 10.0 ** (d / 10.0), "db", "10**(db/10)"), tensor)


def _brief(x) -> str:
    return short_repr(x)
