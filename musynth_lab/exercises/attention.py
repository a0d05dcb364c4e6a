"""Checks for notebooks/02_attention.ipynb."""

from __future__ import annotations

import numpy as np

from ..attention import attend, dot_product_scores, scaled_dot_product_attention
from ..errors import as_array, as_float, as_int, check
from ._core import CheckResult, exercise, floats, run_student, verdict

__all__ = [
    "check_source_score",
    "check_softmax_weights",
    "check_max_kept_after_softmax",
    "check_kept_count",
    "check_se_gate_count",
    "check_attention_weights",
    "check_unscaled_peak",
]

#: Exercise 2.1's numbers: alpha, x_enc, beta, v_dec.
SOURCE_SCORE_EXERCISE = {"alpha": [0.5, -1.0, 2.0], "x_enc": [2.0, 1.0, 0.25], "beta": [1.0, -0.5], "v_dec": [0.4, 0.2]}


@exercise(
    "2.1",
    hint="Each of the two terms is a dot product of two vectors (a number); add them, then apply f = ReLU.",
    solution=(
        "alpha . x_enc = 0.5*2 - 1*1 + 2*0.25 = 0.5 and beta . v_dec = 1*0.4 - 0.5*0.2 = 0.3; "
        "their sum 0.8 is positive, so ReLU keeps it: e = 0.8. A.source_scores computes the same."
    ),
    code=(
        "p = ex2.attention.SOURCE_SCORE_EXERCISE\n"
        'answer_1 = float(A.source_scores(np.array([p["x_enc"]]), np.array([p["v_dec"]]),\n'
        '                                  alpha=p["alpha"], beta=p["beta"])[0, 0])'
    ),
)
def check_source_score(answer) -> CheckResult:
    """Exercise 2.1: the source's score ``ReLU(alpha . x_enc + beta . v_dec)`` for SOURCE_SCORE_EXERCISE.

    Examples
    --------
    >>> bool(check_source_score(-1.0))      # ReLU never gives a negative score
    False
    """
    p = SOURCE_SCORE_EXERCISE
    truth = max(0.0, float(np.dot(p["alpha"], p["x_enc"]) + np.dot(p["beta"], p["v_dec"])))
    a = floats(answer)
    ok = a is not None and a.size == 1 and abs(float(a.ravel()[0]) - truth) < 1e-6
    return verdict(
        ok,
        f"{truth:g}: 0.5*2 - 1*1 + 2*0.25 + 1*0.4 - 0.5*0.2 = {truth:g}, and ReLU keeps it.",
        "Not quite: a dot product is a sum of products, one number per vector pair; add the two terms before the activation.",
    )


@exercise(
    "2.2",
    hint="A masked position is left out of the sum and gets weight 0; the allowed ones are "
    "exponentiated and normalised to sum to one (section 1 has a version by hand).",
    solution=(
        "exp of the allowed scores 1, 2, 3 divided by their sum: [0.090, 0.245, 0.665], and 0 for the "
        "masked 0.5, whatever its score."
    ),
    code=("answer_2 = A.masked_softmax(np.array([1.0, 2.0, 3.0, 0.5]), np.array([True, True, True, False]))"),
)
def check_softmax_weights(answer, scores=(1.0, 2.0, 3.0, 0.5), mask=(True, True, True, False)) -> CheckResult:
    """Exercise 2.2: the attention weights of ``scores`` with the last position masked.

    Examples
    --------
    >>> bool(check_softmax_weights([0.25, 0.25, 0.25, 0.25]))   # the masked position must get 0
    False
    """
    s = as_array(scores, "scores", ndim=1)
    m = as_array(mask, "mask", ndim=1).astype(bool)
    check(m.shape == s.shape and m.any(), "mask", mask, f"{len(s)} booleans, at least one True")
    e = np.where(m, np.exp(s - s[m].max()), 0.0)
    truth = e / e.sum()
    a = floats(answer)
    ok = a is not None and a.shape == truth.shape and np.allclose(a, truth, atol=1e-4)
    return verdict(
        ok,
        "Right: the masked position gets 0 and the others sum to one.",
        "Not quite: give a list of 4 weights; the masked one is 0 and the other three sum to one, growing with their scores.",
    )


@exercise(
    "2.3",
    hint="What do the weights of a softmax add up to?",
    solution=(
        "The weights are positive and sum to one, so two of them cannot both exceed one half: at most "
        "1 position survives a 0.5 threshold after a softmax, however many there are."
    ),
    code="answer_3 = 1",
)
def check_max_kept_after_softmax(answer) -> CheckResult:
    """Exercise 2.3: at most how many softmax weights (over any number of positions) can exceed 0.5?

    Examples
    --------
    >>> bool(check_max_kept_after_softmax(3))
    False
    """
    a = floats(answer)
    ok = a is not None and a.size == 1 and float(a.ravel()[0]) == 1.0
    return verdict(
        ok,
        "1: the weights sum to one, so two of them cannot both be above one half.",
        "Think about what the weights of a softmax add up to.",
    )


