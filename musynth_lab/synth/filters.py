"""Filters: RBJ-cookbook biquads, a modulatable state-variable filter, one-pole smoothers, EQ.

How the recursion is computed. A recursive (IIR) filter is sequential: each output needs
the previous one, and a Python loop over samples is slow in torch. Both the biquad
(transposed direct form II) and the state-variable filter are *linear* recurrences on a
2-element state, ``s[n] = A[n] s[n-1] + u[n]``, so they can be solved by a parallel
prefix scan (``log2(n_samples)`` vectorised steps, :func:`linear_recurrence`): exact up to
rounding, differentiable by autograd, and it runs on the GPU. For fixed coefficients on
the CPU when no gradient is needed, :func:`scipy.signal.lfilter` (C) is used instead; the
tests check that both paths agree.

Every filter takes an optional ``state`` (the 2-element filter memory per batch item, in
scipy's ``zi`` convention for biquads) and returns the final state with
``return_state=True``, so a signal filtered block by block equals the signal filtered at
once.

Filters are linear and are not limited: a boost or a resonance can take a full-scale input
above full scale (the documented gain of the filter); follow them with
:func:`musynth_lab.synth.limit`, as the voices do with their own output guard.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import ParameterError, as_array, check
from ._kernels import ONE_POLE_PLAIN, cpu_without_grad, kernel
from ._util import audio_in, audio_out, batch_of, check_sr, param, tensor_arg

#: Whether :func:`svf` may use its compiled CPU loop where no gradient is needed (MUSYNTH_NO_NUMBA=1 turns every loop off).
SVF_COMPILED = True

__all__ = [
    "BIQUAD_KINDS",
    "SVF_MODES",
    "biquad_coefficients",
    "lfilter2",
    "biquad",
    "svf",
    "one_pole",
    "linear_recurrence",
    "frequency_response",
    "equalizer",
    "graphic_eq",
    "GRAPHIC_EQ_CENTRES",
]

BIQUAD_KINDS = ("lowpass", "highpass", "bandpass", "notch", "peaking", "lowshelf", "highshelf", "allpass")
SVF_MODES = ("lowpass", "highpass", "bandpass", "notch", "peak")
GRAPHIC_EQ_CENTRES = (31.25, 62.5, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)


# ----------------------------------------------------------------------------------------
# The scan
# ----------------------------------------------------------------------------------------


def _shift(x, d, fill=0.0):
    """x delayed by d samples along the last axis, the first d filled with ``fill``."""
    pad = torch.full_like(x[..., :d], fill)
    return torch.cat([pad, x[..., :-d]], dim=-1)


def linear_recurrence(A, u, state=None):
    """Solve ``s[n] = A[n] @ s[n-1] + u[n]`` for a 2-element state by a parallel prefix scan.

    Parameters
    ----------
    A : tuple of 4 Tensors (a11, a12, a21, a22) [shape=(batch or 1, n_samples or 1)]
        The transition matrix per sample (a trailing size 1 means constant over time).
    u : tuple of 2 Tensors (u1, u2) [shape=(batch, n_samples)]
        The input per sample.
    state : Tensor [shape=(batch, 2)], optional
        ``s[-1]``; zeros when ``None``.

    Returns
    -------
    tuple of 2 Tensors [shape=(batch, n_samples)]
        The states ``s[n]`` for every ``n``.

    Examples
    --------
    >>> one = torch.ones(1, 1); zero = torch.zeros(1, 1)
    >>> s1, s2 = linear_recurrence((0.5 * one, zero, zero, zero), (torch.ones(1, 4), torch.zeros(1, 4)))
    >>> s1.tolist()
    [[1.0, 1.5, 1.75, 1.875]]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    for name, value, n_parts, what in (("A", A, 4, "(a11, a12, a21, a22)"), ("u", u, 2, "(u1, u2)")):
        ok = isinstance(value, (tuple, list)) and len(value) == n_parts
        check(ok, name, value, f"a tuple of {n_parts} tensors {what}")
        for i, part in enumerate(value):
            tensor_arg(part, f"{name}[{i}]", what="(batch or 1, n_samples or 1)")
    if state is not None:
        tensor_arg(state, "state", what="(batch, 2)")
    return _linear_recurrence(A, u, state)


