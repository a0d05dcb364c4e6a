"""Time-domain features (时域特征): computed on the waveform itself, frame by frame.

``rms`` and ``zero_crossing_rate`` match librosa; the others (short-time variance,
dynamic range, crest factor, kurtosis, skewness, autocorrelation, amplitude envelope) use
the same framing (``frame_length``, ``hop_length``, ``center``) and return
``(..., 1, n_frames)`` like librosa's frame features.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (doctests)
import torch

from ..errors import check
from ._util import audio_in, check_int, out, spec_in
from .transforms import center_pad

__all__ = [
    "rms",
    "zero_crossing_rate",
    "short_time_variance",
    "dynamic_range",
    "crest_factor",
    "kurtosis",
    "skewness",
    "autocorrelation",
    "amplitude_envelope",
]


def _frames(y, frame_length, hop_length, center, pad_mode="constant"):
    x = audio_in(y)
    frame_length = check_int(frame_length, "frame_length")
    hop_length = check_int(hop_length, "hop_length")
    if center:
        x = center_pad(x, frame_length // 2, pad_mode)
    check(x.shape[-1] >= frame_length, "frame_length", frame_length, f"at most the signal length {x.shape[-1]} (or center=True)")
    return x.unfold(-1, frame_length, hop_length)  # (..., n_frames, frame_length)


def rms(y=None, *, S=None, frame_length: int = 2048, hop_length: int = 512, center: bool = True, pad_mode: str = "constant"):
    """Root-mean-square level of each frame (均方根能量), as ``librosa.feature.rms``.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
    S : array [shape=(..., 1 + frame_length // 2, n_frames)], optional
        A magnitude STFT (Parseval's theorem gives the same RMS from it).
    frame_length, hop_length : int
    center : bool
    pad_mode : str

    Returns
    -------
    rms : same kind [shape=(..., 1, n_frames)]

    Examples
    --------
    >>> y = np.full(4096, 0.5, dtype=np.float32)
    >>> float(rms(y, center=False)[0, 0])
    0.5

    Chapter: notebooks/03_features.ipynb
    """
    if y is not None:
        fr = _frames(y, frame_length, hop_length, center, pad_mode)
        p = fr.square().mean(-1)
        return out(y, torch.sqrt(p).unsqueeze(-2))
    St = spec_in(S)
    check(
        St.shape[-2] == frame_length // 2 + 1,
        "frame_length",
        frame_length,
        f"{2 * St.shape[-2] - 2} or {2 * St.shape[-2] - 1} for S with {St.shape[-2]} bins",
    )
    x = St.abs().square()  # a new tensor, safe to scale in place
    x[..., 0, :] *= 0.5
    if frame_length % 2 == 0:
        x[..., -1, :] *= 0.5
    return out(S, torch.sqrt(2 * x.sum(-2, keepdim=True) / frame_length**2))


def zero_crossing_rate(y, *, frame_length: int = 2048, hop_length: int = 512, center: bool = True, threshold: float = 1e-10):
    """Fraction of sign changes per frame (过零率), as ``librosa.feature.zero_crossing_rate``.

    Samples with ``|y| <= threshold`` count as zero, and zero counts as positive.

    Returns
    -------
    zcr : same kind [shape=(..., 1, n_frames)], crossings per sample

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> abs(float(zero_crossing_rate(y)[0, 10]) * 22050 - 2000) < 15   # 2 crossings per cycle
    True

    Chapter: notebooks/03_features.ipynb
    """
    fr = _frames(y, frame_length, hop_length, center, "replicate")
    neg = (fr < 0) & (fr.abs() > threshold)
    cross = neg[..., 1:] != neg[..., :-1]
    return out(y, (cross.sum(-1).float() / fr.shape[-1]).unsqueeze(-2))


def short_time_variance(y, *, frame_length: int = 2048, hop_length: int = 512, center: bool = True):
    """Variance of the samples in each frame (短时方差): the AC power when the mean is removed.

    Returns
    -------
    same kind [shape=(..., 1, n_frames)]

    Examples
    --------
    >>> y = np.tile([1.0, -1.0], 2048).astype(np.float32)
    >>> float(short_time_variance(y, center=False)[0, 0])
    1.0

    Chapter: notebooks/03_features.ipynb
    """
    fr = _frames(y, frame_length, hop_length, center)
    return out(y, fr.var(-1, unbiased=False).unsqueeze(-2))


def dynamic_range(y, *, frame_length: int = 2048, hop_length: int = 512, percentiles=(5.0, 95.0), amin: float = 1e-5):
    """Dynamic range (动态范围) in dB: the spread between loud and quiet frames' RMS levels.

    ``20 log10(q_high / q_low)`` of the frame RMS at the given percentiles (floored at
    ``amin``, so silence gives 0 dB rather than NaN).

    Returns
    -------
    same kind [shape=(...,)], dB

    Examples
    --------
    >>> y = np.concatenate([np.full(22050, 0.01), np.full(22050, 1.0)]).astype(np.float32)
    >>> round(float(dynamic_range(y)))
    40

    Chapter: notebooks/03_features.ipynb
    """
    lo, hi = percentiles
    check(0 <= lo < hi <= 100, "percentiles", percentiles, "(low, high) with 0 <= low < high <= 100")
    r = audio_in(y)
    level = torch.as_tensor(rms(r, frame_length=frame_length, hop_length=hop_length, center=False))[..., 0, :]
    level = level.clamp_min(amin)
    q = torch.quantile(level.double(), torch.tensor([lo / 100, hi / 100], dtype=torch.float64, device=level.device), dim=-1)
    return out(y, (20 * torch.log10(q[1] / q[0])).float())


def crest_factor(y, *, frame_length: int | None = None, hop_length: int = 512, center: bool = True, amin: float = 1e-10):
    """Crest factor (波峰因数): peak over RMS, of the whole signal or of each frame.

    A sine has sqrt(2) (3.01 dB); a square wave 1; clicks and drums far more.

    Parameters
    ----------
    frame_length : int, optional
        None: one value for the whole signal ``(...,)``; else per frame ``(..., 1, n_frames)``.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * np.arange(8000) / 80).astype(np.float32)
    >>> round(float(crest_factor(y)), 3)
    1.414

    Chapter: notebooks/03_features.ipynb
    """
    if frame_length is None:
        x = audio_in(y)
        return out(y, x.abs().amax(-1) / torch.sqrt(x.square().mean(-1)).clamp_min(amin))
    fr = _frames(y, frame_length, hop_length, center)
    return out(y, (fr.abs().amax(-1) / torch.sqrt(fr.square().mean(-1)).clamp_min(amin)).unsqueeze(-2))


def _moment(y, order, frame_length, hop_length, center, excess):
    if frame_length is None:
        x = audio_in(y).double().unsqueeze(-2)
    else:
        x = _frames(y, frame_length, hop_length, center).double()
    d = x - x.mean(-1, keepdim=True)
    m2 = d.square().mean(-1)
    m = d.pow(order).mean(-1) / m2.clamp_min(1e-30) ** (order / 2)
    m = torch.where(m2 > 1e-30, m, torch.zeros_like(m))
    if excess:
        m = torch.where(m2 > 1e-30, m - 3.0, m)
    m = m.float()
    return out(y, m[..., 0] if frame_length is None else m.unsqueeze(-2))


def kurtosis(y, *, frame_length: int | None = None, hop_length: int = 512, center: bool = True, excess: bool = True):
    """Kurtosis (峰度) of the sample distribution: peakedness / heavy tails (excess: Gaussian = 0).

    Matches ``scipy.stats.kurtosis(y, fisher=excess)`` (biased estimator). Constant
    frames give 0.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * np.arange(8000) / 80).astype(np.float32)
    >>> round(float(kurtosis(y)), 2)   # a sine: -1.5
    -1.5

    Chapter: notebooks/03_features.ipynb
    """
    return _moment(y, 4, frame_length, hop_length, center, excess)


def skewness(y, *, frame_length: int | None = None, hop_length: int = 512, center: bool = True):
    """Skewness (偏度) of the sample distribution (``scipy.stats.skew``, biased). Constant frames give 0.

    Examples
    --------
    >>> round(float(skewness(np.array([0.0, 0.0, 0.0, 1.0], dtype=np.float32))), 3)
    1.155

    Chapter: notebooks/03_features.ipynb
    """
    return _moment(y, 3, frame_length, hop_length, center, False)


def autocorrelation(y, *, max_size: int | None = None, normalize: bool = False):
    """Autocorrelation (自相关) along the last axis, ``r[k] = sum_n y[n] y[n + k]``, as ``librosa.autocorrelate``.

    Computed by FFT (zero-padded: no wrap-around).

    Parameters
    ----------
    max_size : int, optional
        Keep lags ``0 .. max_size - 1``.
    normalize : bool
        Divide by ``r[0]`` (silence stays 0).

    Returns
    -------
    same kind [shape=(..., max_size)]

    Examples
    --------
    >>> y = np.sin(2 * np.pi * np.arange(4000) / 100).astype(np.float32)
    >>> r = autocorrelation(y, max_size=150, normalize=True)
    >>> int(np.argmax(r[50:])) + 50   # the period, 100 samples
    100

    Chapter: notebooks/03_features.ipynb
    """
    x = audio_in(y)
    n = x.shape[-1]
    max_size = n if max_size is None else min(check_int(max_size, "max_size"), n)
    m = 1 << (2 * n - 1).bit_length()
    X = torch.fft.rfft(x.double(), n=m)
    r = torch.fft.irfft(X.real.square() + X.imag.square(), n=m)[..., :max_size]
    if normalize:
        r0 = r[..., :1]
        r = torch.where(r0 > 0, r / torch.where(r0 > 0, r0, torch.ones_like(r0)), torch.zeros_like(r))
    return out(y, r.float())


def amplitude_envelope(y, *, frame_length: int | None = None, hop_length: int = 512, method: str = "hilbert"):
    """Amplitude envelope (幅度包络): ``|analytic signal|`` (Hilbert) or the peak per frame.

    Parameters
    ----------
    frame_length : int, optional
        With ``method='peak'``: max ``|y|`` per frame ``(..., 1, n_frames)``.
    method : 'hilbert' or 'peak'
        'hilbert' returns one value per sample ``(..., n_samples)``.

    Examples
    --------
    >>> t = np.arange(8000) / 8000
    >>> y = ((0.2 + 0.8 * t) * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    >>> env = amplitude_envelope(y)
    >>> round(float(env[4000]), 2)   # 0.2 + 0.8 * 0.5
    0.6

    Chapter: notebooks/03_features.ipynb
    """
    check(method in ("hilbert", "peak"), "method", method, "'hilbert' or 'peak'")
    if method == "peak":
        fr = _frames(y, frame_length or 2048, hop_length, True)
        return out(y, fr.abs().amax(-1).unsqueeze(-2))
    x = audio_in(y)
    n = x.shape[-1]
    X = torch.fft.fft(x.double(), dim=-1)
    h = torch.zeros(n, dtype=torch.float64, device=x.device)
    h[0] = 1
    if n % 2 == 0:
        h[n // 2] = 1
        h[1 : n // 2] = 2
    else:
        h[1 : (n + 1) // 2] = 2
    return out(y, torch.fft.ifft(X * h, dim=-1).abs().float())
