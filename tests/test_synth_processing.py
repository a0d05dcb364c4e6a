"""Filters, effects, reverb and space: -3 dB points, parity with scipy, levels, decay times."""

import math

import numpy as np
import pytest
import scipy.signal as ss
import torch

from musynth_lab import ParameterError
from musynth_lab import synth as S


def impulse(n=8192, batch=1):
    x = torch.zeros(batch, n)
    x[:, 0] = 1.0
    return x


def response_db(y, sr, f):
    spec = torch.fft.rfft(y.double(), dim=-1).abs()
    return 20 * torch.log10(spec[..., int(round(f * y.shape[-1] / sr))])


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize("kind", ["lowpass", "highpass"])
@pytest.mark.parametrize("fc", [100.0, 1000.0, 3000.0])
def test_butterworth_q_gives_minus_3db_at_cutoff(kind, fc):
    sr = 8192
    y = S.biquad(impulse(sr), kind=kind, cutoff_hz=fc, sr=sr)
    assert float(response_db(y, sr, fc)) == pytest.approx(-3.01, abs=0.02)
    far = fc / 8 if kind == "highpass" else min(fc * 8, 4000)
    assert float(response_db(y, sr, far)) < -30


def test_bandpass_notch_peaking_shelves():
    sr, fc = 8192, 1000.0
    x = impulse(sr)
    assert float(response_db(S.biquad(x, kind="bandpass", cutoff_hz=fc, q=2.0, sr=sr), sr, fc)) == pytest.approx(0.0, abs=0.01)
    assert float(response_db(S.biquad(x, kind="notch", cutoff_hz=fc, q=2.0, sr=sr), sr, fc)) < -60
    y = S.biquad(x, kind="peaking", cutoff_hz=fc, gain_db=9.0, q=1.0, sr=sr)
    assert float(response_db(y, sr, fc)) == pytest.approx(9.0, abs=0.01)
    ls = S.biquad(x, kind="lowshelf", cutoff_hz=fc, gain_db=6.0, sr=sr)
    hs = S.biquad(x, kind="highshelf", cutoff_hz=fc, gain_db=-6.0, sr=sr)
    assert float(response_db(ls, sr, 20)) == pytest.approx(6.0, abs=0.05)
    assert float(response_db(ls, sr, 4000)) == pytest.approx(0.0, abs=0.1)
    assert float(response_db(hs, sr, 4000)) == pytest.approx(-6.0, abs=0.1)
    assert float(response_db(ls, sr, fc)) == pytest.approx(3.0, abs=0.05)  # midpoint of the shelf


@pytest.mark.parametrize("kind", S.BIQUAD_KINDS)
def test_biquad_coefficients_match_the_analytic_response(kind):
    b, a = S.biquad_coefficients(kind, cutoff_hz=700.0, sr=8000, q=1.3, gain_db=5.0)
    f, H = S.frequency_response(b, a, sr=8000, n_freqs=64)
    w, Href = ss.freqz(b[0].double().numpy(), a[0].double().numpy(), worN=f.double().numpy(), fs=8000)
    assert np.allclose(H[0].numpy(), Href, atol=1e-4)


def test_scan_path_matches_scipy_lfilter_and_gives_gradients():
    x = torch.randn(3, 5000, generator=torch.Generator().manual_seed(0))
    b, a = S.biquad_coefficients("highpass", cutoff_hz=50.0, q=5.0, sr=44100)
    ref = ss.lfilter(b[0].double().numpy(), a[0].double().numpy(), x.double().numpy(), axis=-1)
    fast = S.lfilter2(x, b, a)  # scipy path (no gradient needed)
    xg = x.clone().requires_grad_(True)
    scan = S.lfilter2(xg, b, a)  # parallel-scan path
    assert np.abs(fast.numpy() - ref).max() < 1e-5
    assert np.abs(scan.detach().numpy() - ref).max() < 1e-5
    scan.pow(2).sum().backward()
    assert xg.grad is not None and torch.isfinite(xg.grad).all()


