"""musynth_lab.audio and the package root: validation, devices, seeds, I/O, playback, units."""

import io
import wave

import librosa
import numpy as np
import pytest
import soundfile as sf
import torch

import musynth_lab as ml
from musynth_lab import ParameterError
from musynth_lab.audio import as_audio, like, normalize, soft_limit, to_numpy, to_tensor


# ---------------------------------------------------------------------------- validation


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


@pytest.mark.parametrize(
    "dtype,value,expected",
    [
        (np.int16, [0, 16384, -32768], [0.0, 0.5, -1.0]),
        (np.int32, [0, 2**30, -(2**31)], [0.0, 0.5, -1.0]),
        (np.int8, [0, 64, -128], [0.0, 0.5, -1.0]),
        (np.uint8, [128, 192, 0], [0.0, 0.5, -1.0]),
    ],
)
def test_integer_pcm_is_scaled(dtype, value, expected):
    y = as_audio(np.array(value, dtype=dtype))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected)


def test_integer_pcm_can_be_refused_with_a_clear_message():
    with pytest.raises(ParameterError, match=r"y has integer dtype int16.*floating-point"):
        as_audio(np.zeros(4, dtype=np.int16), allow_int=False)


@pytest.mark.parametrize(
    "bad,pattern",
    [
        (np.array([], dtype=np.float32), "empty"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.array([0.0, np.inf]), "NaN or infinite"),
        (np.float32(1.0) * np.ones(()), "scalar"),
        (np.array([True, False]), "dtype bool"),
        (np.array([1 + 1j]), "dtype complex"),
        ("not audio", "NumPy array or torch tensor"),
        (np.zeros((1000, 2), dtype=np.float32), "channels-last"),
    ],
)
def test_bad_audio_raises_parameter_error(bad, pattern):
    with pytest.raises(ParameterError, match=pattern):
        as_audio(bad)


@pytest.mark.parametrize("kind", ["array", "tensor"])
@pytest.mark.parametrize(
    "bad,pattern",
    [
        ([0.5, float("nan")], "NaN or infinite"),
        ([float("-inf"), 0.0], "NaN or infinite"),
        ([0.0, -2e6], "magnitude 2e\\+06"),
        ([3e6, 0.0], "magnitude 3e\\+06"),
    ],
)
def test_non_finite_or_huge_audio_is_named_for_arrays_and_tensors(kind, bad, pattern):
    y = np.array(bad, dtype=np.float32) if kind == "array" else torch.tensor(bad)
    with pytest.raises(ParameterError, match=pattern):
        as_audio(y)
    assert as_audio(np.float32(1e6) * np.ones(2, dtype=np.float32)).max() == 1e6  # the bound itself passes


def test_torch_float_dtypes_numpy_lacks_are_audio_and_others_are_refused():
    y = as_audio(torch.tensor([0.5, -0.25], dtype=torch.bfloat16))
    assert y.dtype == torch.float32 and y.tolist() == [0.5, -0.25]
    with pytest.raises(ParameterError, match="dtype complex"):
        as_audio(torch.ones(2, dtype=torch.complex64))


def test_mono_required():
    with pytest.raises(ParameterError, match=r"y has shape \(2, 100\): expected mono"):
        as_audio(np.zeros((2, 100), dtype=np.float32), mono=True)


def test_tensor_in_tensor_out_on_its_device(device):
    t = torch.zeros(2, 8, dtype=torch.float64, device=device)
    y = as_audio(t)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.device.type == device
    with pytest.raises(ParameterError, match="NaN"):
        as_audio(torch.tensor([float("nan")], device=device))
    pcm = as_audio(torch.tensor([16384], dtype=torch.int16, device=device))
    assert pcm.item() == 0.5 and pcm.device.type == device


def test_array_tensor_round_trip():
    a = np.arange(3, dtype=np.float32)
    t = to_tensor(a)
    assert isinstance(t, torch.Tensor) and np.array_equal(to_numpy(t), a)
    assert isinstance(like(t, a), torch.Tensor) and isinstance(like(a, t), np.ndarray)
    assert to_tensor(np.zeros(2)).dtype == torch.float32  # float64 arrays become float32


# ---------------------------------------------------------------------------- devices and seeds


