"""Voices: composable patches (oscillators -> filter -> envelope -> effects) with declared parameters.

A :class:`Voice` is a ``torch.nn.Module`` whose parameters are declared once as
:class:`~musynth_lab.synth.params.Param` (range, unit, curve, default); the same declaration
builds the sliders of :class:`musynth_lab.widgets.SynthPanel`, checks user values, maps
normalised values for sound matching (:mod:`musynth_lab.synth.matching`) and draws random
patches. ``voice.render(sr=..., **values)`` takes each value as a number or a ``(batch,)``
tensor and returns ``(batch, n_samples)`` audio, differentiable in every continuous
parameter, never above full scale: an item whose peak would exceed 1 is scaled down to a
peak of 1 (a documented gain; items within full scale are untouched).

* :class:`SubtractiveVoice`: comparable to torchsynth's ``Voice`` (a sine and a saw/square
  oscillator, noise, two ADSR envelopes, LFO modulation of pitch and cutoff) plus a
  resonant state-variable low-pass whose cutoff the filter envelope and LFO move per sample
  (``use_filter=False`` leaves it out, as torchsynth's ``Voice`` has none).
* :class:`FMVoice`: two-operator FM with an index envelope (bright attack that mellows, as in
  FM electric pianos and bells) and an amplitude envelope.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np
import torch

from ..data import list_instruments
from ..errors import ParameterError, as_choice, check
from ._util import TWO_PI, check_n_samples, check_sr
from .envelopes import adsr_level_unchecked, lfo
from .filters import svf
from .fm import fm_tone
from .oscillators import METHODS, blep_residual, ramp_from_increment, saw, square, white_noise
from .params import Param
from .sampler import Sampler

__all__ = ["Voice", "SubtractiveVoice", "FMVoice", "instrument", "INSTRUMENTS"]


def _midi_hz(m):
    return 440.0 * torch.pow(2.0, (m - 69.0) / 12.0)


class Voice(torch.nn.Module):
    """Base class: declared :attr:`PARAMS`, validation, defaults, normalised values, random patches.

    Subclasses implement ``_render(values, n_samples, sr, batch, device, first)`` where every
    value is a ``(batch or 1, 1)`` float32 tensor and ``first`` is the index of the first item
    (batches are rendered in chunks on the CPU).

    Examples
    --------
    >>> issubclass(SubtractiveVoice, Voice), SubtractiveVoice.param("cutoff_hz").unit
    (True, 'Hz')
    >>> SubtractiveVoice.defaults()["cutoff_hz"], tuple(FMVoice().random_values(3, seed=0)["midi_f0"].shape)
    (1200.0, (3,))

    Chapter: notebooks/01a_synthesis.ipynb
    """

    PARAMS: tuple = ()

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.PARAMS:
            if p.name == name:
                return p
        raise ParameterError(f"name={name!r}: expected one of {[p.name for p in cls.PARAMS]}")

    @classmethod
    def defaults(cls) -> dict:
        """``{name: default}`` for every declared parameter."""
        return {p.name: p.default for p in cls.PARAMS}

    def _values(self, values: dict, device, check: bool = True):
        names = {p.name for p in self.PARAMS}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ParameterError(
                f"{unknown[0]}={values[unknown[0]]!r}: not a parameter of {type(self).__name__}; expected one of {sorted(names)}"
            )
        out, batch, first = {}, 1, None
        for p in self.PARAMS:
            v = values.get(p.name, p.default)
            if check:
                p.check(v)
            t = v if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v, dtype=np.float32))
            t = t.to(device).float().reshape(-1, 1)
            if t.shape[0] > 1:
                if batch > 1 and t.shape[0] != batch:
                    raise ParameterError(f"{p.name} has batch size {t.shape[0]}: expected {batch} to match {first}")
                batch, first = t.shape[0], first or p.name
            out[p.name] = t
        return out, batch

    def render(self, *, sr: int, n_samples: int | None = None, device=None, normalize: bool = True, **values):
        """Render the patch.

        Parameters
        ----------
        sr : int
            Sample rate in Hz.
        n_samples : int, optional
            Length; default ``(note_off + release) * sr`` of the longest item.
        device : str or torch.device, optional
            Default: the device of a tensor value, else the CPU.
        normalize : bool
            Scale an item whose peak exceeds 1 down to a peak of 1 (default). This looks at
            the whole note, so it is not causal; ``False`` gives the raw patch, the reference
            that :class:`musynth_lab.synth.VoiceStream` reproduces block by block.
        **values : float or Tensor [shape=(batch,)]
            Any declared parameter (others take their default).

        Returns
        -------
        Tensor [shape=(batch, n_samples)]
        """
        sr = check_sr(sr)
        dev = device or next((v.device for v in values.values() if isinstance(v, torch.Tensor)), "cpu")
        vals, batch = self._values(values, dev)
        return self._run(vals, batch, sr, n_samples, dev, normalize=bool(normalize))

    def render_unit(self, units: dict, *, sr: int, n_samples: int, fixed: dict | None = None):
        """Render from normalised values in [0, 1] (``{name: (batch,) tensor}``), e.g. for optimisation.

        ``fixed`` gives plain values for the other parameters.
        """
        sr = check_sr(sr)
        dev = next(iter(units.values())).device if units else "cpu"
        values = dict(fixed or {})
        for name, u in units.items():
            values[name] = self.param(name).from_unit(u.clamp(0.0, 1.0))
        vals, batch = self._values(values, dev, check=False)
        return self._run(vals, batch, sr, n_samples, dev)

    #: On the CPU, render at most this many samples (batch x time) at once: intermediate
    #: tensors then stay in cache, which is several times faster than one huge batch.
    cpu_chunk_samples = 2**20

    def _run(self, vals, batch, sr, n_samples, dev, normalize=True):
        if n_samples is None:
            n_samples = int(round(float((vals["note_off"] + vals["release"]).max()) * sr))
        n_samples = check_n_samples(n_samples)
        chunk = max(1, self.cpu_chunk_samples // n_samples)
        finish = _limit if normalize else (lambda y: y)
        if torch.device(dev).type != "cpu" or batch <= chunk:
            return finish(self._render(vals, n_samples, sr, batch, dev, 0))
        parts = []
        for start in range(0, batch, chunk):
            stop = min(batch, start + chunk)
            sub = {k: (t[start:stop] if t.shape[0] > 1 else t) for k, t in vals.items()}
            parts.append(finish(self._render(sub, n_samples, sr, stop - start, dev, start)))
        return torch.cat(parts, dim=0)

    def random_values(self, batch: int, *, seed: int = 0, device=None) -> dict:
        """Uniform random values in normalised space for every parameter (random patches)."""
        g = torch.Generator().manual_seed(int(seed))
        out = {}
        for p in self.PARAMS:
            u = torch.rand(batch, generator=g)
            v = p.from_unit(u)
            out[p.name] = (torch.round(v) if p.integer else v).to(device or "cpu")
        return out

    def forward(self, **values):
        return self.render(**values)


class SubtractiveVoice(Voice):
    """Two oscillators + noise -> resonant low-pass -> amplifier, two ADSRs and an LFO.

    Signal flow: a sine (``osc1``) and a saw/square (``osc2``, ``osc2_shape`` crossfades
    saw -> square, detunable) plus white noise are mixed; the mix passes a state-variable
    low-pass whose cutoff is ``cutoff_hz * 2**(filter_env_octaves * env2 + lfo_cutoff_octaves * lfo)``;
    the amplifier follows ``env1``. The LFO also adds vibrato (``lfo_pitch_semitones``).

    Parameters
    ----------
    use_filter : bool
        Include the filter (``False``: the torchsynth ``Voice`` layout, no filter).
    method : str
        Band limiting of the oscillators (see :mod:`musynth_lab.synth.oscillators`).

    Examples
    --------
    >>> v = SubtractiveVoice()
    >>> y = v.render(sr=16000, n_samples=4000, midi_f0=torch.tensor([48.0, 60.0]), cutoff_hz=800.0)
    >>> y.shape, float(y.abs().max()) <= 1.0
    (torch.Size([2, 4000]), True)

    Chapter: notebooks/01a_synthesis.ipynb
    """

    PARAMS = (
        Param("midi_f0", 24.0, 96.0, 48.0, "MIDI", description="the note's pitch"),
        Param("note_off", 0.01, 4.0, 0.6, "s", "log", "time of the key release"),
        Param("osc1_level", 0.0, 1.0, 0.3, "", description="sine oscillator level"),
        Param("osc2_level", 0.0, 1.0, 0.8, "", description="saw/square oscillator level"),
        Param("osc2_shape", 0.0, 1.0, 0.0, "", description="0 saw .. 1 square"),
        Param("osc2_detune", -24.0, 24.0, 0.07, "semitones", description="osc2 tuning against osc1"),
        Param("noise_level", 0.0, 1.0, 0.02, "", description="white noise level"),
        Param("attack", 0.001, 2.0, 0.005, "s", "log", "amplifier envelope attack"),
        Param("decay", 0.001, 2.0, 0.3, "s", "log", "amplifier envelope decay"),
        Param("sustain", 0.0, 1.0, 0.6, "", description="amplifier sustain level"),
        Param("release", 0.001, 2.0, 0.25, "s", "log", "amplifier envelope release"),
        Param("cutoff_hz", 40.0, 12000.0, 1200.0, "Hz", "log", "low-pass cutoff"),
        Param("resonance", 0.5, 12.0, 2.0, "Q", "log", "low-pass resonance (quality factor)"),
        Param("filter_env_octaves", -4.0, 4.0, 2.0, "octaves", description="filter envelope depth"),
        Param("f_attack", 0.001, 2.0, 0.01, "s", "log", "filter envelope attack"),
        Param("f_decay", 0.001, 2.0, 0.25, "s", "log", "filter envelope decay"),
        Param("f_sustain", 0.0, 1.0, 0.2, "", description="filter envelope sustain"),
        Param("f_release", 0.001, 2.0, 0.2, "s", "log", "filter envelope release"),
        Param("lfo_rate_hz", 0.1, 20.0, 5.0, "Hz", "log", "LFO rate"),
        Param("lfo_pitch_semitones", 0.0, 2.0, 0.0, "semitones", description="vibrato depth"),
        Param("lfo_cutoff_octaves", 0.0, 4.0, 0.0, "octaves", description="LFO depth on the cutoff"),
    )

    def __init__(self, *, use_filter: bool = True, method: str = "polyblep", noise_seed: int = 13, filter_chunk: int = 16):
        super().__init__()
        self.use_filter = bool(use_filter)
        self.method = as_choice(method, "method", METHODS)
        self.noise_seed = noise_seed
        self.filter_chunk = filter_chunk

    def _render(self, v, n, sr, batch, dev, first=0):
        t = torch.arange(n, device=dev, dtype=torch.float32)[None] / sr
        env1 = adsr_level_unchecked(
            t, attack=v["attack"], decay=v["decay"], sustain=v["sustain"], release=v["release"], note_off=v["note_off"]
        )
        vib = lfo(v["lfo_rate_hz"], n_samples=n, sr=sr, device=dev)  # (batch or 1, n)
        f0 = _midi_hz(v["midi_f0"])  # (batch or 1, 1)
        if bool((v["lfo_pitch_semitones"] == 0).all()):
            f1 = f0
        else:  # vibrato: f0 * 2**(depth * lfo / 12)
            f1 = f0 * torch.exp2(v["lfo_pitch_semitones"] * (1.0 / 12.0) * vib)
        f2 = (f1 * torch.exp2(v["osc2_detune"] / 12.0)).clamp(max=0.49 * sr)
        f1 = f1.clamp(max=0.49 * sr)
        zero = torch.zeros(batch, 1, dtype=torch.float64, device=dev)
        ramp1, _ = ramp_from_increment(f1 / sr, n, zero)  # validated values: no re-checks
        o1 = torch.sin(TWO_PI * ramp1)
        if self.method == "polyblep":
            # saw -> square crossfade from two PolyBLEP saws half a cycle apart:
            # (1 - s) saw(t) + s (saw(t) - saw(t + 1/2)) = saw(t) - s saw(t + 1/2)
            inc = f2 / sr
            ramp, _ = ramp_from_increment(inc, n, zero)
            dt = inc.abs()
            ramp_b = torch.remainder(ramp + 0.5, 1.0)
            saw_a = 2.0 * ramp - 1.0 - blep_residual(ramp, dt)
            saw_b = 2.0 * ramp_b - 1.0 - blep_residual(ramp_b, dt)
            o2 = saw_a - v["osc2_shape"] * saw_b
        else:
            o2 = (1 - v["osc2_shape"]) * saw(f2, n_samples=n, sr=sr, method=self.method) + v["osc2_shape"] * square(
                f2, n_samples=n, sr=sr, method=self.method
            )
        # one seeded noise row per batch item, so the result does not depend on the chunking
        nz = torch.cat([white_noise(n_samples=n, seed=self.noise_seed + first + i, device=dev) for i in range(batch)])
        norm = (v["osc1_level"] + v["osc2_level"] + v["noise_level"]).clamp(min=1.0)
        mix = (v["osc1_level"] / norm) * o1 + (v["osc2_level"] / norm) * o2 + (v["noise_level"] / norm) * nz
        if self.use_filter:
            env2 = adsr_level_unchecked(
                t,
                attack=v["f_attack"],
                decay=v["f_decay"],
                sustain=v["f_sustain"],
                release=v["f_release"],
                note_off=v["note_off"],
            )
            octaves = v["filter_env_octaves"] * env2 + v["lfo_cutoff_octaves"] * vib
            fc = (v["cutoff_hz"] * torch.pow(2.0, octaves)).clamp(min=20.0, max=0.45 * sr)
            fc = fc.expand(mix.shape[0], n)
            q = v["resonance"].expand(mix.shape[0], 1)
            parts = []
            for s in range(0, mix.shape[0], self.filter_chunk):  # bounded memory for big batches
                parts.append(
                    svf(
                        mix[s : s + self.filter_chunk],
                        cutoff_hz=fc[s : s + self.filter_chunk],
                        sr=sr,
                        q=q[s : s + self.filter_chunk],
                        precision="single",
                    )
                )
            mix = torch.cat(parts, 0)
        return env1 * mix  # the peak limiter is applied in _run


def _limit(y):
    """Scale down any item whose peak exceeds full scale to a peak of exactly 1 (others unchanged).

    The divisor is the item's peak itself, not a detached copy: the returned audio is
    ``y / max|y|``, so its gradient includes the peak's dependence on the parameters (a
    detached peak made the gradient of a clipping note up to ~30 % too small).
    """
    peak = y.detach().abs().amax(dim=-1, keepdim=True)
    if float(peak.max()) <= 1.0:
        return y
    over = peak > 1.0
    live = y.abs().amax(dim=-1, keepdim=True)  # differentiable (autograd: the argmax sample)
    return y / torch.where(over, live, torch.ones_like(live))


class FMVoice(Voice):
    """Two-operator FM voice: ``amp_env * sin(2 pi fc t + index * index_env * m)``.

    The modulation index follows its own envelope: a bright attack whose upper sidebands
    die away, the signature of FM electric pianos (ratio 1) and bells (a non-integer ratio
    such as 1.4, giving inharmonic partials).

    Examples
    --------
    >>> v = FMVoice()
    >>> y = v.render(sr=16000, n_samples=8000, ratio=1.4, index=5.0)
    >>> y.shape
    torch.Size([1, 8000])

    Chapter: notebooks/01a_synthesis.ipynb
    """

    PARAMS = (
        Param("midi_f0", 24.0, 96.0, 60.0, "MIDI", description="the note's pitch"),
        Param("note_off", 0.01, 4.0, 0.6, "s", "log", "time of the key release"),
        Param("ratio", 0.25, 12.0, 1.0, "", "log", "modulator / carrier frequency"),
        Param("index", 0.0, 12.0, 3.0, "rad", description="peak modulation index"),
        Param("feedback", 0.0, 1.0, 0.0, "", description="modulator self-feedback"),
        Param("attack", 0.001, 2.0, 0.003, "s", "log", "amplifier attack"),
        Param("decay", 0.001, 4.0, 0.8, "s", "log", "amplifier decay"),
        Param("sustain", 0.0, 1.0, 0.3, "", description="amplifier sustain"),
        Param("release", 0.001, 2.0, 0.3, "s", "log", "amplifier release"),
        Param("i_attack", 0.001, 2.0, 0.003, "s", "log", "index envelope attack"),
        Param("i_decay", 0.001, 4.0, 0.4, "s", "log", "index envelope decay"),
        Param("i_sustain", 0.0, 1.0, 0.2, "", description="index envelope sustain"),
    )

    def _render(self, v, n, sr, batch, dev, first=0):
        t = torch.arange(n, device=dev, dtype=torch.float32)[None] / sr
        amp = adsr_level_unchecked(
            t, attack=v["attack"], decay=v["decay"], sustain=v["sustain"], release=v["release"], note_off=v["note_off"]
        )
        ienv = adsr_level_unchecked(
            t, attack=v["i_attack"], decay=v["i_decay"], sustain=v["i_sustain"], release=v["release"], note_off=v["note_off"]
        )
        fc = _midi_hz(v["midi_f0"]).clamp(max=0.49 * sr)
        y = fm_tone(
            fc.expand(batch, 1)[:, 0] if batch > 1 else fc[0, 0],
            n_samples=n,
            sr=sr,
            ratio=v["ratio"][:, 0],
            index=v["index"] * ienv,
            feedback=v["feedback"][:, 0],
            amplitude=amp,
            device=dev,
        )
        return y  # the peak limiter is applied in _run


_FM_PRESETS = {
    "fm_piano": dict(ratio=1.0, index=2.5, decay=1.2, sustain=0.0, release=0.2, i_decay=0.5, i_sustain=0.1),
    "fm_bell": dict(ratio=1.4, index=5.0, decay=2.5, sustain=0.0, release=1.0, i_decay=1.5, i_sustain=0.0),
}

#: Names :func:`instrument` knows besides the bundled sampler instruments.
INSTRUMENTS = ("fm_piano", "fm_bell", "subtractive", "pluck")


def instrument(name: str):
    """A note renderer ``f(midi, duration_s, sr) -> Tensor (n_notes, n)`` by name.

    ``name`` is a bundled sampler instrument (``'piano'``, ``'choir'``, ``'organ'``, ...;
    ``musynth_lab.data.list_instruments()``), ``'fm_piano'``, ``'fm_bell'``,
    ``'subtractive'`` (a pad) or ``'pluck'`` (a short filtered saw).

    Examples
    --------
    >>> f = instrument("fm_bell")
    >>> f(np.array([60.0, 67.0]), 0.5, 8000).shape
    torch.Size([2, 12000])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    check(
        isinstance(name, str) and (name in list_instruments() or name in INSTRUMENTS),
        "name",
        name,
        f"an instrument name: a bundled one {list_instruments()} or one of {INSTRUMENTS}",
    )
    if name in list_instruments():
        s = Sampler(name)
        return lambda midi, dur, sr: s.play(np.asarray(midi, dtype=float), duration_s=float(dur), sr=sr, release=0.15)
    if name in _FM_PRESETS:
        v, preset = FMVoice(), _FM_PRESETS[name]
        return lambda midi, dur, sr: v.render(
            sr=sr, midi_f0=torch.as_tensor(np.asarray(midi, dtype=np.float32)), note_off=max(float(dur), 0.01), **preset
        )
    if name in ("subtractive", "pluck"):
        v = SubtractiveVoice()
        preset = (
            dict(
                attack=0.08,
                decay=0.5,
                sustain=0.7,
                release=0.4,
                cutoff_hz=900.0,
                resonance=1.5,
                filter_env_octaves=1.0,
                lfo_pitch_semitones=0.1,
            )
            if name == "subtractive"
            else dict(
                attack=0.002,
                decay=0.25,
                sustain=0.0,
                release=0.1,
                cutoff_hz=500.0,
                resonance=3.0,
                filter_env_octaves=3.0,
                f_decay=0.15,
                f_sustain=0.0,
            )
        )
        return lambda midi, dur, sr: v.render(
            sr=sr,
            midi_f0=torch.as_tensor(np.asarray(midi, dtype=np.float32)).clamp(24, 96),
            note_off=min(max(float(dur), 0.01), 4.0),
            **preset,
        )
    raise ParameterError(f"instrument={name!r}: expected a bundled instrument {list_instruments()} or one of {INSTRUMENTS}")
