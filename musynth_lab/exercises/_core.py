"""The verdict object every ``check_*`` function returns."""

from __future__ import annotations

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
