"""MusicXML in and out through music21, for scores a person reads (MuseScore, Finale, Sibelius, Dorico).

music21 is an optional dependency (``pip install musynth-lab[music]``): the core install
stays light, and these functions say so when it is missing.

Chapter: notebooks/00_start_here.ipynb
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ParameterError, check
from . import Chorale
from .midi import (
    MAJOR_KEYS,
    MINOR_KEYS,
    TICKS_PER_BEAT,
    FolderReport,
    Piece,
    as_parts,
    atomic_write,
    build_piece,
    check_source,
    check_target,
    default_bpm,
    music_files,
    piece_info,
    programs_for,
    time_signatures,
)

__all__ = ["save_musicxml", "load_musicxml", "load_musicxml_folder"]

_SUFFIXES = (".musicxml", ".xml", ".mxl")


def _music21():
    try:
        # music21 and tqdm are imported where used: importing this module (and `import musynth_lab`) stays light
        import music21
    except ImportError:
        raise ImportError(
            "MusicXML needs music21, an optional dependency: pip install musynth-lab[music] (or pip install music21)"
        ) from None
    return music21


def _tonic_name(pc: int, mode: str) -> str:
    name = (MAJOR_KEYS if mode == "major" else MINOR_KEYS)[pc].rstrip("m")
    return name[0] + name[1:].replace("b", "-")


def save_musicxml(
    x,
    path,
    *,
    bpm: float | None = None,
    program=None,
    step: float | None = None,
    low: int = 21,
    meter=None,
    key=None,
    title: str | None = None,
    overwrite: bool = False,
) -> None:
    """Write a piece as a MusicXML score (one staff per part), through music21.

    Parameters
    ----------
    x : Chorale, dict, array or sequence
        Anything :func:`~musynth_lab.data.save_midi` takes (see
        :func:`~musynth_lab.data.as_parts`).
    path : str or Path
        The file to write, usually ``*.musicxml``.
    bpm : float, optional
        Tempo mark in quarter notes per minute (a loaded piece's own, else 100).
    program : int or dict of str -> int, optional
        General MIDI program per part (the score's instrument; a loaded piece's own, else 0).
    step, low, meter, key
        As in :func:`~musynth_lab.data.save_midi`.
    title : str, optional
        The score's title; a chorale's own by default.
    overwrite : bool
        Replace an existing file; without it an existing ``path`` raises and stays untouched.

    Raises
    ------
    ParameterError
        As :func:`~musynth_lab.data.save_midi`.
    ImportError
        music21 is not installed (``pip install musynth-lab[music]``).

    Notes
    -----
    music21 splits notes at bar lines into tied notes, as notation needs; reading with
    :func:`load_musicxml` joins them again. A pick-up bar is written as a short first bar
    with its own time signature. A chorale's fermatas are written as fermatas. Notes that
    overlap within a part (a piano roll) are written as chords.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tune.musicxml"
    >>> save_musicxml({"S": [[0, 1, 72], [1, 3, 71]], "B": [[0, 4, 43]]}, path, key="G major")
    >>> p = load_musicxml(path)
    >>> p.parts["S"].tolist(), p.key_name, p.meter
    ([[0.0, 1.0, 72.0], [1.0, 3.0, 71.0]], 'G major', (4, 4))

    Chapter: notebooks/00_start_here.ipynb
    """
    m21 = _music21()
    from music21 import expressions, instrument, metadata, note, stream, tempo
    from music21 import key as m21key
    from music21 import meter as m21meter

    path = check_target(path, overwrite, _SUFFIXES)
    bpm = default_bpm(x, bpm)
    parts = as_parts(x, step=step, low=low)
    programs = programs_for(program, list(parts), x)
    info = piece_info(x, meter, key)
    fermatas = set()
    if isinstance(x, Chorale):
        fermatas = {round(float(f) * TICKS_PER_BEAT) for f in x.fermatas}
    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = title or info["title"] or path.stem
    sigs = time_signatures(info["meter"], info["pickup_q"])
    for i, (name, notes) in enumerate(parts.items()):
        part = stream.Part(id=name)
        part.partName = name
        inst = instrument.instrumentFromMidiProgram(programs[name])
        inst.partName = name
        part.insert(0, inst)
        if info["key"] is not None:
            pc, mode = info["key"]
            part.insert(0, m21key.Key(_tonic_name(pc, mode), mode))
        for tick, num, den in sigs:
            part.insert(tick / TICKS_PER_BEAT, m21meter.TimeSignature(f"{num}/{den}"))
        if i == 0:
            part.insert(0, tempo.MetronomeMark(number=float(bpm), referent=1.0))
        for row in notes:
            n = note.Note(midi=int(row[2]), quarterLength=float(row[1]))
            if len(row) == 4:
                n.volume.velocity = int(row[3])
            if name == "S" and round(float(row[0]) * TICKS_PER_BEAT) in fermatas:
                n.expressions.append(expressions.Fermata())
            part.insert(float(row[0]), n)
        ends = notes[:, 0] + notes[:, 1]
        order = np.argsort(notes[:, 0], kind="stable")
        overlapping = len(notes) > 1 and np.any(notes[order][1:, 0] < np.maximum.accumulate(ends[order])[:-1] - 1e-9)
        if overlapping:
            part = part.chordify()
            part.id, part.partName = name, name
        score.insert(0, part)
    try:
        atomic_write(path, lambda tmp: score.write("mxl" if path.suffix.lower() == ".mxl" else "musicxml", fp=tmp))
    except m21.exceptions21.Music21Exception as err:  # pragma: no cover - music21 refusing a piece
        raise ParameterError(f"x: music21 could not write it as MusicXML ({err})") from None


def load_musicxml(path, *, tracks=None, polyphony: str = "error") -> Piece:
    """Read a MusicXML score (``.musicxml``, ``.xml`` or compressed ``.mxl``) into the kit's piece type.

    Parameters
    ----------
    path : str or Path
    tracks : sequence of int or str, optional
        Which parts to keep (indices or part names), at most four.
    polyphony : {'error', 'top', 'keep'}
        Chords within a part: refuse, keep the top note, or keep all (as in
        :func:`~musynth_lab.data.load_midi`).

    Returns
    -------
    Piece
        As :func:`~musynth_lab.data.load_midi`: parts ``'S', 'A', 'T', 'B'`` (by part name, or
        by pitch), key, metre and pick-up, tempo, programs; tied notes joined into one;
        fermatas of the top part; chord labels per beat by template matching.

    Raises
    ------
    ParameterError
        A missing, empty or unreadable file, one with no notes.
    ImportError
        music21 is not installed (``pip install musynth-lab[music]``).

    Examples
    --------
    >>> from musynth_lab.data import load_chorales, piano_roll
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "chorale.musicxml"
    >>> c = load_chorales("test")[0]
    >>> save_musicxml(c, path)
    >>> p = load_musicxml(path)
    >>> p.pickup_q == c.pickup_q, bool((piano_roll(p) == piano_roll(c)).all())
    (True, True)

    Chapter: notebooks/00_start_here.ipynb
    """
    m21 = _music21()
    from music21 import expressions, tempo
    from music21 import key as m21key
    from music21 import meter as m21meter

    check(polyphony in ("error", "top", "keep"), "polyphony", polyphony, "'error', 'top' or 'keep'")
    path = check_source(path, _SUFFIXES)
    try:
        score = m21.converter.parse(str(path), format="musicxml")
    except Exception as err:  # music21 raises many kinds on bad XML
        raise ParameterError(f"path={str(path)!r}: not a readable MusicXML file ({type(err).__name__}: {err})") from None
    if not hasattr(score, "parts") or len(score.parts) == 0:
        raise ParameterError(f"path={str(path)!r}: the file has no parts")
    log, sigs, keys, tempos, fermatas, voices = [], [], [], [], [], []
    for pi, part in enumerate(score.parts):  # music21 puts a tied note's fermata on its last piece
        chain = {}
        for el in part.flatten().notes:
            for p in el.pitches:
                tie = el.tie if not el.isChord else None
                if tie is None or tie.type == "start" or p.midi not in chain:
                    chain[p.midi] = float(el.offset)
            if any(isinstance(e, expressions.Fermata) for e in el.expressions):
                fermatas.append((pi, chain.get(el.pitches[0].midi, float(el.offset)) if el.pitches else float(el.offset)))
    score = score.stripTies()
    title = score.metadata.title if score.metadata is not None else None
    for pi, part in enumerate(score.parts):
        flat = part.flatten()
        pickup = 0.0
        measures = part.getElementsByClass("Measure")
        if len(measures) and measures[0].paddingLeft:
            pickup = float(measures[0].barDuration.quarterLength - measures[0].paddingLeft)
        if pi == 0:
            for ts in flat.getElementsByClass(m21meter.TimeSignature):
                sigs.append((float(ts.offset), ts.numerator, ts.denominator))
            if pickup > 0 and len(sigs) == 1:  # an implicit pick-up measure: describe it as a short bar
                sigs = [(0.0, *_pickup_sig(pickup, sigs[0][2])), (pickup, sigs[0][1], sigs[0][2])]
            for k in flat.getElementsByClass(m21key.KeySignature):
                kk = k if isinstance(k, m21key.Key) else k.asKey("major")
                keys.append((float(k.offset), (kk.tonic.pitchClass, kk.mode if kk.mode in ("major", "minor") else "major")))
            for mm in flat.getElementsByClass(tempo.MetronomeMark):
                bpm = mm.getQuarterBPM()
                if bpm:
                    tempos.append((float(mm.offset), float(bpm)))
        rows = []
        for el in flat.notes:
            dur = float(el.quarterLength)
            if dur <= 0:  # grace notes have no duration
                continue
            pitches = [p.midi for p in el.pitches]
            vel = el.volume.velocity if el.volume.velocity is not None else 80
            for m in pitches:
                rows.append((float(el.offset), dur, m, vel))
        inst = part.getInstrument(returnDefault=True)
        prog = inst.midiProgram if inst is not None and inst.midiProgram is not None else 0
        name = part.partName or part.id or f"part {pi}"
        voices.append((str(name), int(prog), np.array(rows, dtype=np.float64).reshape(-1, 4)))
    piece = build_piece(
        voices,
        path=path,
        title=title,
        sigs=sigs,
        keys=keys,
        tempos=tempos,
        extra=None,
        tracks=tracks,
        polyphony=polyphony,
        log=log,
    )
    top = [v for v in voices if len(v[2])]
    top_index = (
        next(
            (
                i
                for i, v in enumerate(voices)
                if len(v[2])
                and np.allclose(np.sort(v[2][:, 0]), np.sort(piece.parts["S"][:, 0]))
                and len(v[2]) == len(piece.parts["S"])
            ),
            None,
        )
        if top
        else None
    )
    ferm = np.array(sorted({on for pi, on in fermatas if pi == top_index}), dtype=np.float64)
    return dataclasses.replace(piece, fermatas=ferm, id=path.stem)


def _pickup_sig(pickup_q: float, den: int):
    num = pickup_q * den / 4
    while abs(num - round(num)) > 1e-9 and den < 64:
        den *= 2
        num = pickup_q * den / 4
    return int(round(num)), den


def load_musicxml_folder(folder, *, progress: bool = True, **kwargs):
    """Read every MusicXML file in a folder (and subfolders); skip and report the bad ones.

    Returns ``(pieces, report)`` as :func:`~musynth_lab.data.load_midi_folder`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save_musicxml([[0, 2, 60]], folder / "a.musicxml")
    >>> _ = (folder / "b.musicxml").write_text("<score-partwise>")
    >>> pieces, report = load_musicxml_folder(folder, progress=False)
    >>> len(pieces), [name for name, _ in report.skipped]
    (1, ['b.musicxml'])

    Chapter: notebooks/05_synthesis.ipynb
    """
    from tqdm.auto import tqdm

    _music21()
    folder, files = music_files(folder, _SUFFIXES, "MusicXML")
    pieces, report = [], FolderReport()
    for f in tqdm(files, desc="MusicXML files", disable=not progress):
        name = str(f.relative_to(folder))
        try:
            pieces.append(load_musicxml(f, **kwargs))
            report.loaded.append(name)
        except ParameterError as err:
            report.skipped.append((name, str(err)))
    if not pieces:
        raise ParameterError(
            f"folder={str(folder)!r}: none of its {len(files)} MusicXML files could be read: {report.skipped[0][1]}"
        )
    return pieces, report
