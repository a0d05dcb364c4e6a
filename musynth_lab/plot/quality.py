"""Figures for notebooks/06b_quality.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06b_quality.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import as_rows

from ..errors import check
from .core import axes_or_new

__all__ = ["learning_curves", "remedy_bars", "accuracy_curves"]


def learning_curves(rows, *, x: str = "size", by: str | None = "hidden", ax=None, highlight=None, title: str | None = None):
    """Train (dashed) and test (solid) NLL against ``x``, one colour per value of ``by``.

    Parameters
    ----------
    rows : list of dict
        From :func:`musynth_lab.lessons.quality.learning_curve` or ``ngram_curve``: each has ``x``,
        ``train_nll`` and ``test_nll`` (nats per token), and ``by`` if given.
    x : str
        The horizontal axis: ``'size'`` (training chorales) or ``'params'``; drawn on a log scale.
    by : str, optional
        Draw one pair of lines per value of this key (``'hidden'``, ``'size'``, ``'order'``).
    highlight : dict, optional
        A row to circle (the panel's current choice).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> rows = [dict(size=8, hidden=64, train_nll=0.8, test_nll=2.2), dict(size=299, hidden=64, train_nll=1.2, test_nll=1.2)]
    >>> len(learning_curves(rows).lines)
    2

    Chapter: notebooks/06b_quality.ipynb
    """
    rows = as_rows(rows, "rows")
    rows = list(rows)
    check(
        len(rows) > 0 and all(x in r and "train_nll" in r and "test_nll" in r for r in rows),
        "rows",
        rows,
        f"rows with {x!r}, 'train_nll' and 'test_nll'",
    )
    ax = axes_or_new(ax, figsize=(6, 3.2))
    groups = sorted({r[by] for r in rows}) if by else [None]
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for i, g in enumerate(groups):
        sel = sorted((r for r in rows if by is None or r[by] == g), key=lambda r: r[x])
        xs = [r[x] for r in sel]
        c = colours[i % len(colours)]
        tag = f"{by}={g}: " if by else ""
        ax.plot(xs, [r["test_nll"] for r in sel], "-o", color=c, label=f"{tag}test")
        ax.plot(xs, [r["train_nll"] for r in sel], "--", marker=".", color=c, label=f"{tag}train")
    if highlight is not None:
        ax.plot(
            [highlight[x]] * 2,
            [highlight["train_nll"], highlight["test_nll"]],
            color="k",
            lw=2.5,
            alpha=0.4,
            label=f"gap {highlight['test_nll'] - highlight['train_nll']:.2f}",
        )
    ax.set_xscale("log")
    ax.set_xlabel({"size": "training chorales", "params": "parameters"}.get(x, x))
    ax.set_ylabel("NLL (nats / token)")
    ax.set_title(title or "learning curves: train (dashed) vs test (solid)")
    ax.legend(fontsize=7, ncol=2)
    return ax


def remedy_bars(rows, *, ax=None, title: str | None = None):
    """Grouped bars of train NLL, test NLL and the gap per remedy (rows of ``quality.remedies``).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = remedy_bars([dict(remedy="none", train_nll=0.8, test_nll=2.2, gap=1.4)])
    >>> len(ax.patches)
    3

    Chapter: notebooks/06b_quality.ipynb
    """
    rows = as_rows(rows, "rows")
    rows = list(rows)
    check(len(rows) > 0 and all("remedy" in r for r in rows), "rows", rows, "rows from quality.remedies")
    ax = axes_or_new(ax, figsize=(7, 3))
    names = [r["remedy"] for r in rows]
    pos = np.arange(len(rows))
    for k, (key, c) in enumerate([("train_nll", "#aaa"), ("test_nll", "tab:blue"), ("gap", "tab:red")]):
        ax.bar(pos + (k - 1) * 0.27, [r[key] for r in rows], width=0.27, color=c, label=key.replace("_", " "))
    ax.set_xticks(pos)
    ax.set_xticklabels(names, rotation=15)
    ax.set_ylabel("nats / token")
    ax.set_title(title or "remedies at small data")
    ax.legend(fontsize=8)
    return ax


def accuracy_curves(rows, *, ax=None, title: str | None = None):
    """Held-out accuracy of the discriminative and generative classifiers against training size.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> rows = [dict(size=4, discriminative=0.6, generative=0.8, chance=0.6),
    ...         dict(size=8, discriminative=0.7, generative=0.9, chance=0.6)]
    >>> len(accuracy_curves(rows).lines)
    3

    Chapter: notebooks/06b_quality.ipynb
    """
    rows = as_rows(rows, "rows")
    rows = sorted(rows, key=lambda r: r["size"])
    check(len(rows) > 0, "rows", rows, "rows from quality.discriminative_vs_generative")
    ax = axes_or_new(ax, figsize=(6, 3.2))
    xs = [r["size"] for r in rows]
    for key, c, label in [
        ("discriminative", "tab:blue", "discriminative p(c|x): logistic regression"),
        ("generative", "tab:green", "generative p(x|c)p(c): per-class n-gram"),
    ]:
        ys = np.array([r[key] for r in rows])
        ax.plot(xs, ys, "-o", color=c, label=label)
        if f"{key}_sd" in rows[0]:
            sd = np.array([r[f"{key}_sd"] for r in rows])
            ax.fill_between(xs, ys - sd, ys + sd, color=c, alpha=0.15)
    ax.plot(xs, [r["chance"] for r in rows], ":", color="grey", label="majority class")
    ax.set_xscale("log")
    ax.set_xlabel("training chorales")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0.4, 1.02)
    ax.set_title(title or "major or minor? discriminative vs generative")
    ax.legend(fontsize=7, loc="lower right")
    return ax
