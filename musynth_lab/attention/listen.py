"""Listening to attention: hear only what a model kept.

For audio, the kept cells of a time-frequency map become a mask on the STFT, which is then
inverted (:func:`musynth_lab.features.istft`, librosa's ``istft`` to float32 rounding): you
hear only the attended time-frequency regions. A map on
mel bands is spread back onto the STFT bins through the mel filterbank. For a score, only
the notes that overlap a kept frame are rendered, with a small additive (sine-harmonic)
voice.

Chapter: notebooks/02_attention.ipynb
"""

from __future__ import annotations

import numpy as np
import torch

from ..audio import as_audio, check_sr, midi_to_hz, to_numpy
from ..errors import ParameterError, as_array, as_float, as_int, as_sequence, check
from ..features.transforms import istft, stft

__all__ = ["resize_map", "mel_mask_to_stft", "listen_to_kept", "kept_notes", "render_notes"]


def resize_map(weights, shape, *, mode: str = "nearest") -> np.ndarray:
    """Resize an attention map ``(n_rows, n_cols)`` to ``shape`` (e.g. a CNN map to the spectrogram).

    Parameters
    ----------
    weights : array or tensor [shape=(n_rows, n_cols)]
    shape : tuple of int
        Target ``(n_bins, n_frames)``.
    mode : {'nearest', 'bilinear'}

    Returns
    -------
    np.ndarray [shape=shape], float32

    Examples
    --------
    >>> resize_map(np.array([[0.0, 1.0]]), (2, 4)).tolist()
    [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]

    Chapter: notebooks/02_attention.ipynb
    """
    w = torch.as_tensor(as_array(weights, "weights", ndim=2), dtype=torch.float32)  # real, finite, non-empty
    sizes = as_sequence(shape, "shape", what="a (n_rows, n_cols) pair of sizes")
    check(len(sizes) == 2, "shape", shape, "two positive sizes")
    sizes = [as_int(s, "shape", high=1 << 20) for s in sizes]
    check(sizes[0] * sizes[1] <= 1 << 28, "shape", shape, "a map of at most 2**28 cells")
    if mode not in ("nearest", "bilinear"):
        raise ParameterError(f"mode={mode!r}: expected 'nearest' or 'bilinear'")
    kw = {"align_corners": False} if mode == "bilinear" else {}
    out = torch.nn.functional.interpolate(w[None, None], size=tuple(sizes), mode=mode, **kw)
    return out[0, 0].numpy()


