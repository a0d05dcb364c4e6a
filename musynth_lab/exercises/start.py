"""Checks for notebooks/00_start_here.ipynb."""

from __future__ import annotations

import numpy as np

from ._core import CheckResult, is_int, is_near, verdict

__all__ = ["check_midi_of_a4", "check_loudest_instrument", "check_db_of_half"]


def check_midi_of_a4(answer) -> CheckResult:
    """Exercise 0.1: the MIDI number of the note whose frequency is 440 Hz.

    Examples
    --------
    >>> bool(check_midi_of_a4(60))          # 60 is middle C, not A4
    False
    """
    ok = is_int(answer, 69)
    return verdict(ok, "69: A4 = 440 Hz is MIDI note 69.",
                   "Not quite: try musynth_lab.hz_to_midi(440.0).")


def check_db_of_half(answer) -> CheckResult:
    """Exercise 0.2: the level in dB of an amplitude of 0.5 relative to 1.0 (about -6.02 dB).

    Examples
    --------
    >>> bool(check_db_of_half(-3.0))        # -3 dB is half the power, not half the amplitude
    False
    """
    ok = is_near(answer, 20 * np.log10(0.5), 0.01)
    return verdict(ok, "-6.02 dB: halving the amplitude loses about 6 dB.",
                   "Not quite: dB of an amplitude is 20*log10(a / ref); try musynth_lab.amplitude_to_db(0.5).")


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
