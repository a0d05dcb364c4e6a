"""MIDI in and out: save what the kit makes, load what a student owns, hear it with the sampler.

* :func:`save_midi` writes a chorale, note lists, a melody token sequence or a piano roll as
  a Standard MIDI File (one track per part, with tempo, time signature, key signature and
  instrument program), through `mido <https://mido.readthedocs.io>`_;
* :func:`load_midi` reads any MIDI file back into the kit's own piece type, :class:`Piece`
  (a :class:`~musynth_lab.data.Chorale` with a tempo and programs), so every function that
  takes a chorale (piano rolls, melody tokens, n-gram/LSTM/Transformer training, the
  harmonizer, the coherence measures) takes a student's file too;
* :func:`load_midi_folder` reads a folder of them, with a report of the files it skipped;
* :func:`gm_instrument` maps a General MIDI program to a bundled instrument, so that
  :func:`musynth_lab.synth.render_midi` plays a file or a piece through the sampler.

Times inside the kit are quarter notes; MIDI ticks are quarter notes too (``ticks_per_beat``),
so notes round-trip exactly and tempo changes only matter for playback.

Chapter: notebooks/00_start_here.ipynb
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError, as_array, as_float, as_int, check
from . import (
    N_MELODY_TOKENS,
    PART_NAMES,
    Chorale,
    CHORD_NAMES,  # noqa: F401
    chord_index,
    chord_templates,
    tokens_to_notes,
    unit_columns,
)

__all__ = [
    "Piece",
    "save_midi",
    "load_midi",
    "load_midi_folder",
    "gm_instrument",
    "as_parts",
    "voices_to_parts",
    "FolderReport",
]

TICKS_PER_BEAT = 480  # divisible by 2, 3, 4, 5, 8, 16: triplets and sixteenths land on ticks
DEFAULT_VELOCITY = 80
_META_PREFIX = "musynth-lab "
PC_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
# key signature names with the fewer accidentals (what mido accepts)
MAJOR_KEYS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MINOR_KEYS = ["Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"]
_NOTE_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_VOICE_NAMES = {"s": "S", "soprano": "S", "a": "A", "alto": "A", "t": "T", "tenor": "T", "b": "B", "bass": "B"}


@dataclass(frozen=True)
class Piece(Chorale):
    """A piece read from a file: a :class:`~musynth_lab.data.Chorale` plus what files carry.

    Every function that takes a chorale takes a ``Piece``. Times are quarter notes.

    Attributes
    ----------
    bpm : float
        The first tempo, in quarter notes per minute.
    tempos : tuple of (float, float)
        Every tempo as (onset in quarters, bpm); more than one when the tempo changes.
    programs : dict of str -> int
        General MIDI program (0-127) per part.
    velocities : dict of str -> np.ndarray [shape=(n_notes,)]
        MIDI velocity of each note of each part (``parts`` keeps the chorale's 3 columns).
    source : str
        The file it came from.
    log : tuple of str
        What was left out or changed on reading (drum tracks, extra time signatures, ...).

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "c.mid"
    >>> save_midi(load_chorales("test")[0], path, bpm=90)
    >>> p = load_midi(path)
    >>> p.bpm, p.key_name, p.meter, sorted(p.parts)
    (90.0, 'F major', (4, 4), ['A', 'B', 'S', 'T'])

    Chapter: notebooks/00_start_here.ipynb
    """

    bpm: float = 100.0
    tempos: tuple = ()
    programs: dict = field(default_factory=dict, repr=False)
    velocities: dict = field(default_factory=dict, repr=False)
    source: str = ""
    log: tuple = field(default=(), repr=False)


# ----------------------------------------------------------------------------------------
# What can be written: anything -> parts
# ----------------------------------------------------------------------------------------


def _check_notes(arr, name: str) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise ParameterError(f"{name} has shape {arr.shape}: expected rows of (onset, duration, pitch[, velocity])")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name}: expected finite onsets, durations and pitches, got NaN or inf")
    bad = np.flatnonzero(arr[:, 0] < 0)
    if bad.size:
        raise ParameterError(f"{name}: onset {arr[bad[0], 0]} in row {bad[0]}: expected onsets >= 0 quarter notes")
    bad = np.flatnonzero(arr[:, 1] <= 0)
    if bad.size:
        raise ParameterError(f"{name}: duration {arr[bad[0], 1]} in row {bad[0]}: expected positive durations in quarter notes")
    bad = np.flatnonzero((arr[:, 2] < 0) | (arr[:, 2] > 127) | (arr[:, 2] != np.round(arr[:, 2])))
    if bad.size:
        raise ParameterError(f"{name}: pitch {arr[bad[0], 2]} in row {bad[0]}: expected whole MIDI pitches in 0..127")
    if arr.shape[1] == 4:
        bad = np.flatnonzero((arr[:, 3] < 1) | (arr[:, 3] > 127))
        if bad.size:
            raise ParameterError(f"{name}: velocity {arr[bad[0], 3]} in row {bad[0]}: expected MIDI velocities in 1..127")
    return arr


def _roll_to_notes(roll, step: float, low: int) -> np.ndarray:
    rows = []
    for r, keyrow in enumerate(np.asarray(roll, dtype=bool)):
        padded = np.concatenate([[False], keyrow, [False]])
        edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
        for start, stop in zip(edges[::2], edges[1::2]):
            rows.append((start * step, (stop - start) * step, low + r))
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return arr[np.lexsort((arr[:, 2], arr[:, 0]))]


def as_parts(x, *, step: float | None = None, low: int = 21) -> dict:
    """The parts of anything :func:`save_midi` accepts, as ``{name: (n, 3 or 4) note rows}``.

    Parameters
    ----------
    x : Chorale, dict, array or sequence
        * a :class:`~musynth_lab.data.Chorale` or :class:`Piece`;
        * a dict ``{part name: note rows}``, rows of (onset, duration, pitch[, velocity]) in
          quarter notes;
        * one array of note rows (one part, ``'S'``), or a list of them (parts
          ``'S', 'A', 'T', 'B'`` in that order, then ``'P5'``, ...);
        * a 1-D melody token sequence (:func:`~musynth_lab.data.melody_tokens`), on a grid of
          ``step`` quarters (default 0.5);
        * a 2-D boolean piano roll ``(n_keys, n_frames)`` (:func:`~musynth_lab.data.piano_roll`),
          row 0 = MIDI ``low``, on a grid of ``step`` quarters (default 1.0). Consecutive
          frames of one key become one note (a roll cannot tell a held note from repeats).
    step : float, optional
        Grid step in quarter notes, for tokens and piano rolls only.
    low : int
        MIDI pitch of a piano roll's first row.

    Returns
    -------
    dict of str -> np.ndarray [shape=(n_notes, 3 or 4)]

    Raises
    ------
    ParameterError
        A negative duration, a pitch outside 0..127, a piece with no notes, an unknown shape.

    Examples
    --------
    >>> from musynth_lab.data import MELODY_LOW, HOLD
    >>> as_parts([2 + 60 - MELODY_LOW, HOLD, 2 + 62 - MELODY_LOW])["S"].tolist()
    [[0.0, 1.0, 60.0], [1.0, 0.5, 62.0]]
    >>> as_parts([[0, 1, 60], [1, 1, 64]])["S"].shape
    (2, 3)

    Chapter: notebooks/00_start_here.ipynb
    """
    step = as_float(step, "step", low=0, low_open=True, allow_none=True)
    low = as_int(low, "low", low=0, high=127)
    if isinstance(x, Chorale):
        vel = getattr(x, "velocities", {}) or {}
        parts = {
            k: _check_notes(np.column_stack([v, vel[k]]) if k in vel and len(vel[k]) == len(v) and len(v) else v, f"part {k!r}")
            for k, v in x.parts.items()
        }
        parts = {k: v for k, v in parts.items() if len(v)} or parts  # a loaded piece's empty parts stay out
    elif isinstance(x, dict):
        check(len(x) > 0, "x", x, "at least one part")
        parts = {str(k): _check_notes(v, f"part {k!r}") for k, v in x.items()}
    else:
        if hasattr(x, "detach"):  # a torch tensor
            x = x.detach().cpu().numpy()
        try:
            arr = np.asarray(x)
        except ValueError:  # ragged: a list of note lists
            arr = None
        if arr is not None and arr.dtype != object and arr.ndim == 1 and arr.size and np.issubdtype(arr.dtype, np.number):
            toks = arr
            check(
                np.all(toks == np.round(toks)) and toks.min() >= 0 and toks.max() < N_MELODY_TOKENS,
                "x",
                x,
                f"melody tokens in 0..{N_MELODY_TOKENS - 1}",
            )
            parts = {"S": tokens_to_notes(toks.astype(np.int64), step=0.5 if step is None else step)}
        elif (
            arr is not None
            and arr.dtype != object
            and arr.ndim == 2
            and (arr.dtype == bool or (arr.shape[1] not in (3, 4) and np.isin(arr, (0, 1)).all()))
        ):
            check(
                low >= 0 and low + arr.shape[0] <= 128,
                "low",
                low,
                f"a lowest pitch such that low + {arr.shape[0]} rows fit in 0..127",
            )
            parts = {"S": _roll_to_notes(arr, 1.0 if step is None else step, int(low))}
        elif arr is not None and arr.dtype != object and arr.ndim == 2:
            parts = {"S": _check_notes(arr, "x")}
        elif isinstance(x, (list, tuple)) and len(x) and all(np.ndim(v) == 2 or len(v) == 0 for v in x):
            names = list(PART_NAMES) + [f"P{i + 1}" for i in range(4, len(x))]
            parts = {
                names[i]: _check_notes(
                    np.asarray(v, dtype=np.float64).reshape(-1, np.shape(v)[1] if np.ndim(v) == 2 else 3), f"part {names[i]!r}"
                )
                for i, v in enumerate(x)
            }
        else:
            raise ParameterError(
                f"x={x!r:.80}: expected a Chorale, a dict of note rows, note rows (onset, duration, pitch[, velocity]), "
                "a list of those, a 1-D melody token sequence or a 2-D piano roll"
            )
    if sum(len(v) for v in parts.values()) == 0:
        raise ParameterError("x has no notes: expected at least one note to write")
    return parts


def voices_to_parts(voices, *, step: float, names=None) -> dict:
    """Parts from a grid of voices ``(n_steps, n_voices)`` of MIDI pitches (-1 = rest), e.g. a harmonizer's output.

    A pitch repeated on consecutive steps is one held note (a grid cannot tell it from
    re-struck notes), as in :func:`musynth_lab.models.harmony.chorale_voices`.

    Parameters
    ----------
    voices : array [shape=(n_steps, n_voices)]
        One column per voice, highest first.
    step : float
        Grid step in quarter notes.
    names : sequence of str, optional
        Part names; ``'S', 'A', 'T', 'B'`` for four voices (then ``'P5'``, ...).

    Returns
    -------
    dict of str -> np.ndarray [shape=(n_notes, 3)]

    Examples
    --------
    >>> voices_to_parts([[72, 60], [72, -1], [74, 55]], step=0.5)["S"].tolist()
    [[0.0, 1.0, 72.0], [1.0, 0.5, 74.0]]

    Chapter: notebooks/06c_coherence.ipynb
    """
    step = as_float(step, "step", low=0, low_open=True)
    grid = as_array(voices, "voices", ndim=2, integer=True)
    check(
        bool(np.all((grid >= -1) & (grid <= 127))),
        "voices",
        voices,
        "a (n_steps, n_voices) grid of MIDI pitches 0..127, -1 for a rest",
    )
    if names is None:
        names = list(PART_NAMES)[: grid.shape[1]] if grid.shape[1] <= 4 else [f"P{i + 1}" for i in range(grid.shape[1])]
    check(len(names) == grid.shape[1], "names", names, f"{grid.shape[1]} part names, one per voice")
    parts = {}
    for v, name in enumerate(names):
        rows, col = [], grid[:, v]
        for t, m in enumerate(col):
            if m < 0:
                continue
            if t > 0 and col[t - 1] == m:
                rows[-1][1] += step
            else:
                rows.append([t * step, step, float(m)])
        parts[name] = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return parts


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------


def programs_for(program, names, x=None) -> dict:
    if program is None:
        program = dict(getattr(x, "programs", {}) or {}) or 0
    if isinstance(program, dict):
        out = {}
        for n in names:
            p = program.get(n, 0)
            check(
                isinstance(p, (int, np.integer)) and 0 <= p <= 127,
                "program",
                program,
                "General MIDI programs in 0..127 (an int, or a dict part -> int)",
            )
            out[n] = int(p)
        return out
    check(
        isinstance(program, (int, np.integer)) and 0 <= program <= 127,
        "program",
        program,
        "a General MIDI program in 0..127 (0 = Acoustic Grand Piano, 52 = Choir Aahs), or a dict part -> int",
    )
    return {n: int(program) for n in names}


def time_signatures(meter, pickup_q: float):
    """[(tick, numerator, denominator)]: a pick-up bar gets its own short time signature."""
    num, den = int(meter[0]), int(meter[1])
    out = []
    if pickup_q > 1e-9:
        pden = den
        pnum = pickup_q * pden / 4
        while abs(pnum - round(pnum)) > 1e-9 and pden < 64:
            pden *= 2
            pnum = pickup_q * pden / 4
        if abs(pnum - round(pnum)) < 1e-9 and round(pnum) >= 1:
            out.append((0, int(round(pnum)), pden))
            out.append((int(round(pickup_q * TICKS_PER_BEAT)), num, den))
            return out
    return [(0, num, den)]


def piece_info(x, meter, key):
    """Metre, pickup, key and the kit's own extras (chords, fermatas) for writing."""
    info = {"meter": None, "pickup_q": 0.0, "key": None, "extra": None, "title": None}
    if isinstance(x, Chorale):
        info.update(meter=tuple(x.meter), pickup_q=float(x.pickup_q), key=(x.key_tonic_pc, x.key_mode), title=x.title)
        info["extra"] = {
            "id": x.id,
            "title": x.title,
            "split": x.split,
            "length_q": float(x.length_q),
            "bar_q": float(x.bar_q),
            "beats": [[float(b[0]), int(b[1]), q] for b, q in zip(x.beats, x.qualities)],
            "fermatas": [float(f) for f in x.fermatas],
        }
    if meter is not None:
        check(
            isinstance(meter, (tuple, list)) and len(meter) == 2 and int(meter[0]) > 0 and int(meter[1]) in (1, 2, 4, 8, 16, 32),
            "meter",
            meter,
            "a time signature such as (4, 4) or (6, 8)",
        )
        info["meter"] = (int(meter[0]), int(meter[1]))
    if key is not None:
        info["key"] = parse_key(key)
    if info["meter"] is None:
        info["meter"] = (4, 4)
    return info


def parse_key(key):
    """'G major', 'F# minor', 'Gm', (7, 'major') -> (tonic pc, mode)."""
    if isinstance(key, (tuple, list)) and len(key) == 2:
        pc, mode = key
        check(
            isinstance(pc, (int, np.integer)) and 0 <= pc < 12 and mode in ("major", "minor"),
            "key",
            key,
            "(tonic pitch class 0..11, 'major' or 'minor')",
        )
        return int(pc), str(mode)
    if isinstance(key, str):
        text = key.strip()
        mode = "major"
        if text.endswith(" minor") or (text.endswith("m") and not text.endswith("major")):
            mode = "minor"
        name = text.split(" ")[0].rstrip("m") if mode == "minor" else text.split(" ")[0]
        if name and name[0].upper() in _NOTE_PC:
            pc = _NOTE_PC[name[0].upper()] + name[1:].count("#") - name[1:].count("b")
            if len(name) == 1 or set(name[1:]) <= {"#", "b"}:
                return pc % 12, mode
    raise ParameterError(f"key={key!r}: expected a key such as 'G major', 'F# minor', 'Gm' or (7, 'major')")


def default_bpm(x, bpm) -> float:
    if bpm is None:
        bpm = float(getattr(x, "bpm", 100.0))
    check(
        isinstance(bpm, (int, float, np.floating, np.integer)) and not isinstance(bpm, bool) and 0 < float(bpm) <= 400,
        "bpm",
        bpm,
        "a tempo in (0, 400] quarter notes per minute",
    )
    return float(bpm)


def check_target(path, overwrite: bool, suffixes=(".mid", ".midi")) -> Path:
    check(isinstance(path, (str, os.PathLike)), "path", path, "a file path (str or pathlib.Path)")
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"path={str(path)!r} is a folder: expected a file name such as 'song{suffixes[0]}'")
    check(path.suffix.lower() in suffixes, "path", str(path), f"a file name ending in {' or '.join(suffixes)}")
    if path.exists() and not overwrite:
        raise ParameterError(f"path={str(path)!r} exists: pass overwrite=True to replace it (it was left untouched)")
    return path


