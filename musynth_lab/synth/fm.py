"""FM synthesis (frequency modulation, Chowning 1973): 2 operators with feedback, and 4-operator algorithms.

A sine carrier whose phase is pushed by a sine modulator,
``y(t) = sin(2 pi fc t + I sin(2 pi fm t))``, equals
``sum_k J_k(I) sin(2 pi (fc + k fm) t)``: sidebands at ``fc +- k fm`` with Bessel-function
amplitudes ``J_k(I)``. The ratio ``fm / fc`` sets which partials exist (a whole-number ratio
gives a harmonic tone, an irrational one a bell- or metal-like inharmonic tone); the index
``I`` sets how many are loud (bandwidth about ``2 (I + 1) fm``, Carson's rule).

This is *phase* modulation, as in Yamaha's "FM" synthesizers. FM is a way to make sound,
not an equaliser (the source article calls it an "FM 均衡器"; an equaliser is a filter bank,
:func:`musynth_lab.synth.equalizer`).

Feedback (an operator modulating itself by its previous output sample) is a recursion; it
is solved here by fixed-point iteration over the whole signal (each pass fixes at least one
more sample exactly and shrinks the rest by the factor ``feedback``), which stays
vectorised and differentiable. ``feedback`` is limited to [0, 1].

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import torch

from ..errors import ParameterError, as_float, as_int, check
from ._util import TWO_PI, batch_of, check_n_samples, check_sr, param, tensor_arg
from .oscillators import device_of, phase_ramp

__all__ = ["fm_tone", "fm4", "FM4_ALGORITHMS", "bessel_sidebands", "feedback_sine"]

#: The eight 4-operator algorithms, in the style of Yamaha's 4-operator FM synths (DX21/TX81Z
#: family): ``modulators[i]`` lists the operators that modulate operator ``i`` (1-based),
#: ``carriers`` are the operators heard. Operator 4 carries the feedback.
FM4_ALGORITHMS = {
    1: {"modulators": {1: [2], 2: [3], 3: [4], 4: []}, "carriers": [1], "diagram": "4->3->2->1"},
    2: {"modulators": {1: [2], 2: [3, 4], 3: [], 4: []}, "carriers": [1], "diagram": "(3+4)->2->1"},
    3: {"modulators": {1: [2, 4], 2: [3], 3: [], 4: []}, "carriers": [1], "diagram": "(3->2 + 4)->1"},
    4: {"modulators": {1: [2, 3], 2: [], 3: [4], 4: []}, "carriers": [1], "diagram": "(2 + 4->3)->1"},
    5: {"modulators": {1: [2], 2: [], 3: [4], 4: []}, "carriers": [1, 3], "diagram": "2->1, 4->3"},
    6: {"modulators": {1: [4], 2: [4], 3: [4], 4: []}, "carriers": [1, 2, 3], "diagram": "4->(1, 2, 3)"},
    7: {"modulators": {1: [], 2: [], 3: [4], 4: []}, "carriers": [1, 2, 3], "diagram": "1, 2, 4->3"},
    8: {"modulators": {1: [], 2: [], 3: [], 4: []}, "carriers": [1, 2, 3, 4], "diagram": "1, 2, 3, 4 (additive)"},
}


def feedback_sine(theta, *, feedback, previous=None, tol: float = 1e-6, max_iter: int = 256):
    """Solve ``y[n] = sin(theta[n] + feedback * y[n-1])`` for the whole signal at once.

    Parameters
    ----------
    theta : Tensor [shape=(batch, n_samples)]
        The phase in radians without feedback.
    feedback : Tensor [shape=(batch or 1, 1)]
        Self-modulation depth in [0, 1].
    previous : Tensor [shape=(batch,)], optional
        ``y[-1]`` from the previous block.
    tol, max_iter
        Stop when no sample changes by more than ``tol`` (or after ``max_iter`` passes).

    Returns
    -------
    Tensor [shape=(batch, n_samples)]

    Examples
    --------
    >>> th = torch.linspace(0, 20, 50)[None]
    >>> y = feedback_sine(th, feedback=torch.tensor([[0.7]]))
    >>> import math; ref = [0.0]
    >>> for t in th[0].tolist(): ref.append(math.sin(t + 0.7 * ref[-1]))
    >>> float((y[0] - torch.tensor(ref[1:])).abs().max()) < 1e-5
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    tensor_arg(theta, "theta", what="(batch, n_samples)")
    tensor_arg(feedback, "feedback", what="(batch or 1, 1)")
    with torch.no_grad():
        check(bool(((feedback >= 0) & (feedback <= 1)).all()), "feedback", feedback, "a self-modulation depth in [0, 1]")
    if previous is not None:
        tensor_arg(previous, "previous", ndim=previous.ndim if isinstance(previous, torch.Tensor) else 1, what="(batch,)")
    return _feedback_sine(theta, feedback=feedback, previous=previous, tol=tol, max_iter=max_iter)


