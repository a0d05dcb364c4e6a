"""Figures for notebooks/03_features.ipynb: feature curves over time, chromagrams, GV, timings."""

from __future__ import annotations

import numpy as np

from ..audio import check_sr
from ..errors import as_array, as_int, as_mapping

from ..audio import to_numpy
from ..errors import check
from .core import axes_or_new

__all__ = ["feature_curve", "chromagram", "gv_bars", "timing_bars"]


def feature_curve(
    values,
    *,
    sr: int,
    hop_length: int,
    ax=None,
    label: str | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    **kw,
):
    """Plot a frame feature ``(n_frames,)`` or ``(1, n_frames)`` against time in seconds.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = feature_curve(np.arange(10.0), sr=22050, hop_length=512, label="x")
    >>> ax.get_xlabel()
    'time (s)'
    """
    as_array(values, "values", min_ndim=1)
    sr = check_sr(sr)
    hop_length = as_int(hop_length, "hop_length")
    v = np.asarray(to_numpy(values), dtype=float).reshape(-1)
    ax = axes_or_new(ax, (7, 2.5))
    ax.plot(np.arange(len(v)) * hop_length / sr, v, lw=1, label=label, **kw)
    ax.set_xlabel("time (s)")
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if label:
        ax.legend(loc="upper right", fontsize=8)
    return ax


def chromagram(C, *, sr: int, hop_length: int, ax=None, title: str | None = None):
    """Show a chromagram ``(12, n_frames)`` with pitch-class names on the y axis.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = chromagram(np.random.default_rng(0).random((12, 20)), sr=22050, hop_length=512)
    >>> ax.get_yticklabels()[9].get_text()
    'A'
    """
    as_array(C, "C", ndim=2)
    sr = check_sr(sr)
    hop_length = as_int(hop_length, "hop_length")
    C = np.asarray(to_numpy(C))
    check(C.ndim == 2 and C.shape[0] == 12, "C", C, "a chromagram of shape (12, n_frames)")
    ax = axes_or_new(ax, figsize=(7, 2.6))
    t_end = C.shape[1] * hop_length / sr
    img = ax.imshow(C, aspect="auto", origin="lower", extent=(0, t_end, -0.5, 11.5), cmap="magma")
    ax.set_yticks(range(12))
    ax.set_yticklabels(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
    ax.set_xlabel("time (s)")
    ax.figure.colorbar(img, ax=ax)
    if title:
        ax.set_title(title)
    return ax


def gv_bars(reference_gv, generated_gv, *, ax=None, labels=("natural", "over-smoothed"), title: str | None = None):
    """Bars of the global variance per dimension for two trajectories (log scale).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = gv_bars(np.ones(5), 0.5 * np.ones(5))
    >>> len(ax.patches)
    10
    """
    as_array(reference_gv, "reference_gv", ndim=1)
    as_array(generated_gv, "generated_gv", ndim=1)
    r = np.asarray(to_numpy(reference_gv), dtype=float).reshape(-1)
    g = np.asarray(to_numpy(generated_gv), dtype=float).reshape(-1)
    ax = axes_or_new(ax, (7, 2.5))
    k = np.arange(len(r))
    ax.bar(k - 0.2, r, width=0.4, label=labels[0])
    ax.bar(k + 0.2, g, width=0.4, label=labels[1])
    ax.set_yscale("log")
    ax.set_xlabel("dimension")
    ax.set_ylabel("variance over time")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def timing_bars(timings: dict, *, ax=None, title: str | None = None, unit: str = "ms"):
    """Horizontal bars of ``{name: seconds}`` timings, labelled in ``unit``.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = timing_bars({"cpu": 0.2, "gpu": 0.01})
    >>> len(ax.patches)
    2
    """
    as_mapping(timings, "timings", numbers=True)
    names = list(timings)
    vals = np.array([timings[n] for n in names], dtype=float) * (1e3 if unit == "ms" else 1.0)
    ax = axes_or_new(ax, figsize=(6, 0.5 + 0.4 * len(names)))
    ax.barh(names, vals)
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v:.1f} {unit}", va="center", fontsize=8)
    ax.set_xlabel(unit)
    if title:
        ax.set_title(title)
    return ax
