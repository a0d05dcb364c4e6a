"""Effects (效果器): gain, delay/echo, overdrive/distortion, chorus/flanger, compressor, noise gate, exciter.

Every effect takes audio ``x`` of shape ``(..., n_samples)`` (NumPy or torch; the result is
the same kind), ``sr`` as a keyword, and per-item parameters as numbers or ``(batch,)``
tensors. Effects that remember the past (delay, chorus) take an optional ``state`` and
return the next one with ``return_state=True`` so a stream can be processed block by block.

The source article lists "回声消除" (echo *cancellation*): that is a telephony technique that
removes echo; the musical effect is echo/delay (:func:`delay`). "发动机驱动" (engine drive) is
most likely a mistranslation of *overdrive* (:func:`overdrive`); "加速器" (accelerator) has no
standard meaning among audio effects; "声门控制" is best read as a noise gate
(:func:`noise_gate`).

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math

import numpy as np  # noqa: F401  (doctests)
import torch

from ..audio import soft_limit
from ..errors import ParameterError
from ._kernels import ONE_POLE_PLAIN, cpu_without_grad, kernel
from ._util import audio_in, audio_out, batch_of, check_sr, param
from .filters import biquad, one_pole

__all__ = [
    "gain",
    "limit",
    "delay",
    "overdrive",
    "DRIVE_SHAPES",
    "chorus",
    "flanger",
    "compressor",
    "noise_gate",
    "exciter",
    "rms_db",
]

DRIVE_SHAPES = ("tanh", "atan", "hard", "cubic", "asymmetric")


def _expand(xt, b):
    return xt.expand(b, -1) if xt.shape[0] == 1 and b > 1 else xt


def guard_full_scale(y, enabled: bool = True):
    """Soft-limit ``y`` only when some sample exceeds full scale (otherwise return it unchanged).

    The output guard of the effects and reverbs: a signal within [-1, 1] passes bit for
    bit; a louder one goes through :func:`musynth_lab.audio.soft_limit`.

    Examples
    --------
    >>> y = torch.tensor([0.5, -0.95])
    >>> guard_full_scale(y) is y, float(guard_full_scale(2 * y).abs().max()) <= 1.0
    (True, True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if not enabled or y.numel() == 0:
        return y
    lo, hi = torch.aminmax(y.detach())  # one pass, no |y| temporary (20x faster than abs().max())
    if max(-float(lo), float(hi)) <= 1.0:
        return y
    return soft_limit(y)


def limit(x, *, threshold: float = 0.9):
    """Soft-limit ``x`` below full scale (unchanged below ``threshold``; see :func:`musynth_lab.audio.soft_limit`).

    Examples
    --------
    >>> float(limit(torch.tensor([3.0])).abs().max()) <= 1.0
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    return soft_limit(x, threshold=threshold)


def gain(x, *, gain_db, limit_output: bool = True):
    """Multiply by ``10**(gain_db / 20)``; by default soft-limit so the result stays within full scale.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    gain_db : float or Tensor [shape=(batch,)]
        In [-120, 60] dB.
    limit_output : bool
        Soft-limit the result under 1.0 (turn off to get the exact linear gain).

    Examples
    --------
    >>> round(float(gain(torch.full((1, 4), 0.1), gain_db=6.0206)[0, 0]), 4)
    0.2

    Chapter: notebooks/01a_synthesis.ipynb
    """
    xt, ref, shape = audio_in(x)
    g = param(gain_db, "gain_db", lo=-120.0, hi=60.0, device=xt.device, expected="a gain in [-120, 60] dB")
    batch_of(x=xt, gain_db=g)
    if _compiled_ok(xt, g):
        y = torch.mul(xt, 10.0 ** (g / 20.0), out=_new_cpu(xt, g))
        return audio_out(_soft_limit_sparse(y) if limit_output else y, ref, shape)
    y = xt * 10.0 ** (g / 20.0)
    if limit_output:
        y = soft_limit(y)
    return audio_out(y, ref, shape)


def _new_cpu(*operands):
    """An uninitialised float32 CPU tensor of the operands' broadcast shape, allocated by NumPy.

    NumPy asks the kernel for huge pages for large arrays (``madvise``), so writing a new
    45 MB result costs about half of what it costs in a tensor from ``torch.empty``.
    """
    shape = torch.broadcast_shapes(*(t.shape for t in operands))
    return torch.from_numpy(np.empty(tuple(shape), dtype=np.float32))


def _soft_limit_sparse(y, t: float = 0.9):
    """:func:`musynth_lab.audio.soft_limit` in place on a contiguous ``y``, computed only for the samples above ``t``.

    ``soft_limit`` itself on the same samples (the others pass unchanged), so the same numbers;
    usually few samples are above the threshold, so the ``tanh`` runs on few. They are found by
    a compiled loop (one pass, no full-size temporary), or by a mask without numba.
    """
    flat = y.view(-1)
    loop = kernel("over")
    if loop is None:
        idx = (flat.abs() > t).nonzero().squeeze(1)
    else:
        yn = flat.numpy()
        idx = np.empty(loop(yn, np.float32(t), np.empty(0, dtype=np.int64)), dtype=np.int64)
        if len(idx):
            loop(yn, np.float32(t), idx)
        idx = torch.from_numpy(idx)
    if len(idx):
        flat[idx] = soft_limit(flat[idx], threshold=t)
    return y


def delay(
    x,
    *,
    delay_s: float,
    sr: int,
    feedback=0.3,
    mix=0.5,
    dry=1.0,
    state=None,
    return_state: bool = False,
    limit_output: bool = True,
):
    """Echo: ``y = dry * x + mix * w`` with the feedback delay line ``w[n] = x[n-D] + feedback * w[n-D]``.

    Each echo is ``feedback`` times the previous one, ``D = round(delay_s * sr)`` samples
    apart. The line is computed a block of ``D`` samples at a time (each block depends only
    on the one before), so the loop runs ``n_samples / D`` times, not once per sample.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    delay_s : float
        Delay time in seconds (shared by the batch), at least one sample.
    sr : int
    feedback : float or Tensor [shape=(batch,)]
        In [0, 1) (1 would never decay).
    mix, dry : float or Tensor [shape=(batch,)]
        Wet and dry levels in [0, 1].
    state : Tensor [shape=(batch, D)], optional
        The last ``D`` samples of the line's input, from the previous block.
    return_state : bool
    limit_output : bool
        Soft-limit the sum (samples above 0.9 bend smoothly under 1.0; sample by sample, so
        block processing gives the same result). Turn off for the exact linear echo.

    Returns
    -------
    same kind and shape as ``x`` (and the state when asked)

    Examples
    --------
    >>> x = torch.zeros(1, 10); x[0, 0] = 1.0
    >>> delay(x, delay_s=0.003, sr=1000, feedback=0.5, mix=1.0, dry=0.0, limit_output=False)[0].tolist()
    [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.25]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    if (
        isinstance(delay_s, torch.Tensor)
        or not isinstance(delay_s, (int, float))
        or not math.isfinite(delay_s)
        or round(delay_s * sr) < 1
    ):
        raise ParameterError(f"delay_s={delay_s!r}: expected a delay of at least one sample (1/sr s), a float")
    D = int(round(delay_s * sr))
    fb = param(feedback, "feedback", lo=0.0, hi=1.0, hi_open=True, device=xt.device, expected="a value in [0, 1)")
    wet = param(mix, "mix", lo=0.0, hi=1.0, device=xt.device)
    dr = param(dry, "dry", lo=0.0, hi=1.0, device=xt.device)
    b = batch_of(x=xt, feedback=fb, mix=wet, dry=dr)
    xt = _expand(xt, b)
    n = xt.shape[-1]
    if state is None:
        prev = torch.zeros(b, D, device=xt.device, dtype=xt.dtype)
    else:
        prev = param(state, "state", device=xt.device, per_sample=True, n_samples=D)
        if prev.shape != (b, D) and prev.shape != (1, D):
            raise ParameterError(f"state has shape {tuple(prev.shape)}: expected ({b}, {D})")
        prev = prev.expand(b, D)
    loop = kernel("delay") if _compiled_ok(xt, fb, wet, dr, prev) else None
    if loop is not None:  # the same line as one compiled loop, the limiter fused
        xn = np.ascontiguousarray(xt.detach().numpy(), dtype=np.float32)
        line = np.array(prev.detach().numpy(), dtype=np.float32, order="C")
        y = np.empty_like(xn)
        loop(xn, y, line, _rows(fb, fb.shape[0]), _rows(dr, dr.shape[0]), _rows(wet, wet.shape[0]), limit_output)
        out = audio_out(torch.from_numpy(y), ref, shape)
        return (out, torch.from_numpy(line)) if return_state else out
    line0 = prev  # the line input of the D samples before this block
    k = -(-n // D)
    xp = torch.nn.functional.pad(xt, (0, k * D - n)).reshape(b, k, D)
    blocks = []
    for i in range(k):
        w = prev  # w[n] = v[n - D], v = x + fb * w
        blocks.append(w)
        prev = xp[:, i] + fb * w
    w = torch.cat(blocks, dim=-1)[:, :n]
    y = soft_limit(dr * xt + wet * w) if limit_output else dr * xt + wet * w  # sample-wise: block-safe
    out = audio_out(y, ref, shape)
    if return_state:
        # the line input of the last D samples (a block shorter than D keeps the older part)
        v = xt + fb * w
        tail = torch.cat([line0.to(v.dtype), v], -1)[:, -D:]
        return out, tail
    return out


def overdrive(x, *, drive_db=12.0, shape: str = "tanh", mix=1.0):
    """Overdrive / distortion by waveshaping: ``y = f(g x) / f(g)`` with ``g = 10**(drive_db/20)``.

    Dividing by ``f(g)`` maps a full-scale input to full scale, so the output never exceeds
    1 for inputs within [-1, 1]. Symmetric shapes add odd harmonics; ``'asymmetric'``
    (a biased tanh, DC removed) also adds even ones, like a single-ended tube stage.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    drive_db : float or Tensor [shape=(batch,)]
        Input gain before the shaper, in [0, 60] dB.
    shape : {'tanh', 'atan', 'hard', 'cubic', 'asymmetric'}
        ``'hard'`` clips, ``'cubic'`` is the soft clipper ``1.5u - 0.5u^3``.
    mix : float or Tensor [shape=(batch,)]
        Wet proportion in [0, 1].

    Examples
    --------
    >>> y = overdrive(torch.sin(torch.linspace(0, 100, 1000))[None], drive_db=20.0)
    >>> float(y.abs().max()) <= 1.0
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if shape not in DRIVE_SHAPES:
        raise ParameterError(f"shape={shape!r}: expected one of {DRIVE_SHAPES}")
    xt, ref, shape_in = audio_in(x)
    d = param(drive_db, "drive_db", lo=0.0, hi=60.0, device=xt.device, expected="a drive in [0, 60] dB")
    m = param(mix, "mix", lo=0.0, hi=1.0, device=xt.device)
    batch_of(x=xt, drive_db=d, mix=m)
    g = 10.0 ** (d / 20.0)
    in_place = shape == "tanh" and _compiled_ok(xt, g, m)  # no gradient: the same operations in one new array
    if in_place and xt.shape[0] >= g.shape[0]:
        u = torch.clamp(xt, -1.0, 1.0, out=_new_cpu(xt)).mul_(g)
    else:
        u = xt.clamp(-1.0, 1.0) * g

    def f(v):
        if shape == "tanh":
            return torch.tanh(v)
        if shape == "atan":
            return torch.atan(v)
        if shape == "hard":
            return v.clamp(-1.0, 1.0)
        if shape == "cubic":
            c = v.clamp(-1.0, 1.0)
            return 1.5 * c - 0.5 * c**3
        return torch.tanh(v + 0.3) - math.tanh(0.3)

    if in_place:
        wet = u.tanh_().div_(torch.tanh(g))
    elif shape == "asymmetric":
        wet = f(u) / (torch.tanh(g + 0.3) - math.tanh(0.3))
        wet = wet - wet.mean(dim=-1, keepdim=True)
        wet = wet.clamp(-1.0, 1.0)
    else:
        wet = f(u) / f(g)
    if _compiled_ok(wet, m) and bool((m == 1).all()):  # all wet: m * wet + 0 * x is wet itself
        return audio_out(wet.expand(max(wet.shape[0], m.shape[0]), -1), ref, shape_in)
    return audio_out(m * wet + (1 - m) * xt, ref, shape_in)


def _modulated_delay(xt, delay_samples, history):
    """Read ``x[n - d[n]]`` with linear interpolation; ``history`` holds the samples before x."""
    b, n = xt.shape
    full = torch.cat([history, xt], dim=-1)
    h = history.shape[-1]
    # x[t - d] with t an integer: i0 = t + h - ceil(d), frac = ceil(d) - d. Splitting the
    # integer and fractional parts keeps the interpolation exact on long signals (a float32
    # position t - d has only quarter-sample resolution after a minute at 44.1 kHz).
    dc = torch.ceil(delay_samples)
    frac = dc - delay_samples
    t = torch.arange(n, device=xt.device)[None] + h
    i0 = (t - dc.long()).clamp(min=0, max=h + n - 1)
    i1 = (i0 + 1).clamp(max=h + n - 1)
    if i0.shape[0] == 1 and b > 1:  # one delay curve for the whole batch: index, don't gather
        a, c = full[:, i0[0]], full[:, i1[0]]
    else:
        i0, i1 = i0.expand(b, n), i1.expand(b, n)
        a, c = torch.gather(full, 1, i0), torch.gather(full, 1, i1)
    return a + (c - a) * frac


def chorus(
    x, *, sr: int, rate_hz=0.8, depth_s=0.003, delay_s=0.02, mix=0.5, voices: int = 2, state=None, return_state: bool = False
):
    """Chorus: ``voices`` copies read through delays that an LFO sweeps, mixed with the dry signal.

    Copy ``v`` is delayed by ``delay_s + depth_s * sin(2 pi rate t + 2 pi v / voices)``, so its
    pitch wobbles slightly (the Doppler effect of a moving delay) and the copies beat
    against the original: the "ensemble" sound. A flanger is the same with a short delay
    (:func:`flanger`).

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    sr : int
    rate_hz : float or Tensor [shape=(batch,)]
        LFO rate in [0, 20] Hz.
    depth_s, delay_s : float or Tensor [shape=(batch,)]
        Sweep depth and centre delay in seconds, ``depth_s <= delay_s <= 0.05``.
    mix : float or Tensor [shape=(batch,)]
        Wet level in [0, 1]; the output is ``(1 - mix/2) x + mix/2 * mean of the copies``.
    voices : int
        Number of delayed copies, 1..8.
    state : dict, optional
        From the previous block (``return_state=True``): ``'history'``, the last
        ``H = ceil(0.05 sr) + 2`` input samples ``(batch, H)``, and ``'lfo_phase'`` ``(batch, 1)``
        in cycles, so the sweep continues where it stopped.
    return_state : bool

    Examples
    --------
    >>> y = chorus(torch.zeros(2, 1000), sr=8000)
    >>> y.shape
    torch.Size([2, 1000])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    if isinstance(voices, bool) or not isinstance(voices, int) or not 1 <= voices <= 8:
        raise ParameterError(f"voices={voices!r}: expected an integer in 1..8")
    rate = param(rate_hz, "rate_hz", lo=0.0, hi=20.0, device=xt.device)
    depth = param(depth_s, "depth_s", lo=0.0, hi=0.05, device=xt.device, expected="a depth in [0, 0.05] s")
    base = param(delay_s, "delay_s", lo=0.0, hi=0.05, device=xt.device, expected="a delay in [0, 0.05] s")
    if bool((depth.detach() > base.detach()).any()):
        raise ParameterError(f"depth_s={depth_s!r}: expected at most delay_s={delay_s!r} (a delay cannot be negative)")
    m = param(mix, "mix", lo=0.0, hi=1.0, device=xt.device)
    b = batch_of(x=xt, rate_hz=rate, depth_s=depth, delay_s=base, mix=m)
    xt = _expand(xt, b)
    n = xt.shape[-1]
    H = int(math.ceil(0.05 * sr)) + 2
    hist = torch.zeros(b, H, device=xt.device, dtype=xt.dtype)
    phase0 = torch.zeros(1, 1, device=xt.device, dtype=xt.dtype)
    if state is not None:
        if not isinstance(state, dict) or "history" not in state:
            raise ParameterError(f"state={state!r}: expected the dict returned with return_state=True")
        hist = param(state["history"], "state['history']", device=xt.device, per_sample=True, n_samples=H)
        if hist.shape[-1] != H:
            raise ParameterError(f"state['history'] has shape {tuple(hist.shape)}: expected ({b}, {H})")
        hist = hist.expand(b, H)
        phase0 = param(state.get("lfo_phase", 0.0), "state['lfo_phase']", device=xt.device)
    t = torch.arange(n, device=xt.device, dtype=xt.dtype)[None] / sr
    lfo_cycles = phase0 + rate * t  # (batch, n)
    loop = kernel("chorus") if _compiled_ok(xt, rate, depth, base, m, hist, phase0) else None
    positions = kernel("read_positions") if loop is not None else None
    if positions is not None:  # the same delay curves; the reads and the mix as one compiled loop
        d = torch.stack([(base + depth * torch.sin(2 * math.pi * (lfo_cycles + v / voices))) * sr for v in range(voices)], 1)
        d = d.detach().numpy()
        idx, frac = np.empty(d.shape, dtype=np.int32), np.empty_like(d)
        positions(d, H, idx, frac)  # once for rows that share an LFO
        full = torch.cat([hist, xt], dim=-1).detach().contiguous()
        y = torch.empty(b, n)
        loop(full.numpy(), idx, frac, y.numpy(), _rows(1 - m / 2, m.shape[0]), _rows(m / 2, m.shape[0]))
    else:
        wet = 0
        for v in range(voices):
            d = (base + depth * torch.sin(2 * math.pi * (lfo_cycles + v / voices))) * sr
            wet = wet + _modulated_delay(xt, d, hist)
        wet = wet / voices
        y = (1 - m / 2) * xt + (m / 2) * wet
    out = audio_out(y, ref, shape)
    if return_state:
        end = torch.remainder(phase0.double() + rate.double() * (n / sr), 1.0).float()
        return out, {"history": torch.cat([hist, xt], -1)[:, -H:], "lfo_phase": end.expand(b, 1)}
    return out


def flanger(x, *, sr: int, rate_hz=0.25, depth_s=0.002, delay_s=0.0025, mix=1.0, state=None, return_state: bool = False):
    """Flanger: one copy through a short swept delay (about 0.5-5 ms), mixed 50/50 at ``mix=1``.

    The sum of a signal and its copy delayed by ``d`` is a comb filter with notches at
    ``(2k + 1) / (2 d)`` Hz; sweeping ``d`` sweeps the notches (the "jet" sound).
    Parameters as in :func:`chorus` with ``voices=1``.

    Examples
    --------
    >>> flanger(np.zeros(800, dtype=np.float32), sr=8000).shape
    (800,)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    return chorus(
        x, sr=sr, rate_hz=rate_hz, depth_s=depth_s, delay_s=delay_s, mix=mix, voices=1, state=state, return_state=return_state
    )


def rms_db(x, *, sr: int, time_s=0.01):
    """The running RMS level in dBFS (``10 log10`` of the one-pole-smoothed power; floor -120 dB).

    Examples
    --------
    >>> lvl = rms_db(torch.ones(1, 4000), sr=1000, time_s=0.01)
    >>> round(float(lvl[0, -1]), 3)
    0.0

    Chapter: notebooks/01a_synthesis.ipynb
    """
    xt, ref, shape = audio_in(x)
    p = one_pole(xt * xt, time_s=time_s, sr=sr)
    return audio_out(10.0 * torch.log10(p.clamp(min=1e-12)), ref, shape)


def gain_reduction_db(over, ratio, knee_db: float):
    """A compressor's static curve: gain change in dB for a level ``over`` dB above the threshold.

    Below the threshold nothing; above it the output rises ``1 / ratio`` dB per dB; with a
    knee of ``knee_db`` the corner is a quadratic blend over ``[-knee/2, knee/2]`` (Giannoulis,
    Massberg & Reiss 2012).

    Parameters
    ----------
    over : Tensor [shape=(batch, n_samples)]
        Level above the threshold in dB.
    ratio : float or Tensor [shape=(batch, 1)]
    knee_db : float

    Examples
    --------
    >>> gain_reduction_db(torch.tensor([-10.0, 0.0, 12.0]), 4.0, 0.0).tolist()
    [-0.0, -0.0, -9.0]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    slope = 1.0 - 1.0 / ratio
    if knee_db > 0:
        w = knee_db
        return torch.where(
            over <= -w / 2,
            torch.zeros_like(over),
            torch.where(over >= w / 2, -slope * over, -slope * (over + w / 2) ** 2 / (2 * w)),
        )
    return -slope * over.clamp(min=0.0)


def compressor(
    x,
    *,
    sr: int,
    threshold_db=-20.0,
    ratio=4.0,
    attack_s=0.005,
    release_s=0.05,
    makeup_db=0.0,
    knee_db=0.0,
    limit_output: bool = True,
):
    """A feed-forward compressor: above ``threshold_db`` the level rises only ``1/ratio`` as fast.

    Level detection: RMS in dB, smoothed with the ``attack_s`` time constant. Gain computer:
    ``gr = -(L - T)(1 - 1/ratio)`` dB above the threshold (a quadratic soft knee of width
    ``knee_db`` around it). The gain reduction is then smoothed with ``release_s``. Both
    smoothers are linear one-pole filters (so the compressor is vectorised and
    differentiable); a steady input is compressed exactly by the static curve.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    sr : int
    threshold_db : float or Tensor [shape=(batch,)]
        In [-80, 0] dBFS.
    ratio : float or Tensor [shape=(batch,)]
        In [1, 100] (1 = no compression; 100 is nearly a limiter).
    attack_s, release_s : float or Tensor [shape=(batch,)]
        Time constants in seconds, > 0.
    makeup_db : float or Tensor [shape=(batch,)]
        Gain after compression, in [0, 40] dB.
    knee_db : float
        Soft-knee width in dB (0 = hard knee).
    limit_output : bool
        Soft-limit the result if the make-up gain pushes it above full scale (only then).

    Examples
    --------
    >>> t = torch.arange(16000) / 16000
    >>> y = compressor(0.5 * torch.sin(2 * math.pi * 440 * t)[None], sr=16000, threshold_db=-20.0, ratio=4.0)
    >>> round(float(rms_db(y, sr=16000, time_s=0.05)[0, -1]), 1)      # -9.0 dB in -> -20 + 11/4
    -17.3

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    T = param(threshold_db, "threshold_db", lo=-80.0, hi=0.0, device=xt.device, expected="a level in [-80, 0] dBFS")
    R = param(ratio, "ratio", lo=1.0, hi=100.0, device=xt.device, expected="a ratio in [1, 100]")
    atk = param(attack_s, "attack_s", lo=0.0, lo_open=True, device=xt.device, expected="a time > 0 s")
    rel = param(release_s, "release_s", lo=0.0, lo_open=True, device=xt.device, expected="a time > 0 s")
    mk = param(makeup_db, "makeup_db", lo=0.0, hi=40.0, device=xt.device, expected="a gain in [0, 40] dB")
    if not (isinstance(knee_db, (int, float)) and 0 <= knee_db <= 24):
        raise ParameterError(f"knee_db={knee_db!r}: expected a knee width in [0, 24] dB")
    b = batch_of(x=xt, threshold_db=T, ratio=R, makeup_db=mk, attack_s=atk, release_s=rel)
    if _compiled_ok(xt, T, R, mk, atk, rel):
        y = _dynamics_compiled(xt, b, sr, T, 1.0 - 1.0 / R.double(), float(knee_db), T, False, atk, rel, mk, limit_output)
        if y is not None:
            return audio_out(y, ref, shape)
    level = rms_db(xt, sr=sr, time_s=attack_s)
    gr = one_pole(gain_reduction_db(level - T, R, knee_db), time_s=release_s, sr=sr)
    y = guard_full_scale(xt * 10.0 ** ((gr + mk) / 20.0), limit_output)
    return audio_out(y, ref, shape)


_compiled_ok = cpu_without_grad  # the effects' name for it


def _rows(v, b):
    """A ``(b or 1, 1)`` parameter as a float64 NumPy vector of length ``b``."""
    return np.ascontiguousarray(np.broadcast_to(v.detach().double().numpy().reshape(-1), (b,)))


# Samples per block of the compiled dynamics path: the block's temporaries (level, curve, gain)
# stay in the core's cache instead of streaming full-size arrays through memory once per stage.
DYNAMICS_BLOCK = 1 << 16


def _dynamics_compiled(xt, b, sr, T, slope, knee_db, gate_range, gate, atk, rel, mk, limit_output):
    """The compressor (``gate=False``) or noise gate on the CPU without torch, or ``None`` without numba.

    The torch path's detector, static curve and smoothers, to float32 rounding: the two
    one-pole recurrences (``c = exp(-1 / (tau sr))``, float64 state carried from block to
    block) are compiled loops, the logarithm, the curve and the exponential NumPy's vectorised
    float32 functions, applied to blocks of about ``DYNAMICS_BLOCK`` samples (all rows, a span
    of columns) so that every stage of a block works in cache. The loops fold in what is
    linear: the detector smooths the power relative to the threshold's, ``p / P_T`` floored at
    1, whose ``log10`` is the level above the threshold over 10 dB (0 below it); the release
    smoother smooths the gain reduction already scaled to the natural log of the gain and adds
    the make-up gain, so ``y = x 2**(k (smooth(gr) + makeup))`` with ``k = log2(10) / 20``,
    the torch path's ``x 10**((smooth(gr) + makeup) / 20)``. The numbers do not depend on the
    block size.
    """
    loop = kernel("one_pole")
    if loop is None:
        return None
    x = xt.detach().numpy()
    x = np.ascontiguousarray(np.broadcast_to(x, (b, x.shape[-1])) if x.shape[0] != b else x, dtype=np.float32)
    n = x.shape[-1]
    c1 = np.exp(-1.0 / (_rows(atk, b) * sr))
    c2 = np.exp(-1.0 / (_rows(rel, b) * sr))
    s1, s2 = np.zeros(b), np.zeros(b)
    k = math.log2(10.0) / 20.0  # 10**(g / 20) = 2**(k g)
    p_t = 10.0 ** (_col(T) / 10.0)  # the power at the threshold
    one, zero, no_floor = ONE_POLE_PLAIN
    if gate:  # k * range * (1 - sigmoid(2 over)) = k * range * (1 - tanh(over)) / 2, without overflow
        detect = (1.0 / p_t, zero, 1e-12 / p_t)  # 10 log10 of it: the level above the threshold
        release = (-0.5 * k * _col(gate_range), zero)
    elif knee_db == 0:  # k * -slope * max(10 log10(p) - T, 0) = (-10 k slope) * log10(max(p / P_T, 1))
        detect = (1.0 / p_t, zero, one)
        release = (-10.0 * k * _col(slope), k * _col(mk))
    else:
        detect = (one, zero, np.full(1, 1e-12))
        release = (np.full(1, k), k * _col(mk))
        thr = T.detach().numpy().reshape(-1, 1)
        sl = slope.detach().float().numpy().reshape(-1, 1)
    y = np.empty_like(x)
    width = min(n, max(1024, DYNAMICS_BLOCK // b))
    buf = np.empty((b, width), dtype=np.float32)
    for j in range(0, n, width):
        xs = x[:, j : j + width]
        p = buf[:, : xs.shape[1]]
        loop(xs, p, c1, s1, True, *detect)
        gr = np.log10(p, out=p)
        if gate:
            gr *= np.float32(10.0)
            np.tanh(gr, out=gr)
            gr -= np.float32(1.0)
        elif knee_db > 0:
            gr *= np.float32(10.0)
            gr -= thr
            gr = _curve_db(gr, sl, knee_db)
        loop(gr, gr, c2, s2, False, *release, no_floor)  # in place: each sample is read before it is written
        np.exp2(gr, out=gr)
        np.multiply(gr, xs, out=y[:, j : j + width])
    return guard_full_scale(torch.from_numpy(y), limit_output)


def _col(v):
    """A per-row parameter (tensor or array) as a float64 vector, one value when all rows agree (the loops broadcast it)."""
    v = np.asarray(v.detach().double().numpy() if isinstance(v, torch.Tensor) else v, dtype=np.float64).reshape(-1)
    return v[:1].copy() if bool((v == v[0]).all()) else np.ascontiguousarray(v)


def _curve_db(over, slope, knee_db: float):
    """:func:`gain_reduction_db` on NumPy float32 arrays, with ``slope = 1 - 1/ratio`` (``over`` is overwritten)."""
    if knee_db > 0:
        w = np.float32(knee_db)
        soft = -slope * (over + w / 2) ** 2 / (2 * w)
        return np.where(over <= -w / 2, np.float32(0.0), np.where(over >= w / 2, -slope * over, soft)).astype(np.float32)
    np.maximum(over, np.float32(0.0), out=over)
    over *= -slope
    return over


def gate_gain_db(over, range_db):
    """A noise gate's static curve: ``range_db`` well below the threshold, 0 dB well above it.

    A steep sigmoid of the level ``over`` dB above the threshold instead of a step keeps the
    gate differentiable in its threshold.

    Examples
    --------
    >>> [round(v, 3) for v in gate_gain_db(torch.tensor([-10.0, 0.0, 10.0]), -80.0).tolist()]
    [-80.0, -40.0, -0.0]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    return range_db * (1 - torch.sigmoid(over * 2.0))


def noise_gate(x, *, sr: int, threshold_db=-50.0, range_db=-80.0, attack_s=0.002, release_s=0.05):
    """Noise gate (the source's "声门控制"): mute passages whose RMS level is below ``threshold_db``.

    Below the threshold the gain is ``range_db`` (e.g. -80 dB, near silence); above it 0 dB.
    The RMS detector uses ``attack_s``; the gain is smoothed with ``release_s`` so it opens
    and closes without clicks.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    sr : int
    threshold_db : float or Tensor [shape=(batch,)]
        In [-120, 0] dBFS.
    range_db : float or Tensor [shape=(batch,)]
        Attenuation when closed, in [-120, 0] dB.
    attack_s, release_s : float
        Time constants in seconds, > 0.

    Examples
    --------
    >>> quiet = 0.001 * torch.ones(1, 8000)
    >>> float(noise_gate(quiet, sr=8000, threshold_db=-40.0)[0, -1]) < 1e-6
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    T = param(threshold_db, "threshold_db", lo=-120.0, hi=0.0, device=xt.device, expected="a level in [-120, 0] dBFS")
    rg = param(range_db, "range_db", lo=-120.0, hi=0.0, device=xt.device, expected="an attenuation in [-120, 0] dB")
    atk = param(attack_s, "attack_s", lo=0.0, lo_open=True, device=xt.device, expected="a time > 0 s")
    rel = param(release_s, "release_s", lo=0.0, lo_open=True, device=xt.device, expected="a time > 0 s")
    b = batch_of(x=xt, threshold_db=T, range_db=rg, attack_s=atk, release_s=rel)
    if _compiled_ok(xt, T, rg, atk, rel):
        y = _dynamics_compiled(xt, b, sr, T, T, 0.0, rg, True, atk, rel, torch.zeros(1, 1), False)
        if y is not None:
            return audio_out(y, ref, shape)
    level = rms_db(xt, sr=sr, time_s=attack_s)
    g_db = one_pole(gate_gain_db(level - T, rg), time_s=release_s, sr=sr)
    return audio_out(xt * 10.0 ** (g_db / 20.0), ref, shape)


def exciter(x, *, sr: int, cutoff_hz=3000.0, drive_db=12.0, amount=0.3):
    """Exciter (增强): add harmonics generated from the signal's own highs.

    The part of ``x`` above ``cutoff_hz`` is saturated (``tanh``), high-passed again to
    keep only the new upper partials, and added at ``amount``; the result is soft-limited
    under full scale. Brightens a dull sound without a plain EQ boost.

    Parameters
    ----------
    x : np.ndarray or Tensor [shape=(..., n_samples)]
    sr : int
    cutoff_hz : float
        High-pass cutoff in Hz (below Nyquist).
    drive_db : float or Tensor [shape=(batch,)]
        Saturation drive in [0, 60] dB.
    amount : float or Tensor [shape=(batch,)]
        Level of the added harmonics in [0, 1].

    Examples
    --------
    >>> exciter(np.zeros(100, dtype=np.float32), sr=16000).shape
    (100,)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    xt, ref, shape = audio_in(x)
    d = param(drive_db, "drive_db", lo=0.0, hi=60.0, device=xt.device, expected="a drive in [0, 60] dB")
    a = param(amount, "amount", lo=0.0, hi=1.0, device=xt.device)
    batch_of(x=xt, drive_db=d, amount=a)
    hp = biquad(xt, kind="highpass", cutoff_hz=cutoff_hz, sr=sr)
    g = 10.0 ** (d / 20.0)
    harm = torch.tanh(g * hp) / torch.tanh(g)
    harm = biquad(harm, kind="highpass", cutoff_hz=cutoff_hz, sr=sr)
    return audio_out(soft_limit(xt + a * harm), ref, shape)