def _feedback_sine(theta, *, feedback, previous=None, tol: float = 1e-6, max_iter: int = 256):
    """:func:`feedback_sine` without the checks (its callers pass validated tensors)."""
    prev = torch.zeros_like(theta[:, :1]) if previous is None else previous.reshape(-1, 1).to(theta)
    prev = prev.expand(theta.shape[0], 1)
    y = torch.sin(theta)
    if bool((feedback.detach() == 0).all()):
        return y
    for _ in range(max_iter):
        shifted = torch.cat([prev, y[:, :-1]], dim=-1)
        new = torch.sin(theta + feedback * shifted)
        done = float((new - y).detach().abs().max()) < tol
        y = new
        if done:
            break
    return y


def fm_tone(
    carrier_hz,
    *,
    n_samples: int,
    sr: int,
    ratio=1.0,
    index=1.0,
    feedback=0.0,
    amplitude=1.0,
    phase=None,
    device=None,
    return_state: bool = False,
):
    """Two-operator FM: a sine carrier phase-modulated by a sine modulator at ``ratio * carrier_hz``.

    ``y = amplitude * sin(2 pi phi_c + index * m)``, ``m[n] = sin(2 pi phi_m[n] + feedback * m[n-1])``.

    Parameters
    ----------
    carrier_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Carrier frequency in Hz.
    n_samples : int
    sr : int
        Sample rate in Hz.
    ratio : float or Tensor [shape=(batch,)]
        Modulator frequency / carrier frequency, >= 0.
    index : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Modulation index in radians, >= 0 (per sample: an index envelope).
    feedback : float or Tensor [shape=(batch,)]
        Modulator self-feedback in [0, 1].
    amplitude : float or Tensor [shape=(batch,) or (batch, n_samples)]
        An amplitude or an amplitude envelope.
    phase : dict, optional
        State from the previous block (``return_state=True``): carrier and modulator phases
        and the modulator's last output.
    return_state : bool

    Returns
    -------
    Tensor [shape=(batch, n_samples)] (and the state dict when asked)

    Examples
    --------
    >>> y = fm_tone(1000.0, ratio=0.1, index=0.0, n_samples=8000, sr=8000)   # no modulation: a sine
    >>> int(torch.fft.rfft(y[0]).abs().argmax())
    1000

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    n_samples = check_n_samples(n_samples)
    dev = device_of(device, carrier_hz, ratio, index, feedback, amplitude)
    fc = param(
        carrier_hz,
        "carrier_hz",
        lo=0.0,
        hi=sr / 2,
        hi_open=True,
        device=dev,
        n_samples=n_samples,
        per_sample=True,
        expected=f"a frequency in [0, {sr / 2:g}) Hz",
    )
    r = param(ratio, "ratio", lo=0.0, hi=64.0, device=dev, expected="a frequency ratio in [0, 64]")
    idx = param(
        index,
        "index",
        lo=0.0,
        hi=100.0,
        device=dev,
        n_samples=n_samples,
        per_sample=True,
        expected="a modulation index in [0, 100] radians",
    )
    fb = param(feedback, "feedback", lo=0.0, hi=1.0, device=dev, expected="a feedback amount in [0, 1]")
    amp = param(amplitude, "amplitude", device=dev, n_samples=n_samples, per_sample=True)
    batch_of(carrier_hz=fc, ratio=r, index=idx, feedback=fb, amplitude=amp)
    state = phase or {}
    pc, end_c, _ = phase_ramp(fc, n_samples=n_samples, sr=sr, phase=state.get("carrier", 0.0), device=dev)
    pm, end_m, _ = phase_ramp(fc * r, n_samples=n_samples, sr=sr, phase=state.get("modulator", 0.0), device=dev)
    m = _feedback_sine(TWO_PI * pm, feedback=fb, previous=state.get("previous"))
    y = amp * torch.sin(TWO_PI * pc + idx * m)
    if return_state:
        return y, {"carrier": end_c, "modulator": end_m, "previous": m[:, -1].detach()}
    return y


def fm4(
    freq_hz,
    *,
    n_samples: int,
    sr: int,
    algorithm: int = 1,
    ratios=(1.0, 1.0, 1.0, 1.0),
    levels=(1.0, 1.0, 1.0, 1.0),
    feedback=0.0,
    envelopes=None,
    phase=None,
    device=None,
    return_state: bool = False,
):
    """Four-operator FM with a selectable algorithm (:data:`FM4_ALGORITHMS`).

    Operator ``i`` runs at ``ratios[i] * freq_hz`` and outputs
    ``o_i = level_i * env_i * sin(2 pi phi_i + sum of its modulators' outputs)``; a modulator's
    level is its modulation index (radians), a carrier's level its loudness. The carriers are
    summed and divided by their number, so the output stays within full scale when the
    carrier levels are at most 1. Operator 4's unit-level wave modulates its own phase by
    ``feedback`` times its previous sample.

    Parameters
    ----------
    freq_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        The note's frequency in Hz.
    n_samples : int
    sr : int
    algorithm : int
        1..8.
    ratios : sequence of 4 floats or Tensor [shape=(batch, 4)]
        Frequency ratio of each operator, in [0, 64].
    levels : sequence of 4 floats or Tensor [shape=(batch, 4)]
        Output level of each operator, in [0, 100].
    feedback : float or Tensor [shape=(batch,)]
        Self-modulation of operator 4, in [0, 1].
    envelopes : Tensor [shape=(batch, 4, n_samples)], optional
        A per-operator envelope (e.g. from :func:`musynth_lab.synth.adsr`).
    phase : dict, optional
        State from the previous block.
    return_state : bool

    Returns
    -------
    Tensor [shape=(batch, n_samples)] (and the state when asked)

    Raises
    ------
    ParameterError
        An unknown algorithm, ratios/levels not of length 4, values out of range.

    Examples
    --------
    >>> y = fm4(220.0, algorithm=8, levels=(1.0, 0.0, 0.0, 0.0), n_samples=8000, sr=8000)
    >>> int(torch.fft.rfft(y[0]).abs().argmax())      # operator 1 alone: a 220 Hz sine at 1/4 level
    220

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if isinstance(algorithm, bool) or algorithm not in FM4_ALGORITHMS:
        raise ParameterError(f"algorithm={algorithm!r}: expected one of {sorted(FM4_ALGORITHMS)}")
    sr = check_sr(sr)
    n_samples = check_n_samples(n_samples)
    dev = device_of(device, freq_hz, ratios, levels, feedback, envelopes)
    f = param(
        freq_hz,
        "freq_hz",
        lo=0.0,
        hi=sr / 2,
        hi_open=True,
        device=dev,
        n_samples=n_samples,
        per_sample=True,
        expected=f"a frequency in [0, {sr / 2:g}) Hz",
    )

    def four(v, name, hi):
        t = v if isinstance(v, torch.Tensor) else torch.as_tensor(v, dtype=torch.float32)
        t = t.to(dev).float()
        if t.ndim == 1:
            t = t[None]
        if t.ndim != 2 or t.shape[-1] != 4:
            raise ParameterError(f"{name} has shape {tuple(t.shape)}: expected 4 values (or (batch, 4))")
        param(t.reshape(-1), name, lo=0.0, hi=hi, expected=f"values in [0, {hi}]")
        return t

    r = four(ratios, "ratios", 64.0)
    lv = four(levels, "levels", 100.0)
    fb = param(feedback, "feedback", lo=0.0, hi=1.0, device=dev, expected="a feedback amount in [0, 1]")
    env = None
    if envelopes is not None:
        env = envelopes if isinstance(envelopes, torch.Tensor) else torch.as_tensor(envelopes, dtype=torch.float32)
        env = env.to(dev).float()
        if env.ndim != 3 or env.shape[1] != 4 or env.shape[2] != n_samples:
            raise ParameterError(f"envelopes has shape {tuple(env.shape)}: expected (batch, 4, {n_samples})")
        param(env.reshape(-1), "envelopes")
    b = batch_of(freq_hz=f, ratios=r, levels=lv, feedback=fb, envelopes=env)
    state = phase or {}
    algo = FM4_ALGORITHMS[algorithm]
    outs, ends = {}, {}
    prev_out = None
    for op in (4, 3, 2, 1):  # modulators have higher numbers in every algorithm
        i = op - 1
        ph, ends[op], _ = phase_ramp(
            f * r[:, i : i + 1], n_samples=n_samples, sr=sr, phase=state.get("phases", {}).get(op, 0.0), device=dev
        )
        theta = TWO_PI * ph
        for mod in algo["modulators"][op]:
            theta = theta + outs[mod]
        gain = lv[:, i : i + 1] * (env[:, i] if env is not None else 1.0)
        if op == 4:
            prev = state.get("previous")
            # feedback on the operator's own unit-level wave: w[n] = sin(theta[n] + fb * w[n-1])
            wave = _feedback_sine(theta, feedback=fb, previous=prev)
            outs[op] = gain * wave
            prev_out = wave[:, -1].detach() if wave.shape[0] == b else wave[:, -1].detach().expand(b)
        else:
            outs[op] = gain * torch.sin(theta)
    y = sum(outs[c] for c in algo["carriers"]) / len(algo["carriers"])
    y = y.expand(b, n_samples) if y.shape[0] == 1 and b > 1 else y
    if return_state:
        return y, {"phases": ends, "previous": prev_out}
    return y


def bessel_sidebands(index: float, *, carrier_hz: float, modulator_hz: float, k_max: int = 8):
    """The theoretical spectrum of sine-on-sine FM: ``[(frequency_hz, J_k(index)), ...]`` for ``k = -k_max..k_max``.

    Negative frequencies fold back with a sign change; the list keeps them as computed.

    Examples
    --------
    >>> [(f, round(a, 4)) for f, a in bessel_sidebands(1.0, carrier_hz=1000, modulator_hz=100, k_max=1)]
    [(900.0, -0.4401), (1000.0, 0.7652), (1100.0, 0.4401)]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    # scipy is imported where used: importing this module (and `import musynth_lab`) stays light
    from scipy.special import jv

    index = as_float(index, "index", low=0)
    carrier_hz = as_float(carrier_hz, "carrier_hz", low=0)
    modulator_hz = as_float(modulator_hz, "modulator_hz", low=0)
    k_max = as_int(k_max, "k_max", low=1, high=1000)
    return [(float(carrier_hz + k * modulator_hz), float(jv(k, index))) for k in range(-k_max, k_max + 1)]
