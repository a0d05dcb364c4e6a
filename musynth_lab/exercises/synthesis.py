"""Checks for notebooks/05_synthesis.ipynb."""

from __future__ import annotations

import functools
import math

import numpy as np

from ..data import N_MELODY_TOKENS, load_chorales, load_midi
from ..data.midi import PC_NAMES, check_source, parse_key
from ..errors import ParameterError, as_float
from ..evaluate import distinct_ngrams
from ..generate import beam_search
from ..stats.ngram import NGramModel
from ._core import CheckResult, exercise, run_student, verdict

__all__ = [
    "check_nats_to_bits",
    "check_distinct_bigrams",
    "check_hotter_is_more_diverse",
    "check_beam_vs_greedy",
    "check_beam_step",
    "check_ngram_order",
]


@exercise(
    "5.1",
    hint="A nat is the unit of the natural logarithm, a bit that of the base-2 logarithm; how are ln x and log2 x related?",
    solution=("log2 x = ln x / ln 2, so an NLL of L nats is L / ln 2 = 1.443 L bits: divide the roll LSTM's test NLL by ln 2."),
    code='answer_1 = frame_results["LSTM"] / np.log(2)',
)
def check_nats_to_bits(nats_per_frame, answer) -> CheckResult:
    """Exercise 5.1: convert a negative log-likelihood from nats to bits (divide by ln 2).

    Examples
    --------
    >>> bool(check_nats_to_bits(2.0, 2.0))  # a nat is not a bit
    False
    >>> bool(check_nats_to_bits(np.float64(2.0), np.float64(2.0 / np.log(2))))
    True
    """
    nats_per_frame = as_float(nats_per_frame, "nats_per_frame")
    try:
        ok = abs(float(answer) - nats_per_frame / math.log(2)) < 1e-3
    except (TypeError, ValueError):
        ok = False
    return verdict(
        ok,
        "Right: 1 nat = 1/ln 2 ≈ 1.443 bits.",
        "Not quite: a nat is a natural-log unit and a bit a base-2 one; how do the two logarithms relate?",
    )


@exercise(
    "5.2",
    hint=(
        "List every adjacent pair of tokens (a bigram) of every continuation, then compare the number of "
        "different pairs with the number of all pairs."
    ),
    solution=(
        "distinct-2 = |set of bigrams| / number of bigrams, over all sequences together: a value near 1 "
        "means almost no pair repeats, near 0 a few figures over and over (greedy decoding repeats "
        "itself). evaluate.distinct_ngrams(seqs, n=2) computes the same."
    ),
    code=(
        'pairs = [tuple(s[i:i + 2]) for s in outputs["greedy"] for i in range(len(s) - 1)]\n'
        "answer_2 = len(set(pairs)) / len(pairs)"
    ),
)
def check_distinct_bigrams(sequences, answer) -> CheckResult:
    """Exercise 5.2: the distinct-2 diversity of ``sequences`` (distinct bigrams / all bigrams).

    Examples
    --------
    >>> seqs = [[1, 2, 1, 2]]                   # bigrams (1, 2), (2, 1), (1, 2): 2 distinct of 3
    >>> bool(check_distinct_bigrams(seqs, 2 / 3)), bool(check_distinct_bigrams(seqs, 1.0))
    (True, False)
    """
    expected = distinct_ngrams(sequences, n=2)  # bad sequences are the caller's error, not a wrong answer
    try:
        ok = abs(float(answer) - expected) < 1e-9
    except (TypeError, ValueError):
        ok = False
    return verdict(
        ok,
        "Right: that is the fraction of bigrams that are distinct.",
        "Not quite: count every adjacent pair in every sequence, then divide the number of "
        "different pairs by the number of pairs.",
    )


