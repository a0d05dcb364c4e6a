"""The chapter-2 trained demos, the AttentionViewer and the chapter-2 exercise checks.

Each demo is trained once per session on the CPU (seeded, so the figures are reproducible)
and measured on held-out data it never saw:

* instruments: unseen pitches (every 4th pitch of each instrument); ten balanced classes, so
  chance is 0.1; location attention must reach 0.6 and must not fall below the same CNN with
  average pooling (the stated no-attention baseline);
* chorale mode: the val + test chorales; must beat always-answering-the-majority-mode by 0.1;
  the same network with mean pooling (no attention) must beat it too. Over three seeds the
  two differ by less than their spread (the notebook measures it), so neither must win;
* soprano -> bass: test chorales; teacher-forced token accuracy must beat always-the-commonest
  token by 0.15 and the same encoder-decoder without attention (fixed context vector) by
  0.03, and its bass-onset accuracy the baseline's by 0.05; its alignment must be near-diagonal.
"""

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError
from musynth_lab import attention as A
from musynth_lab import exercises as ex
from musynth_lab.lessons import attention as D
from musynth_lab.models.seq2seq import Seq2SeqAttention, greedy_bass


@pytest.fixture(scope="module")
def instruments():
    data = D.instrument_data()
    return (
        D.train_instrument_classifier(data=data, device="cpu"),
        D.train_instrument_classifier(data=data, attention=False, device="cpu"),
    )


@pytest.fixture(scope="module")
def mode():
    return D.train_mode_classifier(device="cpu")


@pytest.fixture(scope="module")
def mode_baseline():
    return D.train_mode_classifier(attention=False, device="cpu")


@pytest.fixture(scope="module")
def bass():
    return D.train_soprano_to_bass(device="cpu")


@pytest.fixture(scope="module")
def bass_baseline(bass):
    return D.train_soprano_to_bass(attention=False, device="cpu", data=bass.data)


def test_instrument_split_is_by_unseen_pitch():
    d = D.instrument_data()
    from musynth_lab.data import load_notes

    notes = load_notes()
    y, names = notes.labels("instrument")
    assert len(d.y_test) == 120 and len(d.y_train) == 360
    for c, _name in enumerate(names):
        train_pitches = set(notes.pitch[(y == c)].tolist()) - set(d.pitch_test[d.y_test == c].tolist())
        assert not train_pitches & set(d.pitch_test[d.y_test == c].tolist())


def test_instrument_classifier_beats_chance_and_average_pooling(instruments):
    att, base = instruments
    assert att.chance == pytest.approx(0.1)
    assert att.test_accuracy >= 0.6, att.test_accuracy
    assert att.test_accuracy >= base.test_accuracy, (att.test_accuracy, base.test_accuracy)


def test_instrument_attention_map_is_a_distribution_on_the_spectrogram_grid(instruments):
    att, _ = instruments
    maps = att.model.attention_map(att.data.x_test[:3])
    assert maps.shape == (3,) + att.data.x_test.shape[2:]
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, atol=1e-5)


def test_mode_classifier_and_mean_pooling_both_beat_the_majority_mode(mode, mode_baseline):
    assert len(mode.data.y_test) == 110
    assert mode.test_accuracy >= mode.chance + 0.1, (mode.test_accuracy, mode.chance)
    assert mode_baseline.test_accuracy > mode_baseline.chance, (mode_baseline.test_accuracy, mode_baseline.chance)


def test_mode_token_weights_sum_to_one_and_ignore_padding(mode):
    model = mode.model.eval()
    with torch.no_grad():
        model(torch.as_tensor(mode.data.x_test[:4]), torch.as_tensor(mode.data.mask_test[:4]))
    w = model.last_weights.numpy()
    m = mode.data.mask_test[:4]
    assert np.all(w[~m] == 0)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-5)


def test_soprano_to_bass_beats_commonest_token_and_fixed_vector_seq2seq(bass, bass_baseline):
    assert bass.test_accuracy >= bass.chance + 0.15, (bass.test_accuracy, bass.chance)
    assert bass.test_accuracy >= bass_baseline.test_accuracy + 0.03, (bass.test_accuracy, bass_baseline.test_accuracy)
    assert bass.extra["onset_accuracy"] >= bass_baseline.extra["onset_accuracy"] + 0.05


def test_bass_alignment_is_near_diagonal(bass):
    """Soprano and bass are aligned in time: each bass step should look at (or next to) its own step."""
    _, align = greedy_bass(bass.model, bass.data.src_test[:8], bos=bass.data.bos)
    steps = np.arange(bass.data.window)[None]
    assert np.mean(np.abs(align.argmax(-1) - steps) <= 1) >= 0.8


