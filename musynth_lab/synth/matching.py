"""Sound matching: recover a patch's parameters from a target sound by gradient descent.

Because every voice is differentiable in its continuous parameters, the distance between
its sound and a target can be minimised with an ordinary optimiser. The distance is a
multi-resolution STFT loss (spectral convergence + log-magnitude L1 over several FFT sizes,
as in Parallel WaveGAN and DDSP), which compares spectra rather than waveforms, so it does
not care about phase and gives useful gradients where a sample-wise loss would not.
Parameters are optimised in their normalised [0, 1] space (a sigmoid of a free variable),
so they stay in range.

What it recovers, measured (tests/test_synth_music.py): the filter cutoff alone from far
away, and cutoff, resonance, oscillator shape and noise level jointly from the defaults.
Where it fails: frequency-like parameters (an FM ratio) and envelope times, whose spectral
losses are full of local minima (Turian & Henry 2020, "I'm sorry for your loss"); random
restarts did not rescue the FM ratio either in our trials. Those need a search or a
learned estimator, not a single descent.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..audio import as_audio, to_tensor
from ..errors import ParameterError
from ._util import check_sr

__all__ = ["multi_resolution_stft_loss", "match_sound", "MatchResult"]


def multi_resolution_stft_loss(
    pred, target, *, fft_sizes=(256, 512, 1024), eps: float = 1e-7, sc_weight: float = 1.0, log_weight: float = 1.0
):
    """Mean over FFT sizes of ``||S_t - S_p||_F / ||S_t||_F + mean |log S_t - log S_p|``.

    Parameters
    ----------
    pred, target : Tensor [shape=(batch, n_samples)]
    fft_sizes : sequence of int
        Hann windows of these sizes, hop a quarter of each.
    sc_weight, log_weight : float
        Weights of the spectral-convergence and log-magnitude terms.

    Returns
    -------
    Tensor [shape=()], differentiable in ``pred``

    Examples
    --------
    >>> x = torch.randn(1, 4096)
    >>> float(multi_resolution_stft_loss(x, x)), float(multi_resolution_stft_loss(0.5 * x, x)) > 0.5
    (0.0, True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    # integer PCM is scaled to [-1, 1) floats; float tensors pass through untouched (gradients kept)
    pred = pred if isinstance(pred, torch.Tensor) and pred.is_floating_point() else to_tensor(as_audio(pred, name="pred"))
    target = (
        target if isinstance(target, torch.Tensor) and target.is_floating_point() else to_tensor(as_audio(target, name="target"))
    )
    if pred.shape != target.shape:
        raise ParameterError(f"pred has shape {tuple(pred.shape)}: expected the target's shape {tuple(target.shape)}")
    total = 0.0
    for n_fft in fft_sizes:
        if n_fft > pred.shape[-1]:
            raise ParameterError(f"fft_sizes contains {n_fft}: expected sizes up to the signal length {pred.shape[-1]}")
        win = torch.hann_window(n_fft, device=pred.device)
        sp = torch.stft(pred, n_fft, hop_length=n_fft // 4, window=win, return_complex=True).abs()
        st = torch.stft(target, n_fft, hop_length=n_fft // 4, window=win, return_complex=True).abs()
        sc = torch.linalg.norm(st - sp) / torch.linalg.norm(st).clamp(min=eps)
        mag = (torch.log(st + eps) - torch.log(sp + eps)).abs().mean()
        total = total + sc_weight * sc + log_weight * mag
    return total / len(fft_sizes)


@dataclass
class MatchResult:
    """What :func:`match_sound` found.

    Attributes
    ----------
    values : dict of str -> float
        The recovered parameters in their units.
    losses : list of float
        The loss at each step.
    audio : Tensor [shape=(1, n_samples)]
        The matched sound.

    Examples
    --------
    >>> r = MatchResult(values={"cutoff_hz": 1985.0}, losses=[1.4, 0.6, 0.3])
    >>> r.values["cutoff_hz"], r.losses[-1] < r.losses[0], r.audio is None
    (1985.0, True, True)

    Chapter: notebooks/01a_synthesis.ipynb
    """

    values: dict
    losses: list = field(default_factory=list)
    audio: torch.Tensor | None = None


#: Parameters in Hz are fitted below this fraction of the sample rate (where the voices' filters clamp).
FIT_MAX_HZ_FRACTION = 0.45


def match_sound(
    voice,
    target,
    *,
    sr: int,
    fit,
    init=None,
    fixed=None,
    steps: int = 60,
    lr: float = 0.05,
    fft_sizes=(256, 512, 1024),
    sc_weight: float = 1.0,
    log_weight: float = 1.0,
    seed: int = 0,
) -> MatchResult:
    """Fit some of a voice's parameters to a target sound with Adam on the spectral loss.

    Parameters
    ----------
    voice : Voice
        E.g. :class:`~musynth_lab.synth.SubtractiveVoice`.
    target : Tensor [shape=(n_samples,) or (1, n_samples)]
    sr : int
    fit : sequence of str
        Names of the parameters to recover.
    init : dict, optional
        Starting values (units) for the fitted parameters; default their declared defaults.
        A parameter in Hz is searched below ``FIT_MAX_HZ_FRACTION * sr`` (0.45 sr), where the
        voices' filters stop; a starting value beyond either end starts 2 % of the range inside it.
    fixed : dict, optional
        Values of the parameters that are not fitted (they must match the target's).
    steps : int
        Optimiser steps (keep it small in notebooks).
    fft_sizes, sc_weight, log_weight
        Passed to :func:`multi_resolution_stft_loss`.
    lr : float
        Adam's initial learning rate in normalised units (cosine decay to 5 % of it).

    Returns
    -------
    MatchResult

    Examples
    --------
    >>> from musynth_lab.synth import SubtractiveVoice
    >>> v = SubtractiveVoice()
    >>> target = v.render(sr=8000, n_samples=2048, cutoff_hz=2000.0)
    >>> res = match_sound(v, target, sr=8000, fit=["cutoff_hz"], init={"cutoff_hz": 500.0}, steps=3)
    >>> res.losses[-1] < res.losses[0]
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ParameterError(f"steps={steps!r}: expected a positive integer")
    if isinstance(fit, str) or not fit:
        raise ParameterError(f"fit={fit!r}: expected a non-empty list of parameter names")
    tgt = target if isinstance(target, torch.Tensor) else torch.as_tensor(target, dtype=torch.float32)
    tgt = tgt.float().reshape(1, -1).detach()
    init = dict(init or {})
    free, top = {}, {}
    for name in fit:
        p = voice.param(name)
        v0 = init.get(name, p.default)
        p.check(v0)
        # A frequency is searched only below FIT_MAX_HZ_FRACTION * sr: above it the voices' filters
        # clamp, the sound stops changing, the gradient is zero and Adam would stall on that plateau
        # (a 5 kHz cutoff at 16 kHz, fitted from 300 Hz, ended at 9.1 kHz when the target moved by 1e-7).
        cap = min(p.hi, FIT_MAX_HZ_FRACTION * sr) if p.unit == "Hz" else p.hi
        top[name] = float(p.to_unit(cap)) if cap > p.lo else 1.0
        # a start at either end of the range would sit where the sigmoid is flat: start 2 % inside
        u0 = min(max(float(p.to_unit(v0)) / top[name], 0.02), 0.98)
        free[name] = torch.tensor([torch.logit(torch.tensor(u0)).item()], device=tgt.device, requires_grad=True)
    torch.manual_seed(seed)
    # lr is in normalised units (the logit's slope is 1/4). Momentum 0.5, not Adam's 0.9: the spectral
    # loss is V-shaped at its minimum, and with 0.9 the fit overshot it; where it stopped then moved by
    # up to 5 % of the cutoff when the target changed by one float32 rounding step.
    opt = torch.optim.Adam(list(free.values()), lr=lr * 4, betas=(0.5, 0.999))
    # the step size shrinks to 5 % by the end (cosine), so Adam settles instead of circling the minimum
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * 4 * 0.05)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        units = {k: top[k] * torch.sigmoid(z) for k, z in free.items()}
        y = voice.render_unit(units, sr=sr, n_samples=tgt.shape[-1], fixed=fixed)
        loss = multi_resolution_stft_loss(y, tgt, fft_sizes=fft_sizes, sc_weight=sc_weight, log_weight=log_weight)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        units = {k: top[k] * torch.sigmoid(z) for k, z in free.items()}
        y = voice.render_unit(units, sr=sr, n_samples=tgt.shape[-1], fixed=fixed)
        values = {k: float(voice.param(k).from_unit(u)[0]) for k, u in units.items()}
    return MatchResult(values=values, losses=losses, audio=y)
