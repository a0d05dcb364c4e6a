"""Annealed Gibbs resampling of chorale voices (chapter 5's 采样退火 applied to harmony)."""

import numpy as np
import pytest

from musynth_lab import ParameterError, data, seed_everything
from musynth_lab.models import fit, predict
from musynth_lab.models.gibbs import LOW, N_PITCH, VoiceInfiller, annealed_gibbs, infill_examples, pseudo_nll, voices_grid


@pytest.fixture(scope="module")
def infiller():
    X, y = infill_examples(data.load_chorales("train"), n=6000, seed=0)
    seed_everything(0)
    m = VoiceInfiller(hidden=96)
    fit(m, (X, y), epochs=4, lr=3e-3, batch_size=128, progress=False, device="cpu", seed=0)
    return m


def test_voices_grid_follows_the_score():
    piece = data.load_chorales("train")[0]
    g = voices_grid(piece, step=1.0)
    on, dur, midi = piece.parts["B"][0]
    assert g[3, int(np.ceil(on))] == midi
    sounding = g >= 0
    assert np.all(g[0][sounding[0] & sounding[1]] >= g[1][sounding[0] & sounding[1]])  # soprano above alto


def test_infiller_predicts_held_out_notes_far_above_the_frequency_baseline(infiller):
    Xv, yv = infill_examples(data.load_chorales("val"), n=2000, seed=1)
    acc = float((predict(infiller, Xv, device="cpu").argmax(-1).numpy() == yv).mean())
    _, ytr = infill_examples(data.load_chorales("train"), n=6000, seed=0)
    majority = float((yv == np.bincount(ytr).argmax()).mean())
    assert acc > majority + 0.25, (acc, majority)


def test_annealing_lowers_the_energy_and_keeps_the_given_voice(infiller):
    piece = data.load_chorales("test")[0]
    true = voices_grid(piece)[:, :24]
    rng = np.random.default_rng(0)
    start = true.copy()
    for v in (1, 2, 3):
        on = start[v] >= 0
        start[v, on] = rng.integers(LOW + 8, LOW + N_PITCH - 8, on.sum())
    before = pseudo_nll(infiller, start, voices=(1, 2, 3))
    out, energies = annealed_gibbs(infiller, start, resample=(1, 2, 3), sweeps=5, seed=0)
    assert energies[-1] < 0.5 * before
    assert np.array_equal(out[0], true[0])  # the soprano was given, never changed
    assert np.array_equal(out < 0, start < 0)  # rests stay rests
    again, _ = annealed_gibbs(infiller, start, resample=(1, 2, 3), sweeps=5, seed=0)
    assert np.array_equal(out, again)  # reproducible under a seed


def test_bad_input(infiller):
    g = voices_grid(data.load_chorales("test")[0])[:, :8]
    with pytest.raises(ParameterError, match="resample"):
        annealed_gibbs(infiller, g, resample=(4,))
    with pytest.raises(ParameterError, match="sweeps=0"):
        annealed_gibbs(infiller, g, sweeps=0)
    with pytest.raises(ParameterError, match="grid"):
        annealed_gibbs(infiller, g[:3])
