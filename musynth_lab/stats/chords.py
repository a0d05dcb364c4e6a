"""Chord vocabulary, templates, frame-wise template matching and beat-level evaluation.

The vocabulary is the 25 classes of :data:`musynth_lab.data.CHORD_NAMES`: 12 major triads
(0-11), 12 minor triads (12-23) and "no chord" (24); it and its triad templates
(:func:`chord_templates`) live in :mod:`musynth_lab.data`, which labels the beats of a MIDI
file with them, and are part of this module's API too. Template matching scores each chroma
frame against a binary triad template (cosine similarity) and takes the best chord of each
frame on its own; the HMM of :mod:`musynth_lab.stats.hmm` adds what a chord sequence looks
like over time.

Chapter: notebooks/04a_statistical.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import CHORD_NAMES, N_CHORDS, NO_CHORD, VOCABULARIES, chord_templates, unit_columns
from ..errors import ParameterError, as_array, as_choice, check

__all__ = [
    "N_CHORDS",
    "NO_CHORD",
    "VOCABULARIES",
    "chord_templates",
    "check_chroma",
    "check_labels",
    "template_scores",
    "template_chords",
    "beat_sync",
    "frames_to_beats",
    "beat_accuracy",
    "frame_accuracy",
    "transpose_chords",
    "ChordSequence",
]


def check_chroma(chroma, name: str = "chroma") -> np.ndarray:
    """Validate a chromagram: a finite ``(12, n_frames)`` array with ``n_frames >= 1``.

    Examples
    --------
    >>> check_chroma(np.ones((12, 3))).shape
    (12, 3)
    >>> check_chroma(np.ones((3, 12)))
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: chroma: array of shape (3, 12): expected a finite array of shape (12, n_frames)

    Chapter: notebooks/04a_statistical.ipynb
    """
    arr = as_array(chroma, name, ndim=2)
    if arr.ndim != 2 or arr.shape[0] != 12 or arr.shape[1] < 1 or not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name}: array of shape {arr.shape}: expected a finite array of shape (12, n_frames)")
    return arr


def check_labels(labels, name: str = "labels") -> np.ndarray:
    """Validate chord labels: integers in 0..24 (the 25-class vocabulary).

    Examples
    --------
    >>> check_labels([0, 24]).tolist()
    [0, 24]

    Chapter: notebooks/04a_statistical.ipynb
    """
    arr = np.asarray(labels)
    if arr.size and (
        not np.issubdtype(arr.dtype, np.number) or np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() >= N_CHORDS
    ):
        raise ParameterError(f"{name}={arr!r}: expected chord indices in 0..24 of the 'majmin' vocabulary")
    return arr.astype(np.int64)


def template_scores(chroma, vocabulary: str = "majmin") -> np.ndarray:
    """Cosine similarity of each chroma frame with each chord template, ``(25, n_frames)``.

    Examples
    --------
    >>> c = chord_templates(normalize=False)[7][:, None]          # a G major frame
    >>> int(template_scores(c).argmax())
    7

    Chapter: notebooks/04a_statistical.ipynb
    """
    chroma = check_chroma(chroma)
    return chord_templates(vocabulary) @ unit_columns(chroma)


def template_chords(chroma, vocabulary: str = "majmin") -> np.ndarray:
    """Frame-wise template matching: the best-scoring chord of each frame on its own, ``(n_frames,)``.

    This is the baseline the chord HMM must beat.

    Examples
    --------
    >>> T = chord_templates(normalize=False)
    >>> template_chords(np.stack([T[0], T[21]], axis=1)).tolist()     # C major, A minor
    [0, 21]

    Chapter: notebooks/04a_statistical.ipynb
    """
    return template_scores(chroma, vocabulary).argmax(axis=0).astype(np.int64)


def _beat_masks(beat_samples, end_sample, n_frames, hop_length):
    """One boolean frame mask per beat (from one beat to the next; the nearest frame when a beat is
    shorter than a hop); the last beat ends at ``end_sample`` (default: the last frame)."""
    beat_samples = as_array(beat_samples, "beat_samples", ndim=1, allow_empty=True)
    check(
        beat_samples.size >= 1 and np.all(np.diff(beat_samples) > 0),
        "beat_samples",
        beat_samples,
        "at least one beat, strictly increasing sample positions",
    )
    check(int(hop_length) > 0, "hop_length", hop_length, "a positive number of samples")
    hop = int(hop_length)
    t = np.arange(n_frames) * hop
    ends = np.append(beat_samples[1:], n_frames * hop if end_sample is None else float(end_sample))
    for s, e in zip(beat_samples, ends):
        m = (t >= s) & (t < e)
        if not m.any():  # a beat shorter than a hop: take the nearest frame
            m = np.zeros(n_frames, dtype=bool)
            m[min(n_frames - 1, int(round(s / hop)))] = True
        yield m


def beat_sync(chroma, beat_samples, *, hop_length: int, end_sample: float | None = None) -> np.ndarray:
    """Average chroma over each beat (from one beat to the next), ``(12, n_beats)``, unit-norm columns.

    Parameters
    ----------
    chroma : np.ndarray [shape=(12, n_frames)]
    beat_samples : np.ndarray [shape=(n_beats,)]
        Sample positions of the beats (increasing).
    hop_length : int
        Samples between chroma frames.
    end_sample : float, optional
        Where the last beat ends (default: the last frame).

    Examples
    --------
    >>> C = np.zeros((12, 8)); C[0, :4] = 1; C[7, 4:] = 1
    >>> np.argmax(beat_sync(C, [0, 4 * 512], hop_length=512), axis=0).tolist()
    [0, 7]

    Chapter: notebooks/04a_statistical.ipynb
    """
    chroma = check_chroma(chroma)
    masks = _beat_masks(beat_samples, end_sample, chroma.shape[1], hop_length)
    return unit_columns(np.stack([chroma[:, m].mean(axis=1) for m in masks], axis=1))


def frames_to_beats(frame_labels, beat_samples, *, hop_length: int, end_sample: float | None = None) -> np.ndarray:
    """The most frequent frame label within each beat, ``(n_beats,)``.

    Examples
    --------
    >>> frames_to_beats([3, 3, 3, 5, 5, 5, 5, 7], [0, 3 * 512], hop_length=512).tolist()
    [3, 5]

    Chapter: notebooks/04a_statistical.ipynb
    """
    labels = check_labels(frame_labels, "frame_labels")
    masks = _beat_masks(beat_samples, end_sample, len(labels), hop_length)
    return np.array([np.bincount(labels[m], minlength=N_CHORDS).argmax() for m in masks], dtype=np.int64)


def beat_accuracy(predicted, truth) -> float:
    """Fraction of beats whose predicted chord (root and major/minor) equals the truth.

    Beats labelled "N" in ``truth`` are left out, as in MIREX's major/minor evaluation.

    Examples
    --------
    >>> beat_accuracy([0, 7, 9, 3], [0, 7, 21, 24])
    0.6666666666666666

    Chapter: notebooks/04a_statistical.ipynb
    """
    p, t = check_labels(predicted, "predicted"), check_labels(truth, "truth")
    check(p.shape == t.shape, "predicted", p, f"as many labels as truth ({t.shape})")
    keep = t != NO_CHORD
    check(keep.any(), "truth", t, "at least one beat with a chord")
    return float(np.mean(p[keep] == t[keep]))


def frame_accuracy(predicted, truth) -> float:
    """Fraction of frames (all of them, "N" included) whose predicted chord equals the truth.

    Examples
    --------
    >>> frame_accuracy([0, 1, 24], [0, 2, 24])
    0.6666666666666666

    Chapter: notebooks/04a_statistical.ipynb
    """
    p, t = check_labels(predicted, "predicted"), check_labels(truth, "truth")
    check(p.shape == t.shape and p.size > 0, "predicted", p, f"as many labels as truth ({t.shape})")
    return float(np.mean(p == t))


def transpose_chords(labels, semitones: int) -> np.ndarray:
    """Move chord labels up by ``semitones`` (the quality and "N" are kept).

    Examples
    --------
    >>> transpose_chords([0, 21, 24], 2).tolist()      # C, Am, N -> D, Bm, N
    [2, 23, 24]

    Chapter: notebooks/04a_statistical.ipynb
    """
    c = check_labels(labels)
    k = int(semitones) % 12
    return np.where(c < 12, (c + k) % 12, np.where(c < 24, 12 + (c - 12 + k) % 12, NO_CHORD)).astype(np.int64)


@dataclass(frozen=True)
class ChordSequence:
    """Recognised chords with their times.

    Attributes
    ----------
    labels : np.ndarray [shape=(n,)], int
        Chord indices in :data:`musynth_lab.data.CHORD_NAMES`.
    times : np.ndarray [shape=(n,)], float
        Start of each frame or beat, in seconds.
    level : str
        ``'frame'`` or ``'beat'``.

    Examples
    --------
    >>> seq = ChordSequence(np.array([7, 7, 16]), np.array([0.0, 0.5, 1.0]), "beat")
    >>> seq.names
    ['G:maj', 'G:maj', 'E:min']
    >>> seq.segments()                                  # (start in s, chord)
    [(0.0, 'G:maj'), (1.0, 'E:min')]

    Chapter: notebooks/04a_statistical.ipynb
    """

    labels: np.ndarray
    times: np.ndarray
    level: str

    def __post_init__(self):
        check(
            self.labels is not None and not isinstance(self.labels, (str, bytes)),
            "labels",
            self.labels,
            "chord indices in 0..24 (an array)",
        )
        labels = check_labels(self.labels, "labels")
        check(labels.ndim == 1, "labels", self.labels, f"a 1-D array of chord indices, got shape {labels.shape}")
        times = as_array(self.times, "times", ndim=1, allow_empty=True)
        check(len(times) == len(labels), "times", self.times, f"one time per label ({len(labels)})")
        as_choice(self.level, "level", ("frame", "beat"))

    @property
    def names(self) -> list:
        """Chord names, e.g. ``['G:maj', 'E:min', ...]``."""
        return [CHORD_NAMES[int(i)] for i in self.labels]

    def segments(self) -> list:
        """Runs of one chord as ``(start_s, name)`` pairs (a lead sheet)."""
        out = []
        for i, lab in enumerate(self.labels):
            if i == 0 or lab != self.labels[i - 1]:
                out.append((round(float(self.times[i]), 3), CHORD_NAMES[int(lab)]))
        return out