def atomic_write(path: Path, write) -> None:
    """Write through a temporary file next to ``path``, so a failure leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_midi(
    x,
    path,
    *,
    bpm: float | None = None,
    program=None,
    step: float | None = None,
    low: int = 21,
    meter=None,
    key=None,
    velocity: int = DEFAULT_VELOCITY,
    overwrite: bool = False,
) -> None:
    """Write a piece as a Standard MIDI File (type 1): one track per part, playable anywhere.

    Parameters
    ----------
    x : Chorale, dict, array or sequence
        A chorale or :class:`Piece`, note rows (onset, duration, pitch[, velocity]) in quarter
        notes (one part, or a dict/list of parts), a 1-D melody token sequence or a 2-D piano
        roll; see :func:`as_parts`.
    path : str or Path
        The file to write (folders are created).
    bpm : float, optional
        Tempo in quarter notes per minute, in (0, 400]; a loaded :class:`Piece`'s own first
        tempo by default, else 100.
    program : int or dict of str -> int, optional
        General MIDI program per part (0 = Acoustic Grand Piano, 19 = Church Organ, 52 = Choir
        Aahs, 73 = Flute); one for all parts or a dict part -> program. A loaded
        :class:`Piece`'s own programs by default, else 0.
    step : float, optional
        Grid step in quarters of tokens (default 0.5) or a piano roll (default 1.0).
    low : int
        MIDI pitch of a piano roll's first row.
    meter : (int, int), optional
        Time signature; a chorale's own by default, else (4, 4). A chorale's pick-up bar is
        written as a short first bar (e.g. 1/4 then 4/4), as notation programs expect.
    key : str or (int, str), optional
        Key signature, e.g. ``'G major'``; a chorale's own by default, else none.
    velocity : int
        Velocity of notes that have none (1..127).
    overwrite : bool
        Replace an existing file. Without it an existing ``path`` raises and stays untouched.

    Raises
    ------
    ParameterError
        An existing file without ``overwrite=True``, no notes, a pitch outside 0..127, a
        duration <= 0, a bad tempo/program/metre/key. Nothing is written then.

    Notes
    -----
    Track 0 holds the tempo, time and key signatures and, for a chorale, one text event
    (``musynth-lab {...}``) with its chord labels and fermatas, so :func:`load_midi` gives
    back the same chorale. Parts go to channels 1, 2, ... (channel 10, the drum channel, is
    skipped); the track name is the part name.

    Examples
    --------
    >>> import tempfile, pathlib, mido
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two_notes.mid"
    >>> save_midi([[0, 1, 60], [1, 2, 67]], path, bpm=120, program=73)
    >>> [m.type for m in mido.MidiFile(path).tracks[1] if not m.is_meta]
    ['program_change', 'note_on', 'note_off', 'note_on', 'note_off']
    >>> save_midi([[0, 1, 62]], path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: path=... exists: pass overwrite=True to replace it (it was left untouched)

    Chapter: notebooks/00_start_here.ipynb
    """
    # mido and tqdm are imported where used: importing this module (and `import musynth_lab`) stays light
    import mido

    path = check_target(path, overwrite)
    bpm = default_bpm(x, bpm)
    velocity = as_int(velocity, "velocity", low=1, high=127)
    parts = as_parts(x, step=step, low=low)
    programs = programs_for(program, list(parts), x)
    info = piece_info(x, meter, key)
    if len(parts) > 15:
        raise ParameterError(f"x has {len(parts)} parts: expected at most 15 (MIDI has 16 channels, one for drums)")

    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name=str(info["title"] or path.stem), time=0))
    events = [(0, 0, mido.MetaMessage, "set_tempo", {"tempo": mido.bpm2tempo(float(bpm))})]
    for tick, num, den in time_signatures(info["meter"], info["pickup_q"]):
        events.append((tick, 1, mido.MetaMessage, "time_signature", {"numerator": num, "denominator": den}))
    if info["key"] is not None:
        pc, mode = info["key"]
        events.append((0, 2, mido.MetaMessage, "key_signature", {"key": (MAJOR_KEYS if mode == "major" else MINOR_KEYS)[pc]}))
    if info["extra"] is not None:
        events.append((0, 3, mido.MetaMessage, "text", {"text": _META_PREFIX + json.dumps(info["extra"], separators=(",", ":"))}))
    end_q = max(float((v[:, 0] + v[:, 1]).max()) for v in parts.values() if len(v))
    if info["extra"] is not None:
        end_q = max(end_q, info["extra"]["length_q"])
    _append_events(conductor, events, end_tick=int(round(end_q * TICKS_PER_BEAT)))
    mid.tracks.append(conductor)

    channels = [c for c in range(16) if c != 9]
    for i, (name, notes) in enumerate(parts.items()):
        ch = channels[i]
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        ev = [(0, 0, mido.Message, "program_change", {"channel": ch, "program": programs[name]})]
        for row in notes:
            on = int(round(row[0] * TICKS_PER_BEAT))
            off = max(on + 1, int(round((row[0] + row[1]) * TICKS_PER_BEAT)))
            vel = int(row[3]) if len(row) == 4 else int(velocity)
            ev.append((on, 2, mido.Message, "note_on", {"channel": ch, "note": int(row[2]), "velocity": vel}))
            ev.append((off, 1, mido.Message, "note_off", {"channel": ch, "note": int(row[2]), "velocity": 0}))
        _append_events(track, ev, end_tick=int(round(end_q * TICKS_PER_BEAT)))
        mid.tracks.append(track)
    atomic_write(path, lambda tmp: mid.save(tmp))


def _append_events(track, events, *, end_tick: int) -> None:
    """Absolute-tick events -> delta times (note-offs before note-ons at the same tick)."""
    import mido

    now = 0
    for tick, _, kind, type_, kw in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(kind(type_, time=tick - now, **kw))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))


# ----------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------


def _estimate_key(parts) -> tuple:
    """Krumhansl-Kessler key profiles correlated with the duration-weighted pitch classes."""
    major = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
    minor = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
    hist = np.zeros(12)
    for v in parts.values():
        np.add.at(hist, v[:, 2].astype(int) % 12, v[:, 1])
    best, key = -np.inf, (0, "major")
    for pc in range(12):
        for mode, prof in (("major", major), ("minor", minor)):
            r = np.corrcoef(hist, np.roll(prof, pc))[0, 1] if hist.std() > 0 else 0.0
            if r > best:
                best, key = r, (pc, mode)
    return key


def _beat_chords(parts, length_q: float):
    """Chord label per quarter-note beat by template matching of the sounding pitch classes."""
    n = max(1, int(math.ceil(length_q - 1e-9)))
    chroma = np.zeros((12, n))
    for v in parts.values():
        for on, dur, midi in v[:, :3]:
            for b in range(int(math.floor(on)), min(n, int(math.ceil(on + dur - 1e-9)))):
                overlap = min(on + dur, b + 1) - max(on, b)
                if overlap > 0:
                    chroma[int(midi) % 12, b] += overlap
    idx = (chord_templates() @ unit_columns(chroma)).argmax(axis=0) if chroma.any() else np.full(n, 24)  # template matching
    idx = np.where(chroma.sum(axis=0) > 0, idx, 24)
    roots = [int(i) % 12 if i < 24 else -1 for i in idx]
    quals = ["maj" if i < 12 else "min" if i < 24 else "N" for i in idx]
    return roots, quals


def _monophonic(notes: np.ndarray, polyphony: str, label: str, log: list) -> np.ndarray:
    """Resolve overlapping notes within one part (rows sorted by onset)."""
    if len(notes) < 2:
        return notes
    ends = notes[:, 0] + notes[:, 1]
    running = np.maximum.accumulate(ends)
    overlap = np.flatnonzero(notes[1:, 0] < running[:-1] - 1e-9)
    if overlap.size == 0 or polyphony == "keep":
        return notes
    if polyphony == "error":
        at = notes[overlap[0] + 1, 0]
        raise ParameterError(
            f"{label} has overlapping notes (chords) from quarter {at:g}: a part of the kit is one voice. "
            "Pass polyphony='top' to keep the highest sounding note (a melody), or polyphony='keep' to keep "
            "the chords in one part (fine for piano rolls, not for melody tokens)"
        )
    kept = []  # polyphony == 'top': the skyline
    for row in notes[np.lexsort((-notes[:, 2], notes[:, 0]))]:
        if kept and kept[-1][0] + kept[-1][1] > row[0] + 1e-9:
            last = kept[-1]
            if row[2] > last[2]:
                last[1] = row[0] - last[0]
                if last[1] <= 1e-9:
                    kept.pop()
                kept.append(row.copy())
            continue
        kept.append(row.copy())
    log.append(f"{label}: overlapping notes reduced to the highest voice ({len(notes) - len(kept)} notes dropped)")
    return np.array(kept).reshape(-1, notes.shape[1])


def _meter_and_pickup(sigs, log):
    """(meter, pickup_q) from [(quarters, num, den)]: a short first bar is a pick-up."""
    if not sigs:
        return (4, 4), 0.0
    sigs = sorted(sigs)
    pickup = 0.0
    first = sigs[0]
    if len(sigs) >= 2 and first[0] == 0:
        bar0 = first[1] * 4 / first[2]
        second = sigs[1]
        bar1 = second[1] * 4 / second[2]
        if abs(second[0] - bar0) < 1e-9 and bar0 < bar1 - 1e-9:
            pickup, first = bar0, second
            sigs = sigs[1:]
    if len(sigs) > 1:
        log.append(f"{len(sigs) - 1} later time signature change(s) ignored: the piece keeps {first[1]}/{first[2]}")
    return (int(first[1]), int(first[2])), float(pickup)


def build_piece(voices, *, path, title, sigs, keys, tempos, extra, tracks, polyphony, log) -> Piece:
    """voices: list of (name, program, rows (n, 4) in quarters)."""
    voices = [v for v in voices if len(v[2])]
    if not voices:
        raise ParameterError(f"path={str(path)!r}: the file has no notes")
    if tracks is not None:
        names = [v[0] for v in voices]
        chosen = []
        for t in tracks:
            if isinstance(t, (int, np.integer)) and 0 <= t < len(voices):
                chosen.append(voices[int(t)])
            elif isinstance(t, str) and t in names:
                chosen.append(voices[names.index(t)])
            else:
                raise ParameterError(f"tracks contains {t!r}: expected indices 0..{len(voices) - 1} or names {names}")
        voices = chosen
    mapped = [_VOICE_NAMES.get(v[0].strip().lower()) for v in voices]
    if all(mapped) and len(set(mapped)) == len(mapped):
        names = mapped
    elif len(voices) <= 4:
        order = np.argsort([-np.mean(v[2][:, 2]) for v in voices], kind="stable") if tracks is None else np.arange(len(voices))
        slots = {1: "S", 2: "SB", 3: "SAB", 4: "SATB"}[len(voices)]
        names = [None] * len(voices)
        for slot, i in zip(slots, order):
            names[i] = slot
        log.append("parts assigned by pitch: " + ", ".join(f"{v[0] or 'track'!r} -> {n}" for v, n in zip(voices, names)))
    else:
        raise ParameterError(
            f"path={str(path)!r} has {len(voices)} pitched tracks {[v[0] for v in voices]}: the kit's pieces have up "
            "to four parts (S, A, T, B). Pass tracks=[...] (indices or names, up to four, highest voice first)"
        )
    parts, programs, velocities = {}, {}, {}
    for (vname, prog, rows), name in zip(voices, names):
        rows = rows[np.lexsort((rows[:, 2], rows[:, 0]))]
        rows = _monophonic(rows, polyphony, f"{Path(path).name} track {vname or name!r}", log)
        parts[name] = rows[:, :3].copy()
        velocities[name] = rows[:, 3].copy() if rows.shape[1] == 4 else np.full(len(rows), float(DEFAULT_VELOCITY))
        programs[name] = int(prog)
    for name in PART_NAMES:
        parts.setdefault(name, np.zeros((0, 3)))
    meter, pickup = _meter_and_pickup(sigs, log)
    bar_q = meter[0] * 4 / meter[1]
    end_q = max(float((v[:, 0] + v[:, 1]).max()) for v in parts.values() if len(v))
    if keys:
        pc, mode = sorted(keys)[0][1]
    else:
        pc, mode = _estimate_key(parts)
        log.append(f"no key signature: key estimated from the notes as {PC_NAMES[pc]} {mode}")
    tempos = tuple(sorted(tempos)) or ((0.0, 120.0),)
    pid, split, fermatas, beats_raw, length_q = Path(path).stem, "own", [], None, end_q
    if extra:
        pid = extra.get("id", pid)
        title = extra.get("title", title)
        split = extra.get("split", split)
        fermatas = extra.get("fermatas", [])
        beats_raw = extra.get("beats")
        length_q = float(extra.get("length_q", end_q))
    if beats_raw is not None:
        onsets = [b[0] for b in beats_raw]
        roots = [b[1] for b in beats_raw]
        quals = [b[2] for b in beats_raw]
    else:
        roots, quals = _beat_chords(parts, length_q)
        onsets = list(range(len(roots)))

    beats = np.array(
        [[on, r, chord_index(r, q), (on - pickup) % bar_q] for on, r, q in zip(onsets, roots, quals)], dtype=np.float64
    ).reshape(-1, 4)
    return Piece(
        id=pid,
        title=title or pid,
        key_tonic_pc=int(pc),
        key_mode=mode,
        meter=meter,
        bar_q=bar_q,
        pickup_q=pickup,
        length_q=length_q,
        parts=parts,
        beats=beats,
        qualities=tuple(quals),
        fermatas=np.array(fermatas, dtype=np.float64),
        split=split,
        bpm=float(tempos[0][1]),
        tempos=tempos,
        programs=programs,
        velocities=velocities,
        source=str(path),
        log=tuple(log),
    )


def check_source(path, suffixes) -> Path:
    check(isinstance(path, (str, os.PathLike)), "path", path, "a file path (str or pathlib.Path)")
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"path={str(path)!r}: no such file")
    if path.stat().st_size == 0:
        raise ParameterError(f"path={str(path)!r}: the file is empty")
    return path


def load_midi(path, *, tracks=None, polyphony: str = "error", drums: str = "skip") -> Piece:
    """Read a MIDI file into the kit's piece type, ready for every chapter's functions.

    Parameters
    ----------
    path : str or Path
        A Standard MIDI File (type 0 or 1).
    tracks : sequence of int or str, optional
        Which pitched tracks to keep (indices among the tracks that have notes, or track
        names), at most four. By default all, which must be at most four.
    polyphony : {'error', 'top', 'keep'}
        What to do when notes overlap within a track (chords, a piano's two hands): refuse
        with a message (default), keep the highest sounding note (``'top'``, a melody), or
        keep them all in one part (``'keep'``; piano rolls are fine, melody tokens are not).
        A note re-struck before its note-off always ends at the new note-on.
    drums : {'skip', 'error'}
        Channel 10 (General MIDI percussion) has no pitch: leave it out (noted in
        ``Piece.log``) or refuse.

    Returns
    -------
    Piece
        Parts named ``'S', 'A', 'T', 'B'``: by track name when the tracks are so named
        (``'S'`` or ``'Soprano'``, ...), else by mean pitch (1 track: S; 2: S, B; 3: S, A, B;
        4: S, A, T, B); missing parts are empty. Time signature (a short first bar is read
        as a pick-up), key signature (estimated from the notes when the file has none),
        tempo (``bpm``, all changes in ``tempos``: note times are in quarters, so tempo
        changes only matter for playback) and programs. Chord labels per beat come from a
        file the kit wrote, else from template matching of the sounding notes.

    Raises
    ------
    ParameterError
        A missing, empty or corrupt file, one with no notes, more than four tracks without
        ``tracks=``, overlapping notes with ``polyphony='error'``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "melody.mid"
    >>> save_midi({"S": [[0, 1, 67], [1, 1, 65], [2, 2, 64]], "B": [[0, 2, 48], [2, 2, 48]]}, path, key="C major")
    >>> p = load_midi(path)
    >>> p.parts["S"].tolist(), p.parts["B"][:, 2].tolist(), p.key_name
    ([[0.0, 1.0, 67.0], [1.0, 1.0, 65.0], [2.0, 2.0, 64.0]], [48.0, 48.0], 'C major')
    >>> from musynth_lab.data import melody_tokens, piano_roll
    >>> melody_tokens(p, step=1.0).tolist(), piano_roll(p).shape
    ([33, 31, 30, 1], (88, 4))

    Chapter: notebooks/00_start_here.ipynb
    """
    import mido

    check(polyphony in ("error", "top", "keep"), "polyphony", polyphony, "'error', 'top' or 'keep'")
    check(drums in ("skip", "error"), "drums", drums, "'skip' or 'error'")
    path = check_source(path, (".mid", ".midi"))
    try:
        mid = mido.MidiFile(str(path), clip=True)
    except Exception as err:  # mido raises OSError, EOFError, ValueError, KeyError, IndexError on bad bytes
        raise ParameterError(f"path={str(path)!r}: not a readable MIDI file ({type(err).__name__}: {err})") from None
    if mid.type == 2:
        raise ParameterError(f"path={str(path)!r}: MIDI type 2 (independent sequences) is not supported; expected type 0 or 1")
    tpb = float(mid.ticks_per_beat)
    log, sigs, keys, tempos, extra, title = [], [], [], [], None, None
    voices = {}  # (track index, channel) -> dict(name, program, rows)
    for ti, track in enumerate(mid.tracks):
        tick, name, programs, active = 0, None, {}, {}
        for msg in track:
            tick += msg.time
            q = tick / tpb
            t = msg.type
            if t == "track_name":
                name = msg.name
                if title is None:
                    title = msg.name
            elif t == "time_signature":
                sigs.append((q, msg.numerator, msg.denominator))
            elif t == "key_signature":
                k = msg.key
                keys.append((q, parse_key(k)))
            elif t == "set_tempo":
                tempos.append((q, round(float(mido.tempo2bpm(msg.tempo)), 3)))  # microseconds per quarter: 72 bpm reads 72.00003
            elif t == "text" and msg.text.startswith(_META_PREFIX):
                try:
                    extra = json.loads(msg.text[len(_META_PREFIX) :])
                except ValueError:
                    log.append("an unreadable musynth-lab text event was ignored")
            elif t == "program_change":
                programs[msg.channel] = msg.program
            elif t in ("note_on", "note_off"):
                key = (ti, msg.channel)
                v = voices.setdefault(key, {"name": name, "program": programs.get(msg.channel, 0), "rows": []})
                if v["name"] is None:
                    v["name"] = name
                if t == "note_on" and msg.velocity > 0:
                    if (msg.channel, msg.note) in active:  # re-struck: end the sounding note here
                        on, vel = active.pop((msg.channel, msg.note))
                        if tick > on:
                            v["rows"].append((on / tpb, (tick - on) / tpb, msg.note, vel))
                    active[(msg.channel, msg.note)] = (tick, msg.velocity)
                    if not v["rows"] and len(active) == 1:
                        v["program"] = programs.get(msg.channel, 0)
                else:
                    if (msg.channel, msg.note) in active:
                        on, vel = active.pop((msg.channel, msg.note))
                        if tick > on:
                            v["rows"].append((on / tpb, (tick - on) / tpb, msg.note, vel))
        for (ch, note), (on, vel) in active.items():  # never released: end at the track's end
            if tick > on:
                voices[(ti, ch)]["rows"].append((on / tpb, (tick - on) / tpb, note, vel))
                log.append(f"track {ti}: note {note} at quarter {on / tpb:g} had no note-off; ended at the track's end")
    pitched = []
    chans_per_track = {}
    for ti, _ch in voices:
        chans_per_track[ti] = chans_per_track.get(ti, 0) + 1
    for (ti, ch), v in sorted(voices.items()):
        if not v["rows"]:
            continue
        label = v["name"] or f"track {ti}"
        if chans_per_track[ti] > 1:
            label = f"{label} ch{ch + 1}"
        if ch == 9:
            if drums == "error":
                raise ParameterError(
                    f"path={str(path)!r}: {label!r} is on channel 10 (drums), which has no pitches; "
                    "pass drums='skip' to leave it out"
                )
            log.append(f"{label!r} on channel 10 (drums) left out: {len(v['rows'])} notes")
            continue
        pitched.append((label, v["program"], np.array(v["rows"], dtype=np.float64)))
    if not pitched and voices:
        raise ParameterError(f"path={str(path)!r}: the file has only drum notes (channel 10), no pitched notes")
    return build_piece(
        pitched,
        path=path,
        title=title,
        sigs=sigs,
        keys=keys,
        tempos=tempos,
        extra=extra,
        tracks=tracks,
        polyphony=polyphony,
        log=log,
    )


@dataclass
class FolderReport:
    """What a folder loader read and what it skipped.

    Attributes
    ----------
    loaded : list of str
        File names read.
    skipped : list of (str, str)
        (file name, why) for every file that could not be read.
    """

    loaded: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def __repr__(self) -> str:
        lines = [f"{len(self.loaded)} loaded, {len(self.skipped)} skipped"]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped]
        return "\n".join(lines)


def music_files(folder, suffixes, what: str):
    check(isinstance(folder, (str, os.PathLike)), "folder", folder, "a folder path (str or pathlib.Path)")
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"folder={str(folder)!r}: no such folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    if not files:
        raise ParameterError(f"folder={str(folder)!r} has no {what} files (expected names ending in {', '.join(suffixes)})")
    return folder, files


def load_midi_folder(folder, *, progress: bool = True, **kwargs):
    """Read every MIDI file in a folder (and its subfolders) into pieces; skip and report the bad ones.

    Parameters
    ----------
    folder : str or Path
        Files ending in ``.mid`` or ``.midi`` are read, in sorted order.
    progress : bool
        Show a tqdm progress bar.
    **kwargs
        Passed to :func:`load_midi` (``tracks``, ``polyphony``, ``drums``).

    Returns
    -------
    pieces : list of Piece
    report : FolderReport
        The names read and, for each skipped file, why.

    Raises
    ------
    ParameterError
        No such folder, no MIDI files in it, or no file could be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save_midi([[0, 1, 60], [1, 1, 62]], folder / "a.mid")
    >>> _ = (folder / "broken.mid").write_bytes(b"not a midi file")
    >>> pieces, report = load_midi_folder(folder, progress=False)
    >>> len(pieces), report.skipped[0][0]
    (1, 'broken.mid')

    Chapter: notebooks/05_synthesis.ipynb
    """
    from tqdm.auto import tqdm

    folder, files = music_files(folder, (".mid", ".midi"), "MIDI")
    pieces, report = [], FolderReport()
    for f in tqdm(files, desc="MIDI files", disable=not progress):
        name = str(f.relative_to(folder))
        try:
            pieces.append(load_midi(f, **kwargs))
            report.loaded.append(name)
        except ParameterError as err:
            report.skipped.append((name, str(err)))
    if not pieces:
        raise ParameterError(f"folder={str(folder)!r}: none of its {len(files)} MIDI files could be read: {report.skipped[0][1]}")
    return pieces, report


# ----------------------------------------------------------------------------------------
# Playing
# ----------------------------------------------------------------------------------------

#: General MIDI program family (program // 8) -> nearest bundled instrument.
GM_FAMILY_INSTRUMENT = (
    "piano",  # 0-7    pianos
    "marimba",  # 8-15   chromatic percussion (celesta, glockenspiel, vibraphone, marimba, ...)
    "organ",  # 16-23  organs
    "guitar",  # 24-31  guitars
    "bass",  # 32-39  basses
    "violin",  # 40-47  solo strings
    "violin",  # 48-55  ensembles (string ensembles; choirs 52-54 -> choir, below)
    "trumpet",  # 56-63  brass
    "clarinet",  # 64-71  reeds (saxophones, oboe, bassoon, clarinet)
    "flute",  # 72-79  pipes (piccolo, flute, recorder, pan flute, ...)
    "flute",  # 80-87  synth leads
    "organ",  # 88-95  synth pads
    "organ",  # 96-103 synth effects
    "guitar",  # 104-111 ethnic (sitar, banjo, shamisen, koto, ...)
    "marimba",  # 112-119 percussive (tinkle bell, steel drums, ...)
    "piano",  # 120-127 sound effects
)


def gm_instrument(program: int) -> str:
    """The bundled instrument nearest a General MIDI program.

    By family (``program // 8``): pianos -> piano, chromatic percussion -> marimba, organs
    -> organ, guitars -> guitar, basses -> bass, strings and string ensembles -> violin,
    choir/voice (52-54) -> choir, brass -> trumpet, reeds -> clarinet, pipes -> flute,
    synth leads -> flute, synth pads and effects -> organ, ethnic -> guitar, percussive ->
    marimba, sound effects -> piano.

    Examples
    --------
    >>> gm_instrument(0), gm_instrument(19), gm_instrument(52), gm_instrument(73)
    ('piano', 'organ', 'choir', 'flute')

    Chapter: notebooks/00_start_here.ipynb
    """
    check(isinstance(program, (int, np.integer)) and 0 <= program <= 127, "program", program, "a General MIDI program in 0..127")
    if 52 <= program <= 54:
        return "choir"
    return GM_FAMILY_INSTRUMENT[int(program) // 8]
