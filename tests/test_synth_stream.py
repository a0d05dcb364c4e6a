"""Streaming (musynth_lab.synth.stream): streamed == one-shot for voices, events and effects."""

import functools
import math

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError
from musynth_lab.synth import (
    AlgorithmicReverb,
    Biquad,
    Chain,
    Chorus,
    Compressor,
    ConvolutionReverb,
    Delay,
    FMVoice,
    Flanger,
    Gain,
    NoiseGate,
    Overdrive,
    PolyStream,
    SubtractiveVoice,
    SVF,
    VoiceStream,
    check_block_size,
    delay,
    play_events,
    stream_effects,
    stream_voice,
    synthetic_ir,
)

BLOCKS = [64, 100, 256, 1024]
PATCHES = [
    (SubtractiveVoice, {}),
    (SubtractiveVoice, dict(lfo_pitch_semitones=0.5, lfo_cutoff_octaves=1.0, noise_level=0.3, resonance=6.0, osc2_shape=0.6)),
    (functools.partial(SubtractiveVoice, use_filter=False), dict(noise_level=0.2, osc2_shape=1.0)),
    (FMVoice, {}),
    (FMVoice, dict(ratio=1.4, index=6.0, feedback=0.5)),
]


@pytest.mark.parametrize("voice_cls,extra", PATCHES)
@pytest.mark.parametrize("block", BLOCKS)
def test_streamed_voice_equals_one_shot(voice_cls, extra, block):
    v, sr = voice_cls(), 16000
    n = 9000  # not a multiple of any block size but 100 (90 blocks)
    ref = v.render(sr=sr, n_samples=n, normalize=False, midi_f0=57.0, note_off=0.3, **extra)[0].numpy()
    y = stream_voice(v, sr=sr, n_samples=n, block_size=block, clip=False, midi_f0=57.0, note_off=0.3, **extra)
    assert y.shape == (n,) and y.dtype == np.float32
    # float32 rounding of the one-shot torch render; the release at 0.3 s is inside the signal
    assert np.abs(y - ref).max() < 5e-4 * max(1.0, np.abs(ref).max())
    assert np.abs(ref[int(0.3 * sr) :]).max() > 0.01  # the comparison covers sound, not silence


def test_block_sizes_agree_with_each_other_tightly():
    v = SubtractiveVoice()
    a = stream_voice(v, sr=22050, n_samples=5000, block_size=64, midi_f0=50.0, note_off=0.1)
    b = stream_voice(v, sr=22050, n_samples=5000, block_size=777, midi_f0=50.0, note_off=0.1)
    assert np.abs(a - b).max() < 1e-6


def test_without_normalize_the_one_shot_can_exceed_full_scale_and_the_default_limits_it():
    v = SubtractiveVoice()
    raw = v.render(sr=16000, n_samples=4000, normalize=False, resonance=12.0, cutoff_hz=300.0, midi_f0=40.0)
    lim = v.render(sr=16000, n_samples=4000, resonance=12.0, cutoff_hz=300.0, midi_f0=40.0)
    assert float(raw.abs().max()) > 1.0
    assert float(lim.abs().max()) == pytest.approx(1.0, abs=1e-6)


def test_clip_keeps_the_stream_within_full_scale():
    y = stream_voice(
        SubtractiveVoice(), sr=16000, n_samples=4000, block_size=256, clip=True, resonance=12.0, cutoff_hz=300.0, midi_f0=40.0
    )
    assert np.abs(y).max() <= 1.0


def test_streams_limit_by_default_and_equal_the_limited_one_shot():
    from musynth_lab.audio import soft_limit

    v, kw = SubtractiveVoice(), dict(resonance=12.0, cutoff_hz=300.0, midi_f0=40.0)
    raw = v.render(sr=16000, n_samples=4000, normalize=False, **kw)[0].numpy()
    assert np.abs(raw).max() > 1.0  # a hot patch
    y = stream_voice(v, sr=16000, n_samples=4000, block_size=256, **kw)
    assert np.abs(y).max() <= 1.0
    np.testing.assert_allclose(y, soft_limit(raw), atol=5e-4)
    soft = dict(midi_f0=57.0, resonance=0.7071, osc2_level=0.5)
    quiet = v.render(sr=16000, n_samples=4000, normalize=False, **soft)[0].numpy()
    assert np.abs(quiet).max() < 0.9  # below the knee: untouched
    np.testing.assert_allclose(stream_voice(v, sr=16000, n_samples=4000, block_size=256, **soft), quiet, atol=5e-4)


