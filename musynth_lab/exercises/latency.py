"""Checks for notebooks/06a_latency.ipynb."""

from __future__ import annotations

import numpy as np

from ..audio import check_sr
from ..errors import as_float, as_int, check
from ..latency import buffer_latency_ms, largest_block_under, latency_budget, measure_voice
from ..synth.stream import check_block_size
from ._core import CheckResult, exercise, is_int, number, prediction, run_student, verdict

__all__ = [
    "check_buffer_latency",
    "check_largest_block",
    "check_rtf",
    "check_lower_rate_buffer",
    "check_count_dropouts",
    "check_pitch_compute",
    "check_compute_delay",
]


@exercise(
    "6a.1",
    hint="A buffer holds block_size samples and the driver plays sr samples every second; the check wants milliseconds.",
    solution="The buffer lasts block_size / sr seconds: 256 / 48000 s = 5.333 ms.",
    code="answer_1 = 1000 * 256 / 48000",
)
def check_buffer_latency(block_size, sr, answer_ms) -> CheckResult:
    """Exercise 6a.1: how long (ms) a buffer of ``block_size`` samples lasts at ``sr`` Hz.

    Examples
    --------
    >>> bool(check_buffer_latency(256, 48000, 256))   # samples, not milliseconds
    False
    >>> bool(check_buffer_latency(256, 48000, np.float64(1000 * 256 / 48000)))
    True
    """
    v = number(answer_ms)
    block_size, sr = as_int(block_size, "block_size"), check_sr(sr)
    ok = v is not None and abs(v - 1000.0 * float(block_size) / float(sr)) < 1e-3
    return verdict(
        ok,
        f"Right: {block_size} / {sr} s = {1000.0 * block_size / sr:.3f} ms.",
        "Not quite: how many of these buffers play in one second at this rate? Give the duration of one in milliseconds.",
    )


@exercise(
    "6a.2",
    hint="Each row of `rows` is one (sample rate, block size) pair: `max_ms` is the worst-case delay "
    "(compute is not in it) and `keeps_up` says whether every timed block met its deadline; "
    "keep the rows at 44.1 kHz that keep up and stay below the limit.",
    solution="Filter the rows to sr = 44100, keeps_up true and max_ms < 10 ms, and take the largest "
    "block_size among them (None if none fits). With double buffering the worst case is two "
    "periods, 2 * block_size / sr (plus look-ahead and converter), so a block whose single buffer "
    "is under 10 ms can still be too long. The compute time does not move max_ms; it only rules "
    "a block size out when it misses the deadline.",
    code='answer_2 = max((r["block_size"] for r in rows if r["sr"] == 44100 and r["keeps_up"] and r["max_ms"] < 10.0), '
    "default=None)",
)
def check_largest_block(rows, sr, answer, *, limit_ms: float = 10.0) -> CheckResult:
    """Exercise 6a.2: the largest block size that keeps up and whose worst-case delay stays under ``limit_ms`` at ``sr``.

    ``rows`` are the notebook's :func:`musynth_lab.latency.latency_table` rows.

    Examples
    --------
    >>> rows = [{"sr": 48000, "block_size": b, "max_ms": 2000 * b / 48000, "keeps_up": True} for b in (64, 128, 256)]
    >>> bool(check_largest_block(rows, 48000, 64, limit_ms=5)), bool(check_largest_block(rows, 48000, 128, limit_ms=5))
    (True, False)
    >>> bool(check_largest_block(rows, 48000, np.int64(64), limit_ms=5))
    True
    """
    truth = largest_block_under(rows, sr=sr, limit_ms=limit_ms)
    ok = (answer is None and truth is None) or (truth is not None and is_int(answer, truth))
    return verdict(
        ok,
        f"Right: {truth} samples keep up and keep the worst-case delay under {limit_ms:g} ms at {sr} Hz.",
        "Not that one: read max_ms and keeps_up in the rows at that sample rate; which block sizes "
        "meet the deadline and stay under the limit, and which of them is the largest?",
    )