def test_bass_alignment_rows_are_distributions(bass):
    tokens, align = greedy_bass(bass.model, bass.data.src_test[:2], bos=bass.data.bos)
    assert tokens.shape == (2, bass.data.window) and align.shape == (2, bass.data.window, bass.data.window)
    np.testing.assert_allclose(align.sum(-1), 1.0, atol=1e-5)
    assert tokens.min() >= 0 and tokens.max() < bass.data.vocab


# ---------------------------------------------------------------- the viewer


def test_viewer_threshold_controls_what_is_kept_and_heard(instruments):
    from musynth_lab.widgets import AttentionViewer

    viewer = AttentionViewer.from_instrument_demo(instruments[0], n=2)
    viewer.controls["threshold"].value = 0.2
    low = viewer.result
    viewer.controls["threshold"].value = 0.8
    high = viewer.result
    assert high["fraction_kept"] < low["fraction_kept"]
    assert np.array_equal(high["keep"], high["weights"] > 0.8)
    e_low, e_high = float(np.sum(low["audio"] ** 2)), float(np.sum(high["audio"] ** 2))
    assert 0 < e_high < e_low  # less kept, less heard
    viewer.controls["normalise"].value = "none"  # raw softmax weights: nothing exceeds 0.5
    viewer.controls["threshold"].value = 0.5
    assert viewer.result["fraction_kept"] == 0.0
    assert float(np.abs(viewer.result["audio"]).max()) < 1e-6


def test_viewer_kept_plus_dropped_is_the_whole_note(instruments):
    from musynth_lab.lessons.attention import instrument_examples
    from musynth_lab.widgets.attention_viewer import render_attention

    example = instrument_examples(instruments[0], n=1)[0]
    kept = render_attention(example, 0.5, "max", "kept")["audio"]
    dropped = render_attention(example, 0.5, "max", "dropped")["audio"]
    whole = render_attention(example, 0.5, "max", "all")["audio"]
    np.testing.assert_allclose(kept + dropped, whole, atol=2e-3)


def test_viewer_on_a_score_plays_only_kept_notes(mode):
    from musynth_lab.widgets import AttentionViewer

    viewer = AttentionViewer.from_mode_demo(mode, n=2)
    r = viewer.result
    ex_ = r["example"]
    kept = A.kept_notes(ex_.notes, r["keep"], step=ex_.step)
    assert 0 < kept.sum() < len(kept)
    viewer.controls["threshold"].value = 1.0  # nothing is strictly above the maximum
    assert viewer.result["keep"].sum() == 0 and float(np.abs(viewer.result["audio"]).max()) == 0.0


def test_viewer_rejects_bad_options():
    from musynth_lab.lessons.attention import AttentionExample
    from musynth_lab.widgets.attention_viewer import render_attention

    e = AttentionExample("t", "score", np.ones(2), roll=np.ones((88, 2), bool), notes=np.array([[0, 1, 60.0]]))
    with pytest.raises(ParameterError, match="normalise"):
        render_attention(e, 0.5, "softmax2")
    with pytest.raises(ParameterError, match="threshold"):
        render_attention(e, 1.5)


# ---------------------------------------------------------------- exercise checks


@pytest.mark.parametrize(
    "check, right, wrong",
    [
        (ex.check_source_score, 0.8, 1.8),
        (
            ex.check_softmax_weights,
            A.masked_softmax(np.array([1.0, 2.0, 3.0, 0.5]), np.array([1, 1, 1, 0], bool)),
            np.array([0.25, 0.25, 0.25, 0.25]),
        ),
        (ex.check_max_kept_after_softmax, 1, 2),
        (ex.check_kept_count, 2, 3),
        (ex.check_se_gate_count, 32, 1),
    ],
)
def test_exercise_checks(check, right, wrong):
    assert check(right)
    assert not check(wrong)
    assert not check("not a number")


# ---------------------------------------------------------------- the seq2seq scores


def _scores(net, n=6, m=5, seed=0):
    """Weights of ``net`` for random decoder states, and the query/key inputs [state; position code]."""
    torch.manual_seed(seed)
    src = torch.randint(0, net.vocab, (2, n))
    enc, final, _, keys = net.encode(src)
    dec = torch.randn(2, m, net.decoder.hidden_size)
    _, w = net.step(enc, final, keys, dec)
    q_in = torch.cat([dec, net.pe[:m].expand(2, -1, -1)], -1)
    k_in = torch.cat([enc, net.pe[:n].expand(2, -1, -1)], -1)
    return w, q_in, k_in


