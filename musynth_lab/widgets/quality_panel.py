"""QualityPanel: training-set size and remedy -> learning curve, gap, and a sampled melody to hear.

Chapter: notebooks/06b_quality.ipynb
"""

from __future__ import annotations

import functools

import numpy as np

from ..data import MELODY_LOW, load_chorales, notes_to_roll, tokens_to_notes
from ..errors import ParameterError
from ..evaluate import copied_fraction
from ..generate import sample
from ..lessons import quality
from ..models import lm
from ..plot import learning_curves, piano_roll
from ..synth import render_notes
from ._base import Frame, Panel, dropdown, slider


@functools.lru_cache(maxsize=16)
def _training_melodies_and_real_copying(size: int, data_seed: int, copy_n: int):
    """The training melodies of ``size`` chorales and the mean copied fraction of the test chorales against them.

    Neither depends on the sampling controls, so a render that only moves seed or temperature reuses them
    (computing them costs about 2 s).
    """
    train = quality.melodies(quality.choose_pieces(size, seed=data_seed))
    test = quality.melodies(load_chorales("test"))
    real = float(np.mean([copied_fraction(t, train, n=copy_n) for t in test]))
    return train, real


def _find(rows, size, remedy):
    for r in rows:
        if r["size"] == size and r.get("remedy", "none") == remedy:
            return r
    return None


def render_quality(
    rows,
    *,
    size: int,
    remedy: str = "none",
    seed: int = 0,
    temperature: float = 1.0,
    steps: int = 48,
    prompt=None,
    data_seed: int = 0,
    copy_n: int = 8,
    sr: int = 16000,
    bpm: float = 100.0,
    instrument: str = "piano",
):
    """Look up a trained model by (training size, remedy), sample from it, and render: the panel's pure function.

    Nothing is trained here: ``rows`` are results computed once (the rows of
    :func:`musynth_lab.lessons.quality.learning_curve` and ``remedies`` run with
    ``keep_models=True``), so the panel answers at once.

    Parameters
    ----------
    rows : list of dict
        Each with ``size``, ``train_nll``, ``test_nll``, optionally ``remedy`` (``'none'`` when
        absent) and ``model`` (a melody-token LSTM to sample from).
    size : int
        Training chorales.
    remedy : str
        A remedy measured at that size.
    seed, temperature, steps : sampling settings (:func:`musynth_lab.generate.sample`).
    prompt : 1-D int array, optional
        Tokens to continue (default: one note, C5).
    data_seed : int
        The seed the models' training pieces were chosen with (:func:`~musynth_lab.lessons.quality.choose_pieces`),
        to measure how much of the sample is copied from them.
    copy_n : int
        n-gram length for the copied fraction.

    Returns
    -------
    dict with ``row`` (the chosen row, or ``None`` if that combination was not measured),
    ``curve`` (the ``'none'`` rows by size), ``tokens``, ``notes`` ((n, 3)), ``audio``
    (np.ndarray, or ``None`` without a model), ``sr``, ``copied`` (fraction of the sample's
    ``copy_n``-grams found in the training melodies), ``copied_real`` (the same for the test
    chorales: what real unseen music shares with the training set) and ``message``.

    Examples
    --------
    >>> rows = [dict(size=8, train_nll=0.8, test_nll=2.2), dict(size=299, train_nll=1.2, test_nll=1.2)]
    >>> r = render_quality(rows, size=8)
    >>> round(r["row"]["test_nll"] - r["row"]["train_nll"], 2), r["audio"] is None
    (1.4, True)

    Chapter: notebooks/06b_quality.ipynb
    """
    rows = list(rows)
    sizes = sorted({r["size"] for r in rows})
    if size not in sizes:
        raise ParameterError(f"size={size!r}: expected one of {sizes}")
    remedies = sorted({r.get("remedy", "none") for r in rows})
    if remedy not in remedies:
        raise ParameterError(f"remedy={remedy!r}: expected one of {remedies}")
    curve = sorted((r for r in rows if r.get("remedy", "none") == "none"), key=lambda r: r["size"])
    row = _find(rows, size, remedy)
    out = {
        "row": row,
        "curve": curve,
        "tokens": None,
        "notes": np.zeros((0, 3)),
        "audio": None,
        "sr": sr,
        "copied": None,
        "size": size,
        "remedy": remedy,
    }
    if row is None:
        out["message"] = f"'{remedy}' was not measured with {size} training chorales: pick another size."
        return out
    gap = row["test_nll"] - row["train_nll"]
    out["message"] = (
        f"{size} chorales, {remedy}: train {row['train_nll']:.2f}, test {row['test_nll']:.2f}, gap {gap:.2f} nats/token"
    )
    if row.get("model") is None:
        return out
    prompt = np.asarray([2 + 72 - MELODY_LOW] if prompt is None else prompt, dtype=np.int64)
    step = lm.next_step(row["model"], device="cpu")
    tokens = sample(step, prompt, steps=steps, temperature=temperature, seed=seed)[0].numpy()
    notes = tokens_to_notes(tokens)
    train, real = _training_melodies_and_real_copying(int(size), int(data_seed), int(copy_n))
    out.update(tokens=tokens, notes=notes, copied=copied_fraction(tokens, train, n=copy_n), copied_real=real)
    out["message"] += (
        f"\n{100 * out['copied']:.0f}% of the sample's {copy_n}-grams occur in its training melodies "
        f"(unseen real chorales: {100 * real:.0f}%)"
    )
    if len(notes):
        out["audio"] = render_notes(notes, bpm=bpm, sr=sr, instrument=instrument).cpu().numpy()
    return out


