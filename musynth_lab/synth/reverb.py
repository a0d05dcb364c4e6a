"""Reverb and space (混响合成): algorithmic and convolution reverb, panning, a simple spatialiser.

* :func:`algorithmic_reverb` is a Freeverb network (Jezar's: 8 parallel feedback combs
  with a low-pass in each loop, then 4 series all-passes; Schroeder's 1962 design had 4
  combs and 2 all-passes). The network is linear and
  time-invariant, so its impulse response is computed once, exactly, from its transfer
  function on a long FFT grid (:func:`schroeder_ir`; differentiable in ``rt60`` and
  ``damping``), and applied by FFT convolution. Each comb's feedback is set so it decays
  by 60 dB in ``rt60`` seconds; the tests measure the RT60 of the result. On the CPU when
  no gradient is needed, the network itself runs as a compiled loop instead (numba; same
  numbers within the response's length, faster than the convolution).
* :func:`convolution_reverb` convolves with any impulse response, e.g. a generated one
  (:func:`synthetic_ir`: exponentially decaying noise).
* :func:`convolve` is block-capable: it returns the tail that the next block must add.
* The reverbs soft-limit their output only when it would exceed full scale.
* :func:`pan` is constant-power stereo panning; :func:`spatialize` places a mono source at
  an azimuth with interaural time and level differences (ITD, ILD).

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..audio import to_numpy
from ..errors import ParameterError
from ._kernels import kernel
from ._util import audio_in, audio_out, batch_of, check_sr, param
from .effects import guard_full_scale
from .filters import biquad

__all__ = [
    "COMB_DELAYS",
    "ALLPASS_DELAYS",
    "schroeder_ir",
    "algorithmic_reverb",
    "synthetic_ir",
    "convolve",
    "convolution_reverb",
    "measure_rt60",
    "energy_decay_db",
    "pan",
    "spatialize",
    "woodworth_itd",
]

#: Freeverb's comb and all-pass delays in samples at 44.1 kHz (scaled to other rates).
COMB_DELAYS = (1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617)
ALLPASS_DELAYS = (556, 441, 341, 225)
_STEREO_SPREAD = 23


def _next_pow2(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


def schroeder_ir(
    *, rt60, sr: int, damping=0.0, n_samples: int | None = None, allpass_gain: float = 0.5, stereo: bool = False, device=None
):
    """The impulse response of a Schroeder/Freeverb reverb, from its transfer function.

    ``H(z) = mean_i [z^-D_i / (1 - g_i L(z) z^-D_i)] * prod_j (-a + z^-A_j) / (1 - a z^-A_j)``
    with ``g_i = 10**(-3 D_i / (rt60 sr))`` (each comb loses 60 dB in ``rt60``) and the loop
    low-pass ``L(z) = (1 - damping) / (1 - damping z^-1)`` (unit gain at DC, so ``rt60`` is
    the low-frequency decay time; damping shortens the decay of the highs).

    Parameters
    ----------
    rt60 : float or Tensor [shape=(batch,)]
        Reverberation time in seconds, in [0.05, 20].
    sr : int
    damping : float or Tensor [shape=(batch,)]
        In [0, 0.95].
    n_samples : int, optional
        IR length; default ``1.2 * rt60 * sr`` (60 dB down and a little more).
    allpass_gain : float
        The all-passes' coefficient ``a`` in (0, 1).
    stereo : bool
        Return ``(batch, 2, n)`` with the right channel's delays offset by 23 samples (Freeverb's spread).

    Returns
    -------
    Tensor [shape=(batch, n_samples) or (batch, 2, n_samples)], scaled to unit energy.

    Examples
    --------
    >>> ir = schroeder_ir(rt60=0.5, sr=8000)
    >>> ir.shape, round(float((ir ** 2).sum()), 4)
    (torch.Size([1, 4800]), 1.0)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    dev = device or next((v.device for v in (rt60, damping) if isinstance(v, torch.Tensor)), "cpu")
    T = param(rt60, "rt60", lo=0.05, hi=20.0, device=dev, expected="a reverberation time in [0.05, 20] s")
    d = param(damping, "damping", lo=0.0, hi=0.95, device=dev, expected="a damping in [0, 0.95]")
    if not 0 < allpass_gain < 1:
        raise ParameterError(f"allpass_gain={allpass_gain!r}: expected a value in (0, 1)")
    batch_of(rt60=T, damping=d)
    n = int(n_samples) if n_samples is not None else int(math.ceil(1.2 * float(T.detach().max()) * sr))
    if n < 1:
        raise ParameterError(f"n_samples={n_samples!r}: expected a positive length")
    plain = not any(isinstance(v, torch.Tensor) for v in (rt60, damping))
    key = (float(T.max()), float(d.max()), sr, n, float(allpass_gain), bool(stereo), str(dev)) if plain else None
    if key is not None and key in _IR_CACHE:
        return _IR_CACHE[key].clone()
    scale = sr / 44100.0
    M = _next_pow2(int(3 * float(T.detach().max()) * sr) + n + 4096)
    k = torch.arange(M // 2 + 1, device=dev, dtype=torch.float64)
    zinv = torch.exp(-2j * math.pi * k / M)[None]  # (1, F)

    def zpow(D):
        # z^-D on the grid as exp(-2 pi i (k D mod M) / M): exact integer phase, and ~20x
        # faster than a complex power of zinv
        ph = torch.remainder(k * D, M) * (-2 * math.pi / M)
        return torch.polar(torch.ones_like(ph), ph)[None]

    Td, dd = T.double(), d.double()
    lp = (1 - dd) / (1 - dd * zinv)

    def network(offset):
        total = 0
        for D0 in COMB_DELAYS:
            D = max(1, int(round(D0 * scale)) + offset)
            g = 10.0 ** (-3.0 * D / (Td * sr))
            zD = zpow(D)
            total = total + zD / (1 - g * lp * zD)
        H = total / len(COMB_DELAYS)
        for A0 in ALLPASS_DELAYS:
            A = max(1, int(round(A0 * scale)) + offset)
            zA = zpow(A)
            H = H * (-allpass_gain + zA) / (1 - allpass_gain * zA)
        h = torch.fft.irfft(H, n=M)[..., :n]
        return (h / torch.sqrt((h * h).sum(-1, keepdim=True))).float()

    ir = torch.stack([network(0), network(_STEREO_SPREAD)], dim=1) if stereo else network(0)
    if key is not None:  # plain-number settings: the IR is a constant, keep it
        if len(_IR_CACHE) >= 16:
            _IR_CACHE.pop(next(iter(_IR_CACHE)))
        _IR_CACHE[key] = ir.detach().clone()
    return ir


_IR_CACHE: dict = {}


def convolve(x, ir, *, state=None, return_state: bool = False):
    """FFT convolution of ``x`` with ``ir``, cut to the length of ``x``; block-capable.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(batch, n_samples) or (n_samples,)]
    ir : Tensor [shape=(batch or 1, L) or (L,)]
    state : Tensor [shape=(batch, L - 1)], optional
        The tail of the previous block's convolution, added to this block's start.
    return_state : bool
        Also return the new tail ``(batch, L - 1)``.

    Returns
    -------
    same kind and shape as ``x`` (and the tail when asked)

    Examples
    --------
    >>> convolve(torch.tensor([[1.0, 0.0, 0.0, 0.0]]), torch.tensor([0.5, 0.25])).tolist()
    [[0.5, 0.25, 0.0, 0.0]]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    xt, ref, shape = audio_in(x)
    h = ir if isinstance(ir, torch.Tensor) else torch.as_tensor(np.asarray(ir), dtype=torch.float32)
    h = h.to(xt.device).float()
    if h.ndim == 1:
        h = h[None]
    if h.ndim != 2 or not bool(torch.isfinite(h).all()):
        raise ParameterError(f"ir has shape {tuple(h.shape)}: expected a finite (batch, L) or (L,) impulse response")
    b = batch_of(x=xt, ir=h)
    n, L = xt.shape[-1], h.shape[-1]
    if xt.device.type == "cpu" and not (torch.is_grad_enabled() and (xt.requires_grad or h.requires_grad)) and n * L > 1 << 22:
        # long signal, no gradient: scipy's FFT convolution (overlap-add for many rows, one
        # FFT for few), in float32, ~1.5x faster than one huge torch FFT
        import scipy.signal as ss

        conv = ss.oaconvolve if xt.shape[0] > 8 else ss.fftconvolve
        full = torch.from_numpy(np.ascontiguousarray(conv(xt.numpy(), h.numpy(), axes=-1), dtype=np.float32))
    else:
        M = _next_pow2(n + L - 1)
        full = torch.fft.irfft(torch.fft.rfft(xt, n=M) * torch.fft.rfft(h, n=M), n=M)[..., : n + L - 1]
    full = full.expand(b, -1) if full.shape[0] == 1 else full
    if state is not None:
        st = param(state, "state", device=xt.device, per_sample=True, n_samples=L - 1)
        if st.shape[-1] != L - 1:
            raise ParameterError(f"state has shape {tuple(st.shape)}: expected ({b}, {L - 1})")
        # the previous blocks' tail starts where this block starts
        full = torch.cat([full[..., : L - 1] + st, full[..., L - 1 :]], dim=-1)
    y = full[..., :n]
    out = audio_out(y, ref, shape)
    if return_state:
        return out, full[..., n:]
    return out


def algorithmic_reverb(
    x, *, sr: int, rt60=1.5, damping=0.3, mix=0.3, predelay_s: float = 0.0, stereo: bool = False, keep_tail: bool = False
):
    """Schroeder/Freeverb reverb: ``(1 - mix) x + mix * (x * h)`` with ``h`` from :func:`schroeder_ir`.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(batch, n_samples) or (n_samples,)]
    sr : int
    rt60 : float or Tensor [shape=(batch,)]
        Reverberation time in seconds, [0.05, 20].
    damping : float or Tensor [shape=(batch,)]
        High-frequency damping in [0, 0.95].
    mix : float or Tensor [shape=(batch,)]
        Wet proportion in [0, 1].
    predelay_s : float
        Silence before the reverberation starts, in [0, 0.5] s.
    stereo : bool
        Return ``(batch, 2, n)`` (decorrelated left and right tails).
    keep_tail : bool
        Extend the output by the reverb tail instead of cutting it at the input's length.

    Returns
    -------
    Tensor or np.ndarray [shape=(batch, n) or (batch, 2, n)]; the same kind as ``x``.

    Examples
    --------
    >>> x = torch.zeros(1, 4000); x[0, 0] = 1.0
    >>> algorithmic_reverb(x, sr=8000, rt60=0.3, mix=1.0).shape
    torch.Size([1, 4000])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    m = param(mix, "mix", lo=0.0, hi=1.0, device=xt.device)
    if not (isinstance(predelay_s, (int, float)) and 0 <= predelay_s <= 0.5):
        raise ParameterError(f"predelay_s={predelay_s!r}: expected a time in [0, 0.5] s")
    pre = int(round(predelay_s * sr))
    y = _freeverb_compiled(xt, rt60, damping, m, sr, pre, stereo, keep_tail)
    if y is not None:
        y = guard_full_scale(y)
        if stereo or keep_tail:
            return y if isinstance(x, torch.Tensor) else y.numpy()
        return audio_out(y, ref, shape)
    ir = schroeder_ir(rt60=rt60, sr=sr, damping=damping, stereo=stereo, device=xt.device)
    if pre:
        ir = torch.nn.functional.pad(ir, (pre, 0))
    n = xt.shape[-1]
    if keep_tail:
        xt = torch.nn.functional.pad(xt, (0, ir.shape[-1]))
    if stereo:
        batch_of(x=xt, ir=ir, mix=m)  # checks that the batches fit
        wet = torch.stack([convolve(xt, ir[:, c]) for c in range(2)], dim=1)
        y = guard_full_scale((1 - m[..., None]) * xt[:, None] + m[..., None] * wet)
        return y if isinstance(x, torch.Tensor) else y.detach().cpu().numpy()
    wet = convolve(xt, ir)
    y = guard_full_scale((1 - m) * xt + m * wet)
    if keep_tail:
        return y if isinstance(x, torch.Tensor) else y.detach().cpu().numpy()
    return audio_out(y, ref, shape) if y.shape[-1] == n else y


