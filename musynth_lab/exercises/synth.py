"""Checks for notebooks/01a_synthesis.ipynb (chapter 1, music synthesis)."""

from __future__ import annotations

import math

import numpy as np

from ._core import CheckResult, number, verdict

__all__ = ["check_adsr_level", "check_bell_ratio", "check_lowpass_cutoff", "check_rt60_feedback",
           "check_waltz_bass"]


def check_adsr_level(params) -> CheckResult:
    """Exercise 1.1: ADSR settings (dict of attack, decay, sustain, release, note_off) whose level
    is 0.6 at 0.3 s and 0.3 at 0.9 s (sample-accurate, checked with ``musynth_lab.synth.adsr``).

    Examples
    --------
    >>> bool(check_adsr_level({"attack": 0.01, "decay": 0.1, "sustain": 1.0, "release": 0.1, "note_off": 0.5}))
    False
    >>> check_adsr_level({"attack": 0.01})       # every key is needed
    ✗ Give a dict with exactly the keys ('attack', 'decay', 'sustain', 'release', 'note_off').
    """
    from ..errors import ParameterError
    from ..synth import adsr

    keys = ("attack", "decay", "sustain", "release", "note_off")
    if not isinstance(params, dict) or set(params) != set(keys):
        return CheckResult(False, f"Give a dict with exactly the keys {keys}.")
    try:
        env = adsr(n_samples=16000, sr=16000, **params)[0]
    except ParameterError as err:
        return CheckResult(False, f"adsr refused it: {err}")
    a, b = float(env[int(0.3 * 16000)]), float(env[int(0.9 * 16000)])
    return verdict(abs(a - 0.6) < 0.01 and abs(b - 0.3) < 0.01,
                   f"Right: level {a:.2f} at 0.3 s and {b:.2f} at 0.9 s.",
                   f"Not yet: level {a:.2f} at 0.3 s (want 0.60) and {b:.2f} at 0.9 s (want 0.30). "
                   "Hold the sustain at 0.6, then release halfway by 0.9 s.")


def check_bell_ratio(ratio) -> CheckResult:
    """Exercise 1.2: an FM modulator/carrier ratio that gives an inharmonic (bell-like) spectrum:
    not within 0.02 of a ratio p/q with q <= 4 (those make harmonic or nearly harmonic tones).

    Examples
    --------
    >>> bool(check_bell_ratio(2.0))         # 2:1 gives a harmonic spectrum
    False
    """
    r = number(ratio)
    if r is None or not 0.25 <= r <= 12:
        return CheckResult(False, "Give a ratio between 0.25 and 12.")
    near = min(abs(r - p / q) for q in range(1, 5) for p in range(1, 49))
    return verdict(near > 0.02, f"Right: ratio {r:g} puts sidebands at fc +- k*{r:g}*fc, not on a harmonic series: a bell.",
                   f"Ratio {r:g} is (nearly) a simple fraction, so the partials line up in a harmonic series. "
                   "Try an irrational-looking ratio such as 1.4 or 3.5-ish (not 3.5 itself!).")


def check_lowpass_cutoff(cutoff_hz, *, sr: int = 16000) -> CheckResult:
    """Exercise 1.3: the cutoff (Hz) of a Butterworth-Q RBJ low-pass whose gain at 2 kHz is -3.01 dB.

    Examples
    --------
    >>> bool(check_lowpass_cutoff(500.0))
    False
    """
    from ..audio import check_sr
    sr = check_sr(sr)
    c = number(cutoff_hz)
    if c is None or not 0 < c < sr / 2:
        return CheckResult(False, f"Give a frequency between 0 and {sr // 2} Hz.")
    from ..synth import biquad_coefficients, frequency_response

    b, a = biquad_coefficients("lowpass", cutoff_hz=c, sr=sr)
    _, H = frequency_response(b, a, sr=sr, freqs_hz=[2000.0])
    g = 20 * math.log10(float(abs(H[0, 0])))
    return verdict(abs(g + 3.01) < 0.05, f"Right: {g:.2f} dB at 2 kHz; with q = 1/sqrt(2) the cutoff is the -3 dB point.",
                   f"That gives {g:.2f} dB at 2 kHz, not -3.01 dB.")


def check_rt60_feedback(gain, *, delay_samples: int = 1557, sr: int = 44100, rt60: float = 2.0) -> CheckResult:
    """Exercise 1.4: the feedback gain of a comb filter of ``delay_samples`` that decays 60 dB in ``rt60`` s.

    Examples
    --------
    >>> bool(check_rt60_feedback(0.5))
    False
    """
    from ..audio import check_sr
    from ..errors import as_float, as_int
    delay_samples, sr = as_int(delay_samples, "delay_samples"), check_sr(sr)
    rt60 = as_float(rt60, "rt60", low=0, low_open=True)
    g = number(gain)
    truth = 10 ** (-3 * delay_samples / (rt60 * sr))
    return verdict(g is not None and abs(g - truth) < 1e-3, f"Right: g = 10**(-3 D / (RT60 sr)) = {truth:.4f}.",
                   "Not quite: each trip round the loop multiplies by g; after RT60 seconds there have been "
                   "RT60*sr/D trips and the level must be 10**(-60/20).")


def check_waltz_bass(notes) -> CheckResult:
    """Exercise 1.5: a waltz pattern (rows of onset_q, duration_q, midi, ...) for C | G7 | C whose bass
    note on each downbeat is the chord's root.

    Examples
    --------
    >>> bool(check_waltz_bass([[0, 3, 60]]))     # one note is not three bars of waltz
    False
    """
    try:
        arr = np.asarray(notes, dtype=float) if notes is not None else np.zeros((0, 3))
    except (TypeError, ValueError):
        arr = np.zeros((0, 3))
    if arr.ndim != 2 or arr.shape[1] < 3 or len(arr) == 0 or not np.isfinite(arr).all():
        return CheckResult(False, "Give the note rows returned by musynth_lab.synth.accompaniment.")
    roots = [0, 7, 0]
    ok = True
    for bar, root in enumerate(roots):
        down = arr[np.isclose(arr[:, 0], 3 * bar)]
        if len(down) == 0 or int(down[:, 2].min()) % 12 != root:
            ok = False
        others = arr[(arr[:, 0] > 3 * bar) & (arr[:, 0] < 3 * (bar + 1))]
        if not len(others):
            ok = False
    return verdict(ok, "Right: root on beat 1, the chord on beats 2 and 3 (oom-pah-pah), in 3/4.",
                   "Not yet: each bar of 3 quarter notes needs the chord root lowest on beat 1 and the chord after it; "
                   "try accompaniment(['C', 'G7', 'C'], style='waltz').")
