"""Checks for notebooks/06b_quality.ipynb."""

from __future__ import annotations

from ..errors import as_float, as_sequence, check
from ._core import CheckResult, verdict  # noqa: F401

__all__ = ["check_generalisation_gap", "check_largest_gap", "check_best_remedy", "check_which_can_sample"]


def check_generalisation_gap(train_nll, test_nll, answer) -> CheckResult:
    """Exercise 6b.1: the generalisation gap is held-out NLL minus training NLL (nats per token).

    Examples
    --------
    >>> bool(check_generalisation_gap(0.8, 2.2, 1.4)), bool(check_generalisation_gap(0.8, 2.2, -1.4))
    (True, False)
    """
    train_nll, test_nll = as_float(train_nll, "train_nll"), as_float(test_nll, "test_nll")
    try:
        ok = abs(float(answer) - (test_nll - train_nll)) < 1e-6
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: the gap is how much worse the model does on music it never saw.",
                   "Not quite: subtract the training NLL from the held-out (test) NLL.")


def check_largest_gap(rows, answer) -> CheckResult:
    """Exercise 6b.2: which training-set size (number of chorales) has the largest gap?

    Examples
    --------
    >>> rows = [dict(size=8, gap=1.4), dict(size=299, gap=0.05)]
    >>> bool(check_largest_gap(rows, 8)), bool(check_largest_gap(rows, 299))
    (True, False)
    """
    truth = max(_rows(rows, ("size", "gap")), key=lambda r: r["gap"])["size"]
    try:
        ok = int(answer) == int(truth)
    except (TypeError, ValueError, OverflowError):
        ok = False
    return verdict(ok, "Right: with the least data the model memorises its training melodies.",
                   "Not that one: look for the row whose test NLL exceeds its train NLL by the most.")


def check_best_remedy(rows, answer) -> CheckResult:
    """Exercise 6b.3: which remedy gave the lowest test NLL in your table?

    Examples
    --------
    >>> rows = [dict(remedy="none", test_nll=2.2), dict(remedy="transpose", test_nll=1.4)]
    >>> bool(check_best_remedy(rows, "transpose")), bool(check_best_remedy(rows, "none"))
    (True, False)
    """
    truth = min(_rows(rows, ("remedy", "test_nll")), key=lambda r: r["test_nll"])["remedy"]
    ok = isinstance(answer, str) and answer.strip().lower() == truth
    return verdict(ok, f"Right: '{truth}' generalised best in this run.",
                   "Not that one: the best remedy is the one with the lowest test NLL (not the lowest train NLL).")


def check_which_can_sample(answer) -> CheckResult:
    """Exercise 6b.4: which classifier can draw a new melody, 'discriminative' or 'generative'?

    Examples
    --------
    >>> bool(check_which_can_sample("generative")), bool(check_which_can_sample("discriminative"))
    (True, False)
    """
    ok = isinstance(answer, str) and answer.strip().lower() == "generative"
    return verdict(ok, "Right: only a model of p(x | c) says what x looks like, so only it can sample x.",
                   "Not that one: p(c | x) scores a given melody; it never says which melodies are likely.")


def _rows(rows, keys, name: str = "rows") -> list:
    """``rows`` as a non-empty list of dicts that all have ``keys`` (ParameterError otherwise)."""
    rows = as_sequence(rows, name, min_len=1, what="a list of result rows (dicts)")
    check(all(isinstance(r, dict) and all(k in r for k in keys) for r in rows), name, rows,
          f"dicts with the keys {', '.join(keys)}")
    return rows
