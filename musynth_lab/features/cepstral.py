"""Cepstral (倒谱) and mixed features: MFCC, GFCC, real cepstrum, deltas.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import check
from . import filterbanks as fb
from ._util import audio_in, check_int, check_sr, out, spec_in
from .spectral import melspectrogram
from .transforms import get_window
from .transforms import power_spectrogram as _spectrogram_ft  # local names as before: the bodies are unchanged
from .transforms import power_to_db_tensor as _power_to_db
from .transforms import stft_setup as _stft_args

__all__ = ["mfcc", "gfcc", "real_cepstrum", "delta"]


def _lifter(M: torch.Tensor, lifter: float) -> torch.Tensor:
    check(lifter >= 0, "lifter", lifter, "a non-negative liftering coefficient (0: none)")
    if lifter == 0:
        return M
    n = M.shape[-2]
    LI = np.sin(np.pi * np.arange(1, 1 + n, dtype=np.float32) / lifter)
    return M * torch.as_tensor(1 + (lifter / 2) * LI, device=M.device)[:, None]


def mfcc(
    y=None,
    *,
    sr: float,
    S=None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm="ortho",
    lifter: float = 0,
    mel_norm="slaney",
    **kwargs,
):
    """Mel-frequency cepstral coefficients (梅尔频率倒谱系数), as ``librosa.feature.mfcc``.

    ``DCT(power_to_db(melspectrogram(y)))[:n_mfcc]``, then optional sinusoidal liftering
    ``M *= 1 + (lifter / 2) sin(pi k / lifter)``.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
    sr : float
        Sample rate in Hz.
    S : array [shape=(..., n_mels, n_frames)], optional
        A log-power mel spectrogram (dB).
    n_mfcc : int
    dct_type : 1, 2 or 3
    norm : 'ortho' or None
    lifter : float
        Liftering coefficient (0: none).
    mel_norm, **kwargs
        Passed to :func:`~musynth_lab.features.melspectrogram` (``n_fft``, ``hop_length``,
        ``n_mels``, ``fmin``, ``fmax``, ``htk``, ...).

    Returns
    -------
    M : same kind [shape=(..., n_mfcc, n_frames)]

    Notes
    -----
    Deliberate difference: the dB conversion's ``top_db=80`` uses each item's maximum.

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    >>> mfcc(y, sr=22050, n_mfcc=13).shape
    (13, 44)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    n_mfcc = check_int(n_mfcc, "n_mfcc")
    check(dct_type in (1, 2, 3), "dct_type", dct_type, "1, 2 or 3")
    check(norm in (None, "ortho"), "norm", norm, "'ortho' or None")
    if S is None:
        mel = melspectrogram(audio_in(y), sr=sr, norm=mel_norm, **kwargs)
        St, ref = _power_to_db(mel), y
    else:
        St, ref = spec_in(S).float(), S
    D = torch.as_tensor(
        fb.dct_matrix(n_mfcc, St.shape[-2], dct_type=int(dct_type), norm=norm), dtype=torch.float32, device=St.device
    )
    M = _lifter(torch.matmul(D, St), lifter)
    return out(ref, M)