@exercise(
    "2.4",
    hint="Dividing by the largest score maps the strongest position to 1; a weight above 0.5 then "
    "means a score above half of the largest.",
    solution=(
        "The largest score is 3.0, so the threshold keeps scores above 1.5: 3.0 and 2.2, i.e. 2 "
        "positions (A.normalise_scores(s, 'max') then A.hard_select(w, 0.5))."
    ),
    code=('answer_4 = int(A.hard_select(A.normalise_scores(np.array([0.2, 1.4, 3.0, 0.9, 2.2, 0.1]), "max"), 0.5).sum())'),
)
def check_kept_count(answer, scores=(0.2, 1.4, 3.0, 0.9, 2.2, 0.1), threshold: float = 0.5) -> CheckResult:
    """Exercise 2.4: how many positions survive the 0.5 threshold after dividing by the largest score?

    Examples
    --------
    >>> bool(check_kept_count(6))           # not every position survives
    False
    """
    s = as_array(scores, "scores", ndim=1)
    check(s.max() > 0, "scores", scores, "at least one positive score")
    truth = int(np.sum(s / s.max() > as_float(threshold, "threshold")))
    a = floats(answer)
    ok = a is not None and a.size == 1 and float(a.ravel()[0]) == truth
    return verdict(
        ok,
        f"{truth}: only scores above half the largest ({s.max() / 2:g}) survive.",
        "Not quite: divide every score by the largest, then count the results above the threshold.",
    )


@exercise(
    "2.5",
    hint="Squeeze-and-excitation squeezes each channel over all positions before gating it; "
    "look at the shape of the gates computed in section 4.",
    solution=(
        "SE pools each of the 32 channels to one number, and its sigmoid gives one gate per channel, "
        "shared by every position: 32 gates per example (gates has shape (batch, 32))."
    ),
    code="answer_5 = int(gates.shape[1])",
)
def check_se_gate_count(answer, channels: int = 32) -> CheckResult:
    """Exercise 2.5: how many gates does squeeze-and-excitation produce for one example with ``channels`` channels?

    Examples
    --------
    >>> bool(check_se_gate_count(1))
    False
    """
    channels = as_int(channels, "channels")
    a = floats(answer)
    ok = a is not None and a.size == 1 and float(a.ravel()[0]) == channels
    return verdict(
        ok,
        f"{channels}: one gate per feature channel, shared by every position.",
        "Not quite: does SE gate each position, each channel, or each (channel, position) pair? "
        "The shape of the gates it returns says.",
    )


