"""Checks for notebooks/06a_latency.ipynb."""

from __future__ import annotations

from ._core import CheckResult, number, verdict

__all__ = ["check_buffer_latency", "check_largest_block", "check_rtf", "check_lower_rate_buffer"]


def check_buffer_latency(block_size, sr, answer_ms) -> CheckResult:
    """Exercise 6a.1: how long (ms) a buffer of ``block_size`` samples lasts at ``sr`` Hz.

    Examples
    --------
    >>> bool(check_buffer_latency(256, 48000, 256))   # samples, not milliseconds
    False
    """
    v = number(answer_ms)
    from ..audio import check_sr
    from ..errors import as_int
    block_size, sr = as_int(block_size, "block_size"), check_sr(sr)
    ok = v is not None and abs(v - 1000.0 * float(block_size) / float(sr)) < 1e-3
    return verdict(ok, f"Right: {block_size} / {sr} s = {1000.0 * block_size / sr:.3f} ms.",
                   "Not quite: the buffer lasts block_size / sr seconds; give it in milliseconds.")


def check_largest_block(rows, sr, answer, *, limit_ms: float = 10.0) -> CheckResult:
    """Exercise 6a.2: the largest block size whose measured budget stays under ``limit_ms`` at ``sr``.

    ``rows`` are the notebook's :func:`musynth_lab.latency.latency_table` rows.

    Examples
    --------
    >>> rows = [{"sr": 48000, "block_size": b, "total_ms": 1000 * b / 48000 + 0.5} for b in (64, 128, 256)]
    >>> bool(check_largest_block(rows, 48000, 128, limit_ms=5)), bool(check_largest_block(rows, 48000, 256, limit_ms=5))
    (True, False)
    """
    from ..latency import largest_block_under

    truth = largest_block_under(rows, sr=sr, limit_ms=limit_ms)
    ok = (answer is None and truth is None) or (number(answer) is not None and truth is not None
                                                and int(number(answer)) == truth and number(answer) == truth)
    return verdict(ok, f"Right: {truth} samples keep buffer + compute under {limit_ms:g} ms at {sr} Hz.",
                   "Not that one: look at total_ms (buffer + look-ahead + p99 compute) in the rows at that "
                   "sample rate and take the largest block size still under the limit.")


def check_rtf(compute_ms, block_size, sr, answer) -> CheckResult:
    """Exercise 6a.3: the real-time factor of a block computed in ``compute_ms`` ms.

    Examples
    --------
    >>> bool(check_rtf(1.0, 256, 16000, 16.0))   # audio time / compute: upside down
    False
    """
    v = number(answer)
    from ..audio import check_sr
    from ..errors import as_float, as_int
    compute_ms = as_float(compute_ms, "compute_ms", low=0, low_open=True)
    block_size, sr = as_int(block_size, "block_size"), check_sr(sr)
    truth = compute_ms / (1000.0 * block_size / sr)
    ok = v is not None and abs(v - truth) <= 1e-3 * max(1.0, truth)
    return verdict(ok, f"Right: RTF = compute / audio time = {truth:.4f}; below 1 keeps up.",
                   "Not quite: divide the compute time by the block's duration (block_size / sr), in the same unit.")


def check_lower_rate_buffer(answer) -> CheckResult:
    """Exercise 6a.4: does a 256-sample buffer last longer at 16 kHz than at 48 kHz (True/False)?

    Examples
    --------
    >>> bool(check_lower_rate_buffer("yes"))      # answer True or False
    False
    """
    ok = answer is True
    return verdict(ok, "Right: 256 / 16000 s = 16 ms against 5.3 ms at 48 kHz: a lower rate makes the same "
                   "buffer longer, so it adds latency unless the buffer shrinks too.",
                   "Compute both: block_size / sr at 16000 and at 48000 Hz.")
