"""Checks for notebooks/06b_quality.ipynb."""

from __future__ import annotations

import numpy as np

from ..data import load_chorales
from ..errors import as_float, as_int, as_sequence, check
from ..evaluate import copied_fraction
from ..lessons.quality import choose_pieces, melodies
from ._core import CheckResult, exercise, is_int, is_near, run_student, verdict

__all__ = [
    "check_generalisation_gap",
    "check_largest_gap",
    "check_best_remedy",
    "check_which_can_sample",
    "check_copied_fraction",
    "check_reference_copying",
]


@exercise(
    "6b.1",
    hint="The gap says how much worse the model does on music it never saw than on the music it "
    "was trained on; both scores are in nats per token, lower is better.",
    solution="gap = held-out (test) NLL - training NLL. A model that has memorised its training melodies "
    "scores them much better than new ones, so the gap is large and positive.",
    code='answer_1 = r8["test_nll"] - r8["train_nll"]',
)
def check_generalisation_gap(train_nll, test_nll, answer) -> CheckResult:
    """Exercise 6b.1: the generalisation gap is held-out NLL minus training NLL (nats per token).

    Examples
    --------
    >>> bool(check_generalisation_gap(0.8, 2.2, 1.4)), bool(check_generalisation_gap(0.8, 2.2, -1.4))
    (True, False)
    >>> bool(check_generalisation_gap(0.8, 2.2, np.float64(2.2) - np.float64(0.8)))
    True
    """
    train_nll, test_nll = as_float(train_nll, "train_nll"), as_float(test_nll, "test_nll")
    ok = is_near(answer, test_nll - train_nll, 1e-6)
    return verdict(
        ok,
        "Right: the gap is how much worse the model does on music it never saw.",
        "Not quite: which of the two scores should be the larger for an over-fitted model, and what sign does that give the gap?",
    )


@exercise(
    "6b.2",
    hint="Each row of `curve` holds one training-set size with its train and test NLL (and the gap); compare the rows.",
    solution="Take the row whose test NLL exceeds its train NLL by the most: the smallest training set, "
    "which the model, trained for the same number of steps, sees for the most epochs and memorises.",
    code='answer_2 = max(curve, key=lambda r: r["test_nll"] - r["train_nll"])["size"]',
)
def check_largest_gap(rows, answer) -> CheckResult:
    """Exercise 6b.2: which training-set size (number of chorales) has the largest gap?

    Examples
    --------
    >>> rows = [dict(size=8, gap=1.4), dict(size=299, gap=0.05)]
    >>> bool(check_largest_gap(rows, 8)), bool(check_largest_gap(rows, 299)), bool(check_largest_gap(rows, np.int64(8)))
    (True, False, True)
    """
    truth = max(result_rows(rows, ("size", "gap")), key=lambda r: r["gap"])["size"]
    ok = is_int(answer, int(truth))
    return verdict(
        ok,
        "Right: with the least data the model memorises its training melodies.",
        "Not that one: compare the gap of every row in the table, not its train or test NLL alone.",
    )


@exercise(
    "6b.3",
    hint="A remedy is meant to help on music the model never saw; which column of `fixes` measures that?",
    solution="The remedy with the lowest test NLL generalised best (the train NLL says how well the model "
    "fits its own melodies, which over-fitting makes look good).",
    code='answer_3 = min(fixes, key=lambda r: r["test_nll"])["remedy"]',
)
def check_best_remedy(rows, answer) -> CheckResult:
    """Exercise 6b.3: which remedy gave the lowest test NLL in your table?

    Examples
    --------
    >>> rows = [dict(remedy="none", test_nll=2.2), dict(remedy="transpose", test_nll=1.4)]
    >>> bool(check_best_remedy(rows, "transpose")), bool(check_best_remedy(rows, "none"))
    (True, False)
    """
    truth = min(result_rows(rows, ("remedy", "test_nll")), key=lambda r: r["test_nll"])["remedy"]
    ok = isinstance(answer, str) and answer.strip().lower() == truth
    return verdict(
        ok,
        f"Right: '{truth}' generalised best in this run.",
        "Not that one: which score tells you how well a remedy generalises, and is lower or higher better there?",
    )


