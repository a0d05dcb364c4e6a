"""Measures of generated music.

Chapter: notebooks/05_synthesis.ipynb (decoding strategies compared); notebooks/06_challenges
extends these for coherence.
"""

from __future__ import annotations

import numpy as np

from .errors import check

__all__ = ["distinct_ngrams", "melody_pitches"]


def distinct_ngrams(sequences, n: int = 2) -> float:
    """Diversity: distinct n-grams divided by all n-grams across ``sequences`` (Li et al. 2016's distinct-n).

    1.0 means no n-gram repeats anywhere; values near 0 mean the same figures over and over.

    Parameters
    ----------
    sequences : list of 1-D int sequences
    n : int

    Examples
    --------
    >>> distinct_ngrams([[1, 2, 1, 2, 1, 2]], n=2), distinct_ngrams([[1, 2, 3, 4]], n=2)
    (0.4, 1.0)
    """
    check(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "an integer >= 1")
    grams = []
    for s in sequences:
        s = [int(t) for t in np.asarray(s).ravel()]
        grams.extend(tuple(s[i:i + n]) for i in range(len(s) - n + 1))
    check(len(grams) > 0, "sequences", sequences, f"sequences with at least {n} tokens")
    return len(set(grams)) / len(grams)


def melody_pitches(tokens, *, step: float = 0.5) -> np.ndarray:
    """The MIDI pitches of the notes a melody-token sequence starts, in order (holds and rests dropped)."""
    from .data import tokens_to_notes

    return tokens_to_notes(tokens, step=step)[:, 2].astype(np.int64)
