"""Oscillators: sine, band-limited saw / square / triangle, noise, wavetable.

All oscillators are batch-first: they return ``(batch, n_samples)`` float32 tensors on the
device of their inputs (or ``device=``). Frequency may be a number, a ``(batch,)`` tensor
or a ``(batch, n_samples)`` control (glide, vibrato, FM). The phase is accumulated in
float64 and can be carried from one call to the next (``phase=`` in, ``return_phase=True``
out) so consecutive blocks join without a click.

Band limiting (3 methods, ``method=``):

* ``'polyblep'``: the naive waveform with a 2-sample polynomial correction at each
  discontinuity (PolyBLEP; PolyBLAMP for the triangle's corners). Cheap; high notes keep
  some aliasing.
* ``'additive'``: the Fourier series summed up to the Nyquist frequency, sample by sample
  (a harmonic whose frequency is above Nyquist at that sample is left out): no aliasing.
* ``'auto'`` (default): additive when the lowest frequency leaves at most
  ``max_additive`` harmonics below Nyquist (high notes, where PolyBLEP aliases most),
  PolyBLEP otherwise.
* ``'naive'``: no band limiting, for comparison.

``'auto'`` decides per call, so a stream whose pitch crosses the threshold between blocks
would switch method mid-stream; a streaming engine should name ``'polyblep'`` or
``'additive'`` explicitly (both carry their phase across calls exactly).

Helpers the other synth modules share (public, not in ``__all__``): :data:`METHODS` (the
``method=`` names), :func:`device_of`, :func:`ramp_from_increment` (the unchecked core of
:func:`phase_ramp`) and :func:`blep_residual` (the PolyBLEP correction).

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math

import torch

from ..errors import ParameterError
from ._util import TWO_PI, batch_of, check_n_samples, check_sr, param

__all__ = [
    "phase_ramp",
    "sine",
    "saw",
    "square",
    "triangle",
    "white_noise",
    "pink_noise",
    "make_wavetable",
    "wavetable",
    "oscillator",
    "SHAPES",
]

SHAPES = ("sine", "saw", "square", "triangle")
METHODS = ("auto", "polyblep", "additive", "naive")


def device_of(device, *tensors):
    """The device to compute on: ``device`` if given, else that of the first tensor among ``tensors``, else the CPU."""
    if device is not None:
        return torch.device(device)
    for t in tensors:
        if isinstance(t, torch.Tensor):
            return t.device
    return torch.device("cpu")


def phase_ramp(freq_hz, *, n_samples: int, sr: int, phase=0.0, device=None):
    """The oscillator phase in cycles, wrapped to [0, 1), and the phase to start the next block.

    Sample ``n`` has phase ``phase + sum_{m<n} f[m] / sr`` (float64 accumulation, so a long
    signal does not drift); the returned end phase is where sample ``n_samples`` would be.

    Parameters
    ----------
    freq_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Instantaneous frequency in Hz; it may be negative (through-zero FM) but must be finite.
    n_samples : int
    sr : int
        Sample rate in Hz.
    phase : float or Tensor [shape=(batch,)]
        Starting phase in cycles.

    Returns
    -------
    ramp : Tensor [shape=(batch, n_samples)], float32 in [0, 1)
    end_phase : Tensor [shape=(batch,)], float64 in [0, 1)
    inc : Tensor [shape=(batch or 1, n_samples or 1)], float32, the per-sample increment f / sr

    Examples
    --------
    >>> ramp, end, _ = phase_ramp(1000.0, n_samples=8, sr=8000)
    >>> ramp[0].tolist(), float(end[0])
    ([0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875], 0.0)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    sr = check_sr(sr)
    n_samples = check_n_samples(n_samples)
    dev = device_of(device, freq_hz, phase)
    f = param(freq_hz, "freq_hz", device=dev, n_samples=n_samples, per_sample=True)
    p0 = param(phase, "phase", device=dev)
    b = batch_of(freq_hz=f, phase=p0)
    inc = f / sr
    ramp, end = ramp_from_increment(inc, n_samples, p0.double().expand(b, 1))
    return ramp, end.detach(), inc


