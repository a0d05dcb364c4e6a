"""CoherencePanel: pick a model and one of its samples -> piano roll, self-similarity, measures, audio.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError, check
from ..evaluate import coherence_report, roll_to_notes, self_similarity
from ..plot import piano_roll, similarity_matrix
from ..synth import render_notes
from ._base import Frame, Panel, dropdown, slider


def render_coherence(
    samples: dict,
    reference,
    *,
    model: str,
    sample: int = 0,
    bars: int = 4,
    voices: dict | None = None,
    step: float = 0.5,
    frames_per_bar: int = 8,
    sr: int = 16000,
    bpm: float = 90.0,
    instrument: str = "choir",
    _audio_cache: dict | None = None,
) -> dict:
    """The pure function behind :class:`CoherencePanel`: measure and render one precomputed sample.

    Parameters
    ----------
    samples : dict of str -> list of rolls
        Binary piano rolls ``(88, n_frames)`` per model (and for the data), computed once.
    reference : list of rolls
        What the measures compare with (the training chorales).
    model : str
        A key of ``samples``.
    sample : int
        Which roll of that model (taken modulo the number of rolls).
    bars : int
        How many bars (``frames_per_bar`` frames each) from the start of the roll to show, measure and play.
    voices : dict of str -> list of (n_frames, 4) grids, optional
        Labelled voices for the voice-leading counts (cut like the roll).

    Returns
    -------
    dict with ``roll`` ((88, n) bool), ``similarity`` ((n, n)), ``measures`` (a
    :func:`~musynth_lab.evaluate.coherence_report` row of this excerpt), ``audio`` (np.ndarray),
    ``sr``, ``step``, ``model``, ``index``.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales, piano_roll
    >>> rolls = [piano_roll(p, step=0.5) for p in load_chorales("test")[:2]]     # (88, n_frames) each
    >>> out = render_coherence({"data": rolls}, rolls, model="data", bars=2)
    >>> out["roll"].shape, out["similarity"].shape, out["audio"].ndim
    ((88, 16), (16, 16), 1)

    Chapter: notebooks/06c_coherence.ipynb
    """
    if model not in samples:
        raise ParameterError(f"model={model!r}: expected one of {sorted(samples)}")
    check(int(bars) >= 1, "bars", bars, "at least one bar")
    rolls = samples[model]
    index = int(sample) % len(rolls)
    n = min(rolls[index].shape[1], int(bars) * frames_per_bar)
    roll = np.asarray(rolls[index])[:, :n].astype(bool)
    vs = None
    if voices and model in voices:
        vs = {model: [np.asarray(voices[model][index])[:n]]}
    row = coherence_report({model: [roll]}, reference, voices=vs)[0]
    key = (model, index, n, instrument)
    if _audio_cache is not None and key in _audio_cache:
        audio = _audio_cache[key]
    else:
        notes = roll_to_notes(roll, step=step)
        audio = (
            render_notes(notes, bpm=bpm, sr=sr, instrument=instrument).cpu().numpy() if len(notes) else np.zeros(sr, np.float32)
        )
        if _audio_cache is not None:
            _audio_cache[key] = audio
    return {
        "roll": roll,
        "similarity": self_similarity(roll),
        "measures": row,
        "audio": audio,
        "sr": sr,
        "step": step,
        "model": model,
        "index": index,
    }


class CoherencePanel(Panel):
    """Choose a model (or the data) and one of its samples; see its roll and self-similarity, read its
    coherence measures, hear it. Everything is computed from samples drawn once, so it is instant.

    Parameters
    ----------
    samples : dict of str -> list of rolls
    reference : list of rolls
    voices : dict, optional
    **fixed
        Passed to :func:`render_coherence` (``sr``, ``bpm``, ``instrument``, ...).

    Examples
    --------
    >>> from musynth_lab.data import load_chorales, piano_roll
    >>> rolls = [piano_roll(p, step=0.5) for p in load_chorales("test")[:2]]
    >>> panel = CoherencePanel({"data": rolls}, rolls)
    >>> panel.controls["bars"].value = 2
    >>> panel.controls["model"].value, panel.result["roll"].shape, panel.renders
    ('data', (88, 16), 2)

    Chapter: notebooks/06c_coherence.ipynb
    """

    def __init__(self, samples: dict, reference, *, voices: dict | None = None, **fixed):
        names = list(samples)
        n_max = max(len(v) for v in samples.values())
        controls = {
            "model": dropdown("model", names, names[0]),
            "sample": slider("sample", min=0, max=max(n_max - 1, 1), value=0, integer=True),
            "bars": slider("bars", min=1, max=8, value=4, integer=True),
        }
        self.samples, self.reference, self.voices, self.fixed = samples, reference, voices, fixed
        self._cache: dict = {}
        super().__init__(controls, self._render, self._draw, title="Coherence", figsize=(10, 2.8))

    def _render(self, **values):
        return render_coherence(
            self.samples, self.reference, voices=self.voices, _audio_cache=self._cache, **values, **self.fixed
        )

    @staticmethod
    def _draw(result, fig):
        a, b = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.4, 1]})
        m = result["measures"]
        piano_roll(
            result["roll"],
            step=result["step"],
            ax=a,
            title=f"{result['model']} #{result['index']}: pc distance {m['pc_distance']:.3f}, "
            f"structure distance {m['structure_distance']:.3f}, "
            f"{m['vl_per_100']:.1f} violations / 100 steps",
        )
        similarity_matrix(result["roll"], step=result["step"], ax=b, title="self-similarity")
        return Frame(result["audio"], result["sr"])