def mel_mask_to_stft(keep_mel, *, sr: int, n_fft: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Spread a mask over mel bands ``(n_mels, n_frames)`` onto STFT bins ``(1 + n_fft // 2, n_frames)``.

    Each STFT bin takes the filterbank-weighted mean of the mask over the mel bands that
    cover it (librosa's Slaney mel filters), so a bin between a kept and a dropped band is
    half kept; bins no band covers are dropped.

    Parameters
    ----------
    keep_mel : array [shape=(n_mels, n_frames)], bool or float in [0, 1]
    sr : int
        Sample rate in Hz.
    n_fft : int
    fmin, fmax : float
        The mel filterbank's range in Hz (as used to compute the mel spectrogram).

    Returns
    -------
    np.ndarray [shape=(1 + n_fft // 2, n_frames)], float32 in [0, 1]

    Examples
    --------
    >>> m = mel_mask_to_stft(np.ones((32, 3)), sr=16000, n_fft=512)
    >>> m.shape, float(m[10:200].min())
    ((257, 3), 1.0)

    Chapter: notebooks/02_attention.ipynb
    """
    # librosa is imported where used: importing this module (and `import musynth_lab`) stays light
    import librosa

    k = as_array(keep_mel, "keep_mel", ndim=2, dtype=np.float32)
    sr, fmin = check_sr(sr), as_float(fmin, "fmin", low=0)
    fmax = as_float(fmax, "fmax", low=0, low_open=True, allow_none=True)
    check(fmax is None or fmin < fmax <= sr / 2, "fmax", fmax, f"a frequency in (fmin, sr/2 = {sr / 2:g}] Hz")
    check(k.ndim == 2, "keep_mel", keep_mel, "a 2-D mask (n_mels, n_frames)")
    check(isinstance(n_fft, (int, np.integer)) and n_fft > 0, "n_fft", n_fft, "a positive integer")
    fb = librosa.filters.mel(sr=sr, n_fft=int(n_fft), n_mels=k.shape[0], fmin=fmin, fmax=fmax)  # (n_mels, n_bins)
    cover = fb.sum(axis=0)  # (n_bins,)
    soft = fb.T @ k
    return np.where(cover[:, None] > 0, soft / np.maximum(cover[:, None], 1e-12), 0.0).astype(np.float32)


def listen_to_kept(
    y,
    keep,
    *,
    sr: int,
    n_fft: int,
    hop_length: int,
    grid: str = "stft",
    fmin: float = 0.0,
    fmax: float | None = None,
    invert: bool = False,
) -> np.ndarray:
    """Audio of only the kept time-frequency cells: mask the STFT and invert it.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(n_samples,)]
        Mono audio.
    keep : array [shape=(n_bins_or_mels, n_frames)], bool or weights in [0, 1]
        On the STFT grid (``grid='stft'``, ``1 + n_fft // 2`` rows) or on mel bands
        (``grid='mel'``), with ``n_frames = 1 + n_samples // hop_length`` (librosa's
        centred frames).
    sr : int
    n_fft, hop_length : int
        The STFT the mask refers to (Hann window, centred frames).
    grid : {'stft', 'mel'}
    fmin, fmax : float
        The mel range, for ``grid='mel'``.
    invert : bool
        Play what was *dropped* instead.

    Returns
    -------
    np.ndarray [shape=(n_samples,)], float32

    Raises
    ------
    ParameterError
        A mask whose shape does not match the STFT.

    Examples
    --------
    >>> t = np.arange(8000) / 8000
    >>> y = (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 2000 * t)).astype(np.float32)
    >>> keep = np.zeros((129, 1 + 8000 // 64)); keep[:40] = 1      # bins below 2.5 kHz... of 4 kHz
    >>> low = listen_to_kept(y, keep, sr=8000, n_fft=256, hop_length=64)
    >>> spec = np.abs(np.fft.rfft(low)); int(np.argmax(spec) * 8000 / len(low))
    440

    Chapter: notebooks/02_attention.ipynb
    """
    y = to_numpy(as_audio(y, mono=True))
    sr, n_fft = check_sr(sr), as_int(n_fft, "n_fft")
    fmin = as_float(fmin, "fmin", low=0)
    fmax = as_float(fmax, "fmax", low=0, low_open=True, allow_none=True)
    keep = as_array(keep, "keep", ndim=2)
    if grid not in ("stft", "mel"):
        raise ParameterError(f"grid={grid!r}: expected 'stft' or 'mel'")
    check(isinstance(hop_length, (int, np.integer)) and hop_length > 0, "hop_length", hop_length, "a positive integer")
    k = to_numpy(keep).astype(np.float32)
    n_frames = 1 + len(y) // int(hop_length)
    check(
        k.ndim == 2 and k.shape[1] == n_frames,
        "keep",
        keep,
        f"a mask with {n_frames} frames (1 + n_samples // hop_length) on axis 1",
    )
    if grid == "mel":
        k = mel_mask_to_stft(k, sr=sr, n_fft=n_fft, fmin=fmin, fmax=fmax)
    check(k.shape[0] == 1 + int(n_fft) // 2, "keep", keep, f"{1 + int(n_fft) // 2} rows (1 + n_fft // 2)")
    check(bool(((k >= 0) & (k <= 1)).all()), "keep", keep, "a mask with values in [0, 1]")
    if invert:
        k = 1.0 - k
    # the kit's STFT (librosa's to float32 rounding), with torch's periodic Hann window: no librosa import
    hann = torch.hann_window(int(n_fft), dtype=torch.float64)
    D = stft(y, n_fft=int(n_fft), hop_length=int(hop_length), window=hann)
    out = istft(D * k, hop_length=int(hop_length), n_fft=int(n_fft), window=hann, length=len(y))
    return np.asarray(out, dtype=np.float32)


def kept_notes(notes, keep, *, step: float) -> np.ndarray:
    """Which notes overlap at least one kept frame.

    Parameters
    ----------
    notes : array [shape=(n_notes, 3)]
        Rows of (onset, duration, MIDI pitch) in quarter notes.
    keep : array [shape=(n_frames,)], bool
        Frame ``i`` spans ``[i * step, (i + 1) * step)`` quarters.
    step : float
        Frame length in quarter notes.

    Returns
    -------
    np.ndarray [shape=(n_notes,)], bool

    Examples
    --------
    >>> kept_notes(np.array([[0, 2, 60], [2, 1, 62]]), np.array([False, True, False]), step=1.0).tolist()
    [True, False]

    Chapter: notebooks/02_attention.ipynb
    """
    n = as_array(notes, "notes", ndim=2)
    check(n.shape[1] == 3, "notes", notes, "rows of (onset, duration, MIDI)")
    k = as_array(keep, "keep", ndim=1).astype(bool)
    check(step > 0, "step", step, "a positive frame length in quarter notes")
    out = np.zeros(len(n), dtype=bool)
    for i, (on, dur, _) in enumerate(n):
        first = int(np.floor(on / step + 1e-9))
        last = max(first + 1, int(np.ceil((on + dur) / step - 1e-9)))
        out[i] = bool(k[max(0, first) : min(len(k), last)].any())
    return out


def _additive_voice(f0: float, n: int, sr: int) -> np.ndarray:
    """A plain organ-like tone: 4 harmonics (1/k), 10 ms attack, gentle decay, 40 ms release."""
    t = np.arange(n) / sr
    k = np.arange(1, 5)[:, None]
    k = k[(k[:, 0] * f0) < sr / 2]
    tone = (np.sin(2 * np.pi * f0 * k * t) / k).sum(axis=0)
    env = np.minimum(1.0, t / 0.01) * np.exp(-t * 1.5)
    rel = int(min(n, 0.04 * sr))
    if rel > 0:
        env[-rel:] *= np.linspace(1.0, 0.0, rel)
    return tone * env


def render_notes(notes, *, sr: int, bpm: float = 90.0, gain: float = 0.2) -> np.ndarray:
    """Render notes (onset, duration, MIDI pitch in quarters) with a small additive voice.

    Parameters
    ----------
    notes : array [shape=(n_notes, 3)]
    sr : int
    bpm : float
        Quarter notes per minute.
    gain : float
        Per-note amplitude.

    Returns
    -------
    np.ndarray [shape=(n_samples,)], float32, peak at most 1

    Examples
    --------
    >>> y = render_notes(np.array([[0, 1, 69]]), sr=8000, bpm=60)
    >>> len(y), int(np.argmax(np.abs(np.fft.rfft(y))) * 8000 / len(y))
    (8000, 440)

    Chapter: notebooks/02_attention.ipynb
    """
    n = as_array(notes, "notes", ndim=2, allow_empty=True)  # real, finite; (0, 3): no notes, silence
    check(n.shape[1] == 3, "notes", notes, f"rows of (onset, duration, MIDI pitch), got shape {n.shape}")
    check(bool((n[:, :2] >= 0).all()), "notes", notes, "non-negative onsets and durations (in quarter notes)")
    check(bpm > 0, "bpm", bpm, "a positive tempo in quarter notes per minute")
    sr = check_sr(sr)
    q = 60.0 / bpm
    end = float((n[:, 0] + n[:, 1]).max()) if len(n) else 0.0
    check(end * q <= 3600.0, "notes", notes, f"at most an hour of music (the last note ends after {end * q:.3g} s)")
    out = np.zeros(max(1, int(round(end * q * sr))), dtype=np.float64)
    for on, dur, midi in n:
        a, b = int(round(on * q * sr)), int(round((on + dur) * q * sr))
        if b > a:
            out[a:b] += gain * _additive_voice(float(midi_to_hz(float(midi))), b - a, sr)
    peak = np.abs(out).max()
    if peak > 1.0:
        out /= peak
    return out.astype(np.float32)
