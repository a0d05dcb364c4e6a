"""Streaming: chapter 1's voices and effects block by block, state carried across blocks.

A synthesizer in a live setting never sees the whole note: the audio driver asks for the next
``block_size`` samples every ``block_size / sr`` seconds. Everything that remembers the past
(oscillator phases, filter integrators, delay lines, reverb tails, level detectors, the
noise generator) must be carried from one block to the next, so that the streamed output
equals the one-shot render of the same note. Here it does, to float tolerance, for any block
size (block sizes that do not divide the length included).

* :class:`VoiceStream` plays one :class:`~musynth_lab.synth.SubtractiveVoice` or
  :class:`~musynth_lab.synth.FMVoice` note: parameters are validated once, at note-on, and
  per-note constants precomputed; each block is then a short run of NumPy float64 array
  operations (a lean path: at 256 samples per block the budget for real-time factor 0.05 at
  44.1 kHz is 0.29 ms, and PyTorch's per-operation overhead alone would eat it). Its output
  equals ``voice.render(..., normalize=False)`` (the one-shot torch render, float32) to about
  1e-4 of full scale.
* :class:`PolyStream` and :func:`play_events` play a MIDI-like event list (note-on and
  note-off at any sample inside a block) with one :class:`VoiceStream` per note.
* :class:`Chain` of effects (:class:`Biquad`, :class:`SVF`, :class:`Delay`, :class:`Chorus`,
  :class:`Flanger`, :class:`Compressor`, :class:`NoiseGate`, :class:`ConvolutionReverb`,
  :class:`AlgorithmicReverb`, :class:`Gain`, :class:`Overdrive`), each equal block by block to
  its one-shot function in :mod:`musynth_lab.synth.effects` / ``filters`` / ``reverb``.

Causality. ``voice.render`` scales a note whose peak exceeds full scale down to a peak of 1;
that needs the whole note (non-causal), so a stream cannot do it. Streams instead pass their
output through the memoryless :func:`musynth_lab.audio.soft_limit` (``clip=True``, the default:
samples below 0.9 of full scale are untouched, louder ones bend smoothly under 1), so a stream
never exceeds full scale; ``clip=False`` gives the raw patch, equal block by block to
``voice.render(..., normalize=False)``. Likewise the reverbs' "soft-limit only if
something clips" guard looks at the whole signal: the streamed reverbs equal the one-shot ones
whenever the output stays within full scale (the guard then does nothing).

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..audio import as_audio, soft_limit
from ..errors import ParameterError, as_float, check
from ._util import check_n_samples, check_sr
from .effects import chorus, compressor, delay, flanger, gain, gain_reduction_db, gate_gain_db, noise_gate, overdrive
from .filters import biquad, one_pole, svf
from .reverb import algorithmic_reverb, convolution_reverb, convolve, schroeder_ir
from .voices import FMVoice, SubtractiveVoice

__all__ = [
    "check_block_size",
    "VoiceStream",
    "PolyStream",
    "play_events",
    "stream_voice",
    "Effect",
    "Biquad",
    "SVF",
    "Delay",
    "Chorus",
    "Flanger",
    "Compressor",
    "NoiseGate",
    "ConvolutionReverb",
    "AlgorithmicReverb",
    "Gain",
    "Overdrive",
    "Chain",
    "stream_effects",
]

_TWO_PI = 2.0 * math.pi


def check_block_size(block_size, name: str = "block_size") -> int:
    """A block size: a positive whole number of samples (``ParameterError`` otherwise).

    Examples
    --------
    >>> check_block_size(256)
    256

    Chapter: notebooks/06a_latency.ipynb
    """
    return check_n_samples(block_size, name)


# ----------------------------------------------------------------------------------------
# NumPy kernels of the lean path (no validation: the caller checked once)
# ----------------------------------------------------------------------------------------


def _adsr(t, a, d, s, r, off):
    """Closed-form ADSR at times ``t`` (float64 seconds) -- :func:`adsr_level` in NumPy."""

    def on(tt):
        dec = 1.0 - (1.0 - s) * np.clip((tt - a) / d, 0.0, 1.0)
        return np.maximum(np.minimum(tt / a, dec), 0.0)

    if t[-1] < off:  # the whole block before the key release
        return on(t)
    at_off = float(on(np.array([off]))[0])
    rel = at_off * np.clip(1.0 - (t - off) / r, 0.0, 1.0)
    if t[0] >= off:
        return rel
    return np.where(t < off, on(t), rel)


def _ramp(phase, inc, n, j):
    """Phases (cycles in [0, 1)) before each of ``n`` samples and the phase after them."""
    if np.ndim(inc) == 0:
        ph = phase + j[:n] * inc
        return ph - np.floor(ph), (phase + n * inc) % 1.0
    c = np.cumsum(inc)
    ph = phase + c - inc
    return ph - np.floor(ph), (phase + c[-1]) % 1.0


def _blep(t, inv):
    after = np.maximum(1.0 - t * inv, 0.0)
    before = np.maximum(1.0 - (1.0 - t) * inv, 0.0)
    return before * before - after * after


def _svf_lowpass(x, g, k, state):
    """Trapezoidal SVF low-pass (Simper) with per-sample ``g = tan(pi fc / sr)``; returns (y, state).

    The same linear recurrence as :func:`musynth_lab.synth.svf`, solved by a Hillis-Steele scan
    on stacked ``(2, 2, n)`` transition matrices in float64.
    """
    a1 = 1.0 / (1.0 + g * (g + k))
    a2 = g * a1
    a3 = g * a2
    n = x.shape[0]
    A = np.empty((2, 2, n))
    A[0, 0] = 2.0 * a1 - 1.0
    A[0, 1] = -2.0 * a2
    A[1, 0] = 2.0 * a2
    A[1, 1] = 1.0 - 2.0 * a3
    u = np.empty((2, n))
    u[0] = 2.0 * a2 * x
    u[1] = 2.0 * a3 * x
    u[:, 0] += A[:, :, 0] @ state
    d = 1
    while d < n:
        v = u[:, :-d]
        u[:, d:] = u[:, d:] + A[:, 0, d:] * v[0] + A[:, 1, d:] * v[1]
        if 2 * d < n:
            B = A[:, :, :-d]
            A[:, :, d:] = A[:, 0, None, d:] * B[None, 0] + A[:, 1, None, d:] * B[None, 1]
        d *= 2
    p1 = np.concatenate(([state[0]], u[0, :-1]))
    p2 = np.concatenate(([state[1]], u[1, :-1]))
    y = p2 + a2 * p1 + a3 * (x - p2)
    return y, u[:, -1].copy()


# ----------------------------------------------------------------------------------------
# Voices
# ----------------------------------------------------------------------------------------


class VoiceStream:
    """One note of a voice, rendered block by block.

    Parameters
    ----------
    voice : SubtractiveVoice or FMVoice
        The patch (its settings, e.g. ``noise_seed``, are used).
    sr : int
        Sample rate in Hz.
    clip : bool
        Pass each block through the memoryless :func:`musynth_lab.audio.soft_limit` (causal,
        so block-safe; the default, so the output never exceeds full scale). ``False``: the
        raw patch, equal to ``voice.render(..., normalize=False)``.
    **values : float
        The voice's parameters (one note: plain numbers), validated once here (note-on).
        Leave out ``note_off`` to hold the note until :meth:`note_off` is called.

    Attributes
    ----------
    position : int
        Samples rendered so far.

    Examples
    --------
    >>> s = VoiceStream(SubtractiveVoice(), sr=16000, midi_f0=57.0)
    >>> a = s.process(100); b = s.process(156)
    >>> a.shape, b.shape, a.dtype
    ((100,), (156,), dtype('float32'))
    >>> s.note_off(); s.done        # released now; silent after the release time
    False

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, voice, *, sr: int, clip: bool = True, **values):
        check(isinstance(voice, (SubtractiveVoice, FMVoice)), "voice", voice, "a SubtractiveVoice or FMVoice")
        self.sr = check_sr(sr)
        self.voice = voice
        self.clip = bool(clip)
        held = "note_off" not in values
        vals, batch = voice._values(values, "cpu")  # validation, once
        check(batch == 1, "values", {k: v for k, v in values.items() if np.size(v) > 1}, "one note (plain numbers)")
        self.v = {k: float(t.reshape(-1)[0]) for k, t in vals.items()}
        self.off = math.inf if held else self.v["note_off"]
        self.position = 0
        self._j = np.arange(0, dtype=np.float64)
        self._setup()

    # -- per-note constants ------------------------------------------------------------
    def _setup(self):
        v, sr = self.v, self.sr
        self.f0 = 440.0 * 2.0 ** ((v["midi_f0"] - 69.0) / 12.0)
        if isinstance(self.voice, SubtractiveVoice):
            check(
                self.voice.method == "polyblep",
                "voice.method",
                self.voice.method,
                "'polyblep' (the streaming path implements the voice's default oscillators)",
            )
            self.kind = "sub"
            self.ph = np.zeros(3)  # osc1, osc2, lfo
            self.vib = v["lfo_pitch_semitones"] != 0.0
            self.lfo_needed = self.vib or (self.voice.use_filter and v["lfo_cutoff_octaves"] != 0.0)
            norm = max(1.0, v["osc1_level"] + v["osc2_level"] + v["noise_level"])
            self.l1, self.l2, self.ln = v["osc1_level"] / norm, v["osc2_level"] / norm, v["noise_level"] / norm
            self.detune = 2.0 ** (v["osc2_detune"] / 12.0)
            self.k = 1.0 / v["resonance"]
            self.svf_state = np.zeros(2)
            self.gen = torch.Generator().manual_seed(int(self.voice.noise_seed))
        else:
            self.kind = "fm"
            self.ph = np.zeros(2)  # carrier, modulator
            self.fc = min(self.f0, 0.49 * sr)
            self.prev = 0.0

    def note_off(self, at_s: float | None = None):
        """Release the key at ``at_s`` seconds after note-on (default: now, the next sample).

        A release inside the next block is sample-accurate (the envelopes are closed-form in
        time), exactly as if ``note_off=at_s`` had been given to the one-shot render.
        """
        now = self.position / self.sr
        t = now if at_s is None else float(at_s)
        check(math.isfinite(t) and t >= now, "at_s", at_s, f"a time >= {now:g} s (a release cannot be in the past)")
        self.off = t

    @property
    def done(self) -> bool:
        """True once the note has been released and its release has ended (silence from then on)."""
        v = self.v
        rel = max(v["release"], v.get("f_release", 0.0)) if self.kind == "sub" else v["release"]
        return self.position / self.sr >= self.off + rel

    def process(self, n: int) -> np.ndarray:
        """The next ``n`` samples, ``(n,)`` float32."""
        if type(n) is not int:  # noqa: E721 (fast path)
            n = check_block_size(n, "n")
        elif n < 1:
            check_block_size(n, "n")
        if self._j.shape[0] < n:
            self._j = np.arange(max(n, 1024), dtype=np.float64)
        t = (self.position + self._j[:n]) / self.sr
        y = self._sub(t, n) if self.kind == "sub" else self._fm(t, n)
        self.position += n
        if self.clip:
            y = soft_limit(y)
        return y.astype(np.float32)

    def _sub(self, t, n):
        v, sr, ph, j = self.v, self.sr, self.ph, self._j
        env1 = _adsr(t, v["attack"], v["decay"], v["sustain"], v["release"], self.off)
        if self.lfo_needed:
            r, ph[2] = _ramp(ph[2], v["lfo_rate_hz"] / sr, n, j)
            vib = np.sin(_TWO_PI * r)
        if self.vib:
            f1 = self.f0 * np.exp2(v["lfo_pitch_semitones"] / 12.0 * vib)
            f2 = np.minimum(f1 * self.detune, 0.49 * sr)
            f1 = np.minimum(f1, 0.49 * sr)
        else:
            f1 = min(self.f0, 0.49 * sr)
            f2 = min(self.f0 * self.detune, 0.49 * sr)
        r1, ph[0] = _ramp(ph[0], f1 / sr, n, j)
        inc = f2 / sr
        r2, ph[1] = _ramp(ph[1], inc, n, j)
        inv = 1.0 / np.maximum(np.abs(inc), 1e-9)
        rb = r2 + 0.5
        rb -= np.floor(rb)
        saw_a = 2.0 * r2 - 1.0 - _blep(r2, inv)
        saw_b = 2.0 * rb - 1.0 - _blep(rb, inv)
        mix = self.l1 * np.sin(_TWO_PI * r1) + self.l2 * (saw_a - v["osc2_shape"] * saw_b)
        if self.ln:
            mix = mix + self.ln * (2.0 * torch.rand(1, n, generator=self.gen).numpy()[0] - 1.0)
        else:
            torch.rand(1, n, generator=self.gen)  # keep the noise in step
        if self.voice.use_filter:
            env2 = _adsr(t, v["f_attack"], v["f_decay"], v["f_sustain"], v["f_release"], self.off)
            octaves = v["filter_env_octaves"] * env2
            if v["lfo_cutoff_octaves"] != 0.0:
                octaves = octaves + v["lfo_cutoff_octaves"] * vib
            fc = np.clip(v["cutoff_hz"] * np.exp2(octaves), 20.0, 0.45 * sr)
            mix, self.svf_state = _svf_lowpass(mix, np.tan(math.pi / sr * fc), self.k, self.svf_state)
        return env1 * mix

    def _fm(self, t, n):
        v, sr, ph, j = self.v, self.sr, self.ph, self._j
        amp = _adsr(t, v["attack"], v["decay"], v["sustain"], v["release"], self.off)
        ienv = _adsr(t, v["i_attack"], v["i_decay"], v["i_sustain"], v["release"], self.off)
        pc, ph[0] = _ramp(ph[0], self.fc / sr, n, j)
        pm, ph[1] = _ramp(ph[1], self.fc * v["ratio"] / sr, n, j)
        theta = _TWO_PI * pm
        m = np.sin(theta)
        fb = v["feedback"]
        if fb:  # m[n] = sin(theta[n] + fb m[n-1]): fixed point, as fm_tone
            for _ in range(256):
                new = np.sin(theta + fb * np.concatenate(([self.prev], m[:-1])))
                done = np.abs(new - m).max() < 1e-6
                m = new
                if done:
                    break
        self.prev = float(m[-1])
        return amp * np.sin(_TWO_PI * pc + v["index"] * ienv * m)


