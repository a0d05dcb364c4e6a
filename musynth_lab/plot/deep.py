"""Figures for the deep-learning concepts of chapter 1: filters, activations, confusion, frames, melodies.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import as_array, as_float, as_int, as_sequence

from ..audio import to_numpy
from ..errors import check
from .core import axes_or_new

__all__ = ["cnn_filters", "feature_maps", "confusion", "channel_response", "frame_labels", "melody", "adaptation_curves"]


def cnn_filters(kernels, *, fig=None, title: str | None = "first-layer filters (rows: frequency, columns: time)"):
    """Show 2-D kernels ``(n_filters, kh, kw)`` side by side; returns the list of axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> len(cnn_filters(np.random.randn(8, 3, 3)))
    8

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    as_array(kernels, "kernels", min_ndim=2)
    k = to_numpy(kernels)
    check(k.ndim == 3 and len(k) > 0, "kernels", k, "an array (n_filters, height, width)")
    n = len(k)
    if fig is None:
        # matplotlib is imported where used: importing this module (and `import musynth_lab`) stays light
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(1.1 * n, 1.6))
    axes = fig.subplots(1, n, squeeze=False)[0]
    lim = float(np.abs(k).max()) or 1.0
    for i, (ax, w) in enumerate(zip(axes, k)):
        ax.imshow(w, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"#{i}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return list(axes)


def feature_maps(maps, *, n: int = 8, fig=None, title: str | None = None):
    """Show the first ``n`` channels of one example's feature maps ``(channels, freq, time)``; returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> axes = feature_maps(np.random.default_rng(0).random((16, 20, 30)), n=4)
    >>> len(axes), axes[0].get_ylabel()
    (4, 'freq')
    >>> plt.close("all")

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    as_array(maps, "maps", ndim=3)
    n = as_int(n, "n", high=1024)
    m = to_numpy(maps)
    check(m.ndim == 3 and len(m) > 0, "maps", m, "an array (channels, freq, time)")
    n = min(int(n), len(m))
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(1.4 * n, 1.8))
    axes = fig.subplots(1, n, squeeze=False)[0]
    for i, ax in enumerate(axes):
        ax.imshow(m[i], origin="lower", aspect="auto", cmap="magma")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"ch {i}", fontsize=8)
    axes[0].set_ylabel("freq", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return list(axes)


def confusion(y_true, y_pred, *, names, ax=None, title: str | None = None):
    """Confusion matrix (rows: truth, columns: prediction, counts); returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = confusion([0, 1, 1], [0, 1, 0], names=["a", "b"])
    >>> ax.get_ylabel()
    'true'

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    as_array(y_true, "y_true", ndim=1, integer=True)
    as_array(y_pred, "y_pred", ndim=1, integer=True)
    as_sequence(names, "names", min_len=1)
    t = np.asarray(to_numpy(y_true)).astype(int).ravel()
    p = np.asarray(to_numpy(y_pred)).astype(int).ravel()
    k = len(names)
    check(t.min() >= 0 and t.max() < k, "y_true", y_true, f"class indices in 0..{k - 1} (one name per class)")
    check(p.min() >= 0 and p.max() < k, "y_pred", y_pred, f"class indices in 0..{k - 1} (one name per class)")
    check(len(t) == len(p) and len(t) > 0, "y_pred", p, f"as many predictions as labels ({len(t)})")
    check(t.max() < k and p.max() < k and min(t.min(), p.min()) >= 0, "names", names, "one name per class index")
    M = np.zeros((k, k), dtype=int)
    np.add.at(M, (t, p), 1)
    ax = axes_or_new(ax, (4.5, 4))
    ax.imshow(M, cmap="Blues")
    for i in range(k):
        for j in range(k):
            if M[i, j]:
                ax.text(j, i, M[i, j], ha="center", va="center", fontsize=7, color="white" if M[i, j] > M.max() / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_xticklabels(names, rotation=60, fontsize=7)
    ax.set_yticks(range(k))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return ax


def channel_response(response, *, names, ax=None, title: str | None = "what each last-layer channel responds to"):
    """Heat map of :func:`musynth_lab.models.cnn.channel_class_response` ``(channels, classes)``; returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> R = np.random.default_rng(0).random((8, 3))                  # 8 channels, 3 classes
    >>> ax = channel_response(R, names=["flute", "organ", "piano"])
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('channel', ['flute', 'organ', 'piano'])
    >>> plt.close("all")

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    as_array(response, "response", ndim=2)
    as_sequence(names, "names", min_len=1)
    R = to_numpy(response)
    check(R.ndim == 2 and R.shape[1] == len(names), "response", R, f"an array (channels, {len(names)})")
    ax = axes_or_new(ax, (5, 3.5))
    img = ax.imshow(R.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel("channel")
    ax.figure.colorbar(img, ax=ax, label="mean activation / channel max")
    if title:
        ax.set_title(title)
    return ax


_PCS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def frame_labels(truth, *predictions, labels=("truth",), hop_s: float | None = None, fig=None, title: str | None = None):
    """Pitch classes per frame ``(n_frames, 12)``: the truth and each model's decisions, stacked; returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> T = np.random.rand(50, 12) > .7
    >>> len(frame_labels(T, T, labels=("truth", "model")))
    2

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    as_array(truth, "truth", ndim=2)
    as_sequence(labels, "labels", min_len=1)
    hop_s = as_float(hop_s, "hop_s", low=0, low_open=True, allow_none=True)
    rows = [to_numpy(truth)] + [to_numpy(p) for p in predictions]
    check(
        all(r.ndim == 2 and r.shape == rows[0].shape and r.shape[1] == 12 for r in rows),
        "truth",
        rows[0],
        "arrays (n_frames, 12) of equal shape",
    )
    labels = list(labels) + [f"model {i}" for i in range(len(labels), len(rows))]
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(9, 1.4 * len(rows) + 0.4))
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    extent = None
    if hop_s:
        extent = [0, rows[0].shape[0] * hop_s, -0.5, 11.5]
    for ax, r, name in zip(axes, rows, labels):
        ax.imshow(
            r.T.astype(float), origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest", extent=extent
        )
        ax.set_yticks(range(0, 12, 2))
        ax.set_yticklabels(_PCS[::2], fontsize=7)
        ax.set_ylabel(name, fontsize=8)
    axes[-1].set_xlabel("time (s)" if hop_s else "frame")
    if title:
        axes[0].set_title(title)
    return list(axes)


def melody(*melodies, labels=None, ax=None, title: str | None = None, scale=None):
    """Draw MIDI melodies ``(length,)`` as step lines; ``scale`` (pitch classes) shades the in-key rows.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = melody([60, 62, 64], [67, 65, 64], labels=["a", "b"])
    >>> ax.get_ylabel()
    'MIDI pitch'

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    if labels is not None:
        as_sequence(labels, "labels")
    check(len(melodies) > 0, "melodies", melodies, "at least one melody")
    ms = [np.asarray(to_numpy(m)).ravel() for m in melodies]
    ax = axes_or_new(ax, (7, 2.8))
    lo = min(int(m.min()) for m in ms) - 1
    hi = max(int(m.max()) for m in ms) + 1
    if scale is not None:
        for p in range(lo, hi + 1):
            if p % 12 in set(scale):
                ax.axhspan(p - 0.5, p + 0.5, color="0.92", zorder=0)
    labels = labels or [None] * len(ms)
    for i, (m, lab) in enumerate(zip(ms, labels)):
        ax.step(np.arange(len(m) + 1), np.r_[m, m[-1]], where="post", lw=2, label=lab, color=f"C{i}")
    ax.set_xlabel("note")
    ax.set_ylabel("MIDI pitch")
    if any(labels):
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def adaptation_curves(result, *, ax=None, title: str | None = None):
    """Query accuracy against adaptation steps for the pretrained and the meta-learned start, with scratch and chance.

    ``result`` is a :class:`musynth_lab.models.transfer.TransferResult`; returns the axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from musynth_lab.models.transfer import TransferResult
    >>> res = TransferResult("flute", 1, scratch=0.3, zero_shot=0.2, fine_tuned=0.6, meta_zero_shot=0.1,
    ...                      meta_adapted=0.7, curves={"pretrained": [0.2, 0.5, 0.6], "meta": [0.1, 0.5, 0.7]})
    >>> ax = adaptation_curves(res)
    >>> ax.get_title(), len(ax.lines)                                # two curves + scratch + chance
    ('flute: 1 labelled note(s) per pitch class', 4)
    >>> plt.close("all")

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    check(
        all(hasattr(result, a) for a in ("curves", "scratch", "chance", "instrument", "shots"))
        and isinstance(result.curves, dict),
        "result",
        result,
        "a TransferResult (musynth_lab.models.transfer) with curves, scratch, chance, instrument and shots",
    )
    ax = axes_or_new(ax, (6, 3.2))
    for name, label in (("pretrained", "pretrained + fine-tune (transfer)"), ("meta", "Reptile start + adapt (meta)")):
        c = result.curves.get(name)
        if c:
            ax.plot(range(len(c)), c, marker=".", label=label)
    ax.axhline(result.scratch, color="C3", ls="--", label="from scratch on the same notes")
    ax.axhline(result.chance, color="grey", ls=":", label="chance (1/12)")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("adaptation steps (SGD, full batch)")
    ax.set_ylabel("accuracy on unseen notes")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or f"{result.instrument}: {result.shots} labelled note(s) per pitch class")
    return ax
