"""Chapter 5 modelling: n-gram baseline, LSTM and Transformer LMs over the chorales."""

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError, data, seed_everything
from musynth_lab.generate import beam_search, greedy, sequence_log_prob
from musynth_lab.models import fit
from musynth_lab.models.lm import (
    RollLSTM,
    RollTransformer,
    TokenLSTM,
    continuation_nll,
    token_log_probs,
    TokenTransformer,
    frame_loss,
    frame_nll,
    next_step,
    roll_windows,
    token_loss,
    token_nll,
    token_windows,
)
from musynth_lab.stats.ngram import NGramModel

V = data.N_MELODY_TOKENS


@pytest.fixture(scope="module")
def melodies():
    return ([p.melody_tokens() for p in data.load_chorales("train")], [p.melody_tokens() for p in data.load_chorales("val")])


def test_ngram_distributions_are_normalised_and_learn_the_chain():
    m = NGramModel(order=2, vocab_size=4).fit([[0, 1, 2, 3] * 20])
    for ctx in ([0], [1], [2], [3], []):
        p = np.exp(m.next_log_probs(ctx))
        assert p.sum() == pytest.approx(1.0)
    assert np.exp(m.next_log_probs([2]))[3] > 0.9
    unseen = NGramModel(order=3, vocab_size=4).fit([[0, 1, 0, 1]])
    assert np.all(np.exp(unseen.next_log_probs([3, 3])) > 0)  # smoothing: nothing impossible


def test_higher_order_ngrams_predict_held_out_chorales_better(melodies):
    tr, va = melodies
    nll = {k: NGramModel(k, vocab_size=V).fit(tr).nll_per_token(va) for k in (1, 2, 3)}
    assert nll[1] > nll[2] > nll[3]
    assert nll[1] < np.log(V)  # better than uniform


def test_lstm_beats_the_markov_baseline_on_held_out_chorales(melodies):
    # A test-sized LSTM (4 short epochs, seconds on a CPU) against the first-order Markov chain
    # (bigram). Fully trained, the notebook's LSTM also beats the best n-gram (order 5).
    tr, va = melodies
    bigram = NGramModel(2, vocab_size=V).fit(tr).nll_per_token(va)
    seed_everything(0)
    net = TokenLSTM(V, emb_dim=24, hidden=64)
    w = token_windows(tr, length=32, stride=32)
    fit(net, (w[:, :-1], w[:, 1:]), loss_fn=token_loss, epochs=4, lr=1e-2, batch_size=32, progress=False, device="cpu", seed=0)
    lstm = token_nll(net, va, device="cpu")
    assert lstm < bigram - 0.2, (lstm, bigram)


@pytest.mark.parametrize(
    "factory",
    [
        lambda: TokenLSTM(V, emb_dim=8, hidden=16),
        lambda: TokenTransformer(V, d_model=16, n_heads=2, layers=2),
    ],
)
def test_token_models_are_causal(factory):
    seed_everything(0)
    net = factory().eval()
    x = torch.randint(2, V, (2, 12))
    y = x.clone()
    y[:, 8:] = torch.randint(2, V, (2, 4))
    a, b = net(x), net(y)
    assert torch.allclose(a[:, :8], b[:, :8], atol=1e-5)  # the past does not see the future
    assert not torch.allclose(a[:, 8:], b[:, 8:])


@pytest.mark.parametrize("factory", [lambda: RollLSTM(88, hidden=16), lambda: RollTransformer(88, d_model=16, n_heads=2)])
def test_roll_models_are_causal_and_score_in_nats_per_frame(factory):
    seed_everything(0)
    net = factory().eval()
    x = (torch.rand(1, 10, 88) < 0.05).float()
    y = x.clone()
    y[:, 6:] = 1 - y[:, 6:]
    assert torch.allclose(net(x)[:, :6], net(y)[:, :6], atol=1e-5)
    # an untrained net predicts ~0.5 everywhere: 88 * log 2 nats per frame
    untrained = frame_loss(torch.zeros(1, 10, 88), x)
    assert float(untrained) == pytest.approx(88 * np.log(2), rel=1e-5)


