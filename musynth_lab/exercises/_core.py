"""The verdict object every ``check_*`` function returns."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """The outcome of an exercise check: truthy when correct.

    Attributes
    ----------
    correct : bool
    message : str
        What was right, or a hint at what is wrong (never the full answer).

    Examples
    --------
    >>> r = CheckResult(False, "Not quite: try again.")
    >>> bool(r), r.message
    (False, 'Not quite: try again.')
    >>> CheckResult(True, "69: A4 is MIDI note 69.")
    ✓ 69: A4 is MIDI note 69.
    """

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return ("✓ " if self.correct else "✗ ") + self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.correct else "#b3261e"
        mark = "✓" if self.correct else "✗"
        return f'<span style="color:{colour};font-weight:bold">{mark}</span> {self.message}'


def verdict(correct: bool, right: str, wrong: str) -> CheckResult:
    """A :class:`CheckResult` with the message that fits.

    Examples
    --------
    >>> verdict(2 + 2 == 5, "Right.", "Not quite: add again.")
    ✗ Not quite: add again.
    >>> bool(verdict(2 + 2 == 4, "Right.", "Not quite: add again."))
    True
    """
    return CheckResult(bool(correct), right if correct else wrong)


def number(x):
    """``float(x)`` when ``x`` reads as a finite number, else None.

    Examples
    --------
    >>> number("0.5"), number(float("nan")), number("A4")
    (0.5, None, None)
    """
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def is_near(answer, truth: float, tol: float) -> bool:
    """Whether ``answer`` is a finite number within ``tol`` (exclusive) of ``truth``.

    Examples
    --------
    >>> is_near(1.414, 2 ** 0.5, 0.01), is_near("x", 1.0, 0.01), is_near(float("inf"), 1.0, 0.01)
    (True, False, False)
    """
    v = number(answer)
    return v is not None and abs(v - truth) < tol


def is_int(answer, truth: int) -> bool:
    """Whether ``answer`` is the integer ``truth`` (``69`` and ``69.0`` are; ``69.5`` and ``"A4"`` are not).

    Examples
    --------
    >>> is_int(69.0, 69), is_int(69.5, 69), is_int("A4", 69), is_int(float("inf"), 69)
    (True, False, False, False)
    """
    try:
        return int(answer) == truth and float(answer) == truth
    except (TypeError, ValueError, OverflowError):
        return False
