"""Checks for notebooks/03_features.ipynb."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, is_int, is_near, verdict

__all__ = ["check_n_frames", "check_sine_crest_factor", "check_flute_pitch_class", "check_smoothing_gv"]


def check_n_frames(answer) -> CheckResult:
    """Exercise 3.1: STFT frames of 1 s at 22050 Hz, hop 512, ``center=True`` (1 + 22050 // 512 = 44).

    Examples
    --------
    >>> bool(check_n_frames(43))            # forgot the centred first frame
    False
    """
    ok = is_int(answer, 1 + 22050 // 512)
    return verdict(ok, "44: with centring there is one frame per hop plus one (1 + n // hop).",
                   "Not quite: with center=True, n_frames = 1 + n_samples // hop_length.")


def check_sine_crest_factor(answer) -> CheckResult:
    """Exercise 3.2: the crest factor (peak / RMS) of a pure sine, sqrt(2) ~ 1.414.

    Examples
    --------
    >>> bool(check_sine_crest_factor(1.0))  # a square wave's crest factor, not a sine's
    False
    """
    ok = is_near(answer, np.sqrt(2), 0.01)
    return verdict(ok, "sqrt(2) = 1.414: the peak is 1 and the RMS of a sine is 1/sqrt(2).",
                   "Not quite: compute features.crest_factor on a sine, or peak / RMS by hand.")


def check_flute_pitch_class(answer) -> CheckResult:
    """Exercise 3.3: the strongest pitch class (0 = C ... 11 = B) in the chroma of the bundled flute A4.

    Examples
    --------
    >>> bool(check_flute_pitch_class("C"))
    False
    """
    from ..audio import note_to_midi
    from ..data import load_notes
    from ..features import chroma_cqt

    notes = load_notes(instrument="flute", velocity=110)
    y = notes.audio[int(np.argmin(np.abs(notes.pitch - note_to_midi("A4"))))]
    best = int(np.argmax(np.asarray(chroma_cqt(y, sr=notes.sr)).mean(axis=1)))
    names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    try:
        a = names.index(str(answer).strip().upper()) if isinstance(answer, str) else int(answer)
    except (TypeError, ValueError, OverflowError):
        a = -1
    return verdict(a == best, f"{names[best]} ({best}): chroma folds every octave onto the 12 pitch classes.",
                   "Not that one: average chroma_cqt over time and take the largest pitch class.")


def check_smoothing_gv(answer) -> CheckResult:
    """Exercise 3.4: GV ratio of the first excerpt's MFCC after ``smooth_trajectory(width=9)`` (to 0.02).

    Examples
    --------
    >>> bool(check_smoothing_gv(5.0))       # smoothing removes variance: the ratio is at most 1
    False
    """
    from ..data import list_excerpts, load_excerpt
    from ..features import gv_ratio, mfcc, smooth_trajectory

    ex = load_excerpt(list_excerpts()[0])
    m = mfcc(ex.audio, sr=ex.sr, n_mfcc=13)[1:]
    ref = float(gv_ratio(smooth_trajectory(m, width=9), m))
    ok = is_near(answer, ref, 0.02)
    return verdict(ok, f"{ref:.2f}: averaging over 9 frames removes that share of the trajectory's variance.",
                   "Not quite: gv_ratio(smooth_trajectory(m, width=9), m) with m = MFCC 1..12 of the first excerpt.")