def stream_voice(voice, *, sr: int, n_samples: int, block_size: int, clip: bool = True, **values) -> np.ndarray:
    """Render one note block by block (the streaming path), ``(n_samples,)`` float32.

    ``clip`` as in :class:`VoiceStream` (default on: never above full scale; ``False``: the raw
    patch, equal to the one-shot ``voice.render(..., normalize=False)``).

    Examples
    --------
    >>> v = FMVoice()
    >>> a = stream_voice(v, sr=8000, n_samples=1000, block_size=100, midi_f0=60.0, clip=False)
    >>> b = v.render(sr=8000, n_samples=1000, midi_f0=60.0, normalize=False)[0].numpy()
    >>> bool(np.abs(a - b).max() < 1e-4)
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    n_samples = check_n_samples(n_samples)
    block_size = check_block_size(block_size)
    s = VoiceStream(voice, sr=sr, clip=clip, **values)
    return np.concatenate([s.process(min(block_size, n_samples - i)) for i in range(0, n_samples, block_size)])


class PolyStream:
    """Several notes of one voice, started and released at any sample: a tiny synth engine.

    Parameters
    ----------
    voice : SubtractiveVoice or FMVoice
    sr : int
    clip : bool
        Soft-limit the mix of all notes (:func:`musynth_lab.audio.soft_limit`, memoryless),
        so a chord never exceeds full scale (default); ``False``: the plain sum.
    **defaults : float
        Parameters every note takes unless its note-on says otherwise.

    Examples
    --------
    >>> p = PolyStream(FMVoice(), sr=8000)
    >>> p.note_on(60.0, at=10); p.note_off(60.0, at=300)
    >>> y = p.process(256); y = p.process(256); p.active
    1

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, voice, *, sr: int, clip: bool = True, **defaults):
        check(isinstance(voice, (SubtractiveVoice, FMVoice)), "voice", voice, "a SubtractiveVoice or FMVoice")
        self.voice, self.sr = voice, check_sr(sr)
        self.clip = bool(clip)
        self.defaults = dict(defaults)
        self.position = 0
        self.notes = []  # [start_sample, midi, VoiceStream, pending_off_sample or None]

    def note_on(self, midi_f0: float, *, at: int | None = None, **values):
        """Start a note at absolute sample ``at`` (default: the next sample)."""
        at = self.position if at is None else int(at)
        check(at >= self.position, "at", at, f"a sample >= {self.position} (not in the past)")
        vals = {**self.defaults, **values, "midi_f0": float(midi_f0)}
        vals.pop("note_off", None)
        self.notes.append([at, float(midi_f0), VoiceStream(self.voice, sr=self.sr, clip=False, **vals), None])

    def note_off(self, midi_f0: float, *, at: int | None = None):
        """Release the oldest sounding note of that pitch at absolute sample ``at``."""
        at = self.position if at is None else int(at)
        for note in self.notes:
            if note[1] == float(midi_f0) and note[3] is None and note[2].off == math.inf:
                check(at >= note[0], "at", at, f"a sample after the note-on at {note[0]}")
                note[3] = at
                note[2].note_off((at - note[0]) / self.sr if at - note[0] >= note[2].position else note[2].position / self.sr)
                return
        raise ParameterError(f"midi_f0={midi_f0!r}: expected a sounding note (no note-on without a note-off)")

    @property
    def active(self) -> int:
        """Notes still sounding (or waiting to start)."""
        return len(self.notes)

    def process(self, n: int) -> np.ndarray:
        """The next ``n`` samples of all notes, ``(n,)`` float32."""
        n = check_block_size(n, "n")
        out = np.zeros(n, dtype=np.float32)
        end = self.position + n
        keep = []
        for note in self.notes:
            start, _, s, _ = note
            if start >= end:
                keep.append(note)
                continue
            k = max(0, start - self.position)
            out[k:] += s.process(n - k)
            if not s.done:
                keep.append(note)
        self.notes = keep
        self.position = end
        if self.clip:
            out = soft_limit(out)
        return out


