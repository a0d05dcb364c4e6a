"""Chapter 6a: latency measurements, the sample-rate trade-off, neural streaming, LatencyPanel, checks."""

import itertools
import math

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError
from musynth_lab.latency import (
    NOTICEABLE_MS,
    buffer_latency_ms,
    largest_block_under,
    latency_budget,
    latency_table,
    log_spectral_distance,
    measure_voice,
    sample_rate_tradeoff,
    snr_db,
    time_blocks,
)
from musynth_lab.models.ddsp import DDSPDecoder
from musynth_lab.models.streaming import DDSPStream, SampleGRU, accelerate, neural_latency, time_autoregressive, time_ddsp_stream


@pytest.mark.parametrize("block", [64, 128, 256, 512, 1024])
@pytest.mark.parametrize("sr", [16000, 22050, 44100, 48000])
def test_buffer_latency_is_block_over_sr(block, sr):
    assert buffer_latency_ms(block, sr=sr) == pytest.approx(1000.0 * block / sr, rel=1e-12)


def test_lower_rate_makes_the_same_buffer_longer():
    assert buffer_latency_ms(256, sr=16000) == 16.0
    assert buffer_latency_ms(256, sr=16000) == pytest.approx(3 * buffer_latency_ms(256, sr=48000))


def _fake_clock(step_s):
    ticks = itertools.count()  # lazily: an array of every tick would take gigabytes
    return lambda: next(ticks) * step_s


def test_time_blocks_with_a_fake_clock_gives_exact_figures():
    calls = []
    t = time_blocks(
        lambda n: calls.append(n), block_size=480, sr=48000, n_blocks=8, warmup=3, clock=_fake_clock(0.002)
    )  # every block "takes" 2 ms of a 10 ms block
    assert calls == [480] * 11  # warm-up blocks run, untimed
    assert t.p50_ms == pytest.approx(2.0) and t.p99_ms == pytest.approx(2.0)
    assert t.block_ms == pytest.approx(10.0)
    assert t.rtf == pytest.approx(0.2)  # compute / audio time
    assert t.rtf_p99 == pytest.approx(0.2)
    assert t.times_ms.shape == (8,)


def test_real_timing_is_consistent():
    t, y = measure_voice(block_size=128, sr=16000, n_blocks=20)
    assert y.shape == (20 * 128,) and np.abs(y).max() > 0.01
    assert 0 < t.p50_ms <= t.p99_ms <= t.times_ms.max()
    assert t.rtf == pytest.approx(t.times_ms.sum() / (20 * 8.0))


def test_latency_budget_adds_up_and_flags_10_ms():
    b = latency_budget(512, sr=44100, compute_ms=0.4, lookahead_ms=2.0)
    assert b.total_ms == pytest.approx(1000 * 512 / 44100 + 2.4)
    assert b.noticeable and b.keeps_up
    small = latency_budget(128, sr=48000, compute_ms=0.3)
    assert not small.noticeable
    assert not latency_budget(64, sr=48000, compute_ms=5.0).keeps_up
    assert NOTICEABLE_MS == 10.0


def test_latency_table_and_largest_block():
    rows = latency_table(block_sizes=(64, 256, 1024), sample_rates=(44100,), n_blocks=4)
    assert [r["block_size"] for r in rows] == [64, 256, 1024]
    for r in rows:
        assert r["total_ms"] >= r["buffer_ms"] + r["p99_ms"] - 1e-9
        assert r["noticeable"] == (r["total_ms"] >= 10.0)
    # 1024 samples at 44.1 kHz is 23 ms of buffer alone: never under 10 ms
    assert largest_block_under(rows, sr=44100) in (64, 256)
    assert largest_block_under(rows, sr=16000) is None


def test_snr_and_lsd():
    x = np.sin(np.arange(4096) / 7.0)
    assert snr_db(x, 0.9 * x) == pytest.approx(20.0)
    assert math.isinf(snr_db(x, x))
    assert log_spectral_distance(x, x) == 0.0
    with pytest.raises(ParameterError, match="estimate"):
        snr_db(x, x[:-1])


