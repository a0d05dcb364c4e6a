"""Latency (时间延迟): block timing, real-time factor, the latency budget, the sample-rate trade-off.

A live synthesizer hands the sound card one buffer of ``block_size`` samples every
``block_size / sr`` seconds. The delay a player hears between pressing a key and hearing the
note is at least

    latency budget = buffer (``block_size / sr``) + look-ahead + compute time of one block

(plus the converter and driver, which we do not model). Players of keyboards and percussion
notice delays from about 10 ms (Wessel & Wright 2002, "Problems and prospects for intimate
musical control of computers", Computer Music Journal 26(3); Lester & Boley 2007, "The effects
of latency on live sound monitoring", AES Convention 123, paper 7198), so that is the line
drawn here (:data:`NOTICEABLE_MS`). The compute time must also stay under the buffer time, or
the stream drops out: the real-time factor (compute time / audio time) must be below 1, with
room to spare for everything else the computer does.

Everything here returns plain dataclasses or dicts; :mod:`musynth_lab.plot` draws them.

The source's idea of lowering the sample rate (:func:`sample_rate_tradeoff`) trades bandwidth
for compute: fewer samples per second means less work per second, but it does *not* remove
buffer latency -- a 256-sample buffer lasts 16 ms at 16 kHz and only 5.3 ms at 48 kHz.

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .audio import check_sr, resample
from .errors import as_array, as_float, as_int, as_sequence, check
from .synth import SubtractiveVoice, VoiceStream, play_events
from .synth.stream import check_block_size

__all__ = [
    "NOTICEABLE_MS",
    "BLOCK_SIZES",
    "SAMPLE_RATES",
    "buffer_latency_ms",
    "BlockTiming",
    "time_blocks",
    "LatencyBudget",
    "latency_budget",
    "measure_voice",
    "latency_table",
    "largest_block_under",
    "snr_db",
    "log_spectral_distance",
    "sample_rate_tradeoff",
    "PHRASE",
]

#: The delay (ms) from which players notice it (Wessel & Wright 2002; Lester & Boley 2007).
NOTICEABLE_MS = 10.0
#: Buffer sizes an audio driver typically offers.
BLOCK_SIZES = (64, 128, 256, 512, 1024)
#: Sample rates compared in the chapter.
SAMPLE_RATES = (16000, 22050, 44100, 48000)
#: The phrase of :func:`sample_rate_tradeoff`: (start s, end s, MIDI pitch).
#: Times are multiples of 20 ms, a whole number of samples at every rate compared (a note that
#: starts half a sample late at 22.05 kHz would be counted as noise by the SNR).
PHRASE = ((0.0, 0.3, 60), (0.26, 0.56, 64), (0.52, 0.82, 67), (0.78, 1.3, 72), (0.78, 1.3, 55))


def buffer_latency_ms(block_size: int, *, sr: int) -> float:
    """How long one buffer of ``block_size`` samples lasts, in ms: ``1000 * block_size / sr``.

    Examples
    --------
    >>> buffer_latency_ms(256, sr=48000)
    5.333333333333333

    Chapter: notebooks/06a_latency.ipynb
    """
    return 1000.0 * check_block_size(block_size) / check_sr(sr)


@dataclass(frozen=True)
class BlockTiming:
    """Compute time per block of a stream.

    Attributes
    ----------
    block_size, sr : int
    times_ms : np.ndarray [shape=(n_blocks,)]
        The compute time of each timed block, ms.
    p50_ms, p99_ms, mean_ms : float
        Median, 99th percentile and mean of ``times_ms``.
    block_ms : float
        The audio duration of one block (the buffer latency), ms.
    rtf : float
        Real-time factor: total compute time / total audio time (below 1: faster than real time).

    Examples
    --------
    >>> ticks = iter(np.arange(0.0, 1.0, 0.002))          # a fake clock: every call + 2 ms
    >>> t = time_blocks(lambda n: None, block_size=256, sr=48000, n_blocks=4, warmup=0, clock=lambda: next(ticks))
    >>> round(t.block_ms, 3), round(t.p99_ms, 3), round(t.rtf_p99, 3), t.times_ms.shape
    (5.333, 2.0, 0.375, (4,))

    Chapter: notebooks/06a_latency.ipynb
    """

    block_size: int
    sr: int
    times_ms: np.ndarray = field(repr=False)
    p50_ms: float
    p99_ms: float
    mean_ms: float
    block_ms: float
    rtf: float

    @property
    def rtf_p99(self) -> float:
        """The 99th-percentile block time over the block's duration (a dropout needs > 1)."""
        return self.p99_ms / self.block_ms


