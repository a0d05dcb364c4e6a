"""Pitch: spectral peak tracking, tuning estimation and f0 by YIN, in torch.

``piptrack`` and ``estimate_tuning`` follow librosa step by step (parabolic interpolation
of spectral peaks, a histogram of deviations from equal temperament), so chroma features
that estimate the tuning agree with librosa's. ``yin`` is the YIN estimator (de Cheveigné &
Kawahara 2002) as in ``librosa.yin``, batched on any device; the notebook compares it with
librosa's probabilistic pYIN.

:func:`estimate_tuning_tensor` (public, not in ``__all__``) estimates the tuning of one
checked spectrogram tensor; :func:`~musynth_lab.features.spectral.chroma_stft` uses it.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import as_array, as_float, check
from ._util import audio_in, check_int, check_sr, out
from .transforms import center_pad, resolve_spectrogram

__all__ = ["piptrack", "estimate_tuning", "pitch_tuning", "yin"]


def _localmax(x: torch.Tensor, dim: int = -2) -> torch.Tensor:
    """librosa.util.localmax: ``x[i] > x[i-1]`` and ``x[i] >= x[i+1]`` with edge padding."""
    x = x.movedim(dim, -1)
    pad = torch.cat([x[..., :1], x, x[..., -1:]], dim=-1)
    return ((x > pad[..., :-2]) & (x >= pad[..., 2:])).movedim(-1, dim)


def _parabolic_shift(S: torch.Tensor) -> torch.Tensor:
    """Offset of the parabola through three neighbouring bins (0 when beyond one bin), along dim -2."""
    a = S[..., 2:, :] + S[..., :-2, :] - 2 * S[..., 1:-1, :]
    b = (S[..., 2:, :] - S[..., :-2, :]) / 2
    ok = b.abs() < a.abs()
    inner = torch.where(ok, -b / torch.where(ok, a, torch.ones_like(a)), torch.zeros_like(a))
    return F.pad(inner, (0, 0, 1, 1))


def _piptrack_t(S: torch.Tensor, *, sr: float, n_fft: int, fmin: float = 150.0, fmax: float = 4000.0, threshold: float = 0.1):
    S = S.abs()
    fmin = max(fmin, 0.0)
    fmax = min(fmax, sr / 2.0)
    freqs = torch.as_tensor(np.fft.rfftfreq(n_fft, 1.0 / sr), device=S.device)
    avg = torch.gradient(S, dim=-2)[0]
    shift = _parabolic_shift(S)
    dskew = 0.5 * avg * shift
    freq_mask = ((fmin <= freqs) & (freqs < fmax))[:, None]
    ref_value = threshold * S.amax(dim=-2, keepdim=True)
    mask = freq_mask & _localmax(S * (S > ref_value), dim=-2)
    idx = torch.arange(S.shape[-2], device=S.device, dtype=torch.float64)[:, None]
    pitches = torch.where(mask, ((idx + shift.double()) * float(sr) / n_fft).to(S.dtype), torch.zeros_like(S))
    mags = torch.where(mask, S + dskew, torch.zeros_like(S))
    return pitches, mags


def piptrack(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int | None = None,
    fmin: float = 150.0,
    fmax: float = 4000.0,
    threshold: float = 0.1,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
):
    """Pitch tracking on thresholded parabolically-interpolated STFT peaks, as ``librosa.piptrack``.

    Returns
    -------
    pitches, magnitudes : same kind [shape=(..., 1 + n_fft // 2, n_frames)]
        Interpolated peak frequency (Hz) and level where a peak is, else 0.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> p, m = piptrack(y, sr=22050)
    >>> round(float(p[:, 20][m[:, 20].argmax()]))
    440

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    threshold = as_float(threshold, "threshold", low=0, high=1)  # a fraction of each frame's peak
    St, n_fft, ref = resolve_spectrogram(
        y,
        S,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=1.0,
    )
    p, m = _piptrack_t(St, sr=sr, n_fft=n_fft, fmin=fmin, fmax=fmax, threshold=threshold)
    return out(ref, p), out(ref, m)


def pitch_tuning(frequencies, *, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    """Most common deviation (fraction of a bin) of ``frequencies`` from A440 equal temperament.

    Examples
    --------
    >>> pitch_tuning(np.array([440.0 * 2 ** (0.25 / 12)] * 5))
    0.25

    Chapter: notebooks/03_features.ipynb
    """
    check(0 < resolution < 1, "resolution", resolution, "a fraction of a bin in (0, 1)")
    f = as_array(frequencies, "frequencies", min_ndim=1)
    return _pitch_tuning(f, resolution=resolution, bins_per_octave=bins_per_octave)


def _pitch_tuning(frequencies, *, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    """:func:`pitch_tuning` without the checks: no (positive) frequency at all gives 0.0 (silence)."""
    f = np.atleast_1d(np.asarray(frequencies))
    f = f[f > 0]
    if not f.size:
        return 0.0
    residual = np.mod(bins_per_octave * np.log2(f / (440.0 / 16)), 1.0)
    residual[residual >= 0.5] -= 1.0
    bins = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, edges = np.histogram(residual, bins)
    return float(edges[np.argmax(counts)])


def estimate_tuning_tensor(
    S: torch.Tensor, *, sr: float, n_fft: int, bins_per_octave: int = 12, resolution: float = 0.01
) -> float:
    """Tuning of one spectrogram ``(n_bins, n_frames)`` (magnitude or power, as librosa is given).

    The same peaks and values as :func:`_piptrack_t`, computed only where they are needed:
    the peak test runs on the 150-4000 Hz band (plus one neighbour each side) and the
    parabolic interpolation only at the peaks found, which is an order of magnitude less work
    than interpolating every bin.
    """
    S = S.abs()
    n_bins = S.shape[-2]
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)[:n_bins]
    fmax = min(4000.0, sr / 2.0)
    band = np.flatnonzero((150.0 <= freqs) & (freqs < fmax))
    if band.size == 0:
        return 0.0
    lo, hi = int(band[0]), int(band[-1]) + 1
    if lo == 0 or hi >= n_bins:  # a peak at the edge of the spectrum: the general route handles the padding
        p, m = _piptrack_t(S, sr=sr, n_fft=n_fft)
        mask = p > 0
        if not bool(mask.any()):
            return 0.0
        pv, mv = p[mask].cpu().numpy(), m[mask].cpu().numpy()
    else:
        ref = 0.1 * S.amax(dim=-2, keepdim=True)
        Sb = S[lo - 1 : hi + 1]
        Z = Sb * (Sb > ref)
        mid = Z[1:-1]
        k, t = torch.nonzero((mid > Z[:-2]) & (mid >= Z[2:]), as_tuple=True)
        if k.numel() == 0:
            return 0.0
        k = k + lo
        left, centre, right = S[k - 1, t], S[k, t], S[k + 1, t]
        a = right + left - 2 * centre
        b = (right - left) / 2
        ok = b.abs() < a.abs()
        shift = torch.where(ok, -b / torch.where(ok, a, torch.ones_like(a)), torch.zeros_like(a))
        pv = ((k.double() + shift.double()) * float(sr) / n_fft).to(S.dtype).cpu().numpy()
        mv = (centre + 0.5 * b * shift).cpu().numpy()
        # _piptrack_t marks a peak by a positive pitch; keep the same rule
        keep = pv > 0
        pv, mv = pv[keep], mv[keep]
        if not pv.size:
            return 0.0
    thr = np.median(mv)
    return _pitch_tuning(pv[mv >= thr], resolution=resolution, bins_per_octave=bins_per_octave)


def estimate_tuning(y=None, *, sr: float, S=None, n_fft: int = 2048, resolution: float = 0.01, bins_per_octave: int = 12):
    """Deviation of a recording from A440 tuning, in fractions of a bin, as ``librosa.estimate_tuning``.

    Returns
    -------
    float for a single signal; an array ``(...,)`` of per-item estimates for a batch.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * 2 ** (0.3 / 12) * np.arange(22050) / 22050).astype(np.float32)
    >>> round(estimate_tuning(y, sr=22050), 1)
    0.3

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    St, n_fft, ref = resolve_spectrogram(
        y, S, n_fft=n_fft, hop_length=None, win_length=None, window="hann", center=True, pad_mode="constant", power=1.0
    )
    flat = St.reshape((-1,) + St.shape[-2:])
    est = [
        estimate_tuning_tensor(flat[i], sr=sr, n_fft=n_fft, bins_per_octave=bins_per_octave, resolution=resolution)
        for i in range(len(flat))
    ]
    if St.ndim == 2:
        return est[0]
    return np.asarray(est).reshape(St.shape[:-2])


def yin(
    y,
    *,
    fmin: float,
    fmax: float,
    sr: float,
    frame_length: int = 2048,
    hop_length: int | None = None,
    trough_threshold: float = 0.1,
    center: bool = True,
    pad_mode: str = "constant",
):
    """Fundamental frequency by YIN (基频), as ``librosa.yin``, batched in torch.

    Parameters
    ----------
    y : array [shape=(..., n_samples)]
    fmin, fmax : float
        Search range in Hz (``fmax`` at most ``sr / 2``).
    sr : float
        Sample rate in Hz.
    frame_length : int
        Analysis frame in samples; must hold at least two periods of ``fmin``.
    hop_length : int, optional
        ``frame_length // 4`` by default.
    trough_threshold : float
        Absolute threshold on the cumulative mean normalised difference.

    Returns
    -------
    f0 : same kind [shape=(..., n_frames)], Hz

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 220 * np.arange(22050) / 22050).astype(np.float32)
    >>> round(float(np.median(yin(y, fmin=80, fmax=800, sr=22050))))
    220

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    frame_length = check_int(frame_length, "frame_length")
    hop_length = frame_length // 4 if hop_length is None else check_int(hop_length, "hop_length")
    check(0 < fmin < fmax, "fmin", fmin, f"a frequency in (0, fmax={fmax}) Hz")
    check(fmax <= sr / 2, "fmax", fmax, f"at most the Nyquist frequency {sr / 2:g} Hz")
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), frame_length - 1)
    check(
        max_period - min_period >= 2,
        "fmin",
        fmin,
        f"a range fmin..fmax spanning at least 2 lags at sr={sr:g} and frame_length={frame_length}",
    )
    x = audio_in(y)
    if center:
        x = center_pad(x, frame_length // 2, pad_mode)
    check(x.shape[-1] >= frame_length, "frame_length", frame_length, f"at most the signal length {x.shape[-1]}")
    frames = x.unfold(-1, frame_length, hop_length).double()  # (..., T, L)
    # librosa's difference function: d(k) = 2 (r(0) - r(k)) - sum_{j<k} y_j^2 (r: frame autocorrelation)
    n = 1 << (2 * frame_length - 1).bit_length()
    Fr = torch.fft.rfft(frames, n=n)
    acf = torch.fft.irfft(Fr.real.square() + Fr.imag.square(), n=n)[..., : max_period + 1]
    energy = torch.cumsum(frames.square(), dim=-1)[..., :max_period]
    d = 2 * (acf[..., :1] - acf[..., 1:]) - energy  # lags 1..max_period
    lags = torch.arange(1, max_period + 1, device=d.device, dtype=d.dtype)
    cummean = torch.cumsum(d, dim=-1) / lags
    num = d[..., min_period - 1 :]
    den = cummean[..., min_period - 1 :]
    cmnd = num / (den + torch.finfo(den.dtype).tiny)  # lags min_period..max_period
    shifts = _parabolic_shift(cmnd.transpose(-1, -2)).transpose(-1, -2)
    padded = torch.cat([cmnd[..., :1], cmnd, cmnd[..., -1:]], dim=-1)
    is_trough = (cmnd < padded[..., :-2]) & (cmnd <= padded[..., 2:])
    is_trough[..., 0] = cmnd[..., 0] < cmnd[..., 1]
    cand = is_trough & (cmnd < trough_threshold)
    first = cand.to(torch.uint8).argmax(dim=-1)
    best = torch.where(cand.any(dim=-1), first, cmnd.argmin(dim=-1))
    period = min_period + best.double() + torch.gather(shifts, -1, best.unsqueeze(-1)).squeeze(-1)
    return out(y, (sr / period).float())
