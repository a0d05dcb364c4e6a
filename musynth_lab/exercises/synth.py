"""Checks for notebooks/01a_synthesis.ipynb (chapter 1, music synthesis)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..audio import check_sr
from ..errors import ParameterError, as_float, as_int
from ..synth import adsr, biquad_coefficients, fm_tone, frequency_response, pan
from ._core import CheckResult, exercise, number, prediction, run_student, verdict

__all__ = [
    "check_adsr_level",
    "check_bell_ratio",
    "check_lowpass_cutoff",
    "check_rt60_feedback",
    "check_waltz_bass",
    "check_pan_gains",
    "check_fm_index_bandwidth",
]


@exercise(
    "1a.1",
    hint="Decide which stage the envelope is in at 0.3 s and which at 0.9 s: the level is flat only "
    "in one stage, and the release falls linearly from the sustain level to 0.",
    solution="Let the attack and decay end before 0.3 s (attack 0.01 s, decay 0.1 s), so the level at 0.3 s "
    "is the sustain level: sustain = 0.6. Release at note_off = 0.8 s over 0.2 s: 0.1 s later, at "
    "0.9 s, the linear release has fallen halfway, to 0.3.",
    code="answer_1 = dict(attack=0.01, decay=0.1, sustain=0.6, release=0.2, note_off=0.8)",
)
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
    keys = ("attack", "decay", "sustain", "release", "note_off")
    if not isinstance(params, dict) or set(params) != set(keys):
        return CheckResult(False, f"Give a dict with exactly the keys {keys}.")
    try:
        env = adsr(n_samples=16000, sr=16000, **params)[0]
    except ParameterError as err:
        return CheckResult(False, f"adsr refused it: {err}")
    a, b = float(env[int(0.3 * 16000)]), float(env[int(0.9 * 16000)])
    return verdict(
        abs(a - 0.6) < 0.01 and abs(b - 0.3) < 0.01,
        f"Right: level {a:.2f} at 0.3 s and {b:.2f} at 0.9 s.",
        f"Not yet: level {a:.2f} at 0.3 s (want 0.60) and {b:.2f} at 0.9 s (want 0.30). Which stage "
        "is the envelope in at each of the two times?",
    )


@exercise(
    "1a.2",
    hint="Write the ratio fm / fc as a fraction p/q in lowest terms: every partial fc +- k*fm is then a "
    "multiple of fc/q. When does that series stop sounding like one pitch?",
    solution="Chowning's c:m ratio rule: with fm / fc = p/q in lowest terms, the partials fc +- k*fm = "
    "(fc/q)(q +- k p) are whole multiples of fc/q, a harmonic series on fc/q. 2 (2/1) and 3.5 (7/2) "
    "are harmonic; so is 1.4 = 7/5, on fc/5. Only an irrational ratio, or a ratio of large "
    "integers (whose fundamental fc/q lies far below the pitch you hear), gives partials on no "
    "harmonic series: sqrt(2) = 1.41421... is the classic bell.",
    code="answer_2 = 2 ** 0.5",
)
def check_bell_ratio(ratio) -> CheckResult:
    """Exercise 1a.2: an FM modulator/carrier ratio ``fm / fc`` that gives an inharmonic (bell-like) spectrum.

    The c:m ratio rule: a ratio ``p/q`` in lowest terms puts every partial ``fc +- k fm`` on the
    harmonic series of ``fc / q``. A ratio within 0.005 of a fraction with ``q <= 10`` is called
    harmonic (or nearly so: its partials beat slowly); an irrational ratio or a ratio of large
    integers is inharmonic.

    Examples
    --------
    >>> bool(check_bell_ratio(2.0))         # 2:1 gives a harmonic spectrum
    False
    >>> bool(check_bell_ratio(1.4))         # 7/5: a harmonic series on fc/5
    False
    >>> bool(check_bell_ratio(0.3))         # 3/10: a harmonic series on fc/10
    False
    >>> bool(check_bell_ratio(1.401))       # within 0.005 of 7/5: nearly harmonic
    False
    >>> bool(check_bell_ratio(2 ** 0.5)), bool(check_bell_ratio(np.float64(1.61803)))
    (True, True)
    """
    r = number(ratio)
    if r is None or not 0.25 <= r <= 12:
        return CheckResult(False, "Give a ratio between 0.25 and 12.")
    near = Fraction(r).limit_denominator(10)
    p, q, d = near.numerator, near.denominator, abs(r - float(near))
    if d < 0.005:
        how = "is" if d < 1e-9 else f"is within {d:.3f} of"
        base = "fc itself" if q == 1 else f"fc/{q}"
        return CheckResult(
            False,
            f"Ratio {r:g} {how} {p}/{q}: every partial fc +- k*fm is then a multiple of "
            f"{base}, so the spectrum is (nearly) a harmonic series on {base}, not a bell.",
        )
    return CheckResult(
        True,
        f"Right: {r:g} is no ratio of small integers (the nearest with a denominator up to 10 is "
        f"{p}/{q}, {d:.3f} away), so the sidebands fc +- k*fm lie on no harmonic series: a bell.",
    )


@exercise(
    "1a.3",
    hint="With q = 1/sqrt(2) (Butterworth) the RBJ low-pass is -3.01 dB at one special frequency; which parameter sets it?",
    solution="A Butterworth-Q low-pass is -3.01 dB (half power) exactly at its cutoff, so the cutoff is 2000 Hz.",
    code="answer_3 = 2000.0",
)
def check_lowpass_cutoff(cutoff_hz, *, sr: int = 16000) -> CheckResult:
    """Exercise 1.3: the cutoff (Hz) of a Butterworth-Q RBJ low-pass whose gain at 2 kHz is -3.01 dB.

    Examples
    --------
    >>> bool(check_lowpass_cutoff(500.0))
    False
    """
    sr = check_sr(sr)
    c = number(cutoff_hz)
    if c is None or not 0 < c < sr / 2:
        return CheckResult(False, f"Give a frequency between 0 and {sr // 2} Hz.")
    b, a = biquad_coefficients("lowpass", cutoff_hz=c, sr=sr)
    _, H = frequency_response(b, a, sr=sr, freqs_hz=[2000.0])
    g = 20 * math.log10(float(abs(H[0, 0])))
    return verdict(
        abs(g + 3.01) < 0.05,
        f"Right: {g:.2f} dB at 2 kHz; with q = 1/sqrt(2) the cutoff is the -3 dB point.",
        f"That gives {g:.2f} dB at 2 kHz, not -3.01 dB.",
    )


@exercise(
    "1a.4",
    hint="Each trip round the comb's loop multiplies the level by g; count the trips in RT60 seconds "
    "and ask that their product be -60 dB.",
    solution="In RT60 seconds the signal goes RT60 * sr / D times round the loop, so g**(RT60 sr / D) = "
    "10**(-60/20) = 10**-3, i.e. g = 10**(-3 D / (RT60 sr)) = 0.885 for D = 1557, sr = 44100, "
    "RT60 = 2 s.",
    code="answer_4 = 10 ** (-3 * 1557 / (2.0 * 44100))",
)
def check_rt60_feedback(gain, *, delay_samples: int = 1557, sr: int = 44100, rt60: float = 2.0) -> CheckResult:
    """Exercise 1.4: the feedback gain of a comb filter of ``delay_samples`` that decays 60 dB in ``rt60`` s.

    Examples
    --------
    >>> bool(check_rt60_feedback(0.5))
    False
    """
    delay_samples, sr = as_int(delay_samples, "delay_samples"), check_sr(sr)
    rt60 = as_float(rt60, "rt60", low=0, low_open=True)
    g = number(gain)
    truth = 10 ** (-3 * delay_samples / (rt60 * sr))
    return verdict(
        g is not None and abs(g - truth) < 1e-3,
        f"Right: g = 10**(-3 D / (RT60 sr)) = {truth:.4f}.",
        "Not quite: each trip round the loop multiplies by g; after RT60 seconds there have been "
        "RT60*sr/D trips and the level must be 10**(-60/20).",
    )


@exercise(
    "1a.5",
    hint="The kit's track generator of section (e) turns a list of chord names into a pattern in a named style.",
    solution="A waltz (3/4) puts the chord's root in the bass on beat 1 and the chord on beats 2 and 3 "
    "(oom-pah-pah); the track generator does this for any progression.",
    code='answer_5 = S.accompaniment(["C", "G7", "C"], style="waltz")',
)
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
    return verdict(
        ok,
        "Right: root on beat 1, the chord on beats 2 and 3 (oom-pah-pah), in 3/4.",
        "Not yet: each bar of 3 quarter notes needs the chord root lowest on beat 1 and the chord after "
        "it, for the chords C, G7 and C in turn.",
    )


#: Positions the student's pan law is tested on (-1 hard left .. 1 hard right).
_PAN_CASES = (-1.0, -0.5, 0.0, 0.3, 1.0)


@exercise(
    "1a.6",
    kind="implement",
    hint="Constant power means left**2 + right**2 = 1 at every position; map the position -1..1 to an angle "
    "0..pi/2 and pick two functions of it whose squares add to 1.",
    solution="Map the position p to theta = (p + 1) * pi / 4 (0 at hard left, pi/4 at the centre, pi/2 at hard "
    "right) and return (cos(theta), sin(theta)): cos**2 + sin**2 = 1, so the power stays the same as "
    "the sound moves, and at the centre each side gets cos(pi/4) = 0.707 (-3 dB). A linear law "
    "((1 - p)/2, (1 + p)/2) gives 0.5 each at the centre: -6 dB per side, a loudness dip.",
    code=("def pan_gains(position):\n    theta = (position + 1) * np.pi / 4\n    return np.cos(theta), np.sin(theta)"),
)
def check_pan_gains(pan_gains) -> CheckResult:
    """Exercise 1a.6 (implement it): the student's ``pan_gains(position) -> (left, right)`` against
    :func:`musynth_lab.synth.pan` (the constant-power law) at several positions.

    Examples
    --------
    >>> bool(check_pan_gains(lambda p: ((1 - p) / 2, (1 + p) / 2)))    # linear: -6 dB at the centre
    False
    >>> bool(check_pan_gains(lambda p: (np.sin((p + 1) * np.pi / 4), np.cos((p + 1) * np.pi / 4))))  # mirrored
    False
    >>> bool(check_pan_gains(lambda p: (np.cos((p + 1) * np.pi / 4), np.sin((p + 1) * np.pi / 4))))
    True
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    if not callable(pan_gains):
        return CheckResult(False, "Pass your function itself: check_pan_gains(pan_gains).")
    for p in _PAN_CASES:
        truth = pan(torch.ones(1, 1), position=p)[0, :, 0].tolist()
        got, stop = run_student(pan_gains, (p,), exercise_id="1a.6", where=f"at position {p:g}")
        if stop is not None:
            return stop
        try:
            left, right = (float(v) for v in got)
        except (TypeError, ValueError):
            return CheckResult(False, f"At position {p:g} your function returned {got!r}: return a pair (left, right).")
        if abs(left - truth[0]) < 1e-4 and abs(right - truth[1]) < 1e-4:
            continue
        power = left**2 + right**2
        if abs(power - 1) > 1e-3:
            return CheckResult(
                False,
                f"Not quite: at position {p:g} your gains are ({left:.3f}, {right:.3f}), so "
                f"left**2 + right**2 = {power:.3f}, not 1: the loudness would change as the "
                "sound moves.",
            )
        return CheckResult(
            False,
            f"Not quite: at position {p:g} your gains are ({left:.3f}, {right:.3f}): the power "
            "is right, the place is not. Position -1 is all left, +1 all right, 0 the middle.",
        )
    return CheckResult(
        True,
        f"Right: your law agrees with synth.pan at all {len(_PAN_CASES)} positions; the centre "
        "gets 0.707 per side (-3 dB), so a moving sound keeps its loudness.",
    )


