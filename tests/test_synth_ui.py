"""SynthPanel (driven headlessly), plot.synth figures and the chapter-1a exercise checks."""

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from musynth_lab import ParameterError, exercises as E, plot
from musynth_lab import synth as S


def centroid(y, sr):
    s = np.abs(np.fft.rfft(y))
    return float((s * np.fft.rfftfreq(len(y), 1 / sr)).sum() / s.sum())


def test_panel_sliders_come_from_the_declarations():
    from musynth_lab.widgets import SynthPanel
    import ipywidgets as W

    panel = SynthPanel("subtractive", sr=8000, duration_s=0.5)
    decl = {p.name: p for p in S.SubtractiveVoice.PARAMS}
    assert isinstance(panel.controls["cutoff_hz"], W.FloatLogSlider)  # a 'log' curve
    assert isinstance(panel.controls["midi_f0"], W.IntSlider)
    assert panel.controls["sustain"].min == decl["sustain"].lo and panel.controls["sustain"].max == decl["sustain"].hi
    assert "(Hz)" in panel.controls["cutoff_hz"].description
    assert all(not w.continuous_update for w in panel.controls.values())
    assert panel.renders == 1 and panel.result["audio"].shape == (4000,)


def test_panel_cutoff_slider_darkens_the_sound():
    from musynth_lab.widgets import SynthPanel

    panel = SynthPanel("subtractive", sr=16000, duration_s=0.5, filter_env_octaves=0.0)
    panel.controls["filter_env_octaves"].value = 0.0
    panel.controls["cutoff_hz"].value = 4000.0
    bright = centroid(panel.result["audio"], 16000)
    panel.controls["cutoff_hz"].value = 300.0
    dark = centroid(panel.result["audio"], 16000)
    assert dark < 0.6 * bright and panel.renders >= 3


def test_panel_release_and_reverb_lengthen_the_tail():
    from musynth_lab.widgets import SynthPanel

    panel = SynthPanel("fm", sr=8000, duration_s=1.5, note_off=0.3)
    panel.controls["decay"].value = 4.0
    tail = lambda: float(np.sqrt(np.mean(panel.result["audio"][int(0.9 * 8000) :] ** 2)))  # noqa: E731
    dry = tail()
    panel.controls["reverb_mix"].value = 0.6
    panel.controls["rt60"].value = 3.0
    assert tail() > 5 * dry + 1e-4


def test_panel_fm_index_widens_the_spectrum():
    from musynth_lab.widgets import SynthPanel

    panel = SynthPanel("fm", sr=16000, duration_s=0.5, i_sustain=1.0, sustain=1.0)
    panel.controls["index"].value = 0.0
    narrow = centroid(panel.result["audio"], 16000)
    panel.controls["index"].value = 8.0
    assert centroid(panel.result["audio"], 16000) > 1.5 * narrow


def test_panel_bad_input():
    from musynth_lab.widgets import SynthPanel

    with pytest.raises(ParameterError, match="voice"):
        SynthPanel("granular")
    with pytest.raises(ParameterError, match="controls"):
        SynthPanel("fm", controls=["cutoff_hz"])


def test_plots_return_axes():
    b, a = S.biquad_coefficients("lowpass", cutoff_hz=torch.tensor([500.0, 2000.0]), sr=16000)
    ax = plot.filter_response(b, a, sr=16000, labels=["500", "2000"])
    assert len(ax.get_lines()) == 2
    y = S.fm_tone(1000.0, ratio=0.25, index=1.5, n_samples=8000, sr=8000)[0]
    assert plot.fm_spectrum(y, sr=8000, carrier_hz=1000.0, modulator_hz=250.0, index=1.5).get_xlabel() == "frequency (Hz)"
    assert plot.energy_decay(S.schroeder_ir(rt60=0.4, sr=8000)[0], sr=8000, label="x").get_ylim()[0] == -80
    assert plot.note_pattern(S.accompaniment(["C", "F"], style="waltz"), beats_per_bar=3).get_ylabel() == "MIDI pitch"


def test_exercise_checks_accept_right_and_reject_wrong_answers():
    good = dict(attack=0.01, decay=0.1, sustain=0.6, release=0.2, note_off=0.8)
    assert E.check_adsr_level(good)
    assert not E.check_adsr_level(dict(good, sustain=0.5))
    assert not E.check_adsr_level(dict(good, attack=-1.0))
    assert E.check_bell_ratio(2**0.5) and not E.check_bell_ratio(1.4) and not E.check_bell_ratio(0.3)
    assert not E.check_bell_ratio(2.0) and not E.check_bell_ratio(1.5)
    assert E.check_lowpass_cutoff(2000.0) and not E.check_lowpass_cutoff(1800.0)
    assert E.check_rt60_feedback(10 ** (-3 * 1557 / (2.0 * 44100))) and not E.check_rt60_feedback(0.5)
    assert E.check_waltz_bass(S.accompaniment(["C", "G7", "C"], style="waltz"))
    assert not E.check_waltz_bass(S.accompaniment(["C", "G7", "C"], style="block"))
    assert not E.check_waltz_bass(S.accompaniment(["G", "C", "G"], style="waltz"))
