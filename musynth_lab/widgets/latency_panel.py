"""LatencyPanel: buffer size and sample rate -> measured block times, RTF, the latency budget, the streamed note.

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
VOICES = ("subtractive", "fm")


def render_latency(
    *,
    block_size: int = 256,
    sr: int = 44100,
    voice: str = "subtractive",
    midi_f0: float = 57.0,
    seconds: float = 0.6,
    lookahead_ms: float = 0.0,
):
    """Stream one note block by block and measure it: the pure function behind the panel.

    Parameters
    ----------
    block_size, sr : int
        Buffer size (samples) and sample rate (Hz).
    voice : {'subtractive', 'fm'}
    midi_f0 : float
    seconds : float
        Audio streamed (and timed): the note is released at 60 % of it.
    lookahead_ms : float

    Returns
    -------
    dict with ``timing`` (:class:`~musynth_lab.latency.BlockTiming`), ``budget``
    (:class:`~musynth_lab.latency.LatencyBudget`, compute = p99), ``audio`` (np.ndarray), ``sr``.

    Examples
    --------
    >>> r = render_latency(block_size=128, sr=16000, seconds=0.1)
    >>> r["budget"].buffer_ms, r["audio"].shape
    (8.0, (1664,))

    Chapter: notebooks/06a_latency.ipynb
    """
    block_size, sr = check_block_size(block_size), check_sr(sr)
    check(voice in VOICES, "voice", voice, f"one of {VOICES}")
    check(isinstance(seconds, (int, float)) and 0 < seconds <= 10, "seconds", seconds, "a duration in (0, 10] s")
    v = SubtractiveVoice() if voice == "subtractive" else FMVoice()
    n_blocks = max(4, math.ceil(seconds * sr / block_size))
    s = VoiceStream(
        v, sr=sr, midi_f0=float(midi_f0), note_off=round(0.6 * seconds, 3), **({"release": 0.2} if voice == "subtractive" else {})
    )
    out = []
    timing = time_blocks(lambda n: out.append(s.process(n)), block_size=block_size, sr=sr, n_blocks=n_blocks, warmup=0)
    budget = latency_budget(block_size, sr=sr, compute_ms=timing.p99_ms, lookahead_ms=lookahead_ms)
    return {"timing": timing, "budget": budget, "audio": np.concatenate(out), "sr": sr}


class LatencyPanel(Panel):
    """Pick a buffer size and a sample rate; see the measured block times and the budget against 10 ms; hear the note.

    Parameters
    ----------
    **fixed
        Passed to :func:`render_latency` (``midi_f0``, ``seconds``, ``lookahead_ms``).

    Examples
    --------
    >>> panel = LatencyPanel(seconds=0.1)
    >>> panel.controls["block_size"].value = 128
    >>> panel.controls["sr"].value, round(panel.result["budget"].buffer_ms, 2), panel.renders
    (44100, 2.9, 2)

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, **fixed):
        controls = {
            "block_size": dropdown("buffer (samples)", BLOCK_CHOICES, 256),
            "sr": dropdown("sample rate (Hz)", SR_CHOICES, 44100),
            "voice": dropdown("voice", VOICES, "subtractive"),
        }
        self.fixed = fixed
        super().__init__(controls, self._render, self._draw, title="Latency: buffer + compute vs 10 ms", figsize=(9, 2.6))

    def _render(self, **values):
        return render_latency(**values, **self.fixed)

    @staticmethod
    def _draw(result, fig):
        t, b = result["timing"], result["budget"]
        a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
        block_times(t, ax=a1)
        a2.bar([0], [b.buffer_ms], color="tab:blue", label="buffer")
        a2.bar([0], [b.lookahead_ms], bottom=[b.buffer_ms], color="tab:green", label="look-ahead")
        a2.bar([0], [b.compute_ms], bottom=[b.buffer_ms + b.lookahead_ms], color="tab:orange", label="compute p99")
        a2.axhline(NOTICEABLE_MS, color="tab:red", ls="--", lw=1, label="10 ms")
        a2.set_xticks([])
        a2.set_ylabel("ms")
        a2.set_title(f"budget {b.total_ms:.2f} ms" + (" (noticeable)" if b.noticeable else ""))
        a2.legend(fontsize=7)
        return Frame(
            result["audio"],
            result["sr"],
            text=f"p50 {t.p50_ms:.3f} ms, p99 {t.p99_ms:.3f} ms per block of {t.block_ms:.2f} ms; RTF {t.rtf:.4f}",
        )
