"""LatencyPanel: buffer size, buffers and sample rate -> measured block times against their deadline, the delay, the note.

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import math

import numpy as np

from ..audio import check_sr
from ..errors import check
from ..latency import NOTICEABLE_MS, latency_budget, time_blocks
from ..plot import block_times
from ..synth import FMVoice, SubtractiveVoice, VoiceStream, check_block_size
from ._base import Frame, Panel, dropdown

BLOCK_CHOICES = (64, 128, 256, 512, 1024)
SR_CHOICES = (8000, 16000, 22050, 44100, 48000)
BUFFER_CHOICES = (2, 3, 4)
VOICES = ("subtractive", "fm")


def render_latency(
    *,
    block_size: int = 256,
    sr: int = 44100,
    n_buffers: int = 2,
    voice: str = "subtractive",
    midi_f0: float = 57.0,
    seconds: float = 0.6,
    lookahead_ms: float = 0.0,
    converter_ms: float = 0.0,
):
    """Stream one note block by block and measure it: the pure function behind the panel.

    Parameters
    ----------
    block_size, sr : int
        Buffer size (samples) and sample rate (Hz).
    n_buffers : int
        Output buffers in the ring (2: double buffering).
    voice : {'subtractive', 'fm'}
    midi_f0 : float
    seconds : float
        Audio streamed (and timed): the note is released at 60 % of it.
    lookahead_ms, converter_ms : float
        See :func:`musynth_lab.latency.latency_budget`.

    Returns
    -------
    dict with ``timing`` (:class:`~musynth_lab.latency.BlockTiming`), ``budget``
    (:class:`~musynth_lab.latency.LatencyBudget`, compute = p99), ``late`` (timed blocks that
    missed their deadline), ``audio`` (np.ndarray), ``sr``.

    Examples
    --------
    >>> r = render_latency(block_size=128, sr=16000, seconds=0.1)
    >>> r["budget"].period_ms, r["budget"].max_ms, r["audio"].shape
    (8.0, 16.0, (1664,))

    Chapter: notebooks/06a_latency.ipynb
    """
    block_size, sr = check_block_size(block_size), check_sr(sr)
    check(voice in VOICES, "voice", voice, f"one of {VOICES}")
    check(isinstance(seconds, (int, float)) and 0 < seconds <= 10, "seconds", seconds, "a duration in (0, 10] s")
    latency_budget(
        block_size, sr=sr, compute_ms=0.0, n_buffers=n_buffers, lookahead_ms=lookahead_ms, converter_ms=converter_ms
    )  # refuse bad arguments before streaming
    v = SubtractiveVoice() if voice == "subtractive" else FMVoice()
    n_blocks = max(4, math.ceil(seconds * sr / block_size))
    s = VoiceStream(
        v, sr=sr, midi_f0=float(midi_f0), note_off=round(0.6 * seconds, 3), **({"release": 0.2} if voice == "subtractive" else {})
    )
    out = []
    timing = time_blocks(lambda n: out.append(s.process(n)), block_size=block_size, sr=sr, n_blocks=n_blocks, warmup=0)
    budget = latency_budget(
        block_size, sr=sr, compute_ms=timing.p99_ms, n_buffers=n_buffers, lookahead_ms=lookahead_ms, converter_ms=converter_ms
    )
    late = int(np.sum(timing.times_ms >= budget.period_ms))
    return {"timing": timing, "budget": budget, "late": late, "audio": np.concatenate(out), "sr": sr}


class LatencyPanel(Panel):
    """Pick a buffer size, the number of buffers and a sample rate; see the delay against 10 ms and the
    measured block times against their deadline; hear the note.

    Parameters
    ----------
    **fixed
        Passed to :func:`render_latency` (``midi_f0``, ``seconds``, ``lookahead_ms``, ``converter_ms``).

    Examples
    --------
    >>> panel = LatencyPanel(seconds=0.1)
    >>> panel.controls["block_size"].value = 128
    >>> panel.controls["sr"].value, round(panel.result["budget"].max_ms, 2), panel.renders
    (44100, 5.8, 2)

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, **fixed):
        controls = {
            "block_size": dropdown("buffer (samples)", BLOCK_CHOICES, 256),
            "n_buffers": dropdown("buffers", BUFFER_CHOICES, 2),
            "sr": dropdown("sample rate (Hz)", SR_CHOICES, 44100),
            "voice": dropdown("voice", VOICES, "subtractive"),
        }
        self.fixed = fixed
        super().__init__(
            controls,
            self._render,
            self._draw,
            title="Latency: buffers + wait vs 10 ms; compute vs its deadline",
            figsize=(9, 2.8),
        )

    def _render(self, **values):
        return render_latency(**values, **self.fixed)

    @staticmethod
    def _draw(result, fig):
        t, b = result["timing"], result["budget"]
        a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
        block_times(t, ax=a1)
        parts = [
            (b.queue_ms, "buffers ahead", "tab:blue", None),
            (b.jitter_ms, "wait (0 .. B/sr)", "lightsteelblue", "//"),
            (b.lookahead_ms, "look-ahead", "tab:green", None),
            (b.converter_ms, "converter", "tab:purple", None),
        ]
        bottom = 0.0
        for h, label, colour, hatch in parts:
            shown = label if h > 0 else None  # a zero part (no look-ahead, say) stays out of the legend
            a2.bar([0], [h], bottom=[bottom], color=colour, hatch=hatch, edgecolor="white" if hatch else None, label=shown)
            bottom += h
        a2.scatter([0], [b.mean_ms], marker="_", s=400, color="k", zorder=3, label="mean")
        a2.bar([0.7], [b.compute_ms], 0.3, color="tab:red" if b.underrun else "tab:orange", label="compute p99")
        a2.hlines([b.period_ms], 0.5, 0.9, color="k", lw=1.5, label="deadline")
        a2.axhline(NOTICEABLE_MS, color="tab:red", ls="--", lw=1, label="10 ms")
        a2.set_xticks([0, 0.7])
        a2.set_xticklabels(["delay", "compute"], fontsize=7)
        a2.set_ylabel("ms")
        a2.set_title(f"delay {b.min_ms:.1f}-{b.max_ms:.1f} ms" + (" (noticeable)" if b.noticeable else ""), fontsize=9)
        a2.set_ylim(0, 1.8 * max(b.max_ms, b.compute_ms, NOTICEABLE_MS))  # room for the legend above the bars
        a2.legend(fontsize=6, ncol=2, loc="upper center")
        late = result["late"]
        return Frame(
            result["audio"],
            result["sr"],
            text=f"{b.n_buffers} buffers of {t.block_ms:.2f} ms: a key is heard {b.min_ms:.2f}-{b.max_ms:.2f} ms later "
            f"(mean {b.mean_ms:.2f}). Compute p50 {t.p50_ms:.3f} ms, p99 {t.p99_ms:.3f} ms of a {b.period_ms:.2f} ms "
            f"deadline (RTF {t.rtf:.4f}): {late} of {len(t.times_ms)} blocks late"
            + (" (dropouts)" if late else "")
            + ". Compute never adds delay; it only has to finish in time.",
        )
