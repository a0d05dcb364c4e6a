"""Figures for notebooks/06c_coherence.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import as_array, as_float, as_int, as_mapping, as_rows, check
from ..evaluate import self_similarity
from .core import axes_or_new

__all__ = ["similarity_matrix", "lag_profiles", "pitch_class_bars", "measure_bars"]

_PC_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def similarity_matrix(roll, *, frames_per_bar: int = 1, step: float = 0.5, ax=None, title: str | None = None):
    """Show the self-similarity matrix of a roll (:func:`musynth_lab.evaluate.self_similarity`).

    Axes are in quarter notes (``step`` per frame). Bright off-diagonal lines are repeats; a bright
    band along the diagonal is material held or varied slowly.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> roll = np.zeros((88, 16), bool); roll[60 - 21, ::2] = True; roll[64 - 21, 1::2] = True
    >>> similarity_matrix(roll).get_xlabel()
    'time (quarter notes)'

    Chapter: notebooks/06c_coherence.ipynb
    """
    as_array(roll, "roll", ndim=2)
    frames_per_bar = as_int(frames_per_bar, "frames_per_bar")
    step = as_float(step, "step", low=0, low_open=True)
    S = self_similarity(roll, frames_per_bar=frames_per_bar)
    ax = axes_or_new(ax, figsize=(3.6, 3.2))
    span = S.shape[0] * frames_per_bar * step
    ax.imshow(S, origin="lower", cmap="magma", vmin=0, vmax=1, extent=[0, span, 0, span], interpolation="nearest")
    ax.set_xlabel("time (quarter notes)")
    ax.set_ylabel("time (quarter notes)")
    if title:
        ax.set_title(title)
    return ax


def lag_profiles(profiles: dict, *, ax=None, title: str | None = "Lag-similarity profiles"):
    """Mean frame similarity against lag (frames) for several sets: ``{name: (max_lag,) array}``.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> len(lag_profiles({"a": np.linspace(1, 0, 8), "b": np.full(8, 0.3)}).lines)
    2

    Chapter: notebooks/06c_coherence.ipynb
    """
    as_mapping(profiles, "profiles", numbers=True)
    check(len(profiles) > 0, "profiles", profiles, "a non-empty dict of name -> lag profile")
    ax = axes_or_new(ax, figsize=(6, 3))
    for name, prof in profiles.items():
        prof = np.asarray(prof, dtype=float)
        ax.plot(np.arange(1, len(prof) + 1), prof, marker="o", ms=3, label=name)
    ax.set_xlabel("lag (frames)")
    ax.set_ylabel("mean cosine similarity")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def pitch_class_bars(histograms: dict, *, ax=None, title: str | None = "Pitch-class histograms"):
    """Grouped bars of 12-bin pitch-class histograms, ``{name: (12,) array}``.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = pitch_class_bars({"a": np.full(12, 1 / 12)}); len(ax.patches)
    12

    Chapter: notebooks/06c_coherence.ipynb
    """
    as_mapping(histograms, "histograms", numbers=True)
    check(len(histograms) > 0, "histograms", histograms, "a non-empty dict of name -> (12,) histogram")
    ax = axes_or_new(ax, figsize=(7, 3))
    width = 0.8 / len(histograms)
    for i, (name, h) in enumerate(histograms.items()):
        h = np.asarray(h, dtype=float)
        check(h.shape == (12,), "histograms", h, "12 bins per set")
        ax.bar(np.arange(12) + (i - (len(histograms) - 1) / 2) * width, h, width=width, label=name)
    ax.set_xticks(range(12))
    ax.set_xticklabels(_PC_NAMES)
    ax.set_ylabel("share of sounding cells")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def measure_bars(rows, measure: str, *, ax=None, title: str | None = None):
    """One coherence measure across the sets of a :func:`musynth_lab.evaluate.coherence_report` (NaN skipped).

    A voice-leading measure (``vl_per_100`` or a ``*_per_100`` kind) depends on the voice assignment,
    so its bars are coloured by the rows' ``voices`` ('labelled' or 'high to low'), with a legend.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = measure_bars([{"set": "a", "x": 1.0}, {"set": "b", "x": float("nan")}], "x"); len(ax.patches)
    1
    >>> rows = [{"set": "a", "vl_per_100": 3.5, "voices": "high to low"}, {"set": "b", "vl_per_100": 4.8, "voices": "labelled"}]
    >>> [t.get_text() for t in measure_bars(rows, "vl_per_100").get_legend().get_texts()]
    ['voices: high to low', 'voices: labelled']

    Chapter: notebooks/06c_coherence.ipynb
    """
    rows = as_rows(rows, "rows")
    check(len(rows) > 0 and all(measure in r for r in rows), "measure", measure, "a key of every report row")
    keep = [r for r in rows if np.isfinite(r[measure])]
    ax = axes_or_new(ax, figsize=(5, 2.8))
    by_voices = measure.endswith("_per_100") and all("voices" in r for r in keep)
    colours = {"high to low": "tab:purple", "labelled": "tab:orange"}
    ax.barh(
        [r["set"] for r in keep],
        [r[measure] for r in keep],
        color=[colours.get(r["voices"], "tab:grey") for r in keep] if by_voices else "tab:purple",
    )
    if by_voices:
        from matplotlib.patches import Patch

        shown = sorted({r["voices"] for r in keep}, key=lambda v: list(colours).index(v) if v in colours else 9)
        ax.legend(handles=[Patch(color=colours.get(v, "tab:grey"), label=f"voices: {v}") for v in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(measure.replace("_", " "))
    ax.set_title(title or measure.replace("_", " "))
    return ax
