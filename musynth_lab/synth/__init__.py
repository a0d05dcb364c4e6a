"""A batched, differentiable synthesizer in PyTorch: every kind of synthesis the source names.

Audio is ``(batch, n_samples)`` float32 on CPU or CUDA; parameters are numbers, ``(batch,)``
tensors or, where documented, ``(batch, n_samples)`` controls; ``sr`` is a required keyword;
gradients flow through every continuous parameter.

=====================  =====================================================================
source term            modules
=====================  =====================================================================
音源合成 (a)            :class:`Sampler` (recorded notes at any pitch and length)
混响合成 (b)            :func:`algorithmic_reverb`, :func:`convolution_reverb`, :func:`pan`, :func:`spatialize`
效果器合成 (c)          :func:`biquad`, :func:`delay`, :func:`overdrive`, :func:`chorus`, :func:`flanger`, :func:`exciter`
信号处理器合成 (d)      :func:`adsr`, :func:`lfo`, :func:`fm_tone`, :func:`fm4`, :func:`noise_gate`, :func:`compressor`, :func:`gain`
音轨生成器合成 (e)      :func:`accompaniment`, :func:`render_notes`, :func:`render_chorale`, :func:`render_midi`
(building blocks)      oscillators, :func:`svf`, :func:`equalizer`, :class:`SubtractiveVoice`, :class:`FMVoice`, :func:`match_sound`
时间延迟 (streaming)    :class:`VoiceStream`, :class:`PolyStream`, :func:`play_events`, :class:`Chain` of stream effects
=====================  =====================================================================

Chapter: notebooks/01a_synthesis.ipynb
"""

from ..audio import as_audio as _as_audio
from ..errors import rule as _rule, validate_names as _validate_names  # private aliases: not the package API
from .params import Param, param_table
from .oscillators import (
    SHAPES,
    make_wavetable,
    oscillator,
    phase_ramp,
    pink_noise,
    saw,
    sine,
    square,
    triangle,
    wavetable,
    white_noise,
)
from .envelopes import LFO_SHAPES, adsr, adsr_level, lfo
from .fm import FM4_ALGORITHMS, bessel_sidebands, feedback_sine, fm4, fm_tone
from .filters import (
    BIQUAD_KINDS,
    GRAPHIC_EQ_CENTRES,
    SVF_MODES,
    biquad,
    biquad_coefficients,
    equalizer,
    frequency_response,
    graphic_eq,
    lfilter2,
    linear_recurrence,
    one_pole,
    svf,
)
from .effects import DRIVE_SHAPES, chorus, compressor, delay, exciter, flanger, gain, limit, noise_gate, overdrive, rms_db
from .reverb import (
    algorithmic_reverb,
    convolution_reverb,
    convolve,
    energy_decay_db,
    measure_rt60,
    pan,
    schroeder_ir,
    spatialize,
    synthetic_ir,
    woodworth_itd,
)
from .sampler import Sampler
from .sequencer import STYLES, accompaniment, parse_chord, render_chorale, render_midi, render_notes, twelve_bar_blues
from .voices import INSTRUMENTS, FMVoice, SubtractiveVoice, Voice, instrument
from .matching import MatchResult, match_sound, multi_resolution_stft_loss

__all__ = [
    "Param",
    "param_table",
    "SHAPES",
    "make_wavetable",
    "oscillator",
    "phase_ramp",
    "pink_noise",
    "saw",
    "sine",
    "square",
    "triangle",
    "wavetable",
    "white_noise",
    "LFO_SHAPES",
    "adsr",
    "adsr_level",
    "lfo",
    "FM4_ALGORITHMS",
    "bessel_sidebands",
    "feedback_sine",
    "fm4",
    "fm_tone",
    "BIQUAD_KINDS",
    "GRAPHIC_EQ_CENTRES",
    "SVF_MODES",
    "biquad",
    "biquad_coefficients",
    "equalizer",
    "frequency_response",
    "graphic_eq",
    "lfilter2",
    "linear_recurrence",
    "one_pole",
    "svf",
    "DRIVE_SHAPES",
    "chorus",
    "compressor",
    "delay",
    "exciter",
    "flanger",
    "gain",
    "limit",
    "noise_gate",
    "overdrive",
    "rms_db",
    "algorithmic_reverb",
    "convolution_reverb",
    "convolve",
    "energy_decay_db",
    "measure_rt60",
    "pan",
    "schroeder_ir",
    "spatialize",
    "synthetic_ir",
    "woodworth_itd",
    "Sampler",
    "STYLES",
    "accompaniment",
    "parse_chord",
    "render_chorale",
    "render_midi",
    "render_notes",
    "twelve_bar_blues",
    "INSTRUMENTS",
    "FMVoice",
    "SubtractiveVoice",
    "Voice",
    "instrument",
    "MatchResult",
    "match_sound",
    "multi_resolution_stft_loss",
]

from .stream import (
    AlgorithmicReverb,
    Biquad,
    Chain,
    Chorus,
    Compressor,
    ConvolutionReverb,
    Delay,
    Effect,
    Flanger,
    Gain,
    NoiseGate,
    Overdrive,
    PolyStream,
    SVF,
    VoiceStream,
    check_block_size,
    play_events,
    stream_effects,
    stream_voice,
)

__all__ += [
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


def _validate_package():
    """The synth's conventional scalar argument names, each rule written once, checked at the boundary."""
    r = _rule

    pos, nonneg = r("float", low=0, low_open=True), r("float", low=0)
    rules = {
        "max_additive": r("int", high=4096),
        "seed": r("int", low=0, high=2**63 - 1, none=True),
        "noise_seed": r("int", low=0, high=2**63 - 1),
        "tail_s": nonneg,
        "sc_weight": nonneg,
        "log_weight": nonneg,
        "lr": pos,
        "tol": pos,
        "eps": pos,
        "max_iter": r("int", high=100_000),
        "k_max": r("int", high=1000),
        "filter_chunk": r("int", high=1 << 16),
        "n_freqs": r("int", high=1 << 20),
        "bass_octave": r("int", low=0, high=8),
        "velocity": r("int", low=0, high=127),
        "head_radius_m": pos,
        "speed_of_sound": pos,
        "crossfade_s": nonneg,
        "azimuth_deg": r("float"),
        "ild_db": r("float"),
        "shadow_db": r("float"),
        "bars_per_chord": r("int", high=1000),
        "steps": r("int", low=0, high=100_000),
        "from_db": r("float", high=0),
        "to_db": r("float", high=0),
        "allpass_gain": r("float", low=0, high=1, high_open=True),
        "predelay_s": nonneg,
        "batch": r("int", high=1 << 16),
        "pred": r(_as_audio),
        "target": r(_as_audio),
        "fft_sizes": r("seq", ndim=1),
        "ir": r(_as_audio),
        "n_samples": r("int", high=1 << 28, none=True),
        "q": r("float", low=0, low_open=True),
        "threshold": r("float", low=0, low_open=True),
        "effects": r("sequence"),
        "events": r("sequence"),
        "progression": r("sequence", min_len=1),
        "params": r("sequence"),
        "fit": r("sequence", min_len=1),
        "loop_s": r("seq", ndim=1),
        "ratios": r("seq", ndim=1),
        "levels": r("seq", ndim=1),
        "harmonics": r("seq"),
        "table": r(_as_audio),
        "voice": r("callable"),
        "b": r("seq"),
        "a": r("seq"),
        "max_quarters": r("float", low=0, low_open=True, none=True),
    }
    _validate_names(globals(), __all__, rules)


_validate_package()
