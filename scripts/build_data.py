"""Rebuild everything in ``data/`` from public-domain and freely licensed sources.

Users never need this: the built assets are committed. It needs the ``data`` extra
(``pip install -e .[data]``: music21, mido) and, for the audio, the Debian packages
``fluidsynth`` and ``fluid-soundfont-gm`` (FluidR3_GM.sf2, MIT licence)::

    apt-get install fluidsynth fluid-soundfont-gm
    python scripts/build_data.py            # all three sets
    python scripts/build_data.py chorales   # one of: chorales notes excerpts

What it writes (all deterministic: the same inputs give the same files):

* ``data/chorales/chorales.json.gz``: every Bach chorale in music21's corpus with
  identifiable soprano, alto, tenor and bass parts; notes per part as
  (onset, duration, MIDI pitch) in quarter notes, key, metre, bar positions, fermatas,
  a chord label per quarter-note beat, and a fixed split by piece.
* ``data/notes/notes.flac`` + ``data/notes/notes.csv``: single notes rendered from
  FluidR3 GM, 1 s each at 16 kHz, concatenated, with the metadata table.
* ``data/excerpts/<name>.flac`` + ``<name>.json``: chorale openings rendered with several
  ensembles at 22.05 kHz, with sample-aligned note and beat-chord annotations.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

PART_NAMES = ("S", "A", "T", "B")
QUALITIES = ("maj", "min", "dim", "aug")
TRIADS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8)}

# name: (GM program, family, lowest MIDI pitch of its 24)
INSTRUMENTS = {
    "piano": (0, "keyboard", 48),
    "marimba": (12, "mallet", 48),
    "organ": (19, "organ", 48),
    "guitar": (24, "guitar", 48),
    "bass": (32, "bass", 28),
    "violin": (40, "strings", 55),
    "choir": (52, "vocal", 48),
    "trumpet": (56, "brass", 55),
    "clarinet": (71, "reed", 50),
    "flute": (73, "flute", 60),
}
NOTE_SR = 16000
NOTE_SECONDS = 1.0
NOTE_HOLD_SECONDS = 0.8
NOTE_SPACING_SECONDS = 3.0
VELOCITIES = (60, 110)

# Ensembles for the excerpts: GM programs for S, A, T, B.
ENSEMBLES = {
    "piano": (0, 0, 0, 0),
    "organ": (19, 19, 19, 19),
    "strings": (40, 40, 41, 42),
    "choir": (52, 52, 52, 52),
    "winds": (73, 68, 71, 70),
    "brass": (56, 56, 57, 58),
}
EXCERPT_SR = 22050
EXCERPT_TARGET_SECONDS = 20.0


def split_of(piece_id: str) -> str:
    """70/15/15 split by piece, from a hash of its id: the same on every machine."""
    h = int(hashlib.sha1(piece_id.encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 70 else ("val" if h < 85 else "test")


# ----------------------------------------------------------------------------------------
# Chorales
# ----------------------------------------------------------------------------------------


def _pick_parts(score):
    by_name = {}
    for part in score.parts:
        name = (part.partName or "").strip().lower()
        for key, full in zip(PART_NAMES, ("soprano", "alto", "tenor", "bass")):
            if name.startswith(full) and key not in by_name:
                by_name[key] = part
    if len(by_name) == 4:
        return [by_name[k] for k in PART_NAMES]
    if len(score.parts) == 4:
        return list(score.parts)
    return None


def _beat_chord(weights: np.ndarray, bass_pc: int | None):
    """Best triad for a duration-weighted pitch-class profile of one beat."""
    if weights.sum() <= 0:
        return None, "N"
    best, best_score = None, -1e9
    for root in range(12):
        if weights[root] <= 0:
            continue
        for qi, q in enumerate(QUALITIES):
            tones = [(root + i) % 12 for i in TRIADS[q]]
            inside = weights[tones].sum()
            outside = weights.sum() - inside
            score = inside - 0.6 * outside + (0.15 if root == bass_pc else 0.0) - 0.05 * qi
            if score > best_score:
                best, best_score = (root, q), score
    return best


def build_chorales() -> None:
    from music21 import corpus

    out = []
    seen = set()
    for path in sorted(corpus.getComposer("bach"), key=lambda p: p.name):
        if path.suffix not in (".mxl", ".xml", ".krn"):
            continue
        piece_id = path.name.rsplit(".", 1)[0]
        if piece_id in seen:
            continue
        try:
            score = corpus.parse(path)
        except Exception as err:  # a few corpus files do not parse: skip them, say so
            print(f"skip {piece_id}: {err}", file=sys.stderr)
            continue
        parts = _pick_parts(score)
        if parts is None:
            continue
        ks = score.analyze("key")
        ts_list = score.recurse().getElementsByClass("TimeSignature")
        if not ts_list:
            continue
        ts = ts_list[0]
        bar_q = float(ts.barDuration.quarterLength)
        measures = parts[0].getElementsByClass("Measure")
        first_len = float(measures[0].duration.quarterLength) if len(measures) else bar_q
        pickup_q = first_len if 0 < first_len < bar_q else 0.0
        notes = {}
        fermatas = set()
        for key, part in zip(PART_NAMES, parts):
            rows = []
            for n in part.stripTies().flatten().notes:
                if n.isChord:
                    pitches = [p.midi for p in n.pitches]
                    midi = max(pitches) if key in ("S", "A") else min(pitches)
                else:
                    midi = n.pitch.midi
                on = float(n.getOffsetInHierarchy(part))
                dur = float(n.duration.quarterLength)
                if dur <= 0:
                    continue  # grace notes
                rows.append([round(on, 4), round(dur, 4), int(midi)])
                if key == "S" and any(e.name == "fermata" for e in n.expressions):
                    fermatas.add(round(on, 4))
            rows.sort()
            notes[key] = rows
        if min(len(r) for r in notes.values()) < 8:
            continue
        length_q = max(on + d for r in notes.values() for on, d, _ in r)
        beats = []
        for b in range(int(np.ceil(length_q - 1e-6))):
            w = np.zeros(12)
            bass_pc = None
            for key, rows in notes.items():
                for on, d, m in rows:
                    overlap = min(on + d, b + 1) - max(on, b)
                    if overlap > 0:
                        w[m % 12] += overlap
                        if key == "B" and on <= b + 1e-6 < on + d:
                            bass_pc = m % 12
            root, q = _beat_chord(w, bass_pc)
            in_bar = (b - pickup_q) % bar_q
            beats.append([b, -1 if root is None else int(root), q, round(float(in_bar), 4)])
        seen.add(piece_id)
        title = score.metadata.title if score.metadata and score.metadata.title else piece_id
        out.append(
            {
                "id": piece_id,
                "title": title,
                "key": {"tonic_pc": int(ks.tonic.pitchClass), "tonic": ks.tonic.name, "mode": ks.mode},
                "meter": [int(ts.numerator), int(ts.denominator)],
                "bar_q": bar_q,
                "pickup_q": pickup_q,
                "length_q": round(length_q, 4),
                "parts": notes,
                "fermatas": sorted(fermatas),
                "beats": beats,
                "split": split_of(piece_id),
            }
        )
    dest = DATA / "chorales"
    dest.mkdir(parents=True, exist_ok=True)
    blob = json.dumps({"version": 1, "pieces": out}, separators=(",", ":")).encode()
    with gzip.GzipFile(dest / "chorales.json.gz", "wb", mtime=0) as fh:
        fh.write(blob)
    counts = {s: sum(p["split"] == s for p in out) for s in ("train", "val", "test")}
    print(f"chorales: {len(out)} pieces {counts}")


# ----------------------------------------------------------------------------------------
# Rendering helpers
# ----------------------------------------------------------------------------------------


def _render(midi_path: Path, wav_path: Path, sr: int) -> np.ndarray:
    import soundfile as sf

    cmd = [
        "fluidsynth",
        "-ni",
        "-q",
        "-g",
        "0.6",
        "-r",
        str(sr),
        "-F",
        str(wav_path),
        "-o",
        "synth.reverb.active=0",
        "-o",
        "synth.chorus.active=0",
        "-o",
        "synth.cpu-cores=1",
        str(SOUNDFONT),
        str(midi_path),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    y, file_sr = sf.read(str(wav_path), dtype="float32", always_2d=True)
    assert file_sr == sr, (file_sr, sr)
    return y.mean(axis=1)


def _write_midi(path: Path, events, *, bpm: float, ticks: int = 960) -> None:
    """events: (time_in_quarters, kind, channel, a, b), kind in note_on/note_off/program_change."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=ticks)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    order = {"program_change": 0, "note_off": 1, "note_on": 2}
    last = 0
    for t, kind, ch, a, b in sorted(events, key=lambda e: (e[0], order[e[1]], e[2], e[3])):
        tick = int(round(t * ticks))
        delta = tick - last
        last = tick
        if kind == "program_change":
            track.append(mido.Message(kind, channel=ch, program=a, time=delta))
        else:
            track.append(mido.Message(kind, channel=ch, note=a, velocity=b, time=delta))
    mid.save(str(path))