def ramp_from_increment(inc, n_samples: int, start):
    """Unchecked core of :func:`phase_ramp`: ``inc`` (b or 1, n or 1) float32, ``start`` (b, 1) float64."""
    b = start.shape[0]
    dev = inc.device
    L = _PHASE_BLOCK
    C = -(-n_samples // L)
    j = torch.arange(L, device=dev, dtype=torch.float32)
    if inc.shape[-1] == 1:
        # constant frequency: phase(c L + j) = p0 + c L inc + j inc; the block starts are
        # reduced modulo 1 in float64, the in-block part j * inc is small, so float32 is exact enough
        incd = inc.double().expand(b, 1)
        starts = start + torch.arange(C, device=dev, dtype=torch.float64)[None] * (L * incd)  # (b, C)
        starts = (starts - torch.floor(starts)).float()
        ph = starts[..., None] + j * inc.expand(b, 1)[..., None]  # (b, C, L)
        end = start[:, 0] + n_samples * incd[:, 0]
    else:
        # per-sample frequency: float32 running sums inside blocks of 512 samples (at most
        # 256 cycles, so about 1e-5 cycle of rounding), float64 sums between blocks
        x = torch.nn.functional.pad(inc.expand(b, n_samples), (0, C * L - n_samples)).reshape(b, C, L)
        within = torch.cumsum(x, dim=-1)
        totals = within[..., -1].double()  # (b, C)
        offsets = start + torch.cumsum(totals, dim=-1) - totals  # phase at each block start
        offsets = (offsets - torch.floor(offsets)).float()
        ph = (within - x) + offsets[..., None]
        end = start[:, 0] + totals.sum(-1)  # the padding adds zero increments
    ramp = torch.remainder(ph, 1.0).reshape(b, C * L)[:, :n_samples]
    ramp = ramp.clamp(max=1.0 - 2.0**-24)  # float32 rounding of 0.99999999 to 1.0
    end = end - torch.floor(end)
    return ramp, end


_PHASE_BLOCK = 512


def _finish(y, end, return_phase):
    return (y, end) if return_phase else y


def sine(freq_hz, *, n_samples: int, sr: int, phase=0.0, amplitude=1.0, device=None, return_phase: bool = False):
    """A sine wave ``amplitude * sin(2 pi phase)``.

    Parameters
    ----------
    freq_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Frequency in Hz (per item or per sample).
    n_samples : int
    sr : int
        Sample rate in Hz.
    phase : float or Tensor [shape=(batch,)]
        Starting phase in cycles (carry ``end_phase`` from the previous block).
    amplitude : float or Tensor [shape=(batch,) or (batch, n_samples)]
    return_phase : bool
        Also return the end phase ``(batch,)`` for the next block.

    Returns
    -------
    Tensor [shape=(batch, n_samples)], float32 (and the end phase when asked)

    Examples
    --------
    >>> y = sine(440.0, n_samples=16000, sr=16000)
    >>> y.shape, int(torch.fft.rfft(y[0]).abs().argmax())
    (torch.Size([1, 16000]), 440)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    ramp, end, _ = phase_ramp(freq_hz, n_samples=n_samples, sr=sr, phase=phase, device=device)
    amp = param(amplitude, "amplitude", device=ramp.device, n_samples=n_samples, per_sample=True)
    batch_of(freq_hz=ramp, amplitude=amp)
    return _finish(amp * torch.sin(TWO_PI * ramp), end, return_phase)


def blep_residual(t, dt):
    """PolyBLEP residual for a unit downward step at t = 0 (t in cycles, dt = f / sr).

    ``-(1 - t/dt)**2`` just after the step, ``(1 - (1 - t)/dt)**2`` just before it, else 0.
    """
    inv = 1.0 / dt.clamp(min=1e-9)
    after = (1.0 - t * inv).clamp(min=0.0)
    before = (1.0 - (1.0 - t) * inv).clamp(min=0.0)
    return before * before - after * after


def _blamp(t, dt):
    """PolyBLAMP residual (integrated PolyBLEP) for a unit slope change at t = 0, in units of dt."""
    dt = dt.clamp(min=1e-9)
    x1 = t / dt - 1.0
    x2 = (t - 1.0) / dt + 1.0
    before = -(x1**3) / 3.0
    after = (x2**3) / 3.0
    return torch.where(t < dt, before, torch.where(t > 1.0 - dt, after, torch.zeros_like(t)))


def _choose(method, inc, sr, max_additive):
    if method not in METHODS:
        raise ParameterError(f"method={method!r}: expected one of {METHODS}")
    if method != "auto":
        return method
    fmin = float(inc.detach().abs().min()) * sr
    if fmin <= 0:
        return "polyblep"
    return "additive" if (sr / 2) / fmin <= max_additive else "polyblep"


def _additive(shape, ramp, inc, pulse_width=None, max_harmonics: int = 512):
    """Fourier series of a shape, harmonics above Nyquist (per sample) left out."""
    f_abs = inc.abs().clamp(min=1e-9)  # cycles per sample
    k_max = int(min(max_harmonics, math.floor(0.5 / float(f_abs.detach().min()))))
    y = torch.zeros_like(ramp)
    for k in range(1, max(k_max, 1) + 1):
        keep = (k * f_abs < 0.5).to(ramp.dtype)
        if shape == "saw":
            # 2/pi * sum (-1)^(k+1) sin(2 pi k t) / k  is the ramp 2t-1 shifted by half a period;
            # written for phase t in [0,1): saw(t) = 2t - 1 = -(2/pi) sum sin(2 pi k t) / k
            y = y - keep * (2.0 / math.pi) * torch.sin(TWO_PI * k * ramp) / k
        elif shape == "square":
            # pulse of width w: 2w - 1 + (4/pi) sum sin(pi k w) cos(2 pi k (t - w/2)) / k
            w = pulse_width
            y = y + keep * (4.0 / math.pi) * torch.sin(math.pi * k * w) * torch.cos(TWO_PI * k * (ramp - w / 2)) / k
        elif shape == "triangle":
            if k % 2 == 1:
                # triangle 4|t - 1/2| - 1 = (8/pi^2) sum_{k odd} cos(2 pi k t) / k^2
                y = y + keep * (8.0 / math.pi**2) * torch.cos(TWO_PI * k * ramp) / k**2
    if shape == "square":
        y = y + (2.0 * pulse_width - 1.0)
    return y


def saw(
    freq_hz,
    *,
    n_samples: int,
    sr: int,
    phase=0.0,
    amplitude=1.0,
    method: str = "auto",
    max_additive: int = 64,
    device=None,
    return_phase: bool = False,
):
    """A band-limited sawtooth rising from -1 to 1 once per cycle (all harmonics, ``1/k``).

    Parameters
    ----------
    freq_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Frequency in Hz.
    n_samples : int
    sr : int
        Sample rate in Hz.
    phase : float or Tensor [shape=(batch,)]
        Starting phase in cycles.
    amplitude : float or Tensor
    method : {'auto', 'polyblep', 'additive', 'naive'}
        Band limiting (see the module docstring).
    max_additive : int
        ``'auto'`` sums the Fourier series when it needs at most this many harmonics.
    return_phase : bool

    Returns
    -------
    Tensor [shape=(batch, n_samples)], float32

    Examples
    --------
    >>> y = saw(5000.0, n_samples=44100, sr=44100)      # 4 harmonics below Nyquist, no alias
    >>> spec = torch.fft.rfft(y[0]).abs()
    >>> float(spec[:4990].max() / spec[5000]) < 1e-4
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    ramp, end, inc = phase_ramp(freq_hz, n_samples=n_samples, sr=sr, phase=phase, device=device)
    amp = param(amplitude, "amplitude", device=ramp.device, n_samples=n_samples, per_sample=True)
    batch_of(freq_hz=ramp, amplitude=amp)
    m = _choose(method, inc, sr, max_additive)
    if m == "additive":
        y = _additive("saw", ramp, inc)
    else:
        y = 2.0 * ramp - 1.0
        if m == "polyblep":
            y = y - blep_residual(ramp, inc.abs())
    return _finish(amp * y, end, return_phase)


def square(
    freq_hz,
    *,
    n_samples: int,
    sr: int,
    pulse_width=0.5,
    phase=0.0,
    amplitude=1.0,
    method: str = "auto",
    max_additive: int = 64,
    device=None,
    return_phase: bool = False,
):
    """A band-limited pulse wave: +1 for the first ``pulse_width`` of each cycle, -1 after.

    ``pulse_width=0.5`` is the square wave (odd harmonics only). Its mean is
    ``2 * pulse_width - 1``.

    Parameters
    ----------
    freq_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
    n_samples : int
    sr : int
    pulse_width : float or Tensor [shape=(batch,) or (batch, n_samples)]
        Duty cycle in (0, 1) (pulse-width modulation when per sample).
    phase, amplitude, method, max_additive, return_phase
        As in :func:`saw`.

    Returns
    -------
    Tensor [shape=(batch, n_samples)], float32

    Examples
    --------
    >>> y = square(100.0, n_samples=16000, sr=16000)
    >>> spec = torch.fft.rfft(y[0]).abs()
    >>> float(spec[200] / spec[100]) < 0.01, round(float(spec[300] / spec[100]), 2)   # odd harmonics, 1/k
    (True, 0.33)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    ramp, end, inc = phase_ramp(freq_hz, n_samples=n_samples, sr=sr, phase=phase, device=device)
    pw = param(
        pulse_width,
        "pulse_width",
        lo=0.0,
        hi=1.0,
        lo_open=True,
        hi_open=True,
        device=ramp.device,
        n_samples=n_samples,
        per_sample=True,
    )
    amp = param(amplitude, "amplitude", device=ramp.device, n_samples=n_samples, per_sample=True)
    batch_of(freq_hz=ramp, pulse_width=pw, amplitude=amp)
    m = _choose(method, inc, sr, max_additive)
    if m == "additive":
        y = _additive("square", ramp, inc, pulse_width=pw)
    else:
        y = torch.where(ramp < pw, 1.0, -1.0).to(ramp.dtype)
        if m == "polyblep":
            dt = inc.abs()
            # up-step of +2 at t = 0, down-step of -2 at t = pw (PolyBLEP corrections)
            t2 = ramp - pw
            t2 = t2 - torch.floor(t2)
            y = y + blep_residual(ramp, dt) - blep_residual(t2, dt)
    return _finish(amp * y, end, return_phase)


def triangle(
    freq_hz,
    *,
    n_samples: int,
    sr: int,
    phase=0.0,
    amplitude=1.0,
    method: str = "auto",
    max_additive: int = 64,
    device=None,
    return_phase: bool = False,
):
    """A band-limited triangle ``4|t - 1/2| - 1``: odd harmonics falling as ``1/k^2``.

    Parameters and returns as in :func:`saw`; ``'polyblep'`` uses PolyBLAMP corrections at
    the two corners.

    Examples
    --------
    >>> y = triangle(100.0, n_samples=16000, sr=16000)
    >>> spec = torch.fft.rfft(y[0]).abs()
    >>> round(float(spec[300] / spec[100]), 3)      # 1/9
    0.111

    Chapter: notebooks/01a_synthesis.ipynb
    """
    ramp, end, inc = phase_ramp(freq_hz, n_samples=n_samples, sr=sr, phase=phase, device=device)
    amp = param(amplitude, "amplitude", device=ramp.device, n_samples=n_samples, per_sample=True)
    batch_of(freq_hz=ramp, amplitude=amp)
    m = _choose(method, inc, sr, max_additive)
    if m == "additive":
        y = _additive("triangle", ramp, inc)
    else:
        y = 4.0 * (ramp - 0.5).abs() - 1.0
        if m == "polyblep":
            dt = inc.abs()
            t2 = ramp + 0.5
            t2 = t2 - torch.floor(t2)
            # slope jumps by +8 per cycle at t = 1/2 and by -8 at t = 0; the 2-sample PolyBLAMP
            # residual is scaled by half the slope change per sample (8 dt / 2)
            y = y + 4.0 * dt * (_blamp(t2, dt) - _blamp(ramp, dt))
    return _finish(amp * y, end, return_phase)


def oscillator(shape: str, freq_hz, *, n_samples: int, sr: int, **kw):
    """Dispatch to :func:`sine`, :func:`saw`, :func:`square` or :func:`triangle` by name.

    Examples
    --------
    >>> oscillator("triangle", 220.0, n_samples=100, sr=8000).shape
    torch.Size([1, 100])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    table = {"sine": sine, "saw": saw, "square": square, "triangle": triangle}
    if shape not in table:
        raise ParameterError(f"shape={shape!r}: expected one of {SHAPES}")
    if shape == "sine":
        kw.pop("method", None)
        kw.pop("max_additive", None)
        kw.pop("pulse_width", None)
    if shape in ("saw", "triangle"):
        kw.pop("pulse_width", None)
    return table[shape](freq_hz, n_samples=n_samples, sr=sr, **kw)


def _generator(seed, device):
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def white_noise(*, n_samples: int, batch: int = 1, amplitude=1.0, seed: int | None = None, device=None):
    """Uniform white noise in [-amplitude, amplitude): flat spectrum, never above full scale.

    Parameters
    ----------
    n_samples : int
    batch : int
    amplitude : float or Tensor [shape=(batch,)]
    seed : int, optional
        A seed for a private generator (reproducible without touching the global state).

    Returns
    -------
    Tensor [shape=(batch, n_samples)]

    Examples
    --------
    >>> y = white_noise(n_samples=1000, batch=2, seed=0)
    >>> y.shape, float(y.abs().max()) <= 1.0
    (torch.Size([2, 1000]), True)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    n_samples = check_n_samples(n_samples)
    batch = check_n_samples(batch, "batch")
    dev = device_of(device, amplitude)
    amp = param(amplitude, "amplitude", device=dev)
    gen = _generator(seed, dev) if seed is not None else None
    u = torch.rand(batch, n_samples, generator=gen, device=dev)
    return amp * (2.0 * u - 1.0)


def pink_noise(*, n_samples: int, batch: int = 1, amplitude=1.0, seed: int | None = None, device=None):
    """Pink (1/f) noise: power falls 3 dB per octave; scaled to a peak of ``amplitude``.

    Gaussian white noise is shaped by ``1/sqrt(f)`` in the frequency domain (DC removed),
    then each item is scaled so its peak is ``amplitude``.

    Examples
    --------
    >>> y = pink_noise(n_samples=4096, seed=1)
    >>> y.shape, round(float(y.abs().max()), 4)
    (torch.Size([1, 4096]), 1.0)

    Chapter: notebooks/01a_synthesis.ipynb
    """
    n_samples = check_n_samples(n_samples)
    batch = check_n_samples(batch, "batch")
    dev = device_of(device, amplitude)
    amp = param(amplitude, "amplitude", device=dev)
    gen = _generator(seed, dev) if seed is not None else None
    w = torch.randn(batch, n_samples, generator=gen, device=dev)
    spec = torch.fft.rfft(w)
    k = torch.arange(spec.shape[-1], device=dev, dtype=torch.float32)
    shape = torch.where(k > 0, 1.0 / torch.sqrt(k.clamp(min=1.0)), torch.zeros_like(k))
    y = torch.fft.irfft(spec * shape, n=n_samples)
    y = y / y.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12)
    return amp * y


def make_wavetable(harmonics, *, size: int = 2048, normalize: bool = True):
    """A single-cycle table from harmonic amplitudes (sine partials, harmonic 1 first).

    Parameters
    ----------
    harmonics : sequence of float or Tensor [shape=(n_tables, n_harmonics)]
        Amplitude of each harmonic; several rows make several tables (to morph between).
    size : int
        Table length in samples.
    normalize : bool
        Scale each table to a peak of 1.

    Returns
    -------
    Tensor [shape=(n_tables, size)]

    Examples
    --------
    >>> make_wavetable([1.0, 0.5]).shape
    torch.Size([1, 2048])

    Chapter: notebooks/01a_synthesis.ipynb
    """
    size = check_n_samples(size, "size")
    h = harmonics if isinstance(harmonics, torch.Tensor) else torch.as_tensor(harmonics, dtype=torch.float32)
    h = h.float()
    if h.ndim == 1:
        h = h[None]
    if h.ndim != 2 or h.shape[1] == 0 or not bool(torch.isfinite(h).all()):
        raise ParameterError(f"harmonics has shape {tuple(h.shape)}: expected finite (n_tables, n_harmonics) amplitudes")
    if h.shape[1] >= size // 2:
        raise ParameterError(f"harmonics has {h.shape[1]} harmonics: expected fewer than size/2 = {size // 2}")
    t = torch.arange(size, dtype=torch.float32, device=h.device) / size
    k = torch.arange(1, h.shape[1] + 1, dtype=torch.float32, device=h.device)
    table = h @ torch.sin(TWO_PI * k[:, None] * t[None, :])
    if normalize:
        table = table / table.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12)
    return table


def wavetable(
    table, freq_hz, *, n_samples: int, sr: int, position=0.0, phase=0.0, amplitude=1.0, device=None, return_phase: bool = False
):
    """Play single-cycle tables at ``freq_hz``, morphing between them by ``position``.

    Each sample reads the table at the oscillator phase with linear interpolation; with
    several tables, ``position`` in [0, 1] (per item or per sample) crossfades between
    neighbouring tables (wavetable scanning). The tables should be band-limited for the
    pitch played (see :func:`make_wavetable`).

    Parameters
    ----------
    table : Tensor [shape=(size,) or (n_tables, size)]
    freq_hz : float or Tensor [shape=(batch,) or (batch, n_samples)]
    n_samples : int
    sr : int
    position : float or Tensor [shape=(batch,) or (batch, n_samples)]
    phase, amplitude, return_phase
        As in :func:`sine`.

    Returns
    -------
    Tensor [shape=(batch, n_samples)]

    Examples
    --------
    >>> tab = make_wavetable([1.0])
    >>> y = wavetable(tab, 100.0, n_samples=800, sr=8000)
    >>> float((y - sine(100.0, n_samples=800, sr=8000)).abs().max()) < 1e-3
    True

    Chapter: notebooks/01a_synthesis.ipynb
    """
    ramp, end, _ = phase_ramp(freq_hz, n_samples=n_samples, sr=sr, phase=phase, device=device)
    tab = table if isinstance(table, torch.Tensor) else torch.as_tensor(table, dtype=torch.float32)
    tab = tab.float().to(ramp.device)
    if tab.ndim == 1:
        tab = tab[None]
    if tab.ndim != 2 or tab.shape[1] < 2 or not bool(torch.isfinite(tab).all()):
        raise ParameterError(f"table has shape {tuple(tab.shape)}: expected finite (n_tables, size >= 2)")
    pos = param(position, "position", lo=0.0, hi=1.0, device=ramp.device, n_samples=n_samples, per_sample=True)
    amp = param(amplitude, "amplitude", device=ramp.device, n_samples=n_samples, per_sample=True)
    b = batch_of(freq_hz=ramp, position=pos)
    n_tab, size = tab.shape
    x = ramp.expand(b, n_samples) * size
    i0 = torch.floor(x).long() % size
    frac = x - torch.floor(x)
    i1 = (i0 + 1) % size
    ext = torch.cat([tab, tab[-1:]], dim=0)  # guard row for position = 1
    row = pos.expand(b, n_samples) * (n_tab - 1)
    r0 = torch.floor(row).long().clamp(max=n_tab - 1)
    rf = row - r0
    flat = ext.reshape(-1)

    def read(r, i):
        return flat[r * size + i]

    a = read(r0, i0) * (1 - frac) + read(r0, i1) * frac
    c = read(r0 + 1, i0) * (1 - frac) + read(r0 + 1, i1) * frac
    y = a * (1 - rf) + c * rf
    return _finish(amp * y, end, return_phase)
