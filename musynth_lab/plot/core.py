"""Basic figures: waveform, magnitude spectrum, spectrogram, piano roll."""

from __future__ import annotations

import numpy as np

from ..audio import check_sr
from ..errors import as_array, as_float, as_int

from ..audio import amplitude_to_db, as_audio, to_numpy
from ..errors import check


def axes_or_new(ax, figsize=(7, 2.5)):
    """``ax`` itself, or (when ``None``) the axes of a new pyplot figure of ``figsize`` inches.

    Every plot helper takes ``ax=None``: called that way in a notebook it draws a new figure,
    which the inline backend shows under the cell. Panels (``musynth_lab.widgets``) always
    pass axes of their own non-pyplot figure, so pyplot is never touched from a widget callback.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> axes_or_new(ax) is ax
    True
    """
    if ax is None:
        # matplotlib and librosa are imported where used: importing this module (and `import musynth_lab`) stays light
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def amplitude_spectrum(y, *, sr: float):
    """``(freqs, mag)`` of a whole 1-D signal, Hann-windowed and scaled so a sine of amplitude 1 peaks near 1."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.hanning(len(y))
    return np.fft.rfftfreq(len(y), 1 / sr), np.abs(np.fft.rfft(y * w)) / max(w.sum() / 2, 1e-12)


def waveform(y, *, sr: int, ax=None, title: str | None = None, **kw):
    """Plot a mono signal against time in seconds; returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = waveform(np.sin(np.linspace(0, 100, 800)), sr=8000)
    >>> ax.get_xlabel()
    'time (s)'
    """
    as_array(y, "y")
    sr = check_sr(sr)
    y = to_numpy(as_audio(y, mono=True))
    ax = axes_or_new(ax)
    ax.plot(np.arange(len(y)) / sr, y, lw=0.8, **kw)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    if title:
        ax.set_title(title)
    return ax


def spectrum(y, *, sr: int, ax=None, title: str | None = None, db_floor: float = -100.0, **kw):
    """Plot the magnitude spectrum (dB, Hann window) of a whole mono signal; returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)      # 1 s of A4 at 8 kHz
    >>> ax = spectrum(y, sr=8000)
    >>> ax.get_xlabel(), round(float(ax.lines[0].get_xdata()[-1]))     # up to Nyquist (Hz)
    ('frequency (Hz)', 4000)
    >>> plt.close("all")
    """
    as_array(y, "y")
    sr = check_sr(sr)
    db_floor = as_float(db_floor, "db_floor")
    f, mag = amplitude_spectrum(to_numpy(as_audio(y, mono=True)), sr=sr)
    ax = axes_or_new(ax)
    ax.plot(f, np.maximum(amplitude_to_db(mag), db_floor), lw=0.8, **kw)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("level (dB)")
    if title:
        ax.set_title(title)
    return ax


def spectrogram(
    S,
    *,
    sr: int,
    hop_length: int,
    ax=None,
    y_axis: str = "linear",
    db: bool = True,
    title: str | None = None,
    fmax: float | None = None,
    **kw,
):
    """Show a (magnitude) time-frequency array ``(n_bins, n_frames)`` with librosa's specshow.

    ``db=True`` converts magnitudes to dB first. ``y_axis`` is librosa's: 'linear', 'log',
    'mel', 'cqt_note', 'chroma', ...

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> S = np.abs(np.random.default_rng(0).standard_normal((129, 20)))   # (n_bins, n_frames)
    >>> ax = spectrogram(S, sr=16000, hop_length=128, title="noise")
    >>> ax.get_title(), ax.get_ylabel()
    ('noise', 'Hz')
    >>> plt.close("all")
    """
    as_array(S, "S", ndim=2)
    sr = check_sr(sr)
    hop_length = as_int(hop_length, "hop_length")
    fmax = as_float(fmax, "fmax", low=0, low_open=True, allow_none=True)
    import librosa.display

    S = to_numpy(S)
    check(S.ndim == 2, "S", S, "a 2-D array (n_bins, n_frames)")
    ax = axes_or_new(ax, figsize=(7, 3))
    data = amplitude_to_db(S, ref=float(np.max(S)) or 1.0, top_db=80.0) if db else S
    img = librosa.display.specshow(data, sr=sr, hop_length=hop_length, x_axis="time", y_axis=y_axis, ax=ax, fmax=fmax, **kw)
    ax.figure.colorbar(img, ax=ax, format="%+.0f dB" if db else "%.2f")
    if title:
        ax.set_title(title)
    return ax


def piano_roll(roll, *, step: float = 1.0, low: int = 21, ax=None, title: str | None = None, highlight=None):
    """Show a piano roll ``(n_keys, n_frames)``; ``highlight`` (same shape, 0..1) tints cells.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = piano_roll(np.eye(88, 16, dtype=bool))
    >>> ax.get_ylabel()
    'MIDI pitch'
    """
    as_array(roll, "roll", ndim=2)
    step = as_float(step, "step", low=0, low_open=True)
    low = as_int(low, "low", low=0, high=127)
    roll = to_numpy(roll).astype(float)
    check(roll.ndim == 2, "roll", roll, "a 2-D array (n_keys, n_frames)")
    rows = np.flatnonzero(roll.any(axis=1))
    lo, hi = (rows.min(), rows.max()) if len(rows) else (0, roll.shape[0] - 1)
    lo, hi = max(0, lo - 2), min(roll.shape[0] - 1, hi + 2)
    ax = axes_or_new(ax, figsize=(8, 3))
    extent = [0, roll.shape[1] * step, low + lo - 0.5, low + hi + 0.5]
    ax.imshow(
        roll[lo : hi + 1], origin="lower", aspect="auto", cmap="Greys", extent=extent, interpolation="nearest", vmin=0, vmax=1
    )
    if highlight is not None:
        h = to_numpy(highlight).astype(float)
        check(h.shape == roll.shape, "highlight", h, f"an array of the roll's shape {roll.shape}")
        ax.imshow(
            np.ma.masked_where(roll[lo : hi + 1] == 0, h[lo : hi + 1]),
            origin="lower",
            aspect="auto",
            cmap="autumn_r",
            alpha=0.7,
            extent=extent,
            interpolation="nearest",
            vmin=0,
            vmax=1,
        )
    ax.set_xlabel("time (quarter notes)")
    ax.set_ylabel("MIDI pitch")
    if title:
        ax.set_title(title)
    return ax
