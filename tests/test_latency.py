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
    callback_schedule,
    event_latency_ms,
    largest_block_under,
    latency_budget,
    latency_table,
    log_spectral_distance,
    measure_voice,
    sample_rate_tradeoff,
    snr_db,
    table_summary,
    time_blocks,
)
from musynth_lab.models.ddsp import DDSPDecoder
from musynth_lab.models.streaming import (
    DDSPStream,
    SampleGRU,
    accelerate,
    neural_latency,
    neural_summary,
    speedup_phrase,
    time_autoregressive,
    time_ddsp_stream,
)


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


def test_compute_below_the_deadline_adds_no_delay():
    # the old model (buffer + look-ahead + compute) made a slower voice a later one
    fast = latency_budget(256, sr=48000, compute_ms=0.1)
    slow = latency_budget(256, sr=48000, compute_ms=5.0)  # still under the 5.33 ms period
    for a in ("min_ms", "mean_ms", "max_ms", "jitter_ms"):
        assert getattr(fast, a) == getattr(slow, a), a
    assert fast.keeps_up and slow.keeps_up
    assert slow.rtf == pytest.approx(5.0 / (1000 * 256 / 48000))


def test_compute_over_the_deadline_is_an_underrun_not_latency():
    ok = latency_budget(256, sr=48000, compute_ms=1.0)
    late = latency_budget(256, sr=48000, compute_ms=30.0)
    assert late.underrun and not late.keeps_up and late.rtf > 1
    assert not ok.underrun
    assert late.max_ms == ok.max_ms  # not 30 ms later: the block is simply missing (a dropout)
    assert latency_budget(480, sr=48000, compute_ms=10.0).underrun  # exactly the period: too late


@pytest.mark.parametrize("block,sr", [(64, 48000), (256, 44100), (1024, 16000)])
def test_buffer_term_counts_buffers_in_flight(block, sr):
    p = 1000.0 * block / sr
    two = latency_budget(block, sr=sr, compute_ms=0.0, n_buffers=2)
    four = latency_budget(block, sr=sr, compute_ms=0.0, n_buffers=4)
    assert two.buffers_ms == pytest.approx(2 * p)  # double buffering: two periods, not one
    assert four.buffers_ms == pytest.approx(2 * two.buffers_ms)
    assert two.max_ms == pytest.approx(2 * p)  # worst case: n_buffers * B / sr
    assert four.max_ms - two.max_ms == pytest.approx(2 * p)
    assert two.min_ms == pytest.approx(p) and two.queue_ms == pytest.approx(p)


def test_quantisation_term_is_half_a_block_on_average_up_to_one():
    b = latency_budget(512, sr=44100, compute_ms=0.4, lookahead_ms=2.0, converter_ms=1.5)
    p = 1000 * 512 / 44100
    assert b.wait_ms == pytest.approx(p / 2)
    assert b.jitter_ms == pytest.approx(p)
    assert b.min_ms == pytest.approx(p + 3.5)
    assert b.mean_ms == pytest.approx(1.5 * p + 3.5)
    assert b.max_ms == pytest.approx(2 * p + 3.5)
    # time-stamped events: no jitter, always the worst case
    s = latency_budget(512, sr=44100, compute_ms=0.4, lookahead_ms=2.0, converter_ms=1.5, sample_accurate=True)
    assert s.jitter_ms == 0.0 and s.wait_ms == 0.0
    assert s.min_ms == s.mean_ms == s.max_ms == pytest.approx(b.max_ms)


def test_budget_mean_and_range_agree_with_simulated_events():
    block, sr = 256, 48000
    p = 1000 * block / sr
    events = np.linspace(0.0, 10 * p, 10_000, endpoint=False) + 1e-6
    _, delay = event_latency_ms(events, block_size=block, sr=sr)
    b = latency_budget(block, sr=sr, compute_ms=0.0)
    assert delay.min() >= b.min_ms - 1e-6 and delay.max() <= b.max_ms + 1e-9
    assert delay.mean() == pytest.approx(b.mean_ms, rel=1e-3)
    _, exact = event_latency_ms(events, block_size=block, sr=sr, sample_accurate=True)
    assert np.allclose(exact, b.max_ms)
    # an event exactly at a callback is read by it: the shortest delay, (n_buffers - 1) periods
    assert event_latency_ms([3 * p], block_size=block, sr=sr, n_buffers=3)[1][0] == pytest.approx(2 * p)


def test_callback_schedule_flags_late_blocks():
    s = callback_schedule([1.0, 5.4, 0.2, 5.3], block_size=256, sr=48000)
    assert s["late"].tolist() == [False, True, False, False]
    p = 1000 * 256 / 48000
    assert np.allclose(s["play_ms"], (np.arange(4) + 1) * p)  # due one period after its callback was due
    assert s["start_ms"][2] == pytest.approx(p + 5.4)  # one audio thread: the late block delays the next callback
    # three buffers: one slow block can borrow the next period, as long as the average keeps up
    assert not callback_schedule([1.0, 5.4, 0.2, 5.3], block_size=256, sr=48000, n_buffers=3)["late"].any()
    s3 = callback_schedule([1.0], block_size=256, sr=48000, n_buffers=3)
    assert s3["play_ms"][0] == pytest.approx(2 * 1000 * 256 / 48000)


