"""Checks for notebooks/02_attention.ipynb."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, verdict

__all__ = ["check_source_score", "check_softmax_weights", "check_max_kept_after_softmax",
           "check_kept_count", "check_se_gate_count"]

#: Exercise 2.1's numbers: alpha, x_enc, beta, v_dec.
SOURCE_SCORE_EXERCISE = {"alpha": [0.5, -1.0, 2.0], "x_enc": [2.0, 1.0, 0.25], "beta": [1.0, -0.5],
                         "v_dec": [0.4, 0.2]}


def _floats(answer):
    try:
        return np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def check_source_score(answer) -> CheckResult:
    """Exercise 2.1: the source's score ``ReLU(alpha . x_enc + beta . v_dec)`` for SOURCE_SCORE_EXERCISE.

    Examples
    --------
    >>> bool(check_source_score(-1.0))      # ReLU never gives a negative score
    False
    """
    p = SOURCE_SCORE_EXERCISE
    truth = max(0.0, float(np.dot(p["alpha"], p["x_enc"]) + np.dot(p["beta"], p["v_dec"])))
    a = _floats(answer)
    ok = a is not None and a.size == 1 and abs(float(a.ravel()[0]) - truth) < 1e-6
    return verdict(ok, f"{truth:g}: 0.5*2 - 1*1 + 2*0.25 + 1*0.4 - 0.5*0.2 = {truth:g}, and ReLU keeps it.",
                   "Not quite: take the two dot products, add them, then apply ReLU (max(0, .)); "
                   "musynth_lab.attention.source_scores computes it.")


def check_softmax_weights(answer, scores=(1.0, 2.0, 3.0, 0.5), mask=(True, True, True, False)) -> CheckResult:
    """Exercise 2.2: the attention weights of ``scores`` with the last position masked.

    Examples
    --------
    >>> bool(check_softmax_weights([0.25, 0.25, 0.25, 0.25]))   # the masked position must get 0
    False
    """
    from ..errors import as_array, check
    s = as_array(scores, "scores", ndim=1)
    m = as_array(mask, "mask", ndim=1).astype(bool)
    check(m.shape == s.shape and m.any(), "mask", mask, f"{len(s)} booleans, at least one True")
    e = np.where(m, np.exp(s - s[m].max()), 0.0)
    truth = e / e.sum()
    a = _floats(answer)
    ok = a is not None and a.shape == truth.shape and np.allclose(a, truth, atol=1e-4)
    return verdict(ok, "Right: the masked position gets 0 and the others sum to one.",
                   "Not quite: exponentiate the allowed scores, divide by their sum, give the masked one 0 "
                   "(musynth_lab.attention.masked_softmax).")


def check_max_kept_after_softmax(answer) -> CheckResult:
    """Exercise 2.3: at most how many softmax weights (over any number of positions) can exceed 0.5?

    Examples
    --------
    >>> bool(check_max_kept_after_softmax(3))
    False
    """
    a = _floats(answer)
    ok = a is not None and a.size == 1 and float(a.ravel()[0]) == 1.0
    return verdict(ok, "1: the weights sum to one, so two of them cannot both be above one half.",
                   "Think about what the weights of a softmax add up to.")


def check_kept_count(answer, scores=(0.2, 1.4, 3.0, 0.9, 2.2, 0.1), threshold: float = 0.5) -> CheckResult:
    """Exercise 2.4: how many positions survive the 0.5 threshold after dividing by the largest score?

    Examples
    --------
    >>> bool(check_kept_count(6))           # not every position survives
    False
    """
    from ..errors import as_array, as_float, check
    s = as_array(scores, "scores", ndim=1)
    check(s.max() > 0, "scores", scores, "at least one positive score")
    truth = int(np.sum(s / s.max() > as_float(threshold, "threshold")))
    a = _floats(answer)
    ok = a is not None and a.size == 1 and float(a.ravel()[0]) == truth
    return verdict(ok, f"{truth}: only scores above half the largest ({s.max() / 2:g}) survive.",
                   "Not quite: normalise with normalise_scores(scores, 'max') and count the weights above 0.5.")


def check_se_gate_count(answer, channels: int = 32) -> CheckResult:
    """Exercise 2.5: how many gates does squeeze-and-excitation produce for one example with ``channels`` channels?

    Examples
    --------
    >>> bool(check_se_gate_count(1))
    False
    """
    from ..errors import as_int
    channels = as_int(channels, "channels")
    a = _floats(answer)
    ok = a is not None and a.size == 1 and float(a.ravel()[0]) == channels
    return verdict(ok, f"{channels}: one gate per feature channel, shared by every position.",
                   "Not quite: SE gives one number per channel (look at the shape of the gates it returns).")