def _linear_recurrence(A, u, state=None):
    """:func:`linear_recurrence` without the checks (its callers pass validated tensors)."""
    a11, a12, a21, a22 = A
    u1, u2 = u
    n = u1.shape[-1]
    if state is not None:
        s1, s2 = state[:, :1], state[:, 1:2]
        first1 = a11[..., :1] * s1 + a12[..., :1] * s2
        first2 = a21[..., :1] * s1 + a22[..., :1] * s2
        u1 = torch.cat([u1[..., :1] + first1, u1[..., 1:]], dim=-1)
        u2 = torch.cat([u2[..., :1] + first2, u2[..., 1:]], dim=-1)
    constant = a11.shape[-1] == 1 and a12.shape[-1] == 1 and a21.shape[-1] == 1 and a22.shape[-1] == 1
    d = 1
    if constant:
        p11, p12, p21, p22 = a11, a12, a21, a22  # A^d
        while d < n:
            v1, v2 = _shift(u1, d), _shift(u2, d)
            u1, u2 = u1 + p11 * v1 + p12 * v2, u2 + p21 * v1 + p22 * v2
            p11, p12, p21, p22 = (p11 * p11 + p12 * p21, p11 * p12 + p12 * p22, p21 * p11 + p22 * p21, p21 * p12 + p22 * p22)
            d *= 2
        return u1, u2
    size = u1.shape
    a11, a12, a21, a22 = (a.expand(size) for a in (a11, a12, a21, a22))
    while d < n:
        v1, v2 = _shift(u1, d), _shift(u2, d)
        b11, b12, b21, b22 = _shift(a11, d, 1.0), _shift(a12, d), _shift(a21, d), _shift(a22, d, 1.0)
        u1, u2 = u1 + a11 * v1 + a12 * v2, u2 + a21 * v1 + a22 * v2
        a11, a12, a21, a22 = (a11 * b11 + a12 * b21, a11 * b12 + a12 * b22, a21 * b11 + a22 * b21, a21 * b12 + a22 * b22)
        d *= 2
    return u1, u2


# ----------------------------------------------------------------------------------------
# Biquads
# ----------------------------------------------------------------------------------------


def _cutoff(cutoff_hz, sr, device, name="cutoff_hz", n_samples=None, per_sample=False):
    return param(
        cutoff_hz,
        name,
        lo=0.0,
        hi=sr / 2,
        lo_open=True,
        hi_open=True,
        device=device,
        n_samples=n_samples,
        per_sample=per_sample,
        expected=f"a frequency in (0, {sr / 2:g}) Hz, below Nyquist (sr/2)",
    )


