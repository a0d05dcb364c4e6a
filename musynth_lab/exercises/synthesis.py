"""Checks for notebooks/05_synthesis.ipynb."""

from __future__ import annotations

import math

import numpy as np

from ._core import CheckResult, verdict

__all__ = ["check_nats_to_bits", "check_distinct_bigrams", "check_hotter_is_more_diverse", "check_beam_vs_greedy"]


def check_nats_to_bits(nats_per_frame, answer) -> CheckResult:
    """Exercise 5.1: convert a negative log-likelihood from nats to bits (divide by ln 2).

    Examples
    --------
    >>> bool(check_nats_to_bits(2.0, 2.0))  # a nat is not a bit
    False
    """
    from ..errors import as_float
    nats_per_frame = as_float(nats_per_frame, "nats_per_frame")
    try:
        ok = abs(float(answer) - nats_per_frame / math.log(2)) < 1e-3
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: 1 nat = 1/ln 2 ≈ 1.443 bits.",
                   "Not quite: a nat is a natural-log unit; bits = nats / ln(2).")


def check_distinct_bigrams(sequences, answer) -> CheckResult:
    """Exercise 5.2: the distinct-2 diversity of ``sequences`` (distinct bigrams / all bigrams).

    Examples
    --------
    >>> seqs = [[1, 2, 1, 2]]                   # bigrams (1, 2), (2, 1), (1, 2): 2 distinct of 3
    >>> bool(check_distinct_bigrams(seqs, 2 / 3)), bool(check_distinct_bigrams(seqs, 1.0))
    (True, False)
    """
    from ..evaluate import distinct_ngrams

    expected = distinct_ngrams(sequences, n=2)      # bad sequences are the caller's error, not a wrong answer
    try:
        ok = abs(float(answer) - expected) < 1e-9
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: that is the fraction of bigrams that are distinct.",
                   "Not quite: count every adjacent pair in every sequence, then divide the number of "
                   "different pairs by the number of pairs.")


def check_hotter_is_more_diverse(answer) -> CheckResult:
    """Exercise 5.3: which temperature gives the more diverse melodies, 0.5 or 1.5?

    Examples
    --------
    >>> bool(check_hotter_is_more_diverse(1.0))  # answer 0.5 or 1.5
    False
    """
    try:
        ok = float(answer) == 1.5
    except (TypeError, ValueError):
        ok = False
    return verdict(ok, "Right: a higher temperature flattens the distribution, so more different figures appear.",
                   "Not that one: dividing log-probabilities by T < 1 sharpens the distribution.")


def check_beam_vs_greedy(log_prob_beam, log_prob_greedy, answer) -> CheckResult:
    """Exercise 5.4: is the beam's sequence at least as likely as greedy's (True/False)?

    Examples
    --------
    >>> bool(check_beam_vs_greedy(-10.0, -12.0, "yes"))   # answer True or False
    False
    """
    from ..errors import as_float
    truth = as_float(log_prob_beam, "log_prob_beam") >= as_float(log_prob_greedy, "log_prob_greedy") - 1e-6
    ok = isinstance(answer, (bool, np.bool_)) and bool(answer) == truth
    return verdict(ok, "Right: the beam explores several paths, so it finds a sequence at least as likely "
                   "as greedy's (ours also keeps greedy's path as a candidate, which guarantees it).",
                   "Compare the two log-probabilities (higher, i.e. closer to 0, is more likely).")


__all__ += ["check_midi_cadence"]


def _sonority(notes: np.ndarray, t: float) -> np.ndarray:
    """MIDI pitches sounding at time ``t`` (quarters), low to high."""
    on = (notes[:, 0] <= t + 1e-9) & (notes[:, 0] + notes[:, 1] > t + 1e-9)
    return np.sort(notes[on, 2].astype(int))


def check_midi_cadence(path, *, key=None) -> CheckResult:
    """Exercise 5.5: write a MIDI file that ends with an authentic cadence, V(7) -> I.

    The file is read back with :func:`musynth_lab.data.load_midi` (chords in one track are
    fine). The last sonority is the notes sounding at the last onset; the one before it is
    what sounds just before. The cadence is authentic when the bass goes from the dominant
    to the tonic, the last sonority is the tonic triad (a major third in a minor key, the
    Picardy third, counts) and the one before is the dominant triad or seventh chord with
    its leading tone.

    Parameters
    ----------
    path : str or Path
        The student's MIDI file.
    key : str, optional
        The key, e.g. ``'G major'``; by default the file's key signature (or, without one,
        the key estimated from its notes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from musynth_lab.data import save_midi
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> V_I = {"S": [[0, 1, 71], [1, 2, 72]], "A": [[0, 1, 67], [1, 2, 67]], "B": [[0, 1, 43], [1, 2, 48]]}
    >>> save_midi(V_I, d / "authentic.mid", key="C major")
    >>> bool(check_midi_cadence(d / "authentic.mid"))
    True
    >>> IV_I = {"S": [[0, 1, 72], [1, 2, 72]], "A": [[0, 1, 69], [1, 2, 67]], "B": [[0, 1, 41], [1, 2, 48]]}
    >>> save_midi(IV_I, d / "plagal.mid", key="C major")
    >>> bool(check_midi_cadence(d / "plagal.mid"))
    False
    """
    from ..data import load_midi
    from ..errors import ParameterError
    from ..data.midi import _PC_NAMES, _check_source, _parse_key

    _check_source(path, (".mid", ".midi"))             # no file is the caller's error, not a wrong answer
    try:
        piece = load_midi(path, polyphony="keep")
        tonic, mode = _parse_key(key) if key is not None else (piece.key_tonic_pc, piece.key_mode)
    except ParameterError as err:
        return CheckResult(False, f"The file could not be read back: {err}")
    notes = np.concatenate([v for v in piece.parts.values() if len(v)])
    last_t = float(notes[:, 0].max())
    last = _sonority(notes, last_t)
    before = _sonority(notes, last_t - 1e-3)
    name = f"{_PC_NAMES[tonic]} {mode}"
    if len(before) == 0:
        return CheckResult(False, f"Nothing sounds just before the last chord (at quarter {last_t:g}): "
                                  "a cadence needs two chords in a row.")
    dom, lead = (tonic + 7) % 12, (tonic + 11) % 12
    pcs_last, pcs_before = {p % 12 for p in last}, {p % 12 for p in before}
    tonic_triad = {tonic, (tonic + 7) % 12, (tonic + 3) % 12, (tonic + 4) % 12}
    dominant_chord = {dom, lead, (tonic + 2) % 12, (tonic + 5) % 12}
    problems = []
    if before[0] % 12 != dom:
        problems.append(f"the bass before the last chord is {_PC_NAMES[before[0] % 12]}, not the dominant "
                        f"{_PC_NAMES[dom]}")
    if lead not in pcs_before:
        problems.append(f"the chord before the last has no leading tone {_PC_NAMES[lead]}")
    elif not pcs_before <= dominant_chord:
        problems.append("the chord before the last has notes outside the dominant (seventh) chord")
    if last[0] % 12 != tonic:
        problems.append(f"the last bass note is {_PC_NAMES[last[0] % 12]}, not the tonic {_PC_NAMES[tonic]}")
    if not pcs_last <= tonic_triad or len(pcs_last & {(tonic + 3) % 12, (tonic + 4) % 12}) > 1:
        problems.append("the last chord is not the tonic triad")
    if not problems:
        return CheckResult(True, f"Right: the file ends V -> I in {name}, an authentic cadence.")
    return CheckResult(False, f"Not an authentic cadence in {name} yet: " + "; ".join(problems) + ".")
