"""Checks for notebooks/00_start_here.ipynb."""

from __future__ import annotations

import io
import wave

import numpy as np

from ..audio import hz_to_midi as truth_of
from ..audio import play
from ..data import list_instruments, load_notes
from ..errors import as_choice, as_int
from ._core import CheckResult, exercise, is_int, is_near, prediction, run_student, verdict

__all__ = ["check_midi_of_a4", "check_loudest_instrument", "check_db_of_half", "check_hz_to_midi", "check_play_level"]


@exercise(
    "0.1",
    hint="MIDI numbers count semitones; the kit converts Hz to MIDI for you (section 2).",
    solution="MIDI note m has frequency 440 * 2**((m - 69) / 12) Hz, so 440 Hz is m = 69 (A4).",
    code="answer_1 = ml.hz_to_midi(440.0)",
)
def check_midi_of_a4(answer) -> CheckResult:
    """Exercise 0.1: the MIDI number of the note whose frequency is 440 Hz.

    Examples
    --------
    >>> bool(check_midi_of_a4(60))          # 60 is middle C, not A4
    False
    """
    ok = is_int(answer, 69)
    return verdict(
        ok,
        "69: A4 = 440 Hz is MIDI note 69.",
        "Not quite: A4 is the tuning reference; which MIDI number does the kit give 440 Hz?",
    )


@exercise(
    "0.2",
    hint="A level in dB of an amplitude a is 20 log10(a / a_ref) (power uses 10 log10).",
    solution="20 * log10(0.5 / 1.0) = -6.02 dB: halving an amplitude loses about 6 dB.",
    code="answer_2 = ml.amplitude_to_db(0.5)",
)
def check_db_of_half(answer) -> CheckResult:
    """Exercise 0.2: the level in dB of an amplitude of 0.5 relative to 1.0 (about -6.02 dB).

    Examples
    --------
    >>> bool(check_db_of_half(-3.0))        # -3 dB is half the power, not half the amplitude
    False
    """
    ok = is_near(answer, 20 * np.log10(0.5), 0.01)
    return verdict(
        ok,
        "-6.02 dB: halving the amplitude loses about 6 dB.",
        "Not quite: is 0.5 an amplitude or a power? The two use different factors in front of log10.",
    )


@exercise(
    "0.3",
    hint="RMS = sqrt(mean(y**2)); compute it over all notes of each instrument at velocity 110.",
    solution="The RMS level of each instrument's notes at velocity 110, then the instrument with the largest.",
    code=(
        "rms = {name: float(np.sqrt(np.mean(data.load_notes(instrument=name, velocity=110).audio ** 2)))\n"
        "       for name in data.list_instruments()}\n"
        "answer_3 = max(rms, key=rms.get)"
    ),
)
def check_loudest_instrument(answer) -> CheckResult:
    """Exercise 0.3: which bundled instrument has the highest mean RMS at velocity 110.

    Examples
    --------
    >>> bool(check_loudest_instrument("kazoo"))   # not a bundled instrument
    False
    """
    rms = {}
    for name in list_instruments():
        a = load_notes(instrument=name, velocity=110).audio
        rms[name] = float(np.sqrt((a.astype(np.float64) ** 2).mean()))
    best = max(rms, key=rms.get)
    return verdict(
        str(answer).strip().lower() == best,
        f"{best}: its notes carry the most energy.",
        "Not that one: compute the RMS of each instrument's notes and take the largest.",
    )


#: Frequencies (Hz) the student's hz_to_midi is tested on: A4, then none an A, one below 30 Hz, one far above.
_HZ_CASES = (440.0, 261.6256, 1000.0, 27.5, 30.0, 4186.009, 3520.0)


