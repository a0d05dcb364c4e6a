"""Attention figures: maps over spectrograms and scores, alignment matrices, selections.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import check_sr, to_numpy
from ..errors import as_array, as_float, as_int, check
from .core import axes_or_new, piano_roll


def attention_over_spectrogram(
    S_db,
    weights,
    *,
    sr: int,
    hop_length: int,
    keep=None,
    ax=None,
    title: str | None = None,
    y_axis: str = "mel",
    cmap_weights: str = "magma",
):
    """A spectrogram in grey with the attention map over it in colour (and kept cells outlined).

    Parameters
    ----------
    S_db : array [shape=(n_bins, n_frames)]
        A spectrogram in dB (e.g. log-mel).
    weights : array [shape=(n_bins, n_frames)]
        Attention weights on the same grid (any non-negative scale; shown relative to their max).
    sr, hop_length : int
        For the time axis (seconds).
    keep : bool array [shape=(n_bins, n_frames)], optional
        Cells the hard selection kept; drawn as a contour.
    y_axis : str
        Label for the rows ('mel' bands or 'bins').

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = attention_over_spectrogram(np.zeros((8, 10)), np.ones((8, 10)), sr=16000, hop_length=512)
    >>> ax.get_xlabel()
    'time (s)'

    Chapter: notebooks/02_attention.ipynb
    """
    as_array(S_db, "S_db", ndim=2)
    as_array(weights, "weights", ndim=2)
    sr = check_sr(sr)
    hop_length = as_int(hop_length, "hop_length")
    if keep is not None:
        as_array(keep, "keep")
    S = to_numpy(S_db).astype(float)
    w = to_numpy(weights).astype(float)
    check(S.ndim == 2, "S_db", S_db, "a 2-D array (n_bins, n_frames)")
    check(w.shape == S.shape, "weights", weights, f"an array of the spectrogram's shape {S.shape}")
    ax = axes_or_new(ax, (7, 3))
    extent = [0, S.shape[1] * hop_length / sr, -0.5, S.shape[0] - 0.5]
    ax.imshow(S, origin="lower", aspect="auto", cmap="Greys", extent=extent, interpolation="nearest")
    rel = w / w.max() if w.max() > 0 else w
    ax.imshow(
        rel, origin="lower", aspect="auto", cmap=cmap_weights, alpha=0.55, extent=extent, interpolation="nearest", vmin=0, vmax=1
    )
    if keep is not None:
        k = to_numpy(keep).astype(float)
        check(k.shape == S.shape, "keep", keep, f"a mask of the spectrogram's shape {S.shape}")
        if 0 < k.sum() < k.size:
            t = (np.arange(S.shape[1]) + 0.5) * hop_length / sr
            ax.contour(t, np.arange(S.shape[0]), k, levels=[0.5], colors="cyan", linewidths=1.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{y_axis} band" if y_axis == "mel" else y_axis)
    if title:
        ax.set_title(title)
    return ax


def attention_over_score(roll, frame_weights, *, step: float = 1.0, low: int = 21, keep=None, ax=None, title: str | None = None):
    """A piano roll whose notes are tinted by the attention each frame received.

    Parameters
    ----------
    roll : bool array [shape=(n_keys, n_frames)]
    frame_weights : array [shape=(n_frames,)]
        One weight per frame (token); shown relative to the largest.
    step : float
        Frame length in quarter notes.
    low : int
        MIDI pitch of row 0.
    keep : bool array [shape=(n_frames,)], optional
        Frames the hard selection kept, marked along the top.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> roll = np.zeros((88, 4), bool); roll[39, :] = True          # middle C held for 4 frames
    >>> ax = attention_over_score(roll, [0.1, 0.9, 0.4, 0.2], keep=[False, True, False, False])
    >>> ax.get_ylabel(), len(ax.lines)                               # one bar marks the kept frame
    ('MIDI pitch', 1)
    >>> plt.close("all")

    Chapter: notebooks/02_attention.ipynb
    """
    as_array(roll, "roll", ndim=2)
    as_array(frame_weights, "frame_weights", ndim=1)
    step, low = as_float(step, "step", low=0, low_open=True), as_int(low, "low", low=0, high=127)
    if keep is not None:
        as_array(keep, "keep", ndim=1)
    r = to_numpy(roll).astype(bool)
    w = to_numpy(frame_weights).astype(float).ravel()
    check(r.ndim == 2, "roll", roll, "a 2-D array (n_keys, n_frames)")
    check(len(w) == r.shape[1], "frame_weights", frame_weights, f"{r.shape[1]} weights, one per frame")
    rel = w / w.max() if w.max() > 0 else w
    ax = piano_roll(r, step=step, low=low, ax=axes_or_new(ax, (9, 3)), title=title, highlight=np.broadcast_to(rel, r.shape))
    if keep is not None:
        k = to_numpy(keep).astype(bool).ravel()
        check(len(k) == r.shape[1], "keep", keep, f"{r.shape[1]} flags, one per frame")
        top = ax.get_ylim()[1]
        for i in np.flatnonzero(k):
            ax.plot([i * step, (i + 1) * step], [top - 0.5, top - 0.5], color="tab:blue", lw=4, solid_capstyle="butt")
    return ax


def alignment(
    weights, *, ax=None, title: str | None = None, source_label: str = "source position", target_label: str = "target position"
):
    """An attention (alignment) matrix ``(n_target, n_source)``, one row per output step.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = alignment(np.eye(5))
    >>> ax.get_ylabel()
    'target position'

    Chapter: notebooks/02_attention.ipynb
    """
    as_array(weights, "weights", ndim=2)
    w = to_numpy(weights).astype(float)
    check(w.ndim == 2, "weights", weights, "a 2-D matrix (n_target, n_source)")
    ax = axes_or_new(ax, (4, 4))
    img = ax.imshow(w, origin="upper", aspect="auto", cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(img, ax=ax)
    ax.set_xlabel(source_label)
    ax.set_ylabel(target_label)
    if title:
        ax.set_title(title)
    return ax


def selection(scores, keep, *, ax=None, title: str | None = None, threshold: float | None = None):
    """Bars of (normalised) scores per position, kept ones in colour, with the threshold line.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> w = np.array([0.2, 1.0, 0.6, 0.3])
    >>> ax = selection(w, w > 0.5, threshold=0.5)
    >>> len(ax.patches), ax.get_ylabel()                             # one bar per position
    (4, 'weight')
    >>> plt.close("all")

    Chapter: notebooks/02_attention.ipynb
    """
    as_array(scores, "scores", ndim=1)
    as_array(keep, "keep", ndim=1)
    threshold = as_float(threshold, "threshold", allow_none=True)
    s = to_numpy(scores).astype(float).ravel()
    k = to_numpy(keep).astype(bool).ravel()
    check(len(k) == len(s), "keep", keep, f"{len(s)} flags, one per score")
    ax = axes_or_new(ax, (6, 2.5))
    ax.bar(np.arange(len(s)), s, color=np.where(k, "tab:orange", "lightgrey"))
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1)
    ax.set_xlabel("position")
    ax.set_ylabel("weight")
    if title:
        ax.set_title(title)
    return ax
