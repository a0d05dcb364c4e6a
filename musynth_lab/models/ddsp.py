"""A DDSP-style audio decoder: f0 and loudness in, harmonic + filtered-noise + reverb audio out.

Engel et al., *DDSP: Differentiable Digital Signal Processing* (ICLR 2020). A small network
turns frame-level controls (f0 in Hz and loudness in dB, both measured with chapter 3's
features) into synthesiser controls in physical units (DDSP's ``get_controls``): an overall
amplitude, a distribution over ``n_harmonics`` harmonics, and the magnitudes of a
filtered-noise band filter. Chapter 1's modules then make the audio (``get_signal``):
:func:`musynth_lab.synth.phase_ramp` drives the harmonic bank, white noise is shaped in the
STFT domain, and :func:`musynth_lab.synth.convolution_reverb` adds a learned amount of room.
Because every step is differentiable, the network is trained end to end on a
multi-resolution spectral loss (:func:`musynth_lab.synth.multi_resolution_stft_loss`).

Chapter: notebooks/05_synthesis.ipynb
"""

from __future__ import annotations

import math

import numpy as np  # noqa: F401  (the doctests use it)
import torch
from torch import nn

from .. import features
from ..audio import amplitude_to_db, as_audio, get_device, to_tensor
from ..errors import ParameterError, check
from ..synth import convolution_reverb, multi_resolution_stft_loss, phase_ramp, synthetic_ir, white_noise

__all__ = [
    "exp_sigmoid",
    "harmonic_synth",
    "filtered_noise",
    "DDSPDecoder",
    "ddsp_controls",
    "harmonic_template",
    "ddsp_loss",
    "timbre_transfer",
]


def exp_sigmoid(x: torch.Tensor, *, exponent: float = 10.0, max_value: float = 2.0, threshold: float = 1e-7):
    """DDSP's positive squashing ``max_value * sigmoid(x) ** log(exponent) + threshold``.

    Examples
    --------
    >>> y = exp_sigmoid(torch.tensor([-20.0, 0.0, 20.0]))
    >>> [round(float(v), 4) for v in y]                 # positive, at most max_value
    [0.0, 0.4054, 2.0]

    Chapter: notebooks/05_synthesis.ipynb
    """
    return max_value * torch.sigmoid(x) ** math.log(exponent) + threshold


def _upsample(x: torch.Tensor, n_samples: int) -> torch.Tensor:
    """Frame controls ``(B, C, F)`` -> per-sample ``(B, C, n_samples)`` by linear interpolation."""
    return nn.functional.interpolate(x, size=n_samples, mode="linear", align_corners=True)


def harmonic_synth(f0_hz: torch.Tensor, amplitudes: torch.Tensor, *, sr: int) -> torch.Tensor:
    """A bank of harmonic sinusoids: ``sum_k a_k(t) sin(2 pi k phi(t))``, harmonics above Nyquist silenced.

    Parameters
    ----------
    f0_hz : Tensor [shape=(batch, n_samples)]
        Fundamental frequency per sample, in Hz.
    amplitudes : Tensor [shape=(batch, n_harmonics, n_samples)]
        Linear amplitude of harmonic ``k = 1 .. n_harmonics`` per sample.
    sr : int

    Returns
    -------
    Tensor [shape=(batch, n_samples)]

    Examples
    --------
    >>> f0 = torch.full((1, 16000), 440.0); a = torch.zeros(1, 3, 16000); a[:, 1] = 1.0
    >>> y = harmonic_synth(f0, a, sr=16000); int(torch.fft.rfft(y[0]).abs().argmax())  # 2nd harmonic
    880

    Chapter: notebooks/05_synthesis.ipynb
    """
    check(f0_hz.ndim == 2, "f0_hz", f0_hz, "a (batch, n_samples) tensor")
    check(
        amplitudes.ndim == 3 and amplitudes.shape[0] == f0_hz.shape[0] and amplitudes.shape[2] == f0_hz.shape[1],
        "amplitudes",
        amplitudes,
        f"a (batch, n_harmonics, n_samples) tensor matching f0_hz {tuple(f0_hz.shape)}",
    )
    n = f0_hz.shape[1]
    ramp, _, _ = phase_ramp(f0_hz, n_samples=n, sr=sr)  # (B, n) in [0, 1)
    k = torch.arange(1, amplitudes.shape[1] + 1, device=f0_hz.device, dtype=f0_hz.dtype)[None, :, None]
    audible = (k * f0_hz[:, None, :] < sr / 2).to(amplitudes.dtype)  # (B, K, n)
    return (amplitudes * audible * torch.sin(2 * math.pi * k * ramp[:, None, :])).sum(1)


