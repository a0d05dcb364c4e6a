"""musynth_lab.generate: decoding strategies on Markov chains whose answers we can compute."""

import itertools
import math

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError
from musynth_lab.generate import anneal, beam_search, greedy, sample, sequence_log_prob, temperature_schedule


def _chain(seed, vocab=5, sharp=2.0):
    g = torch.Generator().manual_seed(seed)
    table = (torch.randn(vocab, vocab, generator=g) * sharp).log_softmax(-1)
    return table, (lambda prefix: table[prefix[:, -1]])


def _best_by_enumeration(table, start, steps):
    vocab = table.shape[0]
    best, best_lp = None, -math.inf
    for tail in itertools.product(range(vocab), repeat=steps):
        seq = (start,) + tail
        lp = sum(float(table[a, b]) for a, b in zip(seq, seq[1:]))
        if lp > best_lp:
            best, best_lp = seq, lp
    return list(best), best_lp


@pytest.mark.parametrize("seed", range(8))
def test_beam_search_is_at_least_as_likely_as_greedy(seed):
    table, model = _chain(seed)
    g = greedy(model, [0], steps=4)
    b = beam_search(model, [0], steps=4, beam_width=3)
    lp_g = float(sequence_log_prob(model, g)[0])
    lp_b = float(sequence_log_prob(model, b.best[None])[0])
    assert lp_b >= lp_g - 1e-5
    assert float(b.log_probs[0]) == pytest.approx(lp_b, abs=1e-4)
    # a beam as wide as the vocabulary squared is exact on a first-order chain over 4 steps
    exact_seq, exact_lp = _best_by_enumeration(table, 0, 4)
    wide = beam_search(model, [0], steps=4, beam_width=25)
    assert wide.best.tolist() == exact_seq and float(wide.log_probs[0]) == pytest.approx(exact_lp, abs=1e-4)


def test_beam_finds_what_greedy_misses():
    table = torch.log(torch.tensor([[1e-9, 0.6, 0.4], [1 / 3, 1 / 3, 1 / 3], [0.05, 0.05, 0.9]]))
    model = lambda p: table[p[:, -1]]  # noqa: E731
    assert greedy(model, [0], steps=2)[0, 1] == 1
    assert beam_search(model, [0], steps=2, beam_width=2).best.tolist() == [0, 2, 2]
    assert beam_search(model, [0], steps=2, beam_width=1).best.tolist() == greedy(model, [0], steps=2)[0].tolist()


def test_beam_constraint_on_the_final_token():
    table, model = _chain(3)
    res = beam_search(model, [0], steps=5, beam_width=4, final_allowed=[4])
    assert all(int(s[-1]) == 4 for s in res.sequences)
    unconstrained = beam_search(model, [0], steps=5, beam_width=4)
    assert float(res.log_probs[0]) <= float(unconstrained.log_probs[0]) + 1e-6


def test_length_normalisation_prefers_longer_hypotheses_with_eos():
    # token 2 is an end token; ending at once is likely, going on costs a little each step
    table = torch.log(torch.tensor([[0.55, 1e-9, 0.45], [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3]]))
    model = lambda p: table[p[:, -1]]  # noqa: E731
    short = beam_search(model, [0], steps=6, beam_width=4, eos=2, length_penalty=0.0).best
    long = beam_search(model, [0], steps=6, beam_width=4, eos=2, length_penalty=4.0).best
    assert short.tolist()[:2] == [0, 2] and int((short >= 0).sum()) == 2  # the likeliest: stop at once
    assert int((long >= 0).sum()) > 3


@pytest.mark.parametrize("seed", range(4))
def test_temperature_to_zero_reproduces_greedy(seed):
    _, model = _chain(seed)
    g = greedy(model, [[0], [1]], steps=10)
    s = sample(model, [[0], [1]], steps=10, temperature=1e-4, seed=seed)
    assert torch.equal(g, s)


def test_sampling_matches_the_distribution_and_is_seeded():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    model = lambda p: probs.log().expand(len(p), -1)  # noqa: E731
    draws = sample(model, torch.zeros(4000, 1, dtype=torch.long), steps=1, seed=0)[:, 1]
    freq = torch.bincount(draws, minlength=4).float() / 4000
    assert torch.allclose(freq, probs, atol=0.03)
    hot = sample(model, torch.zeros(4000, 1, dtype=torch.long), steps=1, seed=0, temperature=5.0)[:, 1]
    assert torch.bincount(hot, minlength=4)[3] > 2 * torch.bincount(draws, minlength=4)[3]  # flatter
    assert torch.equal(sample(model, [0], steps=20, seed=9), sample(model, [0], steps=20, seed=9))
    assert not torch.equal(sample(model, [0], steps=20, seed=9), sample(model, [0], steps=20, seed=10))


def test_top_k_and_top_p_restrict_the_support():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    model = lambda p: probs.log().expand(len(p), -1)  # noqa: E731
    start = torch.zeros(3000, 1, dtype=torch.long)
    k2 = sample(model, start, steps=1, top_k=2, seed=1)[:, 1]
    assert set(k2.tolist()) == {0, 1}
    p80 = sample(model, start, steps=1, top_p=0.8, seed=1)[:, 1]  # 0.5 + 0.3 reaches 0.8
    assert set(p80.tolist()) == {0, 1}
    p81 = sample(model, start, steps=1, top_p=0.81, seed=1)[:, 1]
    assert set(p81.tolist()) == {0, 1, 2}
    one = sample(model, start, steps=1, top_p=0.1, seed=1)[:, 1]  # always keeps the top token
    assert set(one.tolist()) == {0}