@exercise(
    "6a.3",
    hint="The real-time factor compares the time spent computing a block with the time that "
    "block lasts when played; use one unit for both.",
    solution="RTF = compute time / audio time = p50 compute (ms) / (1000 * 256 / 44100 ms). Below 1 the "
    "voice keeps up; the smaller it is, the more room is left for everything else.",
    code="answer_3 = timing.p50_ms / (1000 * 256 / 44100)",
)
def check_rtf(compute_ms, block_size, sr, answer) -> CheckResult:
    """Exercise 6a.3: the real-time factor of a block computed in ``compute_ms`` ms.

    Examples
    --------
    >>> bool(check_rtf(1.0, 256, 16000, 16.0))   # audio time / compute: upside down
    False
    >>> bool(check_rtf(1.0, 256, 16000, np.float64(1 / 16)))
    True
    """
    v = number(answer)
    compute_ms = as_float(compute_ms, "compute_ms", low=0, low_open=True)
    block_size, sr = as_int(block_size, "block_size"), check_sr(sr)
    truth = compute_ms / (1000.0 * block_size / sr)
    ok = v is not None and abs(v - truth) <= 1e-3 * max(1.0, truth)
    return verdict(
        ok,
        f"Right: RTF = compute / audio time = {truth:.4f}; below 1 keeps up.",
        "Not quite: is your ratio the right way up (a voice that keeps up has an RTF below 1), and "
        "are both times in the same unit?",
    )


@exercise(
    "6a.4",
    hint="Work out how long the same 256 samples last at each of the two rates.",
    solution="256 / 16000 s = 16 ms against 256 / 48000 s = 5.3 ms: True. A buffer is counted in samples, "
    "so a lower rate makes the same buffer last longer and adds latency unless the buffer shrinks.",
    code="answer_4 = 1000 * 256 / 16000 > 1000 * 256 / 48000",
)
def check_lower_rate_buffer(answer) -> CheckResult:
    """Exercise 6a.4: does a 256-sample buffer last longer at 16 kHz than at 48 kHz (True/False)?

    Examples
    --------
    >>> bool(check_lower_rate_buffer("yes"))      # answer True or False
    False
    >>> bool(check_lower_rate_buffer(np.True_))
    True
    """
    ok = isinstance(answer, (bool, np.bool_)) and bool(answer)
    return verdict(
        ok,
        "Right: 256 / 16000 s = 16 ms against 5.3 ms at 48 kHz: a lower rate makes the same "
        "buffer longer, so it adds latency unless the buffer shrinks too.",
        "Not quite (answer True or False): compute how long the buffer lasts at each rate and compare.",
    )


# (times_ms, block_size, sr): each case trips a plausible wrong implementation
# (the block's duration in seconds, a fixed 10 ms line, integer division, a fraction instead of a count).
_DROPOUT_CASES = (
    ([1.0, 6.0, 3.0, 5.0], 256, 48000),
    ([10.0, 17.0, 15.9], 256, 16000),
    (np.array([0.2, 1.6, 1.2]), 64, 44100),
    (np.array([0.1, 0.2, 0.3]), 1024, 44100),
    ([30.0, 25.0, 20.0, 24.0, 1.0], 1024, 44100),
)