def test_sample_rate_tradeoff_quality_rises_with_the_rate():
    rows = sample_rate_tradeoff(
        rates=(8000, 16000, 32000), reference_sr=48000, repeats=1, phrase=((0.0, 0.2, 60), (0.2, 0.4, 67))
    )
    snr = [r["snr_db"] for r in rows]
    lsd = [r["lsd_db"] for r in rows]
    assert snr[0] < snr[1] < snr[2]
    assert lsd[0] > lsd[1] > lsd[2]
    assert [r["buffer_ms"] for r in rows] == [32.0, 16.0, 8.0]
    assert rows[0]["audio"].shape[0] < rows[2]["audio"].shape[0]


# -- neural --------------------------------------------------------------------------


def _decoder(sr=16000):
    torch.manual_seed(0)
    return DDSPDecoder(sr=sr, hop_length=64, n_harmonics=8, hidden=16).eval()


@pytest.mark.parametrize("frames_per_block", [1, 3, 16])
def test_ddsp_stream_controls_equal_one_shot(frames_per_block):
    dec = _decoder()
    g = torch.Generator().manual_seed(1)
    f0 = 110 * 2 ** (3 * torch.rand(2, 30, generator=g))
    loud = -60 + 50 * torch.rand(2, 30, generator=g)
    with torch.no_grad():
        ref = dec.controls(f0, loud)
    s = DDSPStream(dec, sr=16000)
    parts = [
        s.controls(f0[:, i : i + frames_per_block], loud[:, i : i + frames_per_block]) for i in range(0, 30, frames_per_block)
    ]
    for k in ("amplitude", "harmonic_distribution", "noise_magnitudes"):
        got = torch.cat([p[k] for p in parts], 1)
        assert torch.allclose(got, ref[k], atol=1e-6), k
    # without the carried conv state the first frames of a later block would differ
    fresh = DDSPStream(dec, sr=16000).controls(f0[:, 10:20], loud[:, 10:20])["harmonic_distribution"]
    assert float((fresh - ref["harmonic_distribution"][:, 10:20]).abs().max()) > 1e-4


def test_ddsp_stream_audio_is_continuous_across_blocks():
    dec = _decoder()
    f0 = torch.full((1, 32), 220.0)
    loud = torch.full((1, 32), -20.0)
    a = DDSPStream(dec, sr=16000)
    one = a.process(f0, loud)
    b = DDSPStream(dec, sr=16000)
    blocks = torch.cat([b.process(f0[:, i : i + 4], loud[:, i : i + 4]) for i in range(0, 32, 4)], -1)
    assert one.shape == (1, 32 * 64)
    assert torch.allclose(one, blocks, atol=1e-4)
    spec = torch.fft.rfft(one[0, 512:]).abs()
    peak_hz = float(spec.argmax()) * 16000 / (32 * 64 - 512)
    assert abs(peak_hz - 220.0 * round(peak_hz / 220.0)) < 12.0  # the strongest partial is a harmonic of f0


def test_ddsp_stream_refuses_another_sample_rate():
    with pytest.raises(ParameterError, match="sr=44100"):
        DDSPStream(_decoder(16000), sr=44100)
    with pytest.raises(ParameterError, match="decoder"):
        DDSPStream(SampleGRU(hidden=4), sr=16000)
    with pytest.raises(ParameterError, match="block_size"):
        time_ddsp_stream(_decoder(), block_size=1000)  # not a multiple of the hop (64)
    with pytest.raises(ParameterError, match="block_size"):
        time_ddsp_stream(_decoder(), block_size=0)


def test_sample_gru_generates_step_by_step_and_scripted_equals_eager():
    m = SampleGRU(hidden=8).eval()
    h = torch.zeros(1, 8)
    with torch.no_grad():
        y, _ = m.generate(50, h)
        x, hh, steps = torch.zeros(1, 1), h, []
        for _ in range(50):
            x, hh = m(x, hh)
            steps.append(x)
        s, why = accelerate(m, "script")
        ys, _ = s.generate(50, h)
    assert why == ""
    assert torch.allclose(y, torch.cat(steps, 1), atol=1e-6)
    assert torch.allclose(y, ys, atol=1e-6)
    t = time_autoregressive(m, n_samples=64, sr=16000, repeats=1)
    assert t["rtf"] == pytest.approx(t["seconds"] / (64 / 16000))