@exercise(
    "6b.4",
    hint="Sampling a melody needs a probability for the melody itself. Which of the two models of section 4 assigns one?",
    solution='"generative": it models p(x | c) p(c), so it can draw x given c = minor. The discriminative '
    "model p(c | x) only scores a melody it is given.",
    code='answer_4 = "generative"',
)
def check_which_can_sample(answer) -> CheckResult:
    """Exercise 6b.4: which classifier can draw a new melody, 'discriminative' or 'generative'?

    Examples
    --------
    >>> bool(check_which_can_sample("generative")), bool(check_which_can_sample("discriminative"))
    (True, False)
    """
    ok = isinstance(answer, str) and answer.strip().lower() == "generative"
    return verdict(
        ok,
        "Right: only a model of p(x | c) says what x looks like, so only it can sample x.",
        'Not that one (answer "discriminative" or "generative"): which of the two probabilities, '
        "p(c | x) or p(x | c), is a distribution over melodies?",
    )


def _copy_cases():
    """(sample, train_seqs, n, what a wrong implementation typically misses)."""
    rng = np.random.default_rng(6)
    return [
        ([1, 2, 3, 4], [[0, 1, 2, 3]], 2, ""),
        ([5, 5, 5, 5, 6], [[5, 5]], 2, " Count every n-gram of the sample, repeats included."),
        ([1, 2, 3], [[1, 2], [3, 9]], 2, " An n-gram must lie inside one training sequence, not across two."),
        ([1, 2, 3, 4], [[3, 4]], 2, " Does your loop reach the sample's last n-gram?"),
        (rng.integers(0, 4, 40), [rng.integers(0, 4, 30) for _ in range(3)], 3, ""),
        (rng.integers(0, 3, 25), [rng.integers(0, 3, 20), rng.integers(0, 3, 2)], 4, ""),
    ]


@exercise(
    "6b.5",
    kind="implement",
    hint="A set of tuples answers 'does this n-gram occur in the training melodies?' quickly. Mind the "
    "edges: how many overlapping n-grams does a sequence of length L have, and may an n-gram span "
    "the end of one training sequence and the start of the next?",
    solution="An n-gram of the sample is copied when it occurs verbatim somewhere inside one training "
    "sequence. Build the set of all training n-grams, t[i:i + n] for i in range(len(t) - n + 1) "
    "of each sequence t; the answer is the number of the sample's n-grams (repeats counted) found "
    "in it over the number of the sample's n-grams, len(sample) - n + 1.",
    code=(
        "def copied(sample, train_seqs, n):\n"
        "    seen = {tuple(t[i:i + n]) for t in train_seqs for i in range(len(t) - n + 1)}\n"
        "    grams = [tuple(sample[i:i + n]) for i in range(len(sample) - n + 1)]\n"
        "    return sum(g in seen for g in grams) / len(grams)"
    ),
)
def check_copied_fraction(copied) -> CheckResult:
    """Exercise 6b.5 (implement it): ``copied(sample, train_seqs, n)``, the share of copied n-grams.

    Tested against :func:`musynth_lab.evaluate.copied_fraction` on several cases, each of which
    a plausible wrong implementation gets wrong (distinct n-grams only, n-grams across two
    training sequences, an off-by-one loop).

    Examples
    --------
    >>> bool(check_copied_fraction(lambda sample, train_seqs, n: 0.5))
    False
    >>> from musynth_lab.evaluate import copied_fraction
    >>> bool(check_copied_fraction(lambda sample, train_seqs, n: copied_fraction(sample, train_seqs, n=n)))
    True
    """
    if not callable(copied):
        return CheckResult(False, "Pass your function itself: check_copied_fraction(copied).")
    for sample, train, n, why in _copy_cases():
        truth = copied_fraction(sample, train, n=n)
        got, stop = run_student(copied, (sample, train, n), exercise_id="6b.5")
        if stop is not None:
            return stop
        if not is_near(got, truth, 1e-9):
            shown = [list(map(int, t)) for t in train]
            return CheckResult(
                False,
                f"Not quite: for sample={list(map(int, sample))}, train_seqs={shown}, n={n} your function returned {got!r}.{why}",
            )
    return CheckResult(True, f"Right: your function agrees with evaluate.copied_fraction on all {len(_copy_cases())} cases.")


