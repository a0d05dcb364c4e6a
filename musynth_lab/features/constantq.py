"""Constant-Q and variable-Q transforms (常数Q变换) and chroma from the CQT, in torch.

The algorithm is librosa's (``librosa.vqt``): analyse the top octave at the full rate with
a bank of windowed complex exponentials, halve the sample rate, analyse the next octave
down with the same kernels (in samples), and so on; optionally downsample early when the
highest filter is far below Nyquist. Two things make ours faster:

* each octave's filterbank is turned from librosa's sparse frequency-domain basis into the
  equivalent time-domain kernel (exactly: ``K = FFT(B)``), so an octave is one strided
  matrix product ``frames @ K`` with no FFT per frame;
* the whole batch is resampled at once (soxr on the CPU, as librosa; on a GPU a
  linear-phase Kaiser FIR with soxr's pass band, applied by overlap-save FFT convolution).

On the GPU the resampler differs from soxr only in its transition band; measured against
librosa the CQT stays within 1e-3 of the peak either way (``tests/test_features.py``).

Chapter: notebooks/03_features.ipynb
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ParameterError, check
from . import filterbanks as fb
from ._util import audio_in, check_int, check_sr, map_blocks, out, spec_in
from .pitch import estimate_tuning
from .spectral import normalize_tensor
from .transforms import center_pad

__all__ = ["cqt", "vqt", "chroma_cqt", "cqt_frequencies", "halve_rate"]


def cqt_frequencies(n_bins: int, *, fmin: float, bins_per_octave: int = 12, tuning: float = 0.0) -> np.ndarray:
    """Centre frequencies (Hz) of the CQT bins: ``fmin * 2 ** ((k + tuning) / bins_per_octave)``.

    Examples
    --------
    >>> cqt_frequencies(3, fmin=110.0, bins_per_octave=12).round(2).tolist()
    [110.0, 116.54, 123.47]

    Chapter: notebooks/03_features.ipynb
    """
    n_bins = check_int(n_bins, "n_bins")
    check(fmin > 0, "fmin", fmin, "a positive frequency in Hz")
    return fmin * 2.0 ** ((np.arange(n_bins) + tuning) / bins_per_octave)


@functools.lru_cache(maxsize=1)
def _lowpass_fir() -> np.ndarray:
    """The decimation filter (input-Nyquist units): Kaiser window, 100 dB stop band (~285 taps).

    Pass band to 0.91 and stop band from 1.0 of the output Nyquist frequency, soxr_hq's band.
    Narrower filters were tried and rejected: a pass band ending at 0.5 of the output Nyquist
    (51 taps) or a half-band filter (27 taps) moved the CQT 2-5e-3 of its peak away from
    librosa's, because the sparsified kernels of the lower octaves still see that band.
    """
    # scipy, soxr and librosa are imported where used: importing this module (and `import musynth_lab`) stays light
    from scipy.signal import firwin, kaiserord

    numtaps, beta = kaiserord(100.0, 0.09 / 2)
    return firwin(numtaps | 1, 0.955 / 2, window=("kaiser", beta))


_FIR: dict = {}
_OLS_N = 4096  # FFT block of the overlap-save convolution


def halve_rate(x: torch.Tensor) -> torch.Tensor:
    """Downsample ``(..., n)`` by 2 to ``ceil(n / 2)`` samples with a linear-phase low-pass (unscaled).

    Output sample ``k`` is aligned with input sample ``2k`` (zero padding at both ends). The
    filter (:func:`_lowpass_fir`) is applied by overlap-save FFT convolution in blocks of
    4096 samples, which keeps the work cache-sized and independent of the filter length.

    Examples
    --------
    >>> t = torch.arange(4000) / 8000
    >>> y = halve_rate(torch.sin(2 * torch.pi * 500 * t))
    >>> y.shape[-1], round(float(y[500:1500].abs().max()), 3)
    (2000, 1.0)

    Chapter: notebooks/03_features.ipynb
    """
    h = _lowpass_fir()
    L = len(h)
    c = L // 2
    N = _OLS_N
    V = (N - L + 1) & ~1  # valid outputs per block, even so that every block keeps phase 0
    key = (str(x.device), x.dtype)
    H = _FIR.get(key)
    if H is None:
        H = _FIR[key] = torch.fft.rfft(torch.as_tensor(h, dtype=x.dtype, device=x.device), n=N)
    n = x.shape[-1]
    n_out = (n + 1) // 2
    n_blocks = -(-n // V)
    total = (n_blocks - 1) * V + N
    xp = F.pad(x.reshape(-1, n), (c, total - n - c))  # xp[i] = x[i - c]
    frames = xp.unfold(-1, N, V)  # (B, n_blocks, N)
    z = torch.fft.irfft(torch.fft.rfft(frames) * H, n=N)[..., L - 1 : L - 1 + V : 2]  # z[k] = sum_j h[j] xp[2k + j]
    y = z.reshape(z.shape[0], -1)[:, :n_out]
    return y.reshape(x.shape[:-1] + (n_out,))


@functools.lru_cache(maxsize=32)
def _cascade_response(M: int, stages: int) -> np.ndarray:
    """Zero-phase response of ``stages`` cascaded halvings at the ``M // 2**(stages+1) + 1`` kept bins."""
    h = _lowpass_fir()
    c = len(h) // 2
    k = np.arange(1, c + 1)
    n_keep = M // 2 ** (stages + 1) + 1
    b = np.arange(n_keep, dtype=np.float64)
    G = np.ones(n_keep)
    for j in range(stages):
        nu = b * 2**j / M  # the bin's frequency in cycles per sample at stage j's input rate
        G *= h[c] + 2 * np.cos(2 * np.pi * np.outer(nu, k)) @ h[c + 1 :]
    return G


