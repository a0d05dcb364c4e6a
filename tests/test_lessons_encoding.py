"""Chapter 4's lesson module: the teaching HMM recursions against brute force and hmmlearn, and the
multi-seed runners of 04a and 04b (seeded, small): seeds must matter, the same seed must repeat,
and each baseline must be the figure its formula gives."""

import itertools

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError, data, stats
from musynth_lab.lessons import encoding as L
from musynth_lab.stats.ngram import NGramModel


def _random_hmm(k, n, seed):
    rng = np.random.default_rng(seed)
    A = rng.dirichlet(np.full(k, 0.7), size=k)
    pi = rng.dirichlet(np.ones(k))
    log_B = rng.normal(-2, 1.5, size=(n, k))
    return np.log(pi), np.log(A), log_B


def _all_paths(log_pi, log_A, log_B):
    n, k = log_B.shape
    for path in itertools.product(range(k), repeat=n):
        lp = log_pi[path[0]] + log_B[0, path[0]]
        lp += sum(log_A[path[t - 1], path[t]] + log_B[t, path[t]] for t in range(1, n))
        yield path, lp


@pytest.mark.parametrize("k, n, seed", [(2, 5, 0), (3, 4, 1), (4, 3, 2)])
def test_viterbi_and_forward_against_brute_force(k, n, seed):
    log_pi, log_A, log_B = _random_hmm(k, n, seed)
    paths = list(_all_paths(log_pi, log_A, log_B))
    best = max(paths, key=lambda p: p[1])[0]
    assert L.viterbi(log_pi, log_A, log_B).tolist() == list(best)
    total = np.logaddexp.reduce([lp for _, lp in paths])
    assert np.isclose(L.forward_log_likelihood(log_pi, log_A, log_B), total)


def test_viterbi_step_reduces_over_the_state_moved_from():
    delta = np.log([0.7, 0.2, 0.1])
    log_A = np.log([[0.1, 0.8, 0.1], [0.6, 0.2, 0.2], [0.3, 0.3, 0.4]])  # not symmetric
    log_b = np.log([0.5, 0.3, 0.2])
    new, back = L.viterbi_step(delta, log_A, log_b)
    want = [max(range(3), key=lambda i: delta[i] + log_A[i, j]) for j in range(3)]
    assert back.tolist() == want
    assert np.allclose(new, [delta[want[j]] + log_A[want[j], j] + log_b[j] for j in range(3)])
    with pytest.raises(ParameterError, match="log_A"):
        L.viterbi_step(delta, log_A[:2], log_b)
    with pytest.raises(ParameterError, match="log_B"):
        L.viterbi(delta, log_A, np.zeros((0, 3)))


def test_the_teaching_recursions_match_hmmlearn_on_the_chord_hmm():
    hmm = stats.ChordHMM(emissions="template").fit(chorales=data.load_chorales("train")[:20])
    chroma = np.abs(np.random.default_rng(3).normal(size=(12, 60))) + 0.05
    m, X, log_B = L.chord_hmm_emissions(hmm, chroma)
    log_pi, log_A = np.log(m.startprob_), np.log(m.transmat_)
    assert np.allclose(log_B, m._compute_log_likelihood(X))
    assert np.array_equal(L.viterbi(log_pi, log_A, log_B), m.decode(X)[1])
    assert np.isclose(L.forward_log_likelihood(log_pi, log_A, log_B), m.score(X))


def test_gaussian_log_emissions_is_the_diagonal_normal_density():
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    X, mu, var = rng.normal(size=(5, 3)), rng.normal(size=(2, 3)), rng.uniform(0.2, 2, size=(2, 3))
    got = L.gaussian_log_emissions(X, mu, var)
    want = np.stack([multivariate_normal(mu[j], np.diag(var[j])).logpdf(X) for j in range(2)], axis=1)
    assert got.shape == (5, 2) and np.allclose(got, want)
    with pytest.raises(ParameterError, match="variances"):
        L.gaussian_log_emissions(X, mu, -var)


def test_transition_summary_reads_the_diagonal():
    A = np.full((25, 25), 0.5 / 24)
    np.fill_diagonal(A, 0.5)
    A[3, 3], A[3, 4] = 0.1, 0.5 / 24 + 0.4  # row 3 moves on more than it stays
    s = L.transition_summary(A, n_top=2)
    assert s["stay_is_row_max"] == 24
    assert np.isclose(s["p_stay"][3], 0.1) and np.isclose(s["max_off"][3], 0.5 / 24 + 0.4)
    assert len(s["top_moves"]) == 2 and s["top_moves"][0][0] != "C:maj"
    with pytest.raises(ParameterError, match="A"):
        L.transition_summary(np.ones((3, 3)))


def test_chord_recognition_table_agrees_with_the_recogniser():
    ex = [data.load_excerpt(data.list_excerpts("test")[0])]
    C = [stats.excerpt_chroma(e) for e in ex]
    hmm = stats.ChordHMM(emissions="template").fit(chorales=data.load_chorales("train")[:20])
    t = L.chord_recognition_table(hmm, ex, C)
    assert t.rows.shape == (1, 4) and t.names == [ex[0].name]
    assert np.isclose(t.rows[0, 1], stats.beat_accuracy(hmm.recognize(ex[0], chroma=C[0]).labels, ex[0].beats[:, 2].astype(int)))
    assert "mean" in t.text() and ex[0].name in t.text()
    with pytest.raises(ParameterError, match="chromas"):
        L.chord_recognition_table(hmm, ex, [])


