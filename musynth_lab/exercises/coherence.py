"""Checks for notebooks/06c_coherence.ipynb."""

from __future__ import annotations

import functools

import numpy as np

from ..data import load_chorales
from ..errors import as_int
from ..evaluate import pitch_class_distance, voice_leading
from ._core import CheckResult, exercise, is_int, run_student, verdict
from .quality import result_rows

__all__ = [
    "check_parallel_fifths",
    "check_closest_pitch_classes",
    "check_hidden_states",
    "check_shuffle_blind",
    "check_fifths_detector",
    "check_transposed_pc_distance",
]


@exercise(
    "6c.1",
    hint=(
        "Take every pair of voices (6 pairs of 4 voices) and every step between two frames: it is a "
        "parallel fifth when the pair is a fifth apart (7 semitones, or 7 plus octaves) in both frames "
        "and both voices move the same way. A fifth reached with one voice held does not count."
    ),
    solution=(
        "Only the step from frame 0 to frame 1 has parallel fifths: soprano/tenor 67/60 -> 69/62 and "
        "soprano/bass 67/48 -> 69/50 (19 semitones, a compound fifth), all voices rising: 2. "
        "(Tenor/bass 60/48 -> 62/50 is a parallel octave, counted separately.) "
        "ev.voice_leading(exercise_fragment)['parallel_fifths'] counts the same."
    ),
    code=(
        "exercise_fragment = np.array([[67, 64, 60, 48], [69, 65, 62, 50], [71, 67, 62, 55], [72, 67, 64, 48]])\n"
        'answer_1 = ev.voice_leading(exercise_fragment)["parallel_fifths"]'
    ),
)
def check_parallel_fifths(voices, answer) -> CheckResult:
    """Exercise 6c.1: how many parallel fifths are in this ``(n_frames, 4)`` voice grid?

    Examples
    --------
    >>> voices = np.array([[72, 64, 55, 48], [74, 65, 57, 50]])   # tenor and bass move up a fifth apart
    >>> bool(check_parallel_fifths(voices, 1)), bool(check_parallel_fifths(voices, 0))
    (True, False)
    >>> bool(check_parallel_fifths(voices, np.int64(1)))
    True
    """
    truth = voice_leading(voices)["parallel_fifths"]
    ok = is_int(answer, truth)
    return verdict(
        ok,
        f"Right: {truth} parallel fifth(s).",
        "Not quite: for every pair of voices and every step, look for a fifth (7 semitones, or 19, "
        "31, ...) in both frames with both voices moving the same way; a held fifth does not count.",
    )


#: Two pitch-class distances that agree to the report's three decimals are a tie.
_PRINTED = 3


@exercise(
    "6c.2",
    hint=(
        "Leave out the data's rows (the held-out chorales, both readings, shuffled, random) and compare the "
        "pc_distance column; "
        "lower is closer. Two values equal to the printed decimals are a tie."
    ),
    solution=(
        "The model rows' pc_distance (Jensen-Shannon divergence of pitch-class histograms, bits) are "
        "compared and the smallest wins; rows that agree to the table's three decimals tie, and any of them "
        "is accepted. The harmonizers are given Bach's soprano, so part of their tonal closeness is "
        "borrowed from the melody."
    ),
    code=(
        'data_rows = ("held-out chorales", "held-out chorales, labelled", "shuffled in time", "random keys")\n'
        'models_only = [r for r in report if r["set"] not in data_rows]\n'
        'answer_2 = min(models_only, key=lambda r: r["pc_distance"])["set"]'
    ),
)
def check_closest_pitch_classes(rows, answer) -> CheckResult:
    """Exercise 6c.2: which set in the report has the smallest pitch-class distance to the data?

    Sets whose distance agrees with the smallest to the report's three printed decimals tie:
    any of them is right.

    Examples
    --------
    >>> rows = [dict(set="lstm", pc_distance=0.08), dict(set="random", pc_distance=0.41)]
    >>> bool(check_closest_pitch_classes(rows, "lstm")), bool(check_closest_pitch_classes(rows, "random"))
    (True, False)
    >>> tie = [dict(set="a", pc_distance=0.0081), dict(set="b", pc_distance=0.0079)]
    >>> bool(check_closest_pitch_classes(tie, "a"))     # 0.008 and 0.008 as printed
    True
    """
    rows = result_rows(rows, ("set", "pc_distance"))
    best = min(rows, key=lambda r: r["pc_distance"])
    shown = f"{best['pc_distance']:.{_PRINTED}f}"
    tied = [r["set"] for r in rows if f"{r['pc_distance']:.{_PRINTED}f}" == shown]
    ok = isinstance(answer, str) and answer in tied
    tie = (
        f" {', '.join(repr(s) for s in tied)} tie at {shown} (the table's precision): a difference that small is "
        "no evidence either way."
        if len(tied) > 1
        else ""
    )
    return verdict(
        ok,
        f"Right: {answer!r} plays the pitch classes most like the chorales.{tie}",
        "Not that one: compare the pc_distance column (Jensen-Shannon, lower is closer).",
    )