def _freeverb_compiled(xt, rt60, damping, m, sr, pre, stereo, keep_tail):
    """:func:`algorithmic_reverb` on the CPU without a gradient: the network itself, run by a compiled loop.

    The same comb and all-pass network as :func:`schroeder_ir`'s transfer function, scaled by
    the same unit-energy factor (the energy of its first ``ceil(1.2 rt60 sr)`` samples), so the
    output equals the FFT convolution with the truncated response except for the part of the
    response beyond that length (more than 72 dB down), which the network keeps. ``None``
    when the torch path must run (a tensor on another device, a gradient, no numba).
    """
    loop = kernel("freeverb")
    vals = [v for v in (xt, rt60, damping, m) if isinstance(v, torch.Tensor)]
    if loop is None or any(v.device.type != "cpu" for v in vals):
        return None
    if torch.is_grad_enabled() and any(v.requires_grad for v in vals):
        return None
    T = param(rt60, "rt60", lo=0.05, hi=20.0, expected="a reverberation time in [0.05, 20] s")
    d = param(damping, "damping", lo=0.0, hi=0.95, expected="a damping in [0, 0.95]")
    b = batch_of(x=xt, rt60=T, damping=d, mix=m)
    n_ir = int(math.ceil(1.2 * float(T.max()) * sr))
    x = xt.detach().numpy()
    n = x.shape[-1]
    tail = n_ir + pre if keep_tail else 0
    if x.shape[0] != b or tail:
        x = np.pad(np.broadcast_to(x, (b, n)), ((0, 0), (0, tail)))
    x = np.ascontiguousarray(x, dtype=np.float32)
    Tn, dn = T.double().numpy().reshape(-1), d.double().numpy().reshape(-1)
    mn = np.ascontiguousarray(np.broadcast_to(m.detach().double().numpy().reshape(-1), (b,)))
    outs = []
    for offset in (0, _STEREO_SPREAD) if stereo else (0,):
        comb, ap, g, scale = _freeverb_setup(Tn, dn, sr, n_ir, offset, loop)
        y = np.empty_like(x)
        if pre:
            loop(x, y, comb, g, dn, ap, 0.5, scale, np.zeros(1), np.ones(1))
            wet = np.zeros_like(x)
            wet[:, pre:] = y[:, : x.shape[1] - pre]
            y = ((1 - mn[:, None]) * x + mn[:, None] * wet).astype(np.float32)
        else:
            loop(x, y, comb, g, dn, ap, 0.5, scale, 1.0 - mn, mn)
        outs.append(y)
    y = np.stack(outs, axis=1) if stereo else outs[0]
    return torch.from_numpy(y)