def test_a_loud_chord_stays_within_full_scale_unless_asked():
    chord = [(0.0, "note_on", m) for m in (48, 52, 55, 60, 64, 67)] + [(0.3, "note_off", m) for m in (48, 60)]
    kw = dict(sr=16000, n_samples=8000, block_size=256, sustain=1.0)
    raw = play_events(SubtractiveVoice(), chord, clip=False, **kw)
    assert np.abs(raw).max() > 1.0  # six voices add up
    assert np.abs(play_events(SubtractiveVoice(), chord, **kw)).max() <= 1.0


def test_note_off_inside_a_block_equals_one_shot_release():
    v, sr = FMVoice(), 8000
    s = VoiceStream(v, sr=sr, clip=False, midi_f0=64.0)  # held: no note_off given
    a = s.process(1000)
    s.note_off(0.2)  # sample 1600: inside the next block
    b = s.process(1000)
    ref = v.render(sr=sr, n_samples=2000, normalize=False, midi_f0=64.0, note_off=0.2)[0].numpy()
    y = np.concatenate([a, b])
    assert np.abs(y - ref).max() < 2e-4
    assert not s.done
    s.process(int(0.3 * sr))  # past the release (0.3 s)
    assert s.done


def test_note_off_in_the_past_is_refused():
    s = VoiceStream(FMVoice(), sr=8000)
    s.process(800)
    with pytest.raises(ParameterError, match="at_s"):
        s.note_off(0.05)


def test_events_equal_shifted_one_shot_notes():
    v, sr, n = SubtractiveVoice(), 16000, 8000
    ev = [(0.0, "note_on", 60), (0.2, "note_off", 60), (0.0731, "note_on", 67), (0.31, "note_off", 67)]
    ref = np.zeros(n)
    for on, off, midi in [(0.0, 0.2, 60.0), (0.0731, 0.31, 67.0)]:
        k = int(round(on * sr))
        ref[k:] += v.render(sr=sr, n_samples=n - k, normalize=False, midi_f0=midi, note_off=int(round(off * sr)) / sr - k / sr)[
            0
        ].numpy()
    for block in (100, 256):
        y = play_events(v, ev, sr=sr, n_samples=n, block_size=block, clip=False)
        assert np.abs(y - ref).max() < 5e-4


def test_poly_stream_drops_finished_notes():
    p = PolyStream(FMVoice(), sr=8000, release=0.05)
    p.note_on(60.0, at=0)
    p.note_on(67.0, at=100)
    p.note_off(60.0, at=200)
    p.process(256)
    assert p.active == 2
    p.process(800)  # 60 ended (0.025 s + 0.05 s release)
    assert p.active == 1
    with pytest.raises(ParameterError, match="midi_f0"):
        p.note_off(72.0)


# -- effects --------------------------------------------------------------------------

SR = 16000


def _effects():
    return {
        "biquad": Biquad("lowpass", cutoff_hz=2000.0, sr=SR, q=2.0),
        "svf": SVF(cutoff_hz=1500.0, sr=SR, q=3.0, mode="bandpass"),
        "delay": Delay(delay_s=0.013, sr=SR, feedback=0.4, mix=0.4),
        "chorus": Chorus(sr=SR),
        "flanger": Flanger(sr=SR),
        "compressor": Compressor(sr=SR, threshold_db=-25.0, ratio=4.0, knee_db=6.0),
        "gate": NoiseGate(sr=SR, threshold_db=-20.0),
        "algorithmic_reverb": AlgorithmicReverb(sr=SR, rt60=0.3, mix=0.3),
        "convolution_reverb": ConvolutionReverb(synthetic_ir(rt60=0.2, sr=SR, seed=1), mix=0.2),
        "gain": Gain(gain_db=-3.0),
        "overdrive": Overdrive(drive_db=6.0),
    }