def test_filter_gradient_wrt_cutoff_matches_finite_difference():
    x = torch.randn(1, 600, generator=torch.Generator().manual_seed(1))
    fc = torch.tensor([900.0], requires_grad=True)
    S.biquad(x, kind="lowpass", cutoff_hz=fc, q=2.0, sr=16000).pow(2).sum().backward()
    h = 0.5
    with torch.no_grad():
        fd = (
            S.biquad(x, kind="lowpass", cutoff_hz=fc + h, q=2.0, sr=16000).pow(2).sum()
            - S.biquad(x, kind="lowpass", cutoff_hz=fc - h, q=2.0, sr=16000).pow(2).sum()
        ) / (2 * h)
    assert float(fc.grad) == pytest.approx(float(fd), rel=1e-2)


def test_biquad_block_state_equals_whole_signal():
    x = torch.randn(2, 3000, generator=torch.Generator().manual_seed(2))
    whole = S.biquad(x, kind="peaking", cutoff_hz=500.0, gain_db=6.0, sr=16000)
    a, st = S.biquad(x[:, :1000], kind="peaking", cutoff_hz=500.0, gain_db=6.0, sr=16000, return_state=True)
    b = S.biquad(x[:, 1000:], kind="peaking", cutoff_hz=500.0, gain_db=6.0, sr=16000, state=st)
    assert float((torch.cat([a, b], -1) - whole).abs().max()) < 1e-5


def test_numpy_in_numpy_out_and_shapes():
    y = S.biquad(np.zeros((2, 3, 100), dtype=np.float32), kind="lowpass", cutoff_hz=100.0, sr=8000)
    assert isinstance(y, np.ndarray) and y.shape == (2, 3, 100)


@pytest.mark.parametrize("mode", S.SVF_MODES)
def test_svf_matches_biquad_when_static(mode):
    kind = {"lowpass": "lowpass", "highpass": "highpass", "bandpass": None, "notch": "notch", "peak": None}[mode]
    sr = 8192
    y = S.svf(impulse(sr), cutoff_hz=1000.0, q=0.7071, mode=mode, sr=sr)
    assert torch.isfinite(y).all()
    if kind is not None:
        ref = S.biquad(impulse(sr), kind=kind, cutoff_hz=1000.0, q=0.7071, sr=sr)
        assert float((y - ref).abs().max()) < 1e-4
    if mode == "lowpass":
        assert float(response_db(y, sr, 1000.0)) == pytest.approx(-3.01, abs=0.02)


def test_svf_sweep_moves_the_spectrum_and_carries_state():
    sr = 16000
    x = S.white_noise(n_samples=2 * sr, seed=0)
    fc = torch.cat([torch.full((1, sr), 300.0), torch.full((1, sr), 3000.0)], -1)
    y = S.svf(x, cutoff_hz=fc, q=1.0, sr=sr)

    def centroid(v):
        s = torch.fft.rfft(v).abs()
        return float((s * torch.arange(len(s))).sum() / s.sum()) * sr / len(v)

    assert centroid(y[0, :sr]) < 700 < 1500 < centroid(y[0, sr:])
    a, st = S.svf(x[:, :777], cutoff_hz=fc[:, :777], sr=sr, return_state=True)
    b = S.svf(x[:, 777:], cutoff_hz=fc[:, 777:], sr=sr, state=st)
    assert float((torch.cat([a, b], -1) - S.svf(x, cutoff_hz=fc, sr=sr)).abs().max()) < 1e-5


def test_svf_single_precision_matches_double():
    x = torch.randn(2, 20000, generator=torch.Generator().manual_seed(3))
    fc = 100.0 * 2 ** (6 * torch.linspace(0, 1, 20000))[None].repeat(2, 1)
    d = S.svf(x, cutoff_hz=fc, q=4.0, sr=44100)
    s = S.svf(x, cutoff_hz=fc, q=4.0, sr=44100, precision="single")
    assert float((d - s).abs().max()) < 1e-4 * float(d.abs().max())
    with pytest.raises(ParameterError, match="precision"):
        S.svf(x, cutoff_hz=1000.0, sr=44100, precision="half")


def test_svf_runs_on_device_with_gradient(device):
    x = torch.randn(2, 512, device=device)
    fc = torch.full((2, 512), 800.0, device=device, requires_grad=True)
    y = S.svf(x, cutoff_hz=fc, q=3.0, sr=16000)
    y.pow(2).sum().backward()
    assert y.device.type == device and torch.isfinite(fc.grad).all()


