"""Chapter 4's experiments (音乐编码): the statistical encoders of 04a and the VAEs of 04b, over seeds.

04a (statistical models, 统计模型):

* :func:`viterbi_step`, :func:`viterbi` and :func:`forward_log_likelihood`: a teaching
  version of the HMM recursions in log space, checked against hmmlearn on the chord HMM
  (:func:`chord_hmm_emissions` gives its frame-rate model and emission log-likelihoods);
* :func:`chord_recognition_table`: frame-wise templates against the chord HMM on held-out
  excerpts, per beat and per frame;
* :func:`melody_hmm_vs_unigram`: Baum-Welch melody HMMs from several random starts against
  a Witten-Bell unigram, held-out log-likelihood per token;
* :func:`mixture_weights`: EM (``GaussianMixture``) against variational Bayes
  (:class:`~musynth_lab.stats.VBMixture`) with the same number of components, over seeds;
* :func:`transition_summary`: what the beat-level chord transition matrix says.

04b (variational and deep models, 变分模型 / 深度学习模型):

* :func:`frame_vae_run` (cached) and :func:`frame_vae_runs`: frame VAEs over seeds, with
  :func:`diagonal_gaussian_loglik` as the exact-likelihood baseline;
* :func:`melody_vae_runs`: melody VAEs and hierarchical VAEs over seeds, with
  :func:`positional_loglik` as the baseline;
* :func:`retrieval_table`: precision@k of several encoders (each over its seeds) on one task.

Every multi-seed runner returns numbers per seed, so a notebook can print the mean and the
spread and compute its verdict from them.

Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..data import N_MELODY_TOKENS, load_notes
from ..errors import check
from ..evaluate import retrieval_precision
from ..stats import (
    MelodyHMM,
    VBMixture,
    beat_accuracy,
    frame_accuracy,
    frames_to_beats,
    template_chords,
)
from ..stats.chords import unit_columns
from ..stats.ngram import NGramModel
from ..data import CHORD_NAMES
from ..models.vae import note_frames, note_spectrograms
from ..models.vae import FrameVAE, elbo_report
from ..models.vae import LOG_MEL_FLOOR_DB
from ..models.vae import HierarchicalVAE, MelodyVAE

__all__ = [
    "viterbi_step",
    "viterbi",
    "forward_log_likelihood",
    "gaussian_log_emissions",
    "chord_hmm_emissions",
    "transition_summary",
    "ChordTable",
    "chord_recognition_table",
    "SeedRuns",
    "melody_hmm_vs_unigram",
    "MixtureWeights",
    "mixture_weights",
    "frame_vae_data",
    "frame_vae_run",
    "frame_vae_runs",
    "diagonal_gaussian_loglik",
    "positional_loglik",
    "MELODY_VAES",
    "melody_vae_runs",
    "beat_variations",
    "retrieval_table",
]


# ---------------------------------------------------------------------------------------- HMM recursions
def viterbi_step(delta, log_A, log_b):
    """One step of the Viterbi recursion in log space.

    ``delta_t(j) = max_i [delta_{t-1}(i) + log A_ij] + log b_j(x_t)`` and the back pointer
    ``psi_t(j) = argmax_i [delta_{t-1}(i) + log A_ij]``.

    Parameters
    ----------
    delta : np.ndarray [shape=(n_states,)]
        Best log-probability of any path ending in each state at ``t - 1``.
    log_A : np.ndarray [shape=(n_states, n_states)]
        Log transition probabilities, row = from, column = to.
    log_b : np.ndarray [shape=(n_states,)]
        Log emission likelihood of frame ``t`` in each state.

    Returns
    -------
    delta_t : np.ndarray [shape=(n_states,)]
    back : np.ndarray [shape=(n_states,)] int
        For each state, the best previous state.

    Examples
    --------
    >>> d, back = viterbi_step(np.log([0.9, 0.1]), np.log([[0.5, 0.5], [0.1, 0.9]]), np.log([0.2, 0.8]))
    >>> back.tolist(), np.round(np.exp(d), 3).tolist()     # both states are best reached from state 0
    ([0, 0], [0.09, 0.36])

    Chapter: notebooks/04a_statistical.ipynb
    """
    delta, log_A, log_b = np.asarray(delta, float), np.asarray(log_A, float), np.asarray(log_b, float)
    k = delta.shape[0] if delta.ndim == 1 else -1
    check(
        delta.ndim == 1 and log_A.shape == (k, k) and log_b.shape == (k,), "log_A", log_A.shape, f"({k}, {k}) with log_b ({k},)"
    )
    scores = delta[:, None] + log_A  # (from, to)
    back = scores.argmax(axis=0)
    return scores[back, np.arange(k)] + log_b, back


def _check_logs(log_start, log_A, log_B):
    log_start, log_A, log_B = (np.asarray(a, dtype=float) for a in (log_start, log_A, log_B))
    check(log_B.ndim == 2 and len(log_B) > 0, "log_B", log_B, "a (n_frames, n_states) array of log-likelihoods")
    k = log_B.shape[1]
    check(log_start.shape == (k,), "log_start", log_start, f"shape ({k},)")
    check(log_A.shape == (k, k), "log_A", log_A, f"shape ({k}, {k})")
    return log_start, log_A, log_B


def viterbi(log_start, log_A, log_B) -> np.ndarray:
    """The most likely state path of an HMM (teaching version of hmmlearn's ``decode``).

    ``delta_1(j) = log pi_j + log b_j(x_1)``, then :func:`viterbi_step` for ``t = 2..T``,
    then the trace back from ``argmax_j delta_T(j)`` through the back pointers.

    Parameters
    ----------
    log_start : np.ndarray [shape=(n_states,)]
    log_A : np.ndarray [shape=(n_states, n_states)]
    log_B : np.ndarray [shape=(n_frames, n_states)]
        Emission log-likelihoods ``log b_j(x_t)``.

    Returns
    -------
    np.ndarray [shape=(n_frames,)] int

    Examples
    --------
    >>> log_A = np.log([[0.9, 0.1], [0.1, 0.9]])
    >>> log_B = np.log([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.1, 0.9]])
    >>> viterbi(np.log([0.5, 0.5]), log_A, log_B).tolist()
    [0, 0, 1, 1]

    Chapter: notebooks/04a_statistical.ipynb
    """
    log_start, log_A, log_B = _check_logs(log_start, log_A, log_B)
    n, k = log_B.shape
    delta, back = log_start + log_B[0], np.zeros((n, k), dtype=int)
    for t in range(1, n):
        delta, back[t] = viterbi_step(delta, log_A, log_B[t])
    path = [int(delta.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return np.array(path[::-1])


def forward_log_likelihood(log_start, log_A, log_B) -> float:
    """``log p(x_1..x_T)`` by the forward recursion in log space (teaching version of hmmlearn's ``score``).

    ``log alpha_1(j) = log pi_j + log b_j(x_1)``,
    ``log alpha_t(j) = logsumexp_i [log alpha_{t-1}(i) + log A_ij] + log b_j(x_t)``,
    ``log p(x) = logsumexp_j log alpha_T(j)``: Viterbi with the max replaced by a sum.

    Examples
    --------
    >>> log_A = np.log([[0.9, 0.1], [0.1, 0.9]])
    >>> log_B = np.log([[0.9, 0.1], [0.2, 0.8]])
    >>> p = 0.5 * 0.9 * (0.9 * 0.2 + 0.1 * 0.8) + 0.5 * 0.1 * (0.1 * 0.2 + 0.9 * 0.8)  # all four paths
    >>> bool(np.isclose(forward_log_likelihood(np.log([0.5, 0.5]), log_A, log_B), np.log(p)))
    True

    Chapter: notebooks/04a_statistical.ipynb
    """
    from scipy.special import logsumexp

    log_start, log_A, log_B = _check_logs(log_start, log_A, log_B)
    log_alpha = log_start + log_B[0]
    for t in range(1, len(log_B)):
        log_alpha = logsumexp(log_alpha[:, None] + log_A, axis=0) + log_B[t]
    return float(logsumexp(log_alpha))


def gaussian_log_emissions(X, means, variances) -> np.ndarray:
    """Diagonal-Gaussian log-likelihoods ``log N(x_t; mu_j, diag sigma_j^2)``, ``(n_frames, n_states)``.

    Parameters
    ----------
    X : np.ndarray [shape=(n_frames, n_features)]
    means, variances : np.ndarray [shape=(n_states, n_features)]

    Examples
    --------
    >>> round(float(gaussian_log_emissions(np.zeros((1, 1)), np.zeros((1, 1)), np.ones((1, 1)))[0, 0]), 4)
    -0.9189

    Chapter: notebooks/04a_statistical.ipynb
    """
    X, means, variances = (np.asarray(a, dtype=float) for a in (X, means, variances))
    check(X.ndim == 2 and means.ndim == 2 and means.shape[1] == X.shape[1], "means", means.shape, f"(n_states, {X.shape[-1]})")
    check(variances.shape == means.shape and (variances > 0).all(), "variances", variances.shape, "positive, shaped like means")
    return -0.5 * (((X[:, None, :] - means) ** 2) / variances + np.log(2 * np.pi * variances)).sum(-1)


def chord_hmm_emissions(chord_hmm, chroma):
    """The chord HMM at frame rate and its inputs: ``(model, X, log_B)``.

    ``model`` is the fitted :class:`~musynth_lab.stats.ChordHMM`'s hmmlearn model with the
    frame-rate transitions, ``X (n_frames, 12)`` the unit-norm chroma frames, ``log_B
    (n_frames, 25)`` the emission log-likelihoods of :func:`gaussian_log_emissions`.

    Examples
    --------
    >>> from musynth_lab.stats import ChordHMM
    >>> from musynth_lab.data import load_chorales
    >>> hmm = ChordHMM(emissions="template").fit(chorales=load_chorales("train")[:10])
    >>> m, X, log_B = chord_hmm_emissions(hmm, np.abs(np.random.default_rng(0).normal(size=(12, 20))))
    >>> X.shape, log_B.shape, bool(np.array_equal(viterbi(np.log(m.startprob_), np.log(m.transmat_), log_B), m.decode(X)[1]))
    ((20, 12), (20, 25), True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    m = chord_hmm.frame_model(chord_hmm.frames_per_beat_)
    X = unit_columns(np.asarray(chroma, dtype=float)).T
    var = np.diagonal(m.covars_, axis1=1, axis2=2)
    return m, X, gaussian_log_emissions(X, m.means_, var)


# ---------------------------------------------------------------------------------------- chords
def transition_summary(A, *, n_top: int = 3) -> dict:
    """What a beat-level chord transition matrix ``(25, 25)`` says about staying and moving.

    Returns ``p_stay`` (the diagonal, ``(25,)``), ``stay_is_row_max`` (how many rows have their
    largest entry on the diagonal), ``max_off`` (each row's largest off-diagonal entry) and
    ``top_moves``: the ``n_top`` most likely changes from C major, ``[(name, P)]``.

    Examples
    --------
    >>> s = transition_summary(np.full((25, 25), 0.04))
    >>> round(float(s["p_stay"].mean()), 2), s["stay_is_row_max"]
    (0.04, 25)

    Chapter: notebooks/04a_statistical.ipynb
    """

    A = np.asarray(A, dtype=float)
    check(A.shape == (25, 25), "A", A.shape, "a (25, 25) matrix")
    diag = np.diag(A).copy()
    off = A.copy()
    np.fill_diagonal(off, -np.inf)
    row = off[0]
    top = np.argsort(-row)[: int(n_top)]
    return {
        "p_stay": diag,
        "stay_is_row_max": int(np.sum(diag >= off.max(axis=1))),
        "max_off": off.max(axis=1),
        "top_moves": [(CHORD_NAMES[i], float(row[i])) for i in top],
    }


@dataclass
class ChordTable:
    """Beat and frame accuracy of templates and the HMM, one row per held-out excerpt.

    ``rows`` is ``(n_excerpts, 4)``: beat templates, beat HMM, frame templates, frame HMM.
    """

    names: list
    rows: np.ndarray

    def text(self) -> str:
        """The table as printable lines, with the mean row."""
        out = [f"{'test excerpt':22s} beat: templates   HMM | frame: templates   HMM"]
        for name, r in [*zip(self.names, self.rows), ("mean", self.rows.mean(0))]:
            out.append(f"{name:22s}       {r[0]:.2f}      {r[1]:.2f} |        {r[2]:.2f}      {r[3]:.2f}")
        return "\n".join(out)


def chord_recognition_table(chord_hmm, excerpts, chromas, *, hop_length: int = 512) -> ChordTable:
    """Frame-wise template matching against the chord HMM's Viterbi path on each excerpt.

    Parameters
    ----------
    chord_hmm : musynth_lab.stats.ChordHMM
        Fitted.
    excerpts : list of Excerpt
        Annotated (held-out) excerpts.
    chromas : list of np.ndarray [shape=(12, n_frames)]
        Their chroma, same order, ``hop_length`` apart.

    Returns
    -------
    ChordTable

    Examples
    --------
    >>> from musynth_lab import data, stats
    >>> ex = [data.load_excerpt(data.list_excerpts("test")[0])]
    >>> hmm = stats.ChordHMM(emissions="template").fit(chorales=data.load_chorales("train")[:20])
    >>> t = chord_recognition_table(hmm, ex, [stats.excerpt_chroma(e) for e in ex])
    >>> t.rows.shape, bool(((t.rows >= 0) & (t.rows <= 1)).all())
    ((1, 4), True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    check(len(excerpts) == len(chromas) and len(excerpts) > 0, "chromas", len(chromas), f"one per excerpt ({len(excerpts)})")
    rows = []
    for e, C in zip(excerpts, chromas):
        truth = e.beats[:, 2].astype(int)
        end = float(e.notes[:, 1].max())
        tmpl = template_chords(C)
        tmpl_beats = frames_to_beats(tmpl, e.beats[:, 0], hop_length=hop_length, end_sample=end)
        hmm_beats = chord_hmm.recognize(e, chroma=C, level="beat").labels
        frames = e.chord_frames(hop_length=hop_length, n_frames=C.shape[1])
        hmm_frames = chord_hmm.recognize(e, chroma=C, level="frame").labels
        rows.append(
            [
                beat_accuracy(tmpl_beats, truth),
                beat_accuracy(hmm_beats, truth),
                frame_accuracy(tmpl, frames),
                frame_accuracy(hmm_frames, frames),
            ]
        )
    return ChordTable([e.name for e in excerpts], np.array(rows, dtype=float))


# ---------------------------------------------------------------------------------------- seeds
@dataclass
class SeedRuns:
    """Figures of one method over several seeds, with a fixed ``baseline`` to compare to.

    ``values`` is ``(n_seeds,)`` (higher is better unless said otherwise); ``models`` keeps
    the fitted models in seed order; ``extra`` holds more per-seed figures by name.
    """

    seeds: tuple
    values: np.ndarray
    baseline: float = float("nan")
    models: list = field(default_factory=list, repr=False)
    extra: dict = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def spread(self) -> tuple:
        """``(min, max)`` over the seeds."""
        return float(np.min(self.values)), float(np.max(self.values))

    def wins(self, other=None) -> int:
        """On how many seeds ``values`` beat ``other`` (per seed) or the baseline."""
        ref = self.baseline if other is None else np.asarray(other, dtype=float)
        return int(np.sum(self.values > ref))

    def describe(self, fmt: str = ".2f") -> str:
        """``'mean (min to max over n seeds)'``."""
        lo, hi = self.spread
        return f"{self.mean:{fmt}} ({lo:{fmt}} to {hi:{fmt}} over {len(self.seeds)} seeds)"


def _seeds(seeds) -> tuple:
    seeds = tuple(int(s) for s in seeds)
    check(len(seeds) >= 1 and all(s >= 0 for s in seeds), "seeds", seeds, "one or more non-negative integers")
    return seeds


def melody_hmm_vs_unigram(train, test, *, seeds=(0, 1, 2), n_states: int = 8, n_iter: int = 15) -> SeedRuns:
    """Held-out log-likelihood per token of Baum-Welch melody HMMs (one per seed) and a unigram.

    The HMMs start from different random parameters (``seed``); the unigram is
    :class:`~musynth_lab.stats.ngram.NGramModel` of order 1 (Witten-Bell smoothed), scored on
    every token as the HMM is. ``values`` are the HMMs' figures, ``baseline`` the unigram's
    (both in nats per token, higher is better).

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> r = melody_hmm_vs_unigram(load_chorales("train")[:20], load_chorales("test")[:5], seeds=(0, 1), n_states=4, n_iter=3)
    >>> r.values.shape, bool(r.baseline < 0)
    ((2,), True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    seeds = _seeds(seeds)
    models = [MelodyHMM(n_states=n_states, n_iter=n_iter, seed=s).fit(train) for s in seeds]
    uni = NGramModel(order=1, vocab_size=N_MELODY_TOKENS).fit([c.melody_tokens() for c in train])
    baseline = -uni.nll_per_token([c.melody_tokens() for c in test], start=0)
    return SeedRuns(seeds, np.array([m.score(test) for m in models]), float(baseline), models)


@dataclass
class MixtureWeights:
    """EM and variational Bayes mixtures over seeds: how many components carry weight.

    ``em_used`` and ``vb_used`` are ``(n_seeds,)`` counts of components with weight above
    ``threshold``; ``em_weights`` and ``vb_weights`` are ``(n_seeds, n_components)``.
    """

    seeds: tuple
    n_components: int
    threshold: float
    em_used: np.ndarray
    vb_used: np.ndarray
    em_weights: np.ndarray
    vb_weights: np.ndarray


def mixture_weights(
    X, *, seeds=(0, 1, 2), n_components: int = 40, threshold: float = 0.02, weight_concentration_prior: float = 0.01
) -> MixtureWeights:
    """Fit EM (``GaussianMixture``, diagonal) and variational Bayes with the same components, per seed.

    Parameters
    ----------
    X : np.ndarray [shape=(n, n_features)]
    seeds : tuple of int
        Initialisations (k-means starts) of both fits.
    n_components : int
    threshold : float
        A component "carries weight" above this mixture weight.
    weight_concentration_prior : float
        The Dirichlet-process concentration of the variational fit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
    >>> r = mixture_weights(X, seeds=(0, 1), n_components=8)
    >>> r.vb_used.tolist(), bool((r.em_used > 2).all())        # VB keeps the 2 clusters, EM uses more
    ([2, 2], True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    from sklearn.mixture import GaussianMixture

    seeds = _seeds(seeds)
    X = np.asarray(X, dtype=float)
    check(X.ndim == 2 and len(X) >= int(n_components), "X", X.shape, f"(n, n_features) with n >= n_components={n_components}")
    check(0 < threshold < 1, "threshold", threshold, "a weight between 0 and 1")
    em_w, vb_w = [], []
    for s in seeds:
        em_w.append(GaussianMixture(int(n_components), covariance_type="diag", random_state=s).fit(X).weights_)
        vb = VBMixture(n_components=n_components, weight_concentration_prior=weight_concentration_prior, seed=s).fit(X)
        vb_w.append(vb.weights)
    em_w, vb_w = np.array(em_w), np.array(vb_w)
    return MixtureWeights(
        seeds, int(n_components), float(threshold), (em_w > threshold).sum(1), (vb_w > threshold).sum(1), em_w, vb_w
    )


# ---------------------------------------------------------------------------------------- VAEs
def frame_vae_data(*, test_every: int = 4):
    """Chapter 4b's frame data: ``(notes, held, specs, F_train, F_test)``.

    ``held`` marks every ``test_every``-th pitch of each instrument (``pitch % 4 == 3``),
    ``specs`` are :func:`~musynth_lab.models.vae.note_spectrograms` ``(n_notes, 48, 32)``,
    ``F_train``/``F_test`` their frames ``(n_frames, 48)``.

    Examples
    --------
    >>> notes, held, specs, F_train, F_test = frame_vae_data()
    >>> specs.shape, F_train.shape[1], int(held.sum())
    ((480, 48, 32), 48, 120)

    Chapter: notebooks/04b_deep.ipynb
    """
    return _frame_vae_data(int(test_every))


@functools.lru_cache(maxsize=2)
def _frame_vae_data(test_every: int):

    notes = load_notes()
    held = notes.pitch % test_every == test_every - 1
    specs = note_spectrograms(notes)
    return notes, held, specs, note_frames(specs[~held]), note_frames(specs[held])


def frame_vae_run(*, beta: float = 1.0, seed: int = 0, epochs: int = 8, batch_size: int = 128, device="cpu"):
    """A :class:`~musynth_lab.models.vae.FrameVAE` trained on :func:`frame_vae_data`: ``(model, report)``.

    The model is built and trained from ``seed`` (weights and batches), with torch's global
    CPU random state left as it was (NumPy's is reseeded by the training loop); ``report``
    is :func:`~musynth_lab.models.vae.elbo_report` on the held-out frames. Cached: the same
    arguments return the same trained model (exercise 4b.4 reuses the notebook's runs).

    Examples
    --------
    >>> model, rep = frame_vae_run(epochs=1)
    >>> sorted(rep), frame_vae_run(epochs=1)[0] is model
    (['elbo', 'kl', 'nll', 'rmse_db'], True)

    Chapter: notebooks/04b_deep.ipynb
    """
    return _frame_vae_run(float(beta), int(seed), int(epochs), int(batch_size), str(device))


@functools.lru_cache(maxsize=8)
def _frame_vae_run(beta, seed, epochs, batch_size, device):
    import torch

    _, _, _, F_train, F_test = frame_vae_data()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FrameVAE(beta=beta).fit(F_train, epochs=epochs, batch_size=batch_size, seed=seed, device=device)
        report = elbo_report(model, F_test)
    return model, report


def diagonal_gaussian_loglik(train, test) -> float:
    """Mean exact log-likelihood (nats per row) of ``test`` under a diagonal Gaussian fitted to ``train``.

    ``log N(x; mu, diag s^2) = sum_b [-(x_b - mu_b)^2 / (2 s_b^2) - log s_b - log(2 pi) / 2]``, with
    the per-column mean and standard deviation (+1e-3) of ``train``.

    Examples
    --------
    >>> round(diagonal_gaussian_loglik(np.array([[-1.0], [1.0]]), np.zeros((1, 1))), 4)   # N(0, ~1) at 0
    -0.9199

    Chapter: notebooks/04b_deep.ipynb
    """
    train, test = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
    check(train.ndim == 2 and test.ndim == 2 and train.shape[1] == test.shape[1], "test", test.shape, "rows like train's")
    mu, sd = train.mean(0), train.std(0) + 1e-3
    return float((-0.5 * ((test - mu) / sd) ** 2 - np.log(sd * np.sqrt(2 * np.pi))).sum(1).mean())


def frame_vae_runs(*, seeds=(0, 1, 2), device="cpu", **kw) -> SeedRuns:
    """Held-out ELBO (nats per frame) of :func:`frame_vae_run` per seed, against the diagonal Gaussian.

    ``extra`` holds ``kl``, ``rmse_db`` and ``sigma_mean`` (the decoder's mean learnt standard
    deviation, in the [0, 1] units) per seed, and ``mean_rmse_db`` (always the mean frame).

    Examples
    --------
    >>> r = frame_vae_runs(seeds=(0, 1), epochs=1)
    >>> r.values.shape, sorted(r.extra)
    ((2,), ['kl', 'mean_rmse_db', 'rmse_db', 'sigma_mean'])

    Chapter: notebooks/04b_deep.ipynb
    """

    seeds = _seeds(seeds)
    _, _, _, F_train, F_test = frame_vae_data()
    runs = [frame_vae_run(seed=s, device=device, **kw) for s in seeds]
    models = [m for m, _ in runs]
    extra = {
        "kl": np.array([r["kl"] for _, r in runs]),
        "rmse_db": np.array([r["rmse_db"] for _, r in runs]),
        "sigma_mean": np.array([float(m.log_sigma.detach().exp().mean()) for m in models]),
        "mean_rmse_db": float(np.sqrt(((F_test - F_train.mean(0)) ** 2).mean()) * LOG_MEL_FLOOR_DB),
    }
    return SeedRuns(seeds, np.array([r["elbo"] for _, r in runs]), diagonal_gaussian_loglik(F_train, F_test), models, extra)


def positional_loglik(train, test, *, pseudo: float = 0.5) -> float:
    """Mean log-likelihood (nats per window) of a model that knows each position's token distribution only.

    ``P_t(k) = (n_t(k) + pseudo) / sum_k' (n_t(k') + pseudo)`` from the training windows;
    a window's log-likelihood is ``sum_t log P_t(x_t)``.

    Examples
    --------
    >>> W = np.array([[0, 1], [0, 2]])
    >>> bool(positional_loglik(W, W) > positional_loglik(W, np.array([[3, 3]])))
    True

    Chapter: notebooks/04b_deep.ipynb
    """
    train, test = np.asarray(train), np.asarray(test)
    check(train.ndim == 2 and test.ndim == 2 and train.shape[1] == test.shape[1], "test", test.shape, "windows like train's")
    n = train.shape[1]
    P = np.stack([np.bincount(train[:, j], minlength=N_MELODY_TOKENS) + float(pseudo) for j in range(n)])
    P /= P.sum(1, keepdims=True)
    return float(np.log(P[np.arange(n), test]).sum(1).mean())


#: The melody models :func:`melody_vae_runs` trains, by name.
MELODY_VAES = ("melody VAE", "hierarchical VAE")


def melody_vae_runs(train, test, *, seeds=(0, 1, 2), kinds=MELODY_VAES, epochs: int = 7, device="cpu") -> dict:
    """Melody VAEs and/or hierarchical VAEs, one per seed, on melody windows ``(n, 16)``.

    ``kinds`` picks among :data:`MELODY_VAES`. Returns ``{name: SeedRuns}``: ``values`` the
    held-out ELBO (nats per window), ``baseline`` :func:`positional_loglik`, ``extra``
    ``token_accuracy`` and ``kl`` per seed. Each model is built and trained from its seed.

    Examples
    --------
    >>> from musynth_lab.models.vae import melody_windows
    >>> from musynth_lab.data import load_chorales
    >>> W = melody_windows(load_chorales("train")[:10])
    >>> r = melody_vae_runs(W, W, seeds=(0,), epochs=1)
    >>> sorted(r), r["melody VAE"].values.shape
    (['hierarchical VAE', 'melody VAE'], (1,))

    Chapter: notebooks/04b_deep.ipynb
    """
    import torch

    seeds = _seeds(seeds)
    check(len(kinds) > 0 and all(k in MELODY_VAES for k in kinds), "kinds", kinds, f"names among {MELODY_VAES}")
    base = positional_loglik(train, test)
    out = {}
    for name in kinds:
        cls = MelodyVAE if name == "melody VAE" else HierarchicalVAE
        models, reps = [], []
        for s in seeds:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(s)
                m = cls().fit(train, epochs=epochs, seed=s, device=device)
                reps.append(elbo_report(m, test))
            models.append(m)
        extra = {k: np.array([r[k] for r in reps]) for k in ("token_accuracy", "kl")}
        out[name] = SeedRuns(seeds, np.array([r["elbo"] for r in reps]), base, models, extra)
    return out


def beat_variations(hvae, window, *, n: int = 3, seed: int = 1) -> np.ndarray:
    """Variations of one melody window by a hierarchical VAE: same bar latents, beat latents redrawn.

    The bar latents are the encoder's means for ``window``; each variation draws every beat
    latent from the learnt conditional prior, ``z_beat = mu_p(z_bar) + sigma_p(z_bar) * eps``
    with ``eps ~ N(0, I)`` (seeded), and decodes the most likely tokens: ``(n, n_steps)`` int64.

    Examples
    --------
    >>> import torch
    >>> from musynth_lab.models.vae import HierarchicalVAE
    >>> _ = torch.manual_seed(0)
    >>> hv = HierarchicalVAE(bar_dim=2, beat_dim=2, hidden=16).fit(torch.randint(0, 51, (8, 16)), epochs=1)
    >>> beat_variations(hv, np.full(16, 26), n=2).shape
    (2, 16)

    Chapter: notebooks/04b_deep.ipynb
    """
    import torch

    hvae.eval()
    device = next(hvae.parameters()).device
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        z_bar = torch.as_tensor(hvae.encode(np.asarray(window)[None]), dtype=torch.float32)
        z_bar = z_bar.view(1, hvae.n_bars, hvae.bar_dim).to(device)
        mu_b, lv_b = hvae.prior_beats(z_bar)
        out = []
        for _ in range(int(n)):
            eps = torch.randn(mu_b.shape, generator=gen).to(device)
            out.append(hvae.decode(z_bar, mu_b + eps * (0.5 * lv_b).exp()).argmax(-1)[0].cpu().numpy())
    return np.stack(out).astype(np.int64)


def retrieval_table(encoders: dict, x, labels, *, k: int = 5) -> dict:
    """precision@k of each encoder's embeddings of ``x``, searched among themselves.

    ``encoders`` maps a name to a fitted encoder or a list of them (one per seed); the
    result maps each name to the ``(n_models,)`` precisions and the embedding size:
    ``{name: (precisions, dim)}``.

    Examples
    --------
    >>> class Ident:
    ...     def encode(self, x):
    ...         return np.asarray(x, dtype=float)
    >>> x = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]]); y = np.array([0, 0, 1, 1])
    >>> p, dim = retrieval_table({"identity": Ident()}, x, y, k=1)["identity"]
    >>> p.tolist(), dim
    ([1.0], 2)

    Chapter: notebooks/04b_deep.ipynb
    """
    out = {}
    for name, models in encoders.items():
        models = models if isinstance(models, (list, tuple)) else [models]
        Z = [m.encode(x) for m in models]
        out[name] = (np.array([retrieval_precision(z, labels, k=k) for z in Z]), int(Z[0].shape[1]))
    return out
