"""Checks for notebooks/00_start_here.ipynb."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, exercise, is_int, is_near, verdict

__all__ = ["check_midi_of_a4", "check_loudest_instrument", "check_db_of_half"]


@exercise("0.1", hint="MIDI numbers count semitones; the kit converts Hz to MIDI for you (section 2).",
          solution="MIDI note m has frequency 440 * 2**((m - 69) / 12) Hz, so 440 Hz is m = 69 (A4).",
          code="answer_1 = ml.hz_to_midi(440.0)")
def check_midi_of_a4(answer) -> CheckResult:
    """Exercise 0.1: the MIDI number of the note whose frequency is 440 Hz.

    Examples
    --------
    >>> bool(check_midi_of_a4(60))          # 60 is middle C, not A4
    False
    """
    ok = is_int(answer, 69)
    return verdict(ok, "69: A4 = 440 Hz is MIDI note 69.",
                   "Not quite: A4 is the tuning reference; which MIDI number does the kit give 440 Hz?")


@exercise("0.2", hint="A level in dB of an amplitude a is 20 log10(a / a_ref) (power uses 10 log10).",
          solution="20 * log10(0.5 / 1.0) = -6.02 dB: halving an amplitude loses about 6 dB.",
          code="answer_2 = ml.amplitude_to_db(0.5)")
def check_db_of_half(answer) -> CheckResult:
    """Exercise 0.2: the level in dB of an amplitude of 0.5 relative to 1.0 (about -6.02 dB).

    Examples
    --------
    >>> bool(check_db_of_half(-3.0))        # -3 dB is half the power, not half the amplitude
    False
    """
    ok = is_near(answer, 20 * np.log10(0.5), 0.01)
    return verdict(ok, "-6.02 dB: halving the amplitude loses about 6 dB.",
                   "Not quite: is 0.5 an amplitude or a power? The two use different factors in front of log10.")


@exercise("0.3", hint="RMS = sqrt(mean(y**2)); compute it over all notes of each instrument at velocity 110.",
          solution="The RMS level of each instrument's notes at velocity 110, then the instrument with the largest.",
          code=("rms = {name: float(np.sqrt(np.mean(data.load_notes(instrument=name, velocity=110).audio ** 2)))\n"
                "       for name in data.list_instruments()}\n"
                "answer_3 = max(rms, key=rms.get)"))
def check_loudest_instrument(answer) -> CheckResult:
    """Exercise 0.3: which bundled instrument has the highest mean RMS at velocity 110.

    Examples
    --------
    >>> bool(check_loudest_instrument("kazoo"))   # not a bundled instrument
    False
    """
    from ..data import list_instruments, load_notes

    rms = {}
    for name in list_instruments():
        a = load_notes(instrument=name, velocity=110).audio
        rms[name] = float(np.sqrt((a.astype(np.float64) ** 2).mean()))
    best = max(rms, key=rms.get)
    return verdict(str(answer).strip().lower() == best, f"{best}: its notes carry the most energy.",
                   "Not that one: compute the RMS of each instrument's notes and take the largest.")
