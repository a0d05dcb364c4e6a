"""Transforms: FFT spectrum of a whole signal, STFT / inverse STFT, magnitude, power and dB.

The STFT follows librosa's conventions exactly (periodic window of ``win_length`` centred in
``n_fft``, ``center=True`` pads ``n_fft // 2`` samples on each side with ``pad_mode``, frame
``t`` starts at sample ``t * hop_length`` of the padded signal, only the non-negative
frequencies are kept), so ``stft(y)`` matches ``librosa.stft(y)`` to float32 rounding. It is
computed with a real FFT in torch, batched over leading dimensions, on the tensor's device.

Helpers the other feature modules share (public, not in ``__all__``; they take checked
tensors): :func:`center_pad`, :func:`stft_frames`, :func:`stft_setup`,
:func:`power_spectrogram` (the blocked ``|STFT| ** power`` kernel), :func:`resolve_spectrogram`
(the ``y`` or ``S`` pair) and :func:`power_to_db_tensor`.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError, check, check_finite_result
from ._util import audio_in, check_hop, check_int, check_sr, map_blocks, out, spec_in

__all__ = [
    "get_window",
    "frame",
    "stft",
    "istft",
    "fft_spectrum",
    "magnitude",
    "power",
    "power_to_db",
    "amplitude_to_db",
    "db_to_power",
    "db_to_amplitude",
    "fft_frequencies",
]

_TORCH_PAD = {
    "constant": "constant",
    "reflect": "reflect",
    "edge": "replicate",
    "replicate": "replicate",
    "wrap": "circular",
    "circular": "circular",
}


@functools.lru_cache(maxsize=64)
def _window_np(window, win_length: int, n_fft: int) -> np.ndarray:
    # librosa is imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    w = librosa.filters.get_window(window, win_length, fftbins=True)
    return librosa.util.pad_center(w, size=n_fft).astype(np.float64)


_WIN_CACHE: dict = {}


def get_window(
    window="hann", win_length: int = 2048, *, n_fft: int | None = None, device=None, dtype=torch.float32
) -> torch.Tensor:
    """A periodic analysis window (librosa/scipy names: 'hann', 'hamming', ('kaiser', 8), ...).

    Parameters
    ----------
    window : str, tuple, float or array_like
        As ``scipy.signal.get_window``; an array of length ``win_length`` is used as is.
    win_length : int
        Length of the window in samples.
    n_fft : int, optional
        Zero-pad the window (centred) to this length, as librosa does.

    Returns
    -------
    torch.Tensor [shape=(n_fft or win_length,)]

    Examples
    --------
    >>> get_window("hann", 4).tolist()
    [0.0, 0.5, 1.0, 0.5]

    Chapter: notebooks/03_features.ipynb
    """
    n_fft = win_length if n_fft is None else n_fft
    check_int(win_length, "win_length")
    check(win_length <= n_fft, "win_length", win_length, f"at most n_fft={n_fft}")
    if isinstance(window, (np.ndarray, torch.Tensor, list)):
        w = np.asarray(window.cpu() if isinstance(window, torch.Tensor) else window, dtype=np.float64)
        check(w.shape == (win_length,), "window", window, f"an array of length win_length={win_length}")
        lpad = (n_fft - win_length) // 2
        w = np.pad(w, (lpad, n_fft - win_length - lpad))
        return torch.as_tensor(w, dtype=dtype, device=device)
    key = (window, win_length, n_fft, str(device), dtype)
    w = _WIN_CACHE.get(key)
    if w is None:
        try:
            w_np = _window_np(window, win_length, n_fft)
        except (ValueError, TypeError) as err:
            raise ParameterError(f"window={window!r}: expected a scipy window name such as 'hann' ({err})") from None
        w = torch.as_tensor(w_np, dtype=dtype, device=device)
        if len(_WIN_CACHE) > 256:
            _WIN_CACHE.clear()
        _WIN_CACHE[key] = w
    return w


def center_pad(x: torch.Tensor, pad: int, pad_mode: str) -> torch.Tensor:
    """``x (..., n)`` padded by ``pad`` samples on each side with numpy's ``pad_mode`` (the STFT's centring)."""
    mode = _TORCH_PAD.get(pad_mode)
    if mode is None:
        raise ParameterError(f"pad_mode={pad_mode!r}: expected one of {sorted(_TORCH_PAD)}")
    if pad == 0:
        return x
    if mode == "constant":
        return F.pad(x, (pad, pad))
    if mode == "reflect" and pad >= x.shape[-1]:
        raise ParameterError(
            f"pad_mode='reflect' needs more than n_fft // 2 = {pad} samples; got {x.shape[-1]}: use pad_mode='constant'"
        )
    lead = x.shape[:-1]
    y = F.pad(x.reshape(-1, 1, x.shape[-1]), (pad, pad), mode=mode)
    return y.reshape(lead + (y.shape[-1],))


def frame(y, *, frame_length: int, hop_length: int):
    """Overlapping frames of ``y`` as a strided view (librosa's ``util.frame`` on the last axis).

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)]
    frame_length, hop_length : int
        Frame length and hop in samples.

    Returns
    -------
    frames : same kind [shape=(..., frame_length, n_frames)]
        ``n_frames = 1 + (n_samples - frame_length) // hop_length``.

    Examples
    --------
    >>> frame(np.arange(6.0), frame_length=4, hop_length=2).shape
    (4, 2)

    Chapter: notebooks/03_features.ipynb
    """
    x = audio_in(y)
    frame_length = check_int(frame_length, "frame_length")
    hop_length = check_int(hop_length, "hop_length")
    check(frame_length <= x.shape[-1], "frame_length", frame_length, f"at most the signal length {x.shape[-1]}")
    return out(y, x.unfold(-1, frame_length, hop_length).transpose(-1, -2))


def _stft_tf(x: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor, center: bool, pad_mode: str) -> torch.Tensor:
    """STFT of a validated tensor, frames-major: (..., n_frames, 1 + n_fft // 2) complex."""
    frames = stft_frames(x, n_fft, hop_length, center, pad_mode)  # (..., T, n_fft), a strided view
    if x.device.type != "cpu" or frames.ndim < 3 or (torch.is_grad_enabled() and x.requires_grad):
        return torch.fft.rfft(frames * window, dim=-1)
    # CPU, batch: window and transform a few recordings at a time straight into the output,
    # so the windowed frames stay in cache (~1.4x faster than windowing the whole batch first)
    lead = frames.shape[:-2]
    fr = frames.reshape((-1,) + frames.shape[-2:])
    T = fr.shape[1]
    D = torch.empty((fr.shape[0], T, n_fft // 2 + 1), dtype=torch.complex64)
    step = max(1, (1 << 20) // max(1, T * n_fft))
    for i in range(0, fr.shape[0], step):
        torch.fft.rfft(fr[i : i + step] * window, dim=-1, out=D[i : i + step])
    return D.reshape(lead + D.shape[1:])


def stft_frames(x: torch.Tensor, n_fft: int, hop_length: int, center: bool, pad_mode: str) -> torch.Tensor:
    """The STFT's frames of ``x (..., n)`` as a view ``(..., T, n_fft)`` (centred: padded by n_fft // 2)."""
    if center:
        x = center_pad(x, n_fft // 2, pad_mode)
    if x.shape[-1] < n_fft:
        raise ParameterError(
            f"n_fft={n_fft}: expected at most the signal length {x.shape[-1]} (or center=True, which pads the signal)"
        )
    return x.unfold(-1, n_fft, hop_length)


def stft_setup(n_fft, hop_length, win_length, window, device):
    """Check the STFT arguments; returns ``(n_fft, hop_length, window)``, the window a tensor on ``device``."""
    n_fft = check_int(n_fft, "n_fft")
    hop_length = check_hop(hop_length, n_fft // 4)
    win_length = n_fft if win_length is None else check_int(win_length, "win_length")
    check(win_length <= n_fft, "win_length", win_length, f"at most n_fft={n_fft}")
    w = get_window(window, win_length, n_fft=n_fft, device=device)
    return n_fft, hop_length, w


_CHUNK_ELEMENTS = 1 << 21  # frames x n_fft per block on the CPU (~8 MB of float32)


def power_spectrogram(
    x: torch.Tensor, *, n_fft: int, hop_length: int, window: torch.Tensor, center: bool, pad_mode: str, power: float, reduce=None
) -> torch.Tensor:
    """``|STFT(x)| ** power`` bins-major ``(..., 1 + n_fft // 2, n_frames)``, optionally reduced.

    ``reduce`` maps a block ``(b, n_bins, n_frames)`` to ``(b, k, n_frames)`` (e.g. a mel
    filterbank); it is applied block by block so the full spectrogram is never stored.
    """
    lead = x.shape[:-1]
    frames = stft_frames(x.reshape(-1, x.shape[-1]), n_fft, hop_length, center, pad_mode)  # (B, T, n_fft) view
    T = frames.shape[1]

    def block(fr):
        Z = torch.fft.rfft(fr * window, dim=-1)  # (b, T, F)
        if power == 2.0:
            R = torch.view_as_real(Z)
            P = R[..., 0].square().addcmul_(R[..., 1], R[..., 1])
        elif power == 1.0:
            P = Z.abs()
        else:
            P = Z.abs().pow(power)
        P = P.transpose(-1, -2).contiguous()  # (b, F, T): bins-major for the filterbanks
        return P if reduce is None else reduce(P)

    if x.device.type != "cpu" or x.requires_grad:
        parts = [block(frames)]
    else:
        step = max(1, _CHUNK_ELEMENTS // max(1, T * n_fft))
        parts = map_blocks(block, frames, step)
    S = parts[0] if len(parts) == 1 else torch.cat(parts, dim=0)
    return S.reshape(lead + S.shape[-2:])


def resolve_spectrogram(y, S, *, n_fft, hop_length, win_length, window, center, pad_mode, power, reduce=None):
    """The ``y`` or ``S`` pair of the spectral features (librosa's ``_spectrogram``).

    Uses ``S`` if given, else ``|stft(y)| ** power``; returns ``(tensor, n_fft, ref)``.
    """
    if S is not None:
        St = spec_in(S)
        if St.is_complex():
            St = St.abs()
        St = St.float()
        n_fft = 2 * (St.shape[-2] - 1)
        return (St if reduce is None else reduce(St)), n_fft, S
    x = audio_in(y)
    n_fft, hop_length, w = stft_setup(n_fft, hop_length, win_length, window, x.device)
    check(power > 0, "power", power, "a positive exponent (1 for magnitude, 2 for power)")
    St = power_spectrogram(
        x, n_fft=n_fft, hop_length=hop_length, window=w, center=center, pad_mode=pad_mode, power=float(power), reduce=reduce
    )
    return St, n_fft, y


def stft(
    y,
    *,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window="hann",
    center: bool = True,
    dtype=None,
    pad_mode: str = "constant",
):
    """Short-time Fourier transform, as ``librosa.stft``.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)], float
        The signal (any leading dimensions are a batch).
    n_fft : int
        FFT length in samples (2048 at 22.05 kHz is 93 ms).
    hop_length : int, optional
        Samples between frames; ``n_fft // 4`` by default. Need not divide ``n_fft``.
    win_length : int, optional
        Window length (zero-padded to ``n_fft``); ``n_fft`` by default.
    window : str, tuple or array_like
        A scipy window name ('hann', 'hamming', ...) or the window itself.
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at ``t * hop_length``.
    dtype : ignored
        Output is complex64 (kept for librosa's signature).
    pad_mode : str
        'constant' (zeros, librosa's default), 'reflect' or 'edge'.

    Returns
    -------
    D : complex64, same kind as ``y`` [shape=(..., 1 + n_fft // 2, n_frames)]
        ``n_frames = 1 + n_samples // hop_length`` when ``center`` (else
        ``1 + (n_samples - n_fft) // hop_length``).

    Raises
    ------
    ParameterError
        ``n_fft`` longer than the signal with ``center=False``, ``hop_length`` below 1,
        integer PCM, NaN samples, a channels-last array.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> D = stft(y, n_fft=2048, hop_length=512)
    >>> D.shape, int(np.abs(D[:, 10]).argmax())   # 1000 Hz is bin 1000 / (22050 / 2048) ~ 93
    ((1025, 44), 93)

    Chapter: notebooks/03_features.ipynb
    """
    x = audio_in(y)
    n_fft, hop_length, w = stft_setup(n_fft, hop_length, win_length, window, x.device)
    D = _stft_tf(x, n_fft, hop_length, w, center, pad_mode).transpose(-1, -2)
    return out(y, D)


def istft(
    stft_matrix,
    *,
    hop_length: int | None = None,
    win_length: int | None = None,
    n_fft: int | None = None,
    window="hann",
    center: bool = True,
    dtype=None,
    length: int | None = None,
):
    """Inverse STFT by weighted overlap-add, as ``librosa.istft``.

    Parameters
    ----------
    stft_matrix : complex np.ndarray or torch.Tensor [shape=(..., 1 + n_fft // 2, n_frames)]
    hop_length, win_length, n_fft, window, center
        As in :func:`stft`; ``n_fft = 2 * (n_bins - 1)`` by default.
    length : int, optional
        Trim or zero-pad the output to exactly this many samples.

    Returns
    -------
    y : float32, same kind [shape=(..., n_samples)]

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    >>> bool(np.allclose(istft(stft(y, n_fft=512), n_fft=512, length=4000), y, atol=1e-5))
    True

    Chapter: notebooks/03_features.ipynb
    """
    S = spec_in(stft_matrix, name="stft_matrix")
    check(S.is_complex(), "stft_matrix", stft_matrix, "a complex STFT (..., 1 + n_fft // 2, n_frames)")
    n_bins, n_frames = S.shape[-2], S.shape[-1]
    n_fft = 2 * (n_bins - 1) if n_fft is None else check_int(n_fft, "n_fft")
    check(n_fft // 2 + 1 == n_bins, "n_fft", n_fft, f"2 * (n_bins - 1) = {2 * (n_bins - 1)} for {n_bins} bins")
    n_fft, hop_length, w = stft_setup(n_fft, hop_length, win_length, window, S.device)
    lead = S.shape[:-2]
    frames = torch.fft.irfft(S.reshape((-1, n_bins, n_frames)).transpose(1, 2), n=n_fft, dim=-1) * w
    total = n_fft + hop_length * (n_frames - 1)
    y = F.fold(frames.transpose(1, 2), output_size=(1, total), kernel_size=(1, n_fft), stride=(1, hop_length)).reshape(
        frames.shape[0], total
    )
    wss = F.fold(
        (w * w).reshape(1, n_fft, 1).expand(1, n_fft, n_frames),
        output_size=(1, total),
        kernel_size=(1, n_fft),
        stride=(1, hop_length),
    ).reshape(total)
    tiny = torch.finfo(wss.dtype).tiny
    y = torch.where(wss > tiny, y / torch.where(wss > tiny, wss, torch.ones_like(wss)), y)
    start = n_fft // 2 if center else 0
    if length is None:
        stop = total - (n_fft // 2 if center else 0)
    else:
        length = check_int(length, "length")
        stop = start + length
    y = y[:, start:stop]
    if length is not None and y.shape[-1] < length:
        y = F.pad(y, (0, length - y.shape[-1]))
    return out(stft_matrix, y.reshape(lead + (y.shape[-1],)))


def fft_spectrum(y, *, sr: float, window="hann"):
    """Magnitude spectrum of a whole signal (one FFT, no time axis): ``(freqs_hz, |Y|)``.

    A whole-signal FFT gives a spectrum, not a time-frequency representation: for that use
    :func:`stft`. The window is applied over the whole signal and the magnitude is scaled so a
    full-scale sinusoid on a bin reads 1.0.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)]
    sr : float
        Sample rate in Hz.
    window : str or None
        Window name, or None for a rectangular window.

    Returns
    -------
    freqs : same kind [shape=(n_samples // 2 + 1,)], Hz
    magnitude : same kind [shape=(..., n_samples // 2 + 1)]

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 441 * np.arange(22050) / 22050).astype(np.float32)
    >>> f, m = fft_spectrum(y, sr=22050)
    >>> float(f[m.argmax()]), round(float(m.max()), 3)
    (441.0, 1.0)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    x = audio_in(y)
    n = x.shape[-1]
    w = torch.ones(n, device=x.device) if window is None else get_window(window, n, device=x.device)
    mag = torch.fft.rfft(x * w, dim=-1).abs() * (2.0 / w.sum().clamp_min(1e-12))
    freqs = torch.fft.rfftfreq(n, 1.0 / sr, device=x.device)
    return out(y, freqs), out(y, mag)


def fft_frequencies(*, sr: float, n_fft: int) -> np.ndarray:
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` STFT bins, as ``librosa.fft_frequencies``.

    Examples
    --------
    >>> fft_frequencies(sr=8000, n_fft=8).tolist()
    [0.0, 1000.0, 2000.0, 3000.0, 4000.0]

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    n_fft = check_int(n_fft, "n_fft")
    return np.fft.rfftfreq(n_fft, 1.0 / sr)


def magnitude(D):
    """``|D|`` of a complex STFT (same kind and shape).

    Examples
    --------
    >>> magnitude(np.array([3 + 4j])).tolist()
    [5.0]

    Chapter: notebooks/03_features.ipynb
    """
    t = spec_in(D, name="D", min_ndim=1)
    return out(D, t.abs())


def power(D):
    """``|D|**2`` of a complex STFT (same kind and shape).

    Examples
    --------
    >>> power(np.array([3 + 4j])).tolist()
    [25.0]

    Chapter: notebooks/03_features.ipynb
    """
    t = spec_in(D, name="D", min_ndim=1)
    return out(D, check_finite_result(_power(t), "D", "|D|**2"))


def _power(D: torch.Tensor) -> torch.Tensor:
    if D.is_complex():
        return torch.view_as_real(D).square().sum(-1)
    return D.square()


def _is_max(ref) -> bool:
    return ref in (np.max, np.amax, torch.max, torch.amax, max, "max")


def _reduce_max(x: torch.Tensor) -> torch.Tensor:
    dims = tuple(range(max(x.ndim - 2, 0), x.ndim))
    return torch.amax(x, dim=dims, keepdim=True) if dims else x


def power_to_db(S, *, ref=1.0, amin: float = 1e-10, top_db: float | None = 80.0):
    """``10 log10(S / ref)`` with a floor ``amin`` and a range limit ``top_db``, as librosa's.

    Parameters
    ----------
    S : np.ndarray or torch.Tensor [shape=(..., n_bins, n_frames)] or any shape
        Power (non-negative).
    ref : float or callable
        Reference power; ``np.max`` (or ``'max'``) uses each item's maximum.
    amin : float
        The floor, so silence gives ``10 log10(amin)`` and never ``-inf``.
    top_db : float or None
        Clip everything more than ``top_db`` below the maximum.

    Returns
    -------
    same kind and shape, float32, dB

    Notes
    -----
    Deliberate difference from librosa: with leading (batch) dimensions, ``ref=np.max``
    and ``top_db`` use the maximum of each item's last two axes rather than of the whole
    array, so a batched call equals the per-item calls.

    Examples
    --------
    >>> power_to_db(np.array([[1.0, 100.0, 0.0]]), top_db=None).tolist()
    [[0.0, 20.0, -100.0]]

    Chapter: notebooks/03_features.ipynb
    """
    check(amin > 0, "amin", amin, "a positive floor")
    check(top_db is None or top_db >= 0, "top_db", top_db, "a non-negative number of dB or None")
    P = spec_in(S, name="S", min_ndim=0)
    if P.is_complex():
        P = _power(P)
    return out(S, power_to_db_tensor(P, ref=ref, amin=amin, top_db=top_db))


def power_to_db_tensor(P: torch.Tensor, *, ref=1.0, amin=1e-10, top_db=80.0) -> torch.Tensor:
    """:func:`power_to_db` of a real power tensor, without the checks (its callers pass checked values)."""
    db = 10.0 * torch.log10(torch.clamp(P, min=amin))
    if callable(ref) or isinstance(ref, str):
        if _is_max(ref):
            db = db - 10.0 * torch.log10(torch.clamp(_reduce_max(P), min=amin))
        else:
            r = float(ref(P.detach().cpu().numpy()))
            db = db - 10.0 * math.log10(max(amin, abs(r)))
    else:
        db = db - 10.0 * math.log10(max(amin, abs(float(ref))))
    if top_db is not None:
        db = torch.maximum(db, _reduce_max(db) - top_db)
    return db


def amplitude_to_db(S, *, ref=1.0, amin: float = 1e-5, top_db: float | None = 80.0):
    """``20 log10(|S| / ref)`` with a floor and a range limit, as ``librosa.amplitude_to_db``.

    Same conventions as :func:`power_to_db` (per-item maximum for batched input).

    Examples
    --------
    >>> amplitude_to_db(np.array([[1.0, 0.1, 0.0]]), top_db=None).tolist()
    [[0.0, -20.0, -100.0]]

    Chapter: notebooks/03_features.ipynb
    """
    check(amin > 0, "amin", amin, "a positive floor")
    A = spec_in(S, name="S", min_ndim=0).abs()
    if callable(ref) or isinstance(ref, str):
        ref_p = ref if _is_max(ref) else (lambda a: float(ref(np.sqrt(a))) ** 2)
    else:
        ref_p = float(ref) ** 2
    P = A.square()
    if not bool(torch.isfinite(P).all()):  # |S| near float32's limit: square in float64, same dB
        return out(S, power_to_db_tensor(A.double().square(), ref=ref_p, amin=amin * amin, top_db=top_db).float())
    return out(S, power_to_db_tensor(P, ref=ref_p, amin=amin * amin, top_db=top_db))


def db_to_power(S_db, *, ref: float = 1.0):
    """``ref * 10 ** (S_db / 10)``.

    Examples
    --------
    >>> db_to_power(np.array([20.0])).tolist()
    [100.0]

    Chapter: notebooks/03_features.ipynb
    """
    t = spec_in(S_db, name="S_db", min_ndim=0, real=True)
    return out(S_db, check_finite_result(ref * torch.pow(10.0, t / 10.0), "S_db", "the power"))


def db_to_amplitude(S_db, *, ref: float = 1.0):
    """``ref * 10 ** (S_db / 20)``.

    Examples
    --------
    >>> db_to_amplitude(np.array([-20.0])).tolist()
    [0.10000000149011612]

    Chapter: notebooks/03_features.ipynb
    """
    t = spec_in(S_db, name="S_db", min_ndim=0, real=True)
    return out(S_db, check_finite_result(ref * torch.pow(10.0, t / 20.0), "S_db", "the amplitude"))
