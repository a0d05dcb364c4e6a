"""Frequency-domain (频率域特征) and mel/chroma features, computed in torch, batched.

Every function takes the signal first (``y``, or a precomputed spectrogram ``S``) with
librosa's keyword names, so ``librosa.feature.X(y=y, sr=sr, ...)`` and
``musynth_lab.features.X(y, sr=sr, ...)`` agree (to 1e-4 of the peak in float32; see
``tests/test_features*.py``).

Speed: the STFT is computed in blocks of a few recordings (so frames, spectrum and power
stay in cache), the power spectrum is written bins-major, and mel filters are applied as
banded blocks (:class:`~musynth_lab.features.filterbanks.BandedFilterbank`), never as a
dense ``(n_mels, 1 + n_fft // 2)`` product.

:func:`normalize_tensor` (public, not in ``__all__``) is :func:`normalize` for a checked
tensor; the chroma of :mod:`~musynth_lab.features.constantq` uses it too.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import ParameterError, as_float, check
from . import filterbanks as fb
from ._util import check_fmax, check_int, check_sr, map_blocks, out, spec_in
from .pitch import estimate_tuning_tensor
from .transforms import power_to_db_tensor, resolve_spectrogram

__all__ = [
    "melspectrogram",
    "note_logmel",
    "chroma_stft",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "spectral_entropy",
    "spectral_flux",
    "peak_density",
    "snr_estimate",
    "normalize",
]


def normalize(S, *, norm=np.inf, axis: int = -2, threshold=None):
    """Scale vectors along ``axis`` to unit norm, leaving (near-)zero vectors alone (librosa's rule).

    Parameters
    ----------
    S : np.ndarray or torch.Tensor, real or complex
        A complex ``S`` is scaled by the norm of ``|S|`` (its phase kept), as ``librosa.util.normalize``.
    norm : inf, -inf, 0, positive float, or None
    axis : int
    threshold : float, optional
        Vectors whose norm is below it are left unscaled; the dtype's ``tiny`` by default.

    Examples
    --------
    >>> normalize(np.array([[3.0, 0.0], [4.0, 0.0]]), norm=2, axis=0).tolist()
    [[0.6, 0.0], [0.8, 0.0]]

    Chapter: notebooks/03_features.ipynb
    """
    t = spec_in(S, name="S", min_ndim=1) if not isinstance(S, torch.Tensor) else S
    return out(S, normalize_tensor(t, norm=norm, axis=axis, threshold=threshold))


def normalize_tensor(S: torch.Tensor, *, norm=np.inf, axis=-2, threshold=None) -> torch.Tensor:
    if norm is None:
        return S
    mag = S.abs().float() if S.is_complex() else S.abs()
    if threshold is None:
        threshold = torch.finfo(mag.dtype).tiny
    if norm == np.inf:
        length = mag.amax(dim=axis, keepdim=True)
    elif norm == -np.inf:
        length = mag.amin(dim=axis, keepdim=True)
    elif norm == 0:
        length = (mag > 0).sum(dim=axis, keepdim=True).to(mag.dtype)
    elif isinstance(norm, (int, float, np.number)) and norm > 0:
        length = (mag**norm).sum(dim=axis, keepdim=True) ** (1.0 / norm)
    else:
        raise ParameterError(f"norm={norm!r}: expected inf, -inf, 0, a positive number or None")
    length = torch.where(length < threshold, torch.ones_like(length), length)
    return S / length


def melspectrogram(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm="slaney",
):
    """Mel spectrogram (梅尔频谱), as ``librosa.feature.melspectrogram``.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)], optional
        Audio; or give ``S``.
    sr : float
        Sample rate in Hz (required).
    S : array [shape=(..., 1 + n_fft // 2, n_frames)], optional
        A precomputed magnitude/power spectrogram.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, as :func:`~musynth_lab.features.stft`.
    power : float
        Exponent of the magnitude (2: power, 1: magnitude).
    n_mels, fmin, fmax, htk, norm
        Mel filterbank parameters, as :func:`~musynth_lab.features.filterbanks.mel`.

    Returns
    -------
    M : same kind as the input [shape=(..., n_mels, n_frames)], float32

    Notes
    -----
    Deliberate difference: ``fmax > sr / 2`` raises ``ParameterError`` (librosa warns about
    empty filters). The filterbank is applied block-sparsely; the result equals librosa's to
    float32 rounding.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> M = melspectrogram(y, sr=22050, n_mels=64)
    >>> M.shape, int(M[:, 20].argmax())
    ((64, 44), 8)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    n_fft_eff = n_fft if S is None else 2 * (spec_in(S).shape[-2] - 1)
    n_fft_eff = check_int(n_fft_eff, "n_fft")
    fmax = check_fmax(fmax, sr)
    bank = fb.banded(
        "mel",
        lambda: fb.mel(sr=sr, n_fft=n_fft_eff, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm),
        sr,
        n_fft_eff,
        n_mels,
        float(fmin),
        fmax,
        bool(htk),
        norm,
    )
    M, _, ref = resolve_spectrogram(
        y,
        S,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=power,
        reduce=bank,
    )
    return out(ref, M)


def note_logmel(
    y,
    *,
    sr: float,
    n_mels: int = 48,
    n_fft: int = 1024,
    hop_length: int = 512,
    fmin: float = 0.0,
    fmax: float | None = None,
    per_note: bool = True,
    top_db: float = 80.0,
):
    """Log-mel spectrograms of notes in dB: the one front end the kit's note models share.

    The mel power spectrogram (:func:`melspectrogram`, Slaney filters) in decibels,

    .. math:: L = \\max\\big(10 \\log_{10} \\max(M, 10^{-12}) - r,\\; -\\text{top\\_db}\\big),

    with :math:`r` each note's own loudest bin (``per_note=True``: 0 dB at the peak, loudness
    removed) or :math:`r = 0` (``per_note=False``: dB against full-scale power 1, loudness
    kept). Each model maps this to its input range: the CNNs of chapters 1b and 4b and the
    VAEs use :math:`L / 80 + 1 \\in [0, 1]`, the attention classifier of chapter 2
    :math:`(L + 50) / 25`.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n_samples)]
        Notes (any leading dimensions are a batch), e.g. ``load_notes().audio``.
    sr : float
        Sample rate in Hz.
    n_mels, n_fft, hop_length : int
        Mel bands, FFT size and hop (samples).
    fmin, fmax : float
        Lowest and highest mel-band edge in Hz (``fmax=None``: ``sr / 2``).
    per_note : bool
        dB relative to each note's peak (True) or to power 1 (False).
    top_db : float
        The floor, in dB below the reference.

    Returns
    -------
    L : same kind as ``y`` [shape=(..., n_mels, n_frames)], float32, dB
        In ``[-top_db, 0]`` when ``per_note``.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    >>> L = note_logmel(np.stack([y, 0.1 * y]), sr=16000)
    >>> L.shape, float(L.max()), float(L.min()) >= -80.0
    ((2, 48, 32), 0.0, True)
    >>> bool(np.allclose(L[0], L[1], atol=1e-3))        # per note: the level is removed
    True

    Chapter: notebooks/01b_deep_learning.ipynb; notebooks/02_attention.ipynb; notebooks/04b_deep.ipynb
    """
    check(isinstance(per_note, (bool, np.bool_)), "per_note", per_note, "True or False")
    top = as_float(top_db, "top_db", low=0, low_open=True)
    M = melspectrogram(y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax)
    # ref=np.max is each note's own peak (power_to_db's per-item maximum); the floor is top_db below the reference
    ref = np.max if per_note else 1.0
    db = power_to_db_tensor(torch.as_tensor(M), ref=ref, amin=1e-12, top_db=None)
    return out(M, torch.clamp(db, min=-top).to(torch.float32))


def chroma_stft(
    y=None,
    *,
    sr: float,
    S=None,
    norm=np.inf,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    tuning: float | None = None,
    n_chroma: int = 12,
    ctroct: float = 5.0,
    octwidth=2,
    base_c: bool = True,
):
    """Chromagram (色度特征) from a power spectrogram, as ``librosa.feature.chroma_stft``.

    Chroma is a pitch-class profile computed from a spectrum: it is not a time-domain
    feature.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
    sr : float
        Sample rate in Hz.
    S : array [shape=(..., 1 + n_fft // 2, n_frames)], optional
        A power spectrogram.
    norm : float or None
        Column normalisation (inf: the largest pitch class is 1).
    tuning : float, optional
        Deviation from A440 in fractions of a chroma bin; estimated per item (as
        ``librosa.estimate_tuning`` does, see :func:`~musynth_lab.features.estimate_tuning`) when None.
    n_chroma, ctroct, octwidth, base_c
        As ``librosa.filters.chroma``.

    Returns
    -------
    chroma : same kind [shape=(..., n_chroma, n_frames)]

    Notes
    -----
    Deliberate difference: with a batch, the tuning is estimated for each item (librosa
    pools all items into one estimate), so a batched call equals the per-item calls.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> int(chroma_stft(y, sr=22050)[:, 20].argmax())   # A is pitch class 9
    9

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    tuning = as_float(tuning, "tuning", low=-0.5, high=0.5, allow_none=True)
    P, n_fft, ref = resolve_spectrogram(
        y,
        S,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=2.0,
    )
    flat = P.reshape((-1,) + P.shape[-2:])
    if tuning is None:
        tunings = map_blocks(lambda f: estimate_tuning_tensor(f[0], sr=sr, n_fft=n_fft, bins_per_octave=n_chroma), flat, 1)
    else:
        tunings = [float(tuning)] * len(flat)
    outs = []
    cache = {}
    for i, tun in enumerate(tunings):
        if tun not in cache:
            W = fb.chroma(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=tun, ctroct=ctroct, octwidth=octwidth, base_c=base_c)
            cache[tun] = torch.as_tensor(W, device=P.device)
        outs.append(cache[tun] @ flat[i])
    C = torch.stack(outs).reshape(P.shape[:-2] + (n_chroma, P.shape[-1]))
    return out(ref, normalize_tensor(C, norm=norm, axis=-2))


def _freqs(sr, n_fft, n_bins, freq, device):
    if freq is None:
        f = torch.as_tensor(np.fft.rfftfreq(n_fft, 1.0 / sr), dtype=torch.float32, device=device)
    else:
        f = torch.as_tensor(np.asarray(freq), dtype=torch.float32, device=device)
        check(f.ndim == 1 and f.shape[0] == n_bins, "freq", freq, f"an array of {n_bins} frequencies")
    return f[:, None]


def _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode, power=1.0):
    return resolve_spectrogram(
        y,
        S,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=power,
    )


def spectral_centroid(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    freq=None,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
):
    """Spectral centroid (频谱质心): the magnitude-weighted mean frequency of each frame, in Hz.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
        Audio; or give ``S``, a magnitude spectrogram ``(..., 1 + n_fft // 2, n_frames)``.
    sr : float
        Sample rate in Hz.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, as :func:`~musynth_lab.features.stft`.

    Returns
    -------
    centroid : same kind [shape=(..., 1, n_frames)], Hz. Silent frames give 0.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> round(float(spectral_centroid(y, sr=22050)[0, 20]), -1)
    1000.0

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    f = _freqs(sr, n_fft, M.shape[-2], freq, M.device)
    return out(ref, (f * normalize_tensor(M, norm=1, axis=-2)).sum(-2, keepdim=True))


def spectral_bandwidth(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    freq=None,
    centroid=None,
    norm: bool = True,
    p: float = 2,
):
    """Spectral bandwidth (频谱带宽): the p-th order spread of frequency about the centroid, in Hz.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
        Audio; or give ``S``, a magnitude spectrogram ``(..., 1 + n_fft // 2, n_frames)``.
    sr : float
        Sample rate in Hz.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, as :func:`~musynth_lab.features.stft`.
    p : float
        Order (2: a standard deviation).

    Returns
    -------
    bandwidth : same kind [shape=(..., 1, n_frames)], Hz

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> 2500 < float(spectral_bandwidth(y, sr=22050)[0, 20]) < 4000   # white noise: ~ sr / sqrt(48)
    True

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    check(p > 0, "p", p, "a positive order")
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    f = _freqs(sr, n_fft, M.shape[-2], freq, M.device)
    Mn = normalize_tensor(M, norm=1, axis=-2) if norm or centroid is None else None
    if centroid is None:
        c = (f * Mn).sum(-2, keepdim=True)
    else:
        c = spec_in(centroid, name="centroid", min_ndim=2).to(M.device)
    if norm:
        M = Mn
    return out(ref, (M * (f - c).abs() ** p).sum(-2, keepdim=True) ** (1.0 / p))


def spectral_rolloff(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    freq=None,
    roll_percent: float = 0.85,
):
    """Spectral roll-off (频谱滚降点): the lowest frequency below which ``roll_percent`` of the magnitude lies.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
        Audio; or give ``S``, a magnitude spectrogram ``(..., 1 + n_fft // 2, n_frames)``.
    sr : float
        Sample rate in Hz.
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters, as :func:`~musynth_lab.features.stft`.
    roll_percent : float
        In (0, 1).

    Returns
    -------
    rolloff : same kind [shape=(..., 1, n_frames)], Hz

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> abs(float(spectral_rolloff(y, sr=22050)[0, 20]) - 1000) < 22050 / 2048 * 2
    True

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    check(0 < roll_percent < 1, "roll_percent", roll_percent, "a fraction in (0, 1)")
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    f = _freqs(sr, n_fft, M.shape[-2], freq, M.device)
    total = torch.cumsum(M, dim=-2)  # float32, summed in order, as librosa (ties decide the bin)
    thresh = roll_percent * total[..., -1:, :]
    cand = torch.where(total < thresh, torch.full_like(total, float("inf")), f.expand_as(total))
    return out(ref, cand.amin(dim=-2, keepdim=True))


def spectral_flatness(
    y=None,
    *,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    amin: float = 1e-10,
    power: float = 2.0,
):
    """Spectral flatness (频谱平坦度): geometric over arithmetic mean of the power spectrum, in [0, 1].

    1 for white noise, near 0 for a pure tone. No ``sr`` (as librosa): it does not depend on it.

    Returns
    -------
    flatness : same kind [shape=(..., 1, n_frames)]. Silent frames give 1.0 (every bin at ``amin``).

    Examples
    --------
    >>> tone = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> float(spectral_flatness(tone)[0, 20]) < 0.01
    True

    Chapter: notebooks/03_features.ipynb
    """
    check(amin > 0, "amin", amin, "a positive floor")
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    St = torch.clamp(M**power, min=amin)  # float32 like librosa: the geometric mean is rounding-sensitive
    g = torch.exp(torch.log(St).mean(-2, keepdim=True))
    return out(ref, g / St.mean(-2, keepdim=True))


def spectral_contrast(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    freq=None,
    fmin: float = 200.0,
    n_bands: int = 6,
    quantile: float = 0.02,
    linear: bool = False,
):
    """Spectral contrast (频谱对比度): peak-to-valley level in octave bands, as librosa's.

    Returns
    -------
    contrast : same kind [shape=(..., n_bands + 1, n_frames)], dB (or linear)

    Notes
    -----
    Deliberate difference: the dB conversion (``top_db=80``) uses each item's maximum.
    Valleys near silence make the dB values sensitive to float32 rounding of the STFT (in
    librosa as here): from the same ``S`` the two agree to 1e-6 of the peak, from audio with an
    empty band only to ~5e-2; ``linear=True`` agrees to 1e-7.

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> spectral_contrast(y, sr=22050).shape
    (7, 44)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    n_bands = check_int(n_bands, "n_bands")
    check(0 < quantile < 1, "quantile", quantile, "a fraction in (0, 1)")
    check(fmin > 0, "fmin", fmin, "a positive frequency in Hz")
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    check(
        not np.any(octa[:-1] >= 0.5 * sr),
        "n_bands",
        n_bands,
        f"bands below Nyquist: fmin * 2**n_bands = {octa[-2]:g} Hz must be < sr/2 = {sr / 2:g} Hz",
    )
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    freq_np = np.fft.rfftfreq(n_fft, 1.0 / sr) if freq is None else np.asarray(freq)
    valley, peak = [], []
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):
        band = np.logical_and(freq_np >= f_low, freq_np <= f_high)
        idx = np.flatnonzero(band)
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1 :] = True
        rows = np.flatnonzero(band)
        if k < n_bands:
            rows = rows[:-1]
        sub = M[..., torch.as_tensor(rows, device=M.device), :]
        q = int(max(np.rint(quantile * np.sum(band)), 1))
        srt = torch.sort(sub.double(), dim=-2).values
        valley.append(srt[..., :q, :].mean(-2))
        peak.append(srt[..., -q:, :].mean(-2))
    valley = torch.stack(valley, dim=-2)
    peak = torch.stack(peak, dim=-2)
    if linear:
        C = peak - valley
    else:
        C = power_to_db_tensor(peak) - power_to_db_tensor(valley)
    return out(ref, C.float())


def spectral_entropy(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    normalized: bool = True,
):
    """Spectral entropy (谱熵): Shannon entropy of each frame's power spectrum as a distribution.

    ``H = -sum p log2 p`` with ``p = P / sum P``; divided by ``log2(n_bins)`` when
    ``normalized`` (1: white noise, near 0: one sinusoid). Silent frames give 0.

    Returns
    -------
    entropy : same kind [shape=(..., 1, n_frames)]

    Examples
    --------
    >>> noise = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> tone = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> float(spectral_entropy(noise, sr=22050)[0, 20]) > 0.9 > float(spectral_entropy(tone, sr=22050)[0, 20])
    True

    Chapter: notebooks/03_features.ipynb
    """
    check_sr(sr)
    P, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode, power=2.0)
    p = normalize_tensor(P, norm=1, axis=-2)
    h = -(p * torch.log2(torch.where(p > 0, p, torch.ones_like(p)))).sum(-2, keepdim=True)
    if normalized:
        h = h / math.log2(P.shape[-2])
    return out(ref, h)


def spectral_flux(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    rectify: bool = True,
):
    """Spectral flux (频谱通量): L2 norm of the frame-to-frame change of the magnitude spectrum.

    ``flux[t] = ||max(0, |X_t| - |X_{t-1}|)||_2`` (half-wave rectified when ``rectify``);
    ``flux[0] = 0``.

    Returns
    -------
    flux : same kind [shape=(..., 1, n_frames)]

    Examples
    --------
    >>> y = np.zeros(22050, dtype=np.float32); y[11025:] = np.sin(np.arange(11025) * 0.3)
    >>> int(spectral_flux(y, sr=22050)[0].argmax()) in (20, 21, 22)   # the onset at 0.5 s is frame ~21.5
    True

    Chapter: notebooks/03_features.ipynb
    """
    check_sr(sr)
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    d = M[..., 1:] - M[..., :-1]
    if rectify:
        d = d.clamp_min(0)
    flux = torch.nn.functional.pad(torch.linalg.vector_norm(d, dim=-2, keepdim=True), (1, 0))
    return out(ref, flux)


def peak_density(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    threshold_db: float = -40.0,
):
    """Spectral peak density (峰值密度): local maxima per kHz within ``threshold_db`` of the frame's peak.

    A pure tone has one peak, a harmonic tone a few per kHz, noise many.

    Returns
    -------
    density : same kind [shape=(..., 1, n_frames)], peaks per kHz

    Examples
    --------
    >>> tone = np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050).astype(np.float32)
    >>> float(peak_density(tone, sr=22050)[0, 20]) < 0.2
    True

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    check(threshold_db < 0, "threshold_db", threshold_db, "a negative level in dB below the frame's peak")
    M, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    is_peak = (M[..., 1:-1, :] > M[..., :-2, :]) & (M[..., 1:-1, :] >= M[..., 2:, :])
    level = M.amax(dim=-2, keepdim=True) * (10.0 ** (threshold_db / 20.0))
    loud = M[..., 1:-1, :] > level.clamp_min(torch.finfo(M.dtype).tiny)
    count = (is_peak & loud).sum(-2, keepdim=True).float()
    return out(ref, count / (sr / 2000.0))


def snr_estimate(
    y=None,
    *,
    sr: float,
    S=None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length=None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    noise_quantile: float = 0.1,
):
    """A blind SNR estimate in dB: total power over a noise floor taken from the quietest frames.

    The noise power spectrum is the ``noise_quantile`` quantile of each bin's power over
    time (minimum-statistics style); ``SNR = 10 log10((sum P - sum N) / sum N)`` over the
    whole signal. It is an estimate: it assumes stationary noise and that the quietest
    frames hold no signal.

    Returns
    -------
    snr_db : same kind [shape=(...,)], dB (floored at -100 and capped at 100)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(44100) / 22050) * (np.arange(44100) > 22050)
    >>> y = (tone + 0.01 * rng.standard_normal(44100)).astype(np.float32)
    >>> 20 < float(snr_estimate(y, sr=22050)) < 45
    True

    Chapter: notebooks/03_features.ipynb
    """
    check_sr(sr)
    check(0 < noise_quantile < 0.5, "noise_quantile", noise_quantile, "a fraction in (0, 0.5)")
    P, n_fft, ref = _mag(y, S, n_fft, hop_length, win_length, window, center, pad_mode, power=2.0)
    P = P.double()
    noise = torch.quantile(P, noise_quantile, dim=-1, keepdim=True).expand_as(P).sum((-2, -1))
    total = P.sum((-2, -1))
    snr = 10 * torch.log10(torch.clamp(total - noise, min=1e-20) / torch.clamp(noise, min=1e-20))
    return out(ref, snr.clamp(-100, 100).float())
