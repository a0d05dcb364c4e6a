"""The bundled, offline data sets and their encodings.

Three sets ship with the kit (provenance and licences in ``data/README.md``):

* **chorales**: the four-part Bach chorales of music21's corpus (public domain), as notes
  per part, key, metre, fermatas and a chord label per quarter-note beat, with a fixed
  299/65/45-piece split (73/16/11 %, by a hash of each piece id) (:func:`load_chorales`);
* **notes**: single notes of 10 instruments rendered from the FluidR3 GM SoundFont
  (MIT licence), 24 pitches x 2 velocities each, 1 s at 16 kHz (:func:`load_notes`);
* **excerpts**: chorale openings rendered to audio with six ensembles, 22.05 kHz, with
  sample-aligned note and beat-chord annotations (:func:`load_excerpt`).

The 25-class chord vocabulary (:data:`CHORD_NAMES`, :func:`chord_index`, :func:`chord_name`)
and its triad templates (:func:`chord_templates`, :func:`unit_columns`, :data:`N_CHORDS`,
:data:`NO_CHORD`, :data:`VOCABULARIES`; public, not in ``__all__``) live here, below
:mod:`musynth_lab.stats.chords`, which matches chroma against them.

Everything is read through :mod:`importlib.resources`, so it works from a source checkout,
an editable install, an installed wheel and on Colab, with no network.

Chapter: notebooks/00_start_here.ipynb
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..audio import load as _load_audio  # private alias: the name `load` is not data's API
from ..errors import ParameterError, as_array, as_float, as_int, as_sequence, check

__all__ = [
    "data_dir",
    "SPLITS",
    "Chorale",
    "load_chorales",
    "piano_roll",
    "notes_to_roll",
    "melody_notes",
    "melody_tokens",
    "tokens_to_notes",
    "MELODY_LOW",
    "MELODY_HIGH",
    "REST",
    "HOLD",
    "N_MELODY_TOKENS",
    "CHORD_NAMES",
    "chord_index",
    "chord_name",
    "NoteSet",
    "load_notes",
    "list_instruments",
    "INSTRUMENT_FAMILIES",
    "Excerpt",
    "list_excerpts",
    "load_excerpt",
]

SPLITS = ("train", "val", "test")
PART_NAMES = ("S", "A", "T", "B")


def data_dir() -> Path:
    """Where the bundled data lives.

    Order: ``$MUSYNTH_DATA`` if set; the copy inside an installed wheel
    (``musynth_lab/_data``); the repository's ``data/`` for a source or editable checkout.

    Examples
    --------
    >>> (data_dir() / "chorales").is_dir()
    True

    Chapter: notebooks/00_start_here.ipynb
    """
    env = os.environ.get("MUSYNTH_DATA")
    if env:
        return Path(env)
    try:
        packaged = resources.files("musynth_lab") / "_data"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        pass
    here = Path(__file__).resolve().parent.parent.parent / "data"  # repo/musynth_lab/data/__init__.py -> repo/data
    if here.is_dir():
        return here
    raise FileNotFoundError("musynth_lab's bundled data was not found: reinstall the package, or set MUSYNTH_DATA")


def _file(*parts: str) -> Path:
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"bundled data file {'/'.join(parts)!r} is missing from {data_dir()}")
    return path


# ----------------------------------------------------------------------------------------
# Chords
# ----------------------------------------------------------------------------------------

_PC_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
#: The 25-class vocabulary: 12 major (0-11), 12 minor (12-23), then "N" (no chord, 24).
CHORD_NAMES = tuple([f"{n}:maj" for n in _PC_NAMES] + [f"{n}:min" for n in _PC_NAMES] + ["N"])


def chord_index(root: int, quality: str) -> int:
    """Map a (root pitch class, quality) label to the 25-class major/minor vocabulary.

    Diminished triads count as minor and augmented as major (both keep their third), as
    in the usual major/minor evaluation; ``quality='N'`` (or root -1) is "no chord", 24.

    Examples
    --------
    >>> chord_index(7, "maj"), chord_index(9, "min"), chord_index(11, "dim"), chord_index(-1, "N")
    (7, 21, 23, 24)

    Chapter: notebooks/00_start_here.ipynb
    """
    check(isinstance(quality, str), "quality", quality, "one of 'maj', 'min', 'dim', 'aug', 'N'")
    if quality == "N" or root is None:
        return 24
    root = as_int(root, "root", low=-1, high=11)
    if root < 0:
        return 24
    if quality in ("maj", "aug"):
        return int(root)
    if quality in ("min", "dim"):
        return 12 + int(root)
    raise ParameterError(f"quality={quality!r}: expected one of 'maj', 'min', 'dim', 'aug', 'N'")


def chord_name(index: int) -> str:
    """Name of a chord in the 25-class vocabulary, e.g. ``7 -> 'G:maj'``.

    Examples
    --------
    >>> chord_name(7), chord_name(21), chord_name(24)
    ('G:maj', 'A:min', 'N')
    >>> chord_name(chord_index(2, "min"))
    'D:min'

    Chapter: notebooks/00_start_here.ipynb
    """
    index = as_int(index, "index", low=0, high=len(CHORD_NAMES) - 1)
    return CHORD_NAMES[index]


N_CHORDS = 25
NO_CHORD = 24
#: Chord vocabularies the kit knows; only the 25-class major/minor one is implemented.
VOCABULARIES = ("majmin",)


def check_vocabulary(vocabulary: str) -> None:
    """Refuse a chord vocabulary other than those in :data:`VOCABULARIES` (a :class:`ParameterError`)."""
    if vocabulary not in VOCABULARIES:
        raise ParameterError(f"vocabulary={vocabulary!r}: expected one of {VOCABULARIES} (24 major/minor triads plus 'N')")


def chord_templates(vocabulary: str = "majmin", *, normalize: bool = True) -> np.ndarray:
    """Binary triad templates over the 12 pitch classes, ``(25, 12)``.

    Row ``r`` (0-11) has the major triad on root ``r`` (root, major third, fifth), row
    ``12 + r`` the minor triad, row 24 ("N") is flat.

    Parameters
    ----------
    vocabulary : {'majmin'}
        The 25-class major/minor vocabulary of :data:`musynth_lab.data.CHORD_NAMES`.
    normalize : bool
        Scale each row to unit Euclidean norm (for cosine similarity).

    Returns
    -------
    np.ndarray [shape=(25, 12)]

    Raises
    ------
    ParameterError
        An unknown vocabulary.

    Examples
    --------
    >>> T = chord_templates(normalize=False)
    >>> np.flatnonzero(T[0]).tolist(), np.flatnonzero(T[12 + 9]).tolist()   # C major, A minor
    ([0, 4, 7], [0, 4, 9])

    Chapter: notebooks/04a_statistical.ipynb
    """
    check_vocabulary(vocabulary)
    T = np.zeros((N_CHORDS, 12))
    for r in range(12):
        T[r, [r, (r + 4) % 12, (r + 7) % 12]] = 1.0
        T[12 + r, [r, (r + 3) % 12, (r + 7) % 12]] = 1.0
    T[NO_CHORD] = 1.0
    if normalize:
        T /= np.linalg.norm(T, axis=1, keepdims=True)
    return T


def unit_columns(chroma: np.ndarray) -> np.ndarray:
    """The columns of ``chroma (12, n)`` scaled to unit Euclidean norm (an all-zero column stays zero)."""
    return chroma / np.maximum(np.linalg.norm(chroma, axis=0, keepdims=True), 1e-9)


# ----------------------------------------------------------------------------------------
# Chorales
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chorale:
    """One four-part chorale. Times are in quarter notes from the start of the score.

    Attributes
    ----------
    id : str
        music21 corpus name, e.g. ``'bwv26.6'``.
    key_tonic_pc : int
        Pitch class of the tonic (0 = C), from music21's key analysis.
    key_mode : str
        ``'major'`` or ``'minor'``.
    meter : tuple of int
        Time signature, e.g. ``(4, 4)``.
    bar_q, pickup_q : float
        Bar length and the length of the pick-up bar (0 when there is none), in quarters.
    parts : dict of str -> np.ndarray [shape=(n_notes, 3)]
        For ``'S'``, ``'A'``, ``'T'``, ``'B'``: rows of (onset, duration, MIDI pitch).
    beats : np.ndarray [shape=(n_beats, 4)]
        Rows of (onset, root pitch class or -1, chord index in :data:`CHORD_NAMES`,
        position in the bar), one per quarter-note beat.
    qualities : tuple of str
        The full triad quality per beat (``'maj'``, ``'min'``, ``'dim'``, ``'aug'``, ``'N'``).
    fermatas : np.ndarray [shape=(n_fermatas,)]
        Onsets of soprano notes with a fermata (phrase ends).
    split : str
        ``'train'``, ``'val'`` or ``'test'``.

    Examples
    --------
    >>> c = load_chorales("train")[0]
    >>> c.id, c.key_name, c.meter
    ('bwv10.7', 'G minor', (4, 4))
    >>> c.parts["S"].shape[1], c.chords.shape == (len(c.beats),)
    (3, True)

    Chapter: notebooks/00_start_here.ipynb
    """

    id: str
    title: str
    key_tonic_pc: int
    key_mode: str
    meter: tuple
    bar_q: float
    pickup_q: float
    length_q: float
    parts: dict = field(repr=False)
    beats: np.ndarray = field(repr=False)
    qualities: tuple = field(repr=False)
    fermatas: np.ndarray = field(repr=False)
    split: str = "train"

    @property
    def key_name(self) -> str:
        return f"{_PC_NAMES[self.key_tonic_pc]} {self.key_mode}"

    @property
    def chords(self) -> np.ndarray:
        """Chord index per beat, ``(n_beats,)`` ints in 0..24."""
        return self.beats[:, 2].astype(np.int64)

    def piano_roll(self, *, step: float = 1.0, **kw) -> np.ndarray:
        """Shorthand for :func:`piano_roll` of this piece."""
        return piano_roll(self, step=step, **kw)

    def melody_tokens(self, **kw) -> np.ndarray:
        """Shorthand for :func:`melody_tokens` of this piece."""
        return melody_tokens(self, **kw)


@functools.lru_cache(maxsize=1)
def _all_chorales() -> tuple:
    with gzip.open(_file("chorales", "chorales.json.gz"), "rt") as fh:
        blob = json.load(fh)
    pieces = []
    for p in blob["pieces"]:
        beats = np.array([[b, root, chord_index(root, q), pos] for b, root, q, pos in p["beats"]], dtype=np.float64).reshape(
            -1, 4
        )
        pieces.append(
            Chorale(
                id=p["id"],
                title=p["title"],
                key_tonic_pc=p["key"]["tonic_pc"],
                key_mode=p["key"]["mode"],
                meter=tuple(p["meter"]),
                bar_q=p["bar_q"],
                pickup_q=p["pickup_q"],
                length_q=p["length_q"],
                parts={k: np.array(v, dtype=np.float64).reshape(-1, 3) for k, v in p["parts"].items()},
                beats=beats,
                qualities=tuple(q for _, _, q, _ in p["beats"]),
                fermatas=np.array(p["fermatas"], dtype=np.float64),
                split=p["split"],
            )
        )
    return tuple(pieces)


def load_chorales(split: str = "train") -> list[Chorale]:
    """The bundled Bach chorales of one split.

    Parameters
    ----------
    split : {'train', 'val', 'test', 'all'}
        The fixed split by piece: 299/65/45 pieces (73/16/11 %), identical on every machine.

    Returns
    -------
    list of Chorale

    Raises
    ------
    ParameterError
        An unknown split.

    Examples
    --------
    >>> train = load_chorales("train"); len(train) > 250
    True
    >>> sorted(train[0].parts)
    ['A', 'B', 'S', 'T']

    Chapter: notebooks/00_start_here.ipynb
    """
    if split not in SPLITS + ("all",):
        raise ParameterError(f"split={split!r}: expected one of 'train', 'val', 'test', 'all'")
    pieces = _all_chorales()
    return [p for p in pieces if split == "all" or p.split == split]


def piano_roll(piece: Chorale, *, step: float = 1.0, low: int = 21, n_keys: int = 88, parts=PART_NAMES) -> np.ndarray:
    """A binary piano roll of a chorale on a regular grid.

    A key is on in a frame when a note sounds at the frame's start (its onset is at or
    before the frame and it has not ended).

    Parameters
    ----------
    piece : Chorale
    step : float
        Grid step in quarter notes: 1.0 (quarter-note frames, as in the JSB Chorales
        literature) or 0.5 (eighth notes).
    low : int
        MIDI pitch of the first row (21 = A0, the piano's lowest key).
    n_keys : int
        Number of rows (88 for the piano).
    parts : sequence of str
        Which voices to include.

    Returns
    -------
    np.ndarray [shape=(n_keys, n_frames)], bool

    Examples
    --------
    >>> roll = piano_roll(load_chorales("train")[0], step=1.0)
    >>> roll.shape[0], int(roll.sum(axis=0).max()) <= 4
    (88, True)

    Chapter: notebooks/00_start_here.ipynb
    """
    check(isinstance(piece, Chorale), "piece", piece, "a Chorale from load_chorales()")
    step = as_float(step, "step", low=0, low_open=True)
    parts = as_sequence(parts, "parts", what="a sequence of part names ('S', 'A', 'T', 'B')")
    rows = []
    for key in parts:
        if key not in piece.parts:
            raise ParameterError(f"parts contains {key!r}: expected some of 'S', 'A', 'T', 'B'")
        rows.append(piece.parts[key])
    notes = np.concatenate(rows) if rows else np.zeros((0, 3))
    return notes_to_roll(notes, step=step, low=low, n_keys=n_keys, n_frames=int(np.ceil(piece.length_q / step - 1e-9)))


def notes_to_roll(notes, *, step: float = 0.5, low: int = 21, n_keys: int = 88, n_frames: int | None = None) -> np.ndarray:
    """A binary piano roll ``(n_keys, n_frames)`` from note rows (onset, duration, MIDI) in quarter notes.

    Examples
    --------
    >>> notes_to_roll([[0.0, 1.0, 60.0], [1.0, 0.5, 62.0]], step=0.5)[[60 - 21, 62 - 21]].astype(int).tolist()
    [[1, 1, 0], [0, 0, 1]]

    Chapter: notebooks/00_start_here.ipynb
    """
    arr = as_array(notes, "notes", ndim=2, allow_empty=n_frames is not None)
    check(arr.shape[1:] in ((3,), (4,)) or arr.size == 0, "notes", notes, "rows of (onset, duration, MIDI[, velocity])")
    arr = arr[:, :3].reshape(-1, 3)
    check(bool(np.all(arr[:, 0] >= 0) and np.all(arr[:, 1] >= 0)), "notes", notes, "onsets and durations >= 0 (quarter notes)")
    step = as_float(step, "step", low=0, low_open=True)
    low, n_keys = as_int(low, "low", low=0, high=127), as_int(n_keys, "n_keys", high=128)
    n_frames = as_int(n_frames, "n_frames", low=1, allow_none=True)
    end = float((arr[:, 0] + arr[:, 1]).max()) if len(arr) else 0.0
    check(
        n_frames is not None or end / step <= 10**7,
        "notes",
        notes,
        f"notes ending within 10**7 frames of step {step} (this one ends at {end:g} quarters)",
    )
    n = n_frames if n_frames is not None else int(np.ceil(end / step - 1e-9))
    roll = np.zeros((n_keys, n), dtype=bool)
    for on, dur, midi in arr:
        row = int(midi) - low
        if 0 <= row < n_keys:
            roll[row, int(np.ceil(on / step - 1e-9)) : int(np.ceil((on + dur) / step - 1e-9))] = True
    return roll


def melody_notes(piece: Chorale, *, part: str = "S") -> np.ndarray:
    """The notes of one voice as rows of (onset, duration, MIDI pitch) in quarter notes.

    Examples
    --------
    >>> bass = melody_notes(load_chorales("train")[0], part="B")
    >>> bass.shape[1], bool((bass[:, 1] > 0).all())
    (3, True)

    Chapter: notebooks/00_start_here.ipynb
    """
    check(isinstance(piece, Chorale), "piece", piece, "a Chorale from load_chorales()")
    if part not in PART_NAMES:
        raise ParameterError(f"part={part!r}: expected one of 'S', 'A', 'T', 'B'")
    return piece.parts[part]


#: Melody token vocabulary: 0 = rest, 1 = hold (the previous note continues), then one
#: token per MIDI pitch from MELODY_LOW to MELODY_HIGH (note onsets).
REST, HOLD = 0, 1
MELODY_LOW, MELODY_HIGH = 36, 84
N_MELODY_TOKENS = 2 + MELODY_HIGH - MELODY_LOW + 1


def melody_tokens(piece: Chorale, *, part: str = "S", step: float = 0.5, transpose: int = 0) -> np.ndarray:
    """A voice as a token sequence on a regular grid (onset / hold / rest tokens).

    Token ``0`` is a rest, ``1`` holds the previous note, and ``2 + (midi - MELODY_LOW)``
    starts a note. This is the melody representation of chapters 4 and 5.

    Parameters
    ----------
    piece : Chorale
    part : {'S', 'A', 'T', 'B'}
    step : float
        Grid step in quarter notes (0.5 = eighth notes).
    transpose : int
        Semitones to add to every pitch (data augmentation); pitches outside
        [MELODY_LOW, MELODY_HIGH] raise ``ParameterError``.

    Returns
    -------
    np.ndarray [shape=(n_steps,)], int64

    Examples
    --------
    >>> toks = melody_tokens(load_chorales("train")[0])
    >>> int(toks.max()) < N_MELODY_TOKENS, bool(toks[0] >= 2)
    (True, True)

    Chapter: notebooks/00_start_here.ipynb
    """
    step = as_float(step, "step", low=0, low_open=True)
    transpose = as_int(transpose, "transpose", low=-127, high=127)
    notes = melody_notes(piece, part=part)
    n = int(np.ceil(piece.length_q / step - 1e-9))
    toks = np.full(n, REST, dtype=np.int64)
    for on, dur, midi in notes:
        m = int(midi) + int(transpose)
        if not MELODY_LOW <= m <= MELODY_HIGH:
            raise ParameterError(f"transpose={transpose}: pitch {m} falls outside the token range {MELODY_LOW}..{MELODY_HIGH}")
        first = int(round(on / step))
        last = max(first + 1, int(round((on + dur) / step)))
        toks[first] = 2 + m - MELODY_LOW
        toks[first + 1 : last] = HOLD
    return toks


def tokens_to_notes(tokens, *, step: float = 0.5) -> np.ndarray:
    """Inverse of :func:`melody_tokens`: rows of (onset, duration, MIDI pitch) in quarters.

    Examples
    --------
    >>> tokens_to_notes([2 + 60 - MELODY_LOW, HOLD, REST, 2 + 62 - MELODY_LOW]).tolist()
    [[0.0, 1.0, 60.0], [1.5, 0.5, 62.0]]

    Chapter: notebooks/00_start_here.ipynb
    """
    toks = as_array(tokens, "tokens", allow_empty=True, integer=True).ravel()
    step = as_float(step, "step", low=0, low_open=True)
    check(
        toks.size == 0 or (toks.min() >= 0 and toks.max() < N_MELODY_TOKENS),
        "tokens",
        tokens,
        f"token ids in 0..{N_MELODY_TOKENS - 1}",
    )
    rows, cur = [], None
    for i, t in enumerate(toks):
        if t >= 2:
            if cur is not None:
                rows.append(cur)
            cur = [i * step, step, float(MELODY_LOW + t - 2)]
        elif t == HOLD and cur is not None:
            cur[1] += step
        else:
            if cur is not None:
                rows.append(cur)
            cur = None
    if cur is not None:
        rows.append(cur)
    return np.array(rows, dtype=np.float64).reshape(-1, 3)


# ----------------------------------------------------------------------------------------
# Notes
# ----------------------------------------------------------------------------------------

INSTRUMENT_FAMILIES = {
    "piano": "keyboard",
    "marimba": "mallet",
    "organ": "organ",
    "guitar": "guitar",
    "bass": "bass",
    "violin": "strings",
    "choir": "vocal",
    "trumpet": "brass",
    "clarinet": "reed",
    "flute": "flute",
}


@dataclass(frozen=True)
class NoteSet:
    """A selection of bundled single notes.

    Attributes
    ----------
    audio : np.ndarray [shape=(n_notes, 16000)], float32
        1 s per note at ``sr``; note-on at sample 0, note-off at 0.8 s.
    sr : int
        16000 Hz.
    instrument, family : np.ndarray [shape=(n_notes,)] of str
    pitch, velocity : np.ndarray [shape=(n_notes,)] of int
        MIDI pitch and MIDI velocity.

    Examples
    --------
    >>> notes = load_notes(instrument="flute", velocity=60)
    >>> notes
    NoteSet(24 notes, sr=16000, instruments=['flute'])
    >>> notes.audio.shape, notes.subset(notes.pitch == 60).pitch.tolist()
    ((24, 16000), [60])

    Chapter: notebooks/00_start_here.ipynb
    """

    audio: np.ndarray = field(repr=False)
    sr: int
    instrument: np.ndarray = field(repr=False)
    family: np.ndarray = field(repr=False)
    pitch: np.ndarray = field(repr=False)
    velocity: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.pitch)

    def __repr__(self) -> str:
        return f"NoteSet({len(self)} notes, sr={self.sr}, instruments={sorted(set(self.instrument.tolist()))})"

    def subset(self, index) -> "NoteSet":
        """The notes at ``index`` (an integer array or a boolean mask)."""
        idx = np.asarray(index)
        return NoteSet(self.audio[idx], self.sr, self.instrument[idx], self.family[idx], self.pitch[idx], self.velocity[idx])

    def labels(self, field_name: str = "instrument") -> tuple[np.ndarray, list]:
        """Integer labels for one metadata field and the class names they index.

        Examples
        --------
        >>> y, names = load_notes(instrument=["flute", "organ"]).labels("instrument")
        >>> names, sorted(set(y.tolist()))
        (['flute', 'organ'], [0, 1])
        """
        if field_name not in ("instrument", "family", "pitch", "velocity"):
            raise ParameterError(f"field_name={field_name!r}: expected 'instrument', 'family', 'pitch' or 'velocity'")
        values = getattr(self, field_name)
        names = sorted(set(values.tolist()))
        lookup = {n: i for i, n in enumerate(names)}
        return np.array([lookup[v] for v in values.tolist()], dtype=np.int64), names


@functools.lru_cache(maxsize=1)
def _all_notes() -> NoteSet:
    # soundfile is imported where used: importing this module (and `import musynth_lab`) stays light
    import soundfile as sf

    with open(_file("notes", "notes.csv"), newline="") as fh:
        rows = list(csv.DictReader(fh))
    flat, sr = sf.read(str(_file("notes", "notes.flac")), dtype="float32")
    audio = flat.reshape(len(rows), -1)
    audio.setflags(write=False)
    return NoteSet(
        audio,
        int(sr),
        np.array([r["instrument"] for r in rows]),
        np.array([r["family"] for r in rows]),
        np.array([int(r["pitch"]) for r in rows]),
        np.array([int(r["velocity"]) for r in rows]),
    )


def list_instruments() -> list[str]:
    """Names of the bundled instruments.

    Examples
    --------
    >>> "choir" in list_instruments()
    True

    Chapter: notebooks/00_start_here.ipynb
    """
    return sorted(INSTRUMENT_FAMILIES)


def _as_list(value):
    if value is None:
        return None
    if isinstance(value, (str, int, float, np.integer, np.floating)):
        return [value]
    return list(value)


def load_notes(*, instrument=None, family=None, pitch=None, velocity=None) -> NoteSet:
    """The bundled single notes, filtered by any of their metadata fields.

    Parameters
    ----------
    instrument : str or list of str, optional
        Names from :func:`list_instruments`.
    family : str or list of str, optional
        Families from :data:`INSTRUMENT_FAMILIES` (``'keyboard'``, ``'vocal'``, ...).
    pitch : int or list of int, optional
        MIDI pitches.
    velocity : int or list of int, optional
        MIDI velocities (60 and 110 are bundled).

    Returns
    -------
    NoteSet
        Its arrays are the caller's own copy: changing them does not change later loads.

    Raises
    ------
    ParameterError
        An unknown instrument or family, or a filter that matches no note.

    Examples
    --------
    >>> notes = load_notes(instrument="choir", velocity=110)
    >>> notes.audio.shape, notes.sr
    ((24, 16000), 16000)

    Chapter: notebooks/00_start_here.ipynb
    """
    allnotes = _all_notes()
    mask = np.ones(len(allnotes), dtype=bool)
    instruments = _as_list(instrument)
    if instruments is not None:
        unknown = [i for i in instruments if i not in INSTRUMENT_FAMILIES]
        if unknown:
            raise ParameterError(f"instrument={unknown[0]!r}: expected one of {list_instruments()}")
        mask &= np.isin(allnotes.instrument, instruments)
    families = _as_list(family)
    if families is not None:
        known = sorted(set(INSTRUMENT_FAMILIES.values()))
        unknown = [f for f in families if f not in known]
        if unknown:
            raise ParameterError(f"family={unknown[0]!r}: expected one of {known}")
        mask &= np.isin(allnotes.family, families)
    for name, values, column in (("pitch", pitch, allnotes.pitch), ("velocity", velocity, allnotes.velocity)):
        values = _as_list(values)
        if values is not None:
            values = [as_int(v, name, low=0, high=127) for v in values]
            mask &= np.isin(column, values)
    if not mask.any():
        raise ParameterError(
            f"no bundled note matches instrument={instrument!r}, family={family!r}, pitch={pitch!r}, "
            f"velocity={velocity!r}: pitches span 24 semitones per instrument, velocities are 60 and 110"
        )
    return allnotes.subset(np.flatnonzero(mask))


# ----------------------------------------------------------------------------------------
# Excerpts
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Excerpt:
    """A chorale opening rendered to audio, with sample-aligned annotations.

    Attributes
    ----------
    name : str
        e.g. ``'bwv26.6_organ'``.
    audio : np.ndarray [shape=(n_samples,)], float32
    sr : int
        22050 Hz unless resampled by :func:`load_excerpt`.
    notes : np.ndarray [shape=(n_notes, 4)], int64
        Rows of (start sample, end sample, MIDI pitch, voice 0-3 for S, A, T, B).
    beats : np.ndarray [shape=(n_beats, 4)]
        Rows of (sample, root pitch class or -1, chord index in :data:`CHORD_NAMES`,
        position in the bar in quarters).
    fermatas : np.ndarray [shape=(n,)], int64
        Sample positions of soprano fermatas.

    Examples
    --------
    >>> ex = load_excerpt("bwv17.7_piano")
    >>> ex.sr, ex.audio.ndim, ex.notes.shape[1]
    (22050, 1, 4)
    >>> ex.chord_frames(hop_length=512).shape, ex.pitch_frames(hop_length=512).shape[0]
    ((996,), 88)

    Chapter: notebooks/00_start_here.ipynb
    """

    name: str
    piece_id: str
    split: str
    ensemble: str
    sr: int
    bpm: float
    key_tonic_pc: int
    key_mode: str
    audio: np.ndarray = field(repr=False)
    notes: np.ndarray = field(repr=False)
    beats: np.ndarray = field(repr=False)
    fermatas: np.ndarray = field(repr=False)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sr

    def chord_frames(self, *, hop_length: int, n_frames: int | None = None) -> np.ndarray:
        """Chord index (0..24) for frames at ``t = k * hop_length / sr``: the beat in force.

        Frames before the first beat or after the last note's end get 24 ("no chord").
        """
        check(int(hop_length) > 0, "hop_length", hop_length, "a positive number of samples")
        n_frames = n_frames if n_frames is not None else 1 + len(self.audio) // int(hop_length)
        t = np.arange(n_frames) * int(hop_length)
        idx = np.searchsorted(self.beats[:, 0], t, side="right") - 1
        out = np.where(idx >= 0, self.beats[np.clip(idx, 0, None), 2], 24).astype(np.int64)
        end = self.notes[:, 1].max() if len(self.notes) else 0
        out[t >= end] = 24
        return out

    def pitch_frames(self, *, hop_length: int, n_frames: int | None = None, low: int = 21, n_keys: int = 88) -> np.ndarray:
        """Active-note matrix ``(n_keys, n_frames)`` (bool) at ``t = k * hop_length / sr``."""
        check(int(hop_length) > 0, "hop_length", hop_length, "a positive number of samples")
        n_frames = n_frames if n_frames is not None else 1 + len(self.audio) // int(hop_length)
        t = np.arange(n_frames) * int(hop_length)
        roll = np.zeros((n_keys, n_frames), dtype=bool)
        for start, end, midi, _ in self.notes:
            if 0 <= midi - low < n_keys:
                roll[midi - low, (t >= start) & (t < end)] = True
        return roll


@functools.lru_cache(maxsize=1)
def _excerpt_index() -> tuple:
    return tuple(json.loads(_file("excerpts", "index.json").read_text()))


def list_excerpts(split: str | None = None) -> list[str]:
    """Names of the bundled excerpts, optionally of one split.

    Examples
    --------
    >>> len(list_excerpts()) >= 10
    True

    Chapter: notebooks/00_start_here.ipynb
    """
    if split is not None and split not in SPLITS:
        raise ParameterError(f"split={split!r}: expected one of 'train', 'val', 'test' or None")
    return [e["name"] for e in _excerpt_index() if split is None or e["split"] == split]


def load_excerpt(name: str, *, sr: int | None = None) -> Excerpt:
    """One bundled excerpt with its annotations, optionally resampled.

    Parameters
    ----------
    name : str
        A name from :func:`list_excerpts`.
    sr : int, optional
        Resample the audio (and rescale the annotations' sample positions) to this rate.

    Returns
    -------
    Excerpt

    Raises
    ------
    ParameterError
        An unknown name.

    Examples
    --------
    >>> ex = load_excerpt(list_excerpts("test")[0])
    >>> ex.sr, 15 <= ex.duration <= 35
    (22050, True)

    Chapter: notebooks/00_start_here.ipynb
    """
    names = list_excerpts()
    if name not in names:
        raise ParameterError(f"name={name!r}: expected one of the bundled excerpts, e.g. {names[:3]}")
    meta = json.loads(_file("excerpts", f"{name}.json").read_text())
    audio, file_sr = _load_audio(_file("excerpts", f"{name}.flac"), sr=sr)
    scale = file_sr / meta["sr"]
    notes = np.array(meta["notes"], dtype=np.float64).reshape(-1, 4)
    notes[:, :2] = np.round(notes[:, :2] * scale)
    beats = np.array(
        [[s * scale, root, chord_index(root, q), pos] for s, root, q, pos in meta["beats"]],
        dtype=np.float64,
    ).reshape(-1, 4)
    beats[:, 0] = np.round(beats[:, 0])
    return Excerpt(
        name=name,
        piece_id=meta["piece_id"],
        split=meta["split"],
        ensemble=meta["ensemble"],
        sr=int(file_sr),
        bpm=float(meta["bpm"]),
        key_tonic_pc=meta["key"]["tonic_pc"],
        key_mode=meta["key"]["mode"],
        audio=audio,
        notes=notes.astype(np.int64),
        beats=beats,
        fermatas=np.round(np.array(meta["fermatas"], dtype=np.float64) * scale).astype(np.int64),
    )


# ----------------------------------------------------------------------------------------
# Files in and out (MIDI, MusicXML, folders of the student's own music): submodules,
# re-exported here so ``musynth_lab.data.save_midi`` etc. work.
# ----------------------------------------------------------------------------------------

from .midi import (
    Piece,
    save_midi,
    load_midi,
    load_midi_folder,
    gm_instrument,  # noqa: E402
    as_parts,
    voices_to_parts,
    FolderReport,
)
from .musicxml import save_musicxml, load_musicxml, load_musicxml_folder  # noqa: E402
from .folders import AudioFolder, load_audio_folder  # noqa: E402

__all__ += [
    "Piece",
    "save_midi",
    "load_midi",
    "load_midi_folder",
    "gm_instrument",
    "as_parts",
    "voices_to_parts",
    "FolderReport",
    "save_musicxml",
    "load_musicxml",
    "load_musicxml_folder",
    "AudioFolder",
    "load_audio_folder",
]
