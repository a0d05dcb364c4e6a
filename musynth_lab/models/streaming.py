"""Neural generation latency (source 3.6.2): an autoregressive sample model against a parallel decoder.

* :class:`SampleGRU` is an autoregressive model at the sample level (the family of WaveNet and
  SampleRNN): each output sample is the input of the next step, so generation runs one network
  step per sample -- 16 000 sequential steps for one second at 16 kHz, however fast the hardware.
  It is tiny (one GRU cell); real ones (WaveNet: 30 dilated layers of hundreds of channels) are
  hundreds of times more work per step, so its real-time factor is a lower bound.
* :class:`DDSPStream` streams chapter 5's :class:`~musynth_lab.models.ddsp.DDSPDecoder`: the
  network runs once per *frame* (64 samples) and the frames of a block are computed in one
  batch; its causal convolutions keep the last frames as state, so the streamed controls equal
  the one-shot :meth:`DDSPDecoder.controls` exactly. The audio is the harmonic oscillator bank
  (phase carried) and the reverb (tail carried); the filtered-noise branch is left out of the
  stream (its STFT filter in :func:`filtered_noise` looks ahead by half a window).
* :func:`accelerate` makes the TorchScript, ``torch.compile`` and dynamic int8 variants;
  :func:`neural_latency` times each and measures what the int8 one changes.

Timing needs no training: untrained weights do the same arithmetic as trained ones. The error
figures of int8 are therefore for random weights too. With a GPU (``device='cuda'``) the same
code runs there; a per-sample loop is then dominated by kernel-launch latency.

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch
from torch import nn

from ..audio import get_device
from ..errors import ParameterError, check
from ..synth import convolve
from ..synth.stream import check_block_size
from .ddsp import DDSPDecoder
from ..errors import as_rows

__all__ = [
    "SampleGRU",
    "DDSPStream",
    "accelerate",
    "time_autoregressive",
    "time_ddsp_stream",
    "neural_latency",
    "speedup_phrase",
    "neural_summary",
    "VARIANTS",
]

VARIANTS = ("eager", "script", "compile", "int8")


class SampleGRU(nn.Module):
    """A sample-level autoregressive model: ``x[n] = tanh(W h[n])``, ``h[n] = GRU(x[n-1], h[n-1])``.

    Parameters
    ----------
    hidden : int
        GRU state size.
    sr : int
        The sample rate it generates at (only for real-time factors).

    Forward
    -------
    ``generate(n_samples, h)``: ``(batch, hidden)`` state -> ``(batch, n_samples)`` audio and the
    final state, one GRU step per sample (TorchScript-compatible, so
    ``torch.jit.script(model)`` compiles the loop).

    Examples
    --------
    >>> m = SampleGRU(hidden=8)
    >>> y, h = m.generate(100, torch.zeros(1, 8))
    >>> y.shape, h.shape
    (torch.Size([1, 100]), torch.Size([1, 8]))

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, *, hidden: int = 64, sr: int = 16000, seed: int = 0):
        super().__init__()
        check(isinstance(hidden, int) and hidden > 0, "hidden", hidden, "a positive integer")
        check(isinstance(sr, int) and sr > 0, "sr", sr, "a positive integer sample rate")
        torch.manual_seed(seed)
        self.sr, self.hidden = sr, hidden
        self.cell = nn.GRUCell(1, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        """One step: previous samples ``(batch, 1)`` and state -> next samples ``(batch, 1)`` and state."""
        h = self.cell(x, h)
        return torch.tanh(self.out(h)), h

    @torch.jit.export
    def generate(self, n_samples: int, h: torch.Tensor):
        x = torch.zeros(h.shape[0], 1, device=h.device)
        out = torch.empty(h.shape[0], n_samples, device=h.device)
        for i in range(n_samples):
            h = self.cell(x, h)
            x = torch.tanh(self.out(h))
            out[:, i] = x[:, 0]
        return out, h


class DDSPStream:
    """Stream a :class:`~musynth_lab.models.ddsp.DDSPDecoder` block by block.

    Parameters
    ----------
    decoder : DDSPDecoder
    sr : int
        Must be the decoder's sample rate (its harmonic limits and reverb were built for it).

    Examples
    --------
    >>> from musynth_lab.models.ddsp import DDSPDecoder
    >>> dec = DDSPDecoder(sr=16000, hop_length=64, n_harmonics=8, hidden=16).eval()
    >>> s = DDSPStream(dec, sr=16000)
    >>> s.process(torch.full((1, 16), 220.0), torch.full((1, 16), -20.0)).shape
    torch.Size([1, 1024])

    Chapter: notebooks/06a_latency.ipynb
    """

    def __init__(self, decoder, *, sr: int):
        check(isinstance(decoder, DDSPDecoder), "decoder", decoder, "a DDSPDecoder")
        check(sr == decoder.sr, "sr", sr, f"the decoder's sample rate {decoder.sr} Hz (it was built for it)")
        self.decoder, self.sr, self.hop = decoder, sr, decoder.hop_length
        self.reset()

    def reset(self):
        """Forget everything (a new note stream)."""
        self.conv_state = None  # (B, hidden, 2 * context): the last frames seen by the convolutions
        self.last = None  # the previous frame's (f0, harmonic amplitudes)
        self.phase = None  # (B, 1) float64 cycles
        self.reverb_state = None

    def _check(self, f0_hz, loudness_db):
        if f0_hz.ndim != 2 or f0_hz.shape != loudness_db.shape or f0_hz.shape[1] < 1:
            raise ParameterError(
                f"f0_hz {tuple(f0_hz.shape)} and loudness_db {tuple(loudness_db.shape)}: "
                "expected two (batch, n_frames) tensors of the same shape"
            )

    @torch.no_grad()
    def controls(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor) -> dict:
        """The decoder's controls for the next frames ``(batch, n_frames)``, its conv state carried.

        Equal to the matching frames of ``decoder.controls`` run on the whole sequence.
        """
        self._check(f0_hz, loudness_db)
        d = self.decoder
        x = d._scale(f0_hz, loudness_db)
        h = d.inp(x).transpose(1, 2)  # (B, hidden, F)
        if self.conv_state is None:
            self.conv_state = torch.zeros(h.shape[0], h.shape[1], 2 * d.context, device=h.device, dtype=h.dtype)
        full = torch.cat([self.conv_state, h], -1)
        self.conv_state = full[..., -2 * d.context :]
        h = d.conv(full).transpose(1, 2)
        return d._controls_from(d.out(torch.cat([h, x], -1)), f0_hz)

    @torch.no_grad()
    def process(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor) -> torch.Tensor:
        """Audio for the next frames: ``(batch, n_frames)`` controls -> ``(batch, n_frames * hop)``.

        Sample ``j`` of frame ``i`` interpolates linearly from frame ``i - 1`` to frame ``i``
        (causal: no frame of the future is needed).
        """
        c = self.controls(f0_hz, loudness_db)
        d, hop = self.decoder, self.hop
        harm = c["amplitude"][..., None] * c["harmonic_distribution"]  # (B, F, K)
        B, F, K = harm.shape
        if self.last is None:
            self.last = (f0_hz[:, :1], harm[:, :1])
            self.phase = torch.zeros(B, 1, dtype=torch.float64, device=f0_hz.device)
        f_prev = torch.cat([self.last[0], f0_hz[:, :-1]], 1)  # (B, F)
        a_prev = torch.cat([self.last[1], harm[:, :-1]], 1)  # (B, F, K)
        self.last = (f0_hz[:, -1:], harm[:, -1:])
        w = torch.arange(1, hop + 1, device=f0_hz.device, dtype=f0_hz.dtype) / hop  # (hop,)
        f = (f_prev[..., None] + (f0_hz - f_prev)[..., None] * w).reshape(B, F * hop)  # (B, n)
        a = (a_prev[:, :, None] + (harm - a_prev)[:, :, None] * w[None, None, :, None]).reshape(B, F * hop, K)
        inc = f.double() / self.sr
        cyc = self.phase + torch.cumsum(inc, -1) - inc
        self.phase = (cyc[:, -1:] + inc[:, -1:]) % 1.0
        ramp = (cyc % 1.0).float()  # (B, n)
        kk = torch.arange(1, K + 1, device=f.device, dtype=f.dtype)
        audible = (kk * f[..., None] < self.sr / 2).to(a.dtype)
        y = (a * audible * torch.sin(2 * math.pi * kk * ramp[..., None])).sum(-1)
        wet, self.reverb_state = convolve(y, d.ir, state=self.reverb_state, return_state=True)
        m = c["reverb_mix"]
        return (1 - m) * y + m * wet


def accelerate(model: nn.Module, how: str):
    """A faster variant of ``model``: ``'eager'`` (itself), ``'script'`` (TorchScript),
    ``'compile'`` (``torch.compile``) or ``'int8'`` (dynamic int8 quantisation of its
    ``Linear``/``GRUCell`` layers, CPU only).

    Returns
    -------
    (module or None, str)
        The variant and ``''``, or ``None`` and why it failed (e.g. no C++ compiler for
        ``torch.compile``; the error is caught and reported, not hidden).

    Examples
    --------
    >>> m, why = accelerate(SampleGRU(hidden=8), "int8")
    >>> why, type(m.cell).__name__
    ('', 'GRUCell')

    Chapter: notebooks/06a_latency.ipynb
    """
    if how not in VARIANTS:
        raise ParameterError(f"how={how!r}: expected one of {VARIANTS}")
    try:
        if how == "eager":
            return model, ""
        if how == "script":
            return torch.jit.script(model), ""
        if how == "compile":
            return torch.compile(model, dynamic=False), ""
        with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
            warnings.simplefilter("ignore")
            # torch.ao.quantization is imported where used: only the quantised variant needs it, and it warns on import
            from torch.ao.quantization import quantize_dynamic

            return quantize_dynamic(model, {nn.Linear, nn.GRUCell}, dtype=torch.qint8), ""
    except Exception as e:  # report, do not hide, why a variant is missing
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"


def time_autoregressive(model, *, n_samples: int, sr: int, repeats: int = 3, device="cpu") -> dict:
    """Generate ``n_samples`` one step at a time; the median time and the real-time factor.

    Returns ``{'seconds', 'rtf', 'audio'}`` (``rtf`` = generation time / audio duration).

    Examples
    --------
    >>> r = time_autoregressive(SampleGRU(hidden=8), n_samples=100, sr=16000, repeats=1)
    >>> sorted(r), r["audio"].shape, r["rtf"] > 0
    (['audio', 'rtf', 'seconds'], torch.Size([1, 100]), True)

    Chapter: notebooks/06a_latency.ipynb
    """
    check(isinstance(n_samples, int) and n_samples > 0, "n_samples", n_samples, "a positive integer")
    hidden = model.hidden if hasattr(model, "hidden") else model.cell.hidden_size
    if hasattr(model, "_orig_mod"):  # torch.compile: the compiled step in a Python loop

        def gen(n: int, h):
            x = torch.zeros(h.shape[0], 1, device=h.device)
            out = torch.empty(h.shape[0], n, device=h.device)
            for i in range(n):
                x, h = model(x, h)
                out[:, i] = x[:, 0]
            return out, h
    else:
        gen = model.generate
    ts, y = [], None
    with torch.no_grad():
        gen(8, torch.zeros(1, hidden, device=device))  # warm-up (and compile)
        for _ in range(repeats):
            t0 = time.perf_counter()
            y, _ = gen(n_samples, torch.zeros(1, hidden, device=device))
            if torch.device(device).type == "cuda":
                torch.cuda.synchronize()
            ts.append(time.perf_counter() - t0)
    s = float(np.median(ts))
    return {"seconds": s, "rtf": s / (n_samples / sr), "audio": y}


def time_ddsp_stream(
    decoder, *, block_size: int = 1024, n_blocks: int = 10, repeats: int = 3, f0_hz: float = 220.0, device="cpu"
) -> dict:
    """Stream ``n_blocks`` blocks of ``block_size`` samples through ``decoder``; median time, RTF.

    ``block_size`` must be a multiple of the decoder's hop (frames are the unit of work).

    Examples
    --------
    >>> from musynth_lab.models.ddsp import DDSPDecoder
    >>> dec = DDSPDecoder(sr=16000, hop_length=64, n_harmonics=8, hidden=16).eval()
    >>> r = time_ddsp_stream(dec, block_size=256, n_blocks=2, repeats=1)
    >>> sorted(r), r["rtf"] > 0
    (['block_ms', 'rtf', 'seconds'], True)

    Chapter: notebooks/06a_latency.ipynb
    """
    block_size = check_block_size(block_size)
    hop = decoder.hop_length
    check(block_size % hop == 0, "block_size", block_size, f"a multiple of the decoder's hop {hop}")
    F = block_size // hop
    f0 = torch.full((1, F), float(f0_hz), device=device)
    loud = torch.full((1, F), -20.0, device=device)
    ts = []
    s = DDSPStream(decoder, sr=decoder.sr)
    s.process(f0, loud)  # warm-up
    for _ in range(repeats):
        s.reset()
        t0 = time.perf_counter()
        for _ in range(n_blocks):
            s.process(f0, loud)
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()
        ts.append(time.perf_counter() - t0)
    t = float(np.median(ts))
    return {"seconds": t, "block_ms": 1000.0 * t / n_blocks, "rtf": t / (n_blocks * block_size / decoder.sr)}


def neural_latency(
    *,
    sr: int,
    ar_hidden: int = 64,
    ar_samples: int = 1600,
    ddsp_hidden: int = 128,
    block_size: int = 1024,
    n_blocks: int = 8,
    variants=("eager", "script", "int8"),
    repeats: int = 3,
    device=None,
) -> list:
    """Real-time factors of the autoregressive :class:`SampleGRU` and the streamed DDSP decoder.

    For each variant in ``variants`` (see :func:`accelerate`; ``'compile'`` takes tens of seconds
    to compile on a CPU, so it is not in the default list), both models are timed; the int8
    variant also gets an error figure: the largest difference from the float model, over
    teacher-forced steps (AR: 256 one-step outputs from the same states; a free-running AR model
    would drift apart) and over the DDSP controls of 32 frames, relative to the float output's
    peak.

    Returns
    -------
    list of dict
        ``model``, ``variant``, ``rtf`` (None if the variant failed), ``speedup`` over eager,
        ``rel_error`` (int8 only), ``note`` (why a variant failed, or '').

    Examples
    --------
    >>> rows = neural_latency(sr=16000, ar_hidden=8, ar_samples=64, ddsp_hidden=16, block_size=256, n_blocks=1,
    ...                       variants=("eager",), repeats=1, device="cpu")
    >>> [(row["model"], row["variant"], row["speedup"]) for row in rows]
    [('autoregressive (SampleGRU)', 'eager', 1.0), ('parallel (DDSP stream)', 'eager', 1.0)]

    Chapter: notebooks/06a_latency.ipynb
    """
    device = torch.device(device) if device is not None else get_device()
    rows = []
    ar = SampleGRU(hidden=ar_hidden, sr=sr).eval().to(device)
    dec = DDSPDecoder(sr=sr, hop_length=64, hidden=ddsp_hidden).eval().to(device)
    base = {}
    g = torch.Generator().manual_seed(0)
    xs = torch.rand(256, 1, generator=g).to(device) * 2 - 1
    hs = torch.randn(256, ar_hidden, generator=g).to(device) * 0.5
    f0 = 110.0 * 2 ** (3 * torch.rand(1, 32, generator=g)).to(device)
    loud = (-60 + 50 * torch.rand(1, 32, generator=g)).to(device)
    for how in variants:
        for name, model in (("autoregressive (SampleGRU)", ar), ("parallel (DDSP stream)", dec)):
            if how == "int8" and device.type != "cpu":
                rows.append(
                    {
                        "model": name,
                        "variant": how,
                        "rtf": None,
                        "speedup": None,
                        "rel_error": None,
                        "note": "dynamic int8 runs on the CPU only",
                    }
                )
                continue
            if name.startswith("parallel") and how == "script":
                # the stream's Python glue stays; script the network's per-frame layers
                m = DDSPDecoder(sr=sr, hop_length=64, hidden=ddsp_hidden).eval().to(device)
                m.load_state_dict(dec.state_dict())
                try:
                    m.inp, m.conv, m.out = (torch.jit.script(m.inp), torch.jit.script(m.conv), torch.jit.script(m.out))
                    why = ""
                except Exception as e:  # pragma: no cover - reported
                    m, why = None, f"{type(e).__name__}: {e}"
            elif name.startswith("parallel") and how in ("int8", "compile"):
                m = DDSPDecoder(sr=sr, hop_length=64, hidden=ddsp_hidden).eval().to(device)
                m.load_state_dict(dec.state_dict())
                why = ""
                for part in ("inp", "conv", "out"):
                    v, w = accelerate(getattr(m, part), how)
                    if v is None:
                        m, why = None, w
                        break
                    setattr(m, part, v)
            else:
                m, why = accelerate(model, how)
            if m is None:
                rows.append({"model": name, "variant": how, "rtf": None, "speedup": None, "rel_error": None, "note": why})
                continue
            try:
                if name.startswith("auto"):
                    t = time_autoregressive(m, n_samples=ar_samples, sr=sr, repeats=repeats, device=device)
                else:
                    t = time_ddsp_stream(m, block_size=block_size, n_blocks=n_blocks, repeats=repeats, device=device)
            except Exception as e:  # e.g. torch.compile failing at the first call
                rows.append(
                    {
                        "model": name,
                        "variant": how,
                        "rtf": None,
                        "speedup": None,
                        "rel_error": None,
                        "note": f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}",
                    }
                )
                continue
            if how == "eager":
                base[name] = t["rtf"]
            err = None
            if how == "int8":
                with torch.no_grad():
                    if name.startswith("auto"):
                        ref, out = ar(xs, hs)[0], m(xs, hs)[0]
                    else:
                        ref = DDSPStream(dec, sr=sr).controls(f0, loud)["harmonic_distribution"]
                        out = DDSPStream(m, sr=sr).controls(f0, loud)["harmonic_distribution"]
                err = float((out - ref).abs().max() / ref.abs().max())
            rows.append(
                {
                    "model": name,
                    "variant": how,
                    "rtf": t["rtf"],
                    "speedup": base[name] / t["rtf"] if name in base else None,
                    "rel_error": err,
                    "note": "",
                }
            )
    return rows


