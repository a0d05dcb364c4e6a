"""The table behind ``tests/test_contract.py``: one valid call for every public callable.

How to read an entry
--------------------
``"features.rms": E(Y)`` means: ``musynth_lab.features.rms(Y)`` is a valid call. The test binds
the call to the signature and then replaces **one argument at a time** with bad values of
that argument's *kind*. Kinds come from ``KIND`` (by argument name, for the whole kit) and may
be overridden per entry with ``k={"name": "kind"}`` (``None``: leave that argument alone).
Arguments that keep their default are perturbed too when their name has a kind.

* ``E(*args, **kwargs)`` - the valid call; values may be ``L(fn)`` (built fresh for each call);
  ``kw={"k": 2}`` passes arguments whose names E uses itself.
* ``k={...}`` - kind overrides; ``allow={"arg": reason}`` or ``{"arg:label": reason}`` -
  accepted bad values, with the reason; ``nonfinite=reason`` - the valid result may hold
  NaN/inf; ``skip=reason`` - not called at all (the reason says why); ``obj=L(...)`` - for a
  ``"Class.method"`` entry, the object whose method is called; ``timeout`` - seconds per call.

Every bad value either raises ``ParameterError`` naming the argument, or (values marked
"may pass": int16 PCM audio, one sample of 1e30, ...) returns a finite result. Exercise
``answer`` arguments may also return a *wrong* ``CheckResult`` instead of raising.
"""

from __future__ import annotations

import functools

import numpy as np
import torch


