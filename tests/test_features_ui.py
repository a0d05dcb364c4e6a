"""FeatureExplorer panel, chapter-3 figures and exercise checks."""

import numpy as np
import pytest

from musynth_lab.exercises import features as ex
from musynth_lab.plot import features as P
from musynth_lab.widgets.feature_explorer import FEATURES, FeatureExplorer, render_feature


def test_render_feature_kinds_and_physics():
    r = render_feature("note: flute A4", "spectral_centroid", n_fft=1024, hop_length=256)
    assert r["kind"] == "curve" and r["values"].shape == (1 + len(r["audio"]) // 256,)
    c = render_feature("note: flute A4", "chroma_cqt")
    assert c["values"].shape[0] == 12 and int(c["values"].mean(axis=1).argmax()) == 9  # A
    f0 = render_feature("note: flute A4", "yin")["values"]
    assert abs(np.median(f0) - 440) < 10


def test_feature_explorer_rerenders_on_change():
    panel = FeatureExplorer(recording="note: piano C4", feature="rms")
    assert panel.result["feature"] == "rms"
    panel.controls["feature"].value = "melspectrogram"
    panel.controls["n_bins"].value = 40
    assert panel.result["values"].shape[0] == 40 and panel.renders >= 3
    panel.controls["feature"].value = "mfcc"
    assert panel.result["values"].shape[0] == 40


@pytest.mark.parametrize("name", ["stft", "gfcc", "cqt", "chroma_stft", "spectral_contrast", "onset_strength"])
def test_every_feature_renders(name):
    r = render_feature("note: choir C4", name, n_fft=1024, hop_length=512)
    assert np.isfinite(r["values"]).all() and r["kind"] == FEATURES[name][1]
    # the declared kind must fit the array the panel draws: a curve is one value per frame, an image is 2-D
    assert r["values"].ndim == (1 if r["kind"] == "curve" else 2)
    assert r["values"].shape[-1] == pytest.approx(1 + len(r["audio"]) // 512, abs=1)


def test_plots():
    ax = P.feature_curve(np.arange(5.0), sr=100, hop_length=10, label="a")
    assert ax.lines[0].get_xdata()[-1] == pytest.approx(0.4)
    assert len(P.timing_bars({"a": 0.1, "b": 0.2}).patches) == 2
    assert len(P.gv_bars(np.ones(3), np.ones(3)).patches) == 6


def test_exercise_checks_accept_right_and_reject_wrong():
    assert ex.check_n_frames(44) and not ex.check_n_frames(43)
    assert ex.check_sine_crest_factor(1.414) and not ex.check_sine_crest_factor(1.0)
    assert ex.check_flute_pitch_class("A") and ex.check_flute_pitch_class(9) and not ex.check_flute_pitch_class("C")
    from musynth_lab.data import list_excerpts, load_excerpt
    from musynth_lab.features import gv_ratio, mfcc, smooth_trajectory

    e = load_excerpt(list_excerpts()[0])
    m = mfcc(e.audio, sr=e.sr, n_mfcc=13)[1:]
    r = float(gv_ratio(smooth_trajectory(m, width=9), m))
    assert 0.1 < r < 0.95
    assert ex.check_smoothing_gv(r) and not ex.check_smoothing_gv(1.0)
