"""AttentionViewer: move the threshold, see what attention keeps, and hear only the kept regions.

Two kinds of example: a **spectrogram** (audio plus an attention map over its mel bands and
frames; what is kept is heard by masking the STFT outside the kept cells and inverting it)
and a **score** (a piano roll plus one weight per frame; what is kept is heard by
rendering only the notes under kept frames with a small additive voice).

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._base import Frame, Panel, dropdown, slider

__all__ = ["AttentionExample", "render_attention", "AttentionViewer", "NORMALISE_OPTIONS", "LISTEN_OPTIONS"]

#: How the viewer normalises weights before the threshold ('none' shows why normalising matters).
NORMALISE_OPTIONS = ("max", "minmax", "none")
#: What the viewer plays.
LISTEN_OPTIONS = ("kept", "dropped", "all")


@dataclass
class AttentionExample:
    """One thing to look at and listen to.

    Attributes
    ----------
    name : str
    kind : {'spectrogram', 'score'}
    weights : np.ndarray
        ``(n_mels, n_frames)`` for a spectrogram, ``(n_frames,)`` for a score.
    audio, sr, S_db, n_fft, hop_length, fmax :
        Spectrogram examples: mono audio, its rate, its log-mel ``(n_mels, n_frames)`` and
        the STFT it was computed with (``n_frames = 1 + len(audio) // hop_length``).
    roll, notes, step, low, bpm :
        Score examples: piano roll ``(n_keys, n_frames)``, notes (onset, duration, MIDI) in
        quarter notes, frame length in quarters, MIDI of row 0, tempo.

    Examples
    --------
    >>> ex = AttentionExample("toy", "score", np.array([0.1, 0.7, 0.2]), roll=np.ones((88, 3), bool),
    ...                       notes=np.array([[0, 1, 60], [1, 1, 64], [2, 1, 67]]))
    >>> ex.kind, ex.weights.shape, ex.step
    ('score', (3,), 1.0)

    Chapter: notebooks/02_attention.ipynb
    """

    name: str
    kind: str
    weights: np.ndarray
    audio: np.ndarray | None = None
    sr: int = 16000
    S_db: np.ndarray | None = None
    n_fft: int = 1024
    hop_length: int = 512
    fmax: float | None = None
    roll: np.ndarray | None = None
    notes: np.ndarray | None = field(default=None, repr=False)
    step: float = 1.0
    low: int = 21
    bpm: float = 100.0


def render_attention(example: AttentionExample, threshold: float = 0.5, normalise: str = "max",
                     listen: str = "kept") -> dict:
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
    from ..attention import hard_select, kept_notes, listen_to_kept, normalise_scores, render_notes
    from ..errors import ParameterError

    if normalise not in NORMALISE_OPTIONS:
        raise ParameterError(f"normalise={normalise!r}: expected one of {NORMALISE_OPTIONS}")
    if listen not in LISTEN_OPTIONS:
        raise ParameterError(f"listen={listen!r}: expected one of {LISTEN_OPTIONS}")
    w = normalise_scores(np.asarray(example.weights, dtype=np.float32), normalise, dim=-1) \
        if example.kind == "score" else _normalise_map(example.weights, normalise)
    keep = hard_select(w, float(threshold))
    if example.kind == "spectrogram":
        whole = np.asarray(example.audio, dtype=np.float32)
        if listen == "all":
            audio = whole
        else:
            audio = listen_to_kept(whole, keep, sr=example.sr, n_fft=example.n_fft,
                                   hop_length=example.hop_length, grid="mel", fmax=example.fmax,
                                   invert=(listen == "dropped"))
        peak = float(np.abs(whole).max()) or 1.0
    elif example.kind == "score":
        sel = kept_notes(example.notes, keep, step=example.step)
        chosen = {"kept": sel, "dropped": ~sel, "all": np.ones_like(sel)}[listen]
        whole = render_notes(example.notes, sr=example.sr, bpm=example.bpm)
        audio = render_notes(example.notes[chosen], sr=example.sr, bpm=example.bpm) if chosen.any() \
            else np.zeros(1, np.float32)
        audio = np.pad(audio, (0, max(0, len(whole) - len(audio))))[: len(whole)]
        peak = float(np.abs(whole).max()) or 1.0
    else:
        raise ParameterError(f"example.kind={example.kind!r}: expected 'spectrogram' or 'score'")
    audio = (audio * (0.89 / peak)).astype(np.float32)     # the whole at -1 dBFS; parts at their own level
    return {"weights": w, "keep": keep, "fraction_kept": float(np.mean(keep)), "audio": audio,
            "sr": example.sr, "example": example}


def _normalise_map(weights, method):
    from ..attention import normalise_scores

    w = np.asarray(weights, dtype=np.float32)
    return normalise_scores(w.reshape(1, -1), method).reshape(w.shape)   # over all cells of the map


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
        from ..errors import ParameterError

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
        from ..plot import attention_over_score, attention_over_spectrogram

        ex = result["example"]
        ax = fig.add_subplot()
        title = f"{ex.name}: {100 * result['fraction_kept']:.0f}% kept"
        if ex.kind == "spectrogram":
            attention_over_spectrogram(ex.S_db, result["weights"], sr=ex.sr, hop_length=ex.hop_length,
                                       keep=result["keep"], title=title, ax=ax)
        else:
            attention_over_score(ex.roll, result["weights"], step=ex.step, low=ex.low, keep=result["keep"],
                                 title=title, ax=ax)
        return Frame(result["audio"], result["sr"], normalize_peak=False)

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_instrument_demo(cls, result, *, n: int = 5, **kw) -> "AttentionViewer":
        """Examples from :func:`musynth_lab.models.attention_demos.train_instrument_classifier`'s test notes.

        Takes one test note per instrument (the first ``n`` instruments).
        """
        return cls(instrument_examples(result, n=n), **kw)

    @classmethod
    def from_mode_demo(cls, result, *, n: int = 4, **kw) -> "AttentionViewer":
        """Examples from :func:`musynth_lab.models.attention_demos.train_mode_classifier`'s test chorales."""
        return cls(mode_examples(result, n=n), **kw)


def instrument_examples(result, *, n: int = 5) -> list:
    """One :class:`AttentionExample` per instrument (first ``n``) from the instrument demo's test notes.

    Chapter: notebooks/02_attention.ipynb
    """
    from ..models.attention_demos import MEL

    d = result.data
    picks = [int(np.flatnonzero(d.y_test == c)[len(np.flatnonzero(d.y_test == c)) // 2]) for c in range(min(n, len(d.names)))]
    maps = result.model.attention_map(d.x_test[picks])
    out = []
    for i, m in zip(picks, maps):
        s_db = d.x_test[i, 0] * 25.0 - 50.0
        out.append(AttentionExample(f"{d.names[d.y_test[i]]} (MIDI {int(d.pitch_test[i])})", "spectrogram", m,
                                    audio=np.asarray(d.audio_test[i], dtype=np.float32), sr=d.sr, S_db=s_db,
                                    n_fft=MEL["n_fft"], hop_length=MEL["hop_length"]))
    return out


def mode_examples(result, *, n: int = 4, max_frames: int = 32, sr: int = 8000) -> list:
    """Score examples (first ``n`` test chorales) from the mode demo, with the model's frame weights.

    Only the first ``max_frames`` beats are shown and rendered (at ``sr``), which keeps the
    player light in a notebook; the weights shown are those the model gave over the whole piece.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> from musynth_lab.models.attention_demos import ModeData, train_mode_classifier
    >>> x = np.zeros((2, 40, 24), np.float32); mask = np.ones((2, 40), bool); y = np.array([0, 1])
    >>> data = ModeData(x, mask, y, x, mask, y, pieces_test=load_chorales("test")[:2])   # a tiny stand-in
    >>> result = train_mode_classifier(epochs=1, device="cpu", data=data)
    >>> exs = mode_examples(result, n=2, max_frames=16)
    >>> len(exs), exs[0].kind, exs[0].weights.shape, exs[0].roll.shape
    (2, 'score', (16,), (88, 16))

    Chapter: notebooks/02_attention.ipynb
    """
    from ..data import piano_roll

    d = result.data
    w = np.asarray(result.extra["test_weights"])                    # computed when the demo was measured
    out = []
    for i in range(min(n, len(d.pieces_test))):
        p = d.pieces_test[i]
        n_frames = min(int(d.mask_test[i].sum()), int(max_frames))
        notes = np.concatenate([p.parts[k] for k in ("S", "A", "T", "B")])
        notes = notes[notes[:, 0] < n_frames * d.step]
        roll = piano_roll(p, step=d.step)[:, :n_frames]
        out.append(AttentionExample(f"{p.id} ({p.key_name})", "score", w[i, :n_frames], roll=roll, notes=notes,
                                    step=d.step, sr=int(sr), bpm=100.0))
    return out