def _freeverb_setup(Tn, dn, sr, n_ir, offset, loop):
    """Delays, comb gains and unit-energy scale of the network (as in :func:`schroeder_ir`), cached."""
    key = (tuple(Tn.tolist()), tuple(dn.tolist()), sr, n_ir, offset)
    if key in _NET_CACHE:
        return _NET_CACHE[key]
    s = sr / 44100.0
    comb = np.array([max(1, int(round(D0 * s)) + offset) for D0 in COMB_DELAYS], dtype=np.int64)
    ap = np.array([max(1, int(round(A0 * s)) + offset) for A0 in ALLPASS_DELAYS], dtype=np.int64)
    r = max(len(Tn), len(dn))
    Tr, dr = np.broadcast_to(Tn, (r,)), np.ascontiguousarray(np.broadcast_to(dn, (r,)))
    g = np.ascontiguousarray(10.0 ** (-3.0 * comb[None, :] / (Tr[:, None] * sr)))
    imp = np.zeros((r, n_ir), dtype=np.float32)
    imp[:, 0] = 1.0
    h = np.empty_like(imp)
    loop(imp, h, comb, g, dr, ap, 0.5, np.ones(1), np.zeros(1), np.ones(1))
    scale = 1.0 / np.sqrt((h.astype(np.float64) ** 2).sum(-1))
    if len(_NET_CACHE) >= 16:
        _NET_CACHE.pop(next(iter(_NET_CACHE)))
    _NET_CACHE[key] = (comb, ap, g, scale)
    return _NET_CACHE[key]


