"""Envelopes and modulators: ADSR and LFO, sample-accurate and batched.

An envelope is an ordinary ``(batch, n_samples)`` tensor, so it can multiply audio (a VCA),
scale an FM index or move a filter cutoff at audio rate.

:func:`adsr_level_unchecked` (public, not in ``__all__``) is :func:`adsr_level` without the
checks, for callers that pass validated tensors (the voices).

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import ParameterError
from ._kernels import cpu_without_grad, kernel
from ._util import TWO_PI, batch_of, check_n_samples, check_sr, param, tensor_arg
from .oscillators import device_of, phase_ramp

__all__ = ["adsr", "adsr_level", "lfo", "LFO_SHAPES"]

LFO_SHAPES = ("sine", "triangle", "saw", "square", "sample_hold")


def adsr_level(t, *, attack, decay, sustain, release, note_off):
    """The ADSR level at times ``t`` (seconds), closed form; the building block of :func:`adsr`.

    Linear segments: 0 -> 1 in ``attack`` s, 1 -> ``sustain`` in ``decay`` s, hold
    ``sustain`` until ``note_off``, then fall linearly to 0 in ``release`` s from whatever
    level the envelope had at note-off (so an early note-off during the attack releases
    from the partial level, without a jump).

    Parameters
    ----------
    t : Tensor [shape=(batch or 1, n)]
        Times in seconds.
    attack, decay, sustain, release, note_off : Tensor [shape=(batch or 1, 1)]

    Returns
    -------
    Tensor [shape=(batch, n)]

    Examples
    --------
    >>> one = lambda v: torch.tensor([[v]])
    >>> adsr_level(torch.tensor([[0.05, 0.2, 0.6]]), attack=one(0.1), decay=one(0.1), sustain=one(0.5),
    ...            release=one(0.2), note_off=one(0.5)).tolist()
    [[0.5, 0.5, 0.25]]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    tensor_arg(t, "t")
    for name, v in (("attack", attack), ("decay", decay), ("sustain", sustain), ("release", release), ("note_off", note_off)):
        tensor_arg(v, name, what="(batch or 1, 1)")
    return adsr_level_unchecked(t, attack=attack, decay=decay, sustain=sustain, release=release, note_off=note_off)


def adsr_level_unchecked(t, *, attack, decay, sustain, release, note_off):
    """:func:`adsr_level` without the checks (its callers pass validated tensors).

    On the CPU, when no gradient is wanted, a compiled loop computes the same float32
    operations in one pass (the torch version below takes about fifteen full-size passes).
    """
    args = (t, attack, decay, sustain, release, note_off)
    if cpu_without_grad(*args) and all(v.dtype == torch.float32 for v in args):
        loop = kernel("adsr")
        if loop is not None:
            b = max(v.shape[0] for v in args)
            y = np.empty((b, t.shape[-1]), dtype=np.float32)
            loop(*(v.detach().numpy() for v in args), y)
            return torch.from_numpy(y)
    eps = 1e-9
    a_ = attack.clamp(min=eps)
    d_ = decay.clamp(min=eps)
    r_ = release.clamp(min=eps)

    def on_level(tt):
        # min(attack ramp, decay line clamped to [sustain, 1]): the ramp is below the line
        # before the peak and above it after, so one minimum joins the segments
        dec = 1.0 - (1.0 - sustain) * ((tt - attack) / d_ + (decay <= 0).to(tt.dtype)).clamp(0.0, 1.0)
        ramp = tt / a_ + (attack <= 0).to(tt.dtype)  # a zero attack starts at the peak
        return torch.minimum(ramp, dec).clamp(min=0.0)

    held = on_level(t)
    at_off = on_level(note_off)
    rel = at_off * (1.0 - (t - note_off) / r_).clamp(0.0, 1.0)
    return torch.where(t < note_off, held, rel)


