"""Filterbanks: mel (Slaney and HTK), chroma, gammatone (ERB), DCT and constant-Q kernels.

The weights are built once in float64 NumPy (with librosa's own constructors where librosa
has them, so the numbers are librosa's) and cached. Applying them exploits their structure:
:class:`BandedFilterbank` multiplies only the non-zero band of each group of neighbouring
filters (a mel filter touches a few dozen of the 1025 STFT bins), which is what makes our
mel spectrogram faster than a dense matrix product.

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import torch

from ..errors import check
from ._util import check_fmax, check_int, check_sr

__all__ = [
    "mel",
    "chroma",
    "cq_to_chroma",
    "gammatone",
    "erb_space",
    "dct_matrix",
    "BandedFilterbank",
    "mel_frequencies",
    "hz_to_mel",
    "mel_to_hz",
]


def hz_to_mel(frequencies, *, htk: bool = False):
    """Hz to mels (Slaney's piecewise linear/log scale, or HTK's ``2595 log10(1 + f/700)``).

    Examples
    --------
    >>> round(float(hz_to_mel(1000.0)), 6), round(float(hz_to_mel(1000.0, htk=True)), 2)
    (15.0, 1000.0)

    Chapter: notebooks/03_features.ipynb
    """
    # librosa and scipy are imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    return librosa.hz_to_mel(frequencies, htk=htk)


def mel_to_hz(mels, *, htk: bool = False):
    """Mels to Hz (inverse of :func:`hz_to_mel`).

    Examples
    --------
    >>> round(float(mel_to_hz(15.0)), 6)
    1000.0

    Chapter: notebooks/03_features.ipynb
    """
    import librosa

    return librosa.mel_to_hz(mels, htk=htk)


def mel_frequencies(n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False):
    """``n_mels`` frequencies (Hz) evenly spaced in mels between ``fmin`` and ``fmax``.

    Examples
    --------
    >>> mel_frequencies(3, fmin=0.0, fmax=2000.0, htk=True).round(1).tolist()
    [0.0, 674.8, 2000.0]

    Chapter: notebooks/03_features.ipynb
    """
    import librosa

    return librosa.mel_frequencies(n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk)


@functools.lru_cache(maxsize=64)
def _mel_np(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "empty filters" is a property of the request, not an error
        return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=np.float64)


def mel(
    *, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None, htk: bool = False, norm="slaney"
) -> np.ndarray:
    """Mel filterbank ``(n_mels, 1 + n_fft // 2)``: triangles on the mel scale, as ``librosa.filters.mel``.

    Parameters
    ----------
    sr : float
        Sample rate in Hz.
    n_fft : int
        FFT length.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Lowest and highest frequency (Hz); ``fmax`` defaults to ``sr / 2`` and may not exceed it.
    htk : bool
        HTK's mel formula instead of Slaney's.
    norm : 'slaney', number or None
        'slaney' divides each triangle by its width in Hz (constant energy per band).

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float32

    Notes
    -----
    Deliberate difference from librosa: ``fmax`` above the Nyquist frequency raises
    ``ParameterError`` (librosa builds filters that can never see any energy).

    Examples
    --------
    >>> fb = mel(sr=22050, n_fft=2048, n_mels=40)
    >>> fb.shape, int(fb[10].argmax())
    ((40, 1025), 83)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    n_fft = check_int(n_fft, "n_fft")
    n_mels = check_int(n_mels, "n_mels")
    fmax = check_fmax(fmax, sr)
    check(0 <= fmin < fmax, "fmin", fmin, f"a frequency in [0, fmax={fmax:g}) Hz")
    return _mel_np(sr, n_fft, n_mels, float(fmin), fmax, bool(htk), norm).astype(np.float32)


@functools.lru_cache(maxsize=64)
def _chroma_np(sr, n_fft, n_chroma, tuning, ctroct, octwidth, norm, base_c):
    import librosa

    return librosa.filters.chroma(
        sr=sr,
        n_fft=n_fft,
        n_chroma=n_chroma,
        tuning=tuning,
        ctroct=ctroct,
        octwidth=octwidth,
        norm=norm,
        base_c=base_c,
        dtype=np.float64,
    )


def chroma(
    *,
    sr: float,
    n_fft: int,
    n_chroma: int = 12,
    tuning: float = 0.0,
    ctroct: float = 5.0,
    octwidth: float | None = 2,
    norm=2,
    base_c: bool = True,
) -> np.ndarray:
    """STFT-bin to pitch-class filterbank ``(n_chroma, 1 + n_fft // 2)``, as ``librosa.filters.chroma``.

    Examples
    --------
    >>> fb = chroma(sr=22050, n_fft=4096)
    >>> fb.shape, int(fb[:, 81].argmax())   # bin 81 is 436 Hz, near A: pitch class 9
    ((12, 2049), 9)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    return _chroma_np(
        sr, check_int(n_fft, "n_fft"), check_int(n_chroma, "n_chroma"), float(tuning), float(ctroct), octwidth, norm, bool(base_c)
    ).astype(np.float32)


@functools.lru_cache(maxsize=64)
def _cq_to_chroma_np(n_input, bins_per_octave, n_chroma, fmin, base_c):
    import librosa

    return librosa.filters.cq_to_chroma(
        n_input, bins_per_octave=bins_per_octave, n_chroma=n_chroma, fmin=fmin, base_c=base_c, dtype=np.float64
    )


def cq_to_chroma(n_input: int, *, bins_per_octave: int = 12, n_chroma: int = 12, fmin=None, base_c: bool = True) -> np.ndarray:
    """Constant-Q bins to chroma ``(n_chroma, n_input)``, as ``librosa.filters.cq_to_chroma``.

    Examples
    --------
    >>> cq_to_chroma(24).shape
    (12, 24)

    Chapter: notebooks/03_features.ipynb
    """
    return _cq_to_chroma_np(
        int(n_input), int(bins_per_octave), int(n_chroma), None if fmin is None else float(fmin), bool(base_c)
    ).astype(np.float32)


def erb_space(n_bands: int, *, fmin: float, fmax: float) -> np.ndarray:
    """``n_bands`` centre frequencies (Hz) equally spaced on the ERB-rate scale (Glasberg & Moore 1990).

    ERB-rate ``E(f) = 21.4 log10(1 + 0.00437 f)``; bands run from ``fmin`` up to ``fmax``.

    Examples
    --------
    >>> erb_space(3, fmin=100.0, fmax=4000.0).round(1).tolist()
    [100.0, 950.4, 4000.0]

    Chapter: notebooks/03_features.ipynb
    """
    n_bands = check_int(n_bands, "n_bands")
    check(0 < fmin < fmax, "fmin", fmin, f"a frequency in (0, fmax={fmax}) Hz")
    e = lambda f: 21.4 * np.log10(1.0 + 0.00437 * f)  # noqa: E731
    e_inv = lambda r: (10.0 ** (r / 21.4) - 1.0) / 0.00437  # noqa: E731
    return e_inv(np.linspace(e(fmin), e(fmax), n_bands))


@functools.lru_cache(maxsize=32)
def _gammatone_np(sr, n_fft, n_bands, fmin, fmax, order):
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    centres = erb_space(n_bands, fmin=fmin, fmax=fmax)
    erb = 24.7 * (4.37e-3 * centres + 1.0)
    b = 1.019 * erb  # bandwidth parameter of the 4th-order gammatone (Patterson et al. 1992)
    # Magnitude response of an order-n gammatone filter: (1 + ((f - fc) / b)^2)^(-n/2).
    resp = (1.0 + ((freqs[None, :] - centres[:, None]) / b[:, None]) ** 2) ** (-order / 2.0)
    resp[resp < 1e-4] = 0.0  # the tails carry <1e-4 of the peak; dropping them makes the bank sparse
    return resp / resp.sum(axis=1, keepdims=True).clip(1e-12), centres


def gammatone(
    *, sr: float, n_fft: int, n_bands: int = 64, fmin: float = 50.0, fmax: float | None = None, order: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """ERB-spaced gammatone filterbank as STFT-bin weights ``(n_bands, 1 + n_fft // 2)``.

    Each row is the magnitude response ``(1 + ((f - fc) / b)^2)^(-order/2)`` of a gammatone
    filter of centre ``fc`` and bandwidth ``b = 1.019 ERB(fc)``, ``ERB(f) = 24.7 (4.37 f/1000 + 1)``,
    normalised to unit sum. This is the frequency-domain approximation used by GFCC
    implementations (Shao & Wang 2008 use a time-domain filterbank; the centres and bandwidths
    are the same).

    Returns
    -------
    weights : np.ndarray [shape=(n_bands, 1 + n_fft // 2)], float32
    centres : np.ndarray [shape=(n_bands,)], Hz

    Examples
    --------
    >>> w, fc = gammatone(sr=16000, n_fft=512, n_bands=32)
    >>> w.shape, bool(abs(np.fft.rfftfreq(512, 1 / 16000)[w[20].argmax()] - fc[20]) < 16000 / 512)
    ((32, 257), True)

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    fmax = check_fmax(fmax, sr)
    w, c = _gammatone_np(
        sr, check_int(n_fft, "n_fft"), check_int(n_bands, "n_bands"), float(fmin), fmax, check_int(order, "order")
    )
    return w.astype(np.float32), c


@functools.lru_cache(maxsize=32)
def _dct_np(n_out, n_in, dct_type, norm):
    import scipy.fft

    return scipy.fft.dct(np.eye(n_in), type=dct_type, norm=norm, axis=0)[:n_out]


def dct_matrix(n_out: int, n_in: int, *, dct_type: int = 2, norm="ortho") -> np.ndarray:
    """The first ``n_out`` rows of the DCT of size ``n_in`` (``M @ x == scipy.fft.dct(x)[:n_out]``).

    Examples
    --------
    >>> x = np.arange(8.0)
    >>> import scipy.fft
    >>> bool(np.allclose(dct_matrix(3, 8) @ x, scipy.fft.dct(x, norm="ortho")[:3]))
    True

    Chapter: notebooks/03_features.ipynb
    """
    check(dct_type in (1, 2, 3), "dct_type", dct_type, "1, 2 or 3")
    check(norm in (None, "ortho"), "norm", norm, "'ortho' or None")
    return _dct_np(check_int(n_out, "n_mfcc"), check_int(n_in, "n_in"), int(dct_type), norm)


class BandedFilterbank:
    """Apply a filterbank ``W (n_filters, n_bins)`` whose rows are contiguous bands, sparsely.

    Neighbouring filters are grouped into blocks; each block is one small dense product over
    only the bins its filters touch. The grouping minimises an estimate of the work
    (``(rows + 4) * columns`` per block plus a fixed cost per block), found by dynamic
    programming over the filter order. The result is exactly ``x @ W.T`` (up to float32
    summation order), on any device, differentiable.

    Examples
    --------
    >>> W = mel(sr=22050, n_fft=2048, n_mels=64)
    >>> bank = BandedFilterbank(W)
    >>> x = torch.rand(2, 1025, 7)
    >>> bool(torch.allclose(bank(x), torch.from_numpy(W) @ x, rtol=1e-4, atol=1e-6))
    True

    Chapter: notebooks/03_features.ipynb
    """

    def __init__(self, W: np.ndarray, *, block_cost: int = 256):
        W = np.asarray(W, dtype=np.float32)
        self.shape = W.shape
        n_rows, n_cols = W.shape
        nz = W != 0
        has = nz.any(axis=1)
        lo = np.where(has, nz.argmax(axis=1), 0)
        hi = np.where(has, n_cols - nz[:, ::-1].argmax(axis=1), 0)
        # Dynamic programming over cut points: best[i] = cheapest cover of rows [0, i).
        best = np.full(n_rows + 1, np.inf)
        best[0] = 0.0
        cut = np.zeros(n_rows + 1, dtype=int)
        for i in range(1, n_rows + 1):
            for j in range(max(0, i - 64), i):
                rows = slice(j, i)
                if has[rows].any():
                    c0, c1 = lo[rows][has[rows]].min(), hi[rows][has[rows]].max()
                    cost = (i - j + 4) * (c1 - c0) + block_cost
                else:
                    cost = 1.0
                if best[j] + cost < best[i]:
                    best[i], cut[i] = best[j] + cost, j
        blocks, i = [], n_rows
        while i > 0:
            j = cut[i]
            rows = slice(j, i)
            if has[rows].any():
                c0, c1 = int(lo[rows][has[rows]].min()), int(hi[rows][has[rows]].max())
                blocks.append((j, i, c0, c1, np.ascontiguousarray(W[j:i, c0:c1])))
            else:
                blocks.append((j, i, 0, 0, None))
            i = j
        self.blocks = blocks[::-1]
        self._cache: dict = {}

    def _weights(self, device, dtype):
        key = (str(device), dtype)
        if key not in self._cache:
            self._cache[key] = [None if b[4] is None else torch.as_tensor(b[4], device=device, dtype=dtype) for b in self.blocks]
        return self._cache[key]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x (..., n_bins, n_frames)`` -> ``(..., n_filters, n_frames)``.

        Each block reads a contiguous run of rows ``x[..., c0:c1, :]`` (the bins its filters
        touch), so the products stay BLAS-friendly.
        """
        ws = self._weights(x.device, x.dtype)
        parts = []
        for (r0, r1, c0, c1, _), w in zip(self.blocks, ws):
            if w is None:
                parts.append(x.new_zeros(x.shape[:-2] + (r1 - r0, x.shape[-1])))
            else:
                parts.append(torch.matmul(w, x[..., c0:c1, :]))
        return torch.cat(parts, dim=-2)


_BANKS: dict = {}


def banded(kind: str, W_factory, *key) -> BandedFilterbank:
    """A cached :class:`BandedFilterbank` for ``key`` (built by ``W_factory()`` on first use).

    Examples
    --------
    >>> W = mel(sr=8000, n_fft=256, n_mels=16)
    >>> bank = banded("mel-example", lambda: W, 8000, 256, 16)
    >>> bank is banded("mel-example", lambda: W, 8000, 256, 16), bank.shape
    (True, (16, 129))

    Chapter: notebooks/03_features.ipynb
    """
    k = (kind,) + key
    bank = _BANKS.get(k)
    if bank is None:
        if len(_BANKS) > 64:
            _BANKS.clear()
        bank = _BANKS[k] = BandedFilterbank(W_factory())
    return bank