@pytest.mark.parametrize(
    "kw,name",
    [
        ({"compute_ms": -1.0}, "compute_ms"),
        ({"compute_ms": float("nan")}, "compute_ms"),
        ({"compute_ms": 1.0, "n_buffers": 1}, "n_buffers"),
        ({"compute_ms": 1.0, "n_buffers": 2.5}, "n_buffers"),
        ({"compute_ms": 1.0, "converter_ms": -0.1}, "converter_ms"),
        ({"compute_ms": 1.0, "lookahead_ms": "2"}, "lookahead_ms"),
        ({"compute_ms": 1.0, "sample_accurate": "yes"}, "sample_accurate"),
    ],
)
def test_latency_budget_rejects_bad_arguments(kw, name):
    with pytest.raises(ParameterError, match=name):
        latency_budget(256, sr=48000, **kw)


def test_latency_table_and_largest_block():
    rows = latency_table(block_sizes=(64, 256, 1024), sample_rates=(44100,), n_blocks=4)
    assert [r["block_size"] for r in rows] == [64, 256, 1024]
    for r in rows:
        assert r["max_ms"] == pytest.approx(2 * r["period_ms"])  # no look-ahead, no converter, compute excluded
        assert r["mean_ms"] == pytest.approx(1.5 * r["period_ms"])
        assert r["noticeable"] == (r["max_ms"] >= NOTICEABLE_MS)
        # a shared machine can stall a block past its deadline: that is a dropout, never extra delay
        assert r["keeps_up"] == (r["late"] == 0 and r["p99_ms"] < r["period_ms"])
        assert r["rtf_p99"] == pytest.approx(r["p99_ms"] / r["period_ms"])
    # 256 samples double-buffered at 44.1 kHz is 11.6 ms at worst: only 64 can fit under 10 ms here
    assert largest_block_under(rows, sr=44100) == (64 if rows[0]["keeps_up"] else None)
    assert largest_block_under(rows, sr=16000) is None
    # a block size whose compute misses the deadline does not fit, however short its delay
    assert largest_block_under([{**rows[0], "keeps_up": False}] + rows[1:], sr=44100) is None


def _row(sr, b, *, rtf=0.05, p50=0.1, late=0):
    period = 1000 * b / sr
    return {"sr": sr, "block_size": b, "period_ms": period, "max_ms": 2 * period} | {
        "keeps_up": late == 0,
        "late": late,
        "rtf": rtf,
        "p50_ms": p50,
    }


def test_table_summary_is_formatted_from_the_rows():
    rows = [_row(44100, 64, rtf=0.3, late=1), _row(44100, 128, rtf=0.1), _row(44100, 1024, rtf=0.05), _row(16000, 64)]
    s = table_summary(rows)
    assert "is 128 samples at 44100 Hz, 64 samples at 16000 Hz" in s
    assert "6.0 times that of the 1024-sample block (a fixed cost per block" in s
    assert "1 of 4 settings" in s and "stalls of the machine" in s
    rows = [_row(44100, 64, rtf=0.05, p50=1.2, late=2), _row(44100, 1024, rtf=0.05)]
    s = table_summary(rows)
    assert "no block size at 44100 Hz" in s and "no per-block overhead" in s and "close to its deadline" in s
    assert "No timed block missed" in table_summary([_row(48000, 128)])
    with pytest.raises(ParameterError, match="rows"):
        table_summary([{"sr": 44100}])


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


@pytest.mark.parametrize(
    "speedup,words",
    [
        (2.2, "2.2x faster"),
        (1 / 2.2, "2.2x slower"),
        (1.05, "about as fast (1.05x)"),
        (0.95, "about as fast (0.95x)"),
        (None, "not measured"),
    ],
)
def test_speedup_phrase_says_slower_when_slower(speedup, words):
    assert speedup_phrase(speedup) == words


def test_neural_summary_is_formatted_from_the_rows():
    def row(model, variant, rtf, speedup, err=None):
        return {"model": model, "variant": variant, "rtf": rtf, "speedup": speedup, "rel_error": err, "note": ""}

    ar, par = "autoregressive (SampleGRU)", "parallel (DDSP stream)"
    rows = [row(ar, "eager", 1.3, 1.0), row(par, "eager", 0.01, 1.0), row(ar, "int8", 2.86, 1 / 2.2, 0.012)]
    s = neural_summary(rows)
    assert "RTF 1.30" in s and "1.3x slower than real time" in s and "misses its deadline" in s
    assert "keeps up with 99 %" in s
    assert "130.0x faster" in s
    assert "2.2x slower for the autoregressive model" in s and "1.20 % of the peak" in s
    rows[2] = row(ar, "int8", 0.65, 2.0, 0.012)
    assert "2.0x faster for the autoregressive model" in neural_summary(rows)
    rows.append(row(par, "int8", None, None))  # a variant that did not run (int8 on a GPU)
    assert "not measured for the parallel model" in neural_summary(rows)
    with pytest.raises(ParameterError, match="rows"):
        neural_summary([{"model": ar}])


