"""The DDSP-style decoder: its synthesis modules obey physics, and training beats a fixed template."""

import numpy as np
import pytest
import torch

from musynth_lab import ParameterError, data, seed_everything
from musynth_lab.models import fit
from musynth_lab.models.ddsp import (
    DDSPDecoder,
    ddsp_controls,
    ddsp_loss,
    filtered_noise,
    harmonic_synth,
    harmonic_template,
    timbre_transfer,
)

SR = 16000


def _peak_hz(y, sr=SR):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[spec.argmax()]


def test_harmonic_bank_puts_each_harmonic_where_physics_does(device):
    f0 = torch.full((1, SR), 300.0, device=device)
    for k in (1, 2, 5):
        amps = torch.zeros(1, 8, SR, device=device)
        amps[:, k - 1] = 0.5
        y = harmonic_synth(f0, amps, sr=SR)[0].cpu().numpy()
        assert abs(_peak_hz(y) - 300 * k) <= 1.0
        assert np.sqrt(np.mean(y**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_harmonics_above_nyquist_are_silent():
    f0 = torch.full((1, SR), 3000.0)
    amps = torch.zeros(1, 4, SR)
    amps[:, 2] = 1.0  # 9 kHz > 8 kHz Nyquist
    assert float(harmonic_synth(f0, amps, sr=SR).abs().max()) == 0.0


def test_filtered_noise_follows_its_band_gains():
    mags = torch.zeros(1, 8, 20)
    mags[:, 1] = 1.0  # the second of eight bands spanning 0..8 kHz: around 1.1 kHz
    y = filtered_noise(mags, n_samples=SR, seed=0)[0].numpy()
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(SR, 1 / SR)
    low, high = spec[(f > 500) & (f < 2000)].sum(), spec[f > 4000].sum()
    assert low > 20 * high


def test_controls_measured_with_chapter_3_features():
    notes = data.load_notes(instrument="flute", velocity=110, pitch=[60, 72])
    f0, loud = ddsp_controls(notes.audio, sr=SR, hop_length=64)
    assert f0.shape == (2, 251) and loud.shape == (2, 251)
    mid = slice(60, 180)
    assert np.median(f0[0, mid]) == pytest.approx(261.63, rel=0.02)
    assert np.median(f0[1, mid]) == pytest.approx(523.25, rel=0.02)
    assert float(loud[0, 100]) > float(loud[0, 240]) + 6  # louder while held than after the release


def test_trained_decoder_beats_a_fixed_harmonic_template_on_held_out_notes():
    notes = data.load_notes(instrument="violin", velocity=110)
    held = notes.pitch % 3 == 0
    tr, te = notes.subset(~held), notes.subset(held)
    f0, loud = ddsp_controls(tr.audio, sr=SR, hop_length=64)
    f0t, loudt = ddsp_controls(te.audio, sr=SR, hop_length=64)
    seed_everything(0)
    dec = DDSPDecoder(sr=SR, hop_length=64, n_harmonics=24, n_noise_bands=16, hidden=48)
    fit(
        dec,
        (f0, loud, torch.as_tensor(tr.audio)),
        loss_fn=ddsp_loss,
        epochs=8,
        lr=3e-3,
        batch_size=4,
        progress=False,
        device="cpu",
        seed=0,
    )
    with torch.no_grad():
        ours = float(ddsp_loss(dec.eval()(f0t, loudt), torch.as_tensor(te.audio)))
    template = float(ddsp_loss(harmonic_template(f0t, loudt, sr=SR, hop_length=64), torch.as_tensor(te.audio)))
    assert ours < 0.8 * template, (ours, template)


def test_decoder_is_differentiable_and_transfers_timbre():
    dec = DDSPDecoder(sr=SR, hop_length=64, n_harmonics=8, hidden=16)
    f0 = torch.full((1, 21), 220.0)
    loud = torch.full((1, 21), -20.0, requires_grad=True)
    dec(f0, loud).pow(2).sum().backward()
    assert loud.grad is not None and torch.isfinite(loud.grad).all()
    assert all(p.grad is not None for p in dec.out.parameters())
    melody = data.load_notes(instrument="flute", pitch=67, velocity=110).audio[0]
    out = timbre_transfer(dec, melody, sr=SR, transpose=-12)
    assert out.shape == (1, 16000) and torch.isfinite(out).all()


def test_bad_input():
    dec = DDSPDecoder(sr=SR, hop_length=64, n_harmonics=8, hidden=16)
    with pytest.raises(ParameterError, match="same shape"):
        dec(torch.full((1, 10), 220.0), torch.full((1, 11), -20.0))
    with pytest.raises(ParameterError, match="NaN"):
        dec(torch.full((1, 10), float("nan")), torch.full((1, 10), -20.0))
    with pytest.raises(ParameterError, match="sr=22050"):
        timbre_transfer(dec, np.zeros(4000, np.float32), sr=22050)
    with pytest.raises(ParameterError, match="sr=0"):
        DDSPDecoder(sr=0)


def test_controls_measured_in_chunks_equal_one_batch(monkeypatch):
    # ddsp_controls measures CONTROL_CHUNK notes at a time (YIN's memory): the result must not depend on it
    from musynth_lab import data
    from musynth_lab.models import ddsp

    y = data.load_notes(instrument="violin").audio[:6]
    f0, loud = ddsp.ddsp_controls(y, sr=16000, hop_length=64)
    monkeypatch.setattr(ddsp, "CONTROL_CHUNK", 100)
    f0_all, loud_all = ddsp.ddsp_controls(y, sr=16000, hop_length=64)
    assert f0.shape == (6, 251) and torch.equal(f0, f0_all) and torch.equal(loud, loud_all)
    assert 150 < float(f0[0].median()) < 2000  # a violin note's f0, in Hz