@exercise(
    "6a.5",
    kind="implement",
    hint="A block is late when its compute time is longer than the time the block lasts when played; "
    "that duration depends on block_size and sr (mind the units: times_ms is in milliseconds).",
    solution="The driver plays one block every 1000 * block_size / sr ms, so the next block must be ready "
    "by then: compute time is a deadline, not added delay. Count the blocks whose compute time "
    "exceeds that period; each one is a dropout (a click or a gap of silence).",
    code=(
        "def count_dropouts(times_ms, block_size, sr):\n"
        "    block_ms = 1000 * block_size / sr\n"
        "    return int(np.sum(np.asarray(times_ms) > block_ms))"
    ),
)
def check_count_dropouts(count_dropouts) -> CheckResult:
    """Exercise 6a.5 (implement it): ``count_dropouts(times_ms, block_size, sr)`` counts the late blocks.

    A block is late (a dropout) when its compute time exceeds its duration,
    :func:`musynth_lab.latency.buffer_latency_ms`. The student's function is tested on several
    cases, each of which a plausible wrong implementation gets wrong.

    Examples
    --------
    >>> bool(check_count_dropouts(lambda times_ms, block_size, sr: sum(t > 10 for t in times_ms)))
    False
    >>> def count_dropouts(times_ms, block_size, sr):
    ...     return int(np.sum(np.asarray(times_ms) > 1000 * block_size / sr))
    >>> bool(check_count_dropouts(count_dropouts))
    True
    """
    if not callable(count_dropouts):
        return CheckResult(False, "Pass your function itself: check_count_dropouts(count_dropouts).")
    for times, block_size, sr in _DROPOUT_CASES:
        truth = int(np.sum(np.asarray(times, dtype=float) > buffer_latency_ms(block_size, sr=sr)))
        args = (np.array(times) if isinstance(times, np.ndarray) else list(times), block_size, sr)
        got, stop = run_student(count_dropouts, args, exercise_id="6a.5")
        if stop is not None:
            return stop
        if not is_int(got, truth):
            shown = ", ".join(f"{float(t):g}" for t in times)
            return CheckResult(
                False,
                f"Not quite: for block_size={block_size} at sr={sr} Hz and compute times "
                f"[{shown}] ms your function returned {got!r}. How long does one such "
                "block last, in ms?",
            )
    return CheckResult(
        True,
        "Right: a block is late when its compute time exceeds block_size / sr; your "
        f"function agrees with the library on all {len(_DROPOUT_CASES)} cases. Try it on "
        "timing.times_ms.",
    )


_CHOICES = ("higher", "lower", "the same")


@exercise(
    "6a.6",
    kind="predict",
    hint="Picture what the voice computes for each output sample: a phase that advances, a waveform "
    "value, a filter step, an envelope value. Which of these does more arithmetic for a faster "
    "oscillation?",
    solution="The same. The oscillator advances its phase by f0 / sr each sample and computes one value per "
    "sample whatever f0 is; the filter and the envelopes also run once per sample. A note 32 times "
    "higher changes the phase increment, not the number of operations, so the compute time of a "
    "block (and the RTF) is set by the number of samples, not the number of cycles. (A voice "
    "whose cost grows with pitch, like additive synthesis with one oscillator per partial below "
    "Nyquist, would be the exception: there a higher note costs less.)",
    code='prediction_6 = "the same"  # one value per sample, whatever the frequency',
)
def check_pitch_compute(answer, *, low: float = 36.0, high: float = 96.0, block_size: int = 256, sr: int = 44100) -> CheckResult:
    """Exercise 6a.6 (predict): play the note at MIDI ``high`` instead of ``low``; does a block's compute time go
    higher, lower or stay the same?

    The check measures both with :func:`musynth_lab.latency.measure_voice` (section 2's subtractive
    voice): seven pairs of runs, the two pitches in turn; per run the 10th percentile of the block times (on
    a busy machine other processes inflate a run's median, rarely its fastest tenth); the verdict from the
    median of the seven paired ratios, so that a slow spell of the machine hits both sides of a pair alike).

    Examples
    --------
    >>> bool(check_pitch_compute("higher"))
    False
    """
    block_size, sr = check_block_size(block_size), check_sr(sr)
    low, high = as_float(low, "low", low=0, high=127), as_float(high, "high", low=0, high=127)
    said = answer.strip().lower() if isinstance(answer, str) else None
    if said == "same":
        said = "the same"
    if said not in _CHOICES:
        return CheckResult(False, 'Answer "higher", "lower" or "the same" (a string), then explain it in a comment.')
    fast = {low: [], high: []}
    for _ in range(7):  # in turn, so that a busy moment of the machine hits both alike
        for f in (low, high):
            t = measure_voice(block_size=block_size, sr=sr, n_blocks=40, warmup=5, midi_f0=f)[0]
            fast[f].append(float(np.percentile(t.times_ms, 10)))
    ratio = float(np.median(np.array(fast[high]) / np.array(fast[low])))  # the median of paired ratios
    best = {f: float(np.median(v)) for f, v in fast.items()}
    truth = "higher" if ratio > 1.3 else "lower" if ratio < 1 / 1.3 else "the same"
    return verdict(
        said == truth,
        f"Right, measured: {best[low]:.3f} ms per {block_size}-sample block at MIDI {low:g} and "
        f"{best[high]:.3f} ms at MIDI {high:g} (ratio {ratio:.2f}). The voice computes one value per "
        "sample whatever the pitch: its cost is set by the samples, not by the cycles.",
        "Not what the measurement shows. Time a block at each pitch (latency.measure_voice with "
        "midi_f0=...) and think about what the voice computes per sample.",
    )


