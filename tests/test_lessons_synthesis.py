"""Chapter 5 (generation): the decoders compared, simulated annealing of whole melodies."""

import itertools

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError, data
from musynth_lab.evaluate import melody_pitches
from musynth_lab.lessons import synthesis as syn
from musynth_lab.models.lm import TokenLSTM, continuation_nll
from musynth_lab.models.rl import MelodyRules


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _net(vocab, seed=0, hidden=8, sharp=8.0):
    torch.manual_seed(seed)
    net = TokenLSTM(vocab, emb_dim=4, hidden=hidden, dropout=0.0)
    with torch.no_grad():  # sharpen the random model so the landscape has a clear minimum
        net.head.weight.mul_(sharp)
    return net.eval()


def _all_continuations(net, prompt, vocab, steps):
    tails = np.array(list(itertools.product(range(vocab), repeat=steps)))
    seqs = np.concatenate([np.tile(prompt, (len(tails), 1)), tails], axis=1)
    return seqs, continuation_nll(net, seqs, prompt_len=len(prompt), device="cpu")


def test_tonic_tokens_are_every_tonic_in_range():
    for pc in (0, 7, 11):
        toks = syn.tonic_tokens(pc)
        midi = [t - 2 + data.MELODY_LOW for t in toks]
        assert all(m % 12 == pc for m in midi)
        assert midi == [m for m in range(data.MELODY_LOW, data.MELODY_HIGH + 1) if m % 12 == pc]
    with pytest.raises(ParameterError, match="tonic_pc=12"):
        syn.tonic_tokens(12)


def test_melody_violations_are_the_rules_of_the_pitches():
    piece = data.load_chorales("test")[0]
    toks = piece.melody_tokens()[:40]
    want = MelodyRules(tonic_pc=piece.key_tonic_pc, mode=piece.key_mode).violations(melody_pitches(toks.tolist()))
    assert syn.melody_violations(toks, tonic_pc=piece.key_tonic_pc, mode=piece.key_mode) == want
    assert syn.melody_violations([data.REST, data.HOLD], tonic_pc=0, mode="major") == dict.fromkeys(want, 0)


@pytest.mark.parametrize("proposal", ["model", "uniform"])
def test_annealing_finds_the_most_likely_continuation(proposal):
    vocab, steps = 4, 4
    net = _net(vocab, seed=3)
    prompt = np.array([1, 2])
    seqs, nll = _all_continuations(net, prompt, vocab, steps)
    start = seqs[int(np.argmax(nll))]  # start from the least likely continuation
    r = syn.anneal_melody(net, start, prompt_len=2, steps=400, t_end=0.01, seed=0, proposal=proposal, device="cpu")
    assert r.best_energy == pytest.approx(nll.min(), abs=1e-5)
    assert np.array_equal(r.best, seqs[int(np.argmin(nll))])
    assert np.array_equal(r.best[:2], prompt)  # the prompt is never rewritten
    assert r.best_energy == pytest.approx(continuation_nll(net, r.best, prompt_len=2, device="cpu")[0], abs=1e-5)


def test_annealing_at_temperature_one_samples_the_model():
    """With the Hastings correction, a chain at T = 1 visits continuations as often as the model's p."""
    vocab, steps = 3, 2
    net = _net(vocab, seed=1, sharp=2.0)
    prompt = np.array([0])
    seqs, nll = _all_continuations(net, prompt, vocab, steps)
    p = np.exp(-nll)
    assert p.sum() == pytest.approx(1.0, abs=1e-5)
    r = syn.anneal_melody(net, seqs[0], prompt_len=1, steps=5000, t_start=1.0, t_end=1.0, seed=0, device="cpu")
    # the trace holds the current state's energy: each continuation has its own
    assert len(np.unique(nll.round(6))) == len(nll)
    visits = np.array([np.isclose(r.energies, e, atol=1e-5).mean() for e in nll])
    assert np.abs(visits - p).sum() < 0.1  # total variation, 5000 correlated moves


def test_anneal_melody_rejects_bad_input():
    net = _net(4)
    with pytest.raises(ParameterError, match="prompt_len"):
        syn.anneal_melody(net, [1, 2, 3], prompt_len=3, device="cpu")
    with pytest.raises(ParameterError, match="proposal"):
        syn.anneal_melody(net, [1, 2, 3], prompt_len=1, proposal="gibbs", device="cpu")