@exercise(
    "5.3",
    hint=(
        "Sample with gen.sample at each temperature (several seeds), measure distinct-2 of the new "
        "tokens with distinct_ngrams, and compare."
    ),
    solution=(
        "Sampling draws from softmax(log p / T): T < 1 sharpens the distribution (towards greedy), T > 1 "
        "flattens it, so more different figures appear: T = 1.5 gives the higher distinct-2."
    ),
    code=(
        "div = {T: distinct_ngrams([gen.sample(model, tests[0].melody_tokens()[:8], steps=32, temperature=T,\n"
        "                                       seed=s)[0, 8:].tolist() for s in range(8)], n=2)\n"
        "       for T in (0.5, 1.5)}\n"
        "answer_3 = max(div, key=div.get)"
    ),
)
def check_hotter_is_more_diverse(answer) -> CheckResult:
    """Exercise 5.3: which temperature gives the more diverse melodies, 0.5 or 1.5?

    Examples
    --------
    >>> bool(check_hotter_is_more_diverse(1.0))  # answer 0.5 or 1.5
    False
    >>> bool(check_hotter_is_more_diverse(np.float64(1.5)))
    True
    """
    try:
        ok = float(answer) == 1.5
    except (TypeError, ValueError):
        ok = False
    return verdict(
        ok,
        "Right: a higher temperature flattens the distribution, so more different figures appear.",
        "Not that one: what does dividing the log-probabilities by T do to the distribution when T < 1, and when T > 1?",
    )


#: A Markov chain (rows: P(next | this), tokens 0, 1, 2) where beam search of width 2 from token 0 over
#: 4 steps ends below greedy decoding: at step 3 the beam keeps 0-2-2-1 (p = .1642) and 0-2-2-2 (.1609)
#: and drops greedy's prefix 0-2-1-0 (.1608) by a hair, and every continuation it kept is worse.
BEAM_TRAP = ((0.13, 0.2, 0.67), (0.48, 0.11, 0.41), (0.01, 0.5, 0.49))


