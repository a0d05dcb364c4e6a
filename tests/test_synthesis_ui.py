"""Chapter 5's GenerationPanel and exercise checks."""

import numpy as np
import pytest

from musynth_lab import ParameterError, data, exercises
from musynth_lab.generate import greedy, sequence_log_prob
from musynth_lab.stats.ngram import NGramModel
from musynth_lab.widgets.generation_panel import render_generation


@pytest.fixture(scope="module")
def trigram():
    return NGramModel(3, vocab_size=data.N_MELODY_TOKENS).fit([p.melody_tokens() for p in data.load_chorales("train")])


def test_render_generation_strategies(trigram):
    prompt = data.load_chorales("test")[0].melody_tokens()[:8]
    models = {"trigram": trigram}
    g = render_generation(models, prompt, model="trigram", strategy="greedy", steps=16)
    assert np.array_equal(g["tokens"], greedy(trigram, prompt, steps=16)[0].numpy())
    b = render_generation(models, prompt, model="trigram", strategy="beam", beam_width=4, steps=16)
    assert b["log_prob"] >= g["log_prob"] - 1e-4
    tonic = render_generation(models, prompt, model="trigram", strategy="beam", steps=16, key_tonic_pc=7)
    assert int(tonic["notes"][-1, 2]) % 12 == 7  # the constrained beam ends on the tonic
    hot = render_generation(models, prompt, model="trigram", strategy="sample", temperature=2.0, steps=16, seed=1)
    assert hot["log_prob"] < b["log_prob"]
    for r in (g, b, hot):
        assert r["roll"].shape[0] == 88 and r["audio"].ndim == 1 and np.isfinite(r["audio"]).all()
        assert r["log_prob"] == pytest.approx(float(sequence_log_prob(trigram, r["tokens"][None], prompt_len=8)))


def test_generation_panel_rerenders(trigram):
    from musynth_lab.widgets import GenerationPanel

    prompt = data.load_chorales("test")[0].melody_tokens()[:8]
    panel = GenerationPanel({"trigram": trigram}, prompt, steps=12)
    first = panel.result["tokens"].copy()
    panel.controls["seed"].value = 3
    assert panel.renders == 2 and not np.array_equal(panel.result["tokens"], first)
    panel.controls["strategy"].value = "greedy"
    assert np.array_equal(panel.result["tokens"], greedy(trigram, prompt, steps=12)[0].numpy())
    panel.controls["strategy"].value = "annealed"
    geometric = panel.result["tokens"].copy()
    panel.controls["schedule"].value = "logarithmic"  # stays hot longer: a different melody
    assert not np.array_equal(panel.result["tokens"], geometric)
    with pytest.raises(ParameterError, match="strategy='best'"):
        render_generation({"trigram": trigram}, prompt, model="trigram", strategy="best")
    with pytest.raises(ParameterError, match="model='gpt'"):
        render_generation({"trigram": trigram}, prompt, model="gpt", strategy="greedy")


def test_chapter_5_checks():
    assert exercises.check_nats_to_bits(8.5, 8.5 / np.log(2))
    assert not exercises.check_nats_to_bits(8.5, 8.5 * np.log(2))
    seqs = [[1, 2, 1, 2], [3, 4, 5]]
    assert exercises.check_distinct_bigrams(seqs, 4 / 5)
    assert not exercises.check_distinct_bigrams(seqs, 1.0)
    assert exercises.check_hotter_is_more_diverse(1.5) and not exercises.check_hotter_is_more_diverse(0.5)
    assert exercises.check_beam_vs_greedy(-10.0, -12.0, True)
    assert not exercises.check_beam_vs_greedy(-10.0, -12.0, False)