def time_blocks(
    process, *, block_size: int, sr: int, n_blocks: int = 200, warmup: int = 10, clock=time.perf_counter
) -> BlockTiming:
    """Time ``process(block_size)`` block after block (a stream as the audio driver runs it).

    Parameters
    ----------
    process : callable
        ``process(n)`` renders the next ``n`` samples (e.g. :meth:`VoiceStream.process`).
    block_size, sr : int
    n_blocks, warmup : int
        Blocks timed, and untimed blocks run first.
    clock : callable
        Returns seconds (``time.perf_counter``; tests pass a fake clock).

    Returns
    -------
    BlockTiming

    Examples
    --------
    >>> ticks = iter(np.arange(0.0, 100.0, 0.001))          # a fake clock: every call + 1 ms
    >>> t = time_blocks(lambda n: None, block_size=441, sr=44100, n_blocks=5, warmup=0, clock=lambda: next(ticks))
    >>> round(t.p50_ms, 6), round(t.block_ms, 6), round(t.rtf, 6)
    (1.0, 10.0, 0.1)

    Chapter: notebooks/06a_latency.ipynb
    """
    check(callable(process), "process", process, "a callable: process(n) renders the next n samples")
    check(callable(clock), "clock", clock, "a callable returning seconds")
    block_size, sr = check_block_size(block_size), check_sr(sr)
    n_blocks, warmup = as_int(n_blocks, "n_blocks"), as_int(warmup, "warmup", low=0)
    for _ in range(warmup):
        process(block_size)
    times = np.empty(n_blocks)
    for i in range(n_blocks):
        t0 = clock()
        process(block_size)
        times[i] = clock() - t0
    ms = 1000.0 * times
    block_ms = buffer_latency_ms(block_size, sr=sr)
    return BlockTiming(
        block_size,
        sr,
        ms,
        float(np.median(ms)),
        float(np.percentile(ms, 99)),
        float(ms.mean()),
        block_ms,
        float(ms.sum() / (n_blocks * block_ms)),
    )


@dataclass(frozen=True)
class LatencyBudget:
    """Where the delay between key and sound goes, ms.

    Attributes
    ----------
    block_size, sr : int
    buffer_ms, lookahead_ms, compute_ms, total_ms : float
        ``total_ms = buffer_ms + lookahead_ms + compute_ms``.

    Examples
    --------
    >>> b = latency_budget(1024, sr=44100, compute_ms=30.0)
    >>> round(b.buffer_ms, 2), round(b.total_ms, 2), b.noticeable, b.keeps_up
    (23.22, 53.22, True, False)

    Chapter: notebooks/06a_latency.ipynb
    """

    block_size: int
    sr: int
    buffer_ms: float
    lookahead_ms: float
    compute_ms: float
    total_ms: float

    @property
    def noticeable(self) -> bool:
        """True when the total reaches :data:`NOTICEABLE_MS` (10 ms)."""
        return self.total_ms >= NOTICEABLE_MS

    @property
    def keeps_up(self) -> bool:
        """True when one block is computed faster than it plays (no dropouts)."""
        return self.compute_ms < self.buffer_ms