def filtered_noise(magnitudes: torch.Tensor, *, n_samples: int, n_fft: int = 256, seed: int | None = None):
    """White noise shaped by time-varying band magnitudes, in the STFT domain.

    Parameters
    ----------
    magnitudes : Tensor [shape=(batch, n_bands, n_frames)]
        Linear gains of ``n_bands`` bands spread evenly from 0 Hz to Nyquist.
    n_samples : int
    n_fft : int
        Analysis size of the noise STFT (hop ``n_fft // 4``).
    seed : int, optional

    Returns
    -------
    Tensor [shape=(batch, n_samples)]

    Examples
    --------
    >>> y = filtered_noise(torch.ones(2, 8, 10), n_samples=4000, seed=0)
    >>> y.shape
    torch.Size([2, 4000])
    >>> float(filtered_noise(torch.zeros(1, 8, 10), n_samples=4000, seed=0).abs().max())   # closed bands: silence
    0.0

    Chapter: notebooks/05_synthesis.ipynb
    """
    check(magnitudes.ndim == 3, "magnitudes", magnitudes, "a (batch, n_bands, n_frames) tensor")
    b = magnitudes.shape[0]
    dev = magnitudes.device
    noise = white_noise(n_samples=n_samples, batch=b, seed=seed, device=dev)
    hop = n_fft // 4
    win = torch.hann_window(n_fft, device=dev)
    spec = torch.stft(noise, n_fft, hop, window=win, return_complex=True)  # (B, bins, F')
    gains = nn.functional.interpolate(magnitudes[:, None], size=spec.shape[1:], mode="bilinear", align_corners=True)[:, 0]
    return torch.istft(spec * gains, n_fft, hop, window=win, length=n_samples)


