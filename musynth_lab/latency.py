"""Latency (时间延迟): block timing, real-time factor, the latency budget, the sample-rate trade-off.

A live synthesizer runs inside the audio driver's callback: every period ``P = block_size / sr``
the driver asks for the next ``block_size`` samples, and ``n_buffers`` output buffers take turns
(double buffering: the converter plays one while the callback fills the next). The delay between
pressing a key and hearing it is made of

* the wait for the next callback (0 to one period, half a period on average: the event is
  *quantised* to the block grid),
* the ``n_buffers - 1`` buffers that play before the one the callback has just filled,
* the look-ahead of any processor that must see the future (0 for causal voices),
* the converter and driver (the DAC's filter, a safety offset; the driver reports it),

so at worst ``(n_buffers * block_size) / sr + look-ahead + converter``
(:func:`latency_budget`). The compute time of a block is *not* in this sum. It is a deadline: a
block computed in 0.1 ms or in 5 ms of a 5.8 ms period starts playing at the same moment, when
its turn comes; a block that takes longer than the period is not ready and the listener hears a
dropout (an underrun). So the real-time factor ``RTF = compute time / period`` must stay below 1,
with room to spare for everything else the computer does (:func:`callback_schedule` simulates
it).

Players of keyboards and percussion notice delays from about 10 ms (Wessel & Wright 2002,
"Problems and prospects for intimate musical control of computers", Computer Music Journal
26(3); Lester & Boley 2007, "The effects of latency on live sound monitoring", AES Convention
123, paper 7198), so that is the line drawn here (:data:`NOTICEABLE_MS`); Wessel & Wright also
ask for jitter (the spread of the delay) below 1 ms, and a block-quantised event has a whole
period of it.

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
from .errors import as_rows
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
    "event_latency_ms",
    "callback_schedule",
    "measure_voice",
    "latency_table",
    "largest_block_under",
    "table_summary",
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
    """Where the delay between a key and its sound goes, in a callback-driven audio driver (ms).

    The driver calls the synthesizer once per period ``block_size / sr``; ``n_buffers`` output
    buffers take turns (double buffering: one plays while the next is filled). An event (a key)
    waits for the next callback (0 to one period: the *quantisation*), is rendered at the start of
    that callback's block, and that block is queued behind the ``n_buffers - 1`` buffers already
    at the converter. The compute time is not in the sum: it is a *deadline*. Any compute time
    below the period adds no delay (the block starts playing when its turn comes, not when it is
    done); above it the block is not ready in time and the stream drops out (an *underrun*).

    Attributes
    ----------
    block_size, sr, n_buffers : int
    period_ms : float
        ``1000 * block_size / sr``: the callback period, which is also the compute deadline.
    wait_ms : float
        The mean wait of an event for the next callback (``period_ms / 2``; anything from 0 to
        ``period_ms``). 0 with ``sample_accurate=True``.
    queue_ms : float
        ``(n_buffers - 1) * period_ms``: the buffers that play before the one just computed
        (``n_buffers * period_ms`` with ``sample_accurate=True``, see :func:`latency_budget`).
    lookahead_ms, converter_ms, compute_ms : float
        As given.
    sample_accurate : bool

    Examples
    --------
    >>> b = latency_budget(256, sr=48000, compute_ms=0.5)
    >>> round(b.period_ms, 3), round(b.min_ms, 3), round(b.mean_ms, 3), round(b.max_ms, 3)
    (5.333, 5.333, 8.0, 10.667)
    >>> round(b.rtf, 4), b.underrun, b.noticeable
    (0.0938, False, True)

    Chapter: notebooks/06a_latency.ipynb
    """

    block_size: int
    sr: int
    n_buffers: int
    period_ms: float
    wait_ms: float
    queue_ms: float
    lookahead_ms: float
    converter_ms: float
    compute_ms: float
    sample_accurate: bool = False

    @property
    def buffers_ms(self) -> float:
        """``n_buffers * period_ms``: the buffering an event can meet at worst (its wait plus the queue)."""
        return self.n_buffers * self.period_ms

    @property
    def jitter_ms(self) -> float:
        """``max_ms - min_ms``: one period when events are applied at block starts, 0 when sample-accurate."""
        return 0.0 if self.sample_accurate else self.period_ms

    @property
    def min_ms(self) -> float:
        """The delay of an event that arrives just before a callback."""
        return self.queue_ms + self.lookahead_ms + self.converter_ms

    @property
    def max_ms(self) -> float:
        """The delay of an event that arrives just after a callback: ``(n_buffers * B) / sr + look-ahead + converter``."""
        return self.min_ms + self.jitter_ms

    @property
    def mean_ms(self) -> float:
        """The mean delay over event times spread evenly within a period."""
        return self.min_ms + self.wait_ms

    @property
    def rtf(self) -> float:
        """Real-time factor of the compute time: ``compute_ms / period_ms`` (1 or more: underrun)."""
        return self.compute_ms / self.period_ms

    @property
    def underrun(self) -> bool:
        """True when a block takes at least its period to compute: it is late, the listener hears a dropout."""
        return self.compute_ms >= self.period_ms

    @property
    def keeps_up(self) -> bool:
        """``not underrun``: every block is ready before its turn to play."""
        return not self.underrun

    @property
    def noticeable(self) -> bool:
        """True when the worst-case delay ``max_ms`` reaches :data:`NOTICEABLE_MS` (10 ms)."""
        return self.max_ms >= NOTICEABLE_MS


def latency_budget(
    block_size: int,
    *,
    sr: int,
    compute_ms: float,
    n_buffers: int = 2,
    lookahead_ms: float = 0.0,
    converter_ms: float = 0.0,
    sample_accurate: bool = False,
) -> LatencyBudget:
    """The key-to-sound delay of a callback-driven stream, and whether its compute meets the deadline.

    With the period :math:`P = B / f_s` (``block_size / sr``), an event that arrives a time
    :math:`w \\in [0, P)` before the next callback is heard

    .. math:: \\ell = w + (N - 1) P + t_\\text{look} + t_\\text{conv}

    later (``N = n_buffers``), so :math:`\\ell_\\max = N B / f_s + t_\\text{look} + t_\\text{conv}` and
    the mean is half a period less. With ``sample_accurate=True`` each event is rendered at its
    own time stamp, one period later than it arrived, so every event gets the worst case
    :math:`\\ell_\\max` and no jitter. ``compute_ms`` is not part of :math:`\\ell`: it must stay
    below :math:`P` (``underrun`` otherwise).

    Parameters
    ----------
    block_size, sr : int
    compute_ms : float
        Compute time of one block (use a measured p99: the deadline must hold for the slow blocks too).
    n_buffers : int
        Output buffers in the ring, at least 2 (double buffering: one plays while the next is
        filled); drivers offer 2 or 3 ("periods").
    lookahead_ms : float
        Audio a processor must see before it can output a sample (a look-ahead limiter, an
        STFT frame, a model's future context); 0 for the causal voices here.
    converter_ms : float
        Converter and driver delay after the buffers (the DAC's interpolation filter, the
        driver's safety offset, a USB frame); drivers report it (0: not modelled).
    sample_accurate : bool
        Render events at their time stamps (constant delay) instead of at the start of the
        next block (delay varies by up to one period).

    Examples
    --------
    >>> b = latency_budget(256, sr=48000, compute_ms=0.5, lookahead_ms=1.0)
    >>> round(b.mean_ms, 3), round(b.max_ms, 3), b.keeps_up
    (9.0, 11.667, True)
    >>> latency_budget(256, sr=48000, compute_ms=6.0).underrun      # over the 5.33 ms deadline
    True

    Chapter: notebooks/06a_latency.ipynb
    """
    period = buffer_latency_ms(block_size, sr=sr)
    compute_ms = as_float(compute_ms, "compute_ms", low=0)
    lookahead_ms = as_float(lookahead_ms, "lookahead_ms", low=0)
    converter_ms = as_float(converter_ms, "converter_ms", low=0)
    n_buffers = as_int(n_buffers, "n_buffers", low=2, high=64)
    check(isinstance(sample_accurate, (bool, np.bool_)), "sample_accurate", sample_accurate, "True or False")
    sample_accurate = bool(sample_accurate)
    wait = 0.0 if sample_accurate else period / 2
    queue = (n_buffers if sample_accurate else n_buffers - 1) * period
    return LatencyBudget(
        int(block_size), int(sr), n_buffers, period, wait, queue, lookahead_ms, converter_ms, compute_ms, sample_accurate
    )


def event_latency_ms(event_ms, *, block_size: int, sr: int, n_buffers: int = 2, sample_accurate: bool = False):
    """When an event arriving at ``event_ms`` (ms after the first callback) is heard, and its delay.

    Callbacks run at ``k * P`` (``P = 1000 * block_size / sr`` ms). An event is read by the first
    callback after it (an event exactly at a callback is read by it) and rendered at the start
    of that callback's block, which plays ``(n_buffers - 1) * P`` later; with ``sample_accurate``
    it is rendered at its own time plus ``n_buffers * P``. Converter and look-ahead delays come on
    top (:func:`latency_budget`).

    Returns
    -------
    (heard_ms, delay_ms) : (np.ndarray, np.ndarray) [shape=event_ms.shape]

    Examples
    --------
    >>> heard, delay = event_latency_ms([0.0, 2.0, 5.0], block_size=256, sr=48000)
    >>> np.round(heard, 3).tolist(), np.round(delay, 3).tolist()
    ([5.333, 10.667, 10.667], [5.333, 8.667, 5.667])

    Chapter: notebooks/06a_latency.ipynb
    """
    period = buffer_latency_ms(block_size, sr=sr)
    n_buffers = as_int(n_buffers, "n_buffers", low=2, high=64)
    t = as_array(event_ms, "event_ms")
    check(bool(np.all(t >= 0)), "event_ms", event_ms, "times >= 0 ms (after the first callback)")
    if sample_accurate:
        heard = t + n_buffers * period
    else:
        k = np.ceil(t / period - 1e-9)  # the first callback at or after the event
        heard = (k + n_buffers - 1) * period
    return heard, heard - t


def callback_schedule(compute_ms, *, block_size: int, sr: int, n_buffers: int = 2) -> dict:
    """Simulate the driver's callbacks: which block is computed when, when it plays, which are late.

    Callback ``k`` is due to start at ``k * P`` (``P = 1000 * block_size / sr`` ms), or when the
    previous one finishes if that is later (one audio thread); it takes ``compute_ms[k]``. Its
    block is due at the converter at ``(k + n_buffers - 1) * P``. A block not done by then is
    late: the converter plays silence in its place (a dropout). With two buffers that means a
    block must be computed within its own period; more buffers let one slow block borrow from
    the next periods, but on average the compute must still stay below one period.

    Parameters
    ----------
    compute_ms : sequence of float [shape=(n_blocks,)]
        Compute time of each block, ms.
    block_size, sr, n_buffers : int

    Returns
    -------
    dict
        ``period_ms``; arrays of shape ``(n_blocks,)``: ``start_ms``, ``done_ms``,
        ``play_ms`` (when the block is due at the converter), ``late`` (bool: an underrun).

    Examples
    --------
    >>> s = callback_schedule([1.0, 6.0, 1.0], block_size=256, sr=48000)
    >>> s["late"].tolist(), np.round(s["start_ms"], 2).tolist(), np.round(s["play_ms"], 2).tolist()
    ([False, True, False], [0.0, 5.33, 11.33], [5.33, 10.67, 16.0])

    Chapter: notebooks/06a_latency.ipynb
    """
    period = buffer_latency_ms(block_size, sr=sr)
    n_buffers = as_int(n_buffers, "n_buffers", low=2, high=64)
    c = as_array(compute_ms, "compute_ms", ndim=1)
    check(bool(np.all(c >= 0)), "compute_ms", compute_ms, "times >= 0 ms")
    start, done = np.empty_like(c), np.empty_like(c)
    free = 0.0
    for k in range(c.size):
        start[k] = max(k * period, free)
        done[k] = free = start[k] + c[k]
    play = (np.arange(c.size) + n_buffers - 1) * period
    return {"period_ms": period, "start_ms": start, "done_ms": done, "play_ms": play, "late": done >= play}


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
    *,
    block_sizes=BLOCK_SIZES,
    sample_rates=SAMPLE_RATES,
    voice=None,
    n_blocks: int = 40,
    n_buffers: int = 2,
    lookahead_ms: float = 0.0,
    converter_ms: float = 0.0,
    **values,
) -> list:
    """Measure a streaming voice at every buffer size and sample rate; the budget of each.

    Returns
    -------
    list of dict
        One per (sr, block_size): ``block_size``, ``sr``, ``n_buffers``, ``period_ms`` (the
        deadline), ``wait_ms`` (mean event wait), ``queue_ms``, ``lookahead_ms``,
        ``converter_ms``, ``mean_ms`` and ``max_ms`` (the delay, see :func:`latency_budget`),
        ``p50_ms``, ``p99_ms`` (compute per block), ``rtf`` (total compute / audio time),
        ``rtf_p99`` (p99 / period), ``late`` (timed blocks over the deadline), ``keeps_up``
        (p99 below the deadline and no late block) and ``noticeable`` (``max_ms >= 10``).

    Examples
    --------
    >>> rows = latency_table(block_sizes=(64,), sample_rates=(16000,), n_blocks=2)
    >>> rows[0]["period_ms"], rows[0]["max_ms"], rows[0]["keeps_up"]
    (4.0, 8.0, True)

    Chapter: notebooks/06a_latency.ipynb
    """
    sample_rates = as_sequence(sample_rates, "sample_rates", min_len=1, what="a sequence of sample rates")
    block_sizes = as_sequence(block_sizes, "block_sizes", min_len=1, what="a sequence of block sizes")
    sample_rates = [check_sr(s, "sample_rates") for s in sample_rates]
    block_sizes = [check_block_size(b, "block_sizes") for b in block_sizes]
    latency_budget(64, sr=16000, compute_ms=0.0, n_buffers=n_buffers, lookahead_ms=lookahead_ms, converter_ms=converter_ms)
    rows = []
    for sr in sample_rates:
        for bs in block_sizes:
            t, _ = measure_voice(voice, block_size=bs, sr=sr, n_blocks=n_blocks, warmup=2, **values)
            b = latency_budget(
                bs, sr=sr, compute_ms=t.p99_ms, n_buffers=n_buffers, lookahead_ms=lookahead_ms, converter_ms=converter_ms
            )
            late = int(np.sum(t.times_ms >= b.period_ms))
            rows.append(
                {
                    "block_size": bs,
                    "sr": sr,
                    "n_buffers": b.n_buffers,
                    "period_ms": b.period_ms,
                    "wait_ms": b.wait_ms,
                    "queue_ms": b.queue_ms,
                    "lookahead_ms": b.lookahead_ms,
                    "converter_ms": b.converter_ms,
                    "mean_ms": b.mean_ms,
                    "max_ms": b.max_ms,
                    "p50_ms": t.p50_ms,
                    "p99_ms": t.p99_ms,
                    "rtf": t.rtf,
                    "rtf_p99": b.rtf,
                    "late": late,
                    "keeps_up": b.keeps_up and late == 0,
                    "noticeable": b.noticeable,
                }
            )
    return rows


def largest_block_under(rows, *, sr: int, limit_ms: float = NOTICEABLE_MS):
    """The largest block size at ``sr`` that keeps up and whose worst-case delay (``max_ms``) stays under ``limit_ms``.

    ``rows`` as returned by :func:`latency_table`; ``None`` if no block size fits. A block size
    whose compute misses the deadline (``keeps_up`` false) does not fit, however short its delay.

    Examples
    --------
    >>> rows = [{"sr": 44100, "block_size": b, "max_ms": 2000 * b / 44100, "keeps_up": True} for b in (64, 128, 256, 512)]
    >>> largest_block_under(rows, sr=44100)
    128

    Chapter: notebooks/06a_latency.ipynb
    """
    sr, limit_ms = check_sr(sr), as_float(limit_ms, "limit_ms", low=0, low_open=True)
    rows = as_sequence(rows, "rows", what="a list of latency_table rows (dicts)")
    check(
        all(isinstance(r, dict) and {"block_size", "sr", "max_ms", "keeps_up"} <= set(r) for r in rows),
        "rows",
        rows,
        "dicts with block_size, sr, max_ms and keeps_up",
    )
    fits = [r["block_size"] for r in rows if r["sr"] == sr and r["keeps_up"] and r["max_ms"] < limit_ms]
    return max(fits) if fits else None


def table_summary(rows, *, limit_ms: float = NOTICEABLE_MS) -> str:
    """What :func:`latency_table`'s rows show, as Markdown sentences formatted from the measured values.

    For each sample rate in the rows: the largest block size that keeps up and stays under
    ``limit_ms`` at worst (:func:`largest_block_under`); the RTF of the smallest block over the
    RTF of the largest (a per-block overhead shows as a ratio above 1); how many settings had a
    late block, and whether those are stalls of the machine (the median block takes well under
    its period) or the voice's own work.

    Examples
    --------
    >>> rows = [{"sr": 44100, "block_size": b, "period_ms": 1000 * b / 44100, "max_ms": 2000 * b / 44100,
    ...          "keeps_up": b > 64, "late": int(b == 64), "rtf": 0.2 if b == 64 else 0.05, "p50_ms": 0.1}
    ...         for b in (64, 128, 256)]
    >>> print(table_summary(rows))  # doctest: +NORMALIZE_WHITESPACE
    The largest block that keeps up and stays under 10 ms at worst is 128 samples at 44100 Hz. The RTF of
    the 64-sample block is 4.0 times that of the 256-sample block (a fixed cost per block, paid more often
    when blocks are small). 1 of 3 settings had at least one block miss its deadline; the median block took
    at most 7 % of its period, so those were stalls of the machine (another process holding the CPU), not
    the voice's own work.

    Chapter: notebooks/06a_latency.ipynb
    """
    rows = as_rows(rows, "rows")
    limit_ms = as_float(limit_ms, "limit_ms", low=0, low_open=True)
    need = {"sr", "block_size", "period_ms", "max_ms", "keeps_up", "late", "rtf", "p50_ms"}
    check(bool(rows) and all(need <= set(r) for r in rows), "rows", rows, f"latency_table rows with {sorted(need)}")
    rates = sorted({r["sr"] for r in rows}, reverse=True)
    fits = []
    for sr in rates:
        b = largest_block_under(rows, sr=sr, limit_ms=limit_ms)
        fits.append(f"{b} samples at {sr} Hz" if b else f"no block size at {sr} Hz")
    out = [f"The largest block that keeps up and stays under {limit_ms:g} ms at worst is " + ", ".join(fits) + "."]
    at = [r for r in rows if r["sr"] == rates[0]]
    lo, hi = min(at, key=lambda r: r["block_size"]), max(at, key=lambda r: r["block_size"])
    if lo is not hi and hi["rtf"] > 0:
        ratio = lo["rtf"] / hi["rtf"]
        why = (
            "(a fixed cost per block, paid more often when blocks are small)"
            if ratio > 1.1
            else "(no per-block overhead to speak of)"
            if ratio > 1 / 1.1
            else "(the small blocks were cheaper per second of audio here)"
        )
        out.append(
            f"The RTF of the {lo['block_size']}-sample block is {ratio:.1f} times that of the "
            f"{hi['block_size']}-sample block {why}."
        )
    n_late = sum(r["late"] > 0 for r in rows)
    worst_p50 = max(r["p50_ms"] / r["period_ms"] for r in rows)
    if n_late:
        cause = (
            "so those were stalls of the machine (another process holding the CPU), not the voice's own work"
            if worst_p50 < 0.5
            else "so the voice itself comes close to its deadline"
        )
        out.append(
            f"{n_late} of {len(rows)} settings had at least one block miss its deadline; the median block took at "
            f"most {100 * worst_p50:.0f} % of its period, {cause}."
        )
    else:
        out.append(f"No timed block missed its deadline; the median block took at most {100 * worst_p50:.0f} % of its period.")
    return " ".join(out)


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