@pytest.fixture(scope="module")
def comparison():
    torch.manual_seed(0)
    net = TokenLSTM(data.N_MELODY_TOKENS, emb_dim=8, hidden=16).eval()
    pieces = data.load_chorales("test")[:3]
    return net, pieces, syn.compare_decoders(net, pieces, steps=6, seeds=(0, 1), anneal_steps=40, device="cpu")


def test_compare_decoders_records(comparison):
    net, pieces, c = comparison
    assert c.names == list(syn.STRATEGIES)
    for m in ("nll", "log_prob", "distinct2", "violations"):
        assert getattr(c, m).shape == (len(syn.STRATEGIES), 2)
    np.testing.assert_allclose(c.log_prob, -6 * c.nll)
    for name in syn.DETERMINISTIC:  # no randomness: no spread over seeds
        mean, lo, hi = c.summary(name, "violations")
        assert lo == hi == mean
    assert all(len(o) == 6 for o in c.outputs["greedy"]) and len(c.outputs["greedy"]) == 3
    # annealing starts from the T=1 sample of the same seed and keeps the best state it met
    sa, hot = c.names.index("simulated annealing"), c.names.index("sample T=1")
    assert np.all(c.nll[sa] <= c.nll[hot] + 1e-9)
    # the greedy row is the library's greedy decoding, scored by the library
    from musynth_lab.generate import greedy, sequence_log_prob
    from musynth_lab.models.lm import next_step

    model = next_step(net, device="cpu")
    g = [greedy(model, p.melody_tokens()[:8], steps=6) for p in pieces]
    assert [s[0, 8:].tolist() for s in g] == c.outputs["greedy"]
    lp = np.mean([float(sequence_log_prob(model, s, prompt_len=8)) for s in g])
    assert c.summary("greedy", "log_prob")[0] == pytest.approx(lp, abs=1e-3)
    rules = c.rules["greedy"]
    assert sum(rules.values()) == pytest.approx(c.summary("greedy", "violations")[0])
    assert 0.0 < c.acceptance <= 1.0 and len(c.traces) == 3


def test_compare_decoders_is_seeded(comparison):
    net, pieces, c = comparison
    again = syn.compare_decoders(net, pieces, steps=6, seeds=(0, 1), anneal_steps=40, device="cpu")
    np.testing.assert_array_equal(again.nll, c.nll)
    np.testing.assert_array_equal(again.violations, c.violations)


def test_comparison_table_and_format(comparison):
    _, _, c = comparison
    table = c.table()
    assert set(table) == set(c.names)
    assert table["greedy"][0] == pytest.approx(c.log_prob[0].mean())
    text = c.format()
    assert all(n in text for n in c.names) and "[min, max]" in text
    with pytest.raises(ParameterError, match="name="):
        c.summary("nucleus", "nll")
    with pytest.raises(ParameterError, match="measure="):
        c.summary("greedy", "bleu")


def test_compare_decoders_rejects_bad_input():
    net = TokenLSTM(data.N_MELODY_TOKENS, emb_dim=4, hidden=8)
    pieces = data.load_chorales("test")[:1]
    with pytest.raises(ParameterError, match="pieces"):
        syn.compare_decoders(net, [], device="cpu")
    with pytest.raises(ParameterError, match="seeds"):
        syn.compare_decoders(net, pieces, seeds=(), device="cpu")
    with pytest.raises(ParameterError, match="prompt_len"):
        syn.compare_decoders(net, pieces, prompt_len=10_000, device="cpu")


def test_verdict_needs_disjoint_ranges():
    z = np.zeros((3, 2))
    viol = np.array([[3.0, 4.0], [4.0, 6.0], [4.5, 5.0]])
    c = syn.DecoderComparison(["a", "b", "c"], (0, 1), z, z, z, viol, {}, {})
    assert c.verdict("a", "b", "violations") == "within the spread of"  # 4.0 is in both ranges
    assert c.verdict("a", "c", "violations") == "lower" and c.verdict("c", "a", "violations") == "higher"
    assert c.describe("a", "violations", ".1f") == "3.5 [3.0, 4.0]" and c.describe("a", "nll") == "0.00"