@exercise(
    "0.4",
    kind="implement",
    hint="Every octave doubles the frequency and adds 12 semitones, and 440 Hz is note 69; which logarithm counts doublings?",
    solution="A semitone multiplies the frequency by 2**(1/12), so the number of semitones above A4 is "
    "12 * log2(f / 440) and the MIDI number is 69 plus that. The result is a real number: 1000 Hz "
    "is 83.21, a fifth of a semitone above B5 (83); round it only when you want the nearest key.",
    code=("def hz_to_midi(f_hz):\n    return 69 + 12 * np.log2(f_hz / 440.0)"),
)
def check_hz_to_midi(hz_to_midi) -> CheckResult:
    """Exercise 0.4 (implement it): the student's ``hz_to_midi(f_hz)`` against :func:`musynth_lab.hz_to_midi`.

    Tested on several frequencies, none of which a plausible wrong version (natural or base-10 logarithm,
    rounding to the nearest key, middle C as the reference) gets right everywhere.

    Examples
    --------
    >>> bool(check_hz_to_midi(lambda f: round(69 + 12 * np.log2(f / 440))))   # rounds: 1000 Hz is not a key
    False
    >>> bool(check_hz_to_midi(lambda f: 69 + 12 * np.log2(f / 440)))
    True
    >>> check_hz_to_midi(lambda f: None).answered                            # the body is still `...`
    False
    """
    if not callable(hz_to_midi):
        return CheckResult(False, "Pass your function itself: check_hz_to_midi(hz_to_midi).")
    for f in _HZ_CASES:
        got, stop = run_student(hz_to_midi, (f,), exercise_id="0.4", where=f"for {f:g} Hz")
        if stop is not None:
            return stop
        if not is_near(got, float(truth_of(f)), 1e-6):
            return CheckResult(
                False,
                f"Not quite: for {f:g} Hz your function returned {got!r}. Does it give 69 "
                "at 440 Hz, 81 at 880 Hz and a fractional number between two keys?",
            )
    return CheckResult(
        True,
        f"Right: your function agrees with ml.hz_to_midi on all {len(_HZ_CASES)} frequencies "
        "(1000 Hz is 83.21, between B5 and C6).",
    )


_LEVELS = ("higher", "lower", "the same")


def _played_rms_db(y, sr, **kw) -> float:
    """The RMS level (dBFS) of what ``ml.play`` hands the browser: the samples of its WAV data."""
    with wave.open(io.BytesIO(play(y, sr=sr, **kw).data)) as w:
        a = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
    return float(20 * np.log10(np.sqrt(np.mean(a**2)) + 1e-12))


@exercise(
    "0.5",
    kind="predict",
    hint="Read section 2 again: what does ml.play do to every array before it reaches the speaker?",
    solution="The same. Played with ml.play, the velocity-60 note is as loud as the velocity-110 note "
    "(within a fraction of a dB), although its samples are about 10 dB quieter: ml.play scales "
    "every clip to a -1 dBFS peak, so level differences between clips cannot be heard. To hear "
    "them, play with normalize_peak=False (the limiter still protects the ears).",
    code='prediction_5 = "the same"  # ml.play normalises every clip to a -1 dBFS peak',
)
def check_play_level(answer, *, instrument: str = "flute", pitch: int = 67) -> CheckResult:
    """Exercise 0.5 (predict): play ``instrument``'s note at velocity 60 instead of 110 with ``ml.play``;
    does what you hear get "higher", "lower" or stay "the same" in level?

    The check measures the RMS level of the audio both players hold, and of the raw samples.

    Examples
    --------
    >>> bool(check_play_level("lower"))       # the samples are quieter, the players are not
    False
    >>> bool(check_play_level("the same"))
    True
    """
    instrument = as_choice(instrument, "instrument", list_instruments())
    pitch = as_int(pitch, "pitch", low=0, high=127)
    said = prediction(answer, _LEVELS, {"same": "the same"})
    if said is None:
        return CheckResult(False, 'Answer "higher", "lower" or "the same" (a string), then explain it in a comment.')
    played, raw = {}, {}
    for v in (60, 110):
        notes = load_notes(instrument=instrument, velocity=v)
        k = int(np.argmin(np.abs(notes.pitch - pitch)))
        y = notes.audio[k]
        raw[v] = float(20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2)) + 1e-12))
        played[v] = _played_rms_db(y, notes.sr)
    d = played[60] - played[110]
    truth = "higher" if d > 1.0 else "lower" if d < -1.0 else "the same"
    return verdict(
        said == truth,
        f"Right, measured: the samples at velocity 60 are {raw[110] - raw[60]:.1f} dB quieter, but the "
        f"two players differ by only {abs(d):.2f} dB: ml.play normalises each clip to a -1 dBFS peak. "
        "Use ml.play(..., normalize_peak=False) where the level is the point.",
        "Not what the measurement shows. Compare what ml.play hands the speaker, not only the samples: "
        "read what ml.play does in section 2.",
    )
