"""Measures of generated music.

Distinct-n for decoding strategies (chapter 5), and the coherence measures every model and the data
are compared with (chapter 6c): pitch-class distance, time structure (self-similarity), voice-leading
violations, and a report table.

Chapter: notebooks/05_synthesis.ipynb; notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import numpy as np

from ._voice_rules import frame_faults, transition_faults
from .data import tokens_to_notes
from .errors import ParameterError, as_array, as_float, as_int, as_sequence, check

__all__ = ["distinct_ngrams", "melody_pitches"]
__all__ += ["copied_fraction", "nearest", "retrieval_precision", "chance_precision", "step_violations"]


def distinct_ngrams(sequences, n: int = 2) -> float:
    """Diversity: distinct n-grams divided by all n-grams across ``sequences`` (Li et al. 2016's distinct-n).

    1.0 means no n-gram repeats anywhere; values near 0 mean the same figures over and over.

    Parameters
    ----------
    sequences : list of 1-D int sequences
    n : int

    Examples
    --------
    >>> distinct_ngrams([[1, 2, 1, 2, 1, 2]], n=2), distinct_ngrams([[1, 2, 3, 4]], n=2)
    (0.4, 1.0)

    Chapter: notebooks/05_synthesis.ipynb
    """
    n = as_int(n, "n")
    grams = []
    for s in as_sequence(sequences, "sequences", what="a list of token sequences"):
        s = [int(t) for t in as_array(s, "sequences", allow_empty=True, integer=True).ravel()]
        grams.extend(tuple(s[i : i + n]) for i in range(len(s) - n + 1))
    check(len(grams) > 0, "sequences", sequences, f"sequences with at least {n} tokens")
    return len(set(grams)) / len(grams)


def melody_pitches(tokens, *, step: float = 0.5) -> np.ndarray:
    """The MIDI pitches of the notes a melody-token sequence starts, in order (holds and rests dropped).

    Examples
    --------
    >>> from musynth_lab.data import HOLD, MELODY_LOW, REST
    >>> melody_pitches([2 + 60 - MELODY_LOW, HOLD, REST, 2 + 64 - MELODY_LOW]).tolist()
    [60, 64]

    Chapter: notebooks/05_synthesis.ipynb
    """
    return tokens_to_notes(tokens, step=step)[:, 2].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Coherence measures (chapter 6c). One representation for every model and for the data: a
# binary piano roll ``(n_keys, n_frames)`` whose row 0 is MIDI ``low`` (88 keys from MIDI 21 by
# default, as ``data.piano_roll``), eighth-note frames; a set is a list of such rolls.
# ---------------------------------------------------------------------------------------------

__all__ += [
    "PC_DISTANCE",
    "VOICES_LABELLED",
    "VOICES_HIGH_TO_LOW",
    "as_roll_set",
    "pitch_class_histogram",
    "pitch_class_distance",
    "self_similarity",
    "lag_similarity",
    "mean_lag_similarity",
    "structure_distance",
    "repeated_bars",
    "roll_to_voices",
    "voice_leading",
    "violations_per_100",
    "coherence_report",
    "format_report",
    "roll_to_notes",
]

#: The distance used between pitch-class histograms: Jensen-Shannon divergence in bits (0..1).
PC_DISTANCE = "Jensen-Shannon divergence (bits, 0 = same histogram, 1 = disjoint)"


def _as_roll(roll, *, n_keys: int | None, name: str = "roll") -> np.ndarray:
    """One binary roll as a bool array ``(n_keys, n_frames)``; rejects non-binary values."""
    arr = np.asarray(as_array(roll, name, ndim=2)) if not (isinstance(roll, np.ndarray) and roll.dtype == bool) else roll
    check(arr.ndim == 2 and arr.shape[1] >= 1, name, arr, "a 2-D piano roll (n_keys, n_frames) with >= 1 frame")
    if n_keys is not None:
        check(arr.shape[0] == n_keys, name, arr, f"{n_keys} keys (rows); got {arr.shape[0]}")
    if arr.dtype != bool:
        check(np.isin(arr, (0, 1)).all(), name, arr, "a binary roll (bool or 0/1 values)")
        arr = arr.astype(bool)
    return arr


def as_roll_set(rolls, *, n_keys: int | None = 88, name: str = "rolls") -> list:
    """Validate a set of binary piano rolls and return it as a list of bool arrays.

    Parameters
    ----------
    rolls : array [shape=(n_keys, n_frames)] or list of such arrays (lengths may differ)
    n_keys : int or None
        Required number of rows (88 for the piano from MIDI 21); None accepts any.

    Returns
    -------
    list of np.ndarray [shape=(n_keys, n_frames_i)], bool

    Raises
    ------
    ParameterError
        An empty set, a roll with the wrong number of keys, or values other than 0/1.

    Examples
    --------
    >>> [r.shape for r in as_roll_set(np.zeros((88, 4)))]
    [(88, 4)]

    Chapter: notebooks/06c_coherence.ipynb
    """
    n_keys = as_int(n_keys, "n_keys", allow_none=True)
    if hasattr(rolls, "ndim") and rolls.ndim == 2:
        rolls = [rolls]
    rolls = as_sequence(rolls, name, min_len=1, what="a piano roll (n_keys, n_frames) or a non-empty list of them")
    return [_as_roll(r, n_keys=n_keys, name=f"{name}[{i}]") for i, r in enumerate(rolls)]


def pitch_class_histogram(rolls, *, low: int = 21, name: str = "rolls") -> np.ndarray:
    """How often each pitch class sounds: active (key, frame) cells per pitch class, summed to 1.

    Parameters
    ----------
    rolls : roll [shape=(n_keys, n_frames)] or list of rolls
        Binary piano rolls; row ``k`` is MIDI ``low + k``.
    low : int
        MIDI pitch of row 0.

    Returns
    -------
    np.ndarray [shape=(12,)], float, index 0 = C. All zeros only if nothing sounds.

    Examples
    --------
    >>> roll = np.zeros((88, 4), bool); roll[60 - 21, :3] = True; roll[67 - 21, 3] = True   # C C C G
    >>> pitch_class_histogram(roll)[[0, 7]].tolist()
    [0.75, 0.25]

    Chapter: notebooks/06c_coherence.ipynb
    """
    low = as_int(low, "low", low=0, high=127)
    counts = np.zeros(12)
    for r in as_roll_set(rolls, n_keys=None, name=name):
        per_key = r.sum(axis=1)
        np.add.at(counts, (low + np.arange(r.shape[0])) % 12, per_key)
    total = counts.sum()
    return counts / total if total > 0 else counts


def pitch_class_distance(samples, reference, *, low: int = 21) -> float:
    """Jensen-Shannon divergence (bits) between the pitch-class histograms of two sets of rolls.

    ``JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m)`` with ``m = (p + q) / 2`` and log base 2, so it lies in
    [0, 1]: 0 for the same histogram, 1 for histograms with no pitch class in common. Unlike KL it is
    symmetric and finite when a set never plays some pitch class. A set that plays nothing at all
    scores 1.

    Parameters
    ----------
    samples, reference : roll or list of rolls [shape=(n_keys, n_frames)]
    low : int
        MIDI pitch of row 0.

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> c = np.zeros((88, 2), bool); c[60 - 21] = True                # only C
    >>> g = np.zeros((88, 2), bool); g[67 - 21] = True                # only G
    >>> cg = np.zeros((88, 2), bool); cg[60 - 21, 0] = cg[67 - 21, 1] = True   # half C, half G
    >>> pitch_class_distance(c, c), pitch_class_distance(c, g), round(pitch_class_distance(c, cg), 4)
    (0.0, 1.0, 0.3113)

    Chapter: notebooks/06c_coherence.ipynb
    """
    return _js_bits(
        pitch_class_histogram(samples, low=low, name="samples"), pitch_class_histogram(reference, low=low, name="reference")
    )


def _js_bits(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence (bits) of two pitch-class histograms (1 if exactly one is all zeros)."""
    if p.sum() == 0 or q.sum() == 0:
        return 1.0 if p.sum() != q.sum() else 0.0
    m = (p + q) / 2

    def kl(a, b):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / b[nz])))

    return float(np.clip(0.5 * kl(p, m) + 0.5 * kl(q, m), 0.0, 1.0))