def test_general_score_is_luongs_unscaled_bilinear_form():
    """score='general' is s^T W_a h with no 1/sqrt(d) (Luong et al. 2015)."""
    net = Seq2SeqAttention(20, d=8, d_pos=4, score="general").eval()
    with torch.no_grad():
        w, q_in, k_in = _scores(net)
        e = q_in @ net.w_general.weight @ k_in.transpose(1, 2)  # q^T W_a k
        torch.testing.assert_close(w, torch.softmax(e, -1), atol=1e-6, rtol=1e-5)
        scaled = torch.softmax(e / np.sqrt(q_in.shape[-1]), -1)
        assert (w - scaled).abs().max() > 1e-3  # scaling would give other weights


def test_dot_score_is_a_scaled_dot_product_of_projections():
    net = Seq2SeqAttention(20, d=8, d_pos=4, score="dot").eval()
    with torch.no_grad():
        w, q_in, k_in = _scores(net)
        e = net.q_proj(q_in) @ net.k_proj(k_in).transpose(1, 2) / np.sqrt(8)
        torch.testing.assert_close(w, torch.softmax(e, -1), atol=1e-6, rtol=1e-5)


def test_seq2seq_rejects_an_unknown_score():
    with pytest.raises(ParameterError, match="general"):
        Seq2SeqAttention(20, score="luong")


# ---------------------------------------------------------------- several seeds


def test_seed_comparison_verdict_follows_the_paired_differences():
    better = D.SeedComparison("att", "base", (0, 1, 2), {"acc": (np.array([0.8, 0.7, 0.9]), np.array([0.6, 0.6, 0.85]))})
    assert better.verdict("acc").startswith("att is better than base on every seed")
    assert better.summary("acc")["difference"] == pytest.approx((0.35 / 3, 0.05, 0.2), abs=1e-6)
    worse = D.SeedComparison("att", "base", (0, 1, 2), {"acc": (np.array([0.5, 0.6, 0.7]), np.array([0.6, 0.7, 0.8]))})
    assert worse.verdict("acc").startswith("att is worse than base on every seed")
    # the means differ (0.73 vs 0.62) but the sign changes with the seed: no consistent difference
    mixed = D.SeedComparison("att", "base", (0, 1, 2), {"acc": (np.array([0.9, 0.9, 0.4]), np.array([0.6, 0.6, 0.6]))})
    assert mixed.verdict("acc").startswith("no consistent difference: att is ahead on 2 of 3 seeds")
    table = mixed.table({"acc": "accuracy"})
    assert "| accuracy | 0.733 (0.400-0.900) | 0.600 (0.600-0.600) | +0.133 (-0.200 to +0.300) |" in table
    with pytest.raises(ParameterError, match="metric"):
        mixed.summary("loss")


def test_compare_with_baseline_trains_each_seed_with_and_without_attention():
    rng = np.random.default_rng(0)
    x = rng.random((16, 6, 24)).astype(np.float32)
    mask, y = np.ones((16, 6), bool), np.array([0, 1] * 8)
    data = D.ModeData(x, mask, y, x, mask, y, pieces_test=[])
    c = D.compare_with_baseline(D.train_mode_classifier, seeds=(3, 5), epochs=2, device="cpu", data=data)
    assert c.seeds == (3, 5) and len(c.runs) == 2
    for (att, base), seed in zip(c.runs, c.seeds):
        assert att.model.attention is not None and base.model.attention is None
        again = D.train_mode_classifier(attention=False, seed=seed, epochs=2, device="cpu", data=data)
        assert again.test_accuracy == base.test_accuracy
    assert c.metrics["test_accuracy"][1].tolist() == [b.test_accuracy for _, b in c.runs]
    with pytest.raises(ParameterError, match="seeds"):
        D.compare_with_baseline(D.train_mode_classifier, seeds=(1,), data=data)


# ---------------------------------------------------------------- what the instrument model used


def test_release_probe_measures_weights_interventions_and_the_release(instruments):
    att, _ = instruments
    p = D.release_probe(att)
    assert p.release_frames.sum() == 7 and not p.release_frames[:25].any()  # frames centred at >= 0.8 s
    assert np.all((p.attention_on_release >= 0) & (p.attention_on_release <= 1))
    # ten balanced classes: the mean of the per-class accuracies is the accuracy
    assert p.accuracy.mean() == pytest.approx(att.test_accuracy)
    assert set(p.called_without_release) <= set(p.names)
    # the shortcut the notebook names: the trumpet's samples share one release, the most uniform of the ten
    assert int(np.argmin(p.release_drop_sd_db)) == p.names.index("trumpet")
    assert p.row("trumpet")["release_drop_sd_db"] < 1.0
    assert "trumpet:" in p.verdict("trumpet") and "| trumpet |" in p.table()
    with pytest.raises(ParameterError, match="key_up"):
        D.release_probe(att, key_up=5.0)
