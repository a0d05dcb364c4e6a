"""Checks for notebooks/06c_coherence.ipynb."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, is_int, verdict

__all__ = ["check_parallel_fifths", "check_closest_pitch_classes", "check_hidden_states", "check_shuffle_blind"]


def check_parallel_fifths(voices, answer) -> CheckResult:
    """Exercise 6c.1: how many parallel fifths are in this ``(n_frames, 4)`` voice grid?

    Examples
    --------
    >>> voices = np.array([[72, 64, 55, 48], [74, 65, 57, 50]])   # tenor and bass move up a fifth apart
    >>> bool(check_parallel_fifths(voices, 1)), bool(check_parallel_fifths(voices, 0))
    (True, False)
    """
    from ..evaluate import voice_leading

    truth = voice_leading(voices)["parallel_fifths"]
    ok = is_int(answer, truth)
    return verdict(ok, f"Right: {truth} parallel fifth(s).",
                   "Not quite: for every pair of voices and every step, look for a fifth (7 semitones, or 19, "
                   "31, ...) in both frames with both voices moving the same way; a held fifth does not count.")


def check_closest_pitch_classes(rows, answer) -> CheckResult:
    """Exercise 6c.2: which set in the report has the smallest pitch-class distance to the data?

    Examples
    --------
    >>> rows = [dict(set="lstm", pc_distance=0.08), dict(set="random", pc_distance=0.41)]
    >>> bool(check_closest_pitch_classes(rows, "lstm")), bool(check_closest_pitch_classes(rows, "random"))
    (True, False)
    """
    from .quality import _rows
    best = min(_rows(rows, ("set", "pc_distance")), key=lambda r: r["pc_distance"])["set"]
    return verdict(answer == best, f"Right: {best!r} plays the pitch classes most like the chorales.",
                   "Not that one: compare the pc_distance column (Jensen-Shannon, lower is closer).")


def check_hidden_states(n_hidden, answer) -> CheckResult:
    """Exercise 6c.3: how many hidden configurations does the exact ``log Z`` of an RBM sum over?

    Examples
    --------
    >>> bool(check_hidden_states(3, 6))     # not 2 * 3
    False
    """
    from ..errors import as_int
    n_hidden = as_int(n_hidden, "n_hidden", high=64)
    try:
        ok = int(answer) == 2 ** n_hidden and float(answer) == int(answer)
    except (TypeError, ValueError, OverflowError):
        ok = False
    return verdict(ok, f"Right: every binary hidden vector, 2^{int(n_hidden)} = {2 ** int(n_hidden):,} of them.",
                   "Not quite: each hidden unit is 0 or 1, independently of the others.")


def check_shuffle_blind(answer) -> CheckResult:
    """Exercise 6c.4: which measure cannot tell a chorale from the same chorale shuffled in time?

    Examples
    --------
    >>> bool(check_shuffle_blind("tempo"))  # not a column of the report
    False
    """
    ok = isinstance(answer, str) and answer.strip().lower() in {"pc_distance", "pitch-class distance",
                                                               "pitch class distance"}
    return verdict(ok, "Right: a histogram of pitch classes forgets the order of the frames.",
                   "Not that one: a shuffle keeps every frame and changes only their order. Which measure "
                   "never looks at order? (Use the report's column name.)")