@exercise(
    "6c.3",
    hint="Each hidden unit is 0 or 1, independently of the others: how many binary vectors of that length are there?",
    solution=(
        "Z sums exp(-E(v, h)) over every configuration; the visible units sum out in closed form, which "
        "leaves every binary hidden vector: 2^n_hidden of them (2^20 = 1,048,576 for ours)."
    ),
    code="answer_3 = 2 ** rbm.n_hidden",
)
def check_hidden_states(n_hidden, answer) -> CheckResult:
    """Exercise 6c.3: how many hidden configurations does the exact ``log Z`` of an RBM sum over?

    Examples
    --------
    >>> bool(check_hidden_states(3, 6))     # not 2 * 3
    False
    >>> bool(check_hidden_states(3, np.int64(8)))
    True
    """
    n_hidden = as_int(n_hidden, "n_hidden", high=64)
    try:
        ok = int(answer) == 2**n_hidden and float(answer) == int(answer)
    except (TypeError, ValueError, OverflowError):
        ok = False
    return verdict(
        ok,
        f"Right: every binary hidden vector, 2^{int(n_hidden)} = {2 ** int(n_hidden):,} of them.",
        "Not quite: each hidden unit is 0 or 1, independently of the others.",
    )


@exercise(
    "6c.4",
    hint="A shuffle keeps every frame and changes only their order. Which measure of the report never "
    "looks at the order of frames? Answer with its column name.",
    solution=(
        "pc_distance: a pitch-class histogram counts sounding cells per pitch class over all frames, so "
        "reordering the frames leaves it unchanged (the shuffle ties the chorales exactly); the structure "
        "distance, repeated bars and voice-leading counts all compare neighbouring frames."
    ),
    code='answer_4 = "pc_distance"',
)
def check_shuffle_blind(answer) -> CheckResult:
    """Exercise 6c.4: which measure cannot tell a chorale from the same chorale shuffled in time?

    Examples
    --------
    >>> bool(check_shuffle_blind("tempo"))  # not a column of the report
    False
    """
    ok = isinstance(answer, str) and answer.strip().lower() in {"pc_distance", "pitch-class distance", "pitch class distance"}
    return verdict(
        ok,
        "Right: a histogram of pitch classes forgets the order of the frames.",
        "Not that one: a shuffle keeps every frame and changes only their order. Which measure "
        "never looks at order? (Use the report's column name.)",
    )