def biquad_coefficients(kind: str, *, cutoff_hz, sr: int, q=0.7071, gain_db=0.0, device=None):
    """RBJ Audio-EQ-Cookbook coefficients, normalised so ``a0 = 1``.

    Parameters
    ----------
    kind : {'lowpass', 'highpass', 'bandpass', 'notch', 'peaking', 'lowshelf', 'highshelf', 'allpass'}
        ``'bandpass'`` has 0 dB gain at the centre.
    cutoff_hz : float or Tensor [shape=(batch,)]
        Cutoff (low/high-pass: the -3 dB point when ``q = 1/sqrt(2)``), centre or shelf
        midpoint in Hz, strictly between 0 and Nyquist.
    sr : int
    q : float or Tensor [shape=(batch,)]
        Quality factor, > 0.
    gain_db : float or Tensor [shape=(batch,)]
        Gain of peaking and shelving filters in dB.

    Returns
    -------
    b, a : Tensor [shape=(batch, 3)]

    Examples
    --------
    >>> b, a = biquad_coefficients("lowpass", cutoff_hz=1000.0, sr=8000)
    >>> [round(v, 4) for v in (b[0] / b[0].sum() * (1 + a[0, 1:].sum())).tolist()]   # unit DC gain
    [0.0976, 0.1953, 0.0976]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if kind not in BIQUAD_KINDS:
        raise ParameterError(f"kind={kind!r}: expected one of {BIQUAD_KINDS}")
    sr = check_sr(sr)
    dev = device or next((v.device for v in (cutoff_hz, q, gain_db) if isinstance(v, torch.Tensor)), "cpu")
    f0 = _cutoff(cutoff_hz, sr, dev)
    qq = param(q, "q", lo=0.0, lo_open=True, hi=1000.0, device=dev, expected="a quality factor in (0, 1000]")
    g = param(gain_db, "gain_db", lo=-120.0, hi=60.0, device=dev, expected="a gain in [-120, 60] dB")
    batch_of(cutoff_hz=f0, q=qq, gain_db=g)
    w0 = 2 * math.pi * f0 / sr
    cw, sw = torch.cos(w0), torch.sin(w0)
    alpha = sw / (2 * qq)
    A = 10.0 ** (g / 40.0)
    one = torch.ones_like(cw * alpha * A)
    if kind == "lowpass":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "highpass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "bandpass":
        b = [alpha, 0 * alpha, -alpha]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "notch":
        b = [one, -2 * cw, one]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "allpass":
        b = [1 - alpha, -2 * cw, 1 + alpha]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "peaking":
        b = [1 + alpha * A, -2 * cw, 1 - alpha * A]
        a = [1 + alpha / A, -2 * cw, 1 - alpha / A]
    else:
        sq = 2 * torch.sqrt(A) * alpha
        if kind == "lowshelf":
            b = [A * ((A + 1) - (A - 1) * cw + sq), 2 * A * ((A - 1) - (A + 1) * cw), A * ((A + 1) - (A - 1) * cw - sq)]
            a = [(A + 1) + (A - 1) * cw + sq, -2 * ((A - 1) + (A + 1) * cw), (A + 1) + (A - 1) * cw - sq]
        else:
            b = [A * ((A + 1) + (A - 1) * cw + sq), -2 * A * ((A - 1) + (A + 1) * cw), A * ((A + 1) + (A - 1) * cw - sq)]
            a = [(A + 1) - (A - 1) * cw + sq, 2 * ((A - 1) - (A + 1) * cw), (A + 1) - (A - 1) * cw - sq]
    b = torch.cat([v * one for v in b], dim=-1)
    a = torch.cat([v * one for v in a], dim=-1)
    return b / a[:, :1], a / a[:, :1]


def _check_ba(b, a, device):
    b = param(b, "b", device=device, per_sample=True, n_samples=3)
    a = param(a, "a", device=device, per_sample=True, n_samples=3)
    if b.shape[-1] != 3 or a.shape[-1] != 3:
        raise ParameterError(f"b, a have shapes {tuple(b.shape)}, {tuple(a.shape)}: expected (batch, 3) each")
    batch_of(b=b, a=a)
    if not bool((a[:, 0] != 0).all()):
        raise ParameterError("a[:, 0]=0: expected a non-zero leading denominator coefficient")
    return b / a[:, :1], a / a[:, :1]


def lfilter2(x, b, a, *, state=None, return_state: bool = False):
    """Filter ``x`` with second-order sections ``b, a`` (one per batch item or shared).

    Transposed direct form II, ``y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]``.
    Differentiable in ``x``, ``b`` and ``a``; works on CPU and CUDA.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    b, a : array_like or Tensor [shape=(3,) or (batch, 3)]
    state : Tensor [shape=(batch, 2)], optional
        The filter memory (scipy's ``zi``) from the previous block.
    return_state : bool
        Also return the final memory, to continue with the next block.

    Returns
    -------
    y : same kind and shape as ``x`` (and the state ``(batch, 2)`` when asked)

    Examples
    --------
    >>> import scipy.signal as ss
    >>> x = np.random.default_rng(0).standard_normal(256).astype(np.float32)
    >>> b, a = ss.butter(2, 0.2)
    >>> bool(np.allclose(lfilter2(x, b, a), ss.lfilter(b, a, x), atol=1e-5))
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    xt, ref, shape = audio_in(x)
    b, a = _check_ba(b, a, xt.device)
    bsz = batch_of(x=xt, b=b)
    xt = xt.expand(bsz, -1) if xt.shape[0] == 1 else xt
    st = None
    if state is not None:
        st = param(state, "state", device=xt.device, per_sample=True, n_samples=2)
        if st.shape[-1] != 2 or st.shape[0] not in (1, bsz):
            raise ParameterError(f"state has shape {tuple(st.shape)}: expected ({bsz}, 2)")
        st = st.expand(bsz, 2)
    need_grad = torch.is_grad_enabled() and (
        xt.requires_grad or b.requires_grad or a.requires_grad or (st is not None and st.requires_grad)
    )
    loop = kernel("biquad") if xt.device.type == "cpu" and not need_grad else None
    if loop is not None:  # the same recursion (transposed direct form II, float64) as a compiled loop
        xn = np.ascontiguousarray(xt.detach().numpy(), dtype=np.float32)
        coef = np.concatenate([b.detach().numpy(), a.detach().numpy()[:, 1:]], axis=1).astype(np.float64)
        zf = np.zeros((bsz, 2)) if st is None else st.detach().numpy().astype(np.float64)
        y = np.empty_like(xn)
        loop(xn, y, coef, zf)
        yt = torch.from_numpy(y)
        zt = torch.from_numpy(zf.astype(np.float32))
    elif xt.device.type == "cpu" and not need_grad:
        import scipy.signal as ss

        xn = xt.detach().numpy().astype(np.float64)
        bn, an = b.detach().numpy().astype(np.float64), a.detach().numpy().astype(np.float64)
        sn = np.zeros((bsz, 2)) if st is None else st.detach().numpy().astype(np.float64)
        y = np.empty_like(xn)
        zf = np.empty((bsz, 2))
        for i in range(bsz):
            bi, ai = bn[min(i, len(bn) - 1)], an[min(i, len(an) - 1)]
            y[i], zf[i] = ss.lfilter(bi, ai, xn[i], zi=sn[i])
        yt = torch.from_numpy(y.astype(np.float32))
        zt = torch.from_numpy(zf.astype(np.float32))
    else:
        bd, ad = b.double(), a.double()  # float64: b1 - a1 b0 cancels for low cutoffs
        b0, b1, b2 = bd[:, :1], bd[:, 1:2], bd[:, 2:3]
        a1, a2 = ad[:, 1:2], ad[:, 2:3]
        xd = xt.double()
        A = (-a1, torch.ones_like(a1), -a2, torch.zeros_like(a2))
        u = ((b1 - a1 * b0) * xd, (b2 - a2 * b0) * xd)
        z1, z2 = _linear_recurrence(A, u, None if st is None else st.double())
        z1_prev = torch.cat([(st[:, :1].double() if st is not None else torch.zeros_like(xd[:, :1])), z1[:, :-1]], -1)
        yt = (b0 * xd + z1_prev).float()
        zt = torch.stack([z1[:, -1], z2[:, -1]], dim=-1).float()
    y_out = audio_out(yt, ref, shape)
    return (y_out, zt) if return_state else y_out


def biquad(x, *, kind: str, cutoff_hz, sr: int, q=0.7071, gain_db=0.0, state=None, return_state: bool = False):
    """Filter ``x`` with one RBJ-cookbook biquad (see :func:`biquad_coefficients`).

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    kind, cutoff_hz, sr, q, gain_db
        As in :func:`biquad_coefficients` (per batch item or shared).
    state, return_state
        As in :func:`lfilter2`.

    Returns
    -------
    same kind and shape as ``x``

    Examples
    --------
    >>> x = torch.zeros(1, 4096); x[0, 0] = 1.0
    >>> h = torch.fft.rfft(biquad(x, kind="lowpass", cutoff_hz=1000.0, sr=8192)[0]).abs()
    >>> round(20 * math.log10(float(h[500])), 2)        # -3 dB at the cutoff
    -3.01

    Chapter: notebooks/01a_synthesis.ipynb
    """
    dev = x.device if isinstance(x, torch.Tensor) else None
    b, a = biquad_coefficients(kind, cutoff_hz=cutoff_hz, sr=sr, q=q, gain_db=gain_db, device=dev)
    return lfilter2(x, b, a, state=state, return_state=return_state)


def frequency_response(b, a, *, sr: int, n_freqs: int = 512, freqs_hz=None):
    """Complex response ``H(f)`` of second-order sections, at ``n_freqs`` points or ``freqs_hz``.

    Returns
    -------
    freqs : Tensor [shape=(n_freqs,)], Hz
    H : Tensor [shape=(batch, n_freqs)], complex64

    Examples
    --------
    >>> b, a = biquad_coefficients("notch", cutoff_hz=1000.0, sr=8000)
    >>> f, H = frequency_response(b, a, sr=8000, freqs_hz=[1000.0])
    >>> float(H.abs()[0, 0]) < 1e-6
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    b, a = _check_ba(b, a, None if not isinstance(b, torch.Tensor) else b.device)
    if freqs_hz is None:
        f = torch.linspace(0, sr / 2, n_freqs, device=b.device)
    else:
        f = torch.as_tensor(freqs_hz, dtype=torch.float32, device=b.device).reshape(-1)
    w = 2 * math.pi * f.double() / sr
    z1 = torch.exp(-1j * w)[None]
    z2 = z1 * z1
    bd, ad = b.double(), a.double()
    H = (bd[:, :1] + bd[:, 1:2] * z1 + bd[:, 2:3] * z2) / (ad[:, :1] + ad[:, 1:2] * z1 + ad[:, 2:3] * z2)
    return f, H.to(torch.complex64)


# ----------------------------------------------------------------------------------------
# State-variable filter (time-varying)
# ----------------------------------------------------------------------------------------


def svf(
    x, *, cutoff_hz, sr: int, q=0.7071, mode: str = "lowpass", state=None, return_state: bool = False, precision: str = "double"
):
    """A state-variable filter whose cutoff and Q may change every sample (subtractive synthesis).

    The trapezoidal ("zero-delay feedback") SVF of A. Simper (Cytomic, 2013): stable for any
    modulation, with the same response as the bilinear-transform biquad when the cutoff is
    fixed (low-pass gain ``q`` at the cutoff, i.e. -3 dB for ``q = 1/sqrt(2)``).

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    cutoff_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Cutoff in Hz, strictly between 0 and Nyquist; per sample for a filter sweep.
    sr : int
    q : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Resonance as a quality factor (> 0; high values ring).
    mode : {'lowpass', 'highpass', 'bandpass', 'notch', 'peak'}
    state : Tensor [shape=(batch, 2)], optional
        The two integrator states from the previous block.
    return_state : bool
    precision : {'double', 'single'}
        Arithmetic of the scan: float64 (default) or float32, about 3 times faster on a CPU
        with errors around 1e-6 of full scale (the voices use it).

    Returns
    -------
    same kind and shape as ``x`` (and the state when asked)

    Examples
    --------
    >>> x = torch.zeros(1, 4096); x[0, 0] = 1.0
    >>> h = torch.fft.rfft(svf(x, cutoff_hz=1000.0, sr=8192)[0]).abs()
    >>> round(20 * math.log10(float(h[500])), 2)
    -3.01

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if mode not in SVF_MODES:
        raise ParameterError(f"mode={mode!r}: expected one of {SVF_MODES}")
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    n = xt.shape[-1]
    fc = _cutoff(cutoff_hz, sr, xt.device, n_samples=n, per_sample=True)
    qq = param(
        q,
        "q",
        lo=0.0,
        lo_open=True,
        hi=1000.0,
        device=xt.device,
        n_samples=n,
        per_sample=True,
        expected="a quality factor in (0, 1000]",
    )
    if precision not in ("double", "single"):
        raise ParameterError(f"precision={precision!r}: expected 'double' or 'single'")
    dt = torch.float64 if precision == "double" else torch.float32
    bsz = batch_of(x=xt, cutoff_hz=fc, q=qq)
    xt = xt.expand(bsz, n) if xt.shape[0] == 1 else xt
    g = torch.tan(math.pi * fc.to(dt) / sr)
    k = 1.0 / qq.to(dt)
    xd = xt.to(dt)
    st = None
    if state is not None:
        st = param(state, "state", device=xt.device, per_sample=True, n_samples=2).to(dt)
        if st.shape[-1] != 2 or st.shape[0] not in (1, bsz):
            raise ParameterError(f"state has shape {tuple(st.shape)}: expected ({bsz}, 2)")
        st = st.expand(bsz, 2)
    # The compiled loop runs where no gradient is needed (renders, not fits). It agrees with the scan
    # to float32 rounding; match_sound no longer depends on that last bit (see synth.matching).
    loop = kernel("svf") if SVF_COMPILED and cpu_without_grad(xd, g, k, st) else None
    if loop is not None:  # the per-sample equations as one compiled loop (float64 states)
        size = (bsz, n)
        views = [v.detach().expand(size).numpy() for v in (xd, g, k)]
        s = np.zeros((bsz, 2)) if st is None else st.detach().double().numpy().copy()
        y = np.empty(size, dtype=np.float32)
        loop(*views, np.float64(1.0) if dt == torch.float64 else np.float32(1.0), SVF_MODES.index(mode), s, y)
        out = audio_out(torch.from_numpy(y), ref, shape)
        return (out, torch.from_numpy(s.astype(np.float32))) if return_state else out
    a1 = 1.0 / (1.0 + g * (g + k))
    a2 = g * a1
    a3 = g * a2
    if xt.device.type == "cpu" and n >= 4 * _SVF_BLOCK and st is None:
        y, last = _svf_blocked(xd, g, k, a1, a2, a3, st, mode, _SVF_BLOCK)
        out = audio_out(y.float(), ref, shape)
        return (out, last.float()) if return_state else out
    A = (2 * a1 - 1, -2 * a2, 2 * a2, 1 - 2 * a3)
    u = (2 * a2 * xd, 2 * a3 * xd)
    ic1, ic2 = _linear_recurrence(A, u, st)
    s0 = torch.zeros(bsz, 2, dtype=dt, device=xt.device) if st is None else st
    p1 = torch.cat([s0[:, :1], ic1[:, :-1]], -1)  # state before each sample
    p2 = torch.cat([s0[:, 1:], ic2[:, :-1]], -1)
    v3 = xd - p2
    v1 = a1 * p1 + a2 * v3
    v2 = p2 + a2 * p1 + a3 * v3
    if mode == "lowpass":
        y = v2
    elif mode == "bandpass":
        y = v1
    elif mode == "highpass":
        y = xd - k * v1 - v2
    elif mode == "notch":
        y = xd - k * v1
    else:
        y = 2 * v2 - xd + k * v1
    out = audio_out(y.float(), ref, shape)
    if return_state:
        return out, torch.stack([ic1[:, -1], ic2[:, -1]], -1).float()
    return out


#: Block length of :func:`_svf_blocked` (samples).
_SVF_BLOCK = 32


def _svf_blocked(xd, g, k, a1, a2, a3, st, mode, L):
    """The SVF's exact per-sample recursion, solved block by block (CPU fast path of :func:`svf`).

    The signal is cut into ``C`` blocks of ``L`` samples, all blocks processed at once: a
    loop over the ``L`` positions runs the recursion inside every block from a zero state
    (``y_loc``), and accumulates each block's transition matrix ``M`` and the row vector
    ``r[t]`` that maps the block's incoming state to the output at ``t``. The incoming
    states follow ``S_c = M_c S_{c-1} + e_c``, a short scan over the ``C`` blocks
    (:func:`linear_recurrence`); then ``y = y_loc + r . S_{c-1}``. That is O(n) work in about
    ``L`` vectorised steps instead of the O(n log n) full-length prefix scan, with the same
    coefficients at every sample (no control-rate approximation), differentiable.

    ``xd (b, n)``, ``g, k, a1, a2, a3 (b or 1, n or 1)``; ``st (b, 2)`` or None. Returns the
    output ``(b, n)`` and the final state ``(b, 2)``.
    """
    b, n = xd.shape
    C = -(-n // L)
    pad = C * L - n  # padded at the start with identity steps (state kept)

    def lay(v, fill):
        if v.shape[-1] == 1:
            return v.reshape(1, -1, 1)  # constant over time: broadcasts against (L, b, C)
        v = v.expand(b, n)
        if pad:
            v = torch.nn.functional.pad(v, (pad, 0), value=fill)
        return v.reshape(-1, C, L).permute(2, 0, 1).contiguous()  # (L, b, C): one position of every block

    x_, k_ = lay(xd, 0.0), lay(k, 0.0)
    a1, a2, a3 = lay(a1, 1.0), lay(a2, 0.0), lay(a3, 0.0)  # a1=1, a2=a3=0: the identity step
    # output = cx * x + c1 * p1 + c2 * p2, with p the state before the sample
    if mode == "lowpass":
        cx, c1, c2 = a3, a2, 1 - a3
    elif mode == "bandpass":
        cx, c1, c2 = a2, a1, -a2
    elif mode == "highpass":
        cx, c1, c2 = 1 - k_ * a2 - a3, -k_ * a1 - a2, k_ * a2 - (1 - a3)
    elif mode == "notch":
        cx, c1, c2 = 1 - k_ * a2, -k_ * a1, k_ * a2
    else:
        cx, c1, c2 = 2 * a3 - 1 + k_ * a2, 2 * a2 + k_ * a1, 2 * (1 - a3) - k_ * a2
    shape = (L, b, C)
    A11, A12, A21, A22 = ((2 * a1 - 1).expand(shape), (-2 * a2).expand(shape), (2 * a2).expand(shape), (1 - 2 * a3).expand(shape))
    U1, U2, CX = 2 * a2 * x_, 2 * a3 * x_, cx * x_
    C1, C2 = c1.expand(shape), c2.expand(shape)
    zero = torch.zeros(b, C, dtype=xd.dtype, device=xd.device)
    one = torch.ones_like(zero)
    l1 = l2 = zero
    m11, m12, m21, m22 = one, zero, zero, one
    ys, r1s, r2s = [], [], []
    for t in range(L):
        e1, e2 = C1[t], C2[t]
        ys.append(torch.addcmul(torch.addcmul(CX[t], e1, l1), e2, l2))
        r1s.append(torch.addcmul(e1 * m11, e2, m21))
        r2s.append(torch.addcmul(e1 * m12, e2, m22))
        a11, a12, a21, a22 = A11[t], A12[t], A21[t], A22[t]
        l1, l2 = (torch.addcmul(torch.addcmul(U1[t], a11, l1), a12, l2), torch.addcmul(torch.addcmul(U2[t], a21, l1), a22, l2))
        m11, m12, m21, m22 = (
            torch.addcmul(a11 * m11, a12, m21),
            torch.addcmul(a11 * m12, a12, m22),
            torch.addcmul(a21 * m11, a22, m21),
            torch.addcmul(a21 * m12, a22, m22),
        )
    s1, s2 = _linear_recurrence((m11, m12, m21, m22), (l1, l2), st)  # state at each block's end
    s0 = torch.zeros(b, 2, dtype=xd.dtype, device=xd.device) if st is None else st
    p1 = torch.cat([s0[:, :1], s1[:, :-1]], -1)  # state entering each block (b, C)
    p2 = torch.cat([s0[:, 1:], s2[:, :-1]], -1)
    y = torch.stack(ys) + torch.stack(r1s) * p1 + torch.stack(r2s) * p2  # (L, b, C)
    y = y.permute(1, 2, 0).reshape(b, C * L)[:, pad:]
    return y, torch.stack([s1[:, -1], s2[:, -1]], -1)


# ----------------------------------------------------------------------------------------
# One-pole smoothing
# ----------------------------------------------------------------------------------------


def one_pole(x, *, time_s, sr: int, state=None, return_state: bool = False):
    """Exponential smoothing ``y[n] = (1 - c) x[n] + c y[n-1]`` with ``c = exp(-1 / (time_s sr))``.

    A step reaches ``1 - 1/e`` (63 %) of its final value after ``time_s`` seconds. Used as the
    level detector of the dynamics processors and for parameter smoothing.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    time_s : float or Tensor [shape=(batch,)]
        Time constant in seconds, > 0.
    sr : int
    state : Tensor [shape=(batch,)], optional
        ``y[-1]`` from the previous block.

    Returns
    -------
    same kind and shape as ``x``

    Examples
    --------
    >>> y = one_pole(torch.ones(1, 1000), time_s=0.1, sr=1000)
    >>> round(float(y[0, 99]), 3)
    0.632

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    tau = param(time_s, "time_s", lo=0.0, lo_open=True, device=xt.device, expected="a time constant > 0 s")
    bsz = batch_of(x=xt, time_s=tau)
    xt = xt.expand(bsz, -1) if xt.shape[0] == 1 else xt
    c = torch.exp(-1.0 / (tau.double() * sr))
    zero = torch.zeros_like(c)
    st = None
    if state is not None:
        s = param(state, "state", device=xt.device).double().expand(bsz, 1)
        st = torch.cat([s, torch.zeros_like(s)], -1)
    if xt.device.type == "cpu" and not (
        torch.is_grad_enabled() and (xt.requires_grad or tau.requires_grad or (st is not None and st.requires_grad))
    ):
        y, last = _one_pole_cpu(xt, c, None if st is None else st[:, 0])
        out = audio_out(y, ref, shape)
        return (out, last) if return_state else out
    y, _ = _linear_recurrence((c, zero, zero, zero), ((1 - c) * xt.double(), torch.zeros_like(xt, dtype=torch.float64)), st)
    out = audio_out(y.float(), ref, shape)
    return (out, y[:, -1].float()) if return_state else out


def _one_pole_cpu(xt, c, s0):
    """``one_pole``'s recursion on the CPU: a compiled loop, or ``scipy.signal.lfilter`` (C) without numba.

    ``xt (b, n)`` float32, ``c (b or 1, 1)`` float64, ``s0 (b,)`` or None: returns ``y``
    float32 and ``y[:, -1]``. The same numbers as the scan to float32 rounding, in O(n)
    instead of O(n log n) (the compressor on a minute of stereo: 10 s -> ~0.1 s).
    """
    b = xt.shape[0]
    x = xt.detach().numpy()
    cn = c.detach().numpy().reshape(-1)
    loop = kernel("one_pole")
    if loop is not None:  # the same recursion as a compiled loop (float64 state)
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.empty_like(x)
        s = np.zeros(b) if s0 is None else s0.detach().double().numpy().reshape(-1).copy()
        loop(x, y, np.ascontiguousarray(cn, dtype=np.float64), s, False, *ONE_POLE_PLAIN)
        return torch.from_numpy(y), torch.from_numpy(s.astype(np.float32))
    import scipy.signal as ss

    y = np.empty(x.shape, dtype=np.float32)
    for i in range(b):
        ci = float(cn[min(i, len(cn) - 1)])
        zi = None if s0 is None else np.array([ci * float(s0[i])])
        if zi is None:
            y[i] = ss.lfilter([1.0 - ci], [1.0, -ci], x[i])
        else:
            y[i] = ss.lfilter([1.0 - ci], [1.0, -ci], x[i], zi=zi)[0]
    yt = torch.from_numpy(y)
    return yt, yt[:, -1].clone()


# ----------------------------------------------------------------------------------------
# Equalisers
# ----------------------------------------------------------------------------------------


def equalizer(x, *, bands, sr: int):
    """A parametric EQ: a cascade of biquads, one per band.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    bands : sequence of dict
        Each ``{'kind': 'peaking', 'cutoff_hz': 1000, 'gain_db': 6, 'q': 1.0}`` (``kind``
        defaults to ``'peaking'``, ``q`` to 0.7071, ``gain_db`` to 0).
    sr : int

    Returns
    -------
    same kind and shape as ``x``

    Examples
    --------
    >>> x = torch.zeros(1, 8192); x[0, 0] = 1.0
    >>> y = equalizer(x, bands=[{"cutoff_hz": 1000.0, "gain_db": 6.0, "q": 2.0}], sr=8192)
    >>> round(20 * math.log10(float(torch.fft.rfft(y[0]).abs()[1000])), 2)
    6.0

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if isinstance(bands, dict) or not hasattr(bands, "__iter__"):
        raise ParameterError(f"bands={bands!r}: expected a list of dicts with kind, cutoff_hz, gain_db, q")
    y = x
    for i, band in enumerate(bands):
        if not isinstance(band, dict) or "cutoff_hz" not in band:
            raise ParameterError(f"bands[{i}]={band!r}: expected a dict with at least 'cutoff_hz'")
        unknown = set(band) - {"kind", "cutoff_hz", "gain_db", "q"}
        if unknown:
            raise ParameterError(f"bands[{i}] has keys {sorted(unknown)}: expected kind, cutoff_hz, gain_db, q")
        y = biquad(
            y,
            kind=band.get("kind", "peaking"),
            cutoff_hz=band["cutoff_hz"],
            sr=sr,
            q=band.get("q", 0.7071),
            gain_db=band.get("gain_db", 0.0),
        )
    return y


def graphic_eq(x, *, gains_db, sr: int, q: float = 1.41):
    """A 10-band octave graphic EQ (peaking filters at :data:`GRAPHIC_EQ_CENTRES`).

    Bands whose centre is at or above 0.45 ``sr`` (they cannot be built below Nyquist) must
    have a gain of 0 dB.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    gains_db : sequence of 10 floats
        Gain per band, 31.25 Hz ... 16 kHz, each in [-24, 24] dB.
    sr : int
    q : float

    Examples
    --------
    >>> y = graphic_eq(np.zeros(100, dtype=np.float32), gains_db=[0] * 10, sr=44100)
    >>> y.shape
    (100,)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    audio_in(x, "x")  # validated before the zero-gain fast path returns x itself
    g = [float(v) for v in as_array(gains_db, "gains_db").reshape(-1)]
    if len(g) != len(GRAPHIC_EQ_CENTRES) or not all(np.isfinite(g)) or any(abs(v) > 24 for v in g):
        raise ParameterError(f"gains_db={gains_db!r}: expected 10 finite gains in [-24, 24] dB")
    bands = []
    for fc, gain in zip(GRAPHIC_EQ_CENTRES, g):
        if fc >= 0.45 * sr:
            if gain != 0:
                raise ParameterError(f"gains_db has {gain} dB at {fc:g} Hz: expected 0 for bands above 0.45*sr={0.45 * sr:g} Hz")
            continue
        if gain != 0:
            bands.append({"kind": "peaking", "cutoff_hz": fc, "gain_db": gain, "q": q})
    return equalizer(x, bands=bands, sr=sr) if bands else x
