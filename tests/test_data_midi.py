"""MIDI and MusicXML in and out, rendering with the sampler, and folders of the student's own music (issue 17)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from musynth_lab import ParameterError, save
from musynth_lab.data import (
    HOLD,
    N_MELODY_TOKENS,
    REST,
    Chorale,
    Piece,
    gm_instrument,
    load_audio_folder,
    load_chorales,
    load_midi,
    load_midi_folder,
    melody_tokens,
    piano_roll,
    save_midi,
)
from musynth_lab.synth import render_midi

mido = pytest.importorskip("mido")
ROOT = Path(__file__).resolve().parents[1]


def _same_notes(a: Chorale, b: Chorale) -> bool:
    return all(a.parts[k].shape == b.parts[k].shape and np.allclose(a.parts[k], b.parts[k]) for k in "SATB")


# ---------------------------------------------------------------------------- round trips


def test_every_bundled_chorale_round_trips_through_midi(tmp_path):
    pieces = load_chorales("all")
    assert len(pieces) == 409
    n_notes, wrong = 0, []
    for c in pieces:
        path = tmp_path / f"{c.id}.mid"
        save_midi(c, path)
        back = load_midi(path)
        n_notes += sum(len(v) for v in c.parts.values())
        same = (
            _same_notes(c, back)
            and (back.key_tonic_pc, back.key_mode, back.meter, back.bar_q, back.pickup_q, back.length_q)
            == (c.key_tonic_pc, c.key_mode, c.meter, c.bar_q, c.pickup_q, c.length_q)
            and np.array_equal(back.beats, c.beats)
            and back.qualities == c.qualities
            and np.array_equal(back.fermatas, c.fermatas)
            and back.id == c.id
            and back.split == c.split
        )
        if not same:
            wrong.append(c.id)
    assert wrong == []
    assert n_notes == 96564


# every 50th chorale, plus the odd metres (3/2, 12/8) and the longer pick-ups (1.5 and 2 quarters)
def _musicxml_subset():
    pieces = load_chorales("all")
    chosen = {c.id: c for c in pieces[::50]}
    for c in pieces:
        if c.meter in ((3, 2), (12, 8)) or c.pickup_q in (1.5, 2.0):
            chosen[c.id] = c
    return list(chosen.values())


def test_chorales_round_trip_through_musicxml(tmp_path):
    pytest.importorskip("music21")
    from musynth_lab.data import load_musicxml, save_musicxml

    subset = _musicxml_subset()
    assert len(subset) >= 12
    wrong = []
    for c in subset:
        path = tmp_path / f"{c.id}.musicxml"
        save_musicxml(c, path)
        back = load_musicxml(path)
        if not (
            _same_notes(c, back)
            and (back.key_tonic_pc, back.key_mode, back.meter, back.pickup_q) == (c.key_tonic_pc, c.key_mode, c.meter, c.pickup_q)
            and np.array_equal(back.fermatas, c.fermatas)
        ):
            wrong.append(c.id)
    assert wrong == []


@pytest.mark.parametrize("step", [0.5, 0.25])
def test_melody_tokens_round_trip_at_their_step(tmp_path, step):
    for i, c in enumerate(load_chorales("test")[:10]):
        toks = melody_tokens(c, step=step)
        save_midi(toks, tmp_path / f"{i}.mid", step=step)
        back = melody_tokens(load_midi(tmp_path / f"{i}.mid"), step=step)
        last = np.flatnonzero(toks != REST)[-1] + 1  # the file ends with the last note
        assert np.array_equal(back, toks[:last])


@pytest.mark.parametrize("step", [1.0, 0.5])
def test_piano_rolls_round_trip_at_their_step(tmp_path, step):
    for i, c in enumerate(load_chorales("val")[:10]):
        roll = piano_roll(c, step=step)
        save_midi(roll, tmp_path / f"{i}.mid", step=step)
        back = piano_roll(load_midi(tmp_path / f"{i}.mid", polyphony="keep"), step=step, parts=("S",))
        assert back.shape[1] <= roll.shape[1] and np.array_equal(back, roll[:, : back.shape[1]])
        assert not roll[:, back.shape[1] :].any()


def test_note_lists_and_velocities_round_trip(tmp_path):
    notes = {"S": [[0, 1, 72, 100], [1, 0.5, 74, 40], [1.5, 2.5, 76, 127]], "B": [[0, 4, 48, 64]]}
    save_midi(notes, tmp_path / "v.mid", program={"S": 73, "B": 32}, bpm=72, meter=(3, 4), key="E minor")
    p = load_midi(tmp_path / "v.mid")
    assert p.parts["S"].tolist() == [row[:3] for row in notes["S"]]
    assert p.velocities["S"].tolist() == [100, 40, 127] and p.programs == {"S": 73, "B": 32}
    assert (p.bpm, p.meter, p.key_name) == (72.0, (3, 4), "E minor")
    assert len(p.parts["A"]) == 0 and len(p.parts["T"]) == 0


# ------------------------------------------------------------------ independent readers


def test_a_kit_midi_file_reads_the_same_with_raw_mido(tmp_path):
    c = load_chorales("test")[3]
    path = tmp_path / "c.mid"
    save_midi(c, path, bpm=84, program=19)
    mid = mido.MidiFile(path)
    assert mid.type == 1 and len(mid.tracks) == 5
    metas = {m.type: m for m in mid.tracks[0] if m.is_meta}
    assert round(mido.tempo2bpm(metas["set_tempo"].tempo)) == 84
    sigs = [(m.numerator, m.denominator) for m in mid.tracks[0] if m.type == "time_signature"]
    assert sigs[-1] == c.meter
    key = metas["key_signature"].key
    assert ("m" in key) == (c.key_mode == "minor")
    for track in mid.tracks[1:]:
        name = next(m.name for m in track if m.type == "track_name")
        tick, on, rows = 0, {}, []
        for m in track:
            tick += m.time
            if m.type == "program_change":
                assert m.program == 19
            elif m.type == "note_on" and m.velocity > 0:
                on[m.note] = tick
            elif m.type in ("note_off", "note_on"):
                start = on.pop(m.note)
                rows.append((start / mid.ticks_per_beat, (tick - start) / mid.ticks_per_beat, m.note))
        assert np.allclose(sorted(rows), c.parts[name])


def test_a_kit_midi_file_reads_the_same_with_music21(tmp_path):
    m21 = pytest.importorskip("music21")
    c = load_chorales("test")[5]
    path = tmp_path / "c.mid"
    save_midi(c, path)
    score = m21.converter.parse(str(path), quantizePost=False).stripTies()  # music21 ties notes across its bar lines
    assert len(score.parts) == 4
    for part, name in zip(score.parts, "SATB"):
        flat = part.flatten()
        rows = sorted((float(n.offset), float(n.quarterLength), n.pitch.midi) for n in flat.notes)
        assert np.allclose(rows, c.parts[name])
    ks = score.parts[0].flatten().getElementsByClass(m21.key.KeySignature)[0]
    assert ks.asKey(c.key_mode).tonic.pitchClass == c.key_tonic_pc
    ts = score.parts[0].flatten().getElementsByClass(m21.meter.TimeSignature)[-1]
    assert (ts.numerator, ts.denominator) == c.meter


def test_a_kit_musicxml_file_reads_the_same_with_music21(tmp_path):
    m21 = pytest.importorskip("music21")
    from musynth_lab.data import save_musicxml

    c = load_chorales("train")[7]
    path = tmp_path / "c.musicxml"
    save_musicxml(c, path, bpm=66, program=52)
    score = m21.converter.parse(str(path)).stripTies()
    assert [p.partName for p in score.parts] == list("SATB")
    for part, name in zip(score.parts, "SATB"):
        rows = sorted((float(n.offset), float(n.quarterLength), n.pitch.midi) for n in part.flatten().notes)
        assert np.allclose(rows, c.parts[name])
    k = score.parts[0].flatten().getElementsByClass(m21.key.Key)[0]
    assert (k.tonic.pitchClass, k.mode) == (c.key_tonic_pc, c.key_mode)
    assert score.parts[0].getInstrument().midiProgram == 52
    mm = score.parts[0].flatten().getElementsByClass(m21.tempo.MetronomeMark)[0]
    assert mm.getQuarterBPM() == 66


# ------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("pitch,program", [(69, 73), (57, 0), (64, 52)])
def test_render_midi_plays_the_right_pitch_at_the_right_onset(tmp_path, pitch, program):
    from musynth_lab.features import yin

    sr, bpm, onset_q = 16000, 120, 1.0
    path = tmp_path / "one.mid"
    save_midi([[onset_q, 2.0, pitch]], path, bpm=bpm, program=program)
    y = render_midi(path, sr=sr).numpy()
    start = np.flatnonzero(np.abs(y) > 0.01 * np.abs(y).max())[0] / sr
    assert abs(start - onset_q * 60 / bpm) < 0.01
    steady = y[int(0.65 * sr) : int(1.3 * sr)]  # inside the note (0.5 s .. 1.5 s)
    f0 = float(np.median(yin(steady, fmin=60, fmax=1000, sr=sr, frame_length=1024)))
    cents = 1200 * np.log2(f0 / (440 * 2 ** ((pitch - 69) / 12)))
    assert abs(cents) < 20, (f0, cents)


def test_render_midi_follows_tempo_changes_and_programs(tmp_path):
    mid = mido.MidiFile(ticks_per_beat=96)
    mid.tracks.append(
        mido.MidiTrack(
            [
                mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(60), time=0),
                mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120), time=2 * 96),
            ]
        )
    )
    t = mido.MidiTrack([mido.Message("program_change", program=19, time=0)])
    for k in range(4):  # four quarter notes: two at 60 bpm, two at 120 bpm
        t += [
            mido.Message("note_on", note=60 + k, velocity=90, time=0),
            mido.Message("note_off", note=60 + k, velocity=0, time=96),
        ]
    mid.tracks.append(t)
    path = tmp_path / "tempo.mid"
    mid.save(path)
    p = load_midi(path)
    assert p.tempos == ((0.0, 60.0), (2.0, 120.0)) and p.parts["S"][:, 0].tolist() == [0, 1, 2, 3]
    assert p.programs["S"] == 19 and gm_instrument(19) == "organ"
    y = render_midi(path, sr=8000, tail_s=0.5)
    assert y.shape[0] == int((2 * 1.0 + 2 * 0.5 + 0.5) * 8000)  # 3 s of notes + the tail


def test_gm_mapping_covers_every_program():
    names = {gm_instrument(p) for p in range(128)}
    assert names <= {"piano", "marimba", "organ", "guitar", "bass", "violin", "choir", "trumpet", "clarinet", "flute"}
    assert gm_instrument(40) == "violin" and gm_instrument(56) == "trumpet" and gm_instrument(33) == "bass"


# -------------------------------------------------------------- files from elsewhere


def _write(path, tracks, tpb=480):
    mid = mido.MidiFile(ticks_per_beat=tpb)
    for msgs in tracks:
        tr = mido.MidiTrack()
        tr.extend(msgs)
        mid.tracks.append(tr)
    mid.save(path)
    return path


def _notes(ch, rows, name=None):
    """rows of (onset tick, duration tick, pitch), non-overlapping unless said: absolute -> delta."""
    ev = []
    for on, dur, pitch in rows:
        ev += [
            (on, 1, mido.Message("note_on", channel=ch, note=pitch, velocity=90)),
            (on + dur, 0, mido.Message("note_off", channel=ch, note=pitch, velocity=0)),
        ]
    out, now = ([mido.MetaMessage("track_name", name=name)] if name else []), 0
    for tick, _, m in sorted(ev, key=lambda e: (e[0], e[1])):
        out.append(m.copy(time=tick - now))
        now = tick
    return out


def test_multi_track_drums_and_missing_key_signature(tmp_path):
    path = _write(
        tmp_path / "band.mid",
        [
            [mido.MetaMessage("time_signature", numerator=3, denominator=4)],
            _notes(0, [(0, 480, 48), (480, 960, 43)], name="Bass guitar"),
            _notes(1, [(0, 480, 72), (480, 480, 74), (960, 480, 76)], name="Lead"),
            _notes(9, [(0, 120, 36), (480, 120, 38)], name="Drums"),
        ],
    )
    p = load_midi(path)
    assert isinstance(p, Piece) and isinstance(p, Chorale)
    assert p.parts["S"][:, 2].tolist() == [72, 74, 76] and p.parts["B"][:, 2].tolist() == [48, 43]
    assert p.meter == (3, 4) and any("drums" in line for line in p.log)
    assert any("estimated" in line for line in p.log)  # no key signature in the file
    with pytest.raises(ParameterError, match="channel 10"):
        load_midi(path, drums="error")


def test_overlapping_notes_are_refused_or_reduced(tmp_path):
    path = _write(tmp_path / "chords.mid", [_notes(0, [(0, 960, 60), (0, 960, 64), (0, 960, 67), (960, 480, 65)])])
    with pytest.raises(ParameterError, match="overlapping notes"):
        load_midi(path)
    top = load_midi(path, polyphony="top")
    assert top.parts["S"].tolist() == [[0.0, 2.0, 67.0], [2.0, 1.0, 65.0]]
    assert len(load_midi(path, polyphony="keep").parts["S"]) == 4


def test_a_restruck_note_ends_at_the_new_note_on(tmp_path):
    msgs = [
        mido.Message("note_on", note=60, velocity=80, time=0),
        mido.Message("note_on", note=60, velocity=80, time=480),
        mido.Message("note_off", note=60, velocity=0, time=480),
        mido.Message("note_off", note=60, velocity=0, time=0),
    ]
    p = load_midi(_write(tmp_path / "restrike.mid", [msgs]))
    assert p.parts["S"].tolist() == [[0.0, 1.0, 60.0], [1.0, 1.0, 60.0]]


def test_more_than_four_tracks_need_a_choice(tmp_path):
    tracks = [_notes(i, [(0, 480, 50 + 5 * i)], name=f"t{i}") for i in range(6)]
    path = _write(tmp_path / "six.mid", tracks)
    with pytest.raises(ParameterError, match="tracks="):
        load_midi(path)
    p = load_midi(path, tracks=["t5", "t0"])
    assert p.parts["S"][:, 2].tolist() == [75] and p.parts["B"][:, 2].tolist() == [50]


def test_a_students_file_feeds_the_chorale_functions(tmp_path):
    from musynth_lab.stats.ngram import NGramModel

    for c in load_chorales("test")[:5]:
        save_midi(c, tmp_path / f"{c.id}.mid")
    pieces, _ = load_midi_folder(tmp_path, progress=False)
    seqs = [p.melody_tokens() for p in pieces]
    assert all(np.array_equal(s, c.melody_tokens()) for s, c in zip(seqs, load_chorales("test")[:5]))
    model = NGramModel(order=3, vocab_size=N_MELODY_TOKENS).fit(seqs)
    assert np.isfinite(model.nll_per_token(seqs))
    assert piano_roll(pieces[0], step=0.5).shape == piano_roll(load_chorales("test")[0], step=0.5).shape


# ------------------------------------------------------------------------ bad input


def test_overwrite_is_refused_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "x.mid"
    save_midi([[0, 1, 60]], path)
    before = path.read_bytes()
    with pytest.raises(ParameterError, match="overwrite=True"):
        save_midi([[0, 1, 62]], path)
    with pytest.raises(ParameterError, match="pitch 128"):
        save_midi([[0, 1, 128]], path, overwrite=True)
    assert path.read_bytes() == before
    save_midi([[0, 1, 62]], path, overwrite=True)
    assert load_midi(path).parts["S"][0, 2] == 62
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mid"]  # no temporary files left


@pytest.mark.parametrize(
    "x,match",
    [
        ([[0, -1, 60]], "duration -1"),
        ([[0, 1, -3]], "pitch -3"),
        ([[0, 1, 60.5]], "pitch 60.5"),
        ([[-1, 1, 60]], "onset -1"),
        ({"S": np.zeros((0, 3))}, "no notes"),
        ([[0, 1, 60, 200]], "velocity 200"),
        ([0, HOLD, N_MELODY_TOKENS], "melody tokens"),
        ("C major", "expected a Chorale"),
    ],
)
def test_bad_pieces_raise_naming_the_problem(tmp_path, x, match):
    with pytest.raises(ParameterError, match=match):
        save_midi(x, tmp_path / "bad.mid")
    assert not (tmp_path / "bad.mid").exists()


def test_bad_arguments_raise(tmp_path):
    for kw, match in [
        ({"bpm": 0}, "bpm"),
        ({"program": 128}, "program"),
        ({"key": "H major"}, "key"),
        ({"meter": (3, 5)}, "meter"),
    ]:
        with pytest.raises(ParameterError, match=match):
            save_midi([[0, 1, 60]], tmp_path / "a.mid", **kw)
    with pytest.raises(ParameterError, match="folder"):
        save_midi([[0, 1, 60]], tmp_path)


def test_bad_files_raise_naming_the_file(tmp_path):
    (tmp_path / "empty.mid").write_bytes(b"")
    (tmp_path / "junk.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\xff\xff")
    _write(tmp_path / "silent.mid", [[mido.MetaMessage("set_tempo", tempo=500000)]])
    with pytest.raises(ParameterError, match="empty.mid.*empty"):
        load_midi(tmp_path / "empty.mid")
    with pytest.raises(ParameterError, match="junk.mid.*not a readable MIDI file"):
        load_midi(tmp_path / "junk.mid")
    with pytest.raises(ParameterError, match="silent.mid.*no notes"):
        load_midi(tmp_path / "silent.mid")
    with pytest.raises(ParameterError, match="no such file"):
        load_midi(tmp_path / "missing.mid")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(ParameterError, match="no MIDI files"):
        load_midi_folder(tmp_path / "nothing")
    with pytest.raises(ParameterError, match="none of its 3 MIDI files"):
        load_midi_folder(tmp_path, progress=False)


def test_bad_musicxml_files_raise(tmp_path):
    pytest.importorskip("music21")
    from musynth_lab.data import load_musicxml, save_musicxml

    (tmp_path / "empty.musicxml").write_text("")
    (tmp_path / "junk.musicxml").write_text("<score-partwise><part id='P1'><measure")
    for name, match in [("empty.musicxml", "empty"), ("junk.musicxml", "not a readable MusicXML")]:
        with pytest.raises(ParameterError, match=match):
            load_musicxml(tmp_path / name)
    save_musicxml([[0, 1, 60]], tmp_path / "ok.musicxml")
    before = (tmp_path / "ok.musicxml").read_bytes()
    with pytest.raises(ParameterError, match="overwrite=True"):
        save_musicxml([[0, 1, 62]], tmp_path / "ok.musicxml")
    with pytest.raises(ParameterError, match="duration"):
        save_musicxml([[0, -1, 62]], tmp_path / "ok.musicxml", overwrite=True)
    assert (tmp_path / "ok.musicxml").read_bytes() == before


def test_musicxml_without_music21_says_how_to_install(tmp_path, monkeypatch):
    from musynth_lab.data import save_musicxml

    monkeypatch.setitem(sys.modules, "music21", None)
    with pytest.raises(ImportError, match=r"pip install musynth-lab\[music\]"):
        save_musicxml([[0, 1, 60]], tmp_path / "a.musicxml")


# --------------------------------------------------------------------------- folders


def test_midi_folder_reports_the_bad_file_and_loads_the_rest(tmp_path):
    for c in load_chorales("test")[:3]:
        save_midi(c, tmp_path / "sub" / f"{c.id}.mid")
    (tmp_path / "broken.mid").write_bytes(b"MThd garbage")
    (tmp_path / "notes.txt").write_text("not music, not read")
    pieces, report = load_midi_folder(tmp_path, progress=False)
    assert len(pieces) == 3 and len(report.loaded) == 3
    assert [name for name, _ in report.skipped] == ["broken.mid"] and "not a readable MIDI" in report.skipped[0][1]
    assert "1 skipped" in repr(report)


def test_musicxml_folder_reports_the_bad_file(tmp_path):
    pytest.importorskip("music21")
    from musynth_lab.data import load_musicxml_folder, save_musicxml

    save_musicxml({"S": [[0, 2, 67]], "B": [[0, 2, 43]]}, tmp_path / "good.musicxml")
    (tmp_path / "bad.xml").write_text("<nope/>")
    pieces, report = load_musicxml_folder(tmp_path, progress=False)
    assert len(pieces) == 1 and [n for n, _ in report.skipped] == ["bad.xml"]


def test_audio_folder_resamples_reports_and_loads_the_rest(tmp_path):
    t = np.arange(44100) / 44100
    save(tmp_path / "a440.wav", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr=44100)
    save(tmp_path / "b.flac", np.zeros(8000 * 2, dtype=np.float32), sr=8000)
    (tmp_path / "c.wav").write_bytes(b"RIFF....WAVEfmt broken")
    (tmp_path / "readme.txt").write_text("skip me")
    rec = load_audio_folder(tmp_path, sr=16000, progress=False)
    assert rec.names == ["a440.wav", "b.flac"] and rec.sr == 16000
    assert np.allclose(rec.durations, [1.0, 2.0]) and rec.audio[0].shape == (16000,)
    spec = np.abs(np.fft.rfft(rec.audio[0]))
    assert abs(np.argmax(spec) * 16000 / len(rec.audio[0]) - 440) <= 1  # resampled, the tone is still 440 Hz
    assert [n for n, _ in rec.report.skipped] == ["c.wav"]
    (tmp_path / "none").mkdir()
    with pytest.raises(ParameterError, match="no audio files"):
        load_audio_folder(tmp_path / "none")
    with pytest.raises(ParameterError, match="sr"):
        load_audio_folder(tmp_path, sr=0)


# ------------------------------------------------------------------------ installed wheel


def test_midi_works_from_an_installed_wheel(tmp_path):
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
    site = tmp_path / "site"
    zipfile.ZipFile(next(wheel_dir.glob("musynth_lab-*.whl"))).extractall(site)
    code = (
        "import musynth_lab.data as d, musynth_lab.synth as s, pathlib, tempfile;"
        "assert 'site' in str(d.data_dir()), d.data_dir();"
        "c = d.load_chorales('test')[0]; p = pathlib.Path(tempfile.mkdtemp()) / 'c.mid';"
        "d.save_midi(c, p); b = d.load_midi(p);"
        "assert all((b.parts[k] == c.parts[k]).all() for k in 'SATB');"
        "y = s.render_midi(p, sr=8000); assert float(y.abs().max()) > 0; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# -------------------------------------------------------------------------- exercise 5.5


def _cadence(tmp_path, name, penult, final, key="G major"):
    """Four voices, two chords: the pitches of each chord high to low (S, A, T, B)."""
    parts = {v: [[0, 1, penult[i]], [1, 2, final[i]]] for i, v in enumerate("SATB")}
    save_midi(parts, tmp_path / name, key=key)
    return tmp_path / name


@pytest.mark.parametrize(
    "name,penult,final,key,ok",
    [
        ("V7-I.mid", (72, 66, 62, 50), (71, 67, 62, 43), "G major", True),  # D7 -> G
        ("V-i.mid", (71, 68, 64, 52), (69, 69, 64, 45), "A minor", True),  # E (G#) -> a
        ("V-I picardy.mid", (71, 68, 64, 52), (73, 69, 64, 45), "A minor", True),
        ("IV-I.mid", (72, 67, 64, 48), (71, 67, 62, 43), "G major", False),  # plagal
        ("I-V.mid", (71, 67, 62, 43), (69, 66, 62, 50), "G major", False),  # half cadence
        ("V-vi.mid", (69, 66, 62, 50), (71, 64, 59, 52), "G major", False),  # deceptive
        ("V-I6.mid", (72, 66, 62, 50), (71, 67, 62, 47), "G major", False),  # tonic not in the bass
    ],
)
def test_midi_cadence_exercise_reads_the_file_back(tmp_path, name, penult, final, key, ok):
    from musynth_lab.exercises import check_midi_cadence

    result = check_midi_cadence(_cadence(tmp_path, name, penult, final, key=key))
    assert bool(result) is ok, result.message


def test_midi_cadence_exercise_uses_the_files_key_and_handles_bad_files(tmp_path):
    from musynth_lab.exercises import check_midi_cadence

    path = _cadence(tmp_path, "c.mid", (72, 66, 62, 50), (71, 67, 62, 43), key="G major")
    assert check_midi_cadence(path) and not check_midi_cadence(path, key="C major")
    (tmp_path / "bad.mid").write_bytes(b"junk")
    result = check_midi_cadence(tmp_path / "bad.mid")
    assert not result and "could not be read" in result.message
    # a bundled chorale that ends V -> I passes once written out
    c = next(c for c in load_chorales("test") if c.id == "bwv1.6")
    save_midi(c, tmp_path / "bwv1.6.mid")
    assert check_midi_cadence(tmp_path / "bwv1.6.mid")


def test_a_harmonizers_voice_grid_round_trips(tmp_path):
    from musynth_lab.data import voices_to_parts
    from musynth_lab.models.harmony import chorale_voices

    c = load_chorales("test")[2]
    grid = chorale_voices(c)  # (n_steps, 4), eighth notes, -1 = rest
    save_midi(voices_to_parts(grid, step=0.5), tmp_path / "h.mid")
    back = chorale_voices(load_midi(tmp_path / "h.mid"))
    assert np.array_equal(back, grid[: len(back)]) and (grid[len(back) :] == -1).all()


def test_a_loaded_piece_saves_again_with_its_tempo_programs_and_velocities(tmp_path):
    save_midi({"S": [[0, 1, 72, 30], [1, 1, 74, 110]]}, tmp_path / "a.mid", bpm=66, program=40)
    p = load_midi(tmp_path / "a.mid")
    save_midi(p, tmp_path / "b.mid")
    q = load_midi(tmp_path / "b.mid")
    assert (q.bpm, q.programs, q.velocities["S"].tolist()) == (66.0, {"S": 40}, [30, 110])
    assert q.parts["S"].tolist() == p.parts["S"].tolist() and len(q.parts["A"]) == 0


def test_a_type_0_file_splits_its_channels_into_parts(tmp_path):
    msgs = [
        mido.Message("program_change", channel=0, program=73, time=0),
        mido.Message("program_change", channel=1, program=32, time=0),
        mido.Message("note_on", channel=0, note=76, velocity=90, time=0),
        mido.Message("note_on", channel=1, note=40, velocity=90, time=0),
        mido.Message("note_off", channel=0, note=76, velocity=0, time=480),
        mido.Message("note_off", channel=1, note=40, velocity=0, time=0),
    ]
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack(msgs))
    mid.save(tmp_path / "t0.mid")
    p = load_midi(tmp_path / "t0.mid")
    assert p.parts["S"].tolist() == [[0.0, 1.0, 76.0]] and p.parts["B"].tolist() == [[0.0, 1.0, 40.0]]
    assert p.programs == {"S": 73, "B": 32}


def test_a_students_melody_feeds_the_harmonizer_and_the_coherence_measures(tmp_path):
    from musynth_lab import evaluate as ev
    from musynth_lab.models.harmony import Harmonizer, harmonize

    c = load_chorales("test")[0]  # a pick-up of one quarter
    save_midi({"S": c.parts["S"]}, tmp_path / "tune.mid", meter=c.meter, key=c.key_name)
    tune = load_midi(tmp_path / "tune.mid")
    assert tune.pickup_q == 0.0  # a bare melody file has no pick-up bar ...
    save_midi(c, tmp_path / "full.mid")
    assert load_midi(tmp_path / "full.mid").pickup_q == c.pickup_q == 1.0  # ... the kit's chorale file has
    voices = harmonize(Harmonizer(), tune)
    assert (
        voices.shape == (len(tune.melody_tokens()), 4)
        and (voices[:, 0] == np.where(np.isin(tune.melody_tokens(), (REST,)), -1, voices[:, 0])).all()
    )
    row = ev.coherence_report({"mine": [piano_roll(tune, step=0.5)]}, [c.piano_roll(step=0.5)])[0]
    assert row["n_rolls"] == 1 and np.isfinite(row["pc_distance"])


# --------------------------------------------------------------------------- the notebooks (items 5 and 6)


def test_the_own_midi_folder_workflow_of_chapter_5(tmp_path):
    """05_synthesis section 7: test split -> MIDI folder -> load_midi_folder -> 5-gram -> generate -> save -> load."""
    import torch

    from musynth_lab import generate as gen
    from musynth_lab.data import tokens_to_notes
    from musynth_lab.stats.ngram import NGramModel

    test = load_chorales("test")
    folder = tmp_path / "my_midi"
    for c in test:
        save_midi(c, folder / f"{c.id}.mid", bpm=80)
    (folder / "broken.mid").write_bytes(b"MThd garbage")  # a student's folder is never clean
    (folder / "README.txt").write_text("not music, not read")
    pieces, report = load_midi_folder(folder, progress=False)
    assert sorted(report.loaded) == sorted(f"{c.id}.mid" for c in test)
    assert [name for name, _ in report.skipped] == ["broken.mid"]
    by_id = {c.id: c for c in test}
    assert sorted(p.id for p in pieces) == sorted(by_id)
    for p in pieces:  # every melody comes back token for token
        assert p.bpm == 80.0 and np.array_equal(p.melody_tokens(), by_id[p.id].melody_tokens()), p.id

    mine = NGramModel(5, vocab_size=N_MELODY_TOKENS).fit([p.melody_tokens() for p in pieces])
    direct = NGramModel(5, vocab_size=N_MELODY_TOKENS).fit([c.melody_tokens() for c in test])
    val = [c.melody_tokens() for c in load_chorales("val")[:12]]
    assert mine.nll_per_token(val) == pytest.approx(direct.nll_per_token(val), abs=1e-12)

    first = pieces[0]
    prompt = first.melody_tokens()[:8]
    new = gen.sample(mine, prompt, steps=56, top_p=0.9, seed=0)[0]
    assert len(new) == 64 and torch.equal(new[:8].cpu(), torch.as_tensor(prompt))
    out = tmp_path / "outputs" / "05_my_ngram_melody.mid"
    key = (first.key_tonic_pc, first.key_mode)
    save_midi(new, out, bpm=90, program=73, key=key)
    back = load_midi(out)
    assert np.allclose(back.parts["S"], tokens_to_notes(new.numpy()))
    assert (back.key_tonic_pc, back.key_mode, back.bpm, back.programs["S"]) == (*key, 90.0, 73)
    y = render_midi(out, sr=8000)  # GM 73 -> the bundled flute, at 90 bpm
    end_s = float((back.parts["S"][:, 0] + back.parts["S"][:, 1]).max()) * 60 / 90
    assert abs(len(y) - int((end_s + 0.5) * 8000)) <= 1 and float(y[:400].abs().max()) > 0.01

    with pytest.raises(ParameterError, match="exists"):  # a rerun replaces the notebook's file only when asked
        save_midi(new[:16], out, bpm=90)
    assert np.allclose(load_midi(out).parts["S"], back.parts["S"])
    save_midi(new[:16], out, bpm=90, overwrite=True)
    assert np.allclose(load_midi(out).parts["S"], tokens_to_notes(new[:16].numpy()))


GENERATING_NOTEBOOKS = ["00_start_here", "01a_synthesis", "01b_deep_learning", "04b_deep", "05_synthesis", "06c_coherence"]


@pytest.mark.parametrize("stem", GENERATING_NOTEBOOKS)
def test_the_generation_notebooks_save_midi_into_their_outputs_folder(stem):
    """Every generation chapter saves MIDI under ``OUT = Path("outputs")`` (git-ignored), says where, and uses
    ``overwrite=True`` only in cells that say why (the notebook's own files)."""
    import re

    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert any('OUT = Path("outputs")' in src for src in code)
    assert "outputs/" in text and "MuseScore" in text
    under_out = {"OUT"} | set(re.findall(r"^\s*(\w+) = OUT /", "\n".join(code), re.M))
    saves = [ln for src in code for ln in src.splitlines() if re.search(r"\bsave_(midi|musicxml)\(", ln)]
    assert any("save_midi(" in ln for ln in saves)
    for ln in saves:
        assert any(re.search(rf"\b{name}\b", ln) for name in under_out), f"{stem}: writes outside outputs/: {ln.strip()}"
    for src in code:
        if "overwrite=True" in src:
            assert "notebook" in "\n".join(ln.split("#", 1)[1] for ln in src.splitlines() if "#" in ln), (
                f"{stem}: overwrite=True without saying the file is the notebook's own:\n{src}"
            )
    assert "notebooks/outputs/" in (ROOT / ".gitignore").read_text().split()
