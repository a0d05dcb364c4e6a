"""Figures for notebooks/06a_latency.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import check_sr
from ..errors import as_float, as_rows, check
from ..latency import callback_schedule, event_latency_ms
from .core import axes_or_new

__all__ = ["latency_budget_bars", "double_buffering", "block_times", "sample_rate_tradeoff_plot", "rtf_bars"]


def latency_budget_bars(rows, *, sr: int, ax=None, limit_ms: float = 10.0, title: str | None = None):
    """Per block size at ``sr``: the worst-case delay stacked by part, and the compute against its deadline.

    The wide bar stacks the buffers queued ahead of a new block (``queue_ms``), an event's wait
    for the next callback (hatched: anything from 0 to one period), look-ahead and converter;
    a black tick marks the mean delay. The narrow bar beside it is the p99 compute time of a
    block, which is *not* part of the delay: the short black line over it is its deadline (the
    period), and it turns red when a timed block missed it. The dashed line is ``limit_ms``.

    ``rows`` from :func:`musynth_lab.latency.latency_table`.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> rows = [{"sr": 48000, "block_size": 64, "period_ms": 1.33, "queue_ms": 1.33, "lookahead_ms": 0.0,
    ...          "converter_ms": 0.0, "mean_ms": 2.0, "p99_ms": 0.2, "keeps_up": True}]
    >>> latency_budget_bars(rows, sr=48000).get_ylabel()
    'ms'

    Chapter: notebooks/06a_latency.ipynb
    """
    rows = as_rows(rows, "rows")
    sr = check_sr(sr)
    limit_ms = as_float(limit_ms, "limit_ms", low=0, low_open=True)
    need = {"block_size", "sr", "period_ms", "queue_ms", "lookahead_ms", "converter_ms", "mean_ms", "p99_ms", "keeps_up"}
    check(all(need <= set(r) for r in rows), "rows", rows, f"latency_table rows with {sorted(need)}")
    ax = axes_or_new(ax, (6, 3))
    sel = [r for r in rows if r["sr"] == sr]
    x = np.arange(len(sel), dtype=float)
    w = 0.55
    parts = [
        ("queue_ms", "buffers ahead ((N-1) B / sr)", "tab:blue", None),
        ("period_ms", "wait for the callback (0 .. B / sr)", "lightsteelblue", "//"),
        ("lookahead_ms", "look-ahead", "tab:green", None),
        ("converter_ms", "converter / driver", "tab:purple", None),
    ]
    bottom = np.zeros(len(sel))
    for key, label, colour, hatch in parts:
        h = np.array([float(r[key]) for r in sel])
        ax.bar(x - 0.12, h, w, bottom=bottom, label=label, color=colour, hatch=hatch, edgecolor="white" if hatch else None)
        bottom += h
    ax.scatter(x - 0.12, [r["mean_ms"] for r in sel], marker="_", s=300, color="k", zorder=3, label="mean delay")
    comp = np.array([float(r["p99_ms"]) for r in sel])
    ok = [bool(r["keeps_up"]) for r in sel]
    ax.bar(x + 0.3, comp, 0.14, color=["tab:orange" if k else "tab:red" for k in ok], label="compute p99 (not delay)")
    ax.hlines([r["period_ms"] for r in sel], x + 0.2, x + 0.4, color="k", lw=1.5, label="its deadline B / sr")
    ax.axhline(limit_ms, color="tab:red", ls="--", lw=1, label=f"{limit_ms:g} ms: players notice")
    ax.set_xticks(x)
    ax.set_xticklabels([str(r["block_size"]) for r in sel])
    ax.set_xlabel("block size B (samples)")
    ax.set_ylabel("ms")
    ax.set_title(title or f"worst-case delay at {sr} Hz, N = {sel[0].get('n_buffers', 2) if sel else 2} buffers")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def double_buffering(
    compute_ms, *, block_size: int, sr: int, n_buffers: int = 2, event_ms: float | None = None, ax=None, title: str | None = None
):
    """A timeline of a callback-driven stream: the compute in each period, the buffer that plays, an event, a dropout.

    Three lanes over time (ms): *key* (the event, when given), *callback* (block ``k`` is
    computed from ``k * B / sr``, or when the previous one is done; the grey frames are the
    periods; the bar is the compute time, red when its block is not ready in time, see
    :func:`musynth_lab.latency.callback_schedule`) and *converter plays* (block ``k`` plays
    ``n_buffers - 1`` periods after its callback started, while later blocks are being filled;
    the first periods play the silence the buffers were primed with; a late block is a red
    hatched dropout). Buffers are lettered A, B, ... as they take turns. The event is read by
    the first callback after it and heard when that block starts to play
    (:func:`musynth_lab.latency.event_latency_ms`).

    Parameters
    ----------
    compute_ms : sequence of float [shape=(n_blocks,)]
        Compute time of each block, ms (measured, or chosen to show an underrun).
    block_size, sr, n_buffers : int
    event_ms : float, optional
        When a key is pressed, ms after the first callback.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = double_buffering([1.0, 1.2, 7.0, 1.1, 0.9], block_size=256, sr=48000, event_ms=2.5)
    >>> ax.get_xlabel(), any("dropout" in t.get_text() for t in ax.texts)
    ('time (ms)', True)

    Chapter: notebooks/06a_latency.ipynb
    """
    from matplotlib.patches import Rectangle  # matplotlib is imported where used: `import musynth_lab` stays light

    s = callback_schedule(compute_ms, block_size=block_size, sr=sr, n_buffers=n_buffers)
    p, n = s["period_ms"], len(s["start_ms"])
    if event_ms is not None:
        event_ms = as_float(event_ms, "event_ms", low=0)
        check(event_ms < (n - 1) * p, "event_ms", event_ms, f"a time before the last callback ({(n - 1) * p:.3g} ms)")
    ax = axes_or_new(ax, (9, 2.8))
    colours = ["tab:blue", "tab:cyan", "tab:olive", "tab:brown"]
    letter = lambda k: chr(ord("A") + k % n_buffers)  # noqa: E731
    colour = lambda k: colours[k % n_buffers % len(colours)]  # noqa: E731
    y_cb, y_play, hh = 1.0, 0.0, 0.6
    for k in range(n):
        t0, late = float(s["start_ms"][k]), bool(s["late"][k])
        ax.add_patch(Rectangle((k * p, y_cb - hh / 2), p, hh, fill=False, ec="0.6", lw=0.8))
        done = float(s["done_ms"][k])
        ax.add_patch(Rectangle((t0, y_cb - hh / 3), done - t0, 2 * hh / 3, color="tab:red" if late else colour(k), alpha=0.9))
        ax.text(k * p + 0.03 * p, y_cb + hh / 2 + 0.05, f"fill {letter(k)}", fontsize=7, va="bottom")
        if late:
            ax.text(done, y_cb - hh / 2 - 0.05, "late: missed its deadline", fontsize=7, color="tab:red", ha="left", va="top")
        tp = s["play_ms"][k]
        if late:
            ax.add_patch(Rectangle((tp, y_play - hh / 2), p, hh, fill=False, hatch="xx", ec="tab:red"))
            ax.text(tp + p / 2, y_play, "dropout", fontsize=8, color="tab:red", ha="center", va="center", weight="bold")
        else:
            ax.add_patch(Rectangle((tp, y_play - hh / 2), p, hh, color=colour(k), alpha=0.45))
            ax.text(tp + p / 2, y_play, f"play {letter(k)}", fontsize=7, ha="center", va="center")
    if n_buffers > 1:
        ax.add_patch(Rectangle((0, y_play - hh / 2), (n_buffers - 1) * p, hh, color="0.85"))
        ax.text((n_buffers - 1) * p / 2, y_play, "primed silence", fontsize=7, ha="center", va="center")
    for k in range(n + n_buffers):
        ax.axvline(k * p, color="0.85", lw=0.6, zorder=0)
    lanes = [y_play, y_cb]
    names = ["converter plays", "callback computes"]
    if event_ms is not None:
        y_ev = 2.0
        heard, delay = event_latency_ms([event_ms], block_size=block_size, sr=sr, n_buffers=n_buffers)
        read = np.ceil(event_ms / p - 1e-9) * p
        ax.plot([event_ms], [y_ev], "v", color="tab:red", ms=9)
        ax.annotate("", xy=(read, y_cb + hh / 2), xytext=(event_ms, y_ev), arrowprops={"arrowstyle": "->", "color": "tab:red"})
        ax.annotate(
            "",
            xy=(heard[0], y_play),
            xytext=(read, y_cb - hh / 3),
            arrowprops={"arrowstyle": "->", "color": "tab:red", "ls": ":"},
        )
        ax.plot([heard[0]], [y_play + hh / 2], "*", color="tab:red", ms=12, zorder=4)
        ax.text(event_ms, y_ev + 0.15, "key pressed", fontsize=7, color="tab:red", ha="center")
        ax.text(
            heard[0] + 0.05 * p,
            y_play + hh / 2 + 0.05,
            f"heard {delay[0]:.2f} ms later",
            fontsize=7,
            color="tab:red",
            va="bottom",
        )
        lanes.append(y_ev)
        names.append("key")
    ax.set_yticks(lanes)
    ax.set_yticklabels(names)
    ax.set_ylim(-0.6, max(lanes) + 0.7)
    ax.set_xlim(0, (n + n_buffers - 1) * p)
    ax.set_xlabel("time (ms)")
    ax.set_title(title or f"{n_buffers} buffers of {block_size} samples at {sr} Hz: one period (deadline) = {p:.2f} ms")
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
        ax.axvline(timing.block_ms, color="tab:red", ls="--", label=f"deadline: the block lasts {timing.block_ms:.2f} ms")
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