def gfcc(
    y,
    *,
    sr: float,
    n_gfcc: int = 20,
    n_bands: int = 64,
    n_fft: int = 2048,
    hop_length: int = 512,
    fmin: float = 50.0,
    fmax: float | None = None,
    window="hann",
    center: bool = True,
    pad_mode: str = "constant",
    lifter: float = 0,
):
    """Gammatone frequency cepstral coefficients (GFCC): ERB gammatone energies, cube root, DCT.

    Shao & Wang (2008): a gammatone filterbank on the ERB scale, loudness compression by the
    cube root (instead of MFCC's logarithm), then a DCT-II (orthonormal).

    Parameters
    ----------
    y : array [shape=(..., n_samples)]
    sr : float
        Sample rate in Hz.
    n_gfcc : int
        Coefficients kept.
    n_bands, fmin, fmax
        Gammatone filterbank (:func:`~musynth_lab.features.filterbanks.gammatone`).

    Returns
    -------
    G : same kind [shape=(..., n_gfcc, n_frames)]

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    >>> gfcc(y, sr=16000, n_gfcc=13).shape
    (13, 32)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    n_gfcc = check_int(n_gfcc, "n_gfcc")
    check(n_gfcc <= n_bands, "n_gfcc", n_gfcc, f"at most n_bands={n_bands}")
    bank = fb.banded(
        "gammatone",
        lambda: fb.gammatone(sr=sr, n_fft=n_fft, n_bands=n_bands, fmin=fmin, fmax=fmax)[0],
        sr,
        n_fft,
        n_bands,
        float(fmin),
        fmax,
    )
    x = audio_in(y)
    n_fft, hop_length, w = _stft_args(n_fft, hop_length, None, window, x.device)
    E = _spectrogram_ft(x, n_fft=n_fft, hop_length=hop_length, window=w, center=center, pad_mode=pad_mode, power=2.0, reduce=bank)
    C = torch.pow(E.clamp_min(0) + 1e-12, 1.0 / 3.0)
    D = torch.as_tensor(fb.dct_matrix(n_gfcc, n_bands), dtype=torch.float32, device=C.device)
    return out(y, _lifter(torch.matmul(D, C), lifter))


def real_cepstrum(y, *, n_fft: int | None = None, window="hann", amin: float = 1e-10):
    """Real cepstrum (倒谱) ``irfft(log |rfft(w * y)|)`` of each signal (or frame) along the last axis.

    Peaks at quefrency ``q`` samples reveal periodicity in the spectrum: a harmonic tone of
    period ``P`` samples gives a peak near ``q = P``.

    Parameters
    ----------
    y : array [shape=(..., n_samples)]
    n_fft : int, optional
        FFT length (``n_samples`` by default).
    window : str or None
    amin : float
        Floor on ``|X|`` so silence gives a finite cepstrum.

    Returns
    -------
    c : same kind [shape=(..., n_fft)]; index = quefrency in samples

    Examples
    --------
    >>> t = np.arange(2048) / 16000
    >>> y = sum(np.sin(2 * np.pi * 200 * k * t) for k in range(1, 20)).astype(np.float32)
    >>> c = real_cepstrum(y)
    >>> int(np.argmax(c[40:200]) + 40)   # period 16000 / 200 = 80 samples
    80

    Chapter: notebooks/03_features.ipynb
    """
    x = audio_in(y)
    n = x.shape[-1]
    n_fft = n if n_fft is None else check_int(n_fft, "n_fft")
    check(amin > 0, "amin", amin, "a positive floor")
    if window is not None:
        x = x * get_window(window, n, device=x.device)
    X = torch.fft.rfft(x, n=n_fft)
    return out(y, torch.fft.irfft(torch.log(X.abs().clamp_min(amin)), n=n_fft))


@functools.lru_cache(maxsize=16)
def _savgol(width, order):
    from scipy.signal import savgol_coeffs, savgol_filter

    interior = savgol_coeffs(width, order, deriv=order, use="dot")
    edges = savgol_filter(np.eye(width), width, order, deriv=order, mode="interp", axis=0)
    return interior, edges


def delta(data, *, width: int = 9, order: int = 1, axis: int = -1, mode: str = "interp"):
    """Delta features (差分特征): local Savitzky-Golay derivative of ``order`` along ``axis``, as librosa's.

    Parameters
    ----------
    data : array [shape=(..., n_frames)]
    width : int
        Odd window length >= 3 (and at most the number of frames, with ``mode='interp'``).
    order : int
        Derivative order (1: delta, 2: delta-delta).
    axis : int
        The time axis.
    mode : 'interp'
        Edge handling (polynomial fit at the edges, librosa's default).

    Returns
    -------
    same kind and shape

    Examples
    --------
    >>> float(delta(np.arange(10.0) ** 2, width=3)[4])   # d(t^2)/dt at t=4
    8.0

    Chapter: notebooks/03_features.ipynb
    """
    check(mode == "interp", "mode", mode, "'interp' (the only edge rule implemented)")
    width = check_int(width, "width", minimum=3)
    check(width % 2 == 1, "width", width, "an odd integer >= 3")
    order = check_int(order, "order")
    X = spec_in(data, name="data", min_ndim=1, real=True)
    dt = X.dtype
    X = X.movedim(axis, -1).double()
    n = X.shape[-1]
    check(n >= width, "width", width, f"at most the number of frames ({n}) with mode='interp'")
    interior, edges = _savgol(width, order)
    half = width // 2
    lead = X.shape[:-1]
    Xf = X.reshape(-1, 1, n)
    k = torch.as_tensor(interior, dtype=X.dtype, device=X.device).reshape(1, 1, width)
    mid = F.conv1d(Xf, k).reshape(lead + (n - 2 * half,))
    E = torch.as_tensor(edges, dtype=X.dtype, device=X.device)
    left = X[..., :width] @ E[:half].T
    right = X[..., -width:] @ E[-half:].T
    res = torch.cat([left, mid, right], dim=-1).movedim(-1, axis).to(dt)
    return out(data, res)
