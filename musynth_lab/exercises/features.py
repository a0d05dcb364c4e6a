"""Checks for notebooks/03_features.ipynb."""

from __future__ import annotations

import numpy as np

from ..audio import note_to_midi
from ..data import list_excerpts, load_excerpt, load_notes
from ..features import chroma_cqt, crest_factor, gv_ratio, mfcc, smooth_trajectory, stft
from ._core import CheckResult, exercise, is_int, is_near, run_student, verdict

__all__ = [
    "check_n_frames",
    "check_sine_crest_factor",
    "check_flute_pitch_class",
    "check_smoothing_gv",
    "check_frame_count",
    "check_two_partial_crest",
]


@exercise(
    "3.1",
    hint=(
        "With center=True the signal is padded by n_fft // 2 on both sides, so frame t is centred on "
        "sample t * hop_length: count the centres from sample 0 to the last sample."
    ),
    solution=(
        "Centres at 0, 512, 1024, ... up to 22050: 22050 // 512 = 43 hops after the first centre, so "
        "1 + 22050 // 512 = 44 frames (F.stft of one second of zeros has 44 columns)."
    ),
    code="answer_3_1 = F.stft(np.zeros(22050, dtype=np.float32), hop_length=512).shape[-1]",
)
def check_n_frames(answer) -> CheckResult:
    """Exercise 3.1: STFT frames of 1 s at 22050 Hz, hop 512, ``center=True`` (1 + 22050 // 512 = 44).

    Examples
    --------
    >>> bool(check_n_frames(43))            # forgot the centred first frame
    False
    """
    ok = is_int(answer, 1 + 22050 // 512)
    return verdict(
        ok,
        "44: with centring there is one frame per hop plus one (1 + n // hop).",
        "Not quite: where is the first frame centred, and where the last? Count the hops between them, and the first frame too.",
    )


@exercise(
    "3.2",
    hint=(
        "The crest factor is the peak divided by the RMS; a sine of amplitude 1 peaks at 1, and its "
        "RMS follows from the mean of sin^2 over whole periods."
    ),
    solution=(
        "The peak of sin is 1 and the mean of sin^2 over whole periods is 1/2, so the RMS is 1/sqrt(2) "
        "and the crest factor sqrt(2) = 1.414, whatever the frequency or amplitude."
    ),
    code=(
        "sine = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)\nanswer_3_2 = float(F.crest_factor(sine))"
    ),
)
def check_sine_crest_factor(answer) -> CheckResult:
    """Exercise 3.2: the crest factor (peak / RMS) of a pure sine, sqrt(2) ~ 1.414.

    Examples
    --------
    >>> bool(check_sine_crest_factor(1.0))  # a square wave's crest factor, not a sine's
    False
    """
    ok = is_near(answer, np.sqrt(2), 0.01)
    return verdict(
        ok,
        "sqrt(2) = 1.414: the peak is 1 and the RMS of a sine is 1/sqrt(2).",
        "Not quite: is your RMS the square root of the mean of the squares (not the mean of |y|)? The peak of the sine is 1.",
    )


@exercise(
    "3.3",
    hint=(
        "Chroma folds the energy of every octave onto 12 pitch classes; average the flute note's "
        "chroma over time and take the strongest class (0 = C, ..., 11 = B)."
    ),
    solution=(
        "A4 is MIDI 69 and 69 % 12 = 9: pitch class A. The chroma of the bundled flute A4, averaged "
        "over time, peaks there; its overtones (A5, E6, A6, ...) add to A and E, not to another "
        "class strong enough to win."
    ),
    code=(
        'flute_notes = data.load_notes(instrument="flute", velocity=110)\n'
        "fa4 = flute_notes.audio[int(np.argmin(np.abs(flute_notes.pitch - 69)))]\n"
        "answer_3_3 = int(np.asarray(F.chroma_cqt(fa4, sr=flute_notes.sr)).mean(axis=1).argmax())"
    ),
)
def check_flute_pitch_class(answer) -> CheckResult:
    """Exercise 3.3: the strongest pitch class (0 = C ... 11 = B) in the chroma of the bundled flute A4.

    Examples
    --------
    >>> bool(check_flute_pitch_class("C"))
    False
    """
    notes = load_notes(instrument="flute", velocity=110)
    y = notes.audio[int(np.argmin(np.abs(notes.pitch - note_to_midi("A4"))))]
    best = int(np.argmax(np.asarray(chroma_cqt(y, sr=notes.sr)).mean(axis=1)))
    names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    try:
        a = names.index(str(answer).strip().upper()) if isinstance(answer, str) else int(answer)
    except (TypeError, ValueError, OverflowError):
        a = -1
    return verdict(
        a == best,
        f"{names[best]} ({best}): chroma folds every octave onto the 12 pitch classes.",
        "Not that one: which pitch class does the note A4 belong to, and does the chroma of the "
        "recording agree? Average it over time before taking the strongest class.",
    )


@exercise(
    "3.4",
    hint=(
        "The GV ratio compares the variance over time of the smoothed trajectory with that of the "
        "original, dimension by dimension; use MFCC 1-12 of the first excerpt (drop MFCC 0)."
    ),
    solution=(
        "A moving average over 9 frames is a low-pass filter: it removes the fast part of each MFCC "
        "trajectory, and with it part of its variance. gv_ratio(smoothed, natural) is the share of the "
        "global variance that is left, below 1."
    ),
    code=(
        "first = data.load_excerpt(data.list_excerpts()[0])\n"
        "m12 = F.mfcc(first.audio, sr=first.sr, n_mfcc=13)[1:]\n"
        "answer_3_4 = float(F.gv_ratio(F.smooth_trajectory(m12, width=9), m12))"
    ),
)
def check_smoothing_gv(answer) -> CheckResult:
    """Exercise 3.4: GV ratio of the first excerpt's MFCC after ``smooth_trajectory(width=9)`` (to 0.02).

    Examples
    --------
    >>> bool(check_smoothing_gv(5.0))       # smoothing removes variance: the ratio is at most 1
    False
    """
    ex = load_excerpt(list_excerpts()[0])
    m = mfcc(ex.audio, sr=ex.sr, n_mfcc=13)[1:]
    ref = float(gv_ratio(smooth_trajectory(m, width=9), m))
    ok = is_near(answer, ref, 0.02)
    return verdict(
        ok,
        f"{ref:.2f}: averaging over 9 frames keeps only that share of the trajectory's global "
        "variance; the rest was its fast movement.",
        "Not quite: smooth the whole excerpt's MFCC 1-12 (not MFCC 0, not the 6 s clip) and put the "
        "smoothed trajectory first in the ratio.",
    )


# Exercise 3.5's test cases: (n_samples, n_fft, hop_length, center). They include a signal that is a
# whole number of hops (ceil(n / hop) is one short there), hops that do not divide n_fft, and a
# signal exactly one frame long without centring.
FRAME_COUNT_CASES = [
    (22050, 2048, 512, True),
    (22050, 2048, 512, False),
    (1000, 256, 100, True),
    (1000, 256, 100, False),
    (5120, 1024, 512, True),
    (2048, 2048, 512, False),
    (16000, 400, 160, True),
    (16000, 400, 160, False),
]


@exercise(
    "3.5",
    kind="implement",
    hint=(
        "Without centring, frames start at 0, hop, 2 hop, ... and the last must end inside the signal. "
        "With centring, n_fft // 2 samples of padding on each side put frame t's centre on sample "
        "t * hop_length. Test your formula on a signal exactly n_fft samples long."
    ),
    solution=(
        "center=False: a frame starting at t * hop fits when t * hop + n_fft <= n, so t runs from 0 to "
        "(n - n_fft) // hop: 1 + (n - n_fft) // hop frames. center=True: the padded signal has "
        "n + 2 (n_fft // 2) samples, which for even n_fft gives 1 + n // hop frames (one centre per hop, "
        "plus the centre at sample 0). ceil(n / hop) is one short whenever hop divides n."
    ),
    code=(
        "def frame_count(n_samples, n_fft, hop_length, center):\n"
        "    if center:\n"
        "        return 1 + n_samples // hop_length\n"
        "    return 1 + (n_samples - n_fft) // hop_length"
    ),
)
def check_frame_count(answer) -> CheckResult:
    """Exercise 3.5: ``answer(n_samples, n_fft, hop_length, center)`` must give the STFT's frame count.

    Tested against the number of columns of :func:`musynth_lab.features.stft` on FRAME_COUNT_CASES.

    Examples
    --------
    >>> import math
    >>> bool(check_frame_count(lambda n, n_fft, hop, center: math.ceil(n / hop)))
    False
    """
    if not callable(answer):
        return verdict(
            False,
            "",
            "Not quite: the answer is a function frame_count(n_samples, n_fft, hop_length, "
            "center); define it and pass the function itself.",
        )
    for n, n_fft, hop, center in FRAME_COUNT_CASES:
        truth = int(stft(np.zeros(n, dtype=np.float32), n_fft=n_fft, hop_length=hop, center=center).shape[-1])
        got, stop = run_student(
            answer,
            (n, n_fft, hop, center),
            exercise_id="3.5",
            where=f"for n_samples={n}, n_fft={n_fft}, hop_length={hop}, center={center}",
        )
        if stop is not None:
            return stop
        if not is_int(got, truth):
            return verdict(
                False,
                "",
                f"Not quite: for n_samples={n}, n_fft={n_fft}, hop_length={hop}, "
                f"center={center} your function gives {got!r}, and F.stft gives a different "
                "count. Where does the first frame start, and where must the last one end?",
            )
    return verdict(True, f"Right: your count matches F.stft on all {len(FRAME_COUNT_CASES)} cases, centred and not.", "")


#: Exercise 3.6's signals: 1 s at 22050 Hz, a sine at 440 Hz, then the same plus a sine at 660 Hz.
TWO_PARTIALS_EXERCISE = {"sr": 22050, "f1": 440.0, "f2": 660.0}


def _two_partial_crests():
    p = TWO_PARTIALS_EXERCISE
    t = np.arange(p["sr"]) / p["sr"]
    one = np.sin(2 * np.pi * p["f1"] * t)
    two = one + np.sin(2 * np.pi * p["f2"] * t)
    return float(crest_factor(one.astype(np.float32))), float(crest_factor(two.astype(np.float32)))


@exercise(
    "3.6",
    kind="predict",
    hint=(
        "When two partials are added, their peaks can line up: how do peaks add? Their RMS values add "
        "differently: the mean of (a + b)^2 has a cross term that averages to zero for different "
        "frequencies."
    ),
    solution=(
        "The RMS of two equal sines of different frequency is sqrt(1/2 + 1/2) = 1 (powers add), while "
        "the peaks add almost in full where the two crests nearly coincide (about 1.9 here, at most 2): "
        "the crest factor rises from sqrt(2) = 1.41 to about 1.91. Higher. More partials, or partials "
        "in phase, make a waveform peakier still: that is one reason a recorded chorale (several voices, "
        "many partials) has a crest factor far above a sine's."
    ),
    code='answer_6 = "higher"',
)
def check_two_partial_crest(answer) -> CheckResult:
    """Exercise 3.6: add a second, equal sine at 660 Hz to the 440 Hz sine; crest factor higher, lower or the same?

    The check measures both with :func:`musynth_lab.features.crest_factor`.

    Examples
    --------
    >>> bool(check_two_partial_crest("same"))
    False
    """
    choice = str(answer).strip().lower() if isinstance(answer, str) else None
    if choice not in ("higher", "lower", "same"):
        return verdict(False, "", 'Answer with one word, "higher", "lower" or "same", and write your reason in a comment.')
    one, two = _two_partial_crests()
    truth = "higher" if two > one + 0.01 else "lower" if two < one - 0.01 else "same"
    return verdict(
        choice == truth,
        f"{truth}: measured, the crest factor is {one:.2f} for one sine and {two:.2f} for two. Powers "
        "add (the RMS grows by sqrt(2)), but where the crests coincide the amplitudes add (the peak "
        "nearly doubles).",
        "Not what the measurement shows: compare how the peak and how the RMS change when a second partial is added.",
    )