class L:
    """A lazily built argument value (fresh for every call)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self):
        return self.fn()


class E:
    def __init__(
        self, *args, k=None, allow=None, nonfinite=None, skip=None, obj=None, timeout=None, check=None, kw=None, **kwargs
    ):
        self.args, self.kwargs = args, {**kwargs, **(kw or {})}  # kw: arguments named like E's own (k=...)
        self.kinds = k or {}
        self.allow = allow or {}
        self.nonfinite, self.skip, self.obj, self.timeout, self.check = nonfinite, skip, obj, timeout, check


def resolve(v):
    if isinstance(v, L):
        return v()
    if isinstance(v, dict):
        return {a: resolve(b) for a, b in v.items()}
    return v


# --------------------------------------------------------------------------------------
# Valid values (seeded, small)
# --------------------------------------------------------------------------------------
_rng = lambda: np.random.default_rng(0)
Y = L(lambda: (0.1 * _rng().standard_normal(4096)).astype(np.float32))  # 4096 samples at 22050 Hz
YL = L(
    lambda: (0.3 * np.sin(2 * np.pi * 220 * np.arange(22050) / 22050) + 0.05 * _rng().standard_normal(22050)).astype(np.float32)
)  # 1 s, for rhythm
T = L(lambda: 0.1 * torch.randn(1, 2048, generator=torch.Generator().manual_seed(0)))  # (batch, n) synth audio
T1 = L(lambda: 0.1 * torch.randn(2048, generator=torch.Generator().manual_seed(0)))
S_POW = L(
    lambda: (
        np.abs(
            np.fft.rfft(
                np.lib.stride_tricks.sliding_window_view((0.1 * _rng().standard_normal(4096)), 512)[::256] * np.hanning(512),
                axis=-1,
            ).T
        )
        ** 2
        + 1e-6
    )
)  # (257, 15)
CHROMA = L(lambda: _rng().random((12, 40)) + 0.01)
ROLL = L(lambda: np.eye(88, 16, k=-39, dtype=bool) | np.eye(88, 16, k=-43, dtype=bool))
ROLLS = L(lambda: [np.eye(88, 16, k=-39, dtype=bool), np.eye(88, 16, k=-43, dtype=bool)])
NOTES = L(lambda: np.array([[0.0, 1.0, 60.0], [1.0, 1.0, 64.0], [2.0, 2.0, 67.0]]))
TOKENS = L(lambda: np.array([40, 1, 43, 1, 45, 1, 1, 40]))
VOICES = L(lambda: np.array([[72, 67, 64, 53], [74, 67, 62, 55], [72, 64, 60, 48]]))
MAT = L(lambda: _rng().random((5, 4)))
EMB = L(lambda: np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]))
LABELS = L(lambda: np.array([0.0, 0.0, 1.0, 1.0]))
LOGP = L(lambda: torch.log(torch.tensor([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.2, 0.2, 0.6]])))


@functools.lru_cache(None)
def _chorales(split="train"):
    from musynth_lab.data import load_chorales

    return tuple(load_chorales(split))


def _tt(v):
    return L(lambda: torch.tensor([[v]]))


CHORALE = L(lambda: _chorales()[0])
CHORALES = L(lambda: list(_chorales()[:6]))


def markov(prefix):
    table = torch.log(torch.tensor([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.2, 0.2, 0.6]]))
    return table[prefix[:, -1]]


def _fm_voice():
    from musynth_lab.synth import FMVoice

    return FMVoice()


def _sub_voice():
    from musynth_lab.synth import SubtractiveVoice

    return SubtractiveVoice()


@functools.lru_cache(None)
def _excerpt():
    from musynth_lab.data import list_excerpts, load_excerpt

    return load_excerpt(list_excerpts("test")[0])


def _excerpt_short():
    import dataclasses

    ex = _excerpt()
    n = 4 * ex.sr
    return dataclasses.replace(ex, audio=ex.audio[:n], notes=ex.notes[ex.notes[:, 0] < n], beats=ex.beats[ex.beats < n])


@functools.lru_cache(None)
def _melody_hmm():
    from musynth_lab.stats import MelodyHMM

    return MelodyHMM(n_states=3, n_iter=3).fit(list(_chorales()[:6]))


@functools.lru_cache(None)
def _chord_hmm():
    from musynth_lab.stats import ChordHMM

    return ChordHMM(emissions="template").fit(chorales=list(_chorales()[:10]))


@functools.lru_cache(None)
def _note_crf():
    from musynth_lab.stats import NoteCRF

    return NoteCRF(max_iterations=5).fit(list(_chorales()[:4]))


@functools.lru_cache(None)
def _vb():
    from musynth_lab.stats import VBMixture

    return VBMixture(n_components=3, max_iter=20).fit(_rng().normal(size=(60, 2)))


@functools.lru_cache(None)
def _ngram():
    from musynth_lab.stats.ngram import NGramModel

    return NGramModel(2, vocab_size=5).fit([[0, 1, 2, 3, 4, 1, 2]])


def _chord_seq():
    from musynth_lab.stats import ChordSequence

    return ChordSequence(np.array([7, 7, 16]), np.array([0.0, 0.5, 1.0]), "beat")


def _transfer_result():
    from musynth_lab.models.transfer import TransferResult

    return TransferResult(
        "flute",
        1,
        scratch=0.3,
        zero_shot=0.2,
        fine_tuned=0.6,
        meta_zero_shot=0.1,
        meta_adapted=0.7,
        curves={"pretrained": [0.2, 0.5, 0.6], "meta": [0.1, 0.5, 0.7]},
    )


def _decoder_comparison():
    from musynth_lab.lessons.synthesis import DecoderComparison

    return DecoderComparison(
        ["a", "b"], (0, 1), np.ones((2, 2)), -np.ones((2, 2)), np.ones((2, 2)), np.array([[3.0, 5.0], [4.0, 4.0]]), {}, {}
    )


def _timing():
    from musynth_lab.latency import time_blocks

    return time_blocks(lambda n: None, block_size=64, sr=16000, n_blocks=5, warmup=0)


# --------------------------------------------------------------------------------------
# Kinds by argument name (for every callable; entries override with k=)
# --------------------------------------------------------------------------------------
KIND: dict[str, str | None] = {}
for _n in ("sr", "orig_sr", "target_sr", "reference_sr"):
    KIND[_n] = "sr"
for _n in ("y", "x", "ir", "pred", "target", "reference", "estimate"):
    KIND[_n] = "audio"
for _n in (
    "n_samples",
    "hop_length",
    "n_fft",
    "win_length",
    "frame_length",
    "block_size",
    "n_mels",
    "n_bins",
    "n_mfcc",
    "n_gfcc",
    "n_bands",
    "n_chroma",
    "bins_per_octave",
    "steps",
    "n_steps",
    "batch_size",
    "epochs",
    "n_iter",
    "max_iter",
    "n_states",
    "n_components",
    "n_classes",
    "channels",
    "d_model",
    "n_heads",
    "hidden",
    "embed",
    "latent_dim",
    "k_max",
    "n_freqs",
    "n_blocks",
    "beam_width",
    "max_lag",
    "frames_per_bar",
    "n_positions",
    "height",
    "n_keys",
    "n_voices",
    "size",
    "max_additive",
    "n_octaves",
    "max_iterations",
    "d_enc",
    "d_dec",
    "d_query",
    "d_key",
    "d_hidden",
    "reduction",
    "kernel_size",
    "n_bars",
    "beats_per_bar",
    "steps_per_beat",
    "bar_dim",
    "beat_dim",
    "repeats",
    "n_frames",
    "vocab_size",
    "order",
    "k",
    "max_size",
    "n_hidden",
):
    KIND[_n] = "count"
for _n in (
    "freq_hz",
    "cutoff_hz",
    "carrier_hz",
    "modulator_hz",
    "bpm",
    "tuning_hz",
    "rate_hz",
    "rt60",
    "time_s",
    "step",
    "start_bpm",
    "q",
    "ref",
    "amin",
    "top_db",
    "lr",
    "temperature",
    "fmin",
    "fmax",
    "attack_s",
    "release_s",
    "tail_s",
    "duration_s",
    "frames_per_beat",
    "bar_q",
    "length_q",
    "head_radius_m",
    "speed_of_sound",
    "limit_ms",
    "hop_s",
):
    KIND[_n] = "pos"
for _n in (
    "tuning",
    "phase",
    "gain_db",
    "threshold_db",
    "drive_db",
    "makeup_db",
    "azimuth_deg",
    "range_db",
    "peak_db",
    "knee_db",
    "offset_db",
    "db",
    "S_db",
    "index",
    "position",
    "transpose",
    "semitones",
    "axis",
    "low",
):
    KIND[_n] = "real"
for _n in ("mix", "damping", "sustain", "roll_percent", "pulse_width", "dropout", "noise_quantile"):
    KIND[_n] = "frac"
for _n in (
    "predelay_s",
    "delay_s",
    "depth_s",
    "attack",
    "decay",
    "release",
    "note_off",
    "lookahead_ms",
    "compute_ms",
    "smoothing",
    "eps",
    "weight_decay",
    "length_penalty",
    "tightness",
    "c1",
    "c2",
):
    KIND[_n] = "nonneg"
for _n in (
    "window",
    "kind",
    "mode",
    "method",
    "shape",
    "style",
    "vocabulary",
    "activation",
    "pad_mode",
    "emissions",
    "covariance_type",
    "units",
    "part",
    "split",
    "level",
    "grid",
    "cqt_mode",
    "precision",
    "curve",
    "quality",
):
    KIND[_n] = "choice"
for _n in ("seed", "noise_seed"):
    KIND[_n] = "seed"
KIND["answer"] = "answer"
for _n in ("hop_length", "win_length"):
    KIND[_n] = "count?"
for _n in ("fmax", "max_tempo", "max_grad_norm"):
    KIND[_n] = "pos?"
KIND["axis"] = "int?"
KIND["window"] = "window"
KIND["top_db"] = "nonneg?"
KIND["tuning"] = "real?"  # None: estimate it
for _n in ("rate_hz", "tail_s"):
    KIND[_n] = "nonneg"  # a 0 Hz LFO is constant; no tail is allowed
for _n in ("freq_hz", "amplitude", "length_penalty"):
    KIND[_n] = "real"
for _n in ("carrier_hz", "modulator_hz", "fmin"):
    KIND[_n] = "nonneg"
for _n in ("S", "D", "C", "chroma", "scores", "weights", "values", "features", "data", "keys", "query"):
    KIND[_n] = "arr"

# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------
SR = 22050
_SYN = {"n_samples": 1024, "sr": 16000}

TABLE: dict[str, E] = {
    # ---------------------------------------------------------------- musynth_lab / audio
    "musynth_lab.ParameterError": E(skip="the error class itself"),
    "musynth_lab.as_audio": E(Y, k={"name": None, "min_samples": "count", "dtype": None}),
    "musynth_lab.get_device": E("cpu", k={"device": "choice"}),
    "musynth_lab.set_device": E(None, k={"device": None}, skip="changes global state; covered by test_audio"),
    "musynth_lab.seed_everything": E(0),
    "musynth_lab.load": E(L(lambda: wav_path()), sr=8000, k={"path": "path", "offset": "nonneg", "duration": "pos"}),
    "musynth_lab.save": E(L(lambda: new_path()), Y, sr=SR, k={"path": "path", "subtype": "choice"}),
    "musynth_lab.resample": E(Y, orig_sr=SR, target_sr=8000),
    "musynth_lab.play": E(Y, sr=SR),
    "musynth_lab.hz_to_midi": E(440.0, k={"frequency_hz": "numarr"}),
    "musynth_lab.midi_to_hz": E(69.0, k={"midi": "numarr"}),
    "musynth_lab.midi_to_note": E(69, k={"midi": "int"}),
    "musynth_lab.note_to_midi": E("A4", k={"note": "choice"}),
    "musynth_lab.amplitude_to_db": E(L(lambda: np.array([0.5, 1.0])), k={"amplitude": "numarr"}),
    "musynth_lab.db_to_amplitude": E(L(lambda: np.array([-6.0, 0.0])), k={"db": "numarr"}),
    "musynth_lab.power_to_db": E(L(lambda: np.array([0.5, 1.0])), k={"power": "numarr"}),
    "musynth_lab.db_to_power": E(L(lambda: np.array([-6.0, 0.0])), k={"db": "numarr"}),
    "musynth_lab.audio.to_numpy": E(Y, k={"x": None}, skip="a converter of any array-like; no contract of its own"),
    "musynth_lab.audio.to_tensor": E(Y, k={"x": None}, skip="a converter of any array-like; no contract of its own"),
    "musynth_lab.audio.like": E(Y, Y, skip="a converter of any array-like; no contract of its own"),
    "musynth_lab.audio.is_tensor": E(Y, skip="a predicate: any object is valid input"),
    "musynth_lab.audio.normalize": E(Y),
    "musynth_lab.audio.soft_limit": E(Y, k={"threshold": "pos"}),
    # ---------------------------------------------------------------- data
    "musynth_lab.data.data_dir": E(),
    "musynth_lab.data.Chorale": E(skip="a record built by load_chorales; fields are not validated"),
    "musynth_lab.data.load_chorales": E("test"),
    "musynth_lab.data.piano_roll": E(CHORALE, k={"piece": "obj", "parts": "seq"}),
    "musynth_lab.data.notes_to_roll": E(NOTES, k={"notes": "mat"}),
    "musynth_lab.data.melody_notes": E(CHORALE, k={"piece": "obj"}),
    "musynth_lab.data.melody_tokens": E(CHORALE, k={"piece": "obj", "transpose": "int"}),
    "musynth_lab.data.tokens_to_notes": E(TOKENS, k={"tokens": "tokens"}),
    "musynth_lab.data.chord_index": E(7, "maj", k={"root": "int"}, allow={"root:None": "documented: no root is 'N' (24)"}),
    "musynth_lab.data.chord_name": E(7, k={"index": "int"}),
    "musynth_lab.data.NoteSet": E(skip="a record built by load_notes; fields are not validated"),
    "musynth_lab.data.load_notes": E(
        instrument="flute", velocity=60, k={"instrument": "choice", "velocity": "int", "family": "choice", "pitch": "int"}
    ),
    "musynth_lab.data.list_instruments": E(),
    "musynth_lab.data.Excerpt": E(skip="a record built by load_excerpt; fields are not validated"),
    "musynth_lab.data.list_excerpts": E("test"),
    "musynth_lab.data.load_excerpt": E(
        L(lambda: __import__("musynth_lab.data", fromlist=["x"]).list_excerpts("test")[0]), k={"name": "choice"}
    ),
    "musynth_lab.data.Piece": E(skip="a record built by load_midi/load_musicxml; fields are not validated"),
    "musynth_lab.data.FolderReport": E(skip="a record returned by load_midi_folder"),
    "musynth_lab.data.AudioFolder": E(skip="a record returned by load_audio_folder"),
    "musynth_lab.data.as_parts": E(CHORALE, k={"x": "obj", "low": "int"}),
    "musynth_lab.data.voices_to_parts": E(VOICES, step=1.0, k={"voices": "mat", "names": None}),
    "musynth_lab.data.gm_instrument": E(0, k={"program": "int"}),
    "musynth_lab.data.save_midi": E(
        CHORALE,
        L(lambda: new_path(".mid")),
        allow={"path:missing": "documented: the folders are created"},
        k={"x": "obj", "path": "path", "program": None, "meter": None, "key": None, "velocity": "count", "low": "int"},
    ),
    "musynth_lab.data.save_musicxml": E(
        CHORALE,
        L(lambda: new_path(".musicxml")),
        allow={"path:missing": "documented: the folders are created"},
        k={"x": "obj", "path": "path", "program": None, "meter": None, "key": None, "title": None, "low": "int"},
    ),
    "musynth_lab.data.load_midi": E(
        L(lambda: midi_path()), k={"path": "path", "tracks": None, "polyphony": "choice", "drums": "choice"}
    ),
    "musynth_lab.data.load_musicxml": E(L(lambda: musicxml_path()), k={"path": "path", "tracks": None, "polyphony": "choice"}),
    "musynth_lab.data.load_midi_folder": E(L(lambda: midi_folder()), progress=False, k={"folder": "path"}),
    "musynth_lab.data.load_musicxml_folder": E(L(lambda: midi_folder()), progress=False, k={"folder": "path"}),
    "musynth_lab.data.load_audio_folder": E(
        L(lambda: audio_folder()), sr=8000, progress=False, k={"folder": "path", "max_duration": "pos"}
    ),
    "musynth_lab.synth.render_midi": E(L(lambda: midi_path()), sr=8000, k={"x": "path", "instrument": None}),
    # ---------------------------------------------------------------- synth
    "musynth_lab.synth.Param": E(
        "cutoff_hz", 20.0, 20000.0, 1000.0, "Hz", "log", k={"lo": "real", "hi": "real", "default": "real", "name": None}
    ),
    "musynth_lab.synth.param_table": E(
        L(lambda: [__import__("musynth_lab.synth", fromlist=["x"]).Param("gain_db", -60.0, 12.0, 0.0, "dB")]), k={"params": "seq"}
    ),
    "musynth_lab.synth.make_wavetable": E([1.0, 0.5], k={"harmonics": "arr"}),
    "musynth_lab.synth.oscillator": E("triangle", 220.0, **_SYN),
    "musynth_lab.synth.phase_ramp": E(220.0, **_SYN),
    "musynth_lab.synth.pink_noise": E(n_samples=1024, seed=0, k={"batch": "count"}),
    "musynth_lab.synth.white_noise": E(n_samples=1024, seed=0, k={"batch": "count"}),
    "musynth_lab.synth.saw": E(220.0, **_SYN, k={"amplitude": "real"}),
    "musynth_lab.synth.sine": E(220.0, **_SYN, k={"amplitude": "real"}),
    "musynth_lab.synth.square": E(220.0, **_SYN, k={"amplitude": "real"}),
    "musynth_lab.synth.triangle": E(220.0, **_SYN, k={"amplitude": "real"}),
    "musynth_lab.synth.wavetable": E(
        L(lambda: np.sin(2 * np.pi * np.arange(256) / 256).astype(np.float32)),
        220.0,
        **_SYN,
        k={"table": "audio", "position": "frac", "amplitude": "real"},
    ),
    "musynth_lab.synth.adsr": E(attack=0.01, decay=0.05, sustain=0.5, release=0.1, note_off=0.03, **_SYN),
    "musynth_lab.synth.adsr_level": E(
        L(lambda: torch.tensor([[0.05, 0.2, 0.6]])),
        attack=_tt(0.1),
        decay=_tt(0.1),
        sustain=_tt(0.5),
        release=_tt(0.2),
        note_off=_tt(0.5),
        k={"t": "arr", "attack": "arr", "decay": "arr", "sustain": "arr", "release": "arr", "note_off": "arr"},
    ),
    "musynth_lab.synth.lfo": E(5.0, **_SYN, k={"depth": "real", "offset": "real"}),
    "musynth_lab.synth.bessel_sidebands": E(2.0, carrier_hz=1000.0, modulator_hz=200.0, k={"index": "nonneg"}),
    "musynth_lab.synth.feedback_sine": E(
        L(lambda: torch.linspace(0, 20, 50)[None]), feedback=_tt(0.7), k={"theta": "arr", "feedback": "arr", "tol": "pos"}
    ),
    "musynth_lab.synth.fm4": E(
        220.0, **_SYN, k={"algorithm": "count", "ratios": "seq", "levels": "seq", "phase": None, "feedback": "real"}
    ),
    "musynth_lab.synth.fm_tone": E(220.0, **_SYN, k={"ratio": "nonneg", "phase": None, "feedback": "real", "amplitude": "real"}),
    "musynth_lab.synth.biquad": E(T, kind="lowpass", cutoff_hz=1000.0, sr=16000),
    "musynth_lab.synth.biquad_coefficients": E("lowpass", cutoff_hz=1000.0, sr=16000),
    "musynth_lab.synth.equalizer": E(T, bands=[{"cutoff_hz": 1000.0, "gain_db": 6.0, "q": 2.0}], sr=16000, k={"bands": "seq"}),
    "musynth_lab.synth.frequency_response": E(
        L(lambda: np.array([0.2, 0.4, 0.2])),
        L(lambda: np.array([1.0, -0.3, 0.1])),
        sr=16000,
        k={"b": "arr", "a": "arr", "freqs_hz": "arr"},
    ),
    "musynth_lab.synth.graphic_eq": E(T, gains_db=[0.0] * 10, sr=44100, k={"gains_db": "seq"}),
    "musynth_lab.synth.lfilter2": E(
        T, L(lambda: np.array([0.2, 0.4, 0.2])), L(lambda: np.array([1.0, -0.3, 0.1])), k={"b": "arr", "a": "arr"}
    ),
    "musynth_lab.synth.linear_recurrence": E(
        L(lambda: (0.5 * torch.ones(1, 1), torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1))),
        L(lambda: (torch.ones(1, 4), torch.zeros(1, 4))),
        k={"A": "seq", "u": "seq"},
    ),
    "musynth_lab.synth.one_pole": E(T, time_s=0.01, sr=16000),
    "musynth_lab.synth.svf": E(T, cutoff_hz=1000.0, sr=16000),
    "musynth_lab.synth.chorus": E(T, sr=16000, k={"voices": "count"}),
    "musynth_lab.synth.compressor": E(T, sr=16000, k={"ratio": "pos"}),
    "musynth_lab.synth.delay": E(T, delay_s=0.01, sr=16000, k={"feedback": "frac", "dry": "real"}),
    "musynth_lab.synth.exciter": E(T, sr=16000, k={"amount": "nonneg"}),
    "musynth_lab.synth.flanger": E(T, sr=16000),
    "musynth_lab.synth.gain": E(T, gain_db=-6.0),
    "musynth_lab.synth.limit": E(T, k={"threshold": "pos"}),
    "musynth_lab.synth.noise_gate": E(T, sr=16000),
    "musynth_lab.synth.overdrive": E(T),
    "musynth_lab.synth.rms_db": E(T, sr=16000),
    "musynth_lab.synth.algorithmic_reverb": E(T, sr=16000, rt60=0.3),
    "musynth_lab.synth.convolution_reverb": E(T, L(lambda: torch.exp(-torch.arange(256.0) / 30)[None])),
    "musynth_lab.synth.convolve": E(T, L(lambda: torch.exp(-torch.arange(256.0) / 30)[None])),
    "musynth_lab.synth.energy_decay_db": E(
        L(lambda: torch.exp(-torch.arange(4000.0) / 400) * torch.randn(4000, generator=torch.Generator().manual_seed(0))), sr=8000
    ),
    "musynth_lab.synth.measure_rt60": E(
        L(lambda: torch.exp(-torch.arange(8000.0) / 400) * torch.randn(8000, generator=torch.Generator().manual_seed(0))),
        sr=8000,
        k={"from_db": "real", "to_db": "real"},
    ),
    "musynth_lab.synth.pan": E(T, position=0.0, k={"position": "real"}),
    "musynth_lab.synth.schroeder_ir": E(rt60=0.2, sr=8000, k={"allpass_gain": "frac"}),
    "musynth_lab.synth.spatialize": E(T, azimuth_deg=30.0, sr=16000, k={"ild_db": "real", "shadow_db": "real"}),
    "musynth_lab.synth.synthetic_ir": E(rt60=0.2, sr=8000),
    "musynth_lab.synth.woodworth_itd": E(30.0),
    "musynth_lab.synth.Sampler": E(
        "choir", k={"instrument": "choice", "velocity": "int", "crossfade_s": "nonneg", "loop_s": "seq"}
    ),
    "musynth_lab.synth.Sampler.play": E(
        [60, 67],
        duration_s=0.2,
        sr=8000,
        obj=L(lambda: sampler()),
        k={"pitches": "seq", "midi": "seq"},
        allow={"midi:number": "documented: midi may be one int or float pitch"},
    ),
    "musynth_lab.synth.accompaniment": E(
        ["C", "G"], style="waltz", k={"progression": "seq", "bars_per_chord": "count", "bass_octave": "int", "velocity": "int"}
    ),
    "musynth_lab.synth.parse_chord": E("F#m7", k={"name": "choice"}),
    "musynth_lab.synth.render_chorale": E(
        CHORALE, sr=8000, max_quarters=2, instrument="organ", k={"chorale": "obj", "instrument": "choice", "max_quarters": "pos"}
    ),
    "musynth_lab.synth.render_notes": E(
        NOTES, bpm=240, sr=8000, instrument="fm_piano", k={"notes": "mat", "instrument": "choice"}
    ),
    "musynth_lab.synth.twelve_bar_blues": E("A", k={"key": "choice"}),
    "musynth_lab.synth.FMVoice": E(),
    "musynth_lab.synth.FMVoice.render": E(sr=8000, n_samples=800, obj=L(_fm_voice), k={"normalize": None}),
    "musynth_lab.synth.SubtractiveVoice": E(k={"filter_chunk": "count"}),
    "musynth_lab.synth.SubtractiveVoice.render": E(sr=8000, n_samples=800, cutoff_hz=800.0, obj=L(_sub_voice)),
    "musynth_lab.synth.Voice": E(skip="abstract base class; FMVoice and SubtractiveVoice are its instances"),
    "musynth_lab.synth.instrument": E("fm_bell", k={"name": "choice"}),
    "musynth_lab.synth.MatchResult": E(skip="a record returned by match_sound"),
    "musynth_lab.synth.match_sound": E(
        L(_sub_voice),
        L(lambda: _sub_voice().render(sr=8000, n_samples=2048, cutoff_hz=2000.0)),
        sr=8000,
        fit=["cutoff_hz"],
        init={"cutoff_hz": 500.0},
        steps=2,
        k={"voice": "obj", "fit": "seq", "fft_sizes": "seq", "sc_weight": "nonneg", "log_weight": "nonneg"},
        timeout=15,
    ),
    "musynth_lab.synth.multi_resolution_stft_loss": E(
        T, T, k={"fft_sizes": "seq", "sc_weight": "nonneg", "log_weight": "nonneg"}
    ),
    "musynth_lab.synth.check_block_size": E(256, k={"block_size": "count", "name": None}),
    "musynth_lab.synth.VoiceStream": E(L(_fm_voice), sr=8000, midi_f0=60.0, k={"voice": "obj", "midi_f0": "real"}),
    "musynth_lab.synth.VoiceStream.process": E(
        64, obj=L(lambda: __import__("musynth_lab.synth", fromlist=["x"]).VoiceStream(_fm_voice(), sr=8000)), k={"n": "count"}
    ),
    "musynth_lab.synth.PolyStream": E(L(_fm_voice), sr=8000, k={"voice": "obj"}),
    "musynth_lab.synth.PolyStream.process": E(
        64, obj=L(lambda: __import__("musynth_lab.synth", fromlist=["x"]).PolyStream(_fm_voice(), sr=8000)), k={"n": "count"}
    ),
    "musynth_lab.synth.play_events": E(
        L(_fm_voice),
        [(0.0, "note_on", 60), (0.05, "note_off", 60)],
        sr=8000,
        n_samples=800,
        block_size=200,
        k={"voice": "obj", "events": "seq"},
    ),
    "musynth_lab.synth.stream_voice": E(L(_fm_voice), sr=8000, n_samples=800, block_size=200, k={"voice": "obj"}),
    "musynth_lab.synth.Effect": E(
        L(lambda: __import__("musynth_lab.synth", fromlist=["x"]).gain),
        stateful=False,
        gain_db=-6.0,
        k={"fn": "obj", "gain_db": None},
    ),
    "musynth_lab.synth.Effect.process": E(
        T, obj=L(lambda: __import__("musynth_lab.synth", fromlist=["x"]).Biquad("lowpass", cutoff_hz=1000.0, sr=16000))
    ),
    "musynth_lab.synth.Biquad": E("lowpass", cutoff_hz=1000.0, sr=16000),
    "musynth_lab.synth.SVF": E(cutoff_hz=1000.0, sr=16000),
    "musynth_lab.synth.Delay": E(delay_s=0.01, sr=16000, k={"feedback": "frac", "dry": "real"}),
    "musynth_lab.synth.Chorus": E(sr=16000),
    "musynth_lab.synth.Flanger": E(sr=16000),
    "musynth_lab.synth.Compressor": E(sr=16000, k={"ratio": "pos"}),
    "musynth_lab.synth.NoiseGate": E(sr=16000),
    "musynth_lab.synth.ConvolutionReverb": E(L(lambda: torch.exp(-torch.arange(256.0) / 30)[None])),
    "musynth_lab.synth.AlgorithmicReverb": E(sr=16000, rt60=0.3),
    "musynth_lab.synth.Gain": E(gain_db=-6.0),
    "musynth_lab.synth.Overdrive": E(drive_db=6.0),
    "musynth_lab.synth.Chain": E(
        L(lambda: [__import__("musynth_lab.synth", fromlist=["x"]).Gain(gain_db=-6.0)]), k={"effects": "seq"}
    ),
    "musynth_lab.synth.Chain.process": E(T, obj=L(lambda: chain())),
    "musynth_lab.synth.stream_effects": E(L(lambda: chain()), T, block_size=256, k={"chain": "obj"}),
    # ---------------------------------------------------------------- features
    "musynth_lab.features.get_window": E("hann", 1024, k={"win_length": "count", "dtype": None}),
    "musynth_lab.features.frame": E(Y, frame_length=1024, hop_length=512),
    "musynth_lab.features.stft": E(Y, n_fft=1024),
    "musynth_lab.features.istft": E(
        L(
            lambda: np.fft.rfft(
                np.lib.stride_tricks.sliding_window_view((0.1 * _rng().standard_normal(4096)), 1024)[::256], axis=-1
            ).T.astype(np.complex64)
        ),
        k={"stft_matrix": "spec_c", "length": "count"},
    ),
    "musynth_lab.features.fft_spectrum": E(Y, sr=SR),
    "musynth_lab.features.magnitude": E(
        L(lambda: np.fft.rfft(np.ones(16)).astype(np.complex64)),
        k={"D": "numarr"},
        allow={"D:complex": "D is a complex STFT by definition"},
    ),
    "musynth_lab.features.power": E(
        L(lambda: np.fft.rfft(np.ones(16)).astype(np.complex64)),
        k={"D": "numarr"},
        allow={"D:complex": "D is a complex STFT by definition"},
    ),
    "musynth_lab.features.power_to_db": E(
        S_POW, k={"S": "numarr"}, allow={"S:complex": "librosa's rule: the magnitude of a complex S is used"}
    ),
    "musynth_lab.features.amplitude_to_db": E(
        S_POW, k={"S": "numarr"}, allow={"S:complex": "librosa's rule: the magnitude of a complex S is used"}
    ),
    "musynth_lab.features.db_to_power": E(L(lambda: np.array([[-6.0, 0.0]])), k={"S_db": "numarr"}),
    "musynth_lab.features.db_to_amplitude": E(L(lambda: np.array([[-6.0, 0.0]])), k={"S_db": "numarr"}),
    "musynth_lab.features.fft_frequencies": E(sr=SR, n_fft=1024),
    "musynth_lab.features.melspectrogram": E(Y, sr=SR, n_fft=1024, n_mels=40, k={"norm": None}),  # None/'slaney'/p
    "musynth_lab.features.note_logmel": E(Y, sr=SR, k={"per_note": "obj"}),
    "musynth_lab.features.chroma_stft": E(Y, sr=SR, n_fft=1024, k={"norm": None}),
    "musynth_lab.features.spectral_centroid": E(Y, sr=SR, n_fft=1024),
    "musynth_lab.features.spectral_bandwidth": E(Y, sr=SR, n_fft=1024, k={"p": "pos"}),
    "musynth_lab.features.spectral_rolloff": E(Y, sr=SR, n_fft=1024),
    "musynth_lab.features.spectral_flatness": E(Y, n_fft=1024, k={"power": "pos"}),
    "musynth_lab.features.spectral_contrast": E(Y, sr=SR, n_fft=1024, n_bands=4, k={"quantile": "frac"}),
    "musynth_lab.features.spectral_entropy": E(Y, sr=SR, n_fft=1024),
    "musynth_lab.features.spectral_flux": E(Y, sr=SR, n_fft=1024),
    "musynth_lab.features.peak_density": E(Y, sr=SR, n_fft=1024),
    "musynth_lab.features.snr_estimate": E(Y, sr=SR, n_fft=1024),
    "musynth_lab.features.normalize": E(
        S_POW,
        k={"norm": None, "threshold": "nonneg"},
        allow={"S:complex": "librosa.util.normalize's rule: a complex S is scaled by the norm of |S|"},
    ),
    "musynth_lab.features.mfcc": E(Y, sr=SR, n_fft=1024, n_mels=40, k={"dct_type": "count", "lifter": "nonneg"}),
    "musynth_lab.features.gfcc": E(Y, sr=SR, n_fft=1024, n_bands=32, n_gfcc=13, k={"lifter": "nonneg"}),
    "musynth_lab.features.real_cepstrum": E(Y),
    "musynth_lab.features.delta": E(CHROMA, k={"data": "arr", "width": "count", "order": "count", "axis": "int"}),
    "musynth_lab.features.cqt": E(
        YL,
        sr=SR,
        n_bins=48,
        k={"filter_scale": "pos", "sparsity": "frac", "norm": None, "res_type": None, "dtype": None},
        timeout=10,
    ),
    "musynth_lab.features.vqt": E(
        YL,
        sr=SR,
        n_bins=48,
        k={"filter_scale": "pos", "sparsity": "frac", "norm": None, "res_type": None, "dtype": None, "gamma": "nonneg"},
        timeout=10,
    ),
    "musynth_lab.features.chroma_cqt": E(YL, sr=SR, n_octaves=5, k={"norm": None, "threshold": "nonneg"}, timeout=10),
    "musynth_lab.features.cqt_frequencies": E(24, fmin=32.7),
    "musynth_lab.features.piptrack": E(Y, sr=SR, n_fft=1024, k={"threshold": "frac"}),
    "musynth_lab.features.estimate_tuning": E(YL, sr=SR, n_fft=1024, k={"resolution": "pos"}),
    "musynth_lab.features.pitch_tuning": E(
        L(lambda: np.array([440.0, 442.0, 438.0])), k={"frequencies": "arr", "resolution": "pos"}
    ),
    "musynth_lab.features.yin": E(YL, fmin=80.0, fmax=800.0, sr=SR, frame_length=2048, k={"trough_threshold": "nonneg"}),
    "musynth_lab.features.rms": E(Y, frame_length=1024),
    "musynth_lab.features.zero_crossing_rate": E(Y, frame_length=1024, k={"threshold": "nonneg"}),
    "musynth_lab.features.short_time_variance": E(Y, frame_length=1024),
    "musynth_lab.features.dynamic_range": E(Y, frame_length=1024, k={"percentiles": "seq"}),
    "musynth_lab.features.crest_factor": E(Y, frame_length=1024),
    "musynth_lab.features.kurtosis": E(Y, frame_length=1024),
    "musynth_lab.features.skewness": E(Y, frame_length=1024),
    "musynth_lab.features.autocorrelation": E(Y, max_size=512),
    "musynth_lab.features.amplitude_envelope": E(Y, frame_length=1024),
    "musynth_lab.features.onset_strength": E(YL, sr=SR, k={"lag": "count"}),
    "musynth_lab.features.tempo": E(YL, sr=SR, k={"std_bpm": "pos", "ac_size": "pos"}),
    "musynth_lab.features.beat_track": E(YL, sr=SR, k={"bpm": "pos"}),
    "musynth_lab.features.global_variance": E(CHROMA, k={"axis": "int?"}),
    "musynth_lab.features.gv_ratio": E(CHROMA, CHROMA, k={"generated": "arr", "reference": "arr", "axis": "int?"}),
    "musynth_lab.features.match_global_variance": E(
        CHROMA, L(lambda: np.full(12, 0.05)), k={"generated": "arr", "target_gv": "arr", "axis": "int?"}
    ),
    "musynth_lab.features.smooth_trajectory": E(CHROMA, k={"width": "count", "axis": "int?"}),
    "musynth_lab.features.to_sequence": E(CHROMA),
    # ---------------------------------------------------------------- attention
    "musynth_lab.attention.source_scores": E(
        L(lambda: np.array([[2.0, 1.0], [0.0, 3.0]])),
        L(lambda: np.array([[1.0]])),
        alpha=[0.5, -1.0],
        beta=[0.3],
        k={"x_enc": "mat", "v_dec": "mat", "alpha": "arr", "beta": "arr"},
    ),
    "musynth_lab.attention.additive_scores": E(
        L(lambda: np.ones((1, 2))),
        L(lambda: np.eye(3, 2)),
        w_query=np.eye(2),
        w_key=np.eye(2),
        v=[1.0, 1.0],
        k={"query": "mat", "keys": "mat", "w_query": "mat", "w_key": "mat", "v": "arr"},
    ),
    "musynth_lab.attention.dot_product_scores": E(
        L(lambda: np.array([[1.0, 1.0]])), L(lambda: np.array([[2.0, 0.0], [1.0, 1.0]])), k={"query": "mat", "keys": "mat"}
    ),
    "musynth_lab.attention.attend": E(
        L(lambda: np.zeros((1, 2))), L(lambda: np.array([[0.0], [2.0]])), k={"scores": "mat", "values": "mat", "mask": "arr"}
    ),
    "musynth_lab.attention.scaled_dot_product_attention": E(
        L(lambda: torch.ones(2, 3, 4)),
        L(lambda: torch.ones(2, 3, 4)),
        L(lambda: torch.ones(2, 3, 4)),
        k={"query": "arr", "keys": "arr", "values": "arr", "mask": "arr"},
    ),
    "musynth_lab.attention.SourceScore": E(4, 3, k={"d_enc": "count", "d_dec": "count"}),
    "musynth_lab.attention.SourceScore.forward": E(
        L(lambda: torch.ones(2, 5, 4)),
        L(lambda: torch.ones(2, 1, 3)),
        obj=L(lambda: _attn("SourceScore", 4, 3)),
        k={"x_enc": "arr", "v_dec": "arr"},
    ),
    "musynth_lab.attention.AdditiveScore": E(3, 4, 8),
    "musynth_lab.attention.DotProductScore": E(),
    "musynth_lab.attention.MultiHeadAttention": E(16, 4),
    "musynth_lab.attention.MultiHeadAttention.forward": E(
        L(lambda: torch.ones(2, 7, 16)),
        L(lambda: torch.ones(2, 7, 16)),
        L(lambda: torch.ones(2, 7, 16)),
        obj=L(lambda: _attn("MultiHeadAttention", 16, 4)),
        k={"key": "arr", "value": "arr", "mask": "arr"},
    ),
    "musynth_lab.attention.masked_softmax": E(
        L(lambda: np.array([1.0, 2.0, 3.0])), L(lambda: np.array([True, True, False])), k={"mask": "arr", "dim": "int"}
    ),
    "musynth_lab.attention.sigmoid_gate": E(L(lambda: np.array([0.0, 1.0, -1.0])), k={"mask": "arr"}),
    "musynth_lab.attention.normalise_scores": E(L(lambda: np.array([2.0, 4.0, 1.0])), "max", k={"mask": "arr", "dim": "int"}),
    "musynth_lab.attention.hard_select": E(
        L(lambda: np.array([0.2, 0.5, 0.51, 0.9])), k={"weights": "arr", "threshold": "real", "mask": "arr"}
    ),
    "musynth_lab.attention.top_k_select": E(L(lambda: np.array([0.1, 0.7, 0.3, 0.9])), 2, k={"mask": "arr", "dim": "int"}),
    "musynth_lab.attention.apply_selection": E(
        L(lambda: np.ones((3, 2))), L(lambda: np.array([True, False, True])), k={"keep": "arr", "dim": "int"}
    ),
    "musynth_lab.attention.video_location_scores": E(
        L(lambda: np.ones((2, 1, 2, 1))),
        L(lambda: np.array([[0.0], [1.0]])),
        alpha=[1.0],
        beta=[-0.5],
        k={"X": "arr", "v_dec": "mat", "alpha": "arr", "beta": "arr"},
    ),
    "musynth_lab.attention.VideoLocationAttention": E(3, 5),
    "musynth_lab.attention.LocationAttention": E(8),
    "musynth_lab.attention.LocationAttention.forward": E(
        L(lambda: torch.ones(2, 8, 5, 9)),
        obj=L(lambda: _attn("LocationAttention", 8)),
        k={"x": "arr", "query": "arr", "mask": "arr"},
    ),
    "musynth_lab.attention.TokenAttention": E(6),
    "musynth_lab.attention.SqueezeExcitation": E(8),
    "musynth_lab.attention.SqueezeExcitation.forward": E(
        L(lambda: torch.ones(2, 8, 5, 7)), obj=L(lambda: _attn("SqueezeExcitation", 8)), k={"x": "arr"}
    ),
    "musynth_lab.attention.CBAM": E(8),
    "musynth_lab.attention.sinusoidal_encoding": E(50, 8, k={"dim": "count", "base": "pos"}),
    "musynth_lab.attention.grid_encoding": E(4, 6, 8, k={"width": "count", "dim": "count", "base": "pos"}),
    "musynth_lab.attention.resize_map": E(L(lambda: np.array([[0.0, 1.0]])), (2, 4), k={"weights": "arr", "shape": "seq"}),
    "musynth_lab.attention.mel_mask_to_stft": E(
        L(lambda: np.ones((32, 3))), sr=16000, n_fft=512, k={"keep_mel": "mat", "fmin": "nonneg"}
    ),
    "musynth_lab.attention.listen_to_kept": E(
        L(lambda: (0.1 * _rng().standard_normal(8000)).astype(np.float32)),
        L(lambda: np.ones((129, 1 + 8000 // 64))),
        sr=8000,
        n_fft=256,
        hop_length=64,
        k={"keep": "mat", "fmin": "nonneg"},
    ),
    "musynth_lab.attention.kept_notes": E(
        L(lambda: np.array([[0, 2, 60], [2, 1, 62]])),
        L(lambda: np.array([False, True, False])),
        step=1.0,
        k={"notes": "mat", "keep": "arr"},
    ),
    "musynth_lab.attention.render_notes": E(
        L(lambda: np.array([[0, 1, 69]])), sr=8000, bpm=240, k={"notes": "mat", "gain": "nonneg"}
    ),
    # ---------------------------------------------------------------- stats
    "musynth_lab.stats.Encoder": E(skip="abstract base class of the encoders"),
    "musynth_lab.stats.require_fitted": E("demo", True, skip="an internal guard: raises by design"),
    "musynth_lab.stats.ChordSequence": E(
        L(lambda: np.array([7, 7, 16])), L(lambda: np.array([0.0, 0.5, 1.0])), "beat", k={"labels": "tokens", "times": "arr"}
    ),
    "musynth_lab.stats.beat_accuracy": E([0, 7, 9, 3], [0, 7, 21, 24], k={"predicted": "tokens", "truth": "tokens"}),
    "musynth_lab.stats.frame_accuracy": E([0, 1, 24], [0, 2, 24], k={"predicted": "tokens", "truth": "tokens"}),
    "musynth_lab.stats.beat_sync": E(
        CHROMA, [0, 10 * 512], hop_length=512, k={"beat_samples": "seq", "end_sample": "nonneg", "chroma": "mat"}
    ),
    "musynth_lab.stats.check_chroma": E(CHROMA, k={"chroma": "mat", "name": None}),
    "musynth_lab.stats.chord_templates": E(),
    "musynth_lab.stats.frames_to_beats": E(
        [3, 3, 3, 5, 5, 5, 5, 7],
        [0, 3 * 512],
        hop_length=512,
        k={"frame_labels": "tokens", "beat_samples": "seq", "end_sample": "nonneg"},
    ),
    "musynth_lab.stats.template_chords": E(CHROMA, k={"chroma": "mat"}),
    "musynth_lab.stats.template_scores": E(CHROMA, k={"chroma": "mat"}),
    "musynth_lab.stats.transpose_chords": E([0, 21, 24], 2, k={"labels": "tokens", "semitones": "int"}),
    "musynth_lab.stats.ChordHMM": E(emissions="template", k={"template_var": "pos"}),
    "musynth_lab.stats.ChordHMM.predict": E(
        CHROMA, sr=SR, frames_per_beat=10, obj=L(_chord_hmm), k={"chroma": "mat", "beat_samples": "seq", "end_sample": "nonneg"}
    ),
    "musynth_lab.stats.MelodyHMM": E(n_states=3, n_iter=3),
    "musynth_lab.stats.MelodyHMM.fit": E(
        CHORALES,
        obj=L(lambda: __import__("musynth_lab.stats", fromlist=["x"]).MelodyHMM(n_states=3, n_iter=2)),
        k={"sequences": "seq"},
        timeout=15,
    ),
    "musynth_lab.stats.MelodyHMM.sample": E(16, seed=1, obj=L(_melody_hmm)),
    "musynth_lab.stats.MelodyHMM.score": E(CHORALES, obj=L(_melody_hmm), k={"sequences": "seq"}),
    "musynth_lab.stats.chord_transitions": E(CHORALES, k={"chorales": "seq", "transpose": None}),  # a bool flag
    "musynth_lab.stats.excerpt_chroma": E(L(_excerpt_short), k={"excerpt": "obj"}, timeout=15),
    "musynth_lab.stats.frame_transitions": E(L(lambda: np.full((25, 25), 1 / 25)), 10.0, k={"beat_transitions": "mat"}),
    "musynth_lab.stats.BeatChordCRF": E(k={"transpose": None}),
    "musynth_lab.stats.NoteCRF": E(max_iterations=5, k={"parts": "seq"}),
    "musynth_lab.stats.NoteCRF.fit": E(
        L(lambda: list(_chorales()[:2])),
        obj=L(lambda: __import__("musynth_lab.stats", fromlist=["x"]).NoteCRF(max_iterations=2)),
        k={"chorales": "seq"},
    ),
    "musynth_lab.stats.NoteCRF.predict": E(L(lambda: list(_chorales("test")[:2])), obj=L(_note_crf), k={"chorales": "seq"}),
    "musynth_lab.stats.NoteCRF.score": E(L(lambda: list(_chorales("test")[:2])), obj=L(_note_crf), k={"chorales": "seq"}),
    "musynth_lab.stats.chord_tone_labels": E(CHORALE, k={"piece": "obj"}),
    "musynth_lab.stats.note_features": E(CHORALE, k={"piece": "obj"}),
    "musynth_lab.stats.beat_chroma_features": E(L(lambda: np.eye(12)[:, :3]), k={"beat_chroma": "mat"}),
    "musynth_lab.stats.label_scores": E(
        [["CT", "NCT", "CT"]], [["CT", "CT", "CT"]], positive="NCT", k={"truth": "seq", "predicted": "seq"}
    ),
    "musynth_lab.stats.majority_baseline": E([["a", "a", "b"]], [["a", "b"]], k={"train_labels": "seq", "test_labels": "seq"}),
    "musynth_lab.stats.VBMixture": E(n_components=3, k={"weight_concentration_prior": "pos"}),
    "musynth_lab.stats.VBMixture.fit": E(
        L(lambda: _rng().normal(size=(60, 2))),
        obj=L(lambda: __import__("musynth_lab.stats", fromlist=["x"]).VBMixture(n_components=3, max_iter=20)),
        k={"X": "mat"},
    ),
    "musynth_lab.stats.VBMixture.predict": E(L(lambda: _rng().normal(size=(5, 2))), obj=L(_vb), k={"X": "mat"}),
    "musynth_lab.stats.ngram.NGramModel": E(2, vocab_size=5),
    "musynth_lab.stats.ngram.NGramModel.fit": E(
        [[0, 1, 2, 3]],
        obj=L(lambda: __import__("musynth_lab.stats.ngram", fromlist=["x"]).NGramModel(2, vocab_size=5)),
        k={"sequences": "seqs"},
    ),
    "musynth_lab.stats.ngram.NGramModel.nll_per_token": E([[0, 1, 2]], obj=L(_ngram), k={"sequences": "seqs", "start": "int"}),
    "musynth_lab.stats.ngram.NGramModel.next_log_probs": E(
        (1,), obj=L(_ngram), k={"context": "tokens"}, nonfinite="log-probabilities: -inf for impossible tokens"
    ),
    # ---------------------------------------------------------------- models
    "musynth_lab.models.History": E(skip="a record returned by fit"),
    "musynth_lab.models.accuracy": E(
        L(lambda: torch.tensor([[0.1, 0.9], [0.8, 0.2]])),
        L(lambda: torch.tensor([1, 1])),
        k={"outputs": "arr", "targets": "tokens"},
    ),
    "musynth_lab.models.evaluate_loss": E(
        L(lambda: torch.nn.Linear(2, 2)),
        L(lambda: (torch.ones(8, 2), torch.zeros(8, dtype=torch.long))),
        device="cpu",
        k={"model": "obj", "data": "seq"},
    ),
    "musynth_lab.models.fit": E(
        L(lambda: torch.nn.Linear(2, 2)),
        L(lambda: (torch.ones(8, 2), torch.zeros(8, dtype=torch.long))),
        epochs=1,
        progress=False,
        device="cpu",
        k={"model": "obj", "train_data": "seq", "patience": "count", "desc": None},
    ),
    "musynth_lab.models.make_loader": E(
        L(lambda: (np.zeros((10, 3)), np.zeros(10))), batch_size=4, k={"data": "seq", "name": None}
    ),
    "musynth_lab.models.predict": E(
        L(lambda: torch.nn.Linear(3, 2)),
        L(lambda: np.zeros((5, 3), np.float32)),
        device="cpu",
        k={"model": "obj", "inputs": "arr"},
    ),
    "musynth_lab.models.FrameVAE": E(n_mels=8, latent_dim=2, k={"sigma": "pos", "beta": "nonneg"}),
    "musynth_lab.models.HierarchicalVAE": E(bar_dim=4, beat_dim=2, hidden=32, k={"beta": "nonneg"}),
    "musynth_lab.models.MelodyVAE": E(latent_dim=4, hidden=32, k={"beta": "nonneg"}),
    "musynth_lab.models.CNNEncoder": E(n_classes=3, dim=8, channels=4, k={"dim": "count"}),
    "musynth_lab.models.RNNEncoder": E(n_classes=24, dim=8, hidden=16, k={"dim": "count"}),
    # ---------------------------------------------------------------- generate
    "musynth_lab.generate.greedy": E(markov, [0], steps=3, k={"model": "obj", "prompt": "tokens", "steps": "count0"}),
    "musynth_lab.generate.sample": E(
        markov, [0], steps=3, seed=0, k={"model": "obj", "prompt": "tokens", "steps": "count0", "top_k": "count", "top_p": "frac"}
    ),
    "musynth_lab.generate.beam_search": E(
        markov,
        [0],
        steps=3,
        beam_width=2,
        k={"model": "obj", "prompt": "tokens", "steps": "count0", "final_allowed": "tokens", "eos": "int"},
    ),
    "musynth_lab.generate.sequence_log_prob": E(markov, [0, 1, 0], k={"model": "obj", "seq": "tokens", "prompt_len": "count"}),
    "musynth_lab.generate.anneal": E(
        lambda x: (x - 3) ** 2,
        20,
        propose=lambda x, rng: x + int(rng.choice([-1, 1])),
        schedule=[1.0, 0.5, 0.1],
        seed=0,
        k={"energy": "obj", "propose": "obj", "schedule": "arr", "init": None},
    ),
    "musynth_lab.generate.temperature_schedule": E(
        "geometric", t_start=1.0, t_end=0.01, steps=3, k={"t_start": "pos", "t_end": "pos"}
    ),
    "musynth_lab.generate.BeamResult": E(skip="a record returned by beam_search"),
    "musynth_lab.generate.AnnealResult": E(skip="a record returned by anneal"),
    # ---------------------------------------------------------------- evaluate
    "musynth_lab.evaluate.distinct_ngrams": E(
        [[1, 2, 1, 2, 1, 2]],
        n=2,
        k={"sequences": "seqs", "n": "count"},
        allow={"sequences:negative": "any integer ids can be counted", "sequences:huge": "any integer ids can be counted"},
    ),
    "musynth_lab.evaluate.melody_pitches": E(TOKENS, k={"tokens": "tokens"}),
    "musynth_lab.evaluate.as_roll_set": E(ROLL, k={"rolls": "arr", "name": None, "n_keys": "count?"}),
    "musynth_lab.evaluate.pitch_class_histogram": E(ROLL, k={"rolls": "arr", "low": "int"}),
    "musynth_lab.evaluate.pitch_class_distance": E(ROLL, ROLL, k={"samples": "arr", "reference": "arr", "low": "int"}),
    "musynth_lab.evaluate.self_similarity": E(ROLL, k={"roll": "mat"}),
    "musynth_lab.evaluate.lag_similarity": E(ROLL, max_lag=3, k={"roll": "mat"}),
    "musynth_lab.evaluate.mean_lag_similarity": E(ROLLS, max_lag=3, k={"rolls": "seq"}),
    "musynth_lab.evaluate.structure_distance": E(ROLLS, ROLLS, max_lag=3, k={"samples": "seq", "reference": "seq"}),
    "musynth_lab.evaluate.repeated_bars": E(ROLLS, frames_per_bar=4, k={"rolls": "seq"}),
    "musynth_lab.evaluate.roll_to_voices": E(ROLL, k={"roll": "mat", "low": "int"}),
    "musynth_lab.evaluate.voice_leading": E(VOICES, k={"voices": "mat"}),
    "musynth_lab.evaluate.violations_per_100": E(L(lambda: [VOICES(), VOICES()]), k={"voice_sets": "seq"}),
    "musynth_lab.evaluate.coherence_report": E(
        L(lambda: {"a": ROLLS()}),
        ROLLS,
        max_lag=3,
        frames_per_bar=4,
        k={"samples": "obj", "reference": "seq", "low": "int"},
        nonfinite="nll_per_frame is NaN when no nll is given (not measured)",
    ),
    "musynth_lab.evaluate.format_report": E(
        [{"set": "data", "pc_distance": 0.0}], columns=("pc_distance",), k={"rows": "seq", "columns": "seq"}
    ),
    "musynth_lab.evaluate.roll_to_notes": E(ROLL, k={"roll": "mat", "low": "int"}),
    "musynth_lab.evaluate.copied_fraction": E(
        [1, 2, 3, 4],
        [[0, 1, 2, 3]],
        n=2,
        k={"sample": "tokens", "train_seqs": "seqs", "n": "count"},
        allow={a + ":" + b: "any integer ids can be compared" for a in ("sample", "train_seqs") for b in ("negative", "huge")},
    ),
    "musynth_lab.evaluate.nearest": E(MAT, MAT, kw={"k": 2}, k={"query": "mat", "database": "mat", "k": "count"}),
    "musynth_lab.evaluate.retrieval_precision": E(
        EMB,
        LABELS,
        kw={"k": 1},
        k={"query": "mat", "query_labels": "arr", "database": None, "database_labels": None, "k": "count"},
    ),
    "musynth_lab.evaluate.chance_precision": E(
        LABELS,
        k={"query_labels": "arr", "database_labels": None},
        allow={"query_labels:strings": "labels may be strings (instrument names)"},
    ),
    "musynth_lab.evaluate.step_violations": E(
        [72, 67, 64, 53], L(lambda: np.array([[74, 67, 62, 55], [74, 67, 65, 53]])), k={"prev": "arr", "frames": "mat"}
    ),
    # ---------------------------------------------------------------- latency
    "musynth_lab.latency.buffer_latency_ms": E(256, sr=48000),
    "musynth_lab.latency.BlockTiming": E(skip="a record returned by time_blocks"),
    "musynth_lab.latency.time_blocks": E(
        lambda n: None, block_size=64, sr=16000, n_blocks=5, warmup=0, k={"process": "obj", "warmup": "count0", "clock": "obj"}
    ),
    "musynth_lab.latency.LatencyBudget": E(skip="a record returned by latency_budget"),
    "musynth_lab.latency.latency_budget": E(
        256, sr=48000, compute_ms=0.5, k={"n_buffers": "count", "converter_ms": "nonneg", "sample_accurate": None}
    ),
    "musynth_lab.latency.event_latency_ms": E(
        [0.0, 2.0], block_size=256, sr=48000, k={"event_ms": "numarr", "n_buffers": "count", "sample_accurate": None}
    ),
    "musynth_lab.latency.callback_schedule": E(
        [1.0, 6.0], block_size=256, sr=48000, k={"compute_ms": "arr", "n_buffers": "count"}
    ),
    "musynth_lab.latency.measure_voice": E(block_size=64, sr=16000, n_blocks=3, warmup=0, k={"voice": "obj", "warmup": "count0"}),
    "musynth_lab.latency.latency_table": E(
        block_sizes=(64,),
        sample_rates=(16000,),
        n_blocks=2,
        k={"block_sizes": "seq", "sample_rates": "seq", "voice": "obj", "n_buffers": "count", "converter_ms": "nonneg"},
    ),
    "musynth_lab.latency.largest_block_under": E(
        [{"sr": 44100, "block_size": b, "max_ms": 2000 * b / 44100, "keeps_up": True} for b in (64, 128, 256)],
        sr=44100,
        k={"rows": "seq"},
    ),
    "musynth_lab.latency.table_summary": E(
        [
            {"sr": 44100, "block_size": b, "period_ms": 1000 * b / 44100, "max_ms": 2000 * b / 44100}
            | {"keeps_up": True, "late": 0, "rtf": 0.1, "p50_ms": 0.1}
            for b in (64, 128)
        ],
        k={"rows": "seq"},
    ),
    "musynth_lab.latency.snr_db": E(Y, L(lambda: 1.01 * Y())),
    "musynth_lab.latency.log_spectral_distance": E(
        Y, L(lambda: 0.5 * Y()), n_fft=1024, hop_length=256, timeout=10
    ),  # the first call imports librosa (15 s on a loaded 2-core machine when this entry runs alone)
    "musynth_lab.latency.sample_rate_tradeoff": E(
        rates=(8000,),
        reference_sr=16000,
        phrase=((0.0, 0.1, 69),),
        repeats=1,
        k={"rates": "seq", "phrase": "seq", "voice": "obj"},
        timeout=15,
    ),
}

# ---------------------------------------------------------------- plot (each draws, then closes)
_P = "musynth_lab.plot."
TABLE.update(
    {
        _P + "waveform": E(Y, sr=SR),
        _P + "spectrogram": E(S_POW, sr=16000, hop_length=128, k={"S": "mat", "fmax": "pos", "db": None}),
        _P + "piano_roll": E(ROLL, k={"roll": "mat", "low": "int", "highlight": "arr"}),
        _P + "spectrum": E(Y, sr=SR, k={"db_floor": "real"}),
        _P + "chromagram": E(CHROMA, sr=SR, hop_length=512, k={"C": "mat"}),
        _P + "feature_curve": E(L(lambda: np.arange(10.0)), sr=SR, hop_length=512, k={"values": "arr"}),
        _P + "gv_bars": E(L(lambda: np.ones(5)), L(lambda: 0.5 * np.ones(5)), k={"reference_gv": "arr", "generated_gv": "arr"}),
        _P + "timing_bars": E({"cpu": 0.2, "gpu": 0.01}, k={"timings": "obj"}),
        _P + "adaptation_curves": E(L(_transfer_result), k={"result": "obj"}),
        _P + "channel_response": E(
            L(lambda: _rng().random((8, 3))), names=["flute", "organ", "piano"], k={"response": "mat", "names": "seq"}
        ),
        _P + "cnn_filters": E(L(lambda: _rng().standard_normal((8, 3, 3))), k={"kernels": "arr"}),
        _P + "confusion": E([0, 1, 1], [0, 1, 0], names=["a", "b"], k={"y_true": "tokens", "y_pred": "tokens", "names": "seq"}),
        _P + "feature_maps": E(L(lambda: _rng().random((16, 20, 30))), n=4, k={"maps": "arr", "n": "count"}),
        _P + "frame_labels": E(
            L(lambda: _rng().random((50, 12)) > 0.7),
            L(lambda: _rng().random((50, 12)) > 0.7),
            labels=("truth", "model"),
            k={"truth": "mat", "labels": "seq", "hop_s": "pos"},
        ),
        _P + "melody": E([60, 62, 64], [67, 65, 64], labels=["a", "b"], k={"labels": "seq"}),
        _P + "chord_timeline": E(
            L(lambda: np.arange(4.0)),
            {"HMM": np.array([0, 0, 7, 0])},
            truth=np.array([0, 5, 7, 0]),
            k={"times": "arr", "tracks": "obj", "truth": "tokens"},
        ),
        _P + "embedding_map": E(
            L(lambda: _rng().normal(size=(20, 5))),
            L(lambda: np.arange(20) % 2),
            names=["a", "b"],
            k={"embeddings": "mat", "labels": "tokens", "names": "seq"},
        ),
        _P + "latent_path": E(L(lambda: np.array([[30, 1, 32, 1], [31, 1, 33, 0]])), k={"token_rows": "mat"}),
        _P + "posteriorgram": E(L(lambda: np.full((10, 25), 1 / 25)), k={"posteriors": "mat", "times": "arr"}),
        _P + "transition_matrix": E(L(lambda: np.full((25, 25), 0.04)), k={"A": "mat"}),
        _P + "alignment": E(L(lambda: np.eye(5)), k={"weights": "mat"}),
        _P + "attention_over_score": E(
            L(lambda: np.eye(88, 4, k=-39, dtype=bool)),
            [0.1, 0.9, 0.4, 0.2],
            keep=[False, True, False, False],
            k={"roll": "mat", "frame_weights": "arr", "keep": "arr", "low": "int"},
        ),
        _P + "attention_over_spectrogram": E(
            L(lambda: np.zeros((8, 10))),
            L(lambda: np.ones((8, 10))),
            sr=16000,
            hop_length=512,
            k={"S_db": "mat", "weights": "mat", "keep": "arr", "cmap_weights": None},
        ),
        _P + "selection": E(
            L(lambda: np.array([0.2, 1.0, 0.6, 0.3])),
            L(lambda: np.array([False, True, True, False])),
            threshold=0.5,
            k={"scores": "arr", "keep": "arr", "threshold": "real"},
        ),
        _P + "energy_decay": E(L(lambda: np.exp(-np.arange(4000.0) / 400) * _rng().standard_normal(4000)), sr=8000),
        _P + "envelope": E(L(lambda: np.linspace(0, 1, 800)), sr=1000, note_off=0.5, k={"env": "arr"}),
        _P + "filter_response": E(
            L(lambda: np.array([0.2, 0.4, 0.2])),
            L(lambda: np.array([1.0, -0.3, 0.1])),
            sr=16000,
            mark_hz=1000.0,
            k={"b": "arr", "a": "arr", "mark_hz": "pos", "db_floor": "real"},
        ),
        _P + "fm_spectrum": E(Y, sr=8000, carrier_hz=1000.0, modulator_hz=200.0, index=2.0, k={"index": "nonneg"}),
        _P + "note_pattern": E(NOTES, beats_per_bar=3, k={"notes": "mat", "beats_per_bar": "pos"}),
        _P + "pan_law": E(),
        _P + "latency_budget_bars": E(
            [
                {
                    "sr": 48000,
                    "block_size": 64,
                    "period_ms": 1.33,
                    "queue_ms": 1.33,
                    "lookahead_ms": 0.0,
                    "converter_ms": 0.0,
                    "mean_ms": 2.0,
                    "p99_ms": 0.2,
                    "keeps_up": True,
                }
            ],
            sr=48000,
            k={"rows": "seq"},
        ),
        _P + "double_buffering": E(
            [0.4, 7.0, 0.5],
            block_size=256,
            sr=48000,
            event_ms=2.5,
            k={"compute_ms": "arr", "n_buffers": "count", "event_ms": "nonneg?"},
        ),
        _P + "block_times": E(L(_timing), k={"timing": "obj"}),
        _P + "anneal_trace": E([np.linspace(30, 20, 50)], np.geomspace(1, 0.05, 50), k={"energies": "seq", "schedule": "arr"}),
        _P + "ddsp_controls": E(
            np.full(20, 220.0),
            np.full(20, -20.0),
            L(
                lambda: {
                    "amplitude": np.ones(20),
                    "harmonic_distribution": np.ones((20, 8)) / 8,
                    "noise_magnitudes": np.ones((20, 4)),
                }
            ),
            sr=16000,
            hop_length=64,
            k={"f0_hz": "arr", "loudness_db": "arr", "controls": "obj"},
        ),
        _P + "decoder_comparison": E(L(_decoder_comparison), k={"comparison": "obj", "x": "choice", "y": "choice"}),
        _P + "sample_rate_tradeoff_plot": E([{"sr": 8000, "speedup": 4.0, "snr_db": 12.0}], k={"rows": "seq"}),
        _P + "rtf_bars": E([{"model": "a", "variant": "eager", "rtf": 0.5}], k={"rows": "seq"}),
        _P + "learning_curves": E(
            [
                {"size": 8, "hidden": 64, "train_nll": 0.8, "test_nll": 2.2},
                {"size": 299, "hidden": 64, "train_nll": 1.2, "test_nll": 1.2},
            ],
            k={"rows": "seq", "x": None},
        ),
        _P + "remedy_bars": E([{"remedy": "none", "train_nll": 0.8, "test_nll": 2.2, "gap": 1.4}], k={"rows": "seq"}),
        _P + "accuracy_curves": E([{"size": 4, "discriminative": 0.6, "generative": 0.8, "chance": 0.6}], k={"rows": "seq"}),
        _P + "similarity_matrix": E(ROLL, k={"roll": "mat"}),
        _P + "lag_profiles": E(L(lambda: {"a": np.linspace(1, 0, 8), "b": np.full(8, 0.3)}), k={"profiles": "obj"}),
        _P + "pitch_class_bars": E(L(lambda: {"a": np.full(12, 1 / 12)}), k={"histograms": "obj"}),
        _P + "measure_bars": E([{"set": "a", "x": 1.0}, {"set": "b", "x": 0.5}], "x", k={"rows": "seq", "measure": "choice"}),
    }
)

# ---------------------------------------------------------------- exercises (answer: a wrong answer, never a crash)
_X = "musynth_lab.exercises."
TABLE.update(
    {
        _X + "CheckResult": E(skip="a record returned by every check"),
        _X + "Exercise": E(skip="a record of the exercise registry"),
        _X + "hint": E("0.1", k={"id": "choice"}),
        _X + "solution": E("0.1", k={"id": "choice"}),
        _X + "check_adsr_level": E(
            {"attack": 0.01, "decay": 0.1, "sustain": 1.0, "release": 0.1, "note_off": 0.5}, k={"params": "answer"}
        ),
        _X + "check_beam_vs_greedy": E(-10.0, -12.0, "yes", k={"log_prob_beam": "real", "log_prob_greedy": "real"}),
        _X + "check_bell_ratio": E(2.0, k={"ratio": "answer"}),
        _X + "check_best_remedy": E(
            [{"remedy": "none", "test_nll": 2.2}, {"remedy": "transpose", "test_nll": 1.4}], "none", k={"rows": "seq"}
        ),
        _X + "check_buffer_latency": E(256, 48000, 5.33, k={"answer_ms": "answer", "block_size": "count"}),
        _X + "check_compute_delay": E("the same", k={"factor": "pos"}),
        _X + "check_reptile_step": E(L(lambda: lambda s, a, i, n, meta_lr=0.5: s + meta_lr * (1 - i / n) * (a - s))),
        _X + "check_closest_pitch_classes": E(
            [{"set": "lstm", "pc_distance": 0.08}, {"set": "random", "pc_distance": 0.41}], "random", k={"rows": "seq"}
        ),
        _X + "check_distinct_bigrams": E(
            [[1, 2, 1, 2]],
            1.0,
            k={"sequences": "seqs"},
            allow={"sequences:negative": "any integer ids can be counted", "sequences:huge": "any integer ids can be counted"},
        ),
        _X + "check_generalisation_gap": E(0.8, 2.2, -1.4, k={"train_nll": "real", "test_nll": "real"}),
        _X + "check_hidden_states": E(3, 6, k={"n_hidden": "count"}),
        _X + "check_kept_count": E(6, k={"scores": "arr", "threshold": "real"}),
        _X + "check_largest_block": E(
            [{"sr": 48000, "block_size": b, "max_ms": 2000 * b / 48000, "keeps_up": True} for b in (64, 128, 256)],
            48000,
            256,
            limit_ms=5,
            k={"rows": "seq"},
        ),
        _X + "check_largest_gap": E([{"size": 8, "gap": 1.4}, {"size": 299, "gap": 0.05}], 299, k={"rows": "seq"}),
        _X + "check_lowpass_cutoff": E(500.0, k={"cutoff_hz": "answer"}),
        _X + "check_nats_to_bits": E(2.0, 2.0, k={"nats_per_frame": "real"}),
        _X + "check_parallel_fifths": E(L(lambda: np.array([[72, 64, 55, 48], [74, 65, 57, 50]])), 0, k={"voices": "mat"}),
        _X + "check_rt60_feedback": E(0.5, k={"gain": "answer", "delay_samples": "count", "rt60": "pos"}),
        _X + "check_rtf": E(1.0, 256, 16000, 16.0, k={"compute_ms": "pos", "block_size": "count"}),
        _X + "check_se_gate_count": E(1, k={"channels": "count"}),
        _X + "check_softmax_weights": E([0.25, 0.25, 0.25, 0.25], k={"scores": "arr", "mask": "arr"}),
        _X + "check_waltz_bass": E([[0, 3, 60]], k={"notes": "answer"}),
        _X + "check_midi_cadence": E(L(lambda: cadence_path()), k={"path": "path", "key": None}),
        _X + "check_count_dropouts": E(L(lambda: lambda times_ms, block_size, sr: 0), k={"count_dropouts": "answer"}),
        _X + "check_copied_fraction": E(L(lambda: lambda sample, train_seqs, n: 0.5), k={"copied": "answer"}),
        _X + "check_hz_to_midi": E(L(lambda: lambda f_hz: 0.0), k={"hz_to_midi": "answer"}),
        _X + "check_pan_gains": E(L(lambda: lambda position: (0.5, 0.5)), k={"pan_gains": "answer"}),
        _X + "check_reinforce_loss": E(L(lambda: lambda log_probs, returns, values: 0), k={"reinforce_loss": "answer"}),
    }
)


def sampler():
    return _sampler_cached()


@functools.lru_cache(None)
def _sampler_cached():
    from musynth_lab.synth import Sampler

    return Sampler("choir")


def chain():
    from musynth_lab.synth import Biquad, Chain, Gain

    return Chain([Biquad("lowpass", cutoff_hz=2000.0, sr=16000), Gain(gain_db=-3.0)])


def _attn(name, *args):
    import musynth_lab.attention as A

    torch.manual_seed(0)
    return getattr(A, name)(*args)


_TMP = []


def _tmpdir():
    import tempfile

    if not _TMP:
        _TMP.append(tempfile.mkdtemp(prefix="contract_"))
    return _TMP[0]


@functools.lru_cache(None)
def wav_path():
    import os

    import soundfile as sf

    p = os.path.join(_tmpdir(), "tone.wav")
    sf.write(p, (0.1 * np.sin(np.arange(4000) / 5)).astype(np.float32), 8000)
    return p


_COUNTER = [0]


def new_path(ext=".wav"):
    import os

    _COUNTER[0] += 1
    return os.path.join(_tmpdir(), f"out{_COUNTER[0]}{ext}")


_CADENCE = {"S": [[0, 1, 71], [1, 2, 72]], "A": [[0, 1, 67], [1, 2, 67]], "B": [[0, 1, 43], [1, 2, 48]]}


@functools.lru_cache(None)
def midi_path():
    from musynth_lab.data import save_midi

    p = new_path(".mid")
    save_midi(_CADENCE, p, key="C major")
    return p


@functools.lru_cache(None)
def cadence_path():
    return midi_path()


@functools.lru_cache(None)
def musicxml_path():
    from musynth_lab.data import save_musicxml

    p = new_path(".musicxml")
    save_musicxml(_CADENCE, p, key="C major")
    return p


@functools.lru_cache(None)
def midi_folder():
    import os
    import shutil

    d = os.path.join(_tmpdir(), "midi_folder")
    os.makedirs(d, exist_ok=True)
    shutil.copy(midi_path(), os.path.join(d, "a.mid"))
    shutil.copy(musicxml_path(), os.path.join(d, "a.musicxml"))
    return d


@functools.lru_cache(None)
def audio_folder():
    import os
    import shutil

    d = os.path.join(_tmpdir(), "audio_folder")
    os.makedirs(d, exist_ok=True)
    shutil.copy(wav_path(), os.path.join(d, "tone.wav"))
    return d


def add_simple_exercises(names):
    """Every ``check_*`` taking only ``answer``: one valid call with a plausible wrong answer."""
    import inspect

    import musynth_lab.exercises as X

    for n in names:
        key = _X + n
        if key in TABLE:
            continue
        params = list(inspect.signature(getattr(X, n)).parameters)
        if params[:1] == ["answer"] and all(
            inspect.signature(getattr(X, n)).parameters[p].default is not inspect.Parameter.empty for p in params[1:]
        ):
            TABLE[key] = E(0)