def adsr(*, attack, decay, sustain, release, note_off, n_samples: int, sr: int, device=None):
    """An ADSR envelope (attack, decay, sustain, release) per batch item, at audio rate.

    Sample ``n`` is the level at ``t = n / sr``. Times are in seconds and may differ per
    batch item (a ``(batch,)`` tensor); a time of 0 is an instant jump.

    Parameters
    ----------
    attack, decay, release : float or Tensor [shape=(batch,)]
        Segment durations in seconds, >= 0.
    sustain : float or Tensor [shape=(batch,)]
        Sustain level in [0, 1].
    note_off : float or Tensor [shape=(batch,)]
        When the key is released, in seconds from the note-on, >= 0.
    n_samples : int
    sr : int
        Sample rate in Hz.

    Returns
    -------
    Tensor [shape=(batch, n_samples)], float32 in [0, 1]; differentiable in every time and
    the sustain level.

    Raises
    ------
    ParameterError
        Negative times, a sustain level outside [0, 1], NaN, mismatched batch sizes.

    Examples
    --------
    >>> env = adsr(attack=0.01, decay=0.1, sustain=0.5, release=0.2, note_off=0.5, n_samples=8000, sr=8000)
    >>> round(float(env[0, int(0.3 * 8000)]), 3), round(float(env[0, int(0.6 * 8000)]), 3)
    (0.5, 0.25)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    n_samples = check_n_samples(n_samples)
    dev = device_of(device, attack, decay, sustain, release, note_off)
    a = param(attack, "attack", lo=0.0, device=dev, expected="a time >= 0 s")
    d = param(decay, "decay", lo=0.0, device=dev, expected="a time >= 0 s")
    s = param(sustain, "sustain", lo=0.0, hi=1.0, device=dev, expected="a level in [0, 1]")
    r = param(release, "release", lo=0.0, device=dev, expected="a time >= 0 s")
    off = param(note_off, "note_off", lo=0.0, device=dev, expected="a time >= 0 s")
    batch_of(attack=a, decay=d, sustain=s, release=r, note_off=off)
    t = torch.arange(n_samples, device=dev, dtype=torch.float32)[None] / sr
    return adsr_level_unchecked(t, attack=a, decay=d, sustain=s, release=r, note_off=off)


def lfo(
    rate_hz,
    *,
    n_samples: int,
    sr: int,
    shape: str = "sine",
    depth=1.0,
    offset=0.0,
    phase=0.0,
    seed: int | None = None,
    device=None,
    return_phase: bool = False,
):
    """A low-frequency oscillator: ``offset + depth * wave(rate)``, wave in [-1, 1].

    Parameters
    ----------
    rate_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Rate in Hz, >= 0 (0 holds the starting phase).
    n_samples : int
    sr : int
    shape : {'sine', 'triangle', 'saw', 'square', 'sample_hold'}
        ``'sample_hold'`` holds a new random value each cycle.
    depth, offset : float or Tensor [shape=(batch,) or (batch, n_samples)]
    phase : float or Tensor [shape=(batch,)]
        Starting phase in cycles.
    seed : int, optional
        For ``'sample_hold'``.
    return_phase : bool

    Returns
    -------
    Tensor [shape=(batch, n_samples)]

    Examples
    --------
    >>> v = lfo(5.0, n_samples=1000, sr=1000, depth=2.0)
    >>> round(float(v.max()), 3), round(float(v[0, 50]), 3)     # peak at a quarter cycle
    (2.0, 2.0)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if shape not in LFO_SHAPES:
        raise ParameterError(f"shape={shape!r}: expected one of {LFO_SHAPES}")
    dev = device_of(device, rate_hz, depth, offset, phase)
    rate = param(rate_hz, "rate_hz", lo=0.0, device=dev, n_samples=n_samples, per_sample=True, expected="a rate >= 0 Hz")
    ramp, end, inc = phase_ramp(rate, n_samples=n_samples, sr=sr, phase=phase, device=dev)
    dep = param(depth, "depth", device=dev, n_samples=n_samples, per_sample=True)
    off = param(offset, "offset", device=dev, n_samples=n_samples, per_sample=True)
    batch_of(rate_hz=ramp, depth=dep, offset=off)
    if shape == "sine":
        w = torch.sin(TWO_PI * ramp)
    elif shape == "triangle":
        w = torch.where(ramp < 0.25, 4 * ramp, torch.where(ramp < 0.75, 2 - 4 * ramp, 4 * ramp - 4))
    elif shape == "saw":
        w = 2.0 * ramp - 1.0
    elif shape == "square":
        w = torch.where(ramp < 0.5, 1.0, -1.0).to(ramp.dtype)
    else:
        # a new value at each wrap of the phase: count cycles, index a table of random values
        p0 = param(phase, "phase", device=dev)
        cycles = torch.floor(p0.double() + torch.cumsum(inc.double().expand_as(ramp), -1) - inc.double()).long()
        cycles = cycles - cycles[:, :1]
        gen = torch.Generator(device=dev)
        gen.manual_seed(0 if seed is None else int(seed))
        table = 2 * torch.rand(ramp.shape[0], int(cycles.max()) + 1, generator=gen, device=dev) - 1
        w = torch.gather(table, 1, cycles)
    y = off + dep * w
    return (y, end) if return_phase else y