@pytest.mark.parametrize("fc", [4000.0, 5000.0, 0.0, float("nan")])
def test_cutoff_at_or_above_nyquist_is_refused(fc):
    with pytest.raises(ParameterError, match="cutoff_hz"):
        S.biquad(np.zeros(10, dtype=np.float32), kind="lowpass", cutoff_hz=fc, sr=8000)
    with pytest.raises(ParameterError, match="cutoff_hz"):
        S.svf(np.zeros(10, dtype=np.float32), cutoff_hz=fc, sr=8000)


def test_filter_bad_kind_and_nan_audio():
    with pytest.raises(ParameterError, match="kind"):
        S.biquad(np.zeros(10, dtype=np.float32), kind="lowpas", cutoff_hz=100.0, sr=8000)
    with pytest.raises(ParameterError, match="NaN"):
        S.biquad(np.array([0.0, np.nan], dtype=np.float32), kind="lowpass", cutoff_hz=100.0, sr=8000)


def test_one_pole_time_constant():
    y = S.one_pole(torch.ones(1, 2000), time_s=0.05, sr=1000)
    assert float(y[0, 49]) == pytest.approx(1 - math.exp(-1), abs=1e-3)


def test_equalizer_and_graphic_eq_gains():
    sr = 32768
    x = impulse(sr)
    y = S.equalizer(
        x,
        bands=[
            {"kind": "lowshelf", "cutoff_hz": 200.0, "gain_db": -12.0},
            {"kind": "peaking", "cutoff_hz": 2000.0, "gain_db": 6.0, "q": 4.0},
        ],
        sr=sr,
    )
    assert float(response_db(y, sr, 2000.0)) == pytest.approx(6.0, abs=0.1)
    assert float(response_db(y, sr, 20.0)) == pytest.approx(-12.0, abs=0.2)
    g = S.graphic_eq(x, gains_db=[0, 0, 0, 0, 0, 6, 0, 0, 0, 0], sr=sr)
    assert float(response_db(g, sr, 1000.0)) == pytest.approx(6.0, abs=0.05)
    with pytest.raises(ParameterError, match="gains_db"):
        S.graphic_eq(x, gains_db=[0] * 9, sr=sr)
    with pytest.raises(ParameterError, match="bands"):
        S.equalizer(x, bands=[{"gain_db": 3}], sr=sr)


# ---------------------------------------------------------------- effects


def test_gain_exact_and_limited():
    x = torch.full((1, 10), 0.4)
    assert float(S.gain(x, gain_db=6.0206, limit_output=False)[0, 0]) == pytest.approx(0.8, abs=1e-4)
    assert float(S.gain(x, gain_db=20.0).abs().max()) <= 1.0


def test_delay_echo_times_and_levels_and_blocks():
    sr = 1000
    x = impulse(1000)
    y = S.delay(x, delay_s=0.25, sr=sr, feedback=0.5, mix=1.0, dry=0.0, limit_output=False)[0]
    assert [int(i) for i in torch.nonzero(y).flatten()] == [250, 500, 750]
    assert y[[250, 500, 750]].tolist() == [1.0, 0.5, 0.25]
    z = torch.randn(2, 1000, generator=torch.Generator().manual_seed(0))
    whole = S.delay(z, delay_s=0.1, sr=sr, feedback=0.6)
    a, st = S.delay(z[:, :500], delay_s=0.1, sr=sr, feedback=0.6, return_state=True)
    b = S.delay(z[:, 500:], delay_s=0.1, sr=sr, feedback=0.6, state=st)
    assert float((torch.cat([a, b], -1) - whole).abs().max()) < 1e-5


def test_delay_gradient_wrt_feedback():
    fb = torch.tensor([0.5], requires_grad=True)
    S.delay(impulse(1000), delay_s=0.1, sr=1000, feedback=fb, mix=1.0, limit_output=False).sum().backward()
    assert float(fb.grad) == pytest.approx(sum(k * 0.5 ** (k - 1) for k in range(1, 9)), rel=1e-4)