def play_events(voice, events, *, sr: int, n_samples: int, block_size: int, clip: bool = True, **defaults) -> np.ndarray:
    """Play a MIDI-like event list block by block, ``(n_samples,)`` float32.

    Parameters
    ----------
    voice : SubtractiveVoice or FMVoice
    events : list of (time_s, 'note_on' or 'note_off', midi_f0)
        Times in seconds from the start; any order (sorted here).
    sr, n_samples, block_size : int
    clip : bool
        Soft-limit the mix (default), as :class:`PolyStream`.
    **defaults : float
        Voice parameters for every note.

    Examples
    --------
    >>> ev = [(0.0, "note_on", 60), (0.1, "note_off", 60), (0.05, "note_on", 64), (0.2, "note_off", 64)]
    >>> play_events(FMVoice(), ev, sr=8000, n_samples=4000, block_size=256).shape
    (4000,)

    Chapter: notebooks/06a_latency.ipynb
    """
    n_samples, block_size = check_n_samples(n_samples), check_block_size(block_size)
    evs = []
    for e in events:
        check(
            isinstance(e, (tuple, list)) and len(e) == 3 and e[1] in ("note_on", "note_off"),
            "events",
            e,
            "(time_s, 'note_on' or 'note_off', midi_f0) tuples",
        )
        check(float(e[0]) >= 0, "events", e, "event times >= 0 s")
        evs.append((int(round(float(e[0]) * check_sr(sr))), 0 if e[1] == "note_off" else 1, float(e[2])))
    evs.sort()
    p = PolyStream(voice, sr=sr, clip=clip, **defaults)
    out, i = [], 0
    for pos in range(0, n_samples, block_size):
        n = min(block_size, n_samples - pos)
        while i < len(evs) and evs[i][0] < pos + n:
            at, kind, midi = evs[i]
            (p.note_on(midi, at=at) if kind else p.note_off(midi, at=at))
            i += 1
        out.append(p.process(n))
    return np.concatenate(out)