def test_device_choice_and_override(monkeypatch):
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    monkeypatch.delenv("MUSYNTH_DEVICE", raising=False)
    assert ml.get_device().type == expected
    assert ml.get_device("cpu").type == "cpu"
    monkeypatch.setenv("MUSYNTH_DEVICE", "cpu")
    assert ml.get_device().type == "cpu"
    monkeypatch.delenv("MUSYNTH_DEVICE")
    try:
        assert ml.set_device("cpu").type == "cpu" and ml.get_device().type == "cpu"
    finally:
        ml.set_device(None)


@pytest.mark.parametrize("bad", ["tpu", "gpu0", "cuda:99" if torch.cuda.is_available() else "cuda"])
def test_unknown_or_missing_device_raises(bad):
    with pytest.raises(ParameterError, match="device="):
        ml.get_device(bad)


def test_seed_everything_reproduces_python_numpy_and_torch():
    import random

    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item(), ml.seed_everything(5).random()

    ml.seed_everything(5)
    first = draw()
    ml.seed_everything(5)
    assert draw() == first
    with pytest.raises(ParameterError, match="seed=-1"):
        ml.seed_everything(-1)


# ---------------------------------------------------------------------------- I/O


def test_save_load_round_trip_and_resampling(tmp_path):
    sr = 8000
    t = np.arange(sr) / sr
    y = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = tmp_path / "tone.wav"
    ml.save(path, y, sr=sr)
    back, sr_back = ml.load(path)
    assert sr_back == sr and back.dtype == np.float32
    np.testing.assert_allclose(back, y, atol=1 / 2**15)
    up, sr_up = ml.load(path, sr=16000)
    assert sr_up == 16000 and len(up) == 2 * len(y)
    # the tone is still at 440 Hz after resampling
    spec = np.abs(np.fft.rfft(up * np.hanning(len(up))))
    assert abs(np.fft.rfftfreq(len(up), 1 / 16000)[spec.argmax()] - 440) <= 1.0
    part, _ = ml.load(path, offset=0.25, duration=0.5)
    assert len(part) == sr // 2


def test_save_never_overwrites_without_asking(tmp_path):
    path = tmp_path / "mine.wav"
    ml.save(path, np.zeros(10, dtype=np.float32), sr=8000)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        ml.save(path, np.ones(10, dtype=np.float32) * 0.5, sr=8000)
    assert path.read_bytes() == before
    ml.save(path, np.ones(10, dtype=np.float32) * 0.5, sr=8000, overwrite=True)
    assert ml.load(path)[0][0] == pytest.approx(0.5, abs=1e-4)


def test_save_refuses_to_clip(tmp_path):
    with pytest.raises(ParameterError, match="would clip"):
        ml.save(tmp_path / "loud.wav", np.array([0.0, 1.5], dtype=np.float32), sr=8000)
    ml.save(tmp_path / "loud.wav", np.array([0.0, 1.5], dtype=np.float32), sr=8000, subtype="FLOAT")