_NET_CACHE: dict = {}


def synthetic_ir(*, rt60, sr: int, n_samples: int | None = None, predelay_s: float = 0.0, seed: int = 0, device=None):
    """A generated room impulse response: Gaussian noise decaying by 60 dB in ``rt60`` seconds.

    ``h[n] = w[n] * 10**(-3 n / (rt60 sr))``, unit energy, optional silent pre-delay (the
    direct-to-first-reflection gap). Diffuse late reverberation is well modelled by decaying
    noise; this is the impulse response for :func:`convolution_reverb`.

    Examples
    --------
    >>> ir = synthetic_ir(rt60=1.0, sr=8000, seed=0)
    >>> ir.shape, abs(measure_rt60(ir[0], sr=8000) - 1.0) < 0.1
    (torch.Size([1, 9600]), True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    dev = device or (rt60.device if isinstance(rt60, torch.Tensor) else "cpu")
    T = param(rt60, "rt60", lo=0.05, hi=20.0, device=dev, expected="a reverberation time in [0.05, 20] s")
    if not (isinstance(predelay_s, (int, float)) and 0 <= predelay_s <= 0.5):
        raise ParameterError(f"predelay_s={predelay_s!r}: expected a time in [0, 0.5] s")
    n = int(n_samples) if n_samples is not None else int(math.ceil(1.2 * float(T.detach().max()) * sr))
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    w = torch.randn(T.shape[0], n, generator=gen, device=dev)
    t = torch.arange(n, device=dev, dtype=torch.float32)[None] / sr
    h = w * 10.0 ** (-3.0 * t / T)
    h = h / torch.sqrt((h * h).sum(-1, keepdim=True))
    pre = int(round(predelay_s * sr))
    return torch.nn.functional.pad(h, (pre, 0)) if pre else h


def convolution_reverb(x, ir, *, mix=0.3, keep_tail: bool = False):
    """Convolution reverb: ``(1 - mix) x + mix * (x * ir)``.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(batch, n_samples) or (n_samples,)]
    ir : Tensor [shape=(batch or 1, L) or (L,)]
        The room's impulse response (recorded, or :func:`synthetic_ir`).
    mix : float or Tensor [shape=(batch,)]
    keep_tail : bool
        Extend the output by ``L`` samples so the tail rings out.

    Examples
    --------
    >>> y = convolution_reverb(torch.ones(1, 100), synthetic_ir(rt60=0.1, sr=1000), mix=0.5)
    >>> y.shape
    torch.Size([1, 100])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    xt, ref, shape = audio_in(x)
    m = param(mix, "mix", lo=0.0, hi=1.0, device=xt.device)
    h = ir if isinstance(ir, torch.Tensor) else torch.as_tensor(np.asarray(ir), dtype=torch.float32)
    if keep_tail:
        xt = torch.nn.functional.pad(xt, (0, h.shape[-1]))
        y = guard_full_scale((1 - m) * xt + m * convolve(xt, h))
        return y if isinstance(x, torch.Tensor) else y.detach().cpu().numpy()
    return audio_out(guard_full_scale((1 - m) * xt + m * convolve(xt, h)), ref, shape)