# ----------------------------------------------------------------------------------------
# Effects
# ----------------------------------------------------------------------------------------


class Effect:
    """A block effect: :meth:`process` carries the state, :meth:`oneshot` is the reference.

    ``fn(x, state=..., return_state=True, **kwargs)`` for stateful functions; memoryless ones
    (``stateful=False``) are applied to each block as they are.

    Examples
    --------
    >>> fx = Effect(biquad, kind="lowpass", cutoff_hz=1000.0, sr=8000)     # stateful: state carried
    >>> x = torch.ones(1, 300)
    >>> y = torch.cat([fx.process(x[:, :100]), fx.process(x[:, 100:])], -1)
    >>> bool((y - fx.oneshot(x)).abs().max() < 1e-5)
    True
    >>> Effect(gain, stateful=False, gain_db=-20.0).process(x[:, :2]).tolist()    # memoryless
    [[0.10000000149011612, 0.10000000149011612]]

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, fn, *, stateful: bool = True, **kwargs):
        check(callable(fn), "fn", fn, "an effect function such as musynth_lab.synth.biquad")
        self.fn, self.stateful, self.kwargs = fn, stateful, kwargs
        fn(torch.zeros(1, 1), **kwargs)  # validates the settings now, not at the first process()
        self.state = None

    def reset(self):
        self.state = None

    def process(self, x):
        """The next block, ``(batch, n)``; the same kind as ``x``."""
        if not self.stateful:
            return self.fn(x, **self.kwargs)
        y, self.state = self.fn(x, state=self.state, return_state=True, **self.kwargs)
        return y

    def oneshot(self, x):
        """The whole signal at once (the reference the stream must equal)."""
        return self.fn(x, **self.kwargs)


def Biquad(kind: str, *, cutoff_hz: float, sr: int, q: float = 0.7071, gain_db: float = 0.0) -> Effect:
    """Streaming :func:`musynth_lab.synth.biquad`.

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = Biquad("lowpass", cutoff_hz=1000.0, sr=8000, q=2.0)
    >>> bool((stream_effects(Chain([fx]), x, block_size=128) - fx.oneshot(x)).abs().max() < 1e-5)
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(biquad, kind=kind, cutoff_hz=cutoff_hz, sr=sr, q=q, gain_db=gain_db)


