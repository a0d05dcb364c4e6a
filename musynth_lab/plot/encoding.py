"""Figures of chapter 4: chord timelines and posteriors, transition matrices, embedding maps, latent paths.

Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import to_numpy
from ..data import CHORD_NAMES, N_MELODY_TOKENS, tokens_to_notes
from ..errors import ParameterError, as_array, as_float, as_mapping, as_sequence, check
from .core import axes_or_new, piano_roll

__all__ = ["chord_timeline", "posteriorgram", "transition_matrix", "embedding_map", "latent_path"]


def chord_timeline(times, tracks: dict, *, truth=None, ax=None, title: str | None = None):
    """Chord labels over time, one step line per track, the truth as a thick grey band.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Start of each beat or frame, seconds.
    tracks : dict of str -> np.ndarray [shape=(n,)]
        Chord indices (0..24) per system, e.g. ``{"HMM": ..., "templates": ...}``.
    truth : np.ndarray [shape=(n,)], optional

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = chord_timeline(np.arange(4.0), {"HMM": np.array([0, 0, 7, 0])}, truth=np.array([0, 5, 7, 0]))
    >>> ax.get_xlabel()
    'time (s)'

    Chapter: notebooks/04a_statistical.ipynb
    """
    as_array(times, "times", ndim=1)
    as_mapping(tracks, "tracks", numbers=True, allow_empty=True)
    if truth is not None:
        as_array(truth, "truth", integer=True)
    t = np.asarray(times, dtype=float)
    ax = axes_or_new(ax, (9, 3))
    used = set()
    if truth is not None:
        tr = np.asarray(truth).astype(int)
        check(tr.shape == t.shape, "truth", tr.shape, f"one label per time {t.shape}")
        ax.step(t, tr, where="post", color="0.75", lw=7, label="annotation")
        used |= set(tr.tolist())
    for i, (name, lab) in enumerate(tracks.items()):
        lab = np.asarray(lab).astype(int)
        check(lab.shape == t.shape, f"tracks[{name!r}]", lab.shape, f"one label per time {t.shape}")
        ax.step(t, lab + 0.15 * (i + 1), where="post", lw=1.4, label=name)
        used |= set(lab.tolist())
    ticks = sorted(used)
    ax.set_yticks(ticks)
    ax.set_yticklabels([CHORD_NAMES[k] for k in ticks], fontsize=7)
    ax.set_xlabel("time (s)")
    ax.legend(loc="upper right", fontsize=7, ncol=3)
    if title:
        ax.set_title(title)
    return ax


def posteriorgram(posteriors, *, times=None, ax=None, title: str | None = None):
    """State posteriors ``(n_frames, 25)`` as an image, chords on the vertical axis.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = posteriorgram(np.full((10, 25), 1 / 25))
    >>> len(ax.get_yticks())
    25

    Chapter: notebooks/04a_statistical.ipynb
    """
    as_array(posteriors, "posteriors", ndim=2)
    if times is not None:
        as_array(times, "times", ndim=1)
    P = np.asarray(to_numpy(posteriors), dtype=float)
    check(P.ndim == 2 and P.shape[1] == 25, "posteriors", P, "an array of shape (n_frames, 25)")
    ax = axes_or_new(ax, (9, 3.5))
    t = np.arange(len(P)) if times is None else np.asarray(times, dtype=float)
    ax.imshow(
        P.T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=[t[0], t[-1] if len(t) > 1 else t[0] + 1, -0.5, 24.5],
    )
    ax.set_yticks(range(25))
    ax.set_yticklabels(CHORD_NAMES, fontsize=5)
    ax.set_xlabel("time (s)" if times is not None else "frame")
    if title:
        ax.set_title(title)
    return ax


def transition_matrix(A, *, ax=None, title: str | None = None, log: bool = True):
    """A 25 x 25 chord transition matrix as an image (log probabilities by default).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = transition_matrix(np.full((25, 25), 0.04))
    >>> ax.get_ylabel()
    'from chord'

    Chapter: notebooks/04a_statistical.ipynb
    """
    as_array(A, "A", ndim=2)
    A = np.asarray(A, dtype=float)
    check(A.shape == (25, 25), "A", A, "a (25, 25) matrix")
    ax = axes_or_new(ax, (5, 4.5))
    img = ax.imshow(np.log10(A + 1e-6) if log else A, cmap="viridis", interpolation="nearest")
    ax.set_xticks(range(25))
    ax.set_yticks(range(25))
    ax.set_xticklabels(CHORD_NAMES, rotation=90, fontsize=5)
    ax.set_yticklabels(CHORD_NAMES, fontsize=5)
    ax.set_xlabel("to chord")
    ax.set_ylabel("from chord")
    ax.figure.colorbar(img, ax=ax, label="log10 P" if log else "P")
    if title:
        ax.set_title(title)
    return ax


def embedding_map(embeddings, labels, *, names=None, ax=None, title: str | None = None, method: str = "pca"):
    """A 2-D map of embeddings ``(n, dim)`` (PCA), one colour per label.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = embedding_map(np.random.default_rng(0).normal(size=(20, 5)), np.arange(20) % 2, names=["a", "b"])
    >>> ax.get_xlabel()
    'PC 1'

    Chapter: notebooks/04b_deep.ipynb
    """
    as_array(embeddings, "embeddings", ndim=2)
    if names is not None:
        as_sequence(names, "names")
    E = np.asarray(to_numpy(embeddings), dtype=float)
    check(
        labels is not None and not isinstance(labels, (str, bytes)),
        "labels",
        labels,
        "one label per embedding (an array or list)",
    )
    y = np.asarray(to_numpy(labels))
    check(y.ndim == 1, "labels", labels, f"a 1-D array of labels, got shape {y.shape}")
    check(E.ndim == 2 and len(E) >= 2, "embeddings", E, "an array of shape (n >= 2, dim)")
    check(len(y) == len(E), "labels", y.shape, f"one label per embedding ({len(E)})")
    if method != "pca":
        raise ParameterError(f"method={method!r}: expected 'pca'")
    Ec = E - E.mean(0)
    _, _, vt = np.linalg.svd(Ec, full_matrices=False)
    xy = Ec @ vt[:2].T if vt.shape[0] >= 2 else np.c_[Ec @ vt[:1].T, np.zeros(len(E))]
    ax = axes_or_new(ax, (5.5, 4.5))
    # matplotlib is imported where used: importing this module (and `import musynth_lab`) stays light
    import matplotlib

    classes = list(dict.fromkeys(sorted(y.tolist())))
    cmap = matplotlib.colormaps.get_cmap("tab20" if len(classes) > 10 else "tab10")
    for i, c in enumerate(classes):
        m = y == c
        label = names[c] if names is not None and isinstance(c, (int, np.integer)) else str(c)
        ax.scatter(xy[m, 0], xy[m, 1], s=12, color=cmap(i % cmap.N), label=label, alpha=0.8)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend(fontsize=6, ncol=2, markerscale=1.2, loc="best")
    if title:
        ax.set_title(title)
    return ax


def latent_path(token_rows, *, step: float = 0.5, ax=None, title: str | None = None):
    """Decoded melodies along a latent path, side by side as one piano roll with separators.

    Parameters
    ----------
    token_rows : array [shape=(n_points, n_steps)]
        Melody tokens per point of the path.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = latent_path(np.array([[30, 1, 32, 1], [31, 1, 33, 0]]))
    >>> ax.get_ylabel()
    'MIDI pitch'

    Chapter: notebooks/04b_deep.ipynb
    """
    as_array(token_rows, "token_rows", ndim=2, integer=True)
    step = as_float(step, "step", low=0, low_open=True)
    rows = as_array(token_rows, "token_rows", ndim=2, integer=True)
    check(rows.ndim == 2 and rows.size > 0, "token_rows", rows, "an array of shape (n_points, n_steps)")
    check(
        rows.min() >= 0 and rows.max() < N_MELODY_TOKENS,
        "token_rows",
        token_rows,
        f"melody token ids in 0..{N_MELODY_TOKENS - 1}",
    )
    n_pts, n_steps = rows.shape
    roll = np.zeros((88, n_pts * n_steps), dtype=bool)
    for i, toks in enumerate(rows):
        for on, dur, midi in tokens_to_notes(toks, step=1.0):
            roll[int(midi) - 21, i * n_steps + int(on) : i * n_steps + int(on + dur)] = True
    ax = piano_roll(roll, step=step, ax=ax, title=title)
    for i in range(1, n_pts):
        ax.axvline(i * n_steps * step, color="tab:red", lw=0.8, ls="--")
    return ax