# -- panel and checks ----------------------------------------------------------------


def test_latency_panel_rerenders():
    from musynth_lab.widgets import LatencyPanel

    p = LatencyPanel(seconds=0.1)
    r0 = p.result
    assert r0["budget"].period_ms == pytest.approx(1000 * 256 / 44100)
    assert r0["budget"].max_ms == pytest.approx(2 * 1000 * 256 / 44100)  # double buffering
    p.controls["block_size"].value = 1024
    assert p.result["budget"].max_ms == pytest.approx(2 * 1000 * 1024 / 44100)
    assert p.result["budget"].noticeable  # 46 ms at worst
    p.controls["n_buffers"].value = 3
    assert p.result["budget"].max_ms == pytest.approx(3 * 1000 * 1024 / 44100)
    p.controls["sr"].value = 16000
    assert p.result["sr"] == 16000 and p.result["budget"].period_ms == 64.0
    p.controls["voice"].value = "fm"
    assert p.renders == 5
    assert not np.array_equal(p.result["audio"][:1000], r0["audio"][:1000])
    assert "late" in p.result and "deadline" in p.text.value


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
    rows = [{"sr": 44100, "block_size": b, "max_ms": 2000 * b / 44100, "keeps_up": True} for b in (64, 128, 256, 512)]
    assert check_largest_block(rows, 44100, 128)
    assert not check_largest_block(rows, 44100, 256)  # one buffer of 256 is under 10 ms, two are not
    assert not check_largest_block(rows, 44100, None)
    rows[1]["keeps_up"] = False
    assert check_largest_block(rows, 44100, 64)
    assert check_rtf(0.29, 256, 44100, 0.29 / (1000 * 256 / 44100))
    assert not check_rtf(0.29, 256, 44100, 0.29)
    assert check_lower_rate_buffer(True)
    assert not check_lower_rate_buffer(False)


def test_check_compute_delay():
    from musynth_lab.exercises import check_compute_delay

    assert check_compute_delay("the same") and check_compute_delay(" Same ")
    assert not check_compute_delay("higher") and not check_compute_delay("lower")
    assert not check_compute_delay(2.0) and check_compute_delay(...).answered is False
    assert check_compute_delay("the same", compute_ms=0.2, factor=10.0, block_size=512, sr=48000)
    with pytest.raises(ParameterError, match="factor"):
        check_compute_delay("the same", compute_ms=3.0, factor=2.0)  # 6 ms: over the 5.8 ms deadline


def _near_white(fig):
    import io

    import matplotlib.image as mpimg

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    img = mpimg.imread(io.BytesIO(buf.getvalue()), format="png")
    return float(np.mean(np.all(img[..., :3] > 0.97, axis=-1)))


def test_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from musynth_lab import plot

    rows = latency_table(block_sizes=(64, 128), sample_rates=(16000,), n_blocks=3)
    ax = plot.latency_budget_bars(rows, sr=16000)
    assert len(ax.patches) == 10  # 2 blocks x (queue, wait, look-ahead, converter, compute)
    heights = [round(p.get_height(), 6) for p in ax.patches[:2]]
    assert heights == [4.0, 8.0]  # the queued buffer: one period each
    t, _ = measure_voice(block_size=64, sr=16000, n_blocks=10)
    assert plot.block_times(t).get_xlabel().startswith("compute")
    plt.close("all")


def test_double_buffering_timeline_shows_blocks_event_and_dropout():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from musynth_lab import plot

    fig = Figure(figsize=(9, 2.8))
    ax = plot.double_buffering([0.4, 0.5, 7.0, 0.4, 0.5], block_size=256, sr=48000, event_ms=2.5, ax=fig.add_subplot())
    assert _near_white(fig) < 0.97
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    # 5 period frames + 5 compute bars + 5 played (or dropped) blocks + the primed silence
    assert len(rects) == 16
    texts = [t.get_text() for t in ax.texts]
    assert sum("dropout" in x for x in texts) == 1
    assert sum(x.startswith("play ") for x in texts) == 4
    assert any("late" in x for x in texts)
    # the key at 2.5 ms is read by the callback at 5.33 ms, whose block plays at 10.67 ms
    heard = [x for x in texts if x.startswith("heard")]
    assert heard == [f"heard {2 * 1000 * 256 / 48000 - 2.5:.2f} ms later"]
    red = [p for p in rects if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("tab:red")]
    assert len(red) == 1 and red[0].get_width() == pytest.approx(7.0)  # the late compute bar
    # no event, no underrun: no dropout, no "heard"
    ax2 = plot.double_buffering([0.4] * 4, block_size=64, sr=16000, n_buffers=3, ax=Figure().add_subplot())
    texts2 = [t.get_text() for t in ax2.texts]
    assert not any("dropout" in x or "heard" in x for x in texts2)
    with pytest.raises(ParameterError, match="event_ms"):
        plot.double_buffering([0.4] * 4, block_size=64, sr=16000, event_ms=100.0)