def SVF(*, cutoff_hz: float, sr: int, q: float = 0.7071, mode: str = "lowpass") -> Effect:
    """Streaming :func:`musynth_lab.synth.svf`.

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = SVF(cutoff_hz=1000.0, sr=8000, mode="bandpass")
    >>> bool((stream_effects(Chain([fx]), x, block_size=128) - fx.oneshot(x)).abs().max() < 1e-5)
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(svf, cutoff_hz=cutoff_hz, sr=sr, q=q, mode=mode)


def Delay(*, delay_s: float, sr: int, feedback: float = 0.3, mix: float = 0.5, dry: float = 1.0) -> Effect:
    """Streaming :func:`musynth_lab.synth.delay` (its soft limit is sample by sample, so block-safe).

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = Delay(delay_s=0.01, sr=8000, feedback=0.5)
    >>> bool((stream_effects(Chain([fx]), x, block_size=128) - fx.oneshot(x)).abs().max() < 1e-5)
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(delay, delay_s=delay_s, sr=sr, feedback=feedback, mix=mix, dry=dry)


def Chorus(*, sr: int, **kwargs) -> Effect:
    """Streaming :func:`musynth_lab.synth.chorus`.

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = Chorus(sr=8000)
    >>> bool((stream_effects(Chain([fx]), x, block_size=128) - fx.oneshot(x)).abs().max() < 1e-3)  # float32 LFO
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(chorus, sr=sr, **kwargs)


def Flanger(*, sr: int, **kwargs) -> Effect:
    """Streaming :func:`musynth_lab.synth.flanger`.

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = Flanger(sr=8000)
    >>> bool((stream_effects(Chain([fx]), x, block_size=128) - fx.oneshot(x)).abs().max() < 1e-3)  # float32 LFO
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(flanger, sr=sr, **kwargs)