def _trap_probabilities():
    """(greedy's p, pure width-2 beam's p) on BEAM_TRAP from token 0, 4 steps."""
    P = np.array(BEAM_TRAP)
    seq, p_greedy = [0], 1.0
    for _ in range(4):
        nxt = int(np.argmax(P[seq[-1]]))
        p_greedy *= P[seq[-1], nxt]
        seq.append(nxt)
    beams, scores = [[0]], np.zeros(1)
    for _ in range(4):
        total = (scores[:, None] + np.log(P[[b[-1] for b in beams]])).ravel()
        best = np.argsort(-total)[:2]
        beams, scores = [beams[i // 3] + [i % 3] for i in best], total[best]
    return p_greedy, float(np.exp(scores.max()))


@exercise(
    "5.4",
    hint=(
        "Compare the two mean log-probabilities (closer to 0 is more likely). Then ask why: could a beam "
        "of width 4 ever lose the prefix that greedy decoding follows?"
    ),
    solution=(
        "Here True: the beam's log-probability is at least greedy's. It is not guaranteed by beam search "
        "itself: a beam of width k keeps the k best prefixes so far, and greedy's prefix can fall out of "
        "them (k other prefixes score higher at some step) while every kept prefix continues worse. "
        "BEAM_TRAP in musynth_lab.exercises.synthesis is such a chain: from token 0, 4 steps, greedy finds "
        "p = 0.108 and a pure width-2 beam p = 0.080. In the table it holds because gen.beam_search also "
        "keeps greedy's own path as a candidate (without a constraint), a safety net, not a property of "
        "the search; wider beams make losing it rarer, never impossible."
    ),
    code=('lp_beam, lp_greedy = table["beam 4"][0], table["greedy"][0]\nanswer_4 = bool(lp_beam >= lp_greedy)'),
)
def check_beam_vs_greedy(log_prob_beam, log_prob_greedy, answer) -> CheckResult:
    """Exercise 5.4: is the beam's sequence at least as likely as greedy's (True/False)?

    Examples
    --------
    >>> bool(check_beam_vs_greedy(-10.0, -12.0, "yes"))   # answer True or False
    False
    >>> bool(check_beam_vs_greedy(np.float64(-10.0), np.float64(-12.0), np.True_))
    True
    """
    truth = as_float(log_prob_beam, "log_prob_beam") >= as_float(log_prob_greedy, "log_prob_greedy") - 1e-6
    ok = isinstance(answer, (bool, np.bool_)) and bool(answer) == truth
    p_greedy, p_beam = _trap_probabilities()
    caveat = (
        "Beam search alone does not guarantee it: a beam of width k can drop greedy's prefix at some step "
        "(k other prefixes score higher so far) and then find only worse continuations; on BEAM_TRAP a "
        f"width-2 beam ends at p = {p_beam:.3f} against greedy's {p_greedy:.3f}."
    )
    right = (
        f"Right: here the beam's sequences are at least as likely, but only because gen.beam_search also keeps "
        f"greedy's path as a candidate (a safety net). {caveat}"
        if truth
        else f"Right: here the beam's sequences are less likely than greedy's. {caveat}"
    )
    return verdict(
        ok,
        right,
        "Not quite: compare the two log-probabilities (higher, i.e. closer to 0, is more likely), and answer True or False.",
    )


def _beam_step_cases():
    """(beam_scores, log_probs, beam_width) cases. The second has one beam far ahead (all its best
    extensions come from it: one token per beam fails); the third has beams whose scores reorder the
    extensions (ignoring the beam scores fails); the first starts from a single beam."""
    rng = np.random.default_rng(5)

    def lp(n, v):
        x = rng.normal(scale=1.5, size=(n, v))
        return x - np.log(np.exp(x).sum(1, keepdims=True))

    return [
        (np.zeros(1), np.log(np.array([[0.5, 0.3, 0.2]])), 2),
        (np.array([-0.1, -3.0]), lp(2, 5), 3),
        (np.array([-2.5, -0.2, -1.0]), lp(3, 6), 3),
        (rng.normal(-4, 1, size=4), lp(4, 7), 4),
    ]


def _reference_step(scores, lp, k):
    total = (scores[:, None] + lp).ravel()
    best = np.argsort(-total, kind="stable")[:k]
    return best // lp.shape[1], best % lp.shape[1], total[best]


def _run_beam(step, table, prompt, steps, width):
    beams, scores = [list(prompt)], np.zeros(1)
    for _ in range(steps):
        lp = table[[b[-1] for b in beams]]
        o, t, s = (np.asarray(x) for x in step(scores.copy(), lp.copy(), width))
        beams = [beams[int(i)] + [int(j)] for i, j in zip(o, t)]
        scores = np.asarray(s, dtype=np.float64)
    return beams[int(np.argmax(scores))]


@exercise(
    "5.6",
    kind="implement",
    hint=(
        "A step extends every kept prefix by every token: the score of an extension is the prefix's score plus "
        "the token's log-probability. Rank all n_beams * vocab extensions together (not per beam) and keep "
        "the beam_width best; a flat index i of the (n_beams, vocab) grid is the pair (i // vocab, i % vocab)."
    ),
    solution=(
        "score(y_1..t) = sum_i log p(y_i | y_<i); one step computes total[b, v] = beam_scores[b] + "
        "log_probs[b, v] for every beam b and token v, flattens the grid, and keeps the beam_width "
        "largest, best first: origins = idx // vocab, tokens = idx % vocab, scores = total[idx]. Ranking "
        "per beam instead keeps prefixes that a better beam beats. gen.beam_search does the same with "
        "torch.topk."
    ),
    code=(
        "def beam_step(beam_scores, log_probs, beam_width):\n"
        "    total = (beam_scores[:, None] + log_probs).ravel()\n"
        "    best = np.argsort(-total)[:beam_width]\n"
        "    vocab = log_probs.shape[1]\n"
        "    return best // vocab, best % vocab, total[best]"
    ),
)
def check_beam_step(answer) -> CheckResult:
    """Exercise 5.6: ``answer(beam_scores, log_probs, beam_width)`` must return one beam-search step.

    It returns ``(origins, tokens, scores)``, the ``beam_width`` best extensions, best first.
    Tested on several steps against a reference, then run as a whole beam search on two Markov
    chains and compared with :func:`musynth_lab.generate.beam_search` (constrained to allow every
    final token, so that its greedy safety net is off and the pure search is compared).

    Examples
    --------
    >>> def one_per_beam(beam_scores, log_probs, beam_width):   # each beam's best token only
    ...     tok = log_probs.argmax(1)
    ...     s = beam_scores + log_probs.max(1)
    ...     order = np.argsort(-s)[:beam_width]
    ...     return order, tok[order], s[order]
    >>> bool(check_beam_step(one_per_beam))
    False
    >>> def ignores_beam_scores(beam_scores, log_probs, beam_width):
    ...     best = np.argsort(-log_probs.ravel())[:beam_width]
    ...     return best // log_probs.shape[1], best % log_probs.shape[1], (beam_scores[:, None] + log_probs).ravel()[best]
    >>> bool(check_beam_step(ignores_beam_scores))
    False
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    if not callable(answer):
        return verdict(
            False,
            "",
            "Not quite: the answer is a function beam_step(beam_scores, log_probs, beam_width); "
            "define it and pass the function itself.",
        )
    for scores, lp, k in _beam_step_cases():
        want = _reference_step(scores, lp, k)
        got, stop = run_student(
            answer,
            (scores.copy(), lp.copy(), k),
            exercise_id="5.6",
            where=f"for {len(scores)} beams and {lp.shape[1]} tokens, NumPy arrays",
        )
        if stop is not None:
            return stop
        try:
            o, t, s = (np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64).ravel() for x in got)
        except (TypeError, ValueError):
            return verdict(False, "", "Not quite: return three arrays (origins, tokens, scores), each of beam_width numbers.")
        n = len(want[0])
        if not len(o) == len(t) == len(s) == n:
            return verdict(
                False,
                "",
                f"Not quite: from {len(scores)} beams of {lp.shape[1]} tokens with beam_width = "
                f"{k} the step keeps {n} extensions; yours keeps {len(o)}, {len(t)}, {len(s)}.",
            )
        if not (np.array_equal(o, want[0]) and np.array_equal(t, want[1]) and np.allclose(s, want[2])):
            if sorted(zip(o.tolist(), t.tolist())) == sorted(zip(want[0].tolist(), want[1].tolist())) and np.allclose(
                np.sort(s), np.sort(want[2])
            ):
                return verdict(False, "", "Close: the right extensions, but not best first.")
            return verdict(
                False,
                "",
                f"Not quite: for {len(scores)} beams with scores {np.round(scores, 2).tolist()} "
                "your step keeps other extensions than the best ones. Is every (beam, token) "
                "pair ranked together, by the beam's score plus the token's log-probability?",
            )
    rng = np.random.default_rng(6)
    chains = [np.log(np.array(BEAM_TRAP)), np.log(rng.dirichlet(np.full(5, 0.6), size=5))]
    for table in chains:
        t_table = torch.tensor(table)
        lib = beam_search(
            lambda p, t=t_table: t[p[:, -1]], [0], steps=4, beam_width=2, final_allowed=list(range(len(table)))
        ).best.tolist()
        try:
            mine = _run_beam(answer, table, [0], 4, 2)
        except Exception as err:  # noqa: BLE001
            return verdict(False, "", f"Your step works alone but a whole search with it raised {type(err).__name__}: {err}.")
        if mine != lib:
            return verdict(
                False,
                "",
                "Not quite: one step at a time looked right, but a 4-step search with your step "
                "ends on another sequence than gen.beam_search's.",
            )
    p_greedy, p_beam = _trap_probabilities()
    return verdict(
        True,
        "Right: your step matches the reference, and a whole search with it finds gen.beam_search's "
        f"sequences. On BEAM_TRAP that pure width-2 search ends at p = {p_beam:.3f}, below greedy's "
        f"{p_greedy:.3f}: beam search is a better search than greedy, not an exact one.",
        "",
    )


#: Exercise 5.7's setting: n-gram models of the soprano melodies, trained on the first 10 training chorales.
NGRAM_EXERCISE = {"orders": (2, 5), "n_train": 10}


@functools.lru_cache(maxsize=1)
def _ngram_nlls() -> dict:
    train = [p.melody_tokens() for p in load_chorales("train")]
    test = [p.melody_tokens() for p in load_chorales("test")]
    out = {}
    for n_train in (NGRAM_EXERCISE["n_train"], len(train)):
        for order in NGRAM_EXERCISE["orders"]:
            model = NGramModel(order, vocab_size=N_MELODY_TOKENS).fit(train[:n_train])
            out[(order, n_train)] = model.nll_per_token(test)
    return out, len(train)


@exercise(
    "5.7",
    kind="predict",
    hint=(
        "A 5-gram predicts from the last 4 tokens. How many of the 4-token contexts of a test melody will 10 "
        "chorales have shown, and how often each? What does smoothing fall back on?"
    ),
    solution=(
        "The 2-gram. With 10 chorales most 4-token contexts of a test melody were never seen, or seen once "
        "or twice, so the 5-gram's estimates are sparse and overconfident where it has counts and backed "
        "off (Witten-Bell) where it has none; the 2-gram's 1-token contexts are all well counted. With "
        "all the training chorales the order pays off and the 5-gram wins (section 1's table). The best "
        "order grows with the data: a bias-variance trade-off (the check prints the four NLLs)."
    ),
    code='prediction_7 = "2-gram"',
)
def check_ngram_order(answer) -> CheckResult:
    """Exercise 5.7: trained on only 10 chorales, which has the lower held-out NLL, the "2-gram" or the "5-gram"?

    The check measures both (and both on all the training chorales) with
    :class:`musynth_lab.stats.ngram.NGramModel` on the test melodies (NGRAM_EXERCISE).

    Examples
    --------
    >>> bool(check_ngram_order("4-gram"))   # answer "2-gram" or "5-gram"
    False
    """
    choice = answer.strip().lower().replace(" ", "") if isinstance(answer, str) else None
    names = {f"{o}-gram": o for o in NGRAM_EXERCISE["orders"]}
    if choice not in names:
        return verdict(False, "", 'Answer "2-gram" or "5-gram", and write your reason in a comment.')
    nlls, n_all = _ngram_nlls()
    lo, hi = NGRAM_EXERCISE["orders"]
    few = NGRAM_EXERCISE["n_train"]
    best = min((lo, hi), key=lambda o: nlls[(o, few)])
    return verdict(
        names[choice] == best,
        f"{best}-gram: measured on the test melodies, trained on {few} chorales the {lo}-gram scores "
        f"{nlls[(lo, few)]:.3f} and the {hi}-gram {nlls[(hi, few)]:.3f} nats/token; trained on all {n_all}, "
        f"{nlls[(lo, n_all)]:.3f} and {nlls[(hi, n_all)]:.3f}. A longer context needs more data to count: "
        "with little data its contexts are unseen or seen once, so the best order grows with the data.",
        "Not what the measurement shows: how many of the 5-gram's 4-token contexts can 10 chorales have "
        "counted, compared with the 2-gram's 1-token contexts?",
    )


__all__ += ["check_midi_cadence"]


def _sonority(notes: np.ndarray, t: float) -> np.ndarray:
    """MIDI pitches sounding at time ``t`` (quarters), low to high."""
    on = (notes[:, 0] <= t + 1e-9) & (notes[:, 0] + notes[:, 1] > t + 1e-9)
    return np.sort(notes[on, 2].astype(int))


@exercise(
    "5.5",
    hint=(
        "Four voices, two chords: the first the dominant (V or V7, with its leading tone), the last the "
        "tonic triad, and the bass moving from the fifth degree to the first. In C major, which notes "
        "are those? Save them with data.save_midi and pass the file's path."
    ),
    solution=(
        "In C major, V = G-B-D and I = C-E-G: bass G2 -> C3 (43 -> 48), tenor B3 -> E4 (59 -> 64, the "
        "leading tone rising to the third), alto G4 held (67), soprano D5 -> C5 (74 -> 72). Saved with "
        "key='C major', the file ends V -> I with the bass moving 5 -> 1: an authentic cadence (正格终止)."
    ),
    code=(
        'cadence_file = OUT / "05_my_cadence.mid"\n'
        'data.save_midi({"S": [[0, 1, 74], [1, 2, 72]], "A": [[0, 1, 67], [1, 2, 67]], '
        '"T": [[0, 1, 59], [1, 2, 64]], '
        '"B": [[0, 1, 43], [1, 2, 48]]}, cadence_file, key="C major", overwrite=True)'
    ),
)
def check_midi_cadence(path, *, key=None) -> CheckResult:
    """Exercise 5.5: write a MIDI file that ends with an authentic cadence, V(7) -> I.

    The file is read back with :func:`musynth_lab.data.load_midi` (chords in one track are
    fine). The last sonority is the notes sounding at the last onset; the one before it is
    what sounds just before. The cadence is authentic when the bass goes from the dominant
    to the tonic, the last sonority is the tonic triad (a major third in a minor key, the
    Picardy third, counts) and the one before is the dominant triad or seventh chord with
    its leading tone.

    Parameters
    ----------
    path : str or Path
        The student's MIDI file.
    key : str, optional
        The key, e.g. ``'G major'``; by default the file's key signature (or, without one,
        the key estimated from its notes).

    Examples
    --------
    >>> bool(check_midi_cadence(...))       # not answered yet
    False
    >>> import tempfile, pathlib
    >>> from musynth_lab.data import save_midi
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> V_I = {"S": [[0, 1, 71], [1, 2, 72]], "A": [[0, 1, 67], [1, 2, 67]], "B": [[0, 1, 43], [1, 2, 48]]}
    >>> save_midi(V_I, d / "authentic.mid", key="C major")
    >>> bool(check_midi_cadence(d / "authentic.mid"))
    True
    >>> IV_I = {"S": [[0, 1, 72], [1, 2, 72]], "A": [[0, 1, 69], [1, 2, 67]], "B": [[0, 1, 41], [1, 2, 48]]}
    >>> save_midi(IV_I, d / "plagal.mid", key="C major")
    >>> bool(check_midi_cadence(d / "plagal.mid"))
    False
    """
    check_source(path, (".mid", ".midi"))  # no file is the caller's error, not a wrong answer
    try:
        piece = load_midi(path, polyphony="keep")
        tonic, mode = parse_key(key) if key is not None else (piece.key_tonic_pc, piece.key_mode)
    except ParameterError as err:
        return CheckResult(False, f"The file could not be read back: {err}")
    notes = np.concatenate([v for v in piece.parts.values() if len(v)])
    last_t = float(notes[:, 0].max())
    last = _sonority(notes, last_t)
    before = _sonority(notes, last_t - 1e-3)
    name = f"{PC_NAMES[tonic]} {mode}"
    if len(before) == 0:
        return CheckResult(
            False, f"Nothing sounds just before the last chord (at quarter {last_t:g}): a cadence needs two chords in a row."
        )
    dom, lead = (tonic + 7) % 12, (tonic + 11) % 12
    pcs_last, pcs_before = {p % 12 for p in last}, {p % 12 for p in before}
    tonic_triad = {tonic, (tonic + 7) % 12, (tonic + 3) % 12, (tonic + 4) % 12}
    dominant_chord = {dom, lead, (tonic + 2) % 12, (tonic + 5) % 12}
    problems = []
    if before[0] % 12 != dom:
        problems.append(f"the bass before the last chord is {PC_NAMES[before[0] % 12]}, not the dominant {PC_NAMES[dom]}")
    if lead not in pcs_before:
        problems.append(f"the chord before the last has no leading tone {PC_NAMES[lead]}")
    elif not pcs_before <= dominant_chord:
        problems.append("the chord before the last has notes outside the dominant (seventh) chord")
    if last[0] % 12 != tonic:
        problems.append(f"the last bass note is {PC_NAMES[last[0] % 12]}, not the tonic {PC_NAMES[tonic]}")
    if not pcs_last <= tonic_triad or len(pcs_last & {(tonic + 3) % 12, (tonic + 4) % 12}) > 1:
        problems.append("the last chord is not the tonic triad")
    if not problems:
        return CheckResult(True, f"Right: the file ends V -> I in {name}, an authentic cadence.")
    return CheckResult(False, f"Not an authentic cadence in {name} yet: " + "; ".join(problems) + ".")