# Exercise 6c.5's test grids (n_frames, 4), S A T B, -1 a rest. Each defeats a plausible shortcut: a
# compound fifth (19 semitones; no modulo 12 misses it), fifths by contrary motion and by a voice leaping an
# octave against a held one (not checking both directions counts them), soprano-bass fifths (neighbouring
# voices only misses them), a rest next to a fifth (-1 is no pitch: taken as one, |-1 - 54| = 55 is a
# "fifth"), falling parallels, and none at all.
_FIFTH_CASES = (
    [[72, 64, 55, 48], [74, 65, 57, 50]],
    [[67, 64, 60, 48], [69, 65, 62, 50], [71, 67, 62, 55], [72, 67, 64, 48]],
    [[67, 64, 60, 48], [72, 64, 53, 36]],
    [[72, 67, 55, 48], [72, 67, 55, 36]],
    [[79, 67, 60, 48], [77, 65, 58, 46], [76, 64, 57, 45]],
    [[72, 67, 60, 48], [74, -1, 54, 50], [76, 69, 62, 52]],
    [[67, 60, 55, 48], [69, 62, 57, 50], [71, 64, 59, 52]],
    [[72, 67, 64, 48], [71, 67, 62, 55], [72, 64, 60, 48]],
)


@exercise(
    "6c.5",
    kind="implement",
    hint=(
        "Loop over every pair of voices (i, j) and every step t -> t+1. Skip the pair when a pitch is -1 (a "
        "rest). Count it when the interval |v_i - v_j| is a fifth modulo the octave in both frames and both "
        "voices move, in the same direction."
    ),
    solution=(
        "A parallel fifth between voices i and j at step t: |v_i(t) - v_j(t)| mod 12 = 7 and |v_i(t+1) - "
        "v_j(t+1)| mod 12 = 7, both voices sound in both frames, and sign(v_i(t+1) - v_i(t)) = "
        "sign(v_j(t+1) - v_j(t)) != 0. The modulo catches compound fifths (19, 31 semitones); the "
        "direction rule leaves out fifths reached by oblique or contrary motion. ev.voice_leading counts "
        "the same (musynth_lab._voice_rules.transition_faults, vectorised)."
    ),
    code=(
        "def count_parallel_fifths(voices):\n"
        "    v = np.asarray(voices)\n"
        "    count = 0\n"
        "    for t in range(len(v) - 1):\n"
        "        a, b = v[t], v[t + 1]\n"
        "        for i in range(v.shape[1]):\n"
        "            for j in range(i + 1, v.shape[1]):\n"
        "                if min(a[i], a[j], b[i], b[j]) < 0:\n"
        "                    continue\n"
        "                same_way = np.sign(b[i] - a[i]) == np.sign(b[j] - a[j]) != 0\n"
        "                if same_way and abs(a[i] - a[j]) % 12 == 7 and abs(b[i] - b[j]) % 12 == 7:\n"
        "                    count += 1\n"
        "    return count"
    ),
)
def check_fifths_detector(answer) -> CheckResult:
    """Exercise 6c.5: ``answer(voices)`` must count parallel fifths as :func:`musynth_lab.evaluate.voice_leading` does.

    Tested on several ``(n_frames, 4)`` grids (NumPy int arrays, S A T B, -1 for a rest) with
    compound fifths, oblique and contrary motion, rests and falling parallels.

    Examples
    --------
    >>> def adjacent_only(voices):          # compares neighbouring voices only
    ...     v = np.asarray(voices)
    ...     return sum(int(abs(v[t, i] - v[t, i + 1]) % 12 == 7 and abs(v[t + 1, i] - v[t + 1, i + 1]) % 12 == 7
    ...                and np.sign(v[t + 1, i] - v[t, i]) == np.sign(v[t + 1, i + 1] - v[t, i + 1]) != 0)
    ...                for t in range(len(v) - 1) for i in range(v.shape[1] - 1))
    >>> bool(check_fifths_detector(adjacent_only))
    False
    """
    if not callable(answer):
        return verdict(
            False,
            "",
            "Not quite: the answer is a function count_parallel_fifths(voices); define it and pass the function itself.",
        )
    for case in _FIFTH_CASES:
        v = np.array(case, dtype=np.int64)
        truth = voice_leading(v)["parallel_fifths"]
        got, stop = run_student(answer, (v.copy(),), exercise_id="6c.5", where=f"for a NumPy grid of shape {v.shape}")
        if stop is not None:
            return stop
        if not is_int(got, truth):
            return verdict(
                False,
                "",
                f"Not quite: on the grid {v.tolist()} your count is {got!r}, not the library's. "
                "Check every pair of voices (not only neighbours), fifths beyond an octave, both "
                "voices moving the same way, and rests (-1).",
            )
    return verdict(
        True,
        f"Right: your detector agrees with ev.voice_leading on all {len(_FIFTH_CASES)} grids, "
        "compound fifths, contrary motion and rests included.",
        "",
    )


