"""The chapter-2 trained demos, the AttentionViewer and the chapter-2 exercise checks.

Each demo is trained once per session on the CPU (seeded, so the figures are reproducible)
and measured on held-out data it never saw:

* instruments: unseen pitches (every 4th pitch of each instrument); ten balanced classes, so
  chance is 0.1; location attention must reach 0.6 and must not fall below the same CNN with
  average pooling (the stated no-attention baseline);
* chorale mode: the val + test chorales; must beat always-answering-the-majority-mode by 0.1
  and the same network with mean pooling (no attention) by 0.05;
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
from musynth_lab.models.seq2seq import greedy_bass


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


def test_mode_classifier_beats_majority_and_mean_pooling(mode, mode_baseline):
    assert len(mode.data.y_test) == 110
    assert mode.test_accuracy >= mode.chance + 0.1, (mode.test_accuracy, mode.chance)
    assert mode.test_accuracy >= mode_baseline.test_accuracy + 0.05, (mode.test_accuracy, mode_baseline.test_accuracy)


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