# ----------------------------------------------------------------------------------------
# Notes
# ----------------------------------------------------------------------------------------


def build_notes() -> None:
    import soundfile as sf

    dest = DATA / "notes"
    dest.mkdir(parents=True, exist_ok=True)
    n_note = int(NOTE_SR * NOTE_SECONDS)
    chunks, rows = [], []
    bpm = 60.0  # one quarter = one second
    with tempfile.TemporaryDirectory() as tmp:
        for name, (program, family, low) in INSTRUMENTS.items():
            events = [(0.0, "program_change", 0, program, 0)]
            slots = []
            for v in VELOCITIES:
                for pitch in range(low, low + 24):
                    t = 0.5 + len(slots) * NOTE_SPACING_SECONDS
                    events.append((t, "note_on", 0, pitch, v))
                    events.append((t + NOTE_HOLD_SECONDS, "note_off", 0, pitch, 0))
                    slots.append((t, pitch, v))
            mid = Path(tmp) / f"{name}.mid"
            wav = Path(tmp) / f"{name}.wav"
            _write_midi(mid, events, bpm=bpm)
            y = _render(mid, wav, NOTE_SR)
            for t, pitch, v in slots:
                start = int(round(t * NOTE_SR))
                seg = y[start : start + n_note]
                seg = np.pad(seg, (0, n_note - len(seg)))
                rows.append(
                    {
                        "index": len(rows),
                        "instrument": name,
                        "family": family,
                        "program": program,
                        "pitch": pitch,
                        "velocity": v,
                        "peak": round(float(np.abs(seg).max()), 5),
                    }
                )
                chunks.append(seg)
    audio = np.stack(chunks)
    # One global gain so that the loudest note peaks at -1 dBFS: relative levels stay real.
    audio *= 10 ** (-1 / 20) / np.abs(audio).max()
    for r, seg in zip(rows, audio):
        r["peak"] = round(float(np.abs(seg).max()), 5)
    sf.write(str(dest / "notes.flac"), audio.reshape(-1), NOTE_SR, subtype="PCM_16")
    with open(dest / "notes.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"notes: {len(rows)} notes, {len(INSTRUMENTS)} instruments")


# ----------------------------------------------------------------------------------------
# Excerpts
# ----------------------------------------------------------------------------------------


def _choose_excerpts():
    blob = json.loads(gzip.open(DATA / "chorales" / "chorales.json.gz").read())
    pieces = [p for p in blob["pieces"] if p["meter"] in ([4, 4], [3, 4]) and p["length_q"] >= 24]
    # Deterministic choice: sort by a hash of the id, take 8 train, 4 val, 4 test.
    pieces.sort(key=lambda p: hashlib.sha1(("excerpt" + p["id"]).encode()).hexdigest())
    want = {"train": 8, "val": 4, "test": 4}
    chosen = []
    for p in pieces:
        if want.get(p["split"], 0) > 0:
            chosen.append(p)
            want[p["split"]] -= 1
    return chosen


def build_excerpts() -> None:
    import soundfile as sf

    dest = DATA / "excerpts"
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*"):
        old.unlink()
    ens_names = list(ENSEMBLES)
    index = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, piece in enumerate(_choose_excerpts()):
            ensemble = ens_names[i % len(ens_names)]
            bpm = 76.0 + 4.0 * (i % 6)
            sec_per_q = 60.0 / bpm
            # End at the first bar line after the target length (or the piece's end).
            bar_q, pickup = piece["bar_q"], piece["pickup_q"]
            target_q = EXCERPT_TARGET_SECONDS / sec_per_q
            end_q = pickup + bar_q * np.ceil((target_q - pickup) / bar_q)
            end_q = float(min(end_q, piece["length_q"]))
            events = []
            programs = ENSEMBLES[ensemble]
            for ch, (key, program) in enumerate(zip(PART_NAMES, programs)):
                events.append((0.0, "program_change", ch, program, 0))
                for on, d, m in piece["parts"][key]:
                    if on >= end_q:
                        continue
                    off = min(on + d, end_q) - min(0.05, 0.1 * d)  # a breath between notes
                    events.append((on, "note_on", ch, m, 84 if key == "S" else 72))
                    events.append((off, "note_off", ch, m, 0))
            mid = Path(tmp) / "x.mid"
            wav = Path(tmp) / "x.wav"
            _write_midi(mid, events, bpm=bpm)
            y = _render(mid, wav, EXCERPT_SR)
            n = int(round((end_q * sec_per_q + 1.0) * EXCERPT_SR))  # one second of release
            y = np.pad(y, (0, max(0, n - len(y))))[:n]
            y = (y * (10 ** (-1 / 20) / max(1e-9, np.abs(y).max()))).astype(np.float32)
            to_sample = lambda q, s=sec_per_q: int(round(q * s * EXCERPT_SR))  # noqa: E731
            notes = []
            for pi, key in enumerate(PART_NAMES):
                for on, d, m in piece["parts"][key]:
                    if on < end_q:
                        off = min(on + d, end_q) - min(0.05, 0.1 * d)
                        notes.append([to_sample(on), to_sample(off), m, pi])
            notes.sort()
            beats = [[to_sample(b), root, q, in_bar] for b, root, q, in_bar in piece["beats"] if b < end_q]
            name = f"{piece['id']}_{ensemble}"
            sf.write(str(dest / f"{name}.flac"), y, EXCERPT_SR, subtype="PCM_16")
            meta = {
                "name": name,
                "piece_id": piece["id"],
                "title": piece["title"],
                "split": piece["split"],
                "ensemble": ensemble,
                "programs": list(programs),
                "sr": EXCERPT_SR,
                "bpm": bpm,
                "n_samples": int(n),
                "end_q": end_q,
                "key": piece["key"],
                "meter": piece["meter"],
                "bar_q": bar_q,
                "pickup_q": pickup,
                "notes": notes,
                "beats": beats,
                "fermatas": [to_sample(f) for f in piece["fermatas"] if f < end_q],
            }
            (dest / f"{name}.json").write_text(json.dumps(meta, separators=(",", ":")))
            index.append({"name": name, "split": piece["split"], "ensemble": ensemble, "seconds": round(n / EXCERPT_SR, 2)})
    (dest / "index.json").write_text(json.dumps(index, indent=1))
    print(f"excerpts: {len(index)}")


def main(argv):
    which = argv[1:] or ["chorales", "notes", "excerpts"]
    if any(w in ("notes", "excerpts") for w in which) and not SOUNDFONT.exists():
        sys.exit(f"{SOUNDFONT} not found: apt-get install fluidsynth fluid-soundfont-gm")
    for w in which:
        {"chorales": build_chorales, "notes": build_notes, "excerpts": build_excerpts}[w]()


if __name__ == "__main__":
    main(sys.argv)
