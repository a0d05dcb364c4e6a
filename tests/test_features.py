"""Parity with librosa 0.11, batching, devices and bad input for musynth_lab.features.

Tolerance (issue 4): max |ours - librosa| <= 1e-4 * max |librosa| for STFT, mel, MFCC,
chroma and the spectral features; 1e-3 for CQT/VQT. Audio: 1.5 s slices of the bundled
recordings resampled to 16, 22.05 and 44.1 kHz.
"""

import functools

import librosa
import numpy as np
import pytest
import torch

import musynth_lab as ml
import musynth_lab.features as F
from musynth_lab import ParameterError
from musynth_lab.data import list_excerpts, load_excerpt, load_notes

SRS = [16000, 22050, 44100]


@functools.lru_cache(maxsize=None)
def excerpt(sr: int, seconds: float = 1.5, which: int = 0) -> np.ndarray:
    ex = load_excerpt(list_excerpts()[which])
    y = ex.audio[ex.sr // 2 : ex.sr // 2 + int(seconds * ex.sr)]
    return np.ascontiguousarray(ml.resample(y, orig_sr=ex.sr, target_sr=sr), dtype=np.float32)


@functools.lru_cache(maxsize=None)
def note(sr: int) -> np.ndarray:
    notes = load_notes(instrument="flute", velocity=110)
    y = notes.audio[int(np.argmin(np.abs(notes.pitch - 69)))][:16000]
    return np.ascontiguousarray(ml.resample(y, orig_sr=notes.sr, target_sr=sr), dtype=np.float32)


def rel_err(ours, ref) -> float:
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.abs(ours - ref).max() / np.abs(ref).max())


# ------------------------------------------------------------------------- STFT


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize(
    "n_fft,hop,center,window",
    [
        (512, 128, True, "hann"),
        (1024, 300, False, "hamming"),
        (2048, 512, True, "hann"),
        (4096, 1000, False, "blackman"),
        (2048, 333, True, ("kaiser", 8.0)),
    ],
)
def test_stft_matches_librosa(sr, n_fft, hop, center, window):
    y = excerpt(sr)
    ref = librosa.stft(y, n_fft=n_fft, hop_length=hop, center=center, window=window)
    assert rel_err(F.stft(y, n_fft=n_fft, hop_length=hop, center=center, window=window), ref) <= 1e-4


def test_stft_win_length_and_reflect_padding():
    y = excerpt(22050)
    ref = librosa.stft(y, n_fft=1024, hop_length=256, win_length=700, pad_mode="reflect")
    assert rel_err(F.stft(y, n_fft=1024, hop_length=256, win_length=700, pad_mode="reflect"), ref) <= 1e-4


def test_stft_peak_where_physics_puts_it():
    sr, f0 = 16000, 1250.0  # 1250 Hz = bin 80 of a 1024-point FFT at 16 kHz
    y = np.sin(2 * np.pi * f0 * np.arange(sr) / sr).astype(np.float32)
    D = np.abs(F.stft(y, n_fft=1024, hop_length=256))
    assert (D[:, 2:-2].argmax(axis=0) == 80).all()


@pytest.mark.parametrize("n_fft,hop", [(512, 128), (1024, 300), (2048, 512)])
def test_istft_inverts_and_matches_librosa(n_fft, hop):
    y = excerpt(22050)
    D = librosa.stft(y, n_fft=n_fft, hop_length=hop)
    assert rel_err(F.istft(D, hop_length=hop, length=len(y)), librosa.istft(D, hop_length=hop, length=len(y))) <= 1e-4
    assert np.abs(F.istft(F.stft(y, n_fft=n_fft, hop_length=hop), hop_length=hop, length=len(y)) - y).max() < 1e-4


def test_fft_spectrum_reads_amplitude_at_frequency():
    sr = 8000
    y = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(sr) / sr)).astype(np.float32)
    f, m = F.fft_spectrum(y, sr=sr)
    assert f[m.argmax()] == 1000.0 and abs(m.max() - 0.5) < 1e-3


# ------------------------------------------------------------------------- mel, MFCC


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize(
    "n_fft,hop,center,n_mels,fmin,fmax,htk",
    [
        (2048, 512, True, 128, 0.0, None, False),
        (1024, 300, False, 64, 50.0, 6000.0, True),
        (4096, 1024, True, 40, 100.0, 7000.0, False),
        (512, 160, True, 32, 0.0, None, True),
    ],
)
def test_melspectrogram_matches_librosa(sr, n_fft, hop, center, n_mels, fmin, fmax, htk):
    y = excerpt(sr)
    kw = dict(n_fft=n_fft, hop_length=hop, center=center, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk)
    assert rel_err(F.melspectrogram(y, sr=sr, **kw), librosa.feature.melspectrogram(y=y, sr=sr, **kw)) <= 1e-4