def _pyramid(y: torch.Tensor, levels: int) -> list:
    """``[y, D(y), D(D(y)), ...]`` (``levels`` signals), each a halving of the sample rate.

    On the CPU without autograd ``D`` is soxr 'HQ' row by row (:func:`_downsample`), exactly
    librosa's resampler. Elsewhere (CUDA, or when a gradient is needed) ``D`` is :func:`halve_rate`'s
    filter applied exactly as a zero-phase frequency response
    (one ``rfft`` of the zero-padded signal, an ``irfft`` of half the size over the kept
    bins; aliasing lies below the 100 dB stop band). Each level is cut to ``ceil(n / 2)``
    samples before the next halving, as librosa's resampler does, so the ends match too.
    """
    out_levels = [y]
    if y.device.type == "cpu" and not y.requires_grad:
        # On the CPU, soxr's 'HQ' halving is librosa's own resampler (agrees with the filter below to
        # ~1e-6 in the CQT's pass band) and three times faster than the FFT route.
        for _ in range(1, levels):
            y = _downsample(y, 2)
            out_levels.append(y)
        return out_levels
    half_len = len(_lowpass_fir()) // 2 + 1
    for _ in range(1, levels):
        n = y.shape[-1]
        M = 1 << (n + half_len).bit_length()
        G = torch.as_tensor(_cascade_response(M, 1), dtype=y.dtype, device=y.device)
        y = torch.fft.irfft(torch.fft.rfft(y, n=M)[..., : G.shape[0]] * G, n=M // 2)[..., : -(-n // 2)] * 0.5
        out_levels.append(y)
    return out_levels


def _downsample(y: torch.Tensor, factor: int) -> torch.Tensor:
    """Resample ``(B, n)`` by ``1 / factor`` to ``ceil(n / factor)`` samples, as librosa does.

    On the CPU (no gradient) this is soxr 'HQ', the very resampler librosa calls, followed by
    librosa's ``fix_length``; elsewhere it is :func:`halve_rate` applied ``log2(factor)`` times
    (same pass band, linear phase), which keeps CUDA tensors on the GPU and differentiable.
    """
    n = y.shape[-1]
    n_out = -(-n // factor)
    if y.device.type == "cpu" and not y.requires_grad:
        import soxr

        rows = y.reshape(-1, n).numpy()
        z = np.zeros((rows.shape[0], n_out), dtype=rows.dtype)
        for i, row in enumerate(rows):  # row by row, as librosa (np.apply_along_axis): faster than (n, C) too
            r = soxr.resample(row, factor, 1, quality="HQ")[:n_out]
            z[i, : len(r)] = r
        return torch.from_numpy(z).reshape(y.shape[:-1] + (n_out,))
    for _ in range(int(np.log2(factor))):
        y = halve_rate(y)
    keep = int(np.floor(n / factor + 0.5))  # soxr's length, then zero-padded to ceil (librosa's fix_length)
    if keep < y.shape[-1]:
        y = F.pad(y[..., :keep], (0, y.shape[-1] - keep))
    return y


@functools.lru_cache(maxsize=64)
def _octave_kernel(my_sr, freqs_oct, alpha_oct, filter_scale, norm, sparsity, window, gamma, rescale):
    """Time-domain kernel ``(n_fft, 2 * n_filters)`` (real parts, then imaginary) of one octave."""
    import librosa

    freqs_oct = np.asarray(freqs_oct)
    basis, lengths = librosa.filters.wavelet(
        freqs=freqs_oct,
        sr=my_sr,
        filter_scale=filter_scale,
        norm=norm,
        pad_fft=True,
        window=window,
        gamma=gamma,
        alpha=np.asarray(alpha_oct),
        dtype=np.complex128,
    )
    n_fft = basis.shape[1]
    basis = basis * (lengths[:, None] / float(n_fft))
    fft_basis = np.fft.fft(basis, n=n_fft, axis=1)[:, : n_fft // 2 + 1]
    fft_basis = librosa.util.sparsify_rows(fft_basis, quantile=sparsity, dtype=np.complex128).toarray()
    fft_basis *= rescale
    full = np.zeros((fft_basis.shape[0], n_fft), dtype=np.complex128)
    full[:, : n_fft // 2 + 1] = fft_basis
    K = np.fft.fft(full, axis=1)  # K[k, n] = sum_f B[k, f] exp(-2 pi i f n / N): response = frame @ K
    W = np.concatenate([K.real, K.imag], axis=0).T  # (n_fft, 2 * n_filters)
    return np.ascontiguousarray(W, dtype=np.float32), n_fft


_KERNELS: dict = {}


def _kernel_tensor(args, device):
    key = (args, str(device))
    t = _KERNELS.get(key)
    if t is None:
        W, n_fft = _octave_kernel(*args)
        if len(_KERNELS) > 128:
            _KERNELS.clear()
        t = _KERNELS[key] = (torch.as_tensor(W, device=device), n_fft)
    return t


def _num_two_factors(x: int) -> int:
    if x <= 0:
        return 0
    k = 0
    while x % 2 == 0:
        k += 1
        x //= 2
    return k


def vqt(
    y,
    *,
    sr: float,
    hop_length: int = 512,
    fmin: float | None = None,
    n_bins: int = 84,
    gamma: float | None = None,
    bins_per_octave: int = 12,
    tuning: float | None = 0.0,
    filter_scale: float = 1,
    norm=1,
    sparsity: float = 0.01,
    window="hann",
    scale: bool = True,
    pad_mode: str = "constant",
    res_type=None,
    dtype=None,
):
    """Variable-Q transform (可变Q变换), as ``librosa.vqt`` (``gamma=0`` gives the CQT).

    Parameters
    ----------
    y : array [shape=(..., n_samples)]
    sr : float
        Sample rate in Hz.
    hop_length : int
        Samples between frames; must be divisible by ``2 ** (n_octaves - 1)`` for the octave
        halvings to keep it whole (librosa's rule; otherwise lower octaves keep the hop).
    fmin : float, optional
        Lowest bin's frequency; C1 (32.70 Hz) by default.
    n_bins, bins_per_octave : int
    gamma : float, optional
        Bandwidth offset in Hz (None: ERB-based, as librosa).
    tuning : float, optional
        Tuning offset in fractions of a bin; None estimates it.
    filter_scale, norm, sparsity, window, scale, pad_mode
        As librosa. ``res_type`` and ``dtype`` are accepted and ignored.

    Returns
    -------
    V : complex64, same kind [shape=(..., n_bins, n_frames)], ``n_frames = 1 + n_samples // hop_length``

    Raises
    ------
    ParameterError
        The highest filter would pass the Nyquist frequency; bad sizes.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> V = vqt(y, sr=22050, n_bins=60, fmin=65.4)
    >>> V.shape, int(np.abs(V[:, 20]).argmax())   # A4 is 33 semitones above C2
    ((60, 44), 33)

    Chapter: notebooks/03_features.ipynb
    """
    return _vqt(
        y,
        sr=sr,
        hop_length=hop_length,
        fmin=fmin,
        n_bins=n_bins,
        gamma=gamma,
        bins_per_octave=bins_per_octave,
        tuning=tuning,
        filter_scale=filter_scale,
        norm=norm,
        sparsity=sparsity,
        window=window,
        scale=scale,
        pad_mode=pad_mode,
        cqt_mode=False,
    )


def cqt(
    y,
    *,
    sr: float,
    hop_length: int = 512,
    fmin: float | None = None,
    n_bins: int = 84,
    bins_per_octave: int = 12,
    tuning: float | None = 0.0,
    filter_scale: float = 1,
    norm=1,
    sparsity: float = 0.01,
    window="hann",
    scale: bool = True,
    pad_mode: str = "constant",
    res_type=None,
    dtype=None,
):
    """Constant-Q transform (常数Q变换), as ``librosa.cqt``: log-spaced bins with constant Q.

    Parameters are those of :func:`vqt` (without ``gamma``).

    Returns
    -------
    C : complex64, same kind [shape=(..., n_bins, n_frames)]

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> C = cqt(y, sr=22050)
    >>> C.shape, int(np.abs(C[:, 20]).argmax())   # A4 is 45 semitones above C1
    ((84, 44), 45)

    Chapter: notebooks/03_features.ipynb
    """
    return _vqt(
        y,
        sr=sr,
        hop_length=hop_length,
        fmin=fmin,
        n_bins=n_bins,
        gamma=0.0,
        bins_per_octave=bins_per_octave,
        tuning=tuning,
        filter_scale=filter_scale,
        norm=norm,
        sparsity=sparsity,
        window=window,
        scale=scale,
        pad_mode=pad_mode,
        cqt_mode=True,
    )


def _vqt(
    y,
    *,
    sr,
    hop_length,
    fmin,
    n_bins,
    gamma,
    bins_per_octave,
    tuning,
    filter_scale,
    norm,
    sparsity,
    window,
    scale,
    pad_mode,
    cqt_mode,
):
    import librosa

    sr = check_sr(sr)
    hop_length = check_int(hop_length, "hop_length")
    n_bins = check_int(n_bins, "n_bins")
    bins_per_octave = check_int(bins_per_octave, "bins_per_octave")
    check(0 <= sparsity < 1, "sparsity", sparsity, "a fraction in [0, 1)")
    if isinstance(window, (str, tuple)):
        from scipy.signal import get_window as _scipy_window

        try:
            _scipy_window(window, 8)
        except (ValueError, TypeError) as err:
            raise ParameterError(f"window={window!r}: expected a scipy window name such as 'hann' ({err})") from None
    x = audio_in(y)
    fmin = librosa.note_to_hz("C1") if fmin is None else fmin
    check(fmin > 0, "fmin", fmin, "a positive frequency in Hz")
    flat = x.reshape(-1, x.shape[-1])
    if tuning is None:
        tunings = map_blocks(lambda f: estimate_tuning(f[0], sr=sr, bins_per_octave=bins_per_octave), flat, 1)
        if len(set(tunings)) > 1:
            # group the items that share a tuning (the kernels depend on it), one batched call per group
            groups: dict = {}
            for i, tun in enumerate(tunings):
                groups.setdefault(tun, []).append(i)
            V = None
            for tun, idx in groups.items():
                Vg = _vqt(
                    flat[idx],
                    sr=sr,
                    hop_length=hop_length,
                    fmin=fmin,
                    n_bins=n_bins,
                    gamma=gamma,
                    bins_per_octave=bins_per_octave,
                    tuning=tun,
                    filter_scale=filter_scale,
                    norm=norm,
                    sparsity=sparsity,
                    window=window,
                    scale=scale,
                    pad_mode=pad_mode,
                    cqt_mode=cqt_mode,
                )
                if V is None:
                    V = Vg.new_empty((flat.shape[0],) + Vg.shape[1:])
                V[idx] = Vg
            V = V.reshape(x.shape[:-1] + V.shape[-2:])
            return out(y, V)
        tuning = tunings[0]
    n_octaves = int(np.ceil(float(n_bins) / bins_per_octave))
    n_filters = min(bins_per_octave, n_bins)
    fmin_t = fmin * 2.0 ** (tuning / bins_per_octave)
    freqs = librosa.interval_frequencies(
        n_bins=n_bins, fmin=fmin_t, intervals="equal", bins_per_octave=bins_per_octave, sort=True
    )
    if n_bins == 1:
        r = 2.0 ** (1.0 / bins_per_octave)
        alpha = np.atleast_1d((r**2 - 1) / (r**2 + 1))
    else:
        alpha = librosa.filters._relative_bandwidth(freqs=freqs)
    lengths, filter_cutoff = librosa.filters.wavelet_lengths(
        freqs=freqs, sr=sr, window=window, filter_scale=filter_scale, gamma=gamma, alpha=alpha
    )
    nyquist = sr / 2.0
    if filter_cutoff > nyquist:
        raise ParameterError(
            f"n_bins={n_bins}: the highest filter (cut-off {filter_cutoff:.0f} Hz) would pass the Nyquist "
            f"frequency {nyquist:g} Hz; expected fewer bins or a lower fmin"
        )
    # Early downsampling (librosa's rule)
    count1 = max(0, int(np.ceil(np.log2(nyquist / filter_cutoff)) - 1) - 1)
    count2 = max(0, _num_two_factors(hop_length) - n_octaves + 1)
    count = min(count1, count2)
    # The cheap resampler suffices when every filter lies below half the Nyquist frequency
    # (an octave lower each halving keeps that ratio).
    my_y, my_sr, my_hop = flat, sr, hop_length
    if count > 0:
        factor = 2**count
        check(flat.shape[-1] >= factor, "y", y, f"at least {factor} samples for a {n_octaves}-octave CQT")
        my_y = _downsample(my_y, factor)
        my_y = my_y * (np.sqrt(factor) if scale else factor)
        my_sr = sr / factor
        my_hop = hop_length // factor
    sr_ds = my_sr
    # How many halvings the octave loop makes (librosa halves only while the hop stays whole).
    n_halve, h = 0, my_hop
    while n_halve + 1 < n_octaves and h % 2 == 0:
        n_halve, h = n_halve + 1, h // 2
    levels = _pyramid(my_y, n_halve + 1)
    responses = []
    for i in range(n_octaves):
        sl = slice(-n_filters, None) if i == 0 else slice(-n_filters * (i + 1), -n_filters * i)
        freqs_oct = freqs[sl]
        alpha_oct = alpha[sl] if len(alpha) > 1 else alpha
        win_key = window if not isinstance(window, list) else tuple(window)
        Wt, n_fft = _kernel_tensor(
            (
                float(my_sr),
                tuple(freqs_oct),
                tuple(np.atleast_1d(alpha_oct)),
                float(filter_scale),
                norm,
                float(sparsity),
                win_key,
                float(gamma or 0.0) if gamma is not None else None,
                float(np.sqrt(sr_ds / my_sr)),
            ),
            x.device,
        )
        lvl = min(i, n_halve)
        my_y = levels[lvl] * float(np.sqrt(2.0) ** lvl)
        padded = center_pad(my_y, n_fft // 2, pad_mode)
        if padded.shape[-1] < n_fft:
            padded = F.pad(padded, (0, n_fft - padded.shape[-1]))
        frames = padded.unfold(-1, n_fft, my_hop)  # (B, T, n_fft)
        R = torch.matmul(frames, Wt)  # (B, T, 2 * n_filt)
        k = Wt.shape[1] // 2
        responses.append(torch.complex(R[..., :k], R[..., k:]).transpose(-1, -2))
        if i < n_halve:
            my_hop //= 2
            my_sr /= 2.0
    max_col = min(r.shape[-1] for r in responses)
    V = torch.cat([r[..., :max_col] for r in responses[::-1]], dim=-2)[..., -n_bins:, :]
    if scale:
        lengths, _ = librosa.filters.wavelet_lengths(
            freqs=freqs, sr=sr_ds, window=window, filter_scale=filter_scale, gamma=gamma, alpha=alpha
        )
        V = V / torch.as_tensor(np.sqrt(lengths), dtype=torch.float32, device=V.device)[:, None]
    V = V.reshape(x.shape[:-1] + V.shape[-2:])
    return out(y, V)


def chroma_cqt(
    y=None,
    *,
    sr: float,
    C=None,
    hop_length: int = 512,
    fmin: float | None = None,
    norm=np.inf,
    threshold: float = 0.0,
    tuning: float | None = None,
    n_chroma: int = 12,
    n_octaves: int = 7,
    window=None,
    bins_per_octave: int = 36,
    cqt_mode: str = "full",
):
    """Chroma (色度特征) from the constant-Q transform, as ``librosa.feature.chroma_cqt``.

    Parameters
    ----------
    y : array [shape=(..., n_samples)], optional
    sr : float
        Sample rate in Hz.
    C : array [shape=(..., n_bins, n_frames)], optional
        A precomputed CQT magnitude.
    hop_length, fmin, n_octaves, bins_per_octave, tuning
        CQT parameters (``tuning=None`` estimates it per item).
    norm : float or None
        Column normalisation.
    threshold : float
        Chroma values below it are set to 0 (before normalising).
    cqt_mode : 'full' or 'hybrid'
        Only 'full' is implemented.

    Returns
    -------
    chroma : same kind [shape=(..., n_chroma, n_frames)]

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> int(chroma_cqt(y, sr=22050)[:, 20].argmax())
    9

    Chapter: notebooks/03_features.ipynb
    """
    sr = check_sr(sr)
    check(cqt_mode == "full", "cqt_mode", cqt_mode, "'full' (the hybrid CQT is not implemented)")
    check(window is None, "window", window, "None (a chroma window is not implemented)")
    bins_per_octave = check_int(bins_per_octave, "bins_per_octave")
    if C is None:
        Ct = _vqt(
            audio_in(y),
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            n_bins=n_octaves * bins_per_octave,
            gamma=0.0,
            bins_per_octave=bins_per_octave,
            tuning=tuning,
            filter_scale=1,
            norm=1,
            sparsity=0.01,
            window="hann",
            scale=True,
            pad_mode="constant",
            cqt_mode=True,
        ).abs()
        ref = y
    else:
        Ct, ref = spec_in(C, name="C").abs().float(), C
    W = torch.as_tensor(
        fb.cq_to_chroma(Ct.shape[-2], bins_per_octave=bins_per_octave, n_chroma=n_chroma, fmin=fmin), device=Ct.device
    )
    chroma = torch.matmul(W, Ct)
    if threshold is not None:
        chroma = torch.where(chroma < threshold, torch.zeros_like(chroma), chroma)
    return out(ref, normalize_tensor(chroma, norm=norm, axis=-2))