class DDSPDecoder(nn.Module):
    """f0 and loudness frames -> harmonic + noise + reverb audio (a small DDSP decoder).

    Parameters
    ----------
    sr : int
        Sample rate of the audio it makes.
    hop_length : int
        Samples between control frames; ``n_samples = (n_frames - 1) * hop_length``.
    n_harmonics, n_noise_bands, hidden : int
    reverb_s : float
        Decay time (RT60) of the fixed impulse response whose wet gain is learned.

    Forward
    -------
    f0_hz (B, F), loudness_db (B, F) -> audio (B, (F - 1) * hop_length)

    The network is a per-frame MLP with two causal convolutions over frames (a receptive
    field of 9 frames, 36 ms at 16 kHz with hop 64), where DDSP's original uses a GRU.

    Examples
    --------
    >>> dec = DDSPDecoder(sr=16000, hop_length=64, n_harmonics=8, hidden=16)
    >>> dec(torch.full((2, 11), 220.0), torch.full((2, 11), -20.0)).shape
    torch.Size([2, 640])

    Chapter: notebooks/05_synthesis.ipynb
    """

    def __init__(
        self,
        *,
        sr: int,
        hop_length: int = 64,
        n_harmonics: int = 40,
        n_noise_bands: int = 32,
        hidden: int = 128,
        reverb_s: float = 0.4,
        seed: int = 0,
    ):
        super().__init__()
        check(isinstance(sr, int) and sr > 0, "sr", sr, "a positive integer sample rate")
        check(isinstance(hop_length, int) and hop_length > 0, "hop_length", hop_length, "a positive integer")
        self.sr, self.hop_length = sr, hop_length
        self.n_harmonics, self.n_noise_bands = int(n_harmonics), int(n_noise_bands)
        self.inp = nn.Sequential(nn.Linear(2, hidden), nn.LayerNorm(hidden), nn.LeakyReLU())
        # Causal 1-D convolutions over frames (each frame sees itself and the 8 before it):
        # much cheaper than a GRU on a CPU, and streamable block by block.
        self.context = 4
        self.conv = nn.Sequential(nn.Conv1d(hidden, hidden, 5), nn.LeakyReLU(), nn.Conv1d(hidden, hidden, 5), nn.LeakyReLU())
        self.out = nn.Sequential(
            nn.Linear(hidden + 2, hidden),
            nn.LayerNorm(hidden),
            nn.LeakyReLU(),
            nn.Linear(hidden, 1 + self.n_harmonics + self.n_noise_bands),
        )
        ir = torch.as_tensor(synthetic_ir(rt60=reverb_s, sr=sr, seed=seed)).float().reshape(1, -1)
        self.register_buffer("ir", ir, persistent=False)
        self.reverb_logit = nn.Parameter(torch.tensor(-3.0))
        self.noise_seed = seed

    @staticmethod
    def _scale(f0_hz, loudness_db):
        midi = 69 + 12 * torch.log2(torch.clamp(f0_hz, min=1.0) / 440.0)
        return torch.stack([midi / 127.0, (loudness_db + 80.0) / 80.0], dim=-1)  # (B, F, 2)

    def controls(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor) -> dict:
        """Network outputs as synthesiser controls in physical units (DDSP's ``get_controls``)."""
        if f0_hz.ndim != 2 or f0_hz.shape != loudness_db.shape:
            raise ParameterError(
                f"f0_hz {tuple(f0_hz.shape)} and loudness_db {tuple(loudness_db.shape)}: "
                "expected two (batch, n_frames) tensors of the same shape"
            )
        if not (torch.isfinite(f0_hz).all() and torch.isfinite(loudness_db).all()):
            raise ParameterError("f0_hz or loudness_db contains NaN or infinity: expected finite controls")
        x = self._scale(f0_hz, loudness_db)
        h = self.inp(x).transpose(1, 2)  # (B, hidden, F)
        h = self.conv(nn.functional.pad(h, (2 * self.context, 0))).transpose(1, 2)  # (B, F, hidden)
        return self._controls_from(self.out(torch.cat([h, x], -1)), f0_hz)  # (B, F, 1 + K + N)

    def _controls_from(self, p: torch.Tensor, f0_hz: torch.Tensor) -> dict:
        """Raw outputs ``(B, F, 1 + K + N)`` -> the controls dict (shared with the streaming decoder)."""
        amp = exp_sigmoid(p[..., :1])
        k = torch.arange(1, self.n_harmonics + 1, device=f0_hz.device)
        dist = torch.softmax(p[..., 1 : 1 + self.n_harmonics], -1)
        dist = dist * (k[None, None] * f0_hz[..., None] < self.sr / 2)  # nothing above Nyquist
        dist = dist / dist.sum(-1, keepdim=True).clamp_min(1e-7)
        noise = exp_sigmoid(p[..., 1 + self.n_harmonics :] - 5.0)
        return {
            "amplitude": amp[..., 0],
            "harmonic_distribution": dist,
            "noise_magnitudes": noise,
            "reverb_mix": torch.sigmoid(self.reverb_logit),
        }

    def forward(self, f0_hz: torch.Tensor, loudness_db: torch.Tensor) -> torch.Tensor:
        c = self.controls(f0_hz, loudness_db)
        n = (f0_hz.shape[1] - 1) * self.hop_length
        harm_amp = (c["amplitude"][..., None] * c["harmonic_distribution"]).transpose(1, 2)  # (B, K, F)
        audio = harmonic_synth(_upsample(f0_hz[:, None], n)[:, 0], _upsample(harm_amp, n), sr=self.sr)
        audio = audio + filtered_noise(
            c["noise_magnitudes"].transpose(1, 2), n_samples=n, seed=self.noise_seed if not self.training else None
        )
        return convolution_reverb(audio, self.ir, mix=c["reverb_mix"])


#: Notes measured at once by :func:`ddsp_controls`.
CONTROL_CHUNK = 4


def ddsp_controls(audio, *, sr: int, hop_length: int = 64, fmin: float = 40.0, fmax: float = 1600.0, frame_length: int = 1024):
    """Measure a decoder's controls from audio with chapter 3's features: f0 (YIN) and loudness (RMS dB).

    Parameters
    ----------
    audio : array or Tensor [shape=(batch, n_samples)]
    sr, hop_length : int
    fmin, fmax : float
        YIN's search range in Hz.

    Returns
    -------
    f0_hz, loudness_db : Tensor [shape=(batch, 1 + n_samples // hop_length)]

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 220 * np.arange(16000) / 16000).astype(np.float32)    # 1 s of A3
    >>> f0, loud = ddsp_controls(y, sr=16000)
    >>> f0.shape, round(float(f0[0, 100])), round(float(loud[0, 100]))             # Hz, dB (RMS of a sine: -3 dB)
    (torch.Size([1, 251]), 220, -3)

    Chapter: notebooks/05_synthesis.ipynb
    """
    y = to_tensor(as_audio(audio, name="audio"))
    if y.ndim == 1:
        y = y[None]
    n_frames = 1 + y.shape[-1] // hop_length
    # YIN holds every frame's difference function at once: a few notes at a time keeps the peak
    # memory flat in the batch size (32 one-second notes at hop 64 took ~630 MB at once).
    f0, loud = [], []
    for part in y.split(CONTROL_CHUNK):
        p0 = features.yin(part, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame_length, hop_length=hop_length)
        pl = amplitude_to_db(features.rms(part, frame_length=frame_length, hop_length=hop_length)[..., 0, :])
        f0.append(to_tensor(p0)[..., :n_frames].float())
        loud.append(to_tensor(pl)[..., :n_frames].float())
    return torch.cat(f0), torch.cat(loud)