def _signal(n=5000):
    g = torch.Generator().manual_seed(0)
    env = torch.linspace(0, 1, n) ** 2  # quiet -> loud, so the dynamics move
    return 0.3 * env * torch.randn(1, n, generator=g)


@pytest.mark.parametrize("name", list(_effects()))
@pytest.mark.parametrize("block", BLOCKS)
def test_streamed_effect_equals_one_shot(name, block):
    e = _effects()[name]
    x = _signal()
    ref = e.oneshot(x)
    y = stream_effects(Chain([e]), x, block_size=block)
    # the modulated delays interpolate at an LFO phase kept in float32: a little looser
    tol = 5e-4 if name in ("chorus", "flanger") else 2e-6
    assert float((y - ref).abs().max()) < tol
    assert float((y - x).abs().max()) > 1e-3 or name == "gain"  # the effect did something


@pytest.mark.parametrize("block", BLOCKS)
def test_streamed_chain_equals_one_shot(block):
    ch = Chain(list(_effects().values()))
    x = _signal()
    ref = ch.oneshot(x)
    assert float((stream_effects(ch, x, block_size=block) - ref).abs().max()) < 5e-4


def test_delay_state_round_trips_with_blocks_shorter_than_the_delay():
    x = _signal(600)
    ref = delay(x, delay_s=0.01, sr=SR, feedback=0.5, mix=1.0)  # D = 160 samples
    st, parts = None, []
    for i in range(0, 600, 37):
        y, st = delay(x[:, i : i + 37], delay_s=0.01, sr=SR, feedback=0.5, mix=1.0, state=st, return_state=True)
        parts.append(y)
    assert float((torch.cat(parts, -1) - ref).abs().max()) < 1e-6
    assert st.shape == (1, 160)


def test_voice_then_effects_stream():
    v = FMVoice()
    y = stream_voice(v, sr=SR, n_samples=3000, block_size=256, midi_f0=60.0)
    ch = Chain([Biquad("lowpass", cutoff_hz=1000.0, sr=SR), Delay(delay_s=0.02, sr=SR)])
    out = stream_effects(ch, y[None], block_size=256)
    assert out.shape == (1, 3000) and np.allclose(out, ch.oneshot(y[None]), atol=1e-5)


# -- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -64, 256.0, 1.5, True, "256"])
def test_bad_block_sizes(bad):
    with pytest.raises(ParameterError, match="block_size"):
        check_block_size(bad)
    with pytest.raises(ParameterError, match="block_size"):
        stream_voice(FMVoice(), sr=8000, n_samples=100, block_size=bad)
    with pytest.raises(ParameterError, match="block_size"):
        stream_effects(Chain([Gain(gain_db=0.0)]), np.zeros((1, 10), np.float32), block_size=bad)


def test_bad_stream_input():
    with pytest.raises(ParameterError, match="n="):
        VoiceStream(FMVoice(), sr=8000).process(0)
    with pytest.raises(ParameterError, match="sr"):
        VoiceStream(FMVoice(), sr=0)
    with pytest.raises(ParameterError, match="midi_f0"):
        VoiceStream(FMVoice(), sr=8000, midi_f0=200.0)
    with pytest.raises(ParameterError, match="voice"):
        VoiceStream("piano", sr=8000)
    with pytest.raises(ParameterError, match="voice.method"):  # the NumPy path implements polyblep only
        VoiceStream(SubtractiveVoice(method="additive"), sr=8000)
    with pytest.raises(ParameterError, match="events"):
        play_events(FMVoice(), [(0.0, "on", 60)], sr=8000, n_samples=100, block_size=10)
    assert math.isinf(VoiceStream(FMVoice(), sr=8000).off)