def speedup_phrase(speedup, *, tol: float = 0.1) -> str:
    """A measured speed-up (time of the reference / time of the variant) in words.

    Within ``tol`` of 1 it is "about as fast"; below, the slow-down is given as its inverse
    (a speed-up of 0.45 is "2.2x slower"); ``None`` (a variant that did not run) is "not measured".

    Examples
    --------
    >>> speedup_phrase(3.0), speedup_phrase(0.45), speedup_phrase(1.04), speedup_phrase(None)
    ('3.0x faster', '2.2x slower', 'about as fast (1.04x)', 'not measured')

    Chapter: notebooks/06a_latency.ipynb
    """
    if speedup is None:
        return "not measured"
    check(
        isinstance(speedup, (int, float, np.floating)) and math.isfinite(speedup) and speedup > 0,
        "speedup",
        speedup,
        "a positive finite ratio",
    )
    check(isinstance(tol, (int, float)) and 0 <= tol < 1, "tol", tol, "a tolerance in [0, 1)")
    if speedup >= 1 + tol:
        return f"{speedup:.1f}x faster"
    if speedup <= 1 / (1 + tol):
        return f"{1 / speedup:.1f}x slower"
    return f"about as fast ({speedup:.2f}x)"


def neural_summary(rows) -> str:
    """What :func:`neural_latency`'s rows show, as Markdown sentences formatted from the measured values.

    Says the real-time factor of each model (and whether it keeps up, with what margin), how many
    times the parallel decoder beats the autoregressive one, and what each accelerated variant
    bought (:func:`speedup_phrase`) and, for int8, changed.

    Examples
    --------
    >>> rows = [
    ...     {"model": "autoregressive (SampleGRU)", "variant": "eager", "rtf": 0.8, "speedup": 1.0, "rel_error": None},
    ...     {"model": "parallel (DDSP stream)", "variant": "eager", "rtf": 0.004, "speedup": 1.0, "rel_error": None},
    ...     {"model": "autoregressive (SampleGRU)", "variant": "int8", "rtf": 1.76, "speedup": 0.45, "rel_error": 0.01},
    ... ]
    >>> s = neural_summary(rows)
    >>> "RTF 0.80" in s, "200.0x faster" in s, "2.2x slower" in s
    (True, True, True)

    Chapter: notebooks/06a_latency.ipynb
    """
    rows = as_rows(rows, "rows")
    need = {"model", "variant", "rtf", "speedup", "rel_error"}
    check(all(need <= set(r) for r in rows), "rows", rows, f"neural_latency rows with {sorted(need)}")
    by = {(r["model"].split()[0], r["variant"]): r for r in rows}
    out = []
    for model, name in (("autoregressive", "The sample-level GRU"), ("parallel", "The DDSP stream")):
        r = by.get((model, "eager"))
        if r is None or r["rtf"] is None:
            continue
        rtf = r["rtf"]
        verdict = (
            f"keeps up with {100 * (1 - rtf):.0f} % of each period to spare"
            if rtf < 1
            else f"is {rtf:.1f}x slower than real time: every block misses its deadline, whatever the block size"
        )
        out.append(f"{name} runs at RTF {rtf:.2f}" + ("" if rtf >= 0.01 else f" ({rtf:.4f})") + f": it {verdict}.")
    a, p = by.get(("autoregressive", "eager")), by.get(("parallel", "eager"))
    if a and p and a["rtf"] and p["rtf"]:
        out.append(f"Against the autoregressive model, the parallel decoder was {speedup_phrase(a['rtf'] / p['rtf'])}.")
    for variant, what in (("script", "TorchScript"), ("compile", "torch.compile"), ("int8", "Dynamic int8 quantisation")):
        parts = []
        for model in ("autoregressive", "parallel"):
            r = by.get((model, variant))
            if r is None:
                continue
            err = (
                f", changing its output by up to {100 * r['rel_error']:.2f} % of the peak"
                if r.get("rel_error") is not None
                else ""
            )
            parts.append(f"{speedup_phrase(r['speedup'])} for the {model} model{err}")
        if parts:
            out.append(f"{what} was " + "; ".join(parts) + ".")
    return " ".join(out)
