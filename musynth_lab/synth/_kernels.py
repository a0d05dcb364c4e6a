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

__all__ = ["kernel", "available"]

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


def one_pole_loop(x, y, c, s, square):
    """``y[n] = (1 - c) u[n] + c y[n-1]`` per row, ``u = x`` (or ``x**2`` when ``square``).

    ``c`` and ``s`` (the state ``y[-1]``, updated in place) have one value per row.
    """
    b, n = x.shape
    for i in range(b):
        ci = c[min(i, c.shape[0] - 1)]
        v = s[i]
        if square:
            for j in range(n):
                u = x[i, j]
                v = ci * v + (1.0 - ci) * (u * u)
                y[i, j] = v
        else:
            for j in range(n):
                v = ci * v + (1.0 - ci) * x[i, j]
                y[i, j] = v
        s[i] = v


def biquad_loop(x, y, coef, z):
    """Transposed direct form II biquads per row: ``coef (rows, 5)`` = b0 b1 b2 a1 a2, ``z (b, 2)`` in place.

    Two rows are filtered in one pass (two independent recursions keep the CPU busy while
    each waits for its previous sample); each row's arithmetic is the one-row loop's.
    """
    b, n = x.shape
    r = coef.shape[0] - 1
    for i in range(0, b - 1, 2):
        p, q = min(i, r), min(i + 1, r)
        b0, b1, b2, a1, a2 = coef[p, 0], coef[p, 1], coef[p, 2], coef[p, 3], coef[p, 4]
        c0, c1, c2, d1, d2 = coef[q, 0], coef[q, 1], coef[q, 2], coef[q, 3], coef[q, 4]
        z1, z2, w1, w2 = z[i, 0], z[i, 1], z[i + 1, 0], z[i + 1, 1]
        for j in range(n):
            u, v = x[i, j], x[i + 1, j]
            o, e = b0 * u + z1, c0 * v + w1
            z1, w1 = b1 * u - a1 * o + z2, c1 * v - d1 * e + w2
            z2, w2 = b2 * u - a2 * o, c2 * v - d2 * e
            y[i, j], y[i + 1, j] = o, e
        z[i, 0], z[i, 1], z[i + 1, 0], z[i + 1, 1] = z1, z2, w1, w2
    if b % 2:
        i = b - 1
        p = min(i, r)
        b0, b1, b2, a1, a2 = coef[p, 0], coef[p, 1], coef[p, 2], coef[p, 3], coef[p, 4]
        z1, z2 = z[i, 0], z[i, 1]
        for j in range(n):
            u = x[i, j]
            o = b0 * u + z1
            z1 = b1 * u - a1 * o + z2
            z2 = b2 * u - a2 * o
            y[i, j] = o
        z[i, 0], z[i, 1] = z1, z2


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


def svf_loop(x, k, a1, a2, a3, mode, st, y):
    """The trapezoidal state-variable filter (Simper), sample by sample; ``st (b, 2)`` updated in place.

    ``x``, ``k``, ``a1``, ``a2``, ``a3`` are ``(b, n)`` views (a stride of 0 where a value is
    constant); ``mode`` 0..4 = lowpass, highpass, bandpass, notch, peak (``SVF_MODES``). The per-sample
    equations of :func:`musynth_lab.synth.svf`'s scan, with the states in float64.
    """
    b, n = x.shape
    for i in range(b):
        ic1, ic2 = st[i, 0], st[i, 1]
        for j in range(n):
            u = x[i, j]
            c1, c2, c3 = a1[i, j], a2[i, j], a3[i, j]
            v3 = u - ic2
            v1 = c1 * ic1 + c2 * v3
            v2 = ic2 + c2 * ic1 + c3 * v3
            ic1 = 2.0 * v1 - ic1
            ic2 = 2.0 * v2 - ic2
            if mode == 0:
                y[i, j] = v2
            elif mode == 1:
                y[i, j] = u - k[i, j] * v1 - v2
            elif mode == 2:
                y[i, j] = v1
            elif mode == 3:
                y[i, j] = u - k[i, j] * v1
            else:
                y[i, j] = 2.0 * v2 - u + k[i, j] * v1
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
    "biquad": biquad_loop,
    "delay": delay_loop,
    "chorus": chorus_loop,
    "read_positions": read_positions_loop,
    "freeverb": freeverb_loop,
    "svf": svf_loop,
}