def Gain(*, gain_db: float) -> Effect:
    """:func:`musynth_lab.synth.gain` (memoryless).

    Examples
    --------
    >>> Gain(gain_db=-6.0).process(np.ones((1, 3), dtype=np.float32)).round(3).tolist()
    [[0.501, 0.501, 0.501]]

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(gain, stateful=False, gain_db=gain_db)


def Overdrive(**kwargs) -> Effect:
    """:func:`musynth_lab.synth.overdrive` (memoryless).

    Examples
    --------
    >>> y = Overdrive().process(torch.linspace(-2, 2, 9)[None])
    >>> tuple(y.shape), float(y.abs().max()) <= 1.0
    ((1, 9), True)

    Chapter: notebooks/06a_latency.ipynb
    """
    return Effect(overdrive, stateful=False, **kwargs)


def _mix_conv(x, *, ir, mix, state=None, return_state=False):
    wet = convolve(x, ir, state=state, return_state=return_state)
    if return_state:
        wet, st = wet
        return (1 - mix) * x + mix * wet, st
    return (1 - mix) * x + mix * wet


def ConvolutionReverb(ir, *, mix: float = 0.3) -> Effect:
    """Streaming :func:`musynth_lab.synth.convolution_reverb` (``keep_tail=False``; its tail is carried).

    Equal to the one-shot function while the output stays within full scale (see the module note).

    Examples
    --------
    >>> fx = ConvolutionReverb([1.0, 0.0, 0.5], mix=1.0)       # a direct path and one echo 2 samples later
    >>> fx.process(torch.tensor([[1.0, 0.0]])).tolist(), fx.process(torch.tensor([[0.0, 0.0]])).tolist()
    ([[1.0, 0.0]], [[0.5, 0.0]])

    Chapter: notebooks/06a_latency.ipynb
    """
    mix = as_float(mix, "mix", low=0.0, high=1.0)
    h = torch.as_tensor(np.asarray(ir, dtype=np.float32)) if not isinstance(ir, torch.Tensor) else ir.float()
    e = Effect(_mix_conv, ir=h, mix=float(mix))
    e.oneshot = lambda x: convolution_reverb(x, h, mix=float(mix))
    return e


def AlgorithmicReverb(*, sr: int, rt60: float = 1.5, damping: float = 0.3, mix: float = 0.3, predelay_s: float = 0.0) -> Effect:
    """Streaming :func:`musynth_lab.synth.algorithmic_reverb` (mono): its Schroeder response, convolved.

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = AlgorithmicReverb(sr=8000, rt60=0.3, mix=0.3)
    >>> bool((stream_effects(Chain([fx]), x, block_size=256) - fx.oneshot(x)).abs().max() < 1e-5)
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    check(isinstance(predelay_s, (int, float)) and 0 <= predelay_s <= 0.5, "predelay_s", predelay_s, "a time in [0, 0.5] s")
    as_float(mix, "mix", low=0.0, high=1.0)
    ir = schroeder_ir(rt60=rt60, sr=sr, damping=damping)
    pre = int(round(predelay_s * check_sr(sr)))
    if pre:
        ir = torch.nn.functional.pad(ir, (pre, 0))
    e = ConvolutionReverb(ir, mix=mix)
    e.oneshot = lambda x: algorithmic_reverb(x, sr=sr, rt60=rt60, damping=damping, mix=mix, predelay_s=predelay_s)
    return e