def test_effects_and_reverbs_stay_within_full_scale():
    sr = 8000
    x = S.sine(220.0, n_samples=sr, sr=sr)  # full scale
    assert float(S.delay(x, delay_s=0.1, sr=sr, feedback=0.9, mix=1.0).abs().max()) <= 1.0
    assert float(S.compressor(x, sr=sr, threshold_db=-30.0, ratio=2.0, makeup_db=30.0).abs().max()) <= 1.0
    assert float(S.algorithmic_reverb(x, sr=sr, rt60=2.0, mix=0.8).abs().max()) <= 1.0
    assert float(S.convolution_reverb(x, S.synthetic_ir(rt60=1.0, sr=sr), mix=0.9).abs().max()) <= 1.0
    assert float(S.exciter(x, sr=sr, cutoff_hz=100.0, amount=1.0).abs().max()) <= 1.0
    assert float(S.overdrive(x, drive_db=40.0, shape="hard").abs().max()) <= 1.0
    unlimited = S.delay(x, delay_s=0.1, sr=sr, feedback=0.9, mix=1.0, limit_output=False)
    assert float(unlimited.abs().max()) > 1.5  # the guard was needed


def test_delay_bad_input():
    with pytest.raises(ParameterError, match="feedback"):
        S.delay(impulse(100), delay_s=0.01, sr=1000, feedback=1.0)
    with pytest.raises(ParameterError, match="delay_s"):
        S.delay(impulse(100), delay_s=0.0, sr=1000)


@pytest.mark.parametrize("shape", S.DRIVE_SHAPES)
def test_overdrive_harmonics_and_full_scale(shape):
    sr = 8000
    x = S.sine(100.0, n_samples=sr, sr=sr)
    y = S.overdrive(x, drive_db=18.0, shape=shape)[0]
    assert float(y.abs().max()) <= 1.0 + 1e-6
    spec = torch.fft.rfft(y.double()).abs()
    assert float(spec[300] / spec[100]) > 0.05  # a strong 3rd harmonic
    if shape == "asymmetric":
        assert float(spec[200] / spec[100]) > 0.02  # even harmonics too
    else:
        assert float(spec[200] / spec[100]) < 1e-4  # symmetric: odd harmonics only


def test_more_drive_more_distortion():
    x = S.sine(100.0, n_samples=8000, sr=8000)

    def thd(y):
        s = torch.fft.rfft(y[0].double()).abs()
        return float(torch.sqrt((s[200::100] ** 2).sum()) / s[100])

    assert thd(S.overdrive(x, drive_db=3.0)) < thd(S.overdrive(x, drive_db=12.0)) < thd(S.overdrive(x, drive_db=30.0))


def test_flanger_static_delay_makes_comb_notches():
    sr = 16000
    x = impulse(2**15)
    d = 0.001  # 1 ms: notches at 500, 1500, 2500 Hz
    y = S.flanger(x, sr=sr, rate_hz=0.0, depth_s=0.0, delay_s=d, mix=1.0)
    H = torch.fft.rfft(y[0].double()).abs()
    f = torch.fft.rfftfreq(2**15, 1 / sr)
    for notch in (500, 1500, 2500):
        assert float(H[int(torch.argmin((f - notch).abs()))]) < 0.05
    assert float(H[int(torch.argmin((f - 1000).abs()))]) == pytest.approx(1.0, abs=0.02)


def test_chorus_detunes_by_the_doppler_shift_and_carries_state():
    sr = 16000
    x = S.sine(1000.0, n_samples=sr, sr=sr)
    wet = S.chorus(x, sr=sr, rate_hz=2.0, depth_s=0.002, delay_s=0.01, mix=1.0, voices=1)
    # the moving delay widens the line: energy appears up to 1000 * 2 pi * rate * depth = +-25 Hz away
    spec = torch.fft.rfft(wet[0].double()).abs()
    side = float(spec[1010:1030].sum() + spec[970:990].sum())
    assert side > 0.05 * float(spec[1000])
    z = torch.randn(1, 3000, generator=torch.Generator().manual_seed(0))
    whole = S.chorus(z, sr=sr)
    a, st = S.chorus(z[:, :1200], sr=sr, return_state=True)
    b = S.chorus(z[:, 1200:], sr=sr, state=st)
    assert float((torch.cat([a, b], -1) - whole).abs().max()) < 1e-3  # history and LFO phase carried


def test_compressor_static_curve():
    sr = 16000
    t = torch.arange(2 * sr) / sr
    for amp, thr, ratio in ((0.5, -20.0, 4.0), (0.5, -30.0, 2.0), (0.05, -20.0, 4.0)):
        x = amp * torch.sin(2 * math.pi * 440 * t)[None]
        y = S.compressor(x, sr=sr, threshold_db=thr, ratio=ratio)
        lin = 20 * math.log10(amp / math.sqrt(2))
        expected = lin if lin < thr else thr + (lin - thr) / ratio
        assert float(S.rms_db(y, sr=sr, time_s=0.1)[0, -1]) == pytest.approx(expected, abs=0.3)


