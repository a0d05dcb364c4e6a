"""MelodyAgentPanel: move the reward weights of the RL melody agent, retrain it, see and hear what it learned.

Chapter: notebooks/01b_deep_learning.ipynb
"""

from __future__ import annotations

from ..models.rl import DEFAULT_WEIGHTS, render_melody, train_melody_agent
from ..plot.deep import melody
from ._base import Frame, Panel, slider


def render_agent(
    key: float = 1.0,
    leap: float = 1.0,
    repeat: float = 0.5,
    trill: float = 0.5,
    tonic: float = 2.0,
    note_model: float = 0.2,
    iterations: int = 150,
    seed: int = 0,
):
    """Train the melody agent with these reward weights (pure: same inputs, same result).

    Returns
    -------
    dict
        ``result`` (:class:`musynth_lab.models.rl.AgentResult`), ``melody`` (the first
        sampled melody after training, MIDI), ``violations`` (per rule, after training).

    Examples
    --------
    >>> out = render_agent(note_model=0.0, iterations=2)      # the panel trains 150 iterations
    >>> out["melody"].shape, sorted(out["violations"])
    ((16,), ['key', 'leap', 'repeat', 'tonic', 'trill'])

    Chapter: notebooks/01b_deep_learning.ipynb
    """
    weights = {"key": key, "leap": leap, "repeat": repeat, "trill": trill, "tonic": tonic, "note_model": note_model}
    res = train_melody_agent(
        weights=weights,
        iterations=int(iterations),
        batch_size=32,
        n_eval=50,
        use_note_model=note_model > 0,
        seed=int(seed),
        progress=False,
    )
    mel = res.after[0]
    return {"result": res, "melody": mel, "violations": res.rules.violations(mel)}


class MelodyAgentPanel(Panel):
    """Sliders for the reward weights and the training length; shows the reward curve, a melody, its sound.

    Setting a weight to 0 removes that rule from the reward: watch its violations come back.

    Examples
    --------
    >>> panel = MelodyAgentPanel(iterations=20)        # doctest: +SKIP
    >>> panel.controls["tonic"].value = 0.0            # doctest: +SKIP

    Chapter: notebooks/01b_deep_learning.ipynb
    """

    def __init__(self, *, iterations: int = 150, seed: int = 0, **weights):
        w = dict(DEFAULT_WEIGHTS, **weights)
        controls = {
            k: slider(f"weight: {k}", min=0.0, max=3.0, value=float(w[k]), step=0.1)
            for k in ("key", "leap", "repeat", "trill", "tonic", "note_model")
        }
        controls["iterations"] = slider("iterations", min=10, max=400, value=int(iterations), step=10, integer=True)
        self._seed = int(seed)
        super().__init__(
            controls,
            lambda **v: render_agent(seed=self._seed, **v),
            self._draw,
            title="REINFORCE melody agent: reward weights",
            figsize=(10, 2.8),
        )

    @staticmethod
    def _draw(out, fig):
        res = out["result"]
        a, b = fig.subplots(1, 2)
        res.history.plot(ax=a, title="return and violations while training")
        melody(
            res.before[0],
            out["melody"],
            labels=["before training", "after"],
            ax=b,
            scale=res.rules.scale,
            title=f"violations after: {out['violations']}",
        )
        return Frame(
            render_melody(out["melody"], sr=16000),
            16000,
            text=f"mean violations per melody: {res.violations_before:.2f} before, {res.violations_after:.2f} after",
        )