class QualityPanel(Panel):
    """Choose a training-set size and a remedy; see the learning curve and the gap, hear a sample.

    Parameters
    ----------
    rows : list of dict
        Rows of ``quality.learning_curve`` and ``quality.remedies`` with trained models
        (``keep_models=True``); computed once in the notebook, so the panel is instant.
    **fixed
        Passed to :func:`render_quality` (``steps``, ``prompt``, ``data_seed``, ``sr``, ...).

    Examples
    --------
    >>> rows = [dict(size=8, train_nll=0.8, test_nll=2.2), dict(size=299, train_nll=1.2, test_nll=1.2)]
    >>> panel = QualityPanel(rows)                        # rows without models: curve and gap only
    >>> panel.controls["size"].value = 299
    >>> panel.controls["remedy"].value, panel.result["message"]
    ('none', '299 chorales, none: train 1.20, test 1.20, gap 0.00 nats/token')

    Chapter: notebooks/06b_quality.ipynb
    """

    def __init__(self, rows, **fixed):
        rows = list(rows)
        sizes = sorted({r["size"] for r in rows})
        remedies = ["none"] + sorted({r.get("remedy", "none") for r in rows} - {"none"})
        controls = {
            "size": dropdown("training chorales", sizes, sizes[0]),
            "remedy": dropdown("remedy", remedies, "none"),
            "temperature": slider("temperature", min=0.2, max=1.5, value=1.0, step=0.1),
            "seed": slider("seed", min=0, max=20, value=0, integer=True),
        }
        self.rows, self.fixed = rows, fixed
        super().__init__(controls, self._render, self._draw, title="Quality: data size, remedies, samples", figsize=(11, 3))

    def _render(self, **values):
        return render_quality(self.rows, **values, **self.fixed)

    @staticmethod
    def _draw(result, fig):
        axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
        learning_curves(result["curve"], by=None, ax=axes[0], highlight=result["row"])
        row = result["row"]
        if row is not None and row.get("remedy", "none") != "none":
            axes[0].plot([row["size"]], [row["test_nll"]], "*", ms=12, color="tab:red", label=row["remedy"])
            axes[0].legend(fontsize=7)
        if len(result["notes"]):
            piano_roll(notes_to_roll(result["notes"], step=0.5), step=0.5, ax=axes[1], title="a sample")
        else:
            axes[1].axis("off")
        fig.suptitle(result["message"], fontsize=9)
        return Frame(result["audio"], result["sr"])
