"""Oscillators, envelopes, LFOs and FM: physics checks (spectral peaks, levels at given times)."""

import math

import numpy as np
import pytest
import torch
from scipy.special import jv

from musynth_lab import ParameterError
from musynth_lab import synth as S


def spectrum_db(y, sr):
    """Blackman-windowed magnitude spectrum in dB re. its maximum, and the bin frequencies."""
    y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float64).reshape(-1)
    mag = np.abs(np.fft.rfft(y * np.blackman(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr), 20 * np.log10(mag / mag.max() + 1e-300)


def alias_below_fundamental_db(y, f0, sr):
    f, db = spectrum_db(y, sr)
    return db[(f > 20) & (f < f0 - 10)].max()


# ---------------------------------------------------------------- oscillators


@pytest.mark.parametrize("shape", ["saw", "square", "triangle"])
def test_5khz_at_44k1_does_not_fold_aliases_below_its_fundamental(shape):
    y = S.oscillator(shape, 5000.0, n_samples=44100, sr=44100)  # method='auto'
    assert alias_below_fundamental_db(y, 5000.0, 44100) < -90


@pytest.mark.parametrize("shape", ["saw", "square"])
def test_polyblep_beats_naive_aliasing(shape):
    naive = S.oscillator(shape, 5000.0, n_samples=44100, sr=44100, method="naive")
    blep = S.oscillator(shape, 5000.0, n_samples=44100, sr=44100, method="polyblep")
    a_naive = alias_below_fundamental_db(naive, 5000.0, 44100)
    a_blep = alias_below_fundamental_db(blep, 5000.0, 44100)
    assert a_naive > -25  # the naive wave really does alias
    assert a_blep < a_naive - 30  # PolyBLEP removes most of it (measured: -57 dB saw, -81 dB square)


def test_triangle_polyblamp_reduces_aliasing():
    naive = S.triangle(1234.0, n_samples=44100, sr=44100, method="naive")
    blamp = S.triangle(1234.0, n_samples=44100, sr=44100, method="polyblep")
    assert alias_below_fundamental_db(blamp, 1234.0, 44100) < alias_below_fundamental_db(naive, 1234.0, 44100) - 40


@pytest.mark.parametrize(
    "shape,ratios", [("saw", {2: 1 / 2, 3: 1 / 3}), ("square", {3: 1 / 3, 5: 1 / 5}), ("triangle", {3: 1 / 9, 5: 1 / 25})]
)
@pytest.mark.parametrize("method", ["polyblep", "additive"])
def test_harmonic_amplitudes_follow_fourier_series(shape, ratios, method):
    sr, f0 = 16000, 100.0
    y = S.oscillator(shape, f0, n_samples=sr, sr=sr, method=method)[0].double()
    spec = torch.fft.rfft(y).abs()
    for k, expected in ratios.items():
        assert float(spec[int(k * f0)] / spec[int(f0)]) == pytest.approx(expected, rel=0.03)


def test_square_pulse_width_sets_mean_and_missing_harmonics():
    y = S.square(100.0, pulse_width=0.25, n_samples=16000, sr=16000, method="additive")[0].double()
    assert float(y.mean()) == pytest.approx(-0.5, abs=0.01)
    spec = torch.fft.rfft(y).abs()
    assert float(spec[400] / spec[100]) < 1e-3  # a 1/4 pulse has no 4th harmonic


def test_sine_peak_and_level(device):
    y = S.sine(torch.tensor([440.0, 1000.0], device=device), n_samples=16000, sr=16000, amplitude=0.5)
    assert y.device.type == device and y.shape == (2, 16000)
    peaks = torch.fft.rfft(y).abs().argmax(-1).tolist()
    assert peaks == [440, 1000]
    assert float(y.abs().max()) == pytest.approx(0.5, abs=1e-3)


@pytest.mark.parametrize("fn", [S.sine, S.saw, S.square, S.triangle])
@pytest.mark.parametrize("method", ["polyblep", "additive"])
def test_phase_continuity_across_blocks(fn, method):
    sr = 16000
    kw = {} if fn is S.sine else {"method": method}
    f = 100.0 + 400.0 * torch.linspace(0, 1, 3000)[None]  # a glide
    whole = fn(f, n_samples=3000, sr=sr, **kw)
    a, p = fn(f[:, :1234], n_samples=1234, sr=sr, return_phase=True, **kw)
    b = fn(f[:, 1234:], n_samples=1766, sr=sr, phase=p, **kw)
    assert float((torch.cat([a, b], -1) - whole).abs().max()) < 5e-4  # float32 phase sums: about 1e-5 cycle


def test_glide_and_vibrato_frequency_per_sample():
    sr = 16000
    f = torch.full((1, sr), 500.0)
    f[:, sr // 2 :] = 1500.0
    y = S.sine(f, n_samples=sr, sr=sr)[0]
    first = torch.fft.rfft(y[: sr // 2]).abs().argmax() * 2
    second = torch.fft.rfft(y[sr // 2 :]).abs().argmax() * 2
    assert (int(first), int(second)) == (500, 1500)


def test_white_noise_flat_and_bounded():
    y = S.white_noise(n_samples=2**16, seed=0)[0].double().numpy()
    assert np.abs(y).max() <= 1.0
    p = np.abs(np.fft.rfft(y)) ** 2
    lo, hi = p[100:10000].mean(), p[20000:30000].mean()
    assert abs(10 * np.log10(hi / lo)) < 0.5


def test_pink_noise_falls_3db_per_octave():
    y = S.pink_noise(n_samples=2**16, batch=4, seed=0).double().numpy()
    p = (np.abs(np.fft.rfft(y, axis=-1)) ** 2).mean(0)
    f = np.arange(len(p))
    sel = (f > 50) & (f < 20000)
    slope = np.polyfit(np.log2(f[sel]), 10 * np.log10(p[sel]), 1)[0]
    assert slope == pytest.approx(-3.01, abs=0.3)


def test_wavetable_plays_its_harmonics_and_morphs():
    tables = S.make_wavetable(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), normalize=False)
    sr = 16000
    y0 = S.wavetable(tables, 200.0, n_samples=sr, sr=sr, position=0.0)[0]
    y1 = S.wavetable(tables, 200.0, n_samples=sr, sr=sr, position=1.0)[0]
    assert int(torch.fft.rfft(y0).abs().argmax()) == 200
    assert int(torch.fft.rfft(y1).abs().argmax()) == 600
    mid = S.wavetable(tables, 200.0, n_samples=sr, sr=sr, position=0.5)[0]
    spec = torch.fft.rfft(mid).abs()
    assert float(spec[200] / spec[600]) == pytest.approx(1.0, rel=0.01)


def test_oscillator_gradient_wrt_frequency_and_amplitude():
    f = torch.tensor([220.0], requires_grad=True)
    a = torch.tensor([0.7], requires_grad=True)
    y = S.saw(f, n_samples=2000, sr=16000, amplitude=a, method="polyblep")
    (y**2).mean().backward()
    assert f.grad is not None and torch.isfinite(f.grad).all() and float(f.grad.abs()) > 0
    assert float(a.grad) > 0


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(freq_hz=float("nan")), "freq_hz"),
        (dict(freq_hz=100.0, pulse_width=1.0), "pulse_width"),
        (dict(freq_hz=torch.ones(3), amplitude=torch.ones(2)), "amplitude"),
    ],
)
def test_oscillator_bad_input(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        S.square(n_samples=100, sr=8000, **kwargs)


def test_oscillator_unknown_shape_and_method():
    with pytest.raises(ParameterError, match="shape"):
        S.oscillator("zigzag", 100.0, n_samples=10, sr=8000)
    with pytest.raises(ParameterError, match="method"):
        S.saw(100.0, n_samples=10, sr=8000, method="magic")
    with pytest.raises(ParameterError, match="sr"):
        S.sine(100.0, n_samples=10, sr=0)
    for bad in (float("inf"), float("nan"), 8000.5, True):  # inf used to escape as OverflowError
        with pytest.raises(ParameterError, match="sr="):
            S.sine(100.0, n_samples=10, sr=bad)


# ---------------------------------------------------------------- envelopes


def test_adsr_levels_at_given_times(device):
    sr = 1000
    env = S.adsr(attack=0.1, decay=0.2, sustain=0.4, release=0.5, note_off=1.0, n_samples=2000, sr=sr, device=device)[0].cpu()
    assert float(env[50]) == pytest.approx(0.5, abs=1e-6)  # halfway up the attack
    assert float(env[100]) == pytest.approx(1.0, abs=1e-6)  # peak
    assert float(env[200]) == pytest.approx(0.7, abs=1e-6)  # halfway down the decay
    assert float(env[700]) == pytest.approx(0.4, abs=1e-6)  # sustain
    assert float(env[1250]) == pytest.approx(0.2, abs=1e-6)  # halfway through the release
    assert float(env[1600]) == 0.0


def test_adsr_per_item_note_off_and_early_release():
    sr = 1000
    env = S.adsr(
        attack=torch.tensor([0.2, 0.2]),
        decay=0.1,
        sustain=0.5,
        release=0.1,
        note_off=torch.tensor([0.1, 0.5]),
        n_samples=1000,
        sr=sr,
    )
    # item 0 released halfway up its attack: it falls from 0.5, not from the peak, with no jump
    assert float(env[0, 100]) == pytest.approx(0.5, abs=1e-6)
    assert float(env[0, 150]) == pytest.approx(0.25, abs=1e-6)
    assert float(env[0].diff().abs().max()) <= 0.5 / (0.1 * sr) + 1e-6
    assert float(env[1, 400]) == pytest.approx(0.5, abs=1e-6)


def test_adsr_zero_times_are_instant():
    env = S.adsr(attack=0.0, decay=0.0, sustain=0.3, release=0.0, note_off=0.5, n_samples=1000, sr=1000)[0]
    assert float(env[0]) == pytest.approx(0.3) and float(env[499]) == pytest.approx(0.3) and float(env[501]) == 0.0


def test_adsr_compiled_loop_gives_the_torch_numbers():
    """Without a gradient on the CPU a compiled loop renders the envelope: bit for bit the torch formula."""
    from musynth_lab.synth._kernels import available
    from musynth_lab.synth.envelopes import adsr_level_unchecked

    if not available():
        pytest.skip("numba is not installed: only the torch path exists")
    g = torch.Generator().manual_seed(0)

    def times(lo, hi):
        v = lo + (hi - lo) * torch.rand(12, 1, generator=g)
        v[::4] = 0.0  # instant segments and a note-off at 0
        return v

    t = torch.arange(30000, dtype=torch.float32)[None] / 16000
    kw = dict(
        attack=times(0, 0.4),
        decay=times(0, 0.6),
        sustain=torch.rand(12, 1, generator=g),
        release=times(0, 0.5),
        note_off=times(0, 1.6),
    )
    fast = adsr_level_unchecked(t, **kw)
    slow = adsr_level_unchecked(t, **{k: v.clone().requires_grad_(True) for k, v in kw.items()}).detach()
    assert torch.equal(fast, slow)
    assert fast.shape == (12, 30000) and 0.0 <= float(fast.min()) and float(fast.max()) <= 1.0
    assert float(fast.std()) > 0.1  # envelopes, not a constant


def test_adsr_gradients_match_finite_differences():
    def area(a, s, r):
        return S.adsr(attack=a, decay=0.1, sustain=s, release=r, note_off=0.6, n_samples=1000, sr=1000).sum()

    a = torch.tensor([0.1], requires_grad=True)
    s = torch.tensor([0.2], requires_grad=True)
    r = torch.tensor([0.2], requires_grad=True)
    area(a, s, r).backward()
    h = 1e-3
    with torch.no_grad():
        fd_a = (area(a + h, s, r) - area(a - h, s, r)) / (2 * h)
        fd_s = (area(a, s + h, r) - area(a, s - h, r)) / (2 * h)
        fd_r = (area(a, s, r + h) - area(a, s, r - h)) / (2 * h)
    assert float(a.grad) == pytest.approx(float(fd_a), rel=0.05)  # about (1/2 - s) * sr
    assert float(s.grad) == pytest.approx(float(fd_s), rel=0.05)
    assert float(r.grad) == pytest.approx(float(fd_r), rel=0.05)
    assert float(a.grad) > 0 and float(s.grad) > 0 and float(r.grad) > 0


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(attack=-0.1), "attack"),
        (dict(sustain=1.5), "sustain"),
        (dict(release=float("nan")), "release"),
        (dict(note_off=torch.tensor([0.1, 0.2]), attack=torch.tensor([0.1, 0.1, 0.1])), "batch size"),
    ],
)
def test_adsr_bad_input(kwargs, match):
    base = dict(attack=0.1, decay=0.1, sustain=0.5, release=0.1, note_off=0.5)
    base.update(kwargs)
    with pytest.raises(ParameterError, match=match):
        S.adsr(n_samples=100, sr=1000, **base)


@pytest.mark.parametrize("shape", S.LFO_SHAPES)
def test_lfo_range_and_rate(shape):
    y = S.lfo(4.0, n_samples=4000, sr=1000, shape=shape, depth=0.5, offset=1.0, seed=1)[0]
    assert float(y.min()) >= 0.5 - 1e-6 and float(y.max()) <= 1.5 + 1e-6
    if shape != "sample_hold":
        spec = torch.fft.rfft(y - y.mean()).abs()
        assert int(spec.argmax()) == 16  # 4 Hz over 4 s


def test_lfo_sample_hold_changes_once_per_cycle():
    y = S.lfo(10.0, n_samples=1000, sr=1000, shape="sample_hold", seed=3)[0]
    changes = int((y.diff() != 0).sum())
    assert changes == 9


# ---------------------------------------------------------------- FM


@pytest.mark.parametrize("index", [0.5, 2.0, 4.0])
def test_fm_sidebands_follow_bessel_functions(index):
    sr, fc, fm = 16000, 2000.0, 200.0
    y = S.fm_tone(fc, ratio=fm / fc, index=index, n_samples=sr, sr=sr)[0].double()
    spec = torch.fft.rfft(y).abs() / (sr / 2)
    for k in range(-4, 5):
        measured = float(spec[int(fc + k * fm)])
        assert measured == pytest.approx(abs(jv(k, index)), abs=2e-3)


def test_fm_ratio_sets_harmonic_or_inharmonic_partials():
    sr = 16000
    harmonic = S.fm_tone(200.0, ratio=1.0, index=2.0, n_samples=sr, sr=sr)[0]
    bell = S.fm_tone(200.0, ratio=1.4, index=2.0, n_samples=sr, sr=sr)[0]
    spec_h, spec_b = torch.fft.rfft(harmonic).abs(), torch.fft.rfft(bell).abs()
    peaks_h = torch.nonzero(spec_h > 0.01 * spec_h.max()).flatten()
    peaks_b = torch.nonzero(spec_b > 0.01 * spec_b.max()).flatten()
    assert bool((peaks_h % 200 == 0).all())
    assert not bool((peaks_b % 200 == 0).all())
    # fm = 280 Hz: partials at |200 + k 280| = 80, 200, 360, 480, 640, ... (negative ones fold back)
    expected = {abs(200 + k * 280) for k in range(-6, 7)}
    assert set(peaks_b.tolist()) <= expected
    assert {80, 200, 360, 480} <= set(peaks_b.tolist())


def test_fm_feedback_matches_a_sample_loop():
    sr, n = 8000, 300
    y = S.fm_tone(300.0, ratio=1.0, index=1.0, feedback=0.8, n_samples=n, sr=sr)[0].double().numpy()
    m_prev, ref = 0.0, []
    for i in range(n):
        ph = 2 * math.pi * 300.0 * i / sr
        m = math.sin(ph + 0.8 * m_prev)
        ref.append(math.sin(ph + 1.0 * m))
        m_prev = m
    assert np.abs(y - np.array(ref)).max() < 1e-4


def test_fm_feedback_brightens_the_modulator():
    sr = 16000
    dull = S.fm_tone(200.0, ratio=1.0, index=1.0, feedback=0.0, n_samples=sr, sr=sr)[0]
    bright = S.fm_tone(200.0, ratio=1.0, index=1.0, feedback=0.9, n_samples=sr, sr=sr)[0]

    def centroid(y):
        s = torch.fft.rfft(y).abs()
        return float((s * torch.arange(len(s))).sum() / s.sum())

    assert centroid(bright) > centroid(dull) * 1.1


def test_fm_block_continuity():
    a, st = S.fm_tone(330.0, ratio=2.0, index=3.0, feedback=0.5, n_samples=500, sr=8000, return_state=True)
    b = S.fm_tone(330.0, ratio=2.0, index=3.0, feedback=0.5, n_samples=500, sr=8000, phase=st)
    whole = S.fm_tone(330.0, ratio=2.0, index=3.0, feedback=0.5, n_samples=1000, sr=8000)
    assert float((torch.cat([a, b], -1) - whole).abs().max()) < 5e-4


def test_fm_gradient_wrt_index_and_ratio():
    idx = torch.tensor([2.0], requires_grad=True)
    r = torch.tensor([1.5], requires_grad=True)
    y = S.fm_tone(300.0, ratio=r, index=idx, n_samples=1000, sr=8000)
    (y[:, 100:] ** 2 * torch.linspace(0, 1, 900)).sum().backward()
    assert torch.isfinite(idx.grad).all() and torch.isfinite(r.grad).all() and float(idx.grad.abs()) > 0


@pytest.mark.parametrize("algorithm", sorted(S.FM4_ALGORITHMS))
def test_fm4_algorithms_run_bounded_and_differ(algorithm):
    y = S.fm4(220.0, algorithm=algorithm, ratios=(1, 2, 3, 1.5), levels=(1, 1, 1, 1), feedback=0.3, n_samples=4000, sr=16000)
    assert y.shape == (1, 4000) and float(y.abs().max()) <= 1.0 + 1e-6 and torch.isfinite(y).all()


def test_fm4_stack_equals_nested_two_operator_fm():
    # algorithm 1 with op3, op4 silent is a 2-operator FM of op2 on op1
    y = S.fm4(200.0, algorithm=1, ratios=(1.0, 3.0, 1.0, 1.0), levels=(1.0, 2.0, 0.0, 0.0), n_samples=2000, sr=16000)
    ref = S.fm_tone(200.0, ratio=3.0, index=2.0, n_samples=2000, sr=16000)
    assert float((y - ref).abs().max()) < 1e-4


def test_fm4_additive_algorithm_is_a_sum_of_sines():
    y = S.fm4(100.0, algorithm=8, ratios=(1, 2, 3, 4), levels=(1, 1, 1, 1), n_samples=16000, sr=16000)[0]
    spec = torch.fft.rfft(y).abs()
    assert torch.topk(spec, 4).indices.sort().values.tolist() == [100, 200, 300, 400]


def test_fm_bad_input():
    with pytest.raises(ParameterError, match="algorithm"):
        S.fm4(100.0, algorithm=33, n_samples=10, sr=8000)
    with pytest.raises(ParameterError, match="ratios"):
        S.fm4(100.0, ratios=(1, 2), n_samples=10, sr=8000)
    with pytest.raises(ParameterError, match="feedback"):
        S.fm_tone(100.0, feedback=1.5, n_samples=10, sr=8000)
    with pytest.raises(ParameterError, match="index"):
        S.fm_tone(100.0, index=float("nan"), n_samples=10, sr=8000)
    with pytest.raises(ParameterError, match="carrier_hz"):
        S.fm_tone(5000.0, n_samples=10, sr=8000)