def test_noise_gate_mutes_quiet_passes_loud():
    sr = 8000
    x = S.white_noise(n_samples=sr, seed=0) * 0.003
    x[:, sr // 2 :] = S.sine(440.0, n_samples=sr // 2, sr=sr) * 0.5
    y = S.noise_gate(x, sr=sr, threshold_db=-30.0, range_db=-80.0)
    quiet = float(S.rms_db(y[:, 1000:3500], sr=sr, time_s=0.05)[0, -1])
    loud_in = float(S.rms_db(x[:, 6000:], sr=sr, time_s=0.05)[0, -1])
    loud_out = float(S.rms_db(y[:, 6000:], sr=sr, time_s=0.05)[0, -1])
    assert quiet < -100 and loud_out == pytest.approx(loud_in, abs=0.1)


def test_exciter_adds_upper_harmonics_only_above_cutoff():
    sr = 32000
    x = 0.5 * S.sine(3000.0, n_samples=sr, sr=sr) + 0.5 * S.sine(200.0, n_samples=sr, sr=sr)
    y = S.exciter(x, sr=sr, cutoff_hz=2000.0, drive_db=18.0, amount=0.5)
    sx, sy = torch.fft.rfft(x[0].double()).abs(), torch.fft.rfft(y[0].double()).abs()
    assert float(sy[9000] / sy[3000]) > 0.05 > float(sx[9000] / sx[3000])
    assert float(sy[600] / sy[200]) < 0.01  # the lows get (almost) none
    assert float(y.abs().max()) <= 1.0


# ---------------------------------------------------------------- reverb and space


@pytest.mark.parametrize("rt60", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("sr", [16000, 44100])
def test_algorithmic_reverb_rt60_follows_parameter(rt60, sr):
    ir = S.schroeder_ir(rt60=rt60, sr=sr)
    assert S.measure_rt60(ir[0], sr=sr) == pytest.approx(rt60, rel=0.08)


def test_damping_shortens_the_decay_and_darkens_the_tail():
    sr = 16000
    plain = S.schroeder_ir(rt60=1.0, sr=sr)[0]
    damped = S.schroeder_ir(rt60=1.0, sr=sr, damping=0.6)[0]
    assert S.measure_rt60(damped, sr=sr) < S.measure_rt60(plain, sr=sr)
    late = slice(sr // 2, sr)

    def hf_share(h):
        s = torch.fft.rfft(h[late].double()).abs() ** 2
        return float(s[len(s) // 2 :].sum() / s.sum())

    assert hf_share(damped) < 0.3 * hf_share(plain)


def test_reverb_ir_is_differentiable_in_rt60():
    T = torch.tensor([0.8], requires_grad=True)
    ir = S.schroeder_ir(rt60=T, sr=8000, n_samples=8000)
    ir[:, 4000:].pow(2).sum().backward()  # energy in the late tail grows with rt60
    assert float(T.grad) > 0


def test_algorithmic_reverb_mix_stereo_and_tail():
    x = impulse(4000)
    dry = S.algorithmic_reverb(x, sr=8000, rt60=0.5, mix=0.0)
    assert torch.equal(dry, x)
    st = S.algorithmic_reverb(x, sr=8000, rt60=0.5, mix=1.0, stereo=True)
    assert st.shape == (1, 2, 4000)
    corr = float(torch.corrcoef(st[0])[0, 1])
    assert abs(corr) < 0.5  # decorrelated channels
    tail = S.algorithmic_reverb(x, sr=8000, rt60=0.5, mix=1.0, keep_tail=True)
    assert tail.shape[-1] > 4000


def test_convolution_reverb_with_generated_ir():
    sr = 8000
    ir = S.synthetic_ir(rt60=0.7, sr=sr, seed=1)
    assert S.measure_rt60(ir[0], sr=sr) == pytest.approx(0.7, rel=0.1)
    x = impulse(2000)
    y = S.convolution_reverb(x, ir, mix=1.0)
    assert torch.allclose(y[0], ir[0, :2000], atol=1e-6)


def test_convolve_streams_block_by_block():
    x = torch.randn(2, 5000, generator=torch.Generator().manual_seed(0))
    ir = S.synthetic_ir(rt60=0.2, sr=8000)
    whole = S.convolve(x, ir)
    y1, st = S.convolve(x[:, :1000], ir, return_state=True)
    y2, st = S.convolve(x[:, 1000:1300], ir, state=st, return_state=True)  # block shorter than the IR
    y3 = S.convolve(x[:, 1300:], ir, state=st)
    assert float((torch.cat([y1, y2, y3], -1) - whole).abs().max()) < 1e-5


@pytest.mark.parametrize("p", [-1.0, -0.5, 0.0, 0.3, 1.0])
def test_constant_power_pan(p):
    y = S.pan(torch.ones(1, 4), position=p)
    left, right = float(y[0, 0, 0]), float(y[0, 1, 0])
    assert left**2 + right**2 == pytest.approx(1.0, abs=1e-6)
    if p == 0.0:
        assert 20 * math.log10(left) == pytest.approx(-3.01, abs=0.01)
    if p == -1.0:
        assert right == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("az", [-60.0, 30.0, 90.0])
def test_spatialize_itd_and_ild(az):
    sr = 48000
    x = S.white_noise(n_samples=4800, seed=0)
    y = S.spatialize(x, azimuth_deg=az, sr=sr)[0].double().numpy()
    left, right = y
    near, far = (left, right) if az < 0 else (right, left)
    lags = np.arange(-60, 61)
    xc = [np.dot(near[60:-60], np.roll(far, -k)[60:-60]) for k in lags]
    lag = lags[int(np.argmax(xc))]
    assert lag == pytest.approx(S.woodworth_itd(az) * sr, abs=1.0)
    assert np.sqrt(np.mean(far**2)) < np.sqrt(np.mean(near**2))


def test_reverb_bad_input():
    with pytest.raises(ParameterError, match="rt60"):
        S.schroeder_ir(rt60=0.0, sr=8000)
    with pytest.raises(ParameterError, match="damping"):
        S.algorithmic_reverb(impulse(10), sr=8000, damping=1.5)
    with pytest.raises(ParameterError, match="position"):
        S.pan(torch.ones(1, 4), position=2.0)
    with pytest.raises(ParameterError, match="azimuth_deg"):
        S.spatialize(torch.ones(1, 4), azimuth_deg=120.0, sr=8000)


def test_one_pole_and_compressor_fast_path_equal_the_scan():
    """The CPU no-gradient path (scipy lfilter) gives the scan's numbers, with and without a state."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(3, 3000, generator=g) * torch.linspace(0.01, 1.0, 3000)
    tau = torch.tensor([0.001, 0.01, 0.2])
    s0 = torch.tensor([0.5, -0.2, 1.0])
    fast, fast_end = S.one_pole(x, time_s=tau, sr=16000, state=s0, return_state=True)
    slow, slow_end = S.one_pole(x.clone().requires_grad_(True), time_s=tau, sr=16000, state=s0, return_state=True)
    assert torch.allclose(fast, slow.detach(), atol=1e-6) and torch.allclose(fast_end, slow_end.detach(), atol=1e-6)
    for kw in (dict(threshold_db=-20.0, ratio=4.0), dict(threshold_db=-30.0, ratio=10.0, knee_db=6.0, makeup_db=6.0)):
        a = S.compressor(x, sr=16000, **kw)
        b = S.compressor(x.clone().requires_grad_(True), sr=16000, **kw).detach()
        assert float((a - b).abs().max()) < 1e-5, kw


# ---------------------------------------------------------------- compiled CPU loops (numba)


def _loud_quiet(batch=3, n=3000, seed=7):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, n, generator=g) * torch.linspace(0.01, 1.2, n)  # crosses full scale at the end


COMPILED_CASES = {
    "compressor": lambda x: S.compressor(x, sr=16000, threshold_db=-25.0, ratio=4.0, makeup_db=12.0),
    "compressor knee": lambda x: S.compressor(x, sr=16000, threshold_db=-30.0, ratio=8.0, knee_db=6.0, limit_output=False),
    "gate": lambda x: S.noise_gate(x, sr=16000, threshold_db=-20.0, range_db=-60.0),
    "delay": lambda x: S.delay(x, delay_s=0.011, sr=16000, feedback=torch.tensor([0.2, 0.6, 0.9]), mix=0.7),
    "delay unlimited": lambda x: S.delay(x, delay_s=0.15, sr=16000, feedback=0.5, limit_output=False),  # D near n
    "chorus": lambda x: S.chorus(x, sr=16000, rate_hz=torch.tensor([0.5, 2.0, 7.0]), voices=3, mix=0.8),
    "flanger": lambda x: S.flanger(x, sr=16000, rate_hz=1.0),
    "biquad": lambda x: S.biquad(x, kind="lowpass", cutoff_hz=torch.tensor([50.0, 1000.0, 7000.0]), sr=16000, q=4.0),
    "one_pole": lambda x: S.one_pole(x, time_s=0.003, sr=16000),
    "svf sweep": lambda x: S.svf(x, cutoff_hz=200 * 2 ** (5 * torch.linspace(0, 1, x.shape[-1])), sr=16000, q=8.0),
    "svf highpass single": lambda x: S.svf(x, cutoff_hz=900.0, sr=16000, q=2.0, mode="highpass", precision="single"),
    "svf peak": lambda x: S.svf(x, cutoff_hz=3000.0, sr=16000, q=0.6, mode="peak"),
}


@pytest.mark.parametrize("name", list(COMPILED_CASES))
def test_compiled_cpu_path_equals_the_torch_path(name):
    """No gradient on the CPU: the compiled loops; with a gradient: the torch path. Same numbers."""
    from musynth_lab.synth._kernels import available

    if not available():
        pytest.skip("numba is not installed: only the torch path exists")
    x = _loud_quiet()
    fast = COMPILED_CASES[name](x)
    slow = COMPILED_CASES[name](x.clone().requires_grad_(True)).detach()
    assert float((fast - slow).abs().max()) < 2e-6, name
    assert float((fast - x).abs().max()) > 1e-3  # the effect did something
    y = COMPILED_CASES[name](x.numpy())  # NumPy in, NumPy out, the same numbers
    assert isinstance(y, np.ndarray) and float(np.abs(y - fast.numpy()).max()) < 1e-6


@pytest.mark.parametrize(
    "fx",
    [
        lambda x: S.biquad(x, kind="lowpass", cutoff_hz=1200.0, sr=16000, q=3.0),
        lambda x: S.one_pole(x, time_s=0.002, sr=16000),
        lambda x: S.compressor(x, sr=16000, threshold_db=-25.0, ratio=6.0, makeup_db=6.0),
    ],
    ids=["biquad", "one_pole", "compressor"],
)
def test_compiled_loops_give_each_row_of_a_batch_what_it_gets_alone(fx):
    """The loops filter rows four and two at a time: a batch of 7 gives each row its own numbers."""
    from musynth_lab.synth._kernels import available

    if not available():
        pytest.skip("numba is not installed: only the torch path exists")
    x = _loud_quiet(batch=7, n=2500, seed=11)
    batch = fx(x)
    for i in range(7):
        assert torch.equal(batch[i], fx(x[i : i + 1])[0]), i
    slow = fx(x.clone().requires_grad_(True)).detach()
    assert float((batch - slow).abs().max()) < 2e-6


def test_compiled_compressor_does_not_depend_on_its_block_size(monkeypatch):
    from musynth_lab.synth import effects

    x = _loud_quiet(batch=3, n=20000, seed=3)
    runs = []
    for block in (1 << 40, effects.DYNAMICS_BLOCK, 3000):
        monkeypatch.setattr(effects, "DYNAMICS_BLOCK", block)
        runs.append((S.compressor(x, sr=16000, threshold_db=-30.0, ratio=4.0), S.noise_gate(x, sr=16000, threshold_db=-20.0)))
    for comp, gate in runs[1:]:
        assert torch.equal(comp, runs[0][0]) and torch.equal(gate, runs[0][1])
    assert float((runs[0][0] - x).abs().max()) > 1e-2  # it compressed


def test_compiled_delay_and_chorus_carry_their_state_like_the_torch_path():
    x = _loud_quiet(batch=2, n=4000)
    for fx in (
        lambda z, **kw: S.delay(z, delay_s=0.02, sr=16000, feedback=0.5, **kw),
        lambda z, **kw: S.chorus(z, sr=16000, rate_hz=3.0, **kw),
        lambda z, **kw: S.svf(z, cutoff_hz=1200.0, sr=16000, q=5.0, mode="bandpass", **kw),
    ):
        a, st = fx(x[:, :1700], return_state=True)
        b = fx(x[:, 1700:], state=st)
        a_ref, st_ref = fx(x[:, :1700].clone().requires_grad_(True), return_state=True)
        b_ref = fx(x[:, 1700:].clone().requires_grad_(True), state=st_ref)
        assert float((torch.cat([a, b], -1) - torch.cat([a_ref, b_ref], -1).detach()).abs().max()) < 2e-6


def test_without_numba_every_effect_falls_back_to_the_torch_path(monkeypatch):
    from musynth_lab.synth._kernels import kernel

    x = _loud_quiet()
    fast = {name: fx(x) for name, fx in COMPILED_CASES.items()}
    monkeypatch.setenv("MUSYNTH_NO_NUMBA", "1")
    assert kernel("delay") is None
    for name, fx in COMPILED_CASES.items():
        assert float((fx(x) - fast[name]).abs().max()) < 2e-6, name


def test_importing_the_synth_does_not_import_numba():
    import subprocess
    import sys

    code = "import sys, musynth_lab.synth; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "kw",
    [
        dict(rt60=0.3, mix=0.3),
        dict(rt60=torch.tensor([0.2, 0.5, 1.0]), damping=torch.tensor([0.0, 0.3, 0.9]), mix=1.0),
        dict(rt60=0.4, predelay_s=0.01, mix=0.5),
        dict(rt60=0.3, stereo=True),
        dict(rt60=0.3, keep_tail=True, mix=0.7),
    ],
)
def test_compiled_reverb_network_equals_the_convolution_with_its_response(kw):
    """The network run sample by sample (CPU, no gradient) against the FFT convolution with schroeder_ir.

    Within the response's length (1.2 rt60) the two agree to rounding; later the network also
    plays the part of its response beyond that length, which the truncated response drops
    (more than 72 dB down): a small difference, bounded here.
    """
    from musynth_lab.synth._kernels import available

    if not available():
        pytest.skip("numba is not installed: only the convolution exists")
    g = torch.Generator().manual_seed(3)
    short = 0.3 * torch.randn(3, 3000, generator=g)  # shorter than every response: exact
    fast = S.algorithmic_reverb(short, sr=16000, **kw)
    slow = S.algorithmic_reverb(short.clone().requires_grad_(True), sr=16000, **kw).detach()
    assert fast.shape == slow.shape
    if not kw.get("keep_tail"):
        assert float((fast - slow).abs().max()) < 1e-6
    else:
        assert float((fast - slow)[:, :3000].abs().max()) < 1e-6
    long = 0.3 * torch.randn(3, 40000, generator=g)
    fast = S.algorithmic_reverb(long, sr=16000, **kw)
    slow = S.algorithmic_reverb(long.clone().requires_grad_(True), sr=16000, **kw).detach()
    err = (fast - slow).abs()
    assert float(err.max()) < 2e-3 and float(err.pow(2).mean().sqrt()) < 3e-4
    assert float((fast - slow)[..., :4000].abs().max()) < 1e-6  # before 1.2 rt60 at the shortest rt60


def test_compiled_reverb_impulse_response_is_schroeder_ir():
    from musynth_lab.synth._kernels import available

    if not available():
        pytest.skip("numba is not installed")
    ir = S.schroeder_ir(rt60=0.5, sr=8000, damping=0.4)
    x = impulse(ir.shape[-1])
    y = S.algorithmic_reverb(x, sr=8000, rt60=0.5, damping=0.4, mix=1.0)
    assert float((y - ir).abs().max()) < 1e-6


@pytest.mark.parametrize("shape", S.DRIVE_SHAPES)
def test_gain_and_overdrive_without_gradient_give_the_same_numbers(shape):
    """Without a gradient, gain limits only the samples above 0.9 and tanh overdrive works in place: same output."""
    x = _loud_quiet()
    for kw in (dict(drive_db=12.0), dict(drive_db=torch.tensor([0.0, 6.0, 30.0]), mix=torch.tensor([1.0, 0.5, 1.0]))):
        fast = S.overdrive(S.gain(x, gain_db=6.0), shape=shape, **kw)
        slow = S.overdrive(S.gain(x.clone().requires_grad_(True), gain_db=6.0), shape=shape, **kw).detach()
        assert torch.equal(fast, slow)
    xn = x.numpy().copy()
    S.overdrive(S.gain(xn, gain_db=6.0), shape=shape)
    assert np.array_equal(xn, x.numpy())  # the input is never written