def latency_budget(block_size: int, *, sr: int, compute_ms: float, lookahead_ms: float = 0.0) -> LatencyBudget:
    """Buffer + look-ahead + compute for one block size and sample rate.

    Parameters
    ----------
    block_size, sr : int
    compute_ms : float
        Compute time of one block (use a measured p99: the budget must hold for the slow blocks too).
    lookahead_ms : float
        Audio a processor must see before it can output a sample (a look-ahead limiter, an
        STFT frame, a model's future context); 0 for the causal voices here.

    Examples
    --------
    >>> b = latency_budget(256, sr=48000, compute_ms=0.5, lookahead_ms=1.0)
    >>> round(b.total_ms, 3), b.noticeable, b.keeps_up
    (6.833, False, True)

    Chapter: notebooks/06a_latency.ipynb
    """
    buf = buffer_latency_ms(block_size, sr=sr)
    check(
        isinstance(compute_ms, (int, float, np.floating)) and math.isfinite(compute_ms) and compute_ms >= 0,
        "compute_ms",
        compute_ms,
        "a time >= 0 ms",
    )
    check(
        isinstance(lookahead_ms, (int, float, np.floating)) and math.isfinite(lookahead_ms) and lookahead_ms >= 0,
        "lookahead_ms",
        lookahead_ms,
        "a time >= 0 ms",
    )
    return LatencyBudget(
        int(block_size), int(sr), buf, float(lookahead_ms), float(compute_ms), buf + float(lookahead_ms) + float(compute_ms)
    )


def measure_voice(voice=None, *, block_size: int, sr: int, n_blocks: int = 100, warmup: int = 5, **values) -> tuple:
    """Time a streaming voice note (:class:`~musynth_lab.synth.VoiceStream`) and return its audio.

    Parameters
    ----------
    voice : SubtractiveVoice or FMVoice, optional
        Default: a :class:`~musynth_lab.synth.SubtractiveVoice` with its filter.
    block_size, sr, n_blocks, warmup : int
    **values : float
        Voice parameters (held note unless ``note_off`` is given).

    Returns
    -------
    (BlockTiming, np.ndarray [shape=(n_blocks * block_size,)])
        The timing and the timed blocks' audio (what was streamed).

    Examples
    --------
    >>> t, y = measure_voice(block_size=64, sr=16000, n_blocks=3, warmup=0)
    >>> t.block_ms, y.shape
    (4.0, (192,))

    Chapter: notebooks/06a_latency.ipynb
    """
    voice = SubtractiveVoice() if voice is None else voice
    block_size, sr = check_block_size(block_size), check_sr(sr)
    n_blocks, warmup = as_int(n_blocks, "n_blocks"), as_int(warmup, "warmup", low=0)
    s = VoiceStream(voice, sr=sr, **values)
    for _ in range(warmup):  # warm-up on a separate note
        s.process(block_size)
    s = VoiceStream(voice, sr=sr, **values)
    out = []
    timing = time_blocks(lambda n: out.append(s.process(n)), block_size=block_size, sr=sr, n_blocks=n_blocks, warmup=0)
    return timing, np.concatenate(out)


def latency_table(
    *, block_sizes=BLOCK_SIZES, sample_rates=SAMPLE_RATES, voice=None, n_blocks: int = 40, lookahead_ms: float = 0.0, **values
) -> list:
    """Measure a streaming voice at every buffer size and sample rate; the budget of each.

    Returns
    -------
    list of dict
        One per (sr, block_size): ``block_size``, ``sr``, ``buffer_ms``, ``p50_ms``,
        ``p99_ms``, ``rtf``, ``total_ms`` (buffer + look-ahead + p99 compute) and
        ``noticeable`` (``total_ms >= 10``).

    Examples
    --------
    >>> rows = latency_table(block_sizes=(64,), sample_rates=(16000,), n_blocks=2)
    >>> rows[0]["buffer_ms"], rows[0]["total_ms"] > 4.0
    (4.0, True)

    Chapter: notebooks/06a_latency.ipynb
    """
    sample_rates = as_sequence(sample_rates, "sample_rates", min_len=1, what="a sequence of sample rates")
    block_sizes = as_sequence(block_sizes, "block_sizes", min_len=1, what="a sequence of block sizes")
    sample_rates = [check_sr(s, "sample_rates") for s in sample_rates]
    block_sizes = [check_block_size(b, "block_sizes") for b in block_sizes]
    rows = []
    for sr in sample_rates:
        for bs in block_sizes:
            t, _ = measure_voice(voice, block_size=bs, sr=sr, n_blocks=n_blocks, warmup=2, **values)
            b = latency_budget(bs, sr=sr, compute_ms=t.p99_ms, lookahead_ms=lookahead_ms)
            rows.append(
                {
                    "block_size": bs,
                    "sr": sr,
                    "buffer_ms": b.buffer_ms,
                    "p50_ms": t.p50_ms,
                    "p99_ms": t.p99_ms,
                    "rtf": t.rtf,
                    "total_ms": b.total_ms,
                    "noticeable": b.noticeable,
                }
            )
    return rows