#: Exercise 6c.6's setting: the first 24 test chorales, moved up by `semitones`, against the training chorales.
TRANSPOSE_EXERCISE = {"semitones": 1, "n_test": 24}


@functools.lru_cache(maxsize=1)
def _transposed_distances() -> tuple:
    train = [p.piano_roll(step=0.5) for p in load_chorales("train")]
    test = [p.piano_roll(step=0.5) for p in load_chorales("test")[: TRANSPOSE_EXERCISE["n_test"]]]
    k = TRANSPOSE_EXERCISE["semitones"]
    moved = [np.roll(r, k, axis=0) for r in test]  # the chorales' range is far from the roll's top
    return (
        pitch_class_distance(test, train),
        pitch_class_distance(moved, train),
        pitch_class_distance([np.roll(r, 7, axis=0) for r in test], train),
    )


@exercise(
    "6c.6",
    kind="predict",
    hint=(
        "A chorale moved up a semitone is as coherent as before to the ear. But what does the pitch-class "
        "distance compare it with, and in which keys are the training chorales written?"
    ),
    solution=(
        "Higher. The pitch-class histogram is of absolute pitch classes, compared with the training "
        "chorales' histogram, and Bach's chorales sit in a few keys with few sharps or flats. A semitone up "
        "moves G major to A-flat major, D major to E-flat major: many of the sounding pitch classes become "
        "ones the reference rarely uses, so the distance grows many times over (the check prints it). Up a "
        "fifth, a neighbouring key sharing six of seven scale notes, it grows far less. The measure is "
        "not transposition-invariant: it scores 'in the chorales' keys', not 'in a key'."
    ),
    code='prediction_6 = "higher"',
)
def check_transposed_pc_distance(answer) -> CheckResult:
    """Exercise 6c.6: move the held-out chorales up a semitone: is their pc_distance "higher", "lower" or "same"?

    The check measures it with :func:`musynth_lab.evaluate.pitch_class_distance` (the first 24
    test chorales, as in the notebook, against the training chorales; TRANSPOSE_EXERCISE).

    Examples
    --------
    >>> bool(check_transposed_pc_distance(0.1))   # answer "higher", "lower" or "same"
    False
    """
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice not in ("higher", "lower", "same"):
        return verdict(False, "", 'Answer with one word, "higher", "lower" or "same", and write your reason in a comment.')
    before, after, fifth = _transposed_distances()
    truth = "higher" if after > before + 0.005 else "lower" if after < before - 0.005 else "same"
    return verdict(
        choice == truth,
        f"{truth}: measured, the pc_distance of the held-out chorales is {before:.3f} as written and "
        f"{after:.3f} a semitone up ({fifth:.3f} a fifth up). The histogram counts absolute pitch classes "
        "against the training chorales' keys; a semitone moves them to remote keys, a fifth to a "
        "neighbour. The measure says 'in the chorales' keys', not 'in a key'.",
        "Not what the measurement shows: the histogram counts absolute pitch classes. In which keys are "
        "the training chorales, and where does a semitone move them?",
    )