def test_seed_runs_summaries():
    r = L.SeedRuns((0, 1, 2), np.array([1.0, 3.0, 2.0]), baseline=1.5)
    assert r.mean == 2.0 and r.spread == (1.0, 3.0) and r.wins() == 2 and r.wins([0, 4, 0]) == 2
    assert r.describe(".1f") == "2.0 (1.0 to 3.0 over 3 seeds)"


def test_melody_hmms_differ_by_seed_and_the_unigram_is_the_witten_bell_figure():
    train, test = data.load_chorales("train")[:15], data.load_chorales("test")[:4]
    r = L.melody_hmm_vs_unigram(train, test, seeds=(0, 1), n_states=4, n_iter=4)
    assert r.values[0] != r.values[1]  # the random start matters, hence several seeds
    assert np.isclose(r.values[0], r.models[0].score(test))
    uni = NGramModel(order=1, vocab_size=data.N_MELODY_TOKENS).fit([c.melody_tokens() for c in train])
    assert np.isclose(r.baseline, -uni.nll_per_token([c.melody_tokens() for c in test], start=0))
    with pytest.raises(ParameterError, match="seeds"):
        L.melody_hmm_vs_unigram(train, test, seeds=())


def test_mixture_weights_counts_the_components_that_carry_weight():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
    r = L.mixture_weights(X, seeds=(0, 1), n_components=10, threshold=0.02)
    assert r.vb_used.tolist() == [2, 2] and (r.em_used > 2).all()
    assert np.array_equal(r.em_used, (r.em_weights > 0.02).sum(1)) and np.allclose(r.vb_weights.sum(1), 1)
    with pytest.raises(ParameterError, match="threshold"):
        L.mixture_weights(X, threshold=1.5)


def test_diagonal_gaussian_and_positional_baselines_are_their_formulas():
    from scipy.stats import norm

    rng = np.random.default_rng(1)
    tr, te = rng.normal(size=(50, 3)), rng.normal(size=(7, 3))
    want = norm(tr.mean(0), tr.std(0) + 1e-3).logpdf(te).sum(1).mean()
    assert np.isclose(L.diagonal_gaussian_loglik(tr, te), want)
    W = np.array([[0, 1], [0, 2], [3, 1]])
    V = data.N_MELODY_TOKENS
    p0 = (2 + 0.5) / (3 + 0.5 * V)  # token 0 at position 0
    p1 = (2 + 0.5) / (3 + 0.5 * V)  # token 1 at position 1
    assert np.isclose(L.positional_loglik(W, np.array([[0, 1]])), np.log(p0) + np.log(p1))
    with pytest.raises(ParameterError, match="test"):
        L.positional_loglik(W, np.zeros((1, 3), dtype=int))


def test_frame_vae_run_is_seeded_cached_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    m0, rep0 = L.frame_vae_run(seed=0, epochs=1)
    assert torch.equal(state, torch.random.get_rng_state())
    assert L.frame_vae_run(seed=0, epochs=1)[0] is m0
    m1, rep1 = L.frame_vae_run(seed=1, epochs=1)
    assert rep0["elbo"] != rep1["elbo"]
    r = L.frame_vae_runs(seeds=(0, 1), epochs=1)
    assert r.models[0] is m0 and np.allclose(r.values, [rep0["elbo"], rep1["elbo"]])
    _, _, _, F_train, F_test = L.frame_vae_data()
    assert np.isclose(r.baseline, L.diagonal_gaussian_loglik(F_train, F_test))


def test_melody_vae_runs_repeat_per_seed_and_differ_across_seeds():
    from musynth_lab.models.vae import melody_windows

    W = melody_windows(data.load_chorales("train")[:12])
    a = L.melody_vae_runs(W, W[:20], seeds=(0, 1), kinds=("melody VAE",), epochs=1)["melody VAE"]
    b = L.melody_vae_runs(W, W[:20], seeds=(0,), kinds=("melody VAE",), epochs=1)["melody VAE"]
    assert a.values[0] != a.values[1] and np.isclose(a.values[0], b.values[0])
    assert np.isclose(a.baseline, L.positional_loglik(W, W[:20]))
    with pytest.raises(ParameterError, match="kinds"):
        L.melody_vae_runs(W, W, kinds=("GAN",))


def test_beat_variations_keep_the_bars_and_follow_the_seed():
    from musynth_lab.models.vae import HierarchicalVAE

    torch.manual_seed(0)
    W = np.random.default_rng(0).integers(0, data.N_MELODY_TOKENS, (16, 16))
    hv = HierarchicalVAE(bar_dim=2, beat_dim=4, hidden=16).fit(W, epochs=1, device="cpu")
    w = W[0]
    a, b = L.beat_variations(hv, w, n=4, seed=1), L.beat_variations(hv, w, n=4, seed=1)
    assert a.shape == (4, 16) and np.array_equal(a, b)
    assert not np.array_equal(a, L.beat_variations(hv, w, n=4, seed=2))


def test_retrieval_table_scores_each_seed():
    class Fixed:
        def __init__(self, Z):
            self.Z = Z

        def encode(self, x):
            return self.Z

    y = np.array([0, 0, 1, 1])
    good = Fixed(np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1.0]]))
    bad = Fixed(np.array([[1, 0], [0, 1], [1, 0.1], [0.1, 1.0]]))
    res = L.retrieval_table({"two": [good, bad], "one": good}, None, y, k=1)
    assert res["two"][0].tolist() == [1.0, 0.0]
    assert res["one"][0].tolist() == [1.0] and res["one"][1] == 2