def largest_block_under(rows, *, sr: int, limit_ms: float = NOTICEABLE_MS):
    """The largest block size at ``sr`` whose measured budget (``total_ms``) stays under ``limit_ms``.

    ``rows`` as returned by :func:`latency_table`; ``None`` if no block size fits.

    Examples
    --------
    >>> rows = [{"sr": 44100, "block_size": b, "total_ms": 1000 * b / 44100 + 0.3} for b in (64, 128, 256, 512)]
    >>> largest_block_under(rows, sr=44100)
    256

    Chapter: notebooks/06a_latency.ipynb
    """
    sr, limit_ms = check_sr(sr), as_float(limit_ms, "limit_ms", low=0, low_open=True)
    rows = as_sequence(rows, "rows", what="a list of latency_table rows (dicts)")
    check(
        all(isinstance(r, dict) and {"block_size", "sr", "total_ms"} <= set(r) for r in rows),
        "rows",
        rows,
        "dicts with block_size, sr and total_ms",
    )
    fits = [r["block_size"] for r in rows if r["sr"] == sr and r["total_ms"] < limit_ms]
    return max(fits) if fits else None


# ----------------------------------------------------------------------------------------
# The sample-rate trade-off (source 3.6.1)
# ----------------------------------------------------------------------------------------


def snr_db(reference, estimate) -> float:
    """Signal-to-noise ratio of ``estimate`` against ``reference`` (same length), dB.

    Examples
    --------
    >>> x = np.sin(np.arange(1000) / 10.0)
    >>> round(snr_db(x, 1.01 * x), 1)
    40.0

    Chapter: notebooks/06a_latency.ipynb
    """
    r = as_array(reference, "reference")
    e = as_array(estimate, "estimate")
    check(r.shape == e.shape, "estimate", e.shape, f"the reference's shape {r.shape}")
    err = float(np.sum((r - e) ** 2))
    return math.inf if err == 0 else 10.0 * math.log10(float(np.sum(r**2)) / err)


def log_spectral_distance(reference, estimate, *, n_fft: int = 2048, hop_length: int = 512) -> float:
    """Mean over frames of the RMS difference of the log power spectra, dB (0 = same spectra).

    Powers are floored at 1e-8 of the reference's peak power (80 dB below it), so an empty
    band costs at most 80 dB per bin, not infinity.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(8192)
    >>> round(log_spectral_distance(x, 0.5 * x), 2)       # -6.02 dB in every bin
    6.02

    Chapter: notebooks/06a_latency.ipynb
    """
    # librosa is imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    n_fft, hop_length = as_int(n_fft, "n_fft"), as_int(hop_length, "hop_length")
    r = as_array(reference, "reference")  # float64: powers of large samples cannot overflow
    e = as_array(estimate, "estimate")
    check(r.shape == e.shape, "estimate", e.shape, f"the reference's shape {r.shape}")
    R = np.abs(librosa.stft(r, n_fft=n_fft, hop_length=hop_length)) ** 2
    E = np.abs(librosa.stft(e, n_fft=n_fft, hop_length=hop_length)) ** 2
    floor = 1e-8 * R.max() + 1e-20
    d = 10.0 * np.log10(np.maximum(R, floor) / np.maximum(E, floor))
    return float(np.mean(np.sqrt(np.mean(d**2, axis=0))))