def test_int8_is_close_but_not_identical():
    m = SampleGRU(hidden=32).eval()
    q, why = accelerate(m, "int8")
    assert why == ""
    g = torch.Generator().manual_seed(0)
    x, h = torch.rand(64, 1, generator=g), torch.randn(64, 32, generator=g)
    with torch.no_grad():
        err = float((q(x, h)[0] - m(x, h)[0]).abs().max())
    assert 0 < err < 0.1


def test_accelerate_rejects_unknown_variant():
    with pytest.raises(ParameterError, match="how"):
        accelerate(SampleGRU(hidden=4), "tensorrt")


def test_neural_latency_rows():
    rows = neural_latency(
        sr=16000, ar_hidden=8, ar_samples=64, ddsp_hidden=16, n_blocks=2, repeats=1, variants=("eager", "int8"), device="cpu"
    )
    assert [(r["model"].split()[0], r["variant"]) for r in rows] == [
        ("autoregressive", "eager"),
        ("parallel", "eager"),
        ("autoregressive", "int8"),
        ("parallel", "int8"),
    ]
    for r in rows:
        assert r["rtf"] > 0
    assert rows[0]["speedup"] == 1.0
    assert rows[2]["rel_error"] > 0 and rows[0]["rel_error"] is None


# -- panel and checks ----------------------------------------------------------------


def test_latency_panel_rerenders():
    from musynth_lab.widgets import LatencyPanel

    p = LatencyPanel(seconds=0.1)
    r0 = p.result
    assert r0["budget"].buffer_ms == pytest.approx(1000 * 256 / 44100)
    p.controls["block_size"].value = 1024
    assert p.result["budget"].buffer_ms == pytest.approx(1000 * 1024 / 44100)
    assert p.result["budget"].noticeable  # 23 ms of buffer
    p.controls["sr"].value = 16000
    assert p.result["sr"] == 16000 and p.result["budget"].buffer_ms == 64.0
    p.controls["voice"].value = "fm"
    assert p.renders == 4
    assert not np.array_equal(p.result["audio"][:1000], r0["audio"][:1000])


def test_render_latency_bad_voice():
    from musynth_lab.widgets.latency_panel import render_latency

    with pytest.raises(ParameterError, match="voice"):
        render_latency(voice="organ")
    with pytest.raises(ParameterError, match="block_size"):
        render_latency(block_size=0)


def test_chapter_6a_checks():
    from musynth_lab.exercises import check_buffer_latency, check_largest_block, check_lower_rate_buffer, check_rtf

    assert check_buffer_latency(256, 48000, 5.3333333)
    assert not check_buffer_latency(256, 48000, 5.0)
    assert not check_buffer_latency(256, 48000, "five")
    rows = [{"sr": 44100, "block_size": b, "total_ms": 1000 * b / 44100 + 0.5} for b in (64, 128, 256, 512)]
    assert check_largest_block(rows, 44100, 256)
    assert not check_largest_block(rows, 44100, 512)
    assert not check_largest_block(rows, 44100, None)
    assert check_rtf(0.29, 256, 44100, 0.29 / (1000 * 256 / 44100))
    assert not check_rtf(0.29, 256, 44100, 0.29)
    assert check_lower_rate_buffer(True)
    assert not check_lower_rate_buffer(False)


def test_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    from musynth_lab import plot

    rows = latency_table(block_sizes=(64, 128), sample_rates=(16000,), n_blocks=3)
    ax = plot.latency_budget_bars(rows, sr=16000)
    assert len(ax.patches) == 6  # 2 blocks x (buffer, look-ahead, compute)
    t, _ = measure_voice(block_size=64, sr=16000, n_blocks=10)
    assert plot.block_times(t).get_xlabel().startswith("compute")