def _cosine_frames(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of binary frame columns; two silent frames count as identical (1), one silent as 0."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    dot = (a * b).sum(axis=0)
    na, nb = a.sum(axis=0), b.sum(axis=0)
    out = np.where((na > 0) & (nb > 0), dot / np.sqrt(np.maximum(na * nb, 1e-12)), 0.0)
    return np.where((na == 0) & (nb == 0), 1.0, out)


def _bars(roll: np.ndarray, frames_per_bar: int) -> np.ndarray:
    """``(n_keys * frames_per_bar, n_bars)``: each full bar flattened to a column (a partial last bar is dropped)."""
    n_bars = roll.shape[1] // frames_per_bar
    cut = roll[:, : n_bars * frames_per_bar]
    return cut.reshape(roll.shape[0], n_bars, frames_per_bar).transpose(0, 2, 1).reshape(-1, n_bars)


def self_similarity(roll, *, frames_per_bar: int = 1) -> np.ndarray:
    """Self-similarity matrix of a piano roll: cosine similarity between every pair of frames (or bars).

    With ``frames_per_bar=1`` entry ``(i, j)`` compares frame i with frame j; with ``frames_per_bar=8``
    (4/4 in eighth notes) each bar's 8 frames are flattened into one vector and bars are compared,
    counting bars from frame 0 (a pick-up shifts the grid; a partial last bar is dropped). Two silent
    frames are identical (1); a silent and a sounding frame share nothing (0). Repeated material shows as
    bright off-diagonal stripes; a piece whose frames were shuffled shows none.

    Parameters
    ----------
    roll : np.ndarray [shape=(n_keys, n_frames)], binary
    frames_per_bar : int

    Returns
    -------
    np.ndarray [shape=(n, n)], float in [0, 1], n = n_frames // frames_per_bar

    Examples
    --------
    >>> roll = np.zeros((88, 4), bool); roll[60 - 21, [0, 2]] = True; roll[64 - 21, [1, 3]] = True
    >>> self_similarity(roll).tolist()                  # C E C E: every other frame repeats
    [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    >>> self_similarity(roll, frames_per_bar=2).tolist()   # bars (C E) and (C E)
    [[1.0, 1.0], [1.0, 1.0]]

    Chapter: notebooks/06c_coherence.ipynb
    """
    r = _as_roll(roll, n_keys=None)
    frames_per_bar = as_int(frames_per_bar, "frames_per_bar")
    check(frames_per_bar <= r.shape[1], "frames_per_bar", frames_per_bar, f"an integer in 1..n_frames ({r.shape[1]})")
    cols = _bars(r, frames_per_bar).astype(np.float64)
    n = cols.shape[1]
    norms = cols.sum(axis=0)
    gram = cols.T @ cols
    denom = np.sqrt(np.outer(norms, norms))
    sim = np.where(denom > 0, gram / np.maximum(denom, 1e-12), 0.0)
    silent = norms == 0
    sim[np.ix_(silent, silent)] = 1.0
    return sim.reshape(n, n)


def lag_similarity(roll, *, max_lag: int = 16) -> np.ndarray:
    """Lag-similarity profile: mean cosine similarity of frames ``t`` and ``t + lag`` for lag = 1..max_lag.

    This is the average of the self-similarity matrix's ``lag``-th diagonal. Real chorales are high at
    lag 1 (notes are held), fall with the lag and bump at the bar (lag 8 in eighth-note 4/4); a roll
    shuffled in time is flat. Lags longer than the roll are NaN.

    Parameters
    ----------
    roll : np.ndarray [shape=(n_keys, n_frames)], binary
    max_lag : int
        Longest lag, in frames.

    Returns
    -------
    np.ndarray [shape=(max_lag,)], float

    Examples
    --------
    >>> roll = np.zeros((88, 4), bool); roll[60 - 21, [0, 2]] = True; roll[64 - 21, [1, 3]] = True
    >>> lag_similarity(roll, max_lag=3).tolist()       # C E C E
    [0.0, 1.0, 0.0]

    Chapter: notebooks/06c_coherence.ipynb
    """
    r = _as_roll(roll, n_keys=None)
    max_lag = as_int(max_lag, "max_lag")
    out = np.full(max_lag, np.nan)
    for lag in range(1, min(max_lag, r.shape[1] - 1) + 1):
        out[lag - 1] = _cosine_frames(r[:, :-lag], r[:, lag:]).mean()
    return out


def mean_lag_similarity(rolls, *, max_lag: int = 16) -> np.ndarray:
    """The lag-similarity profile of a set: :func:`lag_similarity` averaged over rolls, weighted by frame pairs.

    Parameters
    ----------
    rolls : roll or list of rolls [shape=(n_keys, n_frames)]
    max_lag : int

    Returns
    -------
    np.ndarray [shape=(max_lag,)], NaN at lags no roll reaches

    Examples
    --------
    >>> held = np.zeros((88, 4), bool); held[60 - 21] = True
    >>> alt = np.zeros((88, 4), bool); alt[60 - 21, ::2] = True; alt[64 - 21, 1::2] = True
    >>> mean_lag_similarity([held, alt], max_lag=2).tolist()    # lag 1: (3 * 1 + 3 * 0) / 6
    [0.5, 1.0]

    Chapter: notebooks/06c_coherence.ipynb
    """
    max_lag = as_int(max_lag, "max_lag")
    return _set_lag_profile(as_roll_set(rolls, n_keys=None), max_lag)


def _set_lag_profile(rolls, max_lag: int) -> np.ndarray:
    """Frame-weighted mean lag profile of a set (each piece weighted by its number of frame pairs)."""
    num = np.zeros(max_lag)
    den = np.zeros(max_lag)
    for r in rolls:
        prof = lag_similarity(r, max_lag=max_lag)
        pairs = np.maximum(r.shape[1] - np.arange(1, max_lag + 1), 0)
        ok = ~np.isnan(prof)
        num[ok] += prof[ok] * pairs[ok]
        den[ok] += pairs[ok]
    return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def structure_distance(samples, reference, *, max_lag: int = 16) -> float:
    """How far a set's time structure is from the reference's: mean absolute difference of lag-similarity profiles.

    Each set's profile is the mean of :func:`lag_similarity` over its rolls (weighted by frames); the
    distance is the mean absolute difference over lags 1..max_lag (lags no roll reaches are skipped).
    0 means the same amount of holding, repetition and change at every time scale up to ``max_lag``
    frames; it lies in [0, 1].

    Parameters
    ----------
    samples, reference : roll or list of rolls [shape=(n_keys, n_frames)]
    max_lag : int
        Longest lag, in frames (16 = two 4/4 bars of eighth notes).

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> held = np.zeros((88, 6), bool); held[60 - 21] = True                      # one held C
    >>> alt = np.zeros((88, 6), bool); alt[60 - 21, ::2] = True; alt[64 - 21, 1::2] = True   # C E C E C E
    >>> structure_distance(held, held, max_lag=2), structure_distance(alt, held, max_lag=2)
    (0.0, 0.5)

    Chapter: notebooks/06c_coherence.ipynb
    """
    max_lag = as_int(max_lag, "max_lag")
    a = _set_lag_profile(as_roll_set(samples, n_keys=None, name="samples"), max_lag)
    b = _set_lag_profile(as_roll_set(reference, n_keys=None, name="reference"), max_lag)
    return _profile_distance(a, b, samples)


def _profile_distance(a: np.ndarray, b: np.ndarray, samples) -> float:
    """Mean |a - b| over the lags both profiles reach (``samples`` names the input in the error)."""
    ok = ~np.isnan(a) & ~np.isnan(b)
    check(ok.any(), "samples", samples, "rolls with at least 2 frames")
    return float(np.mean(np.abs(a[ok] - b[ok])))


def repeated_bars(rolls, *, frames_per_bar: int = 8) -> float:
    """Fraction of bars that repeat an earlier bar of the same roll exactly (all keys, all frames).

    Bars are counted from frame 0 in blocks of ``frames_per_bar``; a partial last bar is dropped, and
    so is a roll shorter than two bars. Returns NaN if no roll has two full bars.

    Parameters
    ----------
    rolls : roll or list of rolls [shape=(n_keys, n_frames)]
    frames_per_bar : int
        8 for 4/4 in eighth-note frames.

    Returns
    -------
    float in [0, 1] or NaN

    Examples
    --------
    >>> a = np.zeros((88, 2), bool); a[60 - 21] = True
    >>> b = np.zeros((88, 2), bool); b[62 - 21] = True
    >>> repeated_bars(np.concatenate([a, b, a, a], axis=1), frames_per_bar=2)   # bars A B A A: 2 of 4 repeat
    0.5

    Chapter: notebooks/06c_coherence.ipynb
    """
    frames_per_bar = as_int(frames_per_bar, "frames_per_bar")
    repeats = total = 0
    for r in as_roll_set(rolls, n_keys=None):
        bars = _bars(r, frames_per_bar).T
        if len(bars) < 2:
            continue
        seen = set()
        for bar in bars:
            key = np.packbits(bar).tobytes()
            repeats += key in seen
            seen.add(key)
        total += len(bars)
    return repeats / total if total else float("nan")


def roll_to_voices(roll, *, low: int = 21, n_voices: int = 4) -> np.ndarray:
    """Voices S, A, T, B from a roll without voice labels: each frame's sounding notes, high to low.

    Rule (documented because it decides the voice-leading counts): the highest note is the soprano,
    the next the alto, and so on; with fewer notes than voices the lowest voices rest (-1); with more,
    the highest ``n_voices - 1`` notes and the lowest note (the bass) are kept. Two voices in unison are
    one key of a roll, so they come back as one voice. Voices derived this way never cross.

    Parameters
    ----------
    roll : np.ndarray [shape=(n_keys, n_frames)], binary
    low : int
        MIDI pitch of row 0.
    n_voices : int

    Returns
    -------
    np.ndarray [shape=(n_frames, n_voices)], int, MIDI pitches, -1 for rest

    Examples
    --------
    >>> roll = np.zeros((88, 2), bool); roll[[72 - 21, 67 - 21, 64 - 21, 48 - 21], 0] = True; roll[60 - 21, 1] = True
    >>> roll_to_voices(roll).tolist()
    [[72, 67, 64, 48], [60, -1, -1, -1]]

    Chapter: notebooks/06c_coherence.ipynb
    """
    r = _as_roll(roll, n_keys=None)
    low = as_int(low, "low", low=0, high=127)
    n_voices = as_int(n_voices, "n_voices", low=2)
    out = np.full((r.shape[1], n_voices), -1, dtype=np.int64)
    for t in range(r.shape[1]):
        keys = np.flatnonzero(r[:, t])[::-1] + low  # high to low
        if len(keys) > n_voices:
            keys = np.concatenate([keys[: n_voices - 1], keys[-1:]])
        out[t, : len(keys)] = keys
    return out


_VL_KINDS = ("parallel_fifths", "parallel_octaves", "crossing", "spacing", "leaps")


def _as_voices(voices) -> np.ndarray:
    v = as_array(voices, "voices", ndim=2)
    check(
        v.ndim == 2 and v.shape[1] >= 2 and v.shape[0] >= 1,
        "voices",
        v,
        "MIDI pitches (n_frames, n_voices >= 2), voices ordered high to low, -1 for rest",
    )
    check(
        np.issubdtype(v.dtype, np.number) and np.all((v == -1) | ((v >= 0) & (v <= 127))),
        "voices",
        v,
        "MIDI pitches 0..127 or -1 for rest",
    )
    return v.astype(np.int64)


def voice_leading(voices) -> dict:
    """Count voice-leading rule violations in a ``(n_frames, n_voices)`` grid of MIDI pitches (S, A, T, B).

    Counted between consecutive frames ``t -> t+1`` (a *transition*) and within frames; rests (-1) take
    part in nothing:

    * ``parallel_fifths`` / ``parallel_octaves``: for any two voices, the interval between them is a
      perfect fifth (7 semitones mod 12) / an octave or unison (0 mod 12) in both frames, and both voices
      move in the same direction (a held interval is not a parallel);
    * ``crossing``: in a frame, a voice sounds below the next lower voice (S < A, A < T, T < B);
    * ``spacing``: in a frame, more than an octave between soprano and alto or alto and tenor (the bass
      may be further from the tenor);
    * ``leaps``: a voice moves by more than an octave between consecutive frames.

    Parameters
    ----------
    voices : array [shape=(n_frames, n_voices)], int, -1 for rest
        Ordered high to low (``harmonize`` output, or :func:`roll_to_voices` of a roll).

    Returns
    -------
    dict
        The five counts (ints) and ``transitions`` (n_frames - 1).

    Examples
    --------
    Soprano and bass climb together from C5/F3 to D5/G3, a fifth (plus an octave) both times: one
    parallel fifth. The soprano-alto fifth of frame 2 is reached with the alto held: not a parallel.

    >>> voice_leading([[72, 67, 64, 53], [74, 67, 62, 55]])
    {'parallel_fifths': 1, 'parallel_octaves': 0, 'crossing': 0, 'spacing': 0, 'leaps': 0, 'transitions': 1}
    >>> voice_leading([[60, 64, 55, 48], [60, 64, 55, 31]])   # alto above soprano twice, a bass leap of 17
    {'parallel_fifths': 0, 'parallel_octaves': 0, 'crossing': 2, 'spacing': 0, 'leaps': 1, 'transitions': 1}

    Chapter: notebooks/06c_coherence.ipynb
    """
    v = _as_voices(voices)
    fifths, octaves, leaps = transition_faults(v[:-1], v[1:])  # (n-1,) each
    crossing, spacing = frame_faults(v)  # (n,) each
    counts = {
        "parallel_fifths": int(fifths.sum()),
        "parallel_octaves": int(octaves.sum()),
        "crossing": int(crossing.sum()),
        "spacing": int(spacing.sum()),
        "leaps": int(leaps.sum()),
        "transitions": len(v) - 1,
    }
    return counts


def violations_per_100(voice_sets) -> dict:
    """Voice-leading violations per 100 transitions, summed over a set of voice grids.

    Parameters
    ----------
    voice_sets : list of arrays [shape=(n_frames, n_voices)]

    Returns
    -------
    dict
        Each kind of :func:`voice_leading` and ``total``, per 100 transitions.

    Examples
    --------
    >>> violations_per_100([[[72, 67, 64, 53], [74, 67, 62, 55]], [[60, 64, 55, 48], [60, 64, 55, 31]]])["total"]
    200.0

    Chapter: notebooks/06c_coherence.ipynb
    """
    voice_sets = as_sequence(voice_sets, "voice_sets", min_len=1, what="a non-empty list of voice grids")
    total = dict.fromkeys(_VL_KINDS + ("transitions",), 0)
    for vs in voice_sets:
        for key, value in voice_leading(vs).items():
            total[key] += value
    check(total["transitions"] > 0, "voice_sets", voice_sets, "grids with at least 2 frames in all")
    out = {key: 100.0 * total[key] / total["transitions"] for key in _VL_KINDS}
    out["total"] = float(sum(out.values()))
    return out


#: The two voice assignments a :func:`coherence_report` row can use for its voice-leading counts.
VOICES_LABELLED, VOICES_HIGH_TO_LOW = "labelled", "high to low"


def coherence_report(
    samples,
    reference,
    *,
    nll: dict | None = None,
    voices: dict | None = None,
    low: int = 21,
    max_lag: int = 16,
    frames_per_bar: int = 8,
) -> list[dict]:
    """The same coherence measures for every set of rolls, one row per set.

    Parameters
    ----------
    samples : dict of name -> list of rolls, or one list of rolls (named ``'samples'``)
        Binary piano rolls ``(88, n_frames)`` from MIDI ``low``, eighth-note frames.
    reference : list of rolls
        The data the sets are compared with (usually the training chorales).
    nll : dict of name -> float, optional
        Held-out negative log-likelihood per frame (nats) where a model defines one; NaN elsewhere.
    voices : dict of name -> list of (n_frames, 4) voice grids, optional
        Labelled voices for the voice-leading counts (e.g. a harmonizer's S, A, T, B). Sets without
        them use :func:`roll_to_voices` of their rolls (read high to low). The two readings of the
        same music give different counts (high to low never crosses and merges unisons), so every
        row says which one it used, in ``voices``.
    low, max_lag, frames_per_bar
        See :func:`pitch_class_distance`, :func:`structure_distance`, :func:`repeated_bars`.

    Returns
    -------
    list of dict
        Keys ``set``, ``n_rolls``, ``n_frames``, ``notes_per_frame``, ``pc_distance`` (JS, bits),
        ``structure_distance``, ``repeated_bars``, ``voices`` (the voice assignment of the
        voice-leading counts: ``'labelled'`` or ``'high to low'``), ``vl_per_100`` (all violations
        per 100 transitions), the five violation kinds per 100 transitions, and ``nll_per_frame``.

    Examples
    --------
    >>> held = np.zeros((88, 8), bool); held[[72 - 21, 67 - 21, 64 - 21, 48 - 21]] = True
    >>> row = coherence_report({"held": [held]}, [held])[0]
    >>> row["pc_distance"], row["structure_distance"], row["vl_per_100"], row["voices"]
    (0.0, 0.0, 0.0, 'high to low')

    Chapter: notebooks/06c_coherence.ipynb
    """
    if not isinstance(samples, dict):
        samples = {"samples": samples}
    check(len(samples) > 0, "samples", samples, "at least one named set of rolls")
    low = as_int(low, "low", low=0, high=127)
    max_lag = as_int(max_lag, "max_lag")
    frames_per_bar = as_int(frames_per_bar, "frames_per_bar")
    ref = as_roll_set(reference, n_keys=88 if low == 21 else None, name="reference")
    nll = nll or {}
    voices = voices or {}
    ref_pc = pitch_class_histogram(ref, low=low)  # the reference's statistics, once
    ref_lag = _set_lag_profile(ref, max_lag)
    rows = []
    for name, rolls in samples.items():
        rs = as_roll_set(rolls, n_keys=ref[0].shape[0], name=f"samples[{name!r}]")
        labelled = voices.get(name) is not None and len(voices[name]) > 0
        vs = voices[name] if labelled else [roll_to_voices(r, low=low) for r in rs]
        vl = violations_per_100(vs)
        n_frames = sum(r.shape[1] for r in rs)
        rows.append(
            {
                "set": name,
                "n_rolls": len(rs),
                "n_frames": n_frames,
                "notes_per_frame": float(sum(r.sum() for r in rs) / n_frames),
                "pc_distance": _js_bits(pitch_class_histogram(rs, low=low), ref_pc),
                "structure_distance": _profile_distance(_set_lag_profile(rs, max_lag), ref_lag, rs),
                "repeated_bars": repeated_bars(rs, frames_per_bar=frames_per_bar),
                "voices": VOICES_LABELLED if labelled else VOICES_HIGH_TO_LOW,
                "vl_per_100": vl["total"],
                **{f"{k}_per_100": vl[k] for k in _VL_KINDS},
                "nll_per_frame": float(nll.get(name, float("nan"))),
            }
        )
    return rows


def format_report(
    rows,
    *,
    columns=(
        "n_rolls",
        "notes_per_frame",
        "pc_distance",
        "structure_distance",
        "repeated_bars",
        "voices",
        "vl_per_100",
        "nll_per_frame",
    ),
) -> str:
    """A fixed-width text table of :func:`coherence_report` rows (NaN shown as ``-``, text as it is).

    Examples
    --------
    >>> print(format_report([{"set": "data", "pc_distance": 0.0}], columns=("pc_distance",)))
    set                   pc_distance
    data                        0.000

    Chapter: notebooks/06c_coherence.ipynb
    """
    rows = as_sequence(rows, "rows", min_len=1, what="a non-empty list of report rows (dicts)")
    check(all(isinstance(r, dict) and "set" in r for r in rows), "rows", rows, "dicts with a 'set' key")
    columns = as_sequence(columns, "columns", what="a sequence of column names")
    check(all(isinstance(c, str) for c in columns), "columns", columns, "column names (strings)")
    width = max(20, *(len(str(r["set"])) for r in rows)) + 2
    widths = [max(len(c), 11 if c == "voices" else 8) + 2 for c in columns]  # "high to low" is 11 wide
    lines = ["set".ljust(width) + "".join(c.rjust(w) for c, w in zip(columns, widths))]
    for r in rows:
        cells = []
        for c, w in zip(columns, widths):
            value = r.get(c, float("nan"))
            text = (
                "-"
                if value is None or (isinstance(value, float) and np.isnan(value))
                else (str(value) if isinstance(value, (int, np.integer, str)) else f"{value:.3f}")
            )
            cells.append(text.rjust(w))
        lines.append(str(r["set"]).ljust(width) + "".join(cells))
    return "\n".join(lines)


def roll_to_notes(roll, *, step: float = 0.5, low: int = 21) -> np.ndarray:
    """Note rows ``(onset_q, duration_q, midi)`` from a binary roll, for listening with ``synth.render_notes``.

    A run of consecutive sounding frames of one key is one note (so a repeated note that the roll does
    not separate is heard as one long note). Inverse of :func:`musynth_lab.data.notes_to_roll` up to that.

    Parameters
    ----------
    roll : np.ndarray [shape=(n_keys, n_frames)], binary
    step : float
        Frame length in quarter notes.
    low : int
        MIDI pitch of row 0.

    Returns
    -------
    np.ndarray [shape=(n_notes, 3)], float, sorted by onset then pitch

    Examples
    --------
    >>> roll = np.zeros((88, 4), bool); roll[60 - 21, :2] = True; roll[64 - 21, 1:] = True
    >>> roll_to_notes(roll).tolist()
    [[0.0, 1.0, 60.0], [0.5, 1.5, 64.0]]

    Chapter: notebooks/06c_coherence.ipynb
    """
    r = _as_roll(roll, n_keys=None)
    step = as_float(step, "step", low=0, low_open=True)
    low = as_int(low, "low", low=0, high=127)
    padded = np.pad(r, ((0, 0), (1, 1))).astype(np.int8)
    edges = np.diff(padded, axis=1)
    rows = []
    for key in np.flatnonzero(r.any(axis=1)):
        starts = np.flatnonzero(edges[key] == 1)
        ends = np.flatnonzero(edges[key] == -1)
        rows += [[s * step, (e - s) * step, float(low + key)] for s, e in zip(starts, ends)]
    out = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return out[np.lexsort((out[:, 2], out[:, 0]))] if len(out) else out


# ---------------------------------------------------------------------------- memorisation (chapter 6b)


def copied_fraction(sample, train_seqs, *, n: int = 8) -> float:
    """Fraction of the ``n``-grams of ``sample`` that occur somewhere in ``train_seqs``.

    A measure of memorisation: a model that over-fits small data copies its training melodies.

    Examples
    --------
    >>> copied_fraction([1, 2, 3, 4], [[0, 1, 2, 3]], n=2)
    0.6666666666666666

    Chapter: notebooks/06b_quality.ipynb
    """
    n = as_int(n, "n")
    s = as_array(sample, "sample", ndim=1, integer=True).tolist()
    check(len(s) >= n, "sample", sample, f"at least n={n} tokens")
    seen = set()
    for t in as_sequence(train_seqs, "train_seqs", what="a list of token sequences"):
        t = as_array(t, "train_seqs", allow_empty=True, integer=True).ravel().tolist()
        seen.update(tuple(t[i : i + n]) for i in range(len(t) - n + 1))
    grams = [tuple(s[i : i + n]) for i in range(len(s) - n + 1)]
    return sum(g in seen for g in grams) / len(grams)


# ---------------------------------------------------------------------------- retrieval (chapter 4)


def _labels(x, name):
    """Class labels as a 1-D array: numbers (finite) or strings."""
    check(x is not None and not isinstance(x, (str, bytes)), name, x, "a 1-D sequence of class labels")
    arr = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
    check(arr.ndim == 1 and arr.size > 0, name, x, f"a non-empty 1-D sequence of class labels, got shape {arr.shape}")
    check(
        arr.dtype.kind in "biuUS" or (arr.dtype.kind == "f" and bool(np.isfinite(arr).all())),
        name,
        x,
        "class labels: whole numbers, finite numbers or strings (no NaN, inf or complex)",
    )
    return arr


def _unit_rows(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def nearest(query, database, *, k: int = 5, exclude_self: bool = False) -> np.ndarray:
    """Indices of the ``k`` most cosine-similar database rows for each query row, ``(n_query, k)``.

    ``exclude_self=True`` (query is the database) skips each row's own index.

    Examples
    --------
    >>> nearest(np.array([[1.0, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), k=2).tolist()
    [[1, 2]]

    Chapter: notebooks/04b_deep.ipynb
    """
    q, d = as_array(query, "query", ndim=2), as_array(database, "database", ndim=2)
    if q.shape[1] != d.shape[1]:
        raise ParameterError(f"query: shape {q.shape} and database: shape {d.shape}: expected (n, dim) and (m, dim)")
    m = len(d) - (1 if exclude_self else 0)
    k = as_int(k, "k", low=1)
    check(k <= m, "k", k, f"a number of neighbours in 1..{m}")
    sim = _unit_rows(q) @ _unit_rows(d).T
    if exclude_self:
        check(len(q) == len(d), "exclude_self", exclude_self, "query and database to be the same rows")
        np.fill_diagonal(sim, -np.inf)
    return np.argsort(-sim, axis=1, kind="stable")[:, : int(k)]


def retrieval_precision(query, query_labels, database=None, database_labels=None, *, k: int = 5) -> float:
    """Mean precision at ``k``: the share of each query's ``k`` nearest neighbours with its label.

    Without ``database`` the queries are searched among themselves (leaving each one out).

    Examples
    --------
    >>> emb = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]); lab = np.array([0, 0, 1, 1])
    >>> retrieval_precision(emb, lab, k=1)
    1.0

    Chapter: notebooks/04b_deep.ipynb
    """
    query = as_array(query, "query", ndim=2)
    ql = _labels(query_labels, "query_labels")
    self_search = database is None
    db, dl = (query, ql) if self_search else (as_array(database, "database", ndim=2), _labels(database_labels, "database_labels"))
    check(len(ql) == len(query), "query_labels", ql.shape, f"one label per query ({len(query)})")
    check(len(dl) == len(db), "database_labels", dl.shape, f"one label per database row ({len(db)})")
    idx = nearest(query, db, k=k, exclude_self=self_search)
    return float(np.mean(dl[idx] == ql[:, None]))


def chance_precision(query_labels, database_labels=None) -> float:
    """Expected precision of random retrieval: the mean share of the database with each query's label.

    Examples
    --------
    >>> round(chance_precision(np.repeat(np.arange(10), 5)), 4)   # 10 balanced classes, leave-one-out (4/49)
    0.0816

    Chapter: notebooks/04b_deep.ipynb
    """
    ql = _labels(query_labels, "query_labels")
    if database_labels is None:
        n = len(ql)
        check(n >= 2, "query_labels", ql, "at least 2 labels")
        return float(np.mean([(np.sum(ql == y) - 1) / (n - 1) for y in ql]))
    dl = _labels(database_labels, "database_labels")
    return float(np.mean([np.mean(dl == y) for y in ql]))


# ---------------------------------------------------------------------------- one voice-leading move (chapter 6c)


def step_violations(prev, frames) -> np.ndarray:
    """Voice-leading faults of moving from one frame to each of several candidate frames.

    The same rules, counted the same way, as :func:`musynth_lab.evaluate.voice_leading`
    on the two-frame grid ``[prev, frame]`` minus the faults of ``prev`` alone: parallel
    fifths and octaves between any two voices, crossing and spacing inside the new frame,
    leaps beyond an octave.

    Parameters
    ----------
    prev : array of int [shape=(n_voices,) or (n_pieces, n_voices)]
        MIDI pitches of the last frame, high to low, -1 for rest (one per piece when 2-D).
    frames : array of int [shape=(n_candidates, n_voices) or (n_pieces, n_candidates, n_voices)]

    Returns
    -------
    np.ndarray [shape=(n_candidates,) or (n_pieces, n_candidates)], int64

    Examples
    --------
    >>> step_violations([72, 67, 64, 53], [[74, 67, 62, 55], [74, 67, 65, 53]]).tolist()  # S/B fifths move up
    [1, 0]
    >>> step_violations([[72, 67, 64, 53]] * 2, [[[74, 67, 62, 55]], [[74, 67, 65, 53]]]).tolist()  # two pieces
    [[1], [0]]

    Chapter: notebooks/06c_coherence.ipynb
    """
    a = as_array(prev, "prev", ndim=(1, 2), integer=True)
    b = as_array(frames, "frames", ndim=a.ndim + 1, integer=True)
    want = f"({'' if a.ndim == 1 else f'{a.shape[0]}, '}n_candidates, {a.shape[-1]}): one pitch per voice of prev"
    check(b.shape[-1] == a.shape[-1] and b.shape[:-2] == a.shape[:-1], "frames", f"shape {b.shape}", want)
    fifths, octaves, leaps = transition_faults(a[..., None, :], b)
    crossing, spacing = frame_faults(b)
    return fifths + octaves + leaps + crossing + spacing