def _render_phrase(voice, sr, block_size, phrase, values):
    events = [e for start, end, m in phrase for e in ((start, "note_on", m), (end, "note_off", m))]
    dur = max(end for _, end, _ in phrase) + values.get("release", 0.25) + 0.05
    return play_events(voice, events, sr=sr, n_samples=int(round(dur * sr)), block_size=block_size, **values)


def sample_rate_tradeoff(
    *,
    rates=(8000, 16000, 22050, 44100),
    reference_sr: int = 48000,
    phrase=PHRASE,
    voice=None,
    block_size: int = 256,
    repeats: int = 3,
    **values,
) -> list:
    """Render the same phrase at several sample rates: the compute saved and the quality lost.

    The source suggests lowering the sample rate to cut latency. Each render here streams the
    phrase (:func:`~musynth_lab.synth.play_events`, ``block_size`` samples per block) at one
    rate; it is resampled up to ``reference_sr`` (:func:`musynth_lab.audio.resample`) and
    compared with the render made at ``reference_sr``. The trade is bandwidth for compute:
    at ``sr`` nothing above ``sr / 2`` survives. It does not shorten the buffer: the same
    ``block_size`` lasts *longer* at a lower rate (``buffer_ms``).

    Parameters
    ----------
    rates : sequence of int
    reference_sr : int
        The full-rate render everything is compared with.
    phrase : sequence of (start s, end s, MIDI)
    voice : SubtractiveVoice or FMVoice, optional
        Default: a bright :class:`~musynth_lab.synth.SubtractiveVoice` patch without noise (noise
        differs from rate to rate and would swamp the comparison).
    block_size, repeats : int
        Samples per block; renders timed (the median is kept).
    **values : float
        Voice parameters.

    Returns
    -------
    list of dict
        One per rate: ``sr``, ``render_ms`` (median), ``speedup`` (the reference's render time
        / this one), ``snr_db``, ``lsd_db`` (see :func:`log_spectral_distance`), ``buffer_ms``
        (of ``block_size``), ``audio`` (the render at ``sr``).

    Examples
    --------
    >>> rows = sample_rate_tradeoff(rates=(8000,), reference_sr=16000, phrase=((0.0, 0.1, 69),), repeats=1)
    >>> rows[0]["sr"], rows[0]["snr_db"] < 60, rows[0]["buffer_ms"]
    (8000, True, 32.0)

    Chapter: notebooks/06a_latency.ipynb
    """
    if voice is None:
        voice = SubtractiveVoice()
        values = {"noise_level": 0.0, "cutoff_hz": 2500.0, "filter_env_octaves": 1.5, "resonance": 1.0, "release": 0.15, **values}
    repeats = as_int(repeats, "repeats", high=1000)
    reference_sr = check_sr(reference_sr, "reference_sr")
    rates = [check_sr(s, "rates") for s in as_sequence(rates, "rates", min_len=1, what="a sequence of sample rates")]
    phrase = as_sequence(phrase, "phrase", min_len=1, what="a sequence of (start s, end s, MIDI) notes")
    for note in phrase:
        check(np.shape(note) == (3,), "phrase", phrase, "(start s, end s, MIDI) triples")
        as_array(note, "phrase")
    block_size = check_block_size(block_size)

    def timed(sr):
        ts, y = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            y = _render_phrase(voice, sr, block_size, phrase, values)
            ts.append(time.perf_counter() - t0)
        return 1000.0 * float(np.median(ts)), y

    ref_ms, ref = timed(reference_sr)
    rows = []
    for sr in rates:
        sr = check_sr(sr)
        ms, y = timed(sr)
        up = resample(y, orig_sr=sr, target_sr=reference_sr)
        n = min(len(up), len(ref))
        rows.append(
            {
                "sr": sr,
                "render_ms": ms,
                "speedup": ref_ms / ms,
                "snr_db": snr_db(ref[:n], up[:n]),
                "lsd_db": log_spectral_distance(ref[:n], up[:n]),
                "buffer_ms": buffer_latency_ms(block_size, sr=sr),
                "audio": y,
            }
        )
    return rows