@exercise(
    "6a.7",
    kind="predict",
    hint="Follow one key press through the timeline of section 3: when is the block that carries it "
    "read, and when does that block start to play? Does either moment depend on how long the "
    "callback computes, as long as it finishes before its deadline?",
    solution="The same. The converter takes the next buffer at a fixed moment, every block_size / sr; a "
    "block computed in 1 ms or in 2 ms of a 5.8 ms period is ready either way and starts playing "
    "at the same moment. The delay is the wait for the callback plus the buffers ahead (plus "
    "look-ahead and converter); compute time is a deadline, not added delay. Only when a block "
    "takes a whole period or more does anything change, and then it is not a longer delay but a "
    "dropout (latency.latency_budget(...).underrun).",
    code='prediction_7 = "the same"  # the block starts playing on the clock, not when it is done',
)
def check_compute_delay(answer, *, compute_ms: float = 1.0, factor: float = 2.0, block_size: int = 256, sr: int = 44100):
    """Exercise 6a.7 (predict): a patch ``factor`` times as costly per block (still within the deadline):
    does a key's worst-case delay go higher, lower or stay the same?

    The check compares :func:`musynth_lab.latency.latency_budget` at ``compute_ms`` and
    ``factor * compute_ms`` (double buffering, ``block_size`` at ``sr``).

    Examples
    --------
    >>> bool(check_compute_delay("higher")), bool(check_compute_delay("the same"))
    (False, True)
    """
    compute_ms = as_float(compute_ms, "compute_ms", low=0)
    factor = as_float(factor, "factor", low=0, low_open=True)
    before = latency_budget(block_size, sr=sr, compute_ms=compute_ms)
    after = latency_budget(block_size, sr=sr, compute_ms=factor * compute_ms)
    check(after.keeps_up, "factor", factor, f"a factor that keeps {factor:g} x {compute_ms:g} ms below the deadline")
    said = prediction(answer, _CHOICES, {"same": "the same"})
    if said is None:
        return CheckResult(False, 'Answer "higher", "lower" or "the same" (a string), then explain it in a comment.')
    d = after.max_ms - before.max_ms
    truth = "higher" if d > 1e-9 else "lower" if d < -1e-9 else "the same"
    return verdict(
        said == truth,
        f"Right: {before.max_ms:.2f} ms at worst either way ({compute_ms:g} ms or {factor * compute_ms:g} ms of a "
        f"{before.period_ms:.2f} ms deadline). The block starts playing when its turn comes, not when it is "
        f"done; the compute only has to finish in time (RTF {before.rtf:.2f} -> {after.rtf:.2f}).",
        "Not what the driver does. Look at the timeline of section 3: does the moment a block starts "
        "to play depend on when its callback finished, if it finished in time?",
    )