def test_stereo_load_and_mono_mixdown(tmp_path):
    y = np.stack([np.full(100, 0.5), np.full(100, -0.25)]).astype(np.float32)
    ml.save(tmp_path / "st.wav", y, sr=8000)
    st, _ = ml.load(tmp_path / "st.wav", mono=False)
    assert st.shape == (2, 100)
    mono, _ = ml.load(tmp_path / "st.wav")
    assert mono.shape == (100,) and mono[0] == pytest.approx(0.125, abs=1e-4)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such audio file"):
        ml.load(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEjunk" * 10)
    with pytest.raises(ParameterError, match="not a readable audio file"):
        ml.load(bad)


# ---------------------------------------------------------------------------- playback


def _decode_player(player):
    with wave.open(io.BytesIO(player.data)) as w:
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return frames.astype(np.float64) / 32767, w.getframerate(), w.getnchannels()


def test_play_normalises_to_minus_one_dbfs_without_autoplay():
    y = np.sin(np.linspace(0, 200, 4000)).astype(np.float32) * 0.01
    player = ml.play(y, sr=8000)
    samples, rate, channels = _decode_player(player)
    assert rate == 8000 and channels == 1
    assert np.abs(samples).max() == pytest.approx(10 ** (-1 / 20), abs=2e-3)
    assert player.autoplay is False


def test_play_limits_loud_audio_and_keeps_silence_silent():
    loud = np.array([0.0, 3.0, -5.0, 0.2], dtype=np.float32)
    samples, _, _ = _decode_player(ml.play(loud, sr=8000, normalize_peak=False))
    assert np.abs(samples).max() <= 1.0 and samples[3] == pytest.approx(0.2, abs=1e-3)
    silent, _, _ = _decode_player(ml.play(np.zeros(100, dtype=np.float32), sr=8000))
    assert np.all(silent == 0)


def test_play_rejects_batches_and_bad_rates():
    with pytest.raises(ParameterError, match="stereo"):
        ml.play(np.zeros((3, 100), dtype=np.float32), sr=8000)
    with pytest.raises(ParameterError, match="sr=0"):
        ml.play(np.zeros(100, dtype=np.float32), sr=0)
    with pytest.raises(ParameterError, match="sr=inf"):
        ml.play(np.zeros(100, dtype=np.float32), sr=float("inf"))


def test_soft_limit_is_transparent_below_threshold_and_monotonic():
    x = np.linspace(-4, 4, 2001).astype(np.float32)
    y = soft_limit(x, threshold=0.8)
    inside = np.abs(x) <= 0.8
    np.testing.assert_array_equal(y[inside], x[inside])
    assert np.all(np.diff(y) >= 0) and np.abs(y).max() <= 1.0
    t = soft_limit(torch.from_numpy(x), threshold=0.8)
    np.testing.assert_allclose(t.numpy(), y, atol=1e-6)


def test_normalize_peak():
    y = normalize(np.array([0.0, -0.2, 0.1], dtype=np.float32), peak_db=-6.0206)
    assert np.abs(y).max() == pytest.approx(0.5, abs=1e-4)


# ---------------------------------------------------------------------------- units


def test_pitch_conversions_match_librosa():
    f = np.array([27.5, 261.6256, 440.0, 4186.0])
    np.testing.assert_allclose(ml.hz_to_midi(f), librosa.hz_to_midi(f), atol=1e-9)
    m = np.array([21, 60, 69, 108.5])
    np.testing.assert_allclose(ml.midi_to_hz(m), librosa.midi_to_hz(m), rtol=1e-12)
    t = ml.hz_to_midi(torch.tensor([440.0, 880.0]))
    assert isinstance(t, torch.Tensor) and t.tolist() == [69.0, 81.0]
    assert ml.midi_to_hz(69, tuning_hz=415.0) == 415.0
    with pytest.raises(ParameterError, match="above 0 Hz"):
        ml.hz_to_midi(np.array([440.0, 0.0]))


@pytest.mark.parametrize("name,midi", [("A4", 69), ("C4", 60), ("C#3", 49), ("Eb5", 75), ("B-1", 11)])
def test_note_names(name, midi):
    assert ml.note_to_midi(name) == midi
    assert ml.note_to_midi(ml.midi_to_note(midi)) == midi


def test_bad_note_name():
    with pytest.raises(ParameterError, match="note='H2'"):
        ml.note_to_midi("H2")


def test_db_conversions_match_librosa_and_floor_silence():
    p = np.array([1e-12, 1e-3, 1.0, 100.0])
    np.testing.assert_allclose(ml.power_to_db(p, top_db=None), librosa.power_to_db(p, top_db=None), atol=1e-9)
    np.testing.assert_allclose(ml.power_to_db(p), librosa.power_to_db(p), atol=1e-9)
    a = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(ml.amplitude_to_db(a), librosa.amplitude_to_db(a, ref=1.0, top_db=None), atol=1e-9)
    assert ml.amplitude_to_db(0.0) == -100.0
    assert ml.db_to_amplitude(ml.amplitude_to_db(0.25)) == pytest.approx(0.25)
    assert ml.db_to_power(ml.power_to_db(3.0, top_db=None)) == pytest.approx(3.0)
    t = ml.amplitude_to_db(torch.tensor([0.0, 1.0]))
    assert torch.isfinite(t).all()


def test_sf_reads_what_save_writes_as_flac(tmp_path):
    ml.save(tmp_path / "x.flac", np.full(50, 0.25, dtype=np.float32), sr=16000)
    data, sr = sf.read(str(tmp_path / "x.flac"))
    assert sr == 16000 and data[0] == pytest.approx(0.25, abs=1e-4)
