"""musynth_lab.data: the bundled sets are what data/README.md says they are."""

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import librosa
import numpy as np
import pytest

import musynth_lab as ml
from musynth_lab import ParameterError, data

ROOT = Path(__file__).resolve().parents[1]


def _build_script():
    spec = importlib.util.spec_from_file_location("build_data", ROOT / "scripts" / "build_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------- chorales


def test_split_is_by_piece_about_70_15_15_and_reproducible():
    pieces = data.load_chorales("all")
    assert len(pieces) >= 350
    ids = {s: {p.id for p in data.load_chorales(s)} for s in data.SPLITS}
    assert not (ids["train"] & ids["val"]) and not (ids["train"] & ids["test"]) and not (ids["val"] & ids["test"])
    assert sum(len(v) for v in ids.values()) == len(pieces)
    frac = {s: len(v) / len(pieces) for s, v in ids.items()}
    assert 0.62 < frac["train"] < 0.78 and 0.09 < frac["val"] < 0.21 and 0.09 < frac["test"] < 0.21
    split_of = _build_script().split_of  # the split is a pure function of the piece's id
    assert all(p.split == split_of(p.id) for p in pieces)


def test_chorale_contents_are_four_part_music():
    for p in data.load_chorales("val"):
        assert sorted(p.parts) == ["A", "B", "S", "T"]
        # voices sit in their ranges on average: soprano above alto above tenor above bass
        means = [p.parts[k][:, 2].mean() for k in "SATB"]
        assert means == sorted(means, reverse=True), p.id
        assert p.key_mode in ("major", "minor") and 0 <= p.key_tonic_pc < 12
        assert len(p.beats) == int(np.ceil(p.length_q - 1e-6))
        assert set(p.chords) <= set(range(25))


def test_chord_labels_agree_with_the_key():
    # Over the training set the tonic triad is the most common chord, as harmony predicts.
    hits = total = 0
    for p in data.load_chorales("train"):
        tonic = data.chord_index(p.key_tonic_pc, "maj" if p.key_mode == "major" else "min")
        counts = np.bincount(p.chords, minlength=25)[:24]
        hits += counts.argmax() == tonic
        total += 1
    assert hits / total > 0.7


def test_chord_vocabulary():
    assert data.chord_index(0, "maj") == 0 and data.chord_name(0) == "C:maj"
    assert data.chord_index(9, "min") == 21 and data.chord_name(21) == "A:min"
    assert data.chord_index(11, "dim") == 23 and data.chord_index(0, "aug") == 0
    assert data.chord_index(-1, "N") == 24 and len(data.CHORD_NAMES) == 25
    with pytest.raises(ParameterError, match="quality='sus4'"):
        data.chord_index(0, "sus4")
    with pytest.raises(ParameterError, match="root=12"):
        data.chord_index(12, "maj")


def test_piano_roll_matches_the_notes():
    p = data.load_chorales("train")[0]
    roll = data.piano_roll(p, step=1.0)
    assert roll.shape == (88, int(np.ceil(p.length_q)))
    assert roll.sum(axis=0).max() <= 4
    on, dur, midi = p.parts["S"][0]
    assert roll[int(midi) - 21, int(np.ceil(on))]
    eighth = data.piano_roll(p, step=0.5, parts=["B"])
    assert eighth.shape[1] == int(np.ceil(p.length_q / 0.5)) and eighth.sum(axis=0).max() == 1
    with pytest.raises(ParameterError, match="parts contains 'X'"):
        data.piano_roll(p, parts=["X"])
    with pytest.raises(ParameterError, match="step=0"):
        data.piano_roll(p, step=0)


def test_melody_tokens_round_trip():
    n_checked = 0
    for p in data.load_chorales("test"):
        notes = p.parts["S"]
        on_grid = np.allclose(notes[:, :2] * 2, np.round(notes[:, :2] * 2))
        if not on_grid:
            continue
        back = data.tokens_to_notes(data.melody_tokens(p, step=0.5), step=0.5)
        np.testing.assert_allclose(back, notes)
        n_checked += 1
    assert n_checked >= 20
    up = data.melody_tokens(data.load_chorales("test")[0], transpose=2)
    base = data.melody_tokens(data.load_chorales("test")[0])
    assert np.array_equal(up[base >= 2], base[base >= 2] + 2)
    with pytest.raises(ParameterError, match="transpose=40"):
        data.melody_tokens(data.load_chorales("test")[0], transpose=40)


def test_unknown_split():
    with pytest.raises(ParameterError, match="split='training'"):
        data.load_chorales("training")
    with pytest.raises(ParameterError, match="split='dev'"):
        data.list_excerpts("dev")


# ---------------------------------------------------------------------------- notes


def test_note_set_shape_and_metadata():
    notes = data.load_notes()
    assert notes.audio.shape == (480, 16000) and notes.sr == 16000
    assert len(data.list_instruments()) == 10 and len(set(notes.family.tolist())) == 10
    for name in data.list_instruments():
        sel = data.load_notes(instrument=name)
        assert len(sel) == 48 and len(set(sel.pitch.tolist())) == 24
        assert sorted(set(sel.velocity.tolist())) == [60, 110]
    assert "choir" in data.list_instruments()  # the voice-like sample


@pytest.mark.parametrize("instrument", ["flute", "organ", "violin", "clarinet", "choir", "trumpet"])
def test_notes_sound_at_their_labelled_pitch(instrument):
    notes = data.load_notes(instrument=instrument, velocity=110)
    errors = []
    for y, midi in zip(notes.audio[::3], notes.pitch[::3]):
        f0 = librosa.yin(y[2000:10000], fmin=60, fmax=2000, sr=16000, frame_length=2048)
        errors.append(abs(ml.hz_to_midi(float(np.median(f0))) - midi))
    assert np.median(errors) < 0.3, errors  # within 30 cents


def test_velocity_changes_level():
    loud = data.load_notes(instrument="piano", velocity=110).audio
    soft = data.load_notes(instrument="piano", velocity=60).audio
    assert np.sqrt((loud**2).mean()) > 1.5 * np.sqrt((soft**2).mean())


def test_note_filters_and_bad_names():
    sel = data.load_notes(family="vocal", pitch=[60, 61])
    assert set(sel.instrument.tolist()) == {"choir"} and len(sel) == 4
    y, names = sel.labels("pitch")
    assert names == [60, 61] and sorted(set(y.tolist())) == [0, 1]
    with pytest.raises(ParameterError, match="instrument='kazoo'.*expected one of"):
        data.load_notes(instrument="kazoo")
    with pytest.raises(ParameterError, match="family='woodwind'"):
        data.load_notes(family="woodwind")
    with pytest.raises(ParameterError, match="no bundled note matches"):
        data.load_notes(instrument="bass", pitch=100)
    with pytest.raises(ParameterError, match="field_name='colour'"):
        sel.labels("colour")
    mine = data.load_notes(instrument="flute").audio
    mine[:] = 0  # a user's changes never leak into the next load
    assert np.abs(data.load_notes(instrument="flute").audio).max() > 0.01


# ---------------------------------------------------------------------------- excerpts


def test_excerpt_inventory():
    names = data.list_excerpts()
    assert len(names) >= 10
    by_split = {s: data.list_excerpts(s) for s in data.SPLITS}
    assert all(by_split.values()) and sum(map(len, by_split.values())) == len(names)
    pieces = {data.load_excerpt(n).piece_id for n in names}
    assert len(pieces) == len(names)  # each excerpt is a different piece
    ensembles = {data.load_excerpt(n).ensemble for n in names}
    assert len(ensembles) >= 4
    with pytest.raises(ParameterError, match="name='bwv0'"):
        data.load_excerpt("bwv0")


@pytest.mark.parametrize("name", data.list_excerpts())
def test_excerpt_annotations_match_the_audio(name):
    ex = data.load_excerpt(name)
    assert 15 <= ex.duration <= 35 and ex.sr == 22050
    # Each excerpt's split is its piece's split.
    assert ex.split == {p.id: p.split for p in data.load_chorales("all")}[ex.piece_id]
    # Energy is where notes are annotated.
    hop = 512
    rms = librosa.feature.rms(y=ex.audio, hop_length=hop)[0]
    active = ex.pitch_frames(hop_length=hop, n_frames=len(rms)).any(axis=0)
    assert rms[active].mean() > 1.5 * rms[~active].mean()
    # Annotated onsets line up with the audio: the lag that best aligns an impulse train of annotated
    # onsets with librosa's onset strength is small and positive (detector bias plus the instrument's
    # attack time), and the same in both halves of the excerpt (no drift).
    hop = 256
    env = librosa.onset.onset_strength(y=ex.audio, sr=ex.sr, hop_length=hop)
    starts = np.unique(ex.notes[:, 0]) // hop
    lags = np.arange(-8, 16)  # -93 ms .. +174 ms: less than half a beat, so periodicity cannot fool it

    def best_lag(frames):
        imp = np.zeros_like(env)
        imp[frames[frames < len(env)]] = 1
        return lags[int(np.argmax([np.dot(np.roll(imp, lag), env) for lag in lags]))] * hop / ex.sr

    lag = best_lag(starts)
    assert 0.0 <= lag <= 0.1, f"{name}: onsets lag the annotations by {lag * 1e3:.0f} ms"
    half = len(starts) // 2
    assert abs(best_lag(starts[:half]) - best_lag(starts[half:])) <= 0.1  # a 5% tempo error drifts ~0.5 s


def test_excerpt_resampling_rescales_annotations():
    name = data.list_excerpts("test")[0]
    a = data.load_excerpt(name)
    b = data.load_excerpt(name, sr=16000)
    assert b.sr == 16000 and abs(len(b.audio) - len(a.audio) * 16000 / 22050) <= 1
    np.testing.assert_allclose(b.beats[:, 0], np.round(a.beats[:, 0] * 16000 / 22050), atol=1)
    frames = a.chord_frames(hop_length=512)
    assert frames.shape == (1 + len(a.audio) // 512,) and set(frames) <= set(range(25))
    with pytest.raises(ParameterError, match="hop_length=0"):
        a.chord_frames(hop_length=0)


# ---------------------------------------------------------------------------- packaging


def test_data_is_small_and_licensed():
    files = [p for p in (ROOT / "data").rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < 25 * 2**20, f"data/ is {total / 2**20:.1f} MB"
    readme = (ROOT / "data" / "README.md").read_text()
    for folder in ("chorales", "notes", "excerpts"):
        assert f"`{folder}/`" in readme
    assert "MIT" in readme and "public domain" in readme.lower()


def test_loaders_work_from_an_installed_wheel(tmp_path):
    """Build the wheel, unpack it somewhere else, and load every set from it with no repo in sight."""
    pytest.importorskip("hatchling")
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(wheel_dir),
        ],
        check=True,
    )
    wheel = next(wheel_dir.glob("musynth_lab-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import musynth_lab.data as d, pathlib;"
        "p = d.data_dir(); assert 'site' in str(p) and '_data' in str(p), p;"
        "assert len(d.load_chorales('test')) > 20;"
        "assert d.load_notes(instrument='organ').audio.shape == (48, 16000);"
        "assert d.load_excerpt(d.list_excerpts()[0]).duration > 10; print('ok')"
    )
    env = {k: v for k, v in os.environ.items() if k != "MUSYNTH_DATA"}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