_DIRECTIONS = ("higher", "lower", "the same")


@exercise(
    "6b.6",
    kind="predict",
    hint="The reference is real chorales the model never saw, compared with the training melodies. What "
    "changes for a test chorale's phrase when there are 37 times as many training melodies to find it in?",
    solution="Higher: with 299 training chorales a real unseen chorale finds far more of its 8-token phrases "
    "in the training melodies (chorales share stock phrases and cadences), so the reference rises "
    "from about a tenth to over half. A sample's copied fraction alone says little: whether a model "
    "memorises is read from its ratio to this reference, measured on the same training set.",
    code='prediction_6 = "higher"  # more training melodies hold more of the stock phrases',
)
def check_reference_copying(answer, *, small: int = 8, large: int = 299, n: int = 8) -> CheckResult:
    """Exercise 6b.6 (predict): grow the training set from ``small`` to ``large`` chorales; does the
    copied fraction of *real unseen* chorales (the reference of section 1) go higher, lower or stay the same?

    The check measures it with :func:`musynth_lab.evaluate.copied_fraction` on the test split.

    Examples
    --------
    >>> bool(check_reference_copying("lower"))
    False
    """
    small, large, n = as_int(small, "small", low=1), as_int(large, "large", low=1), as_int(n, "n", low=1)
    said = answer.strip().lower() if isinstance(answer, str) else None
    if said == "same":
        said = "the same"
    if said not in _DIRECTIONS:
        return CheckResult(False, 'Answer "higher", "lower" or "the same" (a string), then explain it in a comment.')
    test = melodies(load_chorales("test"))
    ref = {}
    for size in (small, large):
        train = melodies(choose_pieces(size))
        ref[size] = float(np.mean([copied_fraction(x, train, n=n) for x in test if len(x) >= n]))
    truth = "higher" if ref[large] > ref[small] + 0.02 else "lower" if ref[large] < ref[small] - 0.02 else "the same"
    return verdict(
        said == truth,
        f"Right, measured: unseen chorales share {100 * ref[small]:.0f}% of their {n}-grams with "
        f"{small} training chorales and {100 * ref[large]:.0f}% with {large}. So a sample's copied "
        "fraction means something only next to this reference on the same training set.",
        "Not what the measurement shows. Think of the reference as a search: a phrase of a new chorale "
        "is looked up in the training melodies. What does a bigger haystack do?",
    )


def result_rows(rows, keys, name: str = "rows") -> list:
    """``rows`` as a non-empty list of dicts that all have ``keys`` (ParameterError otherwise).

    The checks of chapters 6b and 6c take a lesson's result table (a list of dicts, one per
    model or set); this validates it once for all of them. Not a user function, so it is not
    in ``__all__``.

    Examples
    --------
    >>> result_rows([dict(size=8, gap=1.4)], ("size", "gap"))
    [{'size': 8, 'gap': 1.4}]
    >>> result_rows([dict(size=8)], ("size", "gap"))
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: rows=[{'size': 8}]: expected dicts with the keys size, gap
    """
    rows = as_sequence(rows, name, min_len=1, what="a list of result rows (dicts)")
    check(
        all(isinstance(r, dict) and all(k in r for k in keys) for r in rows), name, rows, f"dicts with the keys {', '.join(keys)}"
    )
    return rows