def energy_decay_db(ir, *, sr: int):
    """Schroeder's energy decay curve ``10 log10(sum_{m>=n} h^2 / sum h^2)`` in dB, and its times.

    Returns
    -------
    t : np.ndarray [shape=(n,)], seconds
    edc : np.ndarray [shape=(n,)], dB (0 at the start, falling)

    Examples
    --------
    >>> t, edc = energy_decay_db(0.5 ** np.arange(8), sr=8000)      # energy falls 6 dB per sample
    >>> t.shape, round(float(t[1]) * 1000, 3), round(float(edc[0]), 2), round(float(edc[1]), 2)
    ((8,), 0.125, 0.0, -6.02)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    h = to_numpy(audio_in(ir, "ir")[0]).astype(np.float64).reshape(-1)
    e = np.cumsum((h**2)[::-1])[::-1]
    edc = 10 * np.log10(np.maximum(e / max(e[0], 1e-300), 1e-30))
    return np.arange(len(h)) / sr, edc


def measure_rt60(ir, *, sr: int, from_db: float = -5.0, to_db: float = -35.0) -> float:
    """RT60 of an impulse response by Schroeder integration: a line fitted to the energy decay
    between ``from_db`` and ``to_db`` (T30 by default), extrapolated to -60 dB.

    Parameters
    ----------
    ir : np.ndarray or Tensor [shape=(n,)]
    sr : int

    Returns
    -------
    float, seconds

    Examples
    --------
    >>> t = np.arange(8000) / 8000
    >>> round(measure_rt60(np.random.default_rng(0).standard_normal(8000) * 10 ** (-3 * t / 0.5), sr=8000), 1)
    0.5

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    t, edc = energy_decay_db(ir, sr=sr)
    sel = (edc <= from_db) & (edc >= to_db)
    if sel.sum() < 4:
        raise ParameterError(f"ir decays less than {abs(to_db)} dB: expected a longer impulse response")
    slope, _ = np.polyfit(t[sel], edc[sel], 1)
    return float(-60.0 / slope)