def test_annealing_lowers_the_energy_it_minimises():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 12, 32)

    def energy(x):
        return float(np.sum(x != target))

    def propose(x, r):
        y = x.copy()
        y[r.integers(len(y))] = r.integers(12)
        return y

    start = rng.integers(0, 12, 32)
    res = anneal(energy, start, propose=propose, schedule=temperature_schedule(t_start=2.0, t_end=0.02, steps=3000), seed=1)
    assert res.best_energy < 0.25 * energy(start)
    assert res.energies[-300:].mean() < res.energies[:300].mean()
    again = anneal(energy, start, propose=propose, schedule=temperature_schedule(t_start=2.0, t_end=0.02, steps=3000), seed=1)
    assert again.best_energy == res.best_energy and np.array_equal(again.energies, res.energies)


def _visit_frequencies(hastings):
    """A 3-state chain at T = 1 with an asymmetric independence proposal q; state = its energy."""
    energy = np.array([0.0, 1.0, 2.0])
    q = np.array([0.1, 0.3, 0.6])  # favours the high-energy states

    def propose(x, rng):
        new = int(rng.choice(3, p=q))
        return (new, math.log(q[x]) - math.log(q[new])) if hastings else new

    res = anneal(lambda x: energy[x], 0, propose=propose, schedule=np.ones(30000), seed=0, hastings=hastings)
    return np.bincount(res.energies.astype(int), minlength=3) / len(res.energies)


def test_hastings_correction_samples_the_boltzmann_distribution():
    target = np.exp(-np.array([0.0, 1.0, 2.0]))
    target /= target.sum()
    assert np.abs(_visit_frequencies(True) - target).max() < 0.02
    # without the correction the asymmetric proposal biases the chain: the test can tell
    assert np.abs(_visit_frequencies(False) - target).max() > 0.05


def test_hastings_proposal_must_return_a_ratio():
    with pytest.raises(ParameterError, match="hastings=True"):
        anneal(lambda x: 0.0, 0, propose=lambda x, r: x + 1, schedule=[1.0], hastings=True)


def test_schedules():
    for kind in ("geometric", "linear", "logarithmic"):
        t = temperature_schedule(kind, t_start=1.0, t_end=0.1, steps=50)
        assert t[0] == pytest.approx(1.0) and np.all(np.diff(t) <= 0)
    assert temperature_schedule("linear", t_start=1.0, t_end=0.1, steps=50)[-1] == pytest.approx(0.1)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda m: greedy(m, [], steps=3), "non-empty"),
        (lambda m: sample(m, [0], steps=3, temperature=0.0), "temperature=0.0"),
        (lambda m: sample(m, [0], steps=3, temperature=-1.0), "temperature=-1.0"),
        (lambda m: sample(m, [0], steps=3, top_k=0), "top_k=0"),
        (lambda m: sample(m, [0], steps=3, top_p=1.5), "top_p=1.5"),
        (lambda m: beam_search(m, [0], steps=3, beam_width=0), "beam_width=0"),
        (lambda m: beam_search(m, [0], steps=3, final_allowed=[]), "final_allowed"),
        (lambda m: beam_search(m, [0], steps=3, final_allowed=[99]), "final_allowed contains 99"),
        (lambda m: greedy(m, [0.5], steps=3), "integer token ids"),
        (lambda m: greedy(m, [0], steps=-1), "steps=-1"),
        (lambda m: temperature_schedule("cosine"), "kind='cosine'"),
        (lambda m: anneal(lambda x: 0.0, 0, propose=lambda x, r: x, schedule=[1.0, 0.0]), "schedule"),
    ],
)
def test_bad_input(call, match):
    _, model = _chain(0)
    with pytest.raises(ParameterError, match=match):
        call(model)


def test_a_model_returning_the_wrong_shape_is_reported():
    with pytest.raises(ParameterError, match="model returned"):
        greedy(lambda p: torch.zeros(5), [0], steps=1)


def test_annealed_sampling_schedule_cools_towards_greedy():
    _, model = _chain(5)
    cold = np.full(10, 1e-4)
    assert torch.equal(sample(model, [2], steps=10, schedule=cold, seed=0), greedy(model, [2], steps=10))
    with pytest.raises(ParameterError, match="schedule"):
        sample(model, [2], steps=10, schedule=np.ones(9))


def test_distinct_ngrams_and_melody_pitches():
    from musynth_lab.data import HOLD, MELODY_LOW, REST
    from musynth_lab.evaluate import distinct_ngrams, melody_pitches

    assert distinct_ngrams([[5, 5, 5, 5]], n=1) == 0.25
    assert distinct_ngrams([[1, 2, 3], [1, 2, 4]], n=2) == 0.75
    toks = [2 + 60 - MELODY_LOW, HOLD, REST, 2 + 67 - MELODY_LOW]
    assert melody_pitches(toks).tolist() == [60, 67]
    with pytest.raises(ParameterError, match="n=0"):
        distinct_ngrams([[1, 2]], n=0)