def harmonic_template(
    f0_hz: torch.Tensor, loudness_db: torch.Tensor, *, sr: int, hop_length: int, n_harmonics: int = 40, rolloff: float = 1.0
) -> torch.Tensor:
    """The fixed baseline: harmonics with amplitudes ``1 / k**rolloff``, levelled to the measured loudness.

    The overall amplitude per frame is set so the tone's RMS equals the measured RMS
    (``10 ** (loudness_db / 20)``); nothing is learned.

    Examples
    --------
    >>> f0, loud = torch.full((1, 11), 220.0), torch.full((1, 11), -20.0)            # 220 Hz at -20 dB RMS
    >>> y = harmonic_template(f0, loud, sr=16000, hop_length=64)
    >>> y.shape, round(float(y.pow(2).mean().sqrt()), 2)
    (torch.Size([1, 640]), 0.1)

    Chapter: notebooks/05_synthesis.ipynb
    """
    k = torch.arange(1, n_harmonics + 1, dtype=torch.float32, device=f0_hz.device)
    shape = 1.0 / k**rolloff  # (K,)
    audible = (k[None, None] * f0_hz[..., None] < sr / 2).float()  # (B, F, K)
    dist = shape * audible
    rms_unit = torch.sqrt((dist**2).sum(-1) / 2).clamp_min(1e-7)  # RMS of unit amplitude
    amp = 10 ** (loudness_db / 20) / rms_unit  # (B, F)
    n = (f0_hz.shape[1] - 1) * hop_length
    harm = (amp[..., None] * dist).transpose(1, 2)
    return harmonic_synth(_upsample(f0_hz[:, None], n)[:, 0], _upsample(harm, n), sr=sr)


def ddsp_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The training and evaluation loss: chapter 1's multi-resolution STFT loss, over 3 sizes.

    Examples
    --------
    >>> x = torch.randn(1, 4000, generator=torch.Generator().manual_seed(0))
    >>> float(ddsp_loss(x, x)), bool(ddsp_loss(x, 0.5 * x) > 0)
    (0.0, True)

    Chapter: notebooks/05_synthesis.ipynb
    """
    return multi_resolution_stft_loss(pred, target, fft_sizes=(256, 512, 1024))


@torch.no_grad()
def timbre_transfer(
    decoder: DDSPDecoder,
    audio,
    *,
    sr: int,
    transpose: float = 0.0,
    loudness_shift_db: float = 0.0,
    fmin: float = 40.0,
    fmax: float = 1600.0,
    device=None,
) -> torch.Tensor:
    """Play the melody of ``audio`` with the timbre ``decoder`` learned: re-synthesise its f0 and loudness.

    Parameters
    ----------
    decoder : DDSPDecoder
        A trained decoder.
    audio : array or Tensor [shape=(n_samples,) or (batch, n_samples)]
        Any monophonic recording at ``decoder.sr`` (e.g. a flute melody).
    transpose : float
        Semitones to move the melody (into the range the decoder was trained on).
    loudness_shift_db : float
        Decibels to add to the measured loudness.

    Returns
    -------
    Tensor [shape=(batch, n)]

    Examples
    --------
    >>> dec = DDSPDecoder(sr=16000, hop_length=64, n_harmonics=8, hidden=16)        # untrained, for the shapes
    >>> melody = np.sin(2 * np.pi * 330 * np.arange(8000) / 16000).astype(np.float32)
    >>> timbre_transfer(dec, melody, sr=16000, transpose=-12, device="cpu").shape
    torch.Size([1, 8000])

    Chapter: notebooks/05_synthesis.ipynb
    """
    check(sr == decoder.sr, "sr", sr, f"the decoder's sample rate {decoder.sr} Hz")
    device = get_device(device)
    f0, loud = ddsp_controls(audio, sr=sr, hop_length=decoder.hop_length, fmin=fmin, fmax=fmax)
    f0 = f0 * 2 ** (transpose / 12)
    decoder.eval().to(device)
    return decoder(f0.to(device), (loud + loudness_shift_db).to(device)).cpu()
