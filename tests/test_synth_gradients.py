"""Gradients of every differentiable render path against central finite differences.

Each case renders a small, seeded signal, reduces it to a scalar ``sum(w * y)`` with fixed
random weights ``w``, and compares ``d/dp`` from autograd with ``(L(p + h) - L(p - h)) / 2h``:
same sign, magnitude within 5 %. The synth computes in float32, so the steps ``h`` are
chosen large enough that the float32 rounding of ``L`` is far below the difference and small
enough that the curvature is negligible (each case was checked to agree to ~1e-3).

Covers issue 15 item 14: the voices' default peak limiter divided by a detached peak, so
the gradient of a note whose raw peak exceeded 1 was up to ~30 % too small.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math

import pytest
import torch

import musynth_lab.synth as S
from musynth_lab.synth import FMVoice, SubtractiveVoice

SR = 16000
N = 4000


def _x(n=N, seed=0, amp=0.5):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / SR
    return (
        amp * torch.sin(2 * math.pi * 330 * t) * (0.5 + 0.5 * torch.sin(2 * math.pi * 3 * t)) + 0.05 * torch.randn(n, generator=g)
    )[None]


def _check(fn, p0: float, h: float, *, rel: float = 0.05, seed: int = 1):
    """autograd vs central difference of ``sum(w * fn(p))`` at ``p0``; returns both."""
    with torch.no_grad():
        shape = fn(torch.tensor([p0])).shape
    w = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    p = torch.tensor([p0], requires_grad=True)
    (fn(p) * w).sum().backward()
    with torch.no_grad():
        fd = float(((fn(torch.tensor([p0 + h])) - fn(torch.tensor([p0 - h]))) * w).sum() / (2 * h))
    g = float(p.grad)
    assert abs(fd) > 1e-6, "the finite difference is too small to test anything"
    assert math.copysign(1, g) == math.copysign(1, fd), (g, fd)
    assert g == pytest.approx(fd, rel=rel), (g, fd)
    return g, fd


# ---- voices, with the default peak limiter -------------------------------------------------


@pytest.mark.parametrize(
    "name,p0,h",
    [
        ("cutoff_hz", 2000.0, 2.0),
        ("cutoff_hz", 600.0, 1.0),
        ("resonance", 3.0, 0.01),
        ("osc2_level", 0.8, 0.005),
        ("midi_f0", 50.0, 0.01),
    ],
)
def test_subtractive_voice_gradient_matches_finite_difference_when_the_limiter_acts(name, p0, h):
    v = SubtractiveVoice()
    fixed = dict(filter_env_octaves=0.0, osc2_level=0.8, resonance=3.0, cutoff_hz=2000.0)

    def render(p, normalize=True):
        return v.render(sr=SR, n_samples=N, normalize=normalize, **{**fixed, name: p})

    with torch.no_grad():
        assert float(render(torch.tensor([p0]), normalize=False).abs().max()) > 1.0  # the limiter is active
    _check(render, p0, h)


def test_subtractive_voice_gradient_with_filter_envelope():
    v = SubtractiveVoice()
    # raw output: with the limiter the peak sample switches within a few 1e-4 octaves (a kink)
    _check(lambda p: v.render(sr=SR, n_samples=N, filter_env_octaves=p, resonance=4.0, normalize=False), 1.5, 5e-4)


@pytest.mark.parametrize("name,p0,h", [("index", 3.0, 0.01), ("ratio", 1.4, 1e-4), ("feedback", 0.3, 0.005)])
def test_fm_voice_gradient_matches_finite_difference(name, p0, h):
    v = FMVoice()
    _check(lambda p: v.render(sr=SR, n_samples=N, **{name: p}), p0, h)


@pytest.mark.parametrize("name,p0,h", [("index", 2.0, 0.01), ("ratio", 1.5, 1e-4)])
def test_fm_tone_gradient_matches_finite_difference(name, p0, h):
    kw = dict(index=2.0, ratio=1.5)
    _check(lambda p: S.fm_tone(220.0, n_samples=N, sr=SR, **{**kw, name: p}), p0, h)


# ---- effects --------------------------------------------------------------------------------

EFFECT_CASES = [
    ("gain limited", lambda x, p: S.gain(x, gain_db=p), 6.0, 0.01),
    ("delay feedback", lambda x, p: S.delay(x, delay_s=0.01, sr=SR, feedback=p), 0.5, 0.005),
    ("delay mix", lambda x, p: S.delay(x, delay_s=0.01, sr=SR, mix=p), 0.5, 0.005),
    ("overdrive", lambda x, p: S.overdrive(x, drive_db=p), 12.0, 0.01),
    ("chorus depth", lambda x, p: S.chorus(x, sr=SR, depth_s=p), 0.003, 2e-6),
    ("chorus mix", lambda x, p: S.chorus(x, sr=SR, mix=p), 0.5, 0.005),
    ("compressor threshold", lambda x, p: S.compressor(x, sr=SR, threshold_db=p), -20.0, 0.02),
    ("compressor ratio", lambda x, p: S.compressor(x, sr=SR, ratio=p), 4.0, 0.01),
    ("compressor attack", lambda x, p: S.compressor(x, sr=SR, attack_s=p), 0.005, 2e-5),
    ("compressor release", lambda x, p: S.compressor(x, sr=SR, release_s=p), 0.05, 2e-4),
    ("noise gate", lambda x, p: S.noise_gate(0.1 * x, sr=SR, threshold_db=p), -30.0, 0.02),
    ("exciter", lambda x, p: S.exciter(x, sr=SR, drive_db=p), 12.0, 0.02),
    ("reverb rt60", lambda x, p: S.algorithmic_reverb(x, sr=SR, rt60=p, mix=0.5), 0.3, 0.002),
    ("reverb damping", lambda x, p: S.algorithmic_reverb(x, sr=SR, rt60=0.3, damping=p), 0.3, 0.002),
    ("biquad cutoff", lambda x, p: S.biquad(x, kind="lowpass", cutoff_hz=p, sr=SR, q=2.0), 800.0, 0.5),
    ("svf cutoff", lambda x, p: S.svf(x, cutoff_hz=p, sr=SR, q=2.0), 800.0, 0.5),
]


@pytest.mark.parametrize("name,fn,p0,h", EFFECT_CASES, ids=[c[0] for c in EFFECT_CASES])
def test_effect_gradient_matches_finite_difference(name, fn, p0, h):
    x = _x()
    _check(lambda p: fn(x, p), p0, h)


def test_effect_gradient_with_respect_to_the_input():
    """d(sum w * compressor(x))/dx[k] for one sample k, against a finite difference."""
    x0 = _x(n=2000)
    w = torch.randn(1, 2000, generator=torch.Generator().manual_seed(3))
    k = 700
    x = x0.clone().requires_grad_(True)
    (S.compressor(x, sr=SR, threshold_db=-20.0, ratio=4.0) * w).sum().backward()
    h = 1e-3
    e = torch.zeros_like(x0)
    e[0, k] = h
    with torch.no_grad():
        fd = float(((S.compressor(x0 + e, sr=SR) - S.compressor(x0 - e, sr=SR)) * w).sum() / (2 * h))
    assert float(x.grad[0, k]) == pytest.approx(fd, rel=0.05)
