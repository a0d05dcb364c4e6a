"""AttentionViewer: move the threshold, see what attention keeps, and hear only the kept regions.

Two kinds of example: a **spectrogram** (audio plus an attention map over its mel bands and
frames; what is kept is heard by masking the STFT outside the kept cells and inverting it)
and a **score** (a piano roll plus one weight per frame; what is kept is heard by
rendering only the notes under kept frames with a small additive voice).

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import numpy as np

from ..attention import hard_select, kept_notes, listen_to_kept, normalise_scores, render_notes
from ..errors import ParameterError
from ..lessons.attention import AttentionExample, instrument_examples, mode_examples
from ..plot import attention_over_score, attention_over_spectrogram
from ._base import Frame, Panel, dropdown, slider

__all__ = ["render_attention", "AttentionViewer", "NORMALISE_OPTIONS", "LISTEN_OPTIONS"]

#: How the viewer normalises weights before the threshold ('none' shows why normalising matters).
NORMALISE_OPTIONS = ("max", "minmax", "none")
#: What the viewer plays.
LISTEN_OPTIONS = ("kept", "dropped", "all")


def render_attention(example: AttentionExample, threshold: float = 0.5, normalise: str = "max", listen: str = "kept") -> dict:
    """Pure render: normalise, select with the threshold, and make the audio to hear.

    Returns
    -------
    dict
        ``weights`` (normalised), ``keep`` (bool, the weights' shape), ``fraction_kept``,
        ``audio`` (float32), ``sr``, ``example``.

    Examples
    --------
    >>> ex = AttentionExample("toy", "score", np.array([0.1, 0.7, 0.2]),
    ...                       roll=np.ones((88, 3), bool), notes=np.array([[0, 1, 60], [1, 1, 64], [2, 1, 67]]))
    >>> r = render_attention(ex, 0.5)
    >>> r["keep"].tolist(), r["audio"].dtype.name
    ([False, True, False], 'float32')

    Chapter: notebooks/02_attention.ipynb
    """
    if normalise not in NORMALISE_OPTIONS:
        raise ParameterError(f"normalise={normalise!r}: expected one of {NORMALISE_OPTIONS}")
    if listen not in LISTEN_OPTIONS:
        raise ParameterError(f"listen={listen!r}: expected one of {LISTEN_OPTIONS}")
    w = (
        normalise_scores(np.asarray(example.weights, dtype=np.float32), normalise, dim=-1)
        if example.kind == "score"
        else _normalise_map(example.weights, normalise)
    )
    keep = hard_select(w, float(threshold))
    if example.kind == "spectrogram":
        whole = np.asarray(example.audio, dtype=np.float32)
        if listen == "all":
            audio = whole
        else:
            audio = listen_to_kept(
                whole,
                keep,
                sr=example.sr,
                n_fft=example.n_fft,
                hop_length=example.hop_length,
                grid="mel",
                fmax=example.fmax,
                invert=(listen == "dropped"),
            )
        peak = float(np.abs(whole).max()) or 1.0
    elif example.kind == "score":
        sel = kept_notes(example.notes, keep, step=example.step)
        chosen = {"kept": sel, "dropped": ~sel, "all": np.ones_like(sel)}[listen]
        whole = render_notes(example.notes, sr=example.sr, bpm=example.bpm)
        audio = render_notes(example.notes[chosen], sr=example.sr, bpm=example.bpm) if chosen.any() else np.zeros(1, np.float32)
        audio = np.pad(audio, (0, max(0, len(whole) - len(audio))))[: len(whole)]
        peak = float(np.abs(whole).max()) or 1.0
    else:
        raise ParameterError(f"example.kind={example.kind!r}: expected 'spectrogram' or 'score'")
    audio = (audio * (0.89 / peak)).astype(np.float32)  # the whole at -1 dBFS; parts at their own level
    return {
        "weights": w,
        "keep": keep,
        "fraction_kept": float(np.mean(keep)),
        "audio": audio,
        "sr": example.sr,
        "example": example,
        "threshold": float(threshold),
    }


def _normalise_map(weights, method):
    w = np.asarray(weights, dtype=np.float32)
    return normalise_scores(w.reshape(1, -1), method).reshape(w.shape)  # over all cells of the map


class AttentionViewer(Panel):
    """Move the threshold; see the kept cells or notes highlighted; hear only them.

    Parameters
    ----------
    examples : list of AttentionExample
        Build them with :meth:`from_instrument_demo` or :meth:`from_mode_demo`, or by hand.
    threshold : float
        Starting threshold (the source's 0.5).
    normalise : {'max', 'minmax', 'none'}
        'none' applies the threshold to softmax weights as they are: they sum to one over
        hundreds of cells, so almost nothing is ever above 0.5.

    Examples
    --------
    >>> viewer = AttentionViewer.from_mode_demo(result)   # doctest: +SKIP
    >>> viewer.controls["threshold"].value = 0.8          # doctest: +SKIP
    >>> viewer.result["fraction_kept"]                    # doctest: +SKIP

    Chapter: notebooks/02_attention.ipynb
    """

    def __init__(self, examples, *, threshold: float = 0.5, normalise: str = "max", listen: str = "kept"):
        examples = list(examples)
        if not examples or not all(isinstance(e, AttentionExample) for e in examples):
            raise ParameterError("examples: expected a non-empty list of AttentionExample")
        self.examples = {e.name: e for e in examples}
        controls = {
            "example": dropdown("example", list(self.examples), examples[0].name),
            "threshold": slider("threshold", min=0.0, max=1.0, value=threshold, step=0.01),
            "normalise": dropdown("normalise by", NORMALISE_OPTIONS, normalise),
            "listen": dropdown("listen to", LISTEN_OPTIONS, listen),
        }
        super().__init__(controls, self._render, self._draw, title="What does the model attend to?", figsize=(8, 3))

    def _render(self, example, threshold, normalise, listen):
        return render_attention(self.examples[example], threshold, normalise, listen)

    @staticmethod
    def _draw(result, fig):
        ex = result["example"]
        ax = fig.add_subplot()
        title = f"{ex.name}: weight >= {result['threshold']:.2f} kept ({100 * result['fraction_kept']:.0f}% of cells)"
        if ex.kind == "spectrogram":
            attention_over_spectrogram(
                ex.S_db, result["weights"], sr=ex.sr, hop_length=ex.hop_length, keep=result["keep"], title=title, ax=ax
            )
        else:
            # above the score: each frame's weight against the threshold line, so every move shows
            ax.remove()
            top, ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 3]})
            w = np.asarray(result["weights"], dtype=float).reshape(-1)
            t = np.arange(len(w) + 1) * ex.step
            top.stairs(w, t, fill=True, alpha=0.5, color="tab:orange")
            top.axhline(result["threshold"], color="tab:red", ls="--", lw=1.2)
            top.set_ylim(0, max(1.05, float(w.max()) * 1.05) if len(w) else 1.05)
            top.set_ylabel("weight", fontsize=8)
            top.set_title(title)
            attention_over_score(ex.roll, result["weights"], step=ex.step, low=ex.low, keep=result["keep"], title="", ax=ax)
        return Frame(result["audio"], result["sr"], normalize_peak=False)

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_instrument_demo(cls, result, *, n: int = 5, **kw) -> "AttentionViewer":
        """Examples from :func:`musynth_lab.lessons.attention.train_instrument_classifier`'s test notes.

        Takes one test note per instrument (the first ``n`` instruments).
        """
        return cls(instrument_examples(result, n=n), **kw)

    @classmethod
    def from_mode_demo(cls, result, *, n: int = 4, **kw) -> "AttentionViewer":
        """Examples from :func:`musynth_lab.lessons.attention.train_mode_classifier`'s test chorales."""
        return cls(mode_examples(result, n=n), **kw)
