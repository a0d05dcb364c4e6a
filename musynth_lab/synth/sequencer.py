"""The track generator (音轨生成器): chord progression + tempo + metre -> accompaniment -> audio.

:func:`accompaniment` turns a chord progression into notes by the rules of a named style
(:data:`STYLES`): the source's waltz (华尔兹), blues (布鲁斯林 = blues; :func:`twelve_bar_blues`
gives the 12-bar form), fingerstyle arpeggio (指弹), plus Alberti bass, march (oom-pah) and
block chords. The source's "西摩尔" has no standard meaning as a style (perhaps a
transliterated name) and is not modelled. :func:`render_notes` plays any note list through
any instrument of this package (sampler, FM, subtractive voice, or your own function), and
:func:`render_chorale` plays a bundled Bach chorale, :func:`render_midi` a MIDI file or a
:class:`~musynth_lab.data.Piece` (each part's General MIDI program on the nearest bundled
instrument, :func:`musynth_lab.data.gm_instrument`).

Notes are rows of ``(onset_q, duration_q, midi, velocity)``, times in quarter notes, the
same convention as :func:`musynth_lab.data.load_chorales` (whose parts are
``(onset_q, duration_q, midi)``).

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import os
import re

import numpy as np
import torch

from ..data import Chorale, list_instruments
from ..data.midi import DEFAULT_VELOCITY, gm_instrument, load_midi
from ..errors import ParameterError, as_array, as_float, check
from ._util import check_sr
from .voices import INSTRUMENTS
from .voices import instrument as make

__all__ = [
    "STYLES",
    "CHORD_QUALITIES",
    "parse_chord",
    "twelve_bar_blues",
    "accompaniment",
    "render_notes",
    "render_chorale",
    "render_midi",
]

_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: Chord suffix -> intervals in semitones above the root.
CHORD_QUALITIES = {
    "": (0, 4, 7),
    "maj": (0, 4, 7),
    "m": (0, 3, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "dim7": (0, 3, 6, 9),
    "m7b5": (0, 3, 6, 10),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
}

#: Style -> (default metre as (beats, beat unit), what it plays).
STYLES = {
    "waltz": ((3, 4), "bass on beat 1, chord on beats 2 and 3 (oom-pah-pah)"),
    "blues": ((4, 4), "shuffle boogie bass (root-5th-6th-b7 in swung eighths) with chord stabs"),
    "arpeggio": ((4, 4), "fingerstyle: alternating thumb bass, fingers picking chord tones in eighths"),
    "alberti": ((4, 4), "Alberti bass: low-high-middle-high in eighths"),
    "march": ((2, 4), "oom-pah: bass on 1, chord on 2, alternating root and fifth"),
    "block": ((4, 4), "the whole chord held for each bar"),
}


def parse_chord(name: str):
    """A chord symbol to ``(root pitch class, intervals)``: ``'C'``, ``'Am'``, ``'F#m7'``, ``'Bb7'``, ``'Gsus4'``.

    Examples
    --------
    >>> parse_chord("F#m7"), parse_chord("Bb")
    ((6, (0, 3, 7, 10)), (10, (0, 4, 7)))

    Chapter: notebooks/01a_synthesis.ipynb
    """
    m = re.fullmatch(r"\s*([A-Ga-g])([#b]?)(.*?)\s*", str(name))
    if not m or m.group(3) not in CHORD_QUALITIES:
        raise ParameterError(
            f"name={name!r}: expected a chord symbol such as 'C', 'Am', 'G7', 'F#m7', 'Bbmaj7'"
            f" (qualities: {sorted(k for k in CHORD_QUALITIES if k)})"
        )
    root = (_PC[m.group(1).upper()] + {"#": 1, "b": -1, "": 0}[m.group(2)]) % 12
    return root, CHORD_QUALITIES[m.group(3)]


def twelve_bar_blues(key: str = "A") -> list:
    """The 12-bar blues form in ``key``: I7 I7 I7 I7 | IV7 IV7 I7 I7 | V7 IV7 I7 V7.

    Examples
    --------
    >>> twelve_bar_blues("A")[:6]
    ['A7', 'A7', 'A7', 'A7', 'D7', 'D7']

    Chapter: notebooks/01a_synthesis.ipynb
    """
    try:
        root, _ = parse_chord(key)
    except ParameterError:
        raise ParameterError(f"key={key!r}: expected a key name such as 'A', 'Eb' or 'F#'") from None
    names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    degree = {"I": 0, "IV": 5, "V": 7}
    form = ["I", "I", "I", "I", "IV", "IV", "I", "I", "V", "IV", "I", "V"]
    return [names[(root + degree[d]) % 12] + "7" for d in form]


def _voicing(root, intervals, low):
    """Chord tones from the first ``root`` at or above ``low`` (MIDI)."""
    base = low + ((root - low) % 12)
    return [base + i for i in intervals]


def accompaniment(
    progression, *, style: str, meter=None, bars_per_chord: int = 1, bass_octave: int = 2, velocity: int = 90
) -> np.ndarray:
    """An accompaniment pattern for a chord progression in a named style.

    Parameters
    ----------
    progression : sequence of str
        Chord symbols, one per ``bars_per_chord`` bars (see :func:`parse_chord`).
    style : str
        A key of :data:`STYLES`: ``'waltz'``, ``'blues'``, ``'arpeggio'``, ``'alberti'``,
        ``'march'``, ``'block'``.
    meter : (int, int), optional
        Beats per bar and beat unit; the style's default when ``None`` (e.g. 3/4 for waltz).
    bars_per_chord : int
    bass_octave : int
        Octave of the bass notes (2: C2 = MIDI 36).
    velocity : int
        MIDI velocity of the accented notes (others a little softer).

    Returns
    -------
    np.ndarray [shape=(n_notes, 4)]
        Rows of ``(onset_q, duration_q, midi, velocity)``, sorted by onset.

    Raises
    ------
    ParameterError
        An unknown style, an empty progression, a chord symbol it cannot read, a bad metre.

    Examples
    --------
    >>> notes = accompaniment(["C", "G"], style="waltz")
    >>> notes[:3, :3].tolist()        # bar 1: C2 on beat 1, then the chord on beat 2
    [[0.0, 1.0, 36.0], [1.0, 1.0, 48.0], [1.0, 1.0, 52.0]]

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if style not in STYLES:
        raise ParameterError(f"style={style!r}: expected one of {sorted(STYLES)}")
    if isinstance(progression, str) or len(progression) == 0:
        raise ParameterError(f"progression={progression!r}: expected a non-empty list of chord symbols")
    if isinstance(bars_per_chord, bool) or not isinstance(bars_per_chord, int) or bars_per_chord < 1:
        raise ParameterError(f"bars_per_chord={bars_per_chord!r}: expected a positive integer")
    beats, unit = meter if meter is not None else STYLES[style][0]
    if not (isinstance(beats, int) and 1 <= beats <= 16 and unit in (2, 4, 8)):
        raise ParameterError(f"meter={meter!r}: expected (beats 1..16, unit 2, 4 or 8)")
    if not 0 <= velocity <= 127:
        raise ParameterError(f"velocity={velocity!r}: expected a MIDI velocity in 0..127")
    beat_q = 4.0 / unit
    bar_q = beats * beat_q
    chords = [parse_chord(c) for c in progression]
    low = 12 * (bass_octave + 1)
    rows = []
    soft = max(1, int(velocity * 0.8))

    def add(on, dur, midi, vel):
        rows.append((on, dur, float(midi), float(vel)))

    for ci, (root, iv) in enumerate(chords):
        for b in range(bars_per_chord):
            t0 = (ci * bars_per_chord + b) * bar_q
            bass = low + ((root - low) % 12)
            fifth = bass + 7
            upper = _voicing(root, iv, low + 12)
            if style == "waltz":
                add(t0, beat_q, bass, velocity)
                for k in range(1, beats):
                    for p in upper[:3]:
                        add(t0 + k * beat_q, beat_q, p, soft)
            elif style == "march":
                for k in range(beats):
                    if k % 2 == 0:
                        add(t0 + k * beat_q, beat_q, bass if (k // 2) % 2 == 0 else fifth, velocity)
                    else:
                        for p in upper[:3]:
                            add(t0 + k * beat_q, beat_q, p, soft)
            elif style == "block":
                add(t0, bar_q, bass, velocity)
                for p in upper:
                    add(t0, bar_q, p, soft)
            elif style == "alberti":
                lo_, mid, hi_ = upper[0], upper[1], upper[2]
                pattern = [lo_, hi_, mid, hi_]
                for k in range(int(round(bar_q / 0.5))):
                    add(t0 + 0.5 * k, 0.5, pattern[k % 4], velocity if k % 4 == 0 else soft)
            elif style == "arpeggio":
                tones = upper + [upper[0] + 12]
                n8 = int(round(bar_q / 0.5))
                for k in range(n8):
                    on = t0 + 0.5 * k
                    if k % 2 == 0:  # thumb: root on the strong beats, fifth in between
                        add(on, 1.0, bass if (k // 2) % 2 == 0 else fifth, velocity)
                    else:  # fingers: chord tones from the top down (p-i-m-a feel)
                        add(on, 0.5, tones[-1 - ((k // 2) % len(tones))], soft)
            elif style == "blues":
                walk = [0, 7, 9, 10, 9, 7, 4, 7]  # boogie bass in swung eighths (root 5 6 b7 6 5 3 5)
                n8 = int(round(bar_q / 0.5))
                for k in range(n8):
                    on = t0 + 0.5 * (k - k % 2) + (2 / 3 if k % 2 else 0.0)  # long-short shuffle
                    dur = 2 / 3 if k % 2 == 0 else 1 / 3
                    add(on, dur, bass + walk[k % len(walk)], velocity if k % 2 == 0 else soft)
                for k in (1, 3):  # chord stabs on 2 and 4
                    if k < beats:
                        for p in upper:
                            add(t0 + k * beat_q, 0.5, p, soft)
    out = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return out[np.lexsort((out[:, 2], out[:, 0]))]


_MAX_SAMPLES = 1 << 28  # the package's n_samples limit (about 3.4 h at 22050 Hz)


def _instrument_fn(instrument):
    if callable(instrument) and not isinstance(instrument, str):
        return instrument
    check(
        isinstance(instrument, str) and (instrument in list_instruments() or instrument in INSTRUMENTS),
        "instrument",
        instrument,
        f"an instrument name: a bundled one {list_instruments()} or one of {INSTRUMENTS}, or a function f(midi, duration_s, sr)",
    )
    return make(instrument)


def render_notes(notes, *, bpm: float, sr: int, instrument="piano", tail_s: float = 0.5, device=None):
    """Render note rows ``(onset_q, duration_q, midi[, velocity])`` to a mono signal.

    Parameters
    ----------
    notes : np.ndarray [shape=(n_notes, 3) or (n_notes, 4)]
        Times in quarter notes; velocity 0..127 (default 100).
    bpm : float
        Tempo in quarter notes per minute, in (0, 400].
    sr : int
    instrument : str or callable
        A name for :func:`musynth_lab.synth.instrument` (a bundled sampler instrument such as
        ``'piano'`` or ``'choir'``, ``'fm_piano'``, ``'fm_bell'``, ``'subtractive'``) or a
        function ``f(midi, duration_s, sr) -> Tensor (n_notes, n)``.
    tail_s : float
        Extra time after the last note-off, for releases.

    Returns
    -------
    Tensor [shape=(n_samples,)], peak at most 1 (scaled down to 0.9 only if the mix exceeded it)

    Examples
    --------
    >>> y = render_notes(np.array([[0.0, 1.0, 60.0], [1.0, 1.0, 64.0]]), bpm=120, sr=8000)
    >>> y.shape, float(y.abs().max()) <= 1.0
    (torch.Size([12000]), True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    arr = as_array(notes, "notes", ndim=2, allow_empty=True)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4) or len(arr) == 0 or not np.all(np.isfinite(arr)):
        raise ParameterError(f"notes has shape {arr.shape}: expected finite rows of (onset_q, duration_q, midi[, velocity])")
    if not (isinstance(bpm, (int, float)) and 0 < bpm <= 400):
        raise ParameterError(f"bpm={bpm!r}: expected a tempo in (0, 400] quarter notes per minute")
    if np.any(arr[:, 1] <= 0) or np.any(arr[:, 0] < 0):
        raise ParameterError("notes: expected onsets >= 0 and durations > 0")
    vel = arr[:, 3] if arr.shape[1] == 4 else np.full(len(arr), 100.0)
    q = 60.0 / bpm
    onsets = np.round(arr[:, 0] * q * sr).astype(int)
    durs = arr[:, 1] * q
    end_s = float(np.max(arr[:, 0] + arr[:, 1]) * q + tail_s)
    if not end_s * sr <= _MAX_SAMPLES:
        raise ParameterError(
            f"notes end after {end_s:.3g} s: expected a piece that fits in {_MAX_SAMPLES} samples "
            f"({_MAX_SAMPLES / sr / 3600:.3g} h at sr={sr})"
        )
    fn = _instrument_fn(instrument)
    total = int(np.ceil((np.max(arr[:, 0] + arr[:, 1]) * q + tail_s) * sr))
    out = torch.zeros(total, device=device or "cpu")
    # render notes of equal duration together (one batch each)
    for d in np.unique(np.round(durs, 6)):
        idx = np.flatnonzero(np.isclose(durs, d))
        audio = fn(arr[idx, 2], float(d), sr).to(out.device)
        gains = torch.as_tensor((vel[idx] / 127.0) ** 1.5, dtype=torch.float32, device=out.device)[:, None]
        audio = audio * gains
        for row, start in zip(audio, onsets[idx]):
            n = min(row.shape[-1], total - start)
            if n > 0:
                out[start : start + n] += row[:n]
    peak = float(out.abs().max())
    return out * (0.9 / peak) if peak > 1.0 else out


def render_chorale(
    chorale,
    *,
    sr: int,
    bpm: float = 80.0,
    instrument="choir",
    parts=("S", "A", "T", "B"),
    max_quarters: float | None = None,
    tail_s: float = 0.8,
):
    """Play a bundled Bach chorale (``musynth_lab.data.load_chorales``) through an instrument.

    Parameters
    ----------
    chorale : Chorale
    sr : int
    bpm : float
    instrument : str or callable
        As in :func:`render_notes` (one instrument for all voices).
    parts : sequence of {'S', 'A', 'T', 'B'}
    max_quarters : float, optional
        Render only notes starting before this many quarter notes.

    Returns
    -------
    Tensor [shape=(n_samples,)]

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> y = render_chorale(load_chorales("test")[0], sr=8000, max_quarters=4, instrument="organ")
    >>> y.ndim, float(y.abs().max()) <= 1.0
    (1, True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    if not isinstance(chorale, Chorale):
        raise ParameterError(f"chorale={chorale!r}: expected a Chorale from musynth_lab.data.load_chorales()")
    rows = []
    for p in parts:
        if p not in chorale.parts:
            raise ParameterError(f"parts contains {p!r}: expected some of 'S', 'A', 'T', 'B'")
        for on, dur, midi in chorale.parts[p]:
            if max_quarters is None or on < max_quarters:
                rows.append((on, dur, midi, 80.0))
    if not rows:
        raise ParameterError(f"max_quarters={max_quarters!r}: no note starts before it")
    return render_notes(np.array(rows), bpm=bpm, sr=sr, instrument=instrument, tail_s=tail_s)


def _seconds(q, tempos):
    """Quarter-note times -> seconds through a tempo map [(onset_q, bpm)]."""
    q = np.asarray(q, dtype=np.float64)
    starts = np.array([t[0] for t in tempos])
    bpms = np.array([t[1] for t in tempos])
    sec_at = np.concatenate([[0.0], np.cumsum(np.diff(starts) * 60.0 / bpms[:-1])]) + starts[0] * 60.0 / bpms[0]
    i = np.clip(np.searchsorted(starts, q, side="right") - 1, 0, None)
    return np.where(q < starts[0], q * 60.0 / bpms[0], sec_at[i] + (q - starts[i]) * 60.0 / bpms[i])


def render_midi(x, *, sr: int = 16000, bpm: float | None = None, instrument=None, tail_s: float = 0.5):
    """Play a MIDI file or a piece with the kit's sampler on the bundled instruments.

    Parameters
    ----------
    x : str, Path, Chorale or Piece
        A MIDI file (read with :func:`load_midi`, ``polyphony='keep'``) or a piece.
    sr : int
        Output sample rate in Hz.
    bpm : float, optional
        Tempo; default the file's own tempo map (tempo changes included), or 100 for a
        chorale.
    instrument : str or dict of str -> str, optional
        A bundled instrument (``musynth_lab.data.list_instruments()``) for every part, or
        per part. By default each part's General MIDI program is mapped to the nearest
        bundled instrument with :func:`gm_instrument` (pianos -> piano, organs -> organ,
        choir 52-54 -> choir, strings -> violin, brass -> trumpet, reeds -> clarinet,
        pipes -> flute, ...); a chorale without programs plays on the choir.
    tail_s : float
        Time after the last note-off, for the release.

    Returns
    -------
    Tensor [shape=(n_samples,)], peak at most 1

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from musynth_lab.data import save_midi
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a4.mid"
    >>> save_midi([[1, 2, 69]], path, bpm=120, program=73)
    >>> y = render_midi(path, sr=8000)
    >>> y.shape[0] == int((1.5 + 0.5) * 8000), float(y[:3000].abs().max()) == 0.0
    (True, True)

    Chapter: notebooks/00_start_here.ipynb
    """
    if isinstance(x, (str, os.PathLike)):
        piece = load_midi(x, polyphony="keep")
    elif isinstance(x, Chorale):
        piece = x
    else:
        raise ParameterError(f"x={x!r:.80}: expected a MIDI file path, a Chorale or a Piece")
    tail_s = as_float(tail_s, "tail_s", low=0, high=60)
    if bpm is not None:
        bpm = as_float(bpm, "bpm", low=0, high=400, low_open=True)
        tempos = ((0.0, bpm),)
    else:
        tempos = getattr(piece, "tempos", ()) or ((0.0, 100.0),)
    programs = getattr(piece, "programs", {}) or {}
    parts = {k: v for k, v in piece.parts.items() if len(v)}
    if not parts:
        raise ParameterError(f"x={getattr(piece, 'id', x)!r} has no notes to play")
    total_s = float(max(_seconds((v[:, 0] + v[:, 1]).max(), tempos) for v in parts.values())) + tail_s
    out = None
    for name, notes in parts.items():
        if isinstance(instrument, dict):
            inst = instrument.get(name, gm_instrument(programs.get(name, 52)))
        elif instrument is not None:
            inst = instrument
        else:
            inst = gm_instrument(programs[name]) if name in programs else "choir"
        if inst not in list_instruments():
            raise ParameterError(f"instrument={inst!r}: expected one of {list_instruments()}")
        on = _seconds(notes[:, 0], tempos)
        off = _seconds(notes[:, 0] + notes[:, 1], tempos)
        vel = getattr(piece, "velocities", {}).get(name)
        if vel is None or len(vel) != len(notes):
            vel = np.full(len(notes), float(DEFAULT_VELOCITY))
        rows = np.stack([on, off - on, notes[:, 2], vel], axis=1)
        y = render_notes(rows, bpm=60.0, sr=sr, instrument=inst, tail_s=total_s - float(off.max()))
        if out is None:
            out = y
        else:
            n = max(len(out), len(y))
            out = torch.nn.functional.pad(out, (0, n - len(out))) + torch.nn.functional.pad(y, (0, n - len(y)))
    peak = float(out.abs().max())
    return out * (0.9 / peak) if peak > 1.0 else out
