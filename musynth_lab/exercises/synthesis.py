"""Checks for notebooks/05_synthesis.ipynb."""

from __future__ import annotations

import math

import numpy as np

from ._core import CheckResult, verdict

__all__ = ["check_nats_to_bits", "check_distinct_bigrams", "check_hotter_is_more_diverse", "check_beam_vs_greedy"]


def check_nats_to_bits(nats_per_frame, answer) -> CheckResult:
    """Exercise 5.1: convert a negative log-likelihood from nats to bits (divide by ln 2).

    Examples
    --------
    >>> bool(check_nats_to_bits(2.0, 2.0))  # a nat is not a bit
    False
    """
    from ..errors import as_float
    nats_per_frame = as_float(nats_per_frame, "nats_per_frame")
    try:
        ok = abs(float(answer) - nats_per_frame / math.log(2)) < 1e-3
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: 1 nat = 1/ln 2 ≈ 1.443 bits.",
                   "Not quite: a nat is a natural-log unit; bits = nats / ln(2).")


def check_distinct_bigrams(sequences, answer) -> CheckResult:
    """Exercise 5.2: the distinct-2 diversity of ``sequences`` (distinct bigrams / all bigrams).

    Examples
    --------
    >>> seqs = [[1, 2, 1, 2]]                   # bigrams (1, 2), (2, 1), (1, 2): 2 distinct of 3
    >>> bool(check_distinct_bigrams(seqs, 2 / 3)), bool(check_distinct_bigrams(seqs, 1.0))
    (True, False)
    """
    from ..evaluate import distinct_ngrams

    try:
        ok = abs(float(answer) - distinct_ngrams(sequences, n=2)) < 1e-9
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: that is the fraction of bigrams that are distinct.",
                   "Not quite: count every adjacent pair in every sequence, then divide the number of "
                   "different pairs by the number of pairs.")


def check_hotter_is_more_diverse(answer) -> CheckResult:
    """Exercise 5.3: which temperature gives the more diverse melodies, 0.5 or 1.5?

    Examples
    --------
    >>> bool(check_hotter_is_more_diverse(1.0))  # answer 0.5 or 1.5
    False
    """
    try:
        ok = float(answer) == 1.5
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: a higher temperature flattens the distribution, so more different figures appear.",
                   "Not that one: dividing log-probabilities by T < 1 sharpens the distribution.")


def check_beam_vs_greedy(log_prob_beam, log_prob_greedy, answer) -> CheckResult:
    """Exercise 5.4: is the beam's sequence at least as likely as greedy's (True/False)?

    Examples
    --------
    >>> bool(check_beam_vs_greedy(-10.0, -12.0, "yes"))   # answer True or False
    False
    """
    from ..errors import as_float
    truth = as_float(log_prob_beam, "log_prob_beam") >= as_float(log_prob_greedy, "log_prob_greedy") - 1e-6
    ok = isinstance(answer, (bool, np.bool_)) and bool(answer) == truth
    return verdict(ok, "Right: the beam explores several paths, so it finds a sequence at least as likely "
                   "as greedy's (ours also keeps greedy's path as a candidate, which guarantees it).",
                   "Compare the two log-probabilities (higher, i.e. closer to 0, is more likely).")