# Exercise 2.6's test inputs: (query, keys) pairs. d varies (a version without 1/sqrt(d) fails
# wherever d > 1), queries and keys differ in number (a softmax over the wrong axis fails), and the
# last pair has scores in the hundreds (exp without subtracting the row maximum overflows).
def _attention_cases():
    rng = np.random.default_rng(2)
    cases = [
        (rng.normal(size=(3, 4)), rng.normal(size=(5, 4))),
        (rng.normal(size=(2, 16)), rng.normal(size=(7, 16))),
        (np.array([[1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])),
        (30.0 * rng.normal(size=(4, 8)), 30.0 * rng.normal(size=(6, 8))),
    ]
    return cases


@exercise(
    "2.6",
    kind="implement",
    hint=(
        "Three steps: all query-key dot products at once (a matrix product), a division that keeps their "
        "spread independent of d, and a softmax along the keys of each query. Section 1's softmax by hand "
        "shows how to keep exp from overflowing."
    ),
    solution=(
        "e = q k^T / sqrt(d) has one row per query and one column per key; the weights are a softmax "
        "of each row: w[m, n] = exp(e[m, n] - max_n e[m, :]) / sum_n' exp(e[m, n'] - max_n e[m, :]). "
        "Subtracting the row maximum changes nothing mathematically but keeps exp finite. The library's "
        "A.scaled_dot_product_attention(q, k, v) returns the same weights with the output w v."
    ),
    code=(
        "def attention_weights(q, k):\n"
        "    e = q @ k.T / np.sqrt(q.shape[-1])\n"
        "    e = np.exp(e - e.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)"
    ),
)
def check_attention_weights(answer) -> CheckResult:
    """Exercise 2.6: ``answer(q, k)`` must return ``softmax(q k^T / sqrt(d))`` row by row, as the library does.

    Tested against :func:`musynth_lab.attention.scaled_dot_product_attention` on several
    ``(q, k)`` pairs (numpy arrays of shapes ``(m, d)`` and ``(n, d)``).

    Examples
    --------
    >>> import numpy as np
    >>> def unscaled(q, k):                 # forgot to divide by sqrt(d)
    ...     e = np.exp(q @ k.T - (q @ k.T).max(axis=1, keepdims=True))
    ...     return e / e.sum(axis=1, keepdims=True)
    >>> bool(check_attention_weights(unscaled))
    False
    """
    if not callable(answer):
        return verdict(
            False, "", "Not quite: the answer is a function attention_weights(q, k); define it and pass the function itself."
        )
    for q, k in _attention_cases():
        truth = np.asarray(scaled_dot_product_attention(q, k, k)[1], dtype=np.float64)
        got, stop = run_student(
            answer, (q.copy(), k.copy()), exercise_id="2.6", where=f"for q of shape {q.shape}, k of shape {k.shape}"
        )
        if stop is not None:
            return stop
        a = floats(got)
        if a is None or a.shape != truth.shape:
            shape = None if a is None else a.shape
            return verdict(
                False,
                "",
                f"Not quite: for {q.shape[0]} queries and {k.shape[0]} keys the weights should "
                f"have one row per query and one column per key; yours have shape {shape}.",
            )
        if not np.all(np.isfinite(a)):
            return verdict(
                False,
                "",
                "Not quite: some weights are inf or nan when the scores are large (hundreds): "
                "exp overflows. Which shift of the scores leaves a softmax unchanged?",
            )
        if not np.allclose(a.sum(axis=1), 1.0, atol=1e-4):
            return verdict(
                False, "", "Not quite: each query's weights (a row) should sum to one; along which axis do you normalise?"
            )
        if not np.allclose(a, truth, atol=1e-4):
            return verdict(
                False,
                "",
                f"Close: each row sums to one, but the values differ from the library's for "
                f"d = {q.shape[1]} (yours are peaked differently). Check how the scores are "
                "scaled before the softmax.",
            )
    return verdict(
        True,
        "Right: your weights match A.scaled_dot_product_attention on every test, including d = 16 "
        "and scores large enough to overflow a naive exp.",
        "",
    )


#: Exercise 2.7's setting: 8 queries and 32 keys of d = 64 standard-normal features (seed 0).
UNSCALED_EXERCISE = {"n_queries": 8, "n_keys": 32, "d": 64, "seed": 0}


def _peaks():
    p = UNSCALED_EXERCISE
    rng = np.random.default_rng(p["seed"])
    q, k = rng.normal(size=(p["n_queries"], p["d"])), rng.normal(size=(p["n_keys"], p["d"]))
    out = {}
    for scaled in (True, False):
        w = np.asarray(attend(dot_product_scores(q, k, scaled=scaled), k)[1], dtype=np.float64)
        out[scaled] = float(w.max(axis=1).mean())
    return out


@exercise(
    "2.7",
    kind="predict",
    hint=(
        "For random q and k with unit-variance entries, q . k is a sum of d products: how does its spread "
        "grow with d? And what does a softmax do to scores that are far apart?"
    ),
    solution=(
        "With d = 64 independent unit-variance entries, q . k has variance d, so its standard deviation is "
        "8: without the division the scores are 8 times further apart and the softmax turns nearly "
        "one-hot (mean largest weight about 0.84 here against about 0.16 with 1/sqrt(d)). Higher. "
        "That is why Vaswani et al. divide by sqrt(d): the scores keep unit spread for any d, and the "
        "softmax stays in the range where its gradient is not vanishingly small."
    ),
    code='answer_7 = "higher"',
)
def check_unscaled_peak(answer) -> CheckResult:
    """Exercise 2.7: drop the ``1/sqrt(d)`` at d = 64; is the largest weight per query higher, lower or the same?

    The check measures it with :func:`musynth_lab.attention.dot_product_scores` (``scaled=True``
    and ``False``) on UNSCALED_EXERCISE's random queries and keys.

    Examples
    --------
    >>> bool(check_unscaled_peak("lower"))
    False
    """
    choice = str(answer).strip().lower() if isinstance(answer, str) else None
    if choice not in ("higher", "lower", "same"):
        return verdict(False, "", 'Answer with one word, "higher", "lower" or "same", and write your reason in a comment.')
    peaks = _peaks()
    truth = "higher" if peaks[False] > peaks[True] + 0.01 else "lower" if peaks[False] < peaks[True] - 0.01 else "same"
    return verdict(
        choice == truth,
        f"{truth}: measured, the mean largest weight is {peaks[True]:.2f} with 1/sqrt(d) and "
        f"{peaks[False]:.2f} without. The dot product of d unit-variance entries has spread sqrt(d) = "
        f"{np.sqrt(UNSCALED_EXERCISE['d']):g}, so unscaled scores are far apart and the softmax turns "
        "nearly one-hot; dividing by sqrt(d) keeps the spread at 1 for any d.",
        "Not what the measurement shows: how far apart are unscaled dot products of 64-dimensional "
        "vectors, and what does a softmax do with scores far apart?",
    )
