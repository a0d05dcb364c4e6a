"""Figures for the synthesizer: envelopes, filter responses, FM spectra, reverb decay, panning, patterns.

Every function takes ``ax=None`` (a new figure) and returns the axes.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import check_sr, to_numpy
from ..errors import as_array, as_float, as_int, check
from ..synth.filters import frequency_response
from ..synth.fm import bessel_sidebands
from ..synth.reverb import energy_decay_db, pan
from .core import amplitude_spectrum, axes_or_new

__all__ = ["envelope", "filter_response", "fm_spectrum", "energy_decay", "pan_law", "note_pattern"]


def envelope(env, *, sr: int, ax=None, note_off: float | None = None, title: str | None = None, **kw):
    """Plot an envelope ``(n_samples,)`` or several ``(k, n_samples)`` against time, marking note-off.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from musynth_lab.synth import adsr
    >>> ax = envelope(adsr(attack=0.1, decay=0.1, sustain=0.5, release=0.2, note_off=0.5, n_samples=800, sr=1000),
    ...               sr=1000, note_off=0.5)
    >>> ax.get_ylabel()
    'level'

    Chapter: notebooks/01a_synthesis.ipynb
    """
    as_array(env, "env", min_ndim=1)
    sr = check_sr(sr)
    note_off = as_float(note_off, "note_off", low=0, allow_none=True)
    e = np.atleast_2d(to_numpy(env))
    check(e.ndim == 2, "env", env, "an envelope (n_samples,) or (k, n_samples)")
    ax = axes_or_new(ax)
    t = np.arange(e.shape[-1]) / sr
    for row in e:
        ax.plot(t, row, lw=1.2, **kw)
    if note_off is not None:
        ax.axvline(note_off, color="k", ls="--", lw=0.8)
        ax.text(note_off, ax.get_ylim()[1] * 0.95, " note-off", va="top", fontsize=8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("level")
    if title:
        ax.set_title(title)
    return ax


def filter_response(
    b, a, *, sr: int, ax=None, labels=None, mark_hz=None, log_freq: bool = True, title: str | None = None, db_floor: float = -60.0
):
    """Plot the magnitude response (dB) of second-order sections ``b, a`` of shape ``(k, 3)``.

    ``mark_hz`` draws a vertical line (e.g. at the cutoff) and the -3 dB level.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from musynth_lab.synth import biquad_coefficients
    >>> b, a = biquad_coefficients("lowpass", cutoff_hz=1000.0, sr=16000)
    >>> filter_response(b, a, sr=16000, mark_hz=1000.0).get_xscale()
    'log'

    Chapter: notebooks/01a_synthesis.ipynb
    """
    as_array(b, "b")
    as_array(a, "a")
    sr = check_sr(sr)
    db_floor = as_float(db_floor, "db_floor")
    mark_hz = as_float(mark_hz, "mark_hz", low=0, low_open=True, allow_none=True)
    f0 = np.geomspace(10, sr / 2 * 0.999, 512) if log_freq else np.linspace(0, sr / 2, 512)
    f, H = frequency_response(b, a, sr=sr, freqs_hz=f0)
    mag = 20 * np.log10(np.maximum(np.abs(to_numpy(H)), 1e-12))
    ax = axes_or_new(ax)
    for i, row in enumerate(mag):
        ax.plot(to_numpy(f), np.maximum(row, db_floor), lw=1.2, label=None if labels is None else labels[i])
    if mark_hz is not None:
        ax.axvline(mark_hz, color="k", ls="--", lw=0.8)
        ax.axhline(-3.01, color="grey", ls=":", lw=0.8)
    if log_freq:
        ax.set_xscale("log")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("gain (dB)")
    if labels is not None:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def fm_spectrum(
    y, *, sr: int, carrier_hz: float, modulator_hz: float, index: float, ax=None, k_max: int = 8, title: str | None = None
):
    """The measured spectrum of a sine-on-sine FM tone with the Bessel prediction ``|J_k(index)|`` as stems.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from musynth_lab.synth import fm_tone
    >>> y = fm_tone(1000.0, ratio=0.2, index=2.0, n_samples=8000, sr=8000)[0]
    >>> ax = fm_spectrum(y, sr=8000, carrier_hz=1000.0, modulator_hz=200.0, index=2.0)
    >>> len(ax.get_legend().get_texts())
    2

    Chapter: notebooks/01a_synthesis.ipynb
    """
    as_array(y, "y", min_ndim=1)
    sr = check_sr(sr)
    k_max = as_int(k_max, "k_max", high=1000)
    carrier_hz, modulator_hz = as_float(carrier_hz, "carrier_hz", low=0), as_float(modulator_hz, "modulator_hz", low=0)
    index = as_float(index, "index", low=0)
    f, mag = amplitude_spectrum(to_numpy(y), sr=sr)
    ax = axes_or_new(ax)
    ax.plot(f, mag, lw=0.8, label="measured")
    side = [
        (fr, abs(amp))
        for fr, amp in bessel_sidebands(index, carrier_hz=carrier_hz, modulator_hz=modulator_hz, k_max=k_max)
        if 0 < fr < sr / 2
    ]
    if side:
        fr, amp = zip(*side)
        ax.stem(fr, amp, linefmt="C3:", markerfmt="C3o", basefmt=" ", label="|J_k(index)|")
    ax.set_xlim(max(0, carrier_hz - (k_max + 1) * modulator_hz), min(sr / 2, carrier_hz + (k_max + 1) * modulator_hz))
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("amplitude")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def energy_decay(ir, *, sr: int, ax=None, label: str | None = None, title: str | None = None):
    """Schroeder's energy decay curve of an impulse response, with the -60 dB line (RT60).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from musynth_lab.synth import synthetic_ir
    >>> energy_decay(synthetic_ir(rt60=0.5, sr=8000)[0], sr=8000).get_ylabel()
    'energy left (dB)'

    Chapter: notebooks/01a_synthesis.ipynb
    """
    as_array(ir, "ir")
    sr = check_sr(sr)
    t, edc = energy_decay_db(ir, sr=sr)
    ax = axes_or_new(ax)
    ax.plot(t, edc, lw=1.2, label=label)
    ax.axhline(-60, color="grey", ls=":", lw=0.8)
    ax.set_ylim(-80, 3)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("energy left (dB)")
    if label:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def pan_law(*, ax=None, title: str | None = "constant-power panning"):
    """Left and right gains of :func:`musynth_lab.synth.pan` across positions, and their power sum.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> len(pan_law().get_lines())
    3

    Chapter: notebooks/01a_synthesis.ipynb
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    p = torch.linspace(-1, 1, 101)
    g = np.stack([pan(torch.ones(1, 2), position=float(v))[0, :, 0].numpy() for v in p])
    ax = axes_or_new(ax, figsize=(5, 2.5))
    ax.plot(p, g[:, 0], label="left")
    ax.plot(p, g[:, 1], label="right")
    ax.plot(p, g[:, 0] ** 2 + g[:, 1] ** 2, "k--", lw=0.8, label="left² + right²")
    ax.set_xlabel("position")
    ax.set_ylabel("gain")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def note_pattern(notes, *, ax=None, beats_per_bar: float | None = None, title: str | None = None):
    """Draw note rows ``(onset_q, duration_q, midi[, velocity])`` as bars, with bar lines.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> note_pattern(np.array([[0, 1, 60], [1, 1, 64]]), beats_per_bar=3).get_xlabel()
    'time (quarter notes)'

    Chapter: notebooks/01a_synthesis.ipynb
    """
    as_array(notes, "notes", ndim=2)
    beats_per_bar = as_float(beats_per_bar, "beats_per_bar", low=0, low_open=True, allow_none=True)
    arr = np.asarray(notes, dtype=np.float64)
    check(arr.ndim == 2 and arr.shape[1] >= 3, "notes", notes, "rows of (onset_q, duration_q, midi[, velocity])")
    ax = axes_or_new(ax, figsize=(8, 2.8))
    vel = arr[:, 3] / 127 if arr.shape[1] > 3 else np.ones(len(arr))
    for (on, dur, midi), v in zip(arr[:, :3], vel):
        ax.add_patch(
            __import__("matplotlib").patches.Rectangle((on, midi - 0.4), dur * 0.95, 0.8, color=(0.1, 0.3, 0.7, 0.3 + 0.7 * v))
        )
    end = float((arr[:, 0] + arr[:, 1]).max()) if len(arr) else 1.0
    check(
        not beats_per_bar or end / beats_per_bar <= 10_000,
        "notes",
        notes,
        f"notes ending within 10000 bars of {beats_per_bar:g} beats (one bar line each)" if beats_per_bar else "",
    )
    ax.set_xlim(0, end)
    ax.set_ylim(arr[:, 2].min() - 2, arr[:, 2].max() + 2)
    if beats_per_bar:
        for x in np.arange(0, end + 1e-9, beats_per_bar):
            ax.axvline(x, color="grey", lw=0.6)
    ax.set_xlabel("time (quarter notes)")
    ax.set_ylabel("MIDI pitch")
    if title:
        ax.set_title(title)
    return ax
