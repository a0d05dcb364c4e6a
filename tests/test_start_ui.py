"""Chapter 0: the NoteBrowser panel and the exercise checks."""

import numpy as np
import pytest

import musynth_lab as ml
from musynth_lab import data, exercises


def test_note_browser_rerenders_on_change():
    from musynth_lab.widgets import NoteBrowser

    panel = NoteBrowser(instrument="piano", pitch=60, velocity=110)
    assert panel.renders == 1 and panel.result[2] == 60
    first = panel.result[0]
    panel.controls["instrument"].value = "flute"  # flute notes start at MIDI 60
    assert panel.renders == 2
    assert not np.array_equal(panel.result[0], first)
    panel.controls["pitch"].value = 40  # below the flute's range: the nearest bundled note
    assert panel.result[2] == 60
    panel.controls["pitch"].value = 72
    audio, sr, pitch = panel.result
    f0 = np.median(__import__("librosa").yin(audio[2000:10000], fmin=100, fmax=2000, sr=sr))
    assert abs(ml.hz_to_midi(float(f0)) - 72) < 0.3
    sliders = [w for w in panel.controls.values() if hasattr(w, "continuous_update")]
    assert sliders and all(w.continuous_update is False for w in sliders)


def test_exercise_checks_accept_right_and_reject_wrong_answers():
    assert exercises.check_midi_of_a4(69)
    assert not exercises.check_midi_of_a4(57)
    assert not exercises.check_midi_of_a4("A4")
    assert exercises.check_db_of_half(-6.02)
    assert not exercises.check_db_of_half(-3.0)
    rms = {n: float(np.sqrt(np.mean(data.load_notes(instrument=n, velocity=110).audio ** 2))) for n in data.list_instruments()}
    best = max(rms, key=rms.get)
    assert exercises.check_loudest_instrument(best)
    assert not exercises.check_loudest_instrument(min(rms, key=rms.get))
    assert "✓" in repr(exercises.check_midi_of_a4(69))


@pytest.mark.parametrize("name", ["data", "audio", "models", "plot", "widgets", "exercises"])
def test_subpackages_import_lazily(name):
    assert getattr(ml, name).__name__ == f"musynth_lab.{name}"


def test_import_loads_no_subpackage_until_asked():
    import ast
    import subprocess
    import sys

    code = "import sys, musynth_lab; print(sorted(m for m in sys.modules if m.startswith('musynth_lab.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert ast.literal_eval(loaded) == ["musynth_lab.audio", "musynth_lab.errors"]  # the helpers re-exported at top level
