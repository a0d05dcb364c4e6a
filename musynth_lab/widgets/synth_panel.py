"""SynthPanel: sliders built from a voice's declared parameters; hear, see the wave, envelope and spectrum.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

from ..errors import ParameterError
from ..plot import spectrum, waveform
from ..plot.synth import envelope
from ..synth import FMVoice, Param, SubtractiveVoice, adsr, algorithmic_reverb
from ._base import Frame, Panel, slider

#: Parameters shown by default, per voice.
DEFAULT_CONTROLS = {
    "subtractive": (
        "midi_f0",
        "osc2_shape",
        "attack",
        "decay",
        "sustain",
        "release",
        "cutoff_hz",
        "resonance",
        "filter_env_octaves",
        "lfo_pitch_semitones",
    ),
    "fm": ("midi_f0", "ratio", "index", "feedback", "attack", "decay", "i_decay"),
}


def _voice(name: str):
    if name == "subtractive":
        return SubtractiveVoice()
    if name == "fm":
        return FMVoice()
    raise ParameterError(f"voice={name!r}: expected 'subtractive' or 'fm'")


def _effect_params():
    return (
        Param("reverb_mix", 0.0, 1.0, 0.0, "", description="reverb wet level"),
        Param("rt60", 0.1, 5.0, 1.2, "s", "log", "reverb decay time"),
    )


def render_patch(voice: str = "subtractive", *, sr: int = 16000, duration_s: float = 1.2, **values):
    """Render one note of a voice with optional reverb: the panel's pure render function.

    Parameters
    ----------
    voice : {'subtractive', 'fm'}
    sr : int
    duration_s : float
        Length of the rendered sound in seconds.
    **values
        The voice's declared parameters, plus ``reverb_mix`` and ``rt60``.

    Returns
    -------
    dict with ``audio`` (np.ndarray (n,)), ``envelope`` (np.ndarray (n,), the amplifier
    envelope), ``sr``, ``note_off`` and ``values``.

    Examples
    --------
    >>> out = render_patch("fm", sr=8000, duration_s=0.5, index=0.0)
    >>> out["audio"].shape, round(float(out["envelope"].max()), 3)
    ((4000,), 1.0)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    # torch is imported where used: this module is otherwise NumPy-only
    import torch

    v = _voice(voice)
    fx = {p.name: values.pop(p.name, p.default) for p in _effect_params()}
    n = int(round(duration_s * sr))
    with torch.no_grad():
        y = v.render(sr=sr, n_samples=n, **values)[0]
        full = {**v.defaults(), **values}
        env = adsr(
            attack=full["attack"],
            decay=full["decay"],
            sustain=full["sustain"],
            release=full["release"],
            note_off=full["note_off"],
            n_samples=n,
            sr=sr,
        )[0]
        if fx["reverb_mix"] > 0:
            y = algorithmic_reverb(y, sr=sr, rt60=fx["rt60"], mix=fx["reverb_mix"])
    return {"audio": y.numpy(), "envelope": env.numpy(), "sr": sr, "note_off": float(full["note_off"]), "values": {**full, **fx}}


class SynthPanel(Panel):
    """Play a voice: one slider per declared parameter (range, unit and log curve from the declaration).

    Parameters
    ----------
    voice : {'subtractive', 'fm'}
    controls : sequence of str, optional
        Which declared parameters get a slider (default :data:`DEFAULT_CONTROLS`); the reverb
        mix and RT60 sliders are always there.
    sr : int
    duration_s : float
    **values
        Starting values.

    Examples
    --------
    >>> panel = SynthPanel("fm", sr=8000)                 # doctest: +SKIP
    >>> panel.controls["index"].value = 8.0               # doctest: +SKIP
    >>> panel.result["values"]["index"]                   # doctest: +SKIP
    8.0

    Chapter: notebooks/01a_synthesis.ipynb
    """

    def __init__(self, voice: str = "subtractive", *, controls=None, sr: int = 16000, duration_s: float = 1.2, **values):
        v = _voice(voice)
        names = list(controls) if controls is not None else list(DEFAULT_CONTROLS[voice])
        declared = {p.name: p for p in v.PARAMS}
        unknown = [n for n in names if n not in declared]
        if unknown:
            raise ParameterError(f"controls contains {unknown[0]!r}: expected names from {sorted(declared)}")
        widgets = {}
        for p in [declared[n] for n in names] + list(_effect_params()):
            start = values.get(p.name, p.default)
            if p.integer or p.unit == "MIDI":
                widgets[p.name] = slider(p.name, min=p.lo, max=p.hi, value=start, integer=True, unit=p.unit)
            else:
                widgets[p.name] = slider(p.name, min=p.lo, max=p.hi, value=start, log=p.curve == "log", unit=p.unit)
        self.voice_name = voice
        self.fixed = {k: val for k, val in values.items() if k not in widgets}
        self.sr = sr
        self.duration_s = duration_s

        def render(**vals):
            return render_patch(voice, sr=sr, duration_s=duration_s, **self.fixed, **vals)

        super().__init__(widgets, render, self._draw, title=f"{voice} voice", figsize=(11, 2.6))

    @staticmethod
    def _draw(result, fig):
        sr = result["sr"]
        a, b, c = fig.subplots(1, 3)
        waveform(result["audio"], sr=sr, ax=a, title="waveform")
        envelope(result["envelope"], sr=sr, ax=b, note_off=result["note_off"], title="amplifier envelope")
        spectrum(result["audio"], sr=sr, ax=c, title="spectrum")
        c.set_xlim(0, sr / 2)
        return Frame(result["audio"], sr)
