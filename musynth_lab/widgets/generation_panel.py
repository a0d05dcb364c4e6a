"""GenerationPanel: model, strategy, temperature, beam width, schedule -> piano roll and audio.

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np

from ..data import MELODY_LOW, N_MELODY_TOKENS, notes_to_roll, tokens_to_notes
from ..errors import ParameterError
from ..generate import beam_search, greedy, sample, sequence_log_prob, temperature_schedule
from ..models.rl import MelodyRules
from ..plot import piano_roll
from ..synth import render_notes
from ._base import Frame, Panel, dropdown, slider

STRATEGIES = ("greedy", "sample", "top-k", "top-p", "annealed", "beam")


def render_generation(
    models: dict,
    prompt,
    *,
    model: str,
    strategy: str,
    temperature: float = 1.0,
    top_k: int = 5,
    top_p: float = 0.9,
    beam_width: int = 4,
    steps: int = 32,
    seed: int = 0,
    schedule: str = "geometric",
    step_q: float = 0.5,
    key_tonic_pc: int | None = None,
    key_mode: str = "major",
    sr: int = 16000,
    bpm: float = 96.0,
    instrument: str = "piano",
):
    """Generate a melody continuation and render it: the pure function behind the panel.

    Parameters
    ----------
    models : dict of str -> callable
        Next-step models ``prefix (B, t) -> log-probs (B, vocab)`` over melody tokens.
    prompt : 1-D int array
        Melody tokens to continue.
    model, strategy : str
        A key of ``models``; one of ``greedy``, ``sample``, ``top-k``, ``top-p``, ``annealed``
        (temperature falls from ``temperature`` to 0.05 over the steps along ``schedule``:
        ``'geometric'``, ``'linear'`` or ``'logarithmic'``), ``beam``.
    key_tonic_pc, key_mode : optional
        With ``beam``, the melody must end on a note of the tonic (a constraint); also the key
        for counting rule violations (C major by default).

    Returns
    -------
    dict with ``tokens`` (np.ndarray), ``notes`` ((n, 3) rows), ``roll`` ((88, n_frames) bool),
    ``audio`` (np.ndarray), ``sr``, ``log_prob`` (nats of the new tokens), ``violations`` (dict).

    Examples
    --------
    >>> from musynth_lab.data import N_MELODY_TOKENS, load_chorales
    >>> from musynth_lab.stats.ngram import NGramModel
    >>> pieces = load_chorales("train")[:10]
    >>> bigram = NGramModel(2, vocab_size=N_MELODY_TOKENS).fit([p.melody_tokens() for p in pieces])
    >>> prompt = pieces[0].melody_tokens()[:4]
    >>> out = render_generation({"bigram": bigram}, prompt, model="bigram", strategy="greedy", steps=8)
    >>> out["tokens"].shape, out["roll"].shape[0], out["log_prob"] <= 0
    ((12,), 88, True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    if model not in models:
        raise ParameterError(f"model={model!r}: expected one of {sorted(models)}")
    if strategy not in STRATEGIES:
        raise ParameterError(f"strategy={strategy!r}: expected one of {STRATEGIES}")
    m = models[model]
    prompt = np.asarray(prompt, dtype=np.int64)
    if strategy == "greedy":
        seq = greedy(m, prompt, steps=steps)[0]
    elif strategy == "sample":
        seq = sample(m, prompt, steps=steps, temperature=temperature, seed=seed)[0]
    elif strategy == "top-k":
        seq = sample(m, prompt, steps=steps, temperature=temperature, top_k=top_k, seed=seed)[0]
    elif strategy == "top-p":
        seq = sample(m, prompt, steps=steps, temperature=temperature, top_p=top_p, seed=seed)[0]
    elif strategy == "annealed":
        sched = temperature_schedule(schedule, t_start=max(temperature, 0.05), t_end=0.05, steps=steps)
        seq = sample(m, prompt, steps=steps, schedule=sched, seed=seed)[0]
    else:
        final = None
        if key_tonic_pc is not None:
            final = [2 + p - MELODY_LOW for p in range(MELODY_LOW, MELODY_LOW + N_MELODY_TOKENS - 2) if p % 12 == key_tonic_pc]
        seq = beam_search(m, prompt, steps=steps, beam_width=beam_width, final_allowed=final).best
    tokens = seq.cpu().numpy()
    log_prob = float(sequence_log_prob(m, tokens[None], prompt_len=len(prompt)))
    notes = tokens_to_notes(tokens, step=step_q)
    pitches = notes[:, 2].astype(np.int64)
    rules = MelodyRules(tonic_pc=key_tonic_pc or 0, mode=key_mode)
    violations = rules.violations(pitches) if len(pitches) else {}
    audio = render_notes(notes, bpm=bpm, sr=sr, instrument=instrument).cpu().numpy() if len(notes) else np.zeros(sr, np.float32)
    roll = notes_to_roll(notes, step=step_q, n_frames=max(1, len(tokens)))
    return {
        "tokens": tokens,
        "notes": notes,
        "roll": roll,
        "audio": audio,
        "sr": sr,
        "log_prob": log_prob,
        "violations": violations,
        "prompt_len": len(prompt),
        "step_q": step_q,
    }


class GenerationPanel(Panel):
    """Choose a model and a decoding strategy, move temperature / beam width / top-p; see and hear the melody.

    Parameters
    ----------
    models : dict of str -> callable
        Next-step models over melody tokens (an :class:`~musynth_lab.stats.ngram.NGramModel`,
        :func:`musynth_lab.models.lm.next_step` of an LSTM or Transformer, ...).
    prompt : 1-D int array
        Melody tokens to continue.
    **fixed
        Passed to :func:`render_generation` (``key_tonic_pc``, ``key_mode``, ``steps``, ``sr``, ...).

    Examples
    --------
    >>> from musynth_lab.data import N_MELODY_TOKENS, load_chorales
    >>> from musynth_lab.stats.ngram import NGramModel
    >>> pieces = load_chorales("train")[:10]
    >>> bigram = NGramModel(2, vocab_size=N_MELODY_TOKENS).fit([p.melody_tokens() for p in pieces])
    >>> panel = GenerationPanel({"bigram": bigram}, pieces[0].melody_tokens()[:4], steps=8)
    >>> panel.controls["strategy"].value = "greedy"
    >>> panel.controls["temperature"].value, panel.result["tokens"].shape, panel.renders
    (1.0, (12,), 2)

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(self, models: dict, prompt, **fixed):
        names = list(models)
        controls = {
            "model": dropdown("model", names, names[0]),
            "strategy": dropdown("strategy", STRATEGIES, "sample"),
            "temperature": slider("temperature", min=0.05, max=2.0, value=1.0, step=0.05),
            "top_p": slider("top-p", min=0.1, max=1.0, value=0.9, step=0.05),
            "beam_width": slider("beam width", min=1, max=16, value=4, integer=True),
            "schedule": dropdown("annealing schedule", ["geometric", "linear", "logarithmic"], "geometric"),
            "seed": slider("seed", min=0, max=20, value=0, integer=True),
        }
        self.models, self.prompt, self.fixed = models, prompt, fixed
        relevant = {
            "temperature": lambda v: v["strategy"] in ("sample", "top-k", "top-p", "annealed"),
            "top_p": lambda v: v["strategy"] == "top-p",
            "beam_width": lambda v: v["strategy"] == "beam",
            "schedule": lambda v: v["strategy"] == "annealed",
            "seed": lambda v: v["strategy"] in ("sample", "top-k", "top-p", "annealed"),
        }
        super().__init__(controls, self._render, self._draw, title="Generation", figsize=(8, 2.6), relevant=relevant)

    def _render(self, **values):
        return render_generation(self.models, self.prompt, **values, **self.fixed)

    @staticmethod
    def _draw(result, fig):
        ax = piano_roll(
            result["roll"],
            step=result["step_q"],
            ax=fig.add_subplot(),
            title=(f"log p = {result['log_prob']:.1f} nats, rule violations = {sum(result['violations'].values())}"),
        )
        ax.axvline(result["prompt_len"] * result["step_q"], color="tab:blue", ls="--", lw=1)
        return Frame(result["audio"], result["sr"])