def _compress(x, *, sr, threshold_db, ratio, attack_s, release_s, makeup_db, knee_db, gate, state=None, return_state=False):
    """:func:`compressor` / :func:`noise_gate` (``gate=True``, ``ratio`` = ``range_db``) with carried smoothers."""
    xt = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float32))
    s1, s2 = (None, None) if state is None else state
    p, s1 = one_pole(xt * xt, time_s=attack_s, sr=sr, state=s1, return_state=True)
    level = 10.0 * torch.log10(p.clamp(min=1e-12))
    if gate:
        gr = gate_gain_db(level - threshold_db, ratio)
    else:
        gr = gain_reduction_db(level - threshold_db, ratio, knee_db)
    g, s2 = one_pole(gr, time_s=release_s, sr=sr, state=s2, return_state=True)
    y = xt * 10.0 ** ((g + makeup_db) / 20.0)
    y = y if isinstance(x, torch.Tensor) else y.numpy()
    return (y, (s1, s2)) if return_state else y


def Compressor(
    *,
    sr: int,
    threshold_db: float = -20.0,
    ratio: float = 4.0,
    attack_s: float = 0.005,
    release_s: float = 0.05,
    makeup_db: float = 0.0,
    knee_db: float = 0.0,
) -> Effect:
    """Streaming :func:`musynth_lab.synth.compressor` (``limit_output=False``): both smoothers carried.

    Examples
    --------
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> fx = Compressor(sr=8000, threshold_db=-20.0, ratio=4.0)
    >>> bool((stream_effects(Chain([fx]), x, block_size=128) - fx.oneshot(x)).abs().max() < 1e-5)
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    compressor(
        np.zeros((1, 1), np.float32),
        sr=sr,
        threshold_db=threshold_db,
        ratio=ratio,
        attack_s=attack_s,
        release_s=release_s,
        makeup_db=makeup_db,
        knee_db=knee_db,
    )  # validates the settings
    e = Effect(
        _compress,
        sr=sr,
        threshold_db=threshold_db,
        ratio=ratio,
        attack_s=attack_s,
        release_s=release_s,
        makeup_db=makeup_db,
        knee_db=knee_db,
        gate=False,
    )
    e.oneshot = lambda x: compressor(
        x,
        sr=sr,
        threshold_db=threshold_db,
        ratio=ratio,
        attack_s=attack_s,
        release_s=release_s,
        makeup_db=makeup_db,
        knee_db=knee_db,
        limit_output=False,
    )
    return e


def NoiseGate(
    *, sr: int, threshold_db: float = -50.0, range_db: float = -80.0, attack_s: float = 0.002, release_s: float = 0.05
) -> Effect:
    """Streaming :func:`musynth_lab.synth.noise_gate`: both smoothers carried.

    Examples
    --------
    >>> fx = NoiseGate(sr=8000, threshold_db=-40.0)
    >>> hiss = 1e-3 * torch.randn(1, 4000, generator=torch.Generator().manual_seed(0))      # about -60 dBFS
    >>> y = stream_effects(Chain([fx]), hiss, block_size=256)
    >>> bool(y[:, 2000:].abs().max() < 1e-5), bool((y - fx.oneshot(hiss)).abs().max() < 1e-6)
    (True, True)

    Chapter: notebooks/06a_latency.ipynb
    """
    noise_gate(
        np.zeros((1, 1), np.float32), sr=sr, threshold_db=threshold_db, range_db=range_db, attack_s=attack_s, release_s=release_s
    )  # validates the settings
    e = Effect(
        _compress,
        sr=sr,
        threshold_db=threshold_db,
        ratio=range_db,
        attack_s=attack_s,
        release_s=release_s,
        makeup_db=0.0,
        knee_db=0.0,
        gate=True,
    )
    e.oneshot = lambda x: noise_gate(
        x, sr=sr, threshold_db=threshold_db, range_db=range_db, attack_s=attack_s, release_s=release_s
    )
    return e


class Chain:
    """Effects in series, streamed block by block.

    Examples
    --------
    >>> fx = Chain([Biquad("lowpass", cutoff_hz=2000.0, sr=16000), Delay(delay_s=0.01, sr=16000)])
    >>> x = 0.3 * torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    >>> y = torch.cat([fx.process(x[:, i:i + 128]) for i in range(0, 1000, 128)], -1)
    >>> bool((y - Chain(fx.effects).oneshot(x)).abs().max() < 1e-5)
    True

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, effects):
        self.effects = list(effects)
        check(all(isinstance(e, Effect) for e in self.effects), "effects", effects, "a list of stream Effects")

    def reset(self):
        for e in self.effects:
            e.reset()

    def process(self, x):
        for e in self.effects:
            x = e.process(x)
        return x

    def oneshot(self, x):
        for e in self.effects:
            x = e.oneshot(x)
        return x


def stream_effects(chain: Chain, x, *, block_size: int):
    """Run ``x`` ``(batch, n)`` through ``chain`` in blocks of ``block_size`` (state reset first).

    Examples
    --------
    >>> fx = Chain([Gain(gain_db=-6.0), Delay(delay_s=0.005, sr=8000)])
    >>> x = np.random.default_rng(0).uniform(-0.3, 0.3, (2, 1000)).astype(np.float32)
    >>> y = stream_effects(fx, x, block_size=64)
    >>> type(y).__name__, y.shape, bool(np.abs(y - fx.oneshot(x)).max() < 1e-5)
    ('ndarray', (2, 1000), True)

    Chapter: notebooks/06a_latency.ipynb
    """
    check(
        callable(getattr(chain, "reset", None)) and callable(getattr(chain, "process", None)),
        "chain",
        chain,
        "a Chain of stream effects",
    )
    as_audio(x, name="x")
    block_size = check_block_size(block_size)
    chain.reset()
    n = x.shape[-1]
    parts = [chain.process(x[..., i : i + block_size]) for i in range(0, n, block_size)]
    return torch.cat(parts, -1) if isinstance(x, torch.Tensor) else np.concatenate(parts, -1)
