"""Checks for chapter 4 (encoding music as fixed-length vectors), in two lessons.

Exercises 4a.* belong to notebooks/04a_statistical.ipynb (HMMs, CRFs, mixtures), 4b.* to
notebooks/04b_deep.ipynb (VAEs, CNN and RNN encoders).

Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import functools

import numpy as np

from ._core import CheckResult, exercise, floats, is_int, is_near, prediction, run_student, verdict
from ..stats.hmm import chord_transitions
from ..data import CHORD_NAMES
from ..models.vae import gaussian_kl
from ..lessons.encoding import viterbi_step
from ..data import load_chorales
from ..stats.hmm import MelodyHMM
from ..lessons.encoding import frame_vae_run

__all__ = [
    "check_chord_states",
    "check_minor_triad",
    "check_kl_shift",
    "check_discriminative",
    "check_chance_precision",
    "check_chord_after_dominant",
    "check_viterbi_step",
    "check_fewer_states",
    "check_gaussian_kl",
    "check_beta_kl",
]


@exercise(
    "4a.1",
    hint="The HMM has one hidden state per chord it can recognise: which chords are in its vocabulary "
    "(section 1.1 lists them), and is there a state for 'no chord'?",
    solution=(
        "12 major triads + 12 minor triads + one 'no chord' state N = 25 hidden states; the fitted "
        "hmmlearn model says the same (chord_hmm.hmm_.n_components)."
    ),
    code="answer_1 = chord_hmm.hmm_.n_components",
)
def check_chord_states(answer) -> CheckResult:
    """Exercise 4a.1: how many hidden states does the chord HMM have (24 triads + no chord)?

    Examples
    --------
    >>> bool(check_chord_states(24))        # the triads alone
    False
    """
    ok = is_int(answer, 25)
    return verdict(
        ok,
        "25: 12 major + 12 minor triads + 'N' (no chord).",
        "Not quite: count the major triads, the minor triads, and the 'no chord' state.",
    )


@exercise(
    "4a.2",
    hint="Count semitones up from the root A (pitch class 9): a minor triad stacks a minor third, then a "
    "major third. Wrap around at 12.",
    solution=(
        "A = 9; a minor third (3 semitones) up is 12 = 0 (C), a perfect fifth (7) up is 16 = 4 (E): "
        "{9, 0, 4}. The chord templates of section 1.1 hold the same three ones."
    ),
    code='answer_2 = np.flatnonzero(stats.chord_templates(normalize=False)[data.chord_index(9, "min")]).tolist()',
)
def check_minor_triad(answer) -> CheckResult:
    """Exercise 4a.2: the pitch classes (0 = C) of the A minor triad, in any order.

    Examples
    --------
    >>> bool(check_minor_triad([0, 4, 7]))  # that is C major
    False
    >>> bool(check_minor_triad(np.array([9, 0, 4])))
    True
    """
    try:
        ok = sorted(int(x) % 12 for x in answer) == [0, 4, 9] and len(list(answer)) == 3
    except (TypeError, ValueError):
        ok = False
    return verdict(
        ok,
        "A, C, E = {9, 0, 4}: root, minor third (+3), fifth (+7).",
        "Not quite: a minor triad is a root, a minor third above it and a perfect fifth above it, as pitch classes (modulo 12).",
    )


@exercise(
    "4b.1",
    hint=(
        "The KL divergence of a Gaussian q = N(mu, sigma^2) from the standard normal has a closed form "
        "with terms in mu^2, sigma^2 and log sigma^2; here only mu differs from the prior."
    ),
    solution=(
        "KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2) / 2; with mu = 1, sigma = 1: "
        "(1 + 1 - 1 - 0) / 2 = 0.5 nats. V.gaussian_kl takes mu and log sigma^2 and gives the same."
    ),
    code="answer_1 = float(V.gaussian_kl(torch.tensor([1.0]), torch.tensor([0.0])))",
)
def check_kl_shift(answer) -> CheckResult:
    """Exercise 4b.1: KL( N(1, 1) || N(0, 1) ) in nats (one latent dimension moved by one std).

    Examples
    --------
    >>> bool(check_kl_shift(0.0))           # KL is 0 only for identical distributions
    False
    >>> bool(check_kl_shift(np.float64(0.5)))
    True
    """
    ok = is_near(answer, 0.5, 1e-3)
    return verdict(
        ok,
        "0.5 nats: KL = (sigma^2 + mu^2 - 1 - log sigma^2) / 2 = 1/2.",
        "Not quite: write down mu and sigma of N(1, 1), then the closed-form KL of a Gaussian from "
        "the standard normal (its terms are in mu^2, sigma^2 and log sigma^2).",
    )


@exercise(
    "4a.3",
    hint="A generative model can produce the observations (chroma, melodies, frames); a discriminative "
    "one only scores labels given them. Which model of chapter 4 could not sample a melody?",
    solution=(
        "The CRF models P(labels | observations) directly (a log-linear score of features of the "
        "whole sequence, normalised over label sequences). The HMM models P(observations, states) and "
        "the VAE P(x) through a latent z: both are generative."
    ),
    code='answer_3 = "crf"',
)
def check_discriminative(answer) -> CheckResult:
    """Exercise 4a.3: which model of chapter 4 models P(labels | observations) directly: 'hmm', 'crf' or 'vae'?

    Examples
    --------
    >>> bool(check_discriminative("svm"))   # answer one of 'hmm', 'crf', 'vae'
    False
    """
    ok = str(answer).strip().lower() == "crf"
    return verdict(
        ok,
        "The CRF: a discriminative labeller. The HMM and the VAE are generative models of the data.",
        "Not that one: which model can label a sequence but cannot generate the observations?",
    )


@exercise(
    "4b.2",
    hint="A random neighbour is a random note of the database: how often does it have the query's "
    "instrument? Does k change that?",
    solution=(
        "With 10 equally common instruments, a random database note shares the query's instrument with "
        "probability 1/10, and precision@k is the mean of k such draws: 0.1 for any k "
        "(evaluate.chance_precision computes it from the labels)."
    ),
    code="answer_2 = chance_precision(y_inst[held], y_inst[~held])",
)
def check_chance_precision(answer) -> CheckResult:
    """Exercise 4b.2: precision@5 of random retrieval over 10 equally common instruments.

    Examples
    --------
    >>> bool(check_chance_precision(0.5))
    False
    """
    ok = is_near(answer, 0.1, 0.005)
    return verdict(
        ok,
        "0.1: a random neighbour shares the query's instrument one time in ten, whatever k is.",
        "Not quite: what share of the database has the query's instrument?",
    )


@exercise(
    "4a.4",
    hint="Section 1.2's transition matrix has one row per chord: read G major's row, leave out staying on "
    "G major, and name the most likely next chord.",
    solution=(
        "Row G:maj of the beat-to-beat chord transitions (the training chorales in every key), without "
        "its diagonal entry, peaks at C:maj: the dominant resolves to its tonic (V -> I)."
    ),
    code=(
        'row = stats.chord_transitions().copy()[data.chord_index(7, "maj")]\n'
        'row[data.chord_index(7, "maj")] = 0\n'
        "answer_4 = data.CHORD_NAMES[int(np.argmax(row))]"
    ),
)
def check_chord_after_dominant(answer) -> CheckResult:
    """Exercise 4a.4: in the training chorales (transposed to every key), the most likely chord on the
    beat after G major when the chord changes (leave out G major itself), as a name like 'C:maj'.

    Examples
    --------
    >>> bool(check_chord_after_dominant("G:maj"))   # staying on G major is left out
    False
    """
    row = chord_transitions().copy()[7]
    row[7] = -1
    best = CHORD_NAMES[int(np.argmax(row))]
    return verdict(
        str(answer).strip() == best,
        f"{best}: the dominant resolves to its tonic.",
        "Not that one: read G major's row of the chord transitions, leave out staying, and take the most likely chord.",
    )


# Exercise 4a.5's test inputs (delta, log_A, log_b). The transition matrices are not symmetric, so a
# maximum over the wrong axis (over "to" instead of "from") gives other back pointers.
def _viterbi_cases():
    rng = np.random.default_rng(5)
    cases = []
    for k in (2, 3, 5, 25):
        A = rng.dirichlet(np.full(k, 0.5), size=k)
        cases.append((rng.normal(-5, 2, size=k), np.log(A), rng.normal(-3, 1, size=k)))
    cases.append((np.log([0.9, 0.1]), np.log([[0.5, 0.5], [0.1, 0.9]]), np.log([0.2, 0.8])))
    return cases


@exercise(
    "4a.5",
    kind="implement",
    hint=(
        "For each state j you are going to, try every state i you could come from: the score is the best path to i "
        "plus the log-probability of the move i -> j. Keep the best score and which i gave it, then add the "
        "emission of the new frame. With NumPy, broadcasting delta[:, None] against log_A gives all (from, to) pairs."
    ),
    solution=(
        "delta_t(j) = max_i [delta_{t-1}(i) + log A_ij] + log b_j(x_t), psi_t(j) = argmax_i [...]. In NumPy: "
        "scores = delta[:, None] + log_A is (from, to); back = scores.argmax(axis=0) (over the 'from' axis); "
        "new = scores.max(axis=0) + log_b. The Viterbi decoder repeats it for every frame and then follows the "
        "back pointers from the best final state (lessons.encoding.viterbi). Logs turn the products of "
        "probabilities into sums, so long pieces do not underflow."
    ),
    code=(
        "def viterbi_step(delta, log_A, log_b):\n"
        "    scores = delta[:, None] + log_A\n"
        "    return scores.max(axis=0) + log_b, scores.argmax(axis=0)"
    ),
)
def check_viterbi_step(answer) -> CheckResult:
    """Exercise 4a.5: ``answer(delta, log_A, log_b)`` must return one Viterbi step ``(new_delta, back)``.

    Tested against :func:`musynth_lab.lessons.encoding.viterbi_step` on several random HMMs
    (2 to 25 states) with transition matrices that are not symmetric.

    Examples
    --------
    >>> def wrong_axis(delta, log_A, log_b):             # maximises over the state moved to
    ...     scores = delta[:, None] + log_A
    ...     return scores.max(axis=1) + log_b, scores.argmax(axis=1)
    >>> bool(check_viterbi_step(wrong_axis))
    False
    >>> def step(delta, log_A, log_b):
    ...     scores = delta[:, None] + log_A
    ...     return scores.max(axis=0) + log_b, scores.argmax(axis=0)
    >>> bool(check_viterbi_step(step))
    True
    """

    if not callable(answer):
        return verdict(
            False,
            "",
            "Not quite: the answer is a function viterbi_step(delta, log_A, log_b); define it and pass the function itself.",
        )
    for delta, log_A, log_b in _viterbi_cases():
        k = len(delta)
        want_d, want_b = viterbi_step(delta, log_A, log_b)
        got, stop = run_student(answer, (delta.copy(), log_A.copy(), log_b.copy()), exercise_id="4a.5", where=f"for {k} states")
        if stop is not None:
            return stop
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return verdict(False, "", "Not quite: return two things, the new scores and the back pointers: (new_delta, back).")
        d, b = floats(got[0]), floats(got[1])
        if d is None or b is None or d.shape != (k,) or b.shape != (k,):
            return verdict(
                False,
                "",
                f"Not quite: for {k} states both the new scores and the back pointers have shape ({k},), one per "
                "state moved to. Which axis of the (from, to) scores do you reduce?",
            )
        if not np.array_equal(b, want_b):
            return verdict(
                False,
                "",
                f"Not quite: your back pointers differ for {k} states. For each state j, which previous state i is best?",
            )
        if not np.allclose(d, want_d, atol=1e-9):
            return verdict(
                False,
                "",
                f"Not quite: your back pointers are right but the new scores differ for {k} states. Did you add the "
                "emission log-likelihood of the new frame, and stay in log space (sums, not products)?",
            )
    return verdict(
        True, "Right: your step matches the library's on every test; repeated per frame and traced back, it is Viterbi.", ""
    )


#: Exercise 4a.6's setting: 04a's melody HMM (the first 120 training chorales, 15 Baum-Welch iterations).
STATES_EXERCISE = {"n_states": (8, 2), "n_iter": 15, "n_train": 120, "seed": 0}


@functools.lru_cache(maxsize=1)
def _state_scores() -> dict:

    p = STATES_EXERCISE
    train, test = load_chorales("train")[: p["n_train"]], load_chorales("test")
    return {k: MelodyHMM(n_states=k, n_iter=p["n_iter"], seed=p["seed"]).fit(train).score(test) for k in p["n_states"]}


@exercise(
    "4a.6",
    kind="predict",
    hint=(
        "A hidden state is all the melody HMM remembers about the past. With fewer states, how much of what came "
        "before can it use to predict the next token? What does a one-state HMM reduce to?"
    ),
    solution=(
        "Lower. The next token depends on the past only through the hidden state; 2 states can tell apart little "
        "more than 'high or low part of the tune', so the model is close to a unigram (a 1-state HMM is exactly one) "
        "and the held-out log-likelihood per token falls (the check prints both measured values). More states are "
        "not always better either: with too many for the data, Baum-Welch over-fits and the held-out score falls again."
    ),
    code='prediction_6 = "lower"',
)
def check_fewer_states(answer) -> CheckResult:
    """Exercise 4a.6: the melody HMM with 2 hidden states instead of 8: held-out log-likelihood "higher", "lower" or "same"?

    The check measures it (two Baum-Welch fits of :class:`~musynth_lab.stats.MelodyHMM`,
    STATES_EXERCISE, a second or two once per session).

    Examples
    --------
    >>> bool(check_fewer_states("no idea"))      # answer "higher", "lower" or "same"
    False
    """
    choice = prediction(answer, ("higher", "lower", "same"))
    if choice is None:
        return verdict(False, "", 'Answer with one word, "higher", "lower" or "same", and write your reason in a comment.')
    scores = _state_scores()
    many, few = STATES_EXERCISE["n_states"]
    diff = scores[few] - scores[many]
    truth = "higher" if diff > 0.01 else "lower" if diff < -0.01 else "same"
    return verdict(
        choice == truth,
        f"{truth}: measured on the held-out chorales, {scores[many]:.3f} nats per token with {many} states and "
        f"{scores[few]:.3f} with {few}. The hidden state is the model's only memory of the melody so far.",
        "Not what the measurement shows: what can a model with fewer hidden states remember about the past?",
    )


# Exercise 4b.3's test inputs (mu, log_var), each (batch, d). The third has sigma^2 = 4 (a version
# that reads log_var as log sigma fails), the fourth one latent dimension and several rows (summing
# over the wrong axis gives the wrong shape), the last mu = 1, sigma = 1 (exercise 4b.1: 0.5 nats).
def _kl_cases():
    rng = np.random.default_rng(4)
    return [
        (np.zeros((3, 4)), np.zeros((3, 4))),
        (rng.normal(size=(5, 8)), rng.normal(scale=0.8, size=(5, 8))),
        (np.zeros((2, 3)), np.full((2, 3), np.log(4.0))),
        (rng.normal(size=(6, 1)), rng.normal(size=(6, 1))),
        (np.ones((1, 1)), np.zeros((1, 1))),
    ]


@exercise(
    "4b.3",
    kind="implement",
    hint=(
        "The KL of a diagonal Gaussian from N(0, I) is a sum of one closed-form term per latent dimension. "
        "log_var is log sigma^2, so sigma^2 is its exponential; the sum runs over the latent dimensions "
        "(the last axis), one KL per row."
    ),
    solution=(
        "KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2), with "
        "sigma_j^2 = exp(log_var_j), summed over the last axis. It is the ELBO's regulariser: "
        "ELBO = E_q[log p(x | z)] - KL(q(z | x) || p(z)), so the VAE's loss (negative ELBO) adds it to the "
        "reconstruction term; V.gaussian_kl(mu, log_var) is the library's version (torch)."
    ),
    code=("def gaussian_kl(mu, log_var):\n    return 0.5 * np.sum(mu ** 2 + np.exp(log_var) - 1.0 - log_var, axis=-1)"),
)
def check_gaussian_kl(answer) -> CheckResult:
    """Exercise 4b.3: ``answer(mu, log_var)`` must return ``KL(N(mu, e^log_var) || N(0, I))`` per row, as the library.

    Tested against :func:`musynth_lab.models.vae.gaussian_kl` (the KL term of the VAEs' loss) on
    several ``(mu, log_var)`` pairs of NumPy arrays of shape ``(batch, d)``.

    Examples
    --------
    >>> def sigma_not_variance(mu, log_var):     # reads log_var as log sigma
    ...     return 0.5 * np.sum(mu ** 2 + np.exp(2 * log_var) - 1 - 2 * log_var, axis=-1)
    >>> bool(check_gaussian_kl(sigma_not_variance))
    False
    >>> bool(check_gaussian_kl(lambda mu, log_var: 0.5 * np.sum(mu ** 2 + np.exp(log_var) - 1 - log_var, axis=-1)))
    True
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    if not callable(answer):
        return verdict(
            False, "", "Not quite: the answer is a function gaussian_kl(mu, log_var); define it and pass the function itself."
        )
    for mu, log_var in _kl_cases():
        truth = gaussian_kl(torch.tensor(mu), torch.tensor(log_var)).numpy().astype(np.float64)
        got, stop = run_student(
            answer, (mu.copy(), log_var.copy()), exercise_id="4b.3", where=f"for mu and log_var of shape {mu.shape}, NumPy arrays"
        )
        if stop is not None:
            return stop
        a = floats(got)
        if a is None or a.shape != truth.shape:
            shape = None if a is None else a.shape
            return verdict(
                False,
                "",
                f"Not quite: for {mu.shape[0]} rows of {mu.shape[1]} latent dimensions the answer "
                f"is one KL per row, shape {truth.shape}; yours has shape {shape}. Which axis "
                "do you sum over?",
            )
        if not np.allclose(a, truth, atol=1e-6):
            where = (
                "when mu = 0 and log_var = 0 (q is the prior itself, so the KL is 0)"
                if not mu.any() and not log_var.any()
                else f"for mu and log_var of shape {mu.shape}"
            )
            return verdict(
                False,
                "",
                f"Not quite: your KL differs from the library's {where}. Check each term, and "
                "that log_var is the log of the variance sigma^2, not of sigma.",
            )
    return verdict(
        True,
        "Right: your KL matches V.gaussian_kl on every test, the ELBO's regulariser (ELBO = reconstruction log-likelihood - KL).",
        "",
    )


#: Exercise 4b.4's setting: the frame VAE of 04b's section 1 (held-out pitches: MIDI % 4 == 3), seed 0.
BETA_EXERCISE = {"betas": (1.0, 4.0), "epochs": 8, "batch_size": 128, "seed": 0}


@functools.lru_cache(maxsize=1)
def _beta_reports() -> dict:

    p = BETA_EXERCISE
    return {
        beta: frame_vae_run(beta=beta, seed=p["seed"], epochs=p["epochs"], batch_size=p["batch_size"], device="cpu")[1]
        for beta in p["betas"]
    }


@exercise(
    "4b.4",
    kind="predict",
    hint=(
        "The loss is reconstruction + beta * KL. If the KL costs four times as much, what does the optimiser "
        "do with the encoder's mu and sigma? And what does that cost the reconstruction?"
    ),
    solution=(
        "Lower. With beta = 4 each nat of KL costs 4 times as much, so training pulls q(z | x) towards the "
        "prior N(0, I): smaller mu, sigma nearer 1, less information about x in z. The held-out KL falls "
        "(the check prints both measured values) and the reconstruction error "
        "grows. beta = 1 is the ELBO; beta > 1 (a beta-VAE) trades reconstruction "
        "for a latent code closer to the prior."
    ),
    code='prediction_4 = "lower"',
)
def check_beta_kl(answer) -> CheckResult:
    """Exercise 4b.4: train the frame VAE with beta = 4 instead of 1; is the held-out KL "higher", "lower" or "same"?

    The check measures it: two :class:`~musynth_lab.models.vae.FrameVAE` (beta 1 and 4, the
    notebook's split and training, BETA_EXERCISE) trained on the CPU by
    :func:`musynth_lab.lessons.encoding.frame_vae_run`, which caches its runs: beta = 1 at seed 0 on the
    CPU is the notebook's own first frame VAE, so only beta = 4 is trained here (seconds, once per session).

    Examples
    --------
    >>> bool(check_beta_kl("maybe"))        # answer "higher", "lower" or "same"
    False
    """
    choice = answer.strip().lower() if isinstance(answer, str) else None
    if choice not in ("higher", "lower", "same"):
        return verdict(False, "", 'Answer with one word, "higher", "lower" or "same", and write your reason in a comment.')
    reps = _beta_reports()
    lo, hi = BETA_EXERCISE["betas"]
    kl1, kl4 = reps[lo]["kl"], reps[hi]["kl"]
    truth = "higher" if kl4 > kl1 * 1.1 else "lower" if kl4 < kl1 / 1.1 else "same"
    return verdict(
        choice == truth,
        f"{truth}: measured on the held-out frames, KL {kl1:.1f} nats with beta = {lo:g} and {kl4:.1f} with "
        f"beta = {hi:g}; the reconstruction error goes from {reps[lo]['rmse_db']:.1f} to "
        f"{reps[hi]['rmse_db']:.1f} dB. A heavier KL term pulls q(z | x) towards the prior N(0, I), so z "
        "carries less about x: the beta-VAE trade-off between reconstruction and a code close to the prior.",
        "Not what the measurement shows: in the loss reconstruction + beta * KL, what is cheaper for the "
        "optimiser when beta grows?",
    )