def pan(x, *, position):
    """Constant-power stereo panning: left ``cos(theta)``, right ``sin(theta)``, ``theta = (p + 1) pi / 4``.

    ``left**2 + right**2 = 1`` for every position, so a sound keeps its loudness as it moves;
    at the centre each side is at -3 dB.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(batch, n_samples) or (n_samples,)]
        Mono audio.
    position : float or Tensor [shape=(batch,) or (batch, n_samples)]
        -1 (hard left) .. 0 (centre) .. 1 (hard right); per sample to move the source.

    Returns
    -------
    [shape=(batch, 2, n_samples) or (2, n_samples)], same kind as ``x``

    Examples
    --------
    >>> [round(v, 4) for v in pan(torch.ones(1, 1), position=0.0)[0, :, 0].tolist()]
    [0.7071, 0.7071]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    xt, ref, shape = audio_in(x)
    p = param(position, "position", lo=-1.0, hi=1.0, device=xt.device, n_samples=xt.shape[-1], per_sample=True)
    batch_of(x=xt, position=p)
    theta = (p + 1) * math.pi / 4
    y = torch.stack([xt * torch.cos(theta), xt * torch.sin(theta)], dim=1)
    if len(shape) == 1:
        y = y[0]
    return y if isinstance(x, torch.Tensor) else y.detach().cpu().numpy()


def woodworth_itd(azimuth_deg: float, *, head_radius_m: float = 0.0875, speed_of_sound: float = 343.0) -> float:
    """Interaural time difference of a distant source (Woodworth): ``(a / c)(theta + sin theta)`` seconds.

    Examples
    --------
    >>> round(woodworth_itd(90.0) * 1e6)            # about 656 microseconds at the side
    656

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if not -90 <= azimuth_deg <= 90:
        raise ParameterError(f"azimuth_deg={azimuth_deg!r}: expected an angle in [-90, 90] degrees")
    th = math.radians(abs(azimuth_deg))
    return head_radius_m / speed_of_sound * (th + math.sin(th))


def spatialize(x, *, azimuth_deg: float, sr: int, ild_db: float = 6.0, shadow_db: float = 10.0):
    """Place a mono source at an azimuth with interaural time and level differences.

    The far ear gets the sound later by the Woodworth ITD (a fractional delay done in the
    frequency domain), quieter by ``ild_db * |sin(azimuth)|`` dB broadband, and duller by a
    high-shelf cut of ``shadow_db * |sin(azimuth)|`` dB above 2 kHz (the head's shadow is
    stronger for short wavelengths). Positive azimuths are to the right.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(batch, n_samples) or (n_samples,)]
    azimuth_deg : float
        In [-90, 90] degrees (0 = straight ahead).
    sr : int
    ild_db, shadow_db : float
        Broadband and high-frequency level differences at 90 degrees, in [0, 40] dB.

    Returns
    -------
    [shape=(batch, 2, n_samples) or (2, n_samples)] (left, right), same kind as ``x``

    Examples
    --------
    >>> y = spatialize(torch.randn(1, 4000), azimuth_deg=0.0, sr=16000)
    >>> float((y[0, 0] - y[0, 1]).abs().max()) < 1e-5      # straight ahead: both ears equal
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    itd = woodworth_itd(azimuth_deg)
    for name, v in (("ild_db", ild_db), ("shadow_db", shadow_db)):
        if not (isinstance(v, (int, float)) and 0 <= v <= 40):
            raise ParameterError(f"{name}={v!r}: expected a level difference in [0, 40] dB")
    s = abs(math.sin(math.radians(azimuth_deg)))
    n = xt.shape[-1]
    M = _next_pow2(n + int(math.ceil(itd * sr)) + 2)
    k = torch.arange(M // 2 + 1, device=xt.device, dtype=torch.float64)
    shift = torch.exp(-2j * math.pi * k * itd * sr / M)
    far = torch.fft.irfft(torch.fft.rfft(xt.double(), n=M) * shift, n=M)[..., :n].float()
    far = far * 10.0 ** (-ild_db * s / 20.0)
    if shadow_db * s > 0.01 and sr > 4400:
        far = biquad(far, kind="highshelf", cutoff_hz=2000.0, sr=sr, gain_db=-shadow_db * s)
    near = xt
    left, right = (near, far) if azimuth_deg < 0 else (far, near)
    y = torch.stack([left, right], dim=1)
    if len(shape) == 1:
        y = y[0]
    return y if isinstance(x, torch.Tensor) else y.detach().cpu().numpy()
