"""Rhythm: onset strength (as librosa), tempo (autocorrelation + a log-normal prior) and beats
(Ellis' dynamic programme).

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import as_array, as_float, check
from ._util import audio_in, check_int, check_sr, out, spec_in
from .spectral import melspectrogram
from .transforms import power_to_db_tensor

__all__ = ["onset_strength", "tempo", "beat_track"]


def onset_strength(
    y=None,
    *,
    sr: float,
    S=None,
    lag: int = 1,
    center: bool = True,
    detrend: bool = False,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmax: float | None = None,
):
    """Spectral-flux onset strength (起音强度), as ``librosa.onset.onset_strength``.

    The mean over mel bands of the half-wave rectified increase of the log-power mel
    spectrogram (``top_db=80``) from frame ``t - lag`` to ``t``, shifted so that frame ``t``
    is centred at ``t * hop_length``.

    Returns
    -------
    onset_envelope : same kind [shape=(..., n_frames)]

    Examples
    --------
    >>> y = np.zeros(22050, dtype=np.float32); y[11025:] = np.sin(np.arange(11025) * 0.3)
    >>> int(np.argmax(onset_strength(y, sr=22050)))   # 0.5 s = frame 21.5
    22

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    lag = check_int(lag, "lag")
    if S is None:
        M = melspectrogram(
            audio_in(y), sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmax=0.5 * sr if fmax is None else fmax
        )
        St, ref = power_to_db_tensor(M), y
    else:
        St, ref = spec_in(S).float(), S
    env = (St[..., lag:] - St[..., :-lag]).clamp_min(0).mean(-2)
    pad = lag + (n_fft // (2 * hop_length) if center else 0)
    env = torch.nn.functional.pad(env, (pad, 0))
    if detrend:
        # scipy is imported where used: importing this module (and `import musynth_lab`) stays light
        from scipy.signal import lfilter

        env = torch.as_tensor(lfilter([1.0, -1.0], [1.0, -0.99], env.cpu().numpy(), axis=-1), dtype=env.dtype, device=env.device)
    if center:
        env = env[..., : St.shape[-1]]
    return out(ref, env)


def _tempogram_mean(env: torch.Tensor, win_length: int) -> torch.Tensor:
    """Mean over time of librosa's autocorrelation tempogram ``(..., win_length)``."""
    pad = win_length // 2
    e = env.double()
    # librosa pads with a linear ramp to zero
    n = e.shape[-1]
    ramp = torch.linspace(0, 1, pad + 1, dtype=e.dtype, device=e.device)[:-1]
    left = e[..., :1] * ramp
    right = e[..., -1:] * ramp.flip(0)
    ep = torch.cat([left, e, right], dim=-1)
    frames = ep.unfold(-1, win_length, 1)[..., :n, :]  # (..., n, win)
    w = torch.hann_window(win_length, periodic=True, dtype=e.dtype, device=e.device)
    fr = frames * w
    m = 1 << (2 * win_length - 1).bit_length()
    X = torch.fft.rfft(fr, n=m)
    ac = torch.fft.irfft(X.real.square() + X.imag.square(), n=m)[..., :win_length]
    peak = ac.abs().amax(-1, keepdim=True)
    ac = torch.where(peak > 0, ac / torch.where(peak > 0, peak, torch.ones_like(peak)), ac)
    return ac.mean(-2)


def tempo(
    y=None,
    *,
    sr: float,
    onset_envelope=None,
    hop_length: int = 512,
    start_bpm: float = 120.0,
    std_bpm: float = 1.0,
    ac_size: float = 8.0,
    max_tempo: float | None = 320.0,
):
    """Global tempo (速度) in beats per minute, the method of ``librosa.feature.tempo``.

    The onset envelope's windowed autocorrelation (a tempogram) averaged over time, weighted
    by a log-normal prior centred on ``start_bpm`` (``std_bpm`` octaves wide); the best lag
    gives the tempo.

    Returns
    -------
    bpm : np.ndarray or tensor [shape=(...,)]

    Examples
    --------
    >>> sr, bpm = 22050, 100
    >>> y = np.zeros(sr * 8, dtype=np.float32)
    >>> for k in range(int(8 * bpm / 60)): y[int(k * 60 / bpm * sr): int(k * 60 / bpm * sr) + 200] = 0.5
    >>> round(float(tempo(y, sr=sr)), -1)
    100.0

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    hop_length = check_int(hop_length, "hop_length")
    check(start_bpm > 0, "start_bpm", start_bpm, "a positive tempo in BPM")
    if onset_envelope is None:
        env, ref = torch.as_tensor(onset_strength(audio_in(y), sr=sr, hop_length=hop_length)), y
    else:
        env, ref = spec_in(onset_envelope, name="onset_envelope", min_ndim=1).float(), onset_envelope
    win_length = int(round(ac_size * sr / hop_length))
    win_length = max(2, min(win_length, env.shape[-1]))
    tg = _tempogram_mean(env, win_length)
    lags = torch.arange(win_length, dtype=torch.float64, device=tg.device)
    bpms = torch.where(lags > 0, 60.0 * sr / (hop_length * lags.clamp_min(1)), torch.full_like(lags, float("inf")))
    logprior = -0.5 * ((torch.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    logprior[0] = -float("inf")
    if max_tempo is not None:
        logprior = torch.where(bpms > max_tempo, torch.full_like(logprior, -float("inf")), logprior)
    score = torch.log1p(1e6 * tg) + logprior
    best = torch.argmax(score, dim=-1)
    # no admissible lag (a clip shorter than the shortest beat period): tempo undefined -> 0.0
    res = torch.where(torch.isfinite(score.amax(-1)), bpms[best], torch.zeros_like(bpms[best])).float()
    return out(ref, res) if not isinstance(ref, np.ndarray) or res.ndim else np.asarray(res.numpy())


def beat_track(
    y=None,
    *,
    sr: float,
    onset_envelope=None,
    hop_length: int = 512,
    start_bpm: float = 120.0,
    tightness: float = 100.0,
    trim: bool = True,
    bpm: float | None = None,
    units: str = "frames",
):
    """Tempo and beat positions (节拍) by dynamic programming (Ellis 2007), like ``librosa.beat.beat_track``.

    Parameters
    ----------
    y : array [shape=(n_samples,)], mono
    units : 'frames', 'samples' or 'time'

    Returns
    -------
    bpm : float
    beats : np.ndarray [shape=(n_beats,)] in ``units``

    Examples
    --------
    >>> sr, bpm = 22050, 100
    >>> y = np.zeros(sr * 8, dtype=np.float32)
    >>> for k in range(int(8 * bpm / 60)): y[int(k * 60 / bpm * sr): int(k * 60 / bpm * sr) + 200] = 0.5
    >>> t, beats = beat_track(y, sr=sr, units="time")
    >>> round(t, -1), bool(np.allclose(np.diff(beats), 0.6, atol=0.03))
    (100.0, True)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    check(units in ("frames", "samples", "time"), "units", units, "'frames', 'samples' or 'time'")
    hop_length = check_int(hop_length, "hop_length")
    start_bpm = as_float(start_bpm, "start_bpm", low=0, low_open=True)
    if onset_envelope is None:
        x = audio_in(y, mono=True)
        env = np.asarray(onset_strength(x.cpu().numpy(), sr=sr, hop_length=hop_length), dtype=np.float64)
    else:
        env = as_array(onset_envelope, "onset_envelope", ndim=1)
        check(env.ndim == 1, "onset_envelope", onset_envelope, "a 1-D onset envelope")
    none = (0.0, np.array([], dtype=int if units != "time" else float))
    bpm = as_float(bpm, "bpm", low=0, low_open=True, allow_none=True)
    given = bpm is not None
    tightness = as_float(tightness, "tightness", low=0)
    if not env.any():
        return none
    if bpm is None:
        bpm = float(tempo(onset_envelope=env, sr=sr, hop_length=hop_length, start_bpm=start_bpm))
        if not bpm > 0:  # tempo undefined (shorter than one beat): no beats
            return none
    period = 60.0 * sr / hop_length / bpm
    if period < 2 or len(env) < period:  # under two frames a beat, or a clip shorter than one beat
        check(period >= 2 or not given, "bpm", bpm, f"a tempo below {30.0 * sr / hop_length:g} BPM at this hop_length")
        return none
    # Local score: the onset envelope smoothed by a Gaussian of width ~ period / 32 (librosa's)
    env_n = env / max(env.std(ddof=1), 1e-12)
    k = np.arange(-int(period), int(period) + 1)
    local = np.convolve(env_n, np.exp(-0.5 * (k * 32.0 / period) ** 2), "same")
    # Dynamic programme: best predecessor between 2 periods and half a period back
    n = len(local)
    window = np.arange(-2 * int(round(period)), min(-1, -int(round(period / 2))) + 1)  # strictly back in time
    txwt = -tightness * np.log(-window / period) ** 2
    cum = np.zeros(n)
    back = -np.ones(n, dtype=int)
    first = True
    for i in range(n):
        z = i + window
        valid = z >= 0
        if valid.any():
            cand = cum[z[valid]] + txwt[valid]
            j = int(np.argmax(cand))
            cum[i] = local[i] + cand[j]
            back[i] = z[valid][j]
        else:
            cum[i] = local[i]
        if first and local[i] < 0.01 * local.max():
            back[i] = -1
        else:
            first = False
    # Last beat: the last local maximum of the cumulative score above half its median peak
    is_max = np.r_[False, (cum[1:-1] > cum[:-2]) & (cum[1:-1] >= cum[2:]), False]
    peaks = np.flatnonzero(is_max)
    thr = 0.5 * np.median(cum[peaks]) if peaks.size else 0
    last = peaks[cum[peaks] >= thr][-1] if peaks.size else n - 1
    beats = [last]
    while back[beats[-1]] >= 0:
        beats.append(back[beats[-1]])
    beats = np.array(beats[::-1], dtype=int)
    if trim and beats.size:
        level = np.convolve(local[beats], np.hanning(5), "same") if beats.size > 5 else local[beats]
        keep = level >= 0.5 * np.sqrt(np.mean(level**2))
        if keep.any():
            beats = beats[np.flatnonzero(keep)[0] : np.flatnonzero(keep)[-1] + 1]
    if units == "samples":
        beats = beats * hop_length
    elif units == "time":
        beats = beats * hop_length / sr
    return float(bpm), beats