def test_melspectrogram_from_S_and_power1():
    y, sr = excerpt(22050), 22050
    S = np.abs(librosa.stft(y, n_fft=1024, hop_length=256))
    assert rel_err(F.melspectrogram(S=S, sr=sr, n_mels=40), librosa.feature.melspectrogram(S=S, sr=sr, n_mels=40)) <= 1e-4
    assert rel_err(F.melspectrogram(y, sr=sr, power=1.0), librosa.feature.melspectrogram(y=y, sr=sr, power=1.0)) <= 1e-4


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize(
    "n_mfcc,lifter,htk,dct_type,n_fft,hop",
    [
        (20, 0, False, 2, 2048, 512),
        (13, 22, True, 2, 1024, 300),
        (40, 0, False, 3, 4096, 1024),
    ],
)
def test_mfcc_matches_librosa(sr, n_mfcc, lifter, htk, dct_type, n_fft, hop):
    y = excerpt(sr)
    kw = dict(n_mfcc=n_mfcc, lifter=lifter, htk=htk, dct_type=dct_type, n_fft=n_fft, hop_length=hop)
    assert rel_err(F.mfcc(y, sr=sr, **kw), librosa.feature.mfcc(y=y, sr=sr, **kw)) <= 1e-4


# ------------------------------------------------------------------------- chroma, CQT


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("n_fft,hop,tuning", [(2048, 512, None), (4096, 1000, 0.0), (1024, 256, None)])
def test_chroma_stft_matches_librosa(sr, n_fft, hop, tuning):
    y = excerpt(sr)
    kw = dict(n_fft=n_fft, hop_length=hop, tuning=tuning)
    assert rel_err(F.chroma_stft(y, sr=sr, **kw), librosa.feature.chroma_stft(y=y, sr=sr, **kw)) <= 1e-4


@pytest.mark.parametrize("sr", SRS)
def test_estimate_tuning_matches_librosa(sr):
    y = excerpt(sr)
    assert F.estimate_tuning(y, sr=sr) == pytest.approx(librosa.estimate_tuning(y=y, sr=sr), abs=1e-9)


@pytest.mark.parametrize("sr", SRS)
@pytest.mark.parametrize("hop,fmin,n_bins,bpo", [(512, None, 84, 12), (256, 55.0, 72, 24), (1024, 65.4, 36, 12)])
def test_cqt_matches_librosa(sr, hop, fmin, n_bins, bpo):
    y = excerpt(sr)
    kw = dict(hop_length=hop, fmin=fmin, n_bins=n_bins, bins_per_octave=bpo)
    assert rel_err(F.cqt(y, sr=sr, **kw), librosa.cqt(y, sr=sr, **kw)) <= 1e-3


@pytest.mark.parametrize("sr", [22050, 44100])
def test_vqt_matches_librosa(sr):
    y = excerpt(sr)
    assert rel_err(F.vqt(y, sr=sr), librosa.vqt(y, sr=sr)) <= 1e-3
    assert (
        rel_err(F.vqt(y, sr=sr, gamma=10.0, n_bins=48, fmin=110.0), librosa.vqt(y, sr=sr, gamma=10.0, n_bins=48, fmin=110.0))
        <= 1e-3
    )


@pytest.mark.parametrize("sr", SRS)
def test_chroma_cqt_matches_librosa(sr):
    y = excerpt(sr)
    assert rel_err(F.chroma_cqt(y, sr=sr), librosa.feature.chroma_cqt(y=y, sr=sr)) <= 1e-3


def test_cqt_peak_on_the_played_note():
    sr = 22050
    y = note(sr)  # flute A4
    C = np.abs(F.cqt(y, sr=sr, fmin=librosa.note_to_hz("C2"), n_bins=60))
    assert int(np.median(C[:, 5:20].argmax(axis=0))) == 69 - 36


# ------------------------------------------------------------------------- batching, devices, silence


def test_batched_call_equals_per_item_calls():
    y = np.stack([excerpt(22050, which=i) for i in range(3)])[:, None]  # (3, 1, n)
    for fn in (
        lambda a: F.melspectrogram(a, sr=22050),
        lambda a: F.mfcc(a, sr=22050),
        lambda a: F.chroma_stft(a, sr=22050),
        lambda a: np.abs(F.cqt(a, sr=22050)),
        lambda a: F.chroma_cqt(a, sr=22050),
        lambda a: F.stft(a),
    ):
        batch = fn(y)
        for i in range(3):
            assert np.abs(batch[i, 0] - fn(y[i, 0])).max() <= 1e-5 * np.abs(batch[i, 0]).max()


