"""Compiled per-sample loops for the effects' CPU path (no gradient): numba, loaded lazily.

The effects are written in torch (differentiable, any device). Some of them are sequential
recurrences (the compressor's two smoothers, a feedback delay line) or per-sample reads
(a modulated delay) that torch can only vectorise with extra work and memory. On a CPU,
when no gradient is needed, the same arithmetic as one compiled loop is several times
faster. numba comes with librosa (a dependency of the kit); it is imported on the first
call, not at ``import musynth_lab``, and when it is missing or fails to compile
:func:`kernel` returns ``None`` and the callers keep their torch path. Setting the
environment variable ``MUSYNTH_NO_NUMBA=1`` does the same (to compare the two paths).

The loops keep their state in float64 and read and write float32, like the scipy path of
:func:`musynth_lab.synth.one_pole`; the tests check them against the torch path.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

__all__ = ["kernel", "available", "cpu_without_grad", "ONE_POLE_PLAIN"]

#: ``one_pole_loop``'s last three arguments for the plain smoother: ``k = 1, offset = 0, floor = -inf``.
ONE_POLE_PLAIN = (np.ones(1), np.zeros(1), np.full(1, -np.inf))


def cpu_without_grad(*tensors) -> bool:
    """True when a compiled loop may replace the torch path: every tensor on the CPU, no gradient wanted.

    ``None`` entries (optional states) are ignored.
    """
    ts = [t for t in tensors if t is not None]
    if any(t.device.type != "cpu" for t in ts):
        return False
    return not (torch.is_grad_enabled() and any(t.requires_grad for t in ts))


_COMPILED: dict = {}
_FAILED: set = set()


def available() -> bool:
    """True when numba can be imported (and is not switched off by ``MUSYNTH_NO_NUMBA``)."""
    if os.environ.get("MUSYNTH_NO_NUMBA"):
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def kernel(name: str):
    """The compiled loop ``name`` (one of this module's ``*_loop`` functions), or ``None``."""
    if os.environ.get("MUSYNTH_NO_NUMBA"):
        return None
    if name in _COMPILED:
        return _COMPILED[name]
    if name in _FAILED or not available():
        return None
    try:
        import numba

        fn = numba.njit(cache=True, nogil=True)(_SOURCES[name])
    except Exception:  # noqa: BLE001  (any numba failure: keep the torch path)
        _FAILED.add(name)
        return None
    _COMPILED[name] = fn
    return fn


# ----------------------------------------------------------------------------------------
# The loops (plain Python: compiled by numba, never run as Python in practice)
# ----------------------------------------------------------------------------------------


def one_pole_loop(x, y, c, s, square, k, offset, floor):
    """``v[n] = c v[n-1] + (1 - c) k u[n]`` and ``y[n] = max(v[n] + offset, floor)`` per row.

    ``u = x`` (or ``x**2`` when ``square``). ``c``, ``k``, ``offset`` and ``floor`` (float64)
    have one value per row, or one for all; ``s`` is the state ``v[-1]`` per row, updated in
    place. ``k = 1, offset = 0, floor = -inf`` is the plain one-pole smoother (the same
    arithmetic, hence the same numbers, as without them); the compressor uses ``k``,
    ``offset`` and ``floor`` to fold its level scaling, make-up gain and threshold into the
    loop. ``y`` may be ``x``. Four rows are filtered in one pass (then the last ones two at a
    time): independent recursions keep the CPU busy while each waits for its previous sample
    (an odd last row is paired with itself, which computes and writes the same numbers
    twice); each row's arithmetic is the one-row loop's.
    """
    b, n = x.shape
    rc, rk, ro, rf = c.shape[0] - 1, k.shape[0] - 1, offset.shape[0] - 1, floor.shape[0] - 1
    i = 0
    while i < b:
        four = b - i >= 4
        i0, i1 = i, min(i + 1, b - 1)
        i2, i3 = (i + 2, i + 3) if four else (i0, i1)
        c0, c1, c2, c3 = c[min(i0, rc)], c[min(i1, rc)], c[min(i2, rc)], c[min(i3, rc)]
        d0, d1, d2, d3 = 1.0 - c0, 1.0 - c1, 1.0 - c2, 1.0 - c3
        if rk or k[0] != 1.0:
            d0, d1, d2, d3 = d0 * k[min(i0, rk)], d1 * k[min(i1, rk)], d2 * k[min(i2, rk)], d3 * k[min(i3, rk)]
        o0, o1, o2, o3 = offset[min(i0, ro)], offset[min(i1, ro)], offset[min(i2, ro)], offset[min(i3, ro)]
        f0, f1, f2, f3 = floor[min(i0, rf)], floor[min(i1, rf)], floor[min(i2, rf)], floor[min(i3, rf)]
        v0, v1, v2, v3 = s[i0], s[i1], s[i2], s[i3]
        if four:
            for j in range(n):
                u0, u1, u2, u3 = x[i0, j], x[i1, j], x[i2, j], x[i3, j]
                if square:
                    u0, u1, u2, u3 = u0 * u0, u1 * u1, u2 * u2, u3 * u3
                v0 = c0 * v0 + d0 * u0
                v1 = c1 * v1 + d1 * u1
                v2 = c2 * v2 + d2 * u2
                v3 = c3 * v3 + d3 * u3
                y[i0, j], y[i1, j] = max(v0 + o0, f0), max(v1 + o1, f1)
                y[i2, j], y[i3, j] = max(v2 + o2, f2), max(v3 + o3, f3)
            s[i0], s[i1], s[i2], s[i3] = v0, v1, v2, v3
        else:
            for j in range(n):
                u0, u1 = x[i0, j], x[i1, j]
                if square:
                    u0, u1 = u0 * u0, u1 * u1
                v0 = c0 * v0 + d0 * u0
                v1 = c1 * v1 + d1 * u1
                y[i0, j], y[i1, j] = max(v0 + o0, f0), max(v1 + o1, f1)
            s[i0], s[i1] = v0, v1
        i += 4 if four else 2


def adsr_loop(t, attack, decay, sustain, release, note_off, y):
    """:func:`musynth_lab.synth.envelopes.adsr_level_unchecked` in float32, one pass: ``y (b, n)`` written.

    ``t`` is ``(b or 1, n)``, each parameter ``(b or 1, 1)``, all float32; the torch version's
    operations in its order (so the same numbers), per sample only the branch it keeps.
    """
    b, n = y.shape
    one, zero, eps = np.float32(1.0), np.float32(0.0), np.float32(1e-9)
    rt, ra, rd = t.shape[0] - 1, attack.shape[0] - 1, decay.shape[0] - 1
    rs, rr, ro = sustain.shape[0] - 1, release.shape[0] - 1, note_off.shape[0] - 1
    for i in range(b):
        a, d, s = attack[min(i, ra), 0], decay[min(i, rd), 0], sustain[min(i, rs), 0]
        r, off = release[min(i, rr), 0], note_off[min(i, ro), 0]
        a_, d_, r_ = max(a, eps), max(d, eps), max(r, eps)
        za = one if a <= zero else zero  # a zero attack starts at the peak
        zd = one if d <= zero else zero
        u = min(max((off - a) / d_ + zd, zero), one)
        at_off = max(min(off / a_ + za, one - (one - s) * u), zero)
        ti = min(i, rt)
        for j in range(n):
            tt = t[ti, j]
            if tt < off:
                u = min(max((tt - a) / d_ + zd, zero), one)
                y[i, j] = max(min(tt / a_ + za, one - (one - s) * u), zero)
            else:
                y[i, j] = at_off * min(max(one - (tt - off) / r_, zero), one)


def over_loop(y, t, idx):
    """Where ``|y| > t`` in the 1-D ``y``: without ``idx`` (an empty array) the count, else the indices written to ``idx``."""
    m = 0
    if idx.shape[0] == 0:
        for j in range(y.shape[0]):
            if abs(y[j]) > t:
                m += 1
        return m
    for j in range(y.shape[0]):
        if abs(y[j]) > t:
            idx[m] = j
            m += 1
    return m


def biquad_loop(x, y, coef, z):
    """Transposed direct form II biquads per row: ``coef (rows, 5)`` = b0 b1 b2 a1 a2, ``z (b, 2)`` in place.

    Four rows are filtered in one pass, then the last ones two at a time (independent
    recursions keep the CPU busy while each waits for its previous sample; an odd last row is
    paired with itself, which computes and writes the same numbers twice); each row's
    arithmetic is the one-row loop's: ``o = b0 u + z1; z1 = b1 u - a1 o + z2; z2 = b2 u - a2 o``.
    """
    b, n = x.shape
    r = coef.shape[0] - 1
    q = b - b % 4
    for i in range(0, q, 4):
        i0, i1, i2, i3 = i, i + 1, i + 2, i + 3
        p0, p1, p2, p3 = min(i0, r), min(i1, r), min(i2, r), min(i3, r)
        b00, b10, b20, a10, a20 = coef[p0, 0], coef[p0, 1], coef[p0, 2], coef[p0, 3], coef[p0, 4]
        b01, b11, b21, a11, a21 = coef[p1, 0], coef[p1, 1], coef[p1, 2], coef[p1, 3], coef[p1, 4]
        b02, b12, b22, a12, a22 = coef[p2, 0], coef[p2, 1], coef[p2, 2], coef[p2, 3], coef[p2, 4]
        b03, b13, b23, a13, a23 = coef[p3, 0], coef[p3, 1], coef[p3, 2], coef[p3, 3], coef[p3, 4]
        z10, z20, z11, z21 = z[i0, 0], z[i0, 1], z[i1, 0], z[i1, 1]
        z12, z22, z13, z23 = z[i2, 0], z[i2, 1], z[i3, 0], z[i3, 1]
        for j in range(n):
            u0, u1, u2, u3 = x[i0, j], x[i1, j], x[i2, j], x[i3, j]
            o0, o1, o2, o3 = b00 * u0 + z10, b01 * u1 + z11, b02 * u2 + z12, b03 * u3 + z13
            z10, z11 = b10 * u0 - a10 * o0 + z20, b11 * u1 - a11 * o1 + z21
            z12, z13 = b12 * u2 - a12 * o2 + z22, b13 * u3 - a13 * o3 + z23
            z20, z21 = b20 * u0 - a20 * o0, b21 * u1 - a21 * o1
            z22, z23 = b22 * u2 - a22 * o2, b23 * u3 - a23 * o3
            y[i0, j], y[i1, j], y[i2, j], y[i3, j] = o0, o1, o2, o3
        z[i0, 0], z[i0, 1], z[i1, 0], z[i1, 1] = z10, z20, z11, z21
        z[i2, 0], z[i2, 1], z[i3, 0], z[i3, 1] = z12, z22, z13, z23
    for i in range(q, b, 2):
        i0, i1 = i, min(i + 1, b - 1)
        p0, p1 = min(i0, r), min(i1, r)
        b00, b10, b20, a10, a20 = coef[p0, 0], coef[p0, 1], coef[p0, 2], coef[p0, 3], coef[p0, 4]
        b01, b11, b21, a11, a21 = coef[p1, 0], coef[p1, 1], coef[p1, 2], coef[p1, 3], coef[p1, 4]
        z10, z20, z11, z21 = z[i0, 0], z[i0, 1], z[i1, 0], z[i1, 1]
        for j in range(n):
            u0, u1 = x[i0, j], x[i1, j]
            o0, o1 = b00 * u0 + z10, b01 * u1 + z11
            z10, z11 = b10 * u0 - a10 * o0 + z20, b11 * u1 - a11 * o1 + z21
            z20, z21 = b20 * u0 - a20 * o0, b21 * u1 - a21 * o1
            y[i0, j], y[i1, j] = o0, o1
        z[i0, 0], z[i0, 1], z[i1, 0], z[i1, 1] = z10, z20, z11, z21


def delay_loop(x, y, line, fb, dry, wet, limit):
    """The echo ``y = dry x + wet w``, ``w[n] = v[n - D]``, ``v = x + fb w``, soft-limited when ``limit``.

    ``line (b, D)`` holds ``v`` of the D samples before ``x``, oldest first, and is updated in
    place to the last D; ``fb``, ``dry``, ``wet`` have one value per row (or one in all).
    The limiter is :func:`musynth_lab.audio.soft_limit` at 0.9, sample by sample.
    """
    b, n = x.shape
    D = line.shape[1]
    for i in range(b):
        f = fb[min(i, fb.shape[0] - 1)]
        dr = dry[min(i, dry.shape[0] - 1)]
        wt = wet[min(i, wet.shape[0] - 1)]
        pos = 0  # line[i, pos] is v[n - D]
        for j in range(n):
            w = line[i, pos]
            u = x[i, j]
            line[i, pos] = u + f * w
            out = dr * u + wt * w
            if limit and abs(out) > 0.9:  # soft_limit: 0.9 + 0.1 tanh((|v| - 0.9) / 0.1), signed
                o = 0.9 + 0.1 * math.tanh((abs(out) - 0.9) / 0.1)
                out = o if out > 0 else -o
            y[i, j] = out
            pos += 1
            if pos == D:
                pos = 0
        if pos:  # rotate so the line is in time order again (oldest first)
            tmp = line[i].copy()
            for k in range(D):
                line[i, k] = tmp[(pos + k) % D]


def chorus_loop(full, idx, frac, y, dry, wet):
    """``y = dry x + wet * mean_v (a + (c - a) frac)``, ``a, c = full[idx], full[idx + 1]`` (clamped).

    ``full (b, H + n)`` is the history of ``H`` samples followed by ``x``; ``idx`` (int32)
    and ``frac`` (float32), ``(rows, voices, n)``, are the read positions of the delayed
    copies (computed once for rows that share an LFO).
    """
    b, n = y.shape
    H = full.shape[1] - n
    V = idx.shape[1]
    last = H + n - 1
    for i in range(b):
        k = min(i, idx.shape[0] - 1)
        dr, wt = dry[min(i, dry.shape[0] - 1)], wet[min(i, wet.shape[0] - 1)]
        row = full[i]
        for j in range(n):
            acc = 0.0
            for v in range(V):
                i0 = idx[k, v, j]
                a = row[i0]
                acc += a + (row[min(i0 + 1, last)] - a) * frac[k, v, j]
            y[i, j] = dr * row[H + j] + wt * (acc / V)


def freeverb_loop(x, y, comb_d, comb_g, damp, ap_d, ap_gain, scale, dry, wet):
    """The Schroeder/Freeverb network run sample by sample: ``y = dry x + wet scale net(x)``.

    ``net`` is the mean of 8 feedback combs ``c[n] = x[n-D] + g f[n-D]`` with the loop
    low-pass ``f[n] = (1 - damp) c[n] + damp f[n-1]``, then 4 series all-passes
    ``y[n] = -a u[n] + s[n-A]``, ``s[n] = u[n] + a y[n]``: the transfer function whose
    impulse response :func:`musynth_lab.synth.schroeder_ir` computes. ``comb_d (8,)`` and
    ``ap_d (4,)`` are delays in samples; ``comb_g (rows, 8)``, ``damp``, ``scale``,
    ``dry``, ``wet`` have one value per row (or one in all). State in float64.
    """
    b, n = x.shape
    nc, na = comb_d.shape[0], ap_d.shape[0]
    cbuf = np.zeros(comb_d.sum())
    abuf = np.zeros(ap_d.sum())
    cstart = np.zeros(nc, dtype=np.int64)
    astart = np.zeros(na, dtype=np.int64)
    for k in range(1, nc):
        cstart[k] = cstart[k - 1] + comb_d[k - 1]
    for k in range(1, na):
        astart[k] = astart[k - 1] + ap_d[k - 1]
    cpos = np.zeros(nc, dtype=np.int64)
    apos = np.zeros(na, dtype=np.int64)
    f = np.zeros(nc)
    for i in range(b):
        r = min(i, comb_g.shape[0] - 1)
        dmp = damp[min(i, damp.shape[0] - 1)]
        sc = scale[min(i, scale.shape[0] - 1)]
        dr, wt = dry[min(i, dry.shape[0] - 1)], wet[min(i, wet.shape[0] - 1)]
        cbuf[:] = 0.0
        abuf[:] = 0.0
        cpos[:] = 0
        apos[:] = 0
        f[:] = 0.0
        for j in range(n):
            u = x[i, j]
            total = 0.0
            for k in range(nc):
                q = cstart[k] + cpos[k]
                c = cbuf[q]
                f[k] = (1.0 - dmp) * c + dmp * f[k]
                cbuf[q] = u + comb_g[r, k] * f[k]
                cpos[k] += 1
                if cpos[k] == comb_d[k]:
                    cpos[k] = 0
                total += c
            v = total / nc
            for k in range(na):
                q = astart[k] + apos[k]
                out = -ap_gain * v + abuf[q]
                abuf[q] = v + ap_gain * out
                apos[k] += 1
                if apos[k] == ap_d[k]:
                    apos[k] = 0
                v = out
            y[i, j] = dr * u + wt * sc * v


def svf_loop(x, g, k, one, mode, st, y):
    """The trapezoidal state-variable filter (Simper), sample by sample; ``st (b, 2)`` updated in place.

    ``x``, ``g = tan(pi fc / sr)`` and ``k = 1 / q`` are ``(b, n)`` views (a stride of 0 where a
    value is constant), in the precision of ``one`` (``1`` as float32 or float64); ``mode``
    0..4 = lowpass, highpass, bandpass, notch, peak (``SVF_MODES``). The coefficients
    ``a1 = 1 / (1 + g (g + k))``, ``a2 = g a1``, ``a3 = g a2`` are computed here, per sample, in
    that precision (the torch path's operations on the same numbers); the states are float64.
    """
    b, n = x.shape
    for i in range(b):
        ic1, ic2 = st[i, 0], st[i, 1]
        for j in range(n):
            u = x[i, j]
            gj, kj = g[i, j], k[i, j]
            c1 = one / (one + gj * (gj + kj))
            c2 = gj * c1
            c3 = gj * c2
            v3 = u - ic2
            v1 = c1 * ic1 + c2 * v3
            v2 = ic2 + c2 * ic1 + c3 * v3
            ic1 = 2.0 * v1 - ic1
            ic2 = 2.0 * v2 - ic2
            if mode == 0:
                y[i, j] = v2
            elif mode == 1:
                y[i, j] = u - kj * v1 - v2
            elif mode == 2:
                y[i, j] = v1
            elif mode == 3:
                y[i, j] = u - kj * v1
            else:
                y[i, j] = 2.0 * v2 - u + kj * v1
        st[i, 0], st[i, 1] = ic1, ic2


def read_positions_loop(d, H, idx, frac):
    """For delays ``d (rows, voices, n)`` in samples: ``idx = clamp(j + H - ceil(d))`` and ``frac = ceil(d) - d``."""
    r, V, n = d.shape
    last = H + n - 1
    for k in range(r):
        for v in range(V):
            for j in range(n):
                dv = d[k, v, j]
                dc = np.float32(math.ceil(dv))
                frac[k, v, j] = dc - dv
                idx[k, v, j] = min(max(j + H - int(dc), 0), last)


_SOURCES = {
    "one_pole": one_pole_loop,
    "adsr": adsr_loop,
    "over": over_loop,
    "biquad": biquad_loop,
    "delay": delay_loop,
    "chorus": chorus_loop,
    "read_positions": read_positions_loop,
    "freeverb": freeverb_loop,
    "svf": svf_loop,
}