_WIDTHS = ("higher", "lower", "the same")


def _fm_bandwidth_hz(index: float, *, carrier_hz: float = 1000.0, ratio: float = 0.25, sr: int = 16000) -> float:
    """The width (Hz) of the band that holds the middle 99 % of the power of a 1 s FM tone.

    Examples
    --------
    >>> _fm_bandwidth_hz(1.0) < _fm_bandwidth_hz(5.0)
    True
    """
    y = fm_tone(float(carrier_hz), ratio=float(ratio), index=float(index), n_samples=sr, sr=sr)[0]
    y = y.detach().cpu().numpy().astype(np.float64)
    power = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    c = np.cumsum(power) / power.sum()
    return float(f[np.searchsorted(c, 0.995)] - f[np.searchsorted(c, 0.005)])


@exercise(
    "1a.7",
    kind="predict",
    hint="The index is the peak phase deviation, I = peak frequency deviation / fm. Look at the stems of the "
    "FM figure: which Bessel functions J_k(I) are large when I is small, and when I is large?",
    solution="Higher. The sideband at fc + k fm has amplitude |J_k(I)|, and J_k(I) is small once k exceeds "
    "about I + 1, so about I + 1 sidebands on each side carry the power: Carson's rule puts the "
    "bandwidth at 2 (I + 1) fm, 1000 Hz at I = 1 and 3000 Hz at I = 5 for fm = 250 Hz (measured "
    "a little less, since the lower sidebands fold at 0 Hz). The index is the brightness knob of "
    "FM, which is why an index envelope makes a bright attack and a mellow decay.",
    code='prediction_7 = "higher"  # about I + 1 sidebands each side carry the power (Carson: 2 (I + 1) fm)',
)
def check_fm_index_bandwidth(answer, *, low: float = 1.0, high: float = 5.0) -> CheckResult:
    """Exercise 1a.7 (predict): raise the FM index from ``low`` to ``high`` (fc = 1 kHz, fm = 250 Hz); does the
    bandwidth get "higher", "lower" or stay "the same"?

    The check measures both with :func:`_fm_bandwidth_hz` (the band holding 99 % of the power).

    Examples
    --------
    >>> bool(check_fm_index_bandwidth("the same"))
    False
    >>> bool(check_fm_index_bandwidth("higher"))
    True
    """
    low, high = as_float(low, "low", low=0, high=50), as_float(high, "high", low=0, high=50)
    said = prediction(answer, _WIDTHS, {"same": "the same", "wider": "higher", "narrower": "lower"})
    if said is None:
        return CheckResult(False, 'Answer "higher", "lower" or "the same" (a string), then explain it in a comment.')
    a, b = _fm_bandwidth_hz(low), _fm_bandwidth_hz(high)
    truth = "higher" if b > 1.1 * a else "lower" if b < a / 1.1 else "the same"
    return verdict(
        said == truth,
        f"Right, measured: 99 % of the power lies in {a:.0f} Hz at index {low:g} and in {b:.0f} Hz at "
        f"index {high:g}. About I + 1 sidebands on each side are strong (Carson's rule: 2 (I + 1) fm).",
        "Not what the measurement shows. Plot the spectrum at both indices (plot.fm_spectrum) and count the strong sidebands.",
    )