def test_independent_bernoulli_baseline_matches_hand_computation():
    roll = np.zeros((88, 4), dtype=bool)
    roll[40, :2] = True
    marg = np.full(88, 0.01)
    marg[40] = 0.5
    expected = (-(87 * np.log(0.99) + np.log(0.5)) * 2 - (87 * np.log(0.99) + np.log(0.5)) * 2) / 4
    assert frame_nll(None, [roll], marginals=marg) == pytest.approx(expected, rel=1e-4)


def test_trained_roll_lstm_beats_independent_frames():
    tr = [p.piano_roll(step=1.0) for p in data.load_chorales("train")[:120]]
    va = [p.piano_roll(step=1.0) for p in data.load_chorales("val")[:30]]
    marg = np.concatenate(tr, axis=1).mean(1)
    base = frame_nll(None, va, marginals=marg)
    seed_everything(0)
    net = RollLSTM(88, hidden=64)
    w = roll_windows(tr, length=32, stride=16)
    fit(net, (w[:, :-1], w[:, 1:]), loss_fn=frame_loss, epochs=10, lr=1e-2, batch_size=16, progress=False, device="cpu", seed=0)
    assert frame_nll(net, va, device="cpu") < base - 0.5


def test_decoders_run_on_a_trained_language_model(melodies):
    tr, _ = melodies
    model = NGramModel(3, vocab_size=V).fit(tr)
    prompt = tr[0][:4]
    g = greedy(model, prompt, steps=8)
    b = beam_search(model, prompt, steps=8, beam_width=4)
    assert float(sequence_log_prob(model, b.best[None], prompt_len=4)) >= float(sequence_log_prob(model, g, prompt_len=4)) - 1e-4
    lstm = TokenLSTM(V, emb_dim=8, hidden=16)
    assert greedy(next_step(lstm, device="cpu"), prompt, steps=3).shape == (1, 7)


def test_bad_input():
    with pytest.raises(ParameterError, match="not fitted"):
        NGramModel(2, vocab_size=5).next_log_probs([1])
    with pytest.raises(ParameterError, match="token 7"):
        NGramModel(2, vocab_size=5).fit([[1, 7]])
    with pytest.raises(ParameterError, match="order=0"):
        NGramModel(0, vocab_size=5)
    with pytest.raises(ParameterError, match="outside 0..4"):
        TokenLSTM(5)(torch.tensor([[1, 9]]))
    with pytest.raises(ParameterError, match=r"expected \(batch, time, 88\)"):
        RollLSTM(88)(torch.zeros(2, 5, 12))
    with pytest.raises(ParameterError, match="longer than length=64"):
        token_windows([np.arange(10)], length=64)
    with pytest.raises(ParameterError, match="max_len=8"):
        TokenTransformer(5, d_model=8, n_heads=2, max_len=8)(torch.zeros(1, 9, dtype=torch.long))


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_continuation_nll_matches_the_decoders_log_prob(kind):
    torch.manual_seed(0)
    m = TokenLSTM(V, emb_dim=8, hidden=16) if kind == "lstm" else TokenTransformer(V, d_model=16, n_heads=2, layers=1)
    seqs = torch.randint(0, V, (3, 12), generator=torch.Generator().manual_seed(1))
    for prompt_len in (1, 5, 11):
        want = -sequence_log_prob(next_step(m, device="cpu"), seqs, prompt_len=prompt_len).numpy()
        got = continuation_nll(m, seqs.numpy(), prompt_len=prompt_len, device="cpu")
        assert got.shape == (3,)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    lp = token_log_probs(m, seqs[0].numpy(), device="cpu")
    assert lp.shape == (1, 11, V)
    np.testing.assert_allclose(np.exp(lp).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("prompt_len", [0, 12, 2.5])
def test_continuation_nll_rejects_bad_prompt_len(prompt_len):
    with pytest.raises(ParameterError, match="prompt_len"):
        continuation_nll(TokenLSTM(V, emb_dim=4, hidden=8), np.zeros((1, 12), dtype=int), prompt_len=prompt_len, device="cpu")