def test_tensor_in_tensor_out_on_device(device):
    y = torch.from_numpy(excerpt(22050)).to(device)
    M = F.melspectrogram(y, sr=22050)
    assert isinstance(M, torch.Tensor) and M.device.type == device and M.dtype == torch.float32
    ref = librosa.feature.melspectrogram(y=excerpt(22050), sr=22050)
    assert rel_err(M.cpu(), ref) <= 1e-4
    C = F.cqt(y, sr=22050)
    assert C.device.type == device and C.dtype == torch.complex64


def test_mel_is_differentiable():
    y = torch.from_numpy(excerpt(16000)).requires_grad_()
    F.melspectrogram(y, sr=16000, n_mels=32).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "fn",
    [
        lambda y: F.melspectrogram(y, sr=16000),
        lambda y: F.mfcc(y, sr=16000),
        lambda y: F.chroma_stft(y, sr=16000),
        lambda y: F.cqt(y, sr=16000),
        lambda y: F.chroma_cqt(y, sr=16000),
        lambda y: F.spectral_centroid(y, sr=16000),
        lambda y: F.spectral_bandwidth(y, sr=16000),
        lambda y: F.spectral_rolloff(y, sr=16000),
        lambda y: F.spectral_flatness(y),
        lambda y: F.spectral_contrast(y, sr=16000),
        lambda y: F.power_to_db(F.power(F.stft(y))),
    ],
)
def test_silence_gives_finite_features(fn):
    assert np.isfinite(np.asarray(fn(np.zeros(16000, dtype=np.float32)))).all()


# ------------------------------------------------------------------------- bad input


def test_bad_input_raises_parameter_error_naming_the_argument():
    y = excerpt(16000)
    with pytest.raises(ParameterError, match="n_fft"):
        F.stft(y[:1000], n_fft=2048, center=False)
    with pytest.raises(ParameterError, match="hop_length"):
        F.melspectrogram(y, sr=16000, hop_length=0)
    with pytest.raises(ParameterError, match="fmax"):
        F.melspectrogram(y, sr=16000, fmax=9000)
    with pytest.raises(ParameterError, match="y"):
        F.mfcc(np.stack([y, y], axis=1), sr=16000)  # channels-last stereo
    with pytest.raises(ParameterError, match="integer"):
        F.stft((y * 32767).astype(np.int16))
    bad = y.copy()
    bad[10] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        F.chroma_stft(bad, sr=16000)
    with pytest.raises(ParameterError, match="sr"):
        F.melspectrogram(y, sr=0)
    with pytest.raises(ParameterError, match="n_bins"):
        F.cqt(y, sr=16000, n_bins=120)


# ---------------------------------------------------------------- note_logmel (the notes' one front end)
def test_note_logmel_matches_librosa_in_db():
    notes = load_notes(instrument="flute", velocity=110)
    a = notes.audio[:4]
    ours = F.note_logmel(a, sr=notes.sr, n_mels=48, fmin=30.0, fmax=8000.0)
    M = librosa.feature.melspectrogram(y=a, sr=notes.sr, n_fft=1024, hop_length=512, n_mels=48, fmin=30.0, fmax=8000.0)
    ref = librosa.power_to_db(M, ref=np.max(M, axis=(-2, -1), keepdims=True), amin=1e-12, top_db=None)
    ref = np.maximum(ref, -80.0)
    assert ours.shape == ref.shape == (4, 48, 32)
    assert np.abs(ours - ref).max() < 1e-3  # dB


def test_note_logmel_per_note_removes_the_level_and_absolute_keeps_it():
    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    pair = np.stack([y, 0.1 * y])  # 20 dB apart
    rel = F.note_logmel(pair, sr=16000)
    assert rel.max() == 0.0 and rel.min() >= -80.0
    assert np.allclose(rel[0], rel[1], atol=1e-3)
    ab = F.note_logmel(pair, sr=16000, per_note=False, top_db=120.0)
    assert abs((ab[0].max() - ab[1].max()) - 20.0) < 0.01
    band = int(ab[0, :, 10].argmax())  # 440 Hz sits in the band whose centre is nearest 440 Hz
    centres = librosa.mel_frequencies(n_mels=48 + 2, fmin=0.0, fmax=8000.0)[1:-1]
    assert abs(centres[band] - 440.0) == np.abs(centres - 440.0).min()


@pytest.mark.parametrize("kw", [{"per_note": "yes"}, {"top_db": 0}, {"top_db": None}, {"top_db": -5.0}])
def test_note_logmel_rejects_bad_settings(kw):
    with pytest.raises(ParameterError) as e:
        F.note_logmel(np.zeros(4096, np.float32), sr=16000, **kw)
    assert next(iter(kw)) in str(e.value)
