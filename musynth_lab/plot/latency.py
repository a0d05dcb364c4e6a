"""Figures for notebooks/06a_latency.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import check_sr
from ..errors import as_float, as_rows, check
from .core import axes_or_new

__all__ = ["latency_budget_bars", "block_times", "sample_rate_tradeoff_plot", "rtf_bars"]


def latency_budget_bars(rows, *, sr: int, ax=None, limit_ms: float = 10.0, title: str | None = None):
    """Stacked bars per block size at ``sr``: buffer + look-ahead + p99 compute, and the 10 ms line.

    ``rows`` from :func:`musynth_lab.latency.latency_table`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> rows = [{"sr": 48000, "block_size": 64, "buffer_ms": 1.33, "p99_ms": 0.2, "total_ms": 1.53}]
    >>> latency_budget_bars(rows, sr=48000).get_ylabel()
    'latency (ms)'

    Chapter: notebooks/06a_latency.ipynb
    """
    rows = as_rows(rows, "rows")
    sr = check_sr(sr)
    limit_ms = as_float(limit_ms, "limit_ms", low=0, low_open=True)
    ax = axes_or_new(ax, (6, 3))
    sel = [r for r in rows if r["sr"] == sr]
    x = np.arange(len(sel))
    buf = np.array([r["buffer_ms"] for r in sel])
    comp = np.array([r["p99_ms"] for r in sel])
    look = np.array([r["total_ms"] - r["buffer_ms"] - r["p99_ms"] for r in sel])
    ax.bar(x, buf, label="buffer (block / sr)", color="tab:blue")
    ax.bar(x, look, bottom=buf, label="look-ahead", color="tab:green")
    ax.bar(x, comp, bottom=buf + look, label="compute (p99)", color="tab:orange")
    ax.axhline(limit_ms, color="tab:red", ls="--", lw=1, label=f"{limit_ms:g} ms: players notice")
    ax.set_xticks(x)
    ax.set_xticklabels([str(r["block_size"]) for r in sel])
    ax.set_xlabel("block size (samples)")
    ax.set_ylabel("latency (ms)")
    ax.set_title(title or f"latency budget at {sr} Hz")
    ax.legend(fontsize=7)
    return ax


def block_times(timing, *, ax=None, title: str | None = None):
    """Histogram of per-block compute times with p50, p99 and the block's duration marked.

    ``timing`` is a :class:`musynth_lab.latency.BlockTiming`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from musynth_lab.latency import time_blocks
    >>> t = time_blocks(lambda n: None, block_size=64, sr=16000, n_blocks=20)
    >>> block_times(t).get_xlabel()
    'compute time per block (ms)'

    Chapter: notebooks/06a_latency.ipynb
    """
    check(
        all(hasattr(timing, a) for a in ("times_ms", "p50_ms", "p99_ms", "block_ms", "block_size", "sr", "rtf")),
        "timing",
        timing,
        "a BlockTiming (from musynth_lab.latency.time_blocks)",
    )
    ax = axes_or_new(ax, (6, 2.6))
    ax.hist(timing.times_ms, bins=40, color="tab:gray")
    ax.axvline(timing.p50_ms, color="tab:blue", label=f"p50 {timing.p50_ms:.3f} ms")
    ax.axvline(timing.p99_ms, color="tab:orange", label=f"p99 {timing.p99_ms:.3f} ms")
    if timing.block_ms < 5 * timing.p99_ms:
        ax.axvline(timing.block_ms, color="tab:red", ls="--", label=f"block lasts {timing.block_ms:.2f} ms")
    ax.set_xlabel("compute time per block (ms)")
    ax.set_ylabel("blocks")
    ax.set_title(title or f"{timing.block_size} samples at {timing.sr} Hz: RTF {timing.rtf:.3f}")
    ax.legend(fontsize=7)
    return ax


def sample_rate_tradeoff_plot(rows, *, ax=None, title: str | None = "lower sample rate: faster, but duller"):
    """Speed-up (bars) and SNR against the full-rate render (line) per sample rate.

    ``rows`` from :func:`musynth_lab.latency.sample_rate_tradeoff`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = sample_rate_tradeoff_plot([{"sr": 8000, "speedup": 4.0, "snr_db": 12.0}])
    >>> ax.get_ylabel()
    'speed-up over the full rate'

    Chapter: notebooks/06a_latency.ipynb
    """
    rows = as_rows(rows, "rows")
    ax = axes_or_new(ax, (6, 3))
    x = np.arange(len(rows))
    ax.bar(x, [r["speedup"] for r in rows], color="tab:blue", alpha=0.7)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{r['sr'] / 1000:g} kHz" for r in rows])
    ax.set_ylabel("speed-up over the full rate")
    ax2 = ax.twinx()
    ax2.plot(x, [r["snr_db"] for r in rows], "o-", color="tab:red")
    ax2.set_ylabel("SNR vs full rate (dB)", color="tab:red")
    if title:
        ax.set_title(title)
    return ax


def rtf_bars(rows, *, ax=None, title: str | None = "real-time factor (log scale; below 1 keeps up)"):
    """Real-time factor per model and variant (log scale) with the RTF = 1 line.

    ``rows`` from :func:`musynth_lab.models.streaming.neural_latency`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> rtf_bars([{"model": "a", "variant": "eager", "rtf": 0.5}]).get_yscale()
    'log'

    Chapter: notebooks/06a_latency.ipynb
    """
    rows = as_rows(rows, "rows")
    ax = axes_or_new(ax, (7, 3))
    ok = [r for r in rows if r["rtf"] is not None]
    colours = {"eager": "tab:gray", "script": "tab:blue", "compile": "tab:purple", "int8": "tab:green"}
    ax.bar(np.arange(len(ok)), [r["rtf"] for r in ok], color=[colours.get(r["variant"], "k") for r in ok])
    ax.set_xticks(np.arange(len(ok)))
    ax.set_xticklabels([f"{r['model'].split(' ')[0]}\n{r['variant']}" for r in ok], fontsize=7)
    ax.axhline(1.0, color="tab:red", ls="--", lw=1)
    ax.set_yscale("log")
    ax.set_ylabel("RTF")
    if title:
        ax.set_title(title)
    return ax
