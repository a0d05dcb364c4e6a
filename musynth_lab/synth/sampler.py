"""The sampler (音源合成, source synthesis): recorded notes played at any pitch and length.

A :class:`Sampler` holds recorded notes of one instrument (the bundled FluidR3 notes, or your
own). To play MIDI note ``m`` for ``d`` seconds it

1. takes the recording whose pitch (the *root*) is nearest to ``m``;
2. reads it ``2**((m - root) / 12)`` times faster (linear interpolation; when reading
   faster it first removes what would fold above the new Nyquist frequency);
3. when the note is longer than the recording's sustained part, loops a region of whole
   periods of the root's fundamental, crossfaded at the seam so it does not click;
4. shapes the result with its own ADSR envelope (note-off at ``d``).

The source article describes 音源合成 as "turning sampled voice signals into synthesizer
sound"; sample-based synthesis plays recordings back, voice ("choir") samples included, as
an instrument.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import numpy as np
import torch

from ..data import NoteSet, load_notes
from ..errors import ParameterError, as_array, check
from ._util import check_sr, param
from .envelopes import adsr

__all__ = ["Sampler"]


class Sampler:
    """Play recorded notes of one instrument at any pitch and length.

    Parameters
    ----------
    instrument : str or NoteSet
        A bundled instrument name (``musynth_lab.data.list_instruments()``; ``'choir'`` is
        the voice-like one) or a ``NoteSet`` of your own recordings.
    velocity : int
        Which bundled velocity layer to use (60 or 110).
    roots : sequence of int, optional
        Use only these recorded pitches as roots (e.g. every 6th semitone, to hear
        transposition); default all.
    loop_s : (float, float)
        The region of each recording to loop, in seconds; it is snapped to whole periods
        of the root's fundamental. It must lie before the recordings' note-off (0.8 s).
    crossfade_s : float
        Length of the crossfade at the loop seam.

    Examples
    --------
    >>> s = Sampler("choir")
    >>> y = s.play([60, 67], duration_s=1.5, sr=16000)
    >>> y.shape
    torch.Size([2, 26400])

    Chapter: notebooks/01a_synthesis.ipynb
    """

    def __init__(self, instrument="piano", *, velocity: int = 110, roots=None, loop_s=(0.3, 0.7), crossfade_s: float = 0.03):
        if isinstance(instrument, NoteSet):
            notes = instrument
            self.name = "custom"
        else:
            check(
                isinstance(instrument, str),
                "instrument",
                instrument,
                "a bundled instrument name (musynth_lab.data.list_instruments()) or a NoteSet",
            )
            notes = load_notes(instrument=instrument, velocity=velocity)
            self.name = str(instrument)
        if roots is not None:
            keep = np.isin(notes.pitch, np.asarray(list(roots), dtype=int))
            if not keep.any():
                raise ParameterError(
                    f"roots={roots!r}: expected some of the recorded pitches {sorted(set(notes.pitch.tolist()))}"
                )
            notes = notes.subset(np.flatnonzero(keep))
        self.notes = notes
        self.sr_source = int(notes.sr)
        n = notes.audio.shape[-1]
        lo, hi = loop_s
        if not (0 <= lo < hi <= n / self.sr_source) or hi - lo < 2 * crossfade_s:
            raise ParameterError(
                f"loop_s={loop_s!r}: expected (start, end) inside the recording, longer than twice crossfade_s={crossfade_s}"
            )
        self.loop_s = (float(lo), float(hi))
        self.crossfade_s = float(crossfade_s)
        self._tables = {}

    @property
    def pitches(self) -> list:
        """The recorded root pitches."""
        return sorted(set(int(p) for p in self.notes.pitch))

    def _table(self, i: int):
        """Recording ``i`` with a seamless loop: (samples, loop_start, loop_end) in source samples."""
        if i in self._tables:
            return self._tables[i]
        x = self.notes.audio[i].astype(np.float64)
        sr = self.sr_source
        f0 = 440.0 * 2 ** ((int(self.notes.pitch[i]) - 69) / 12)
        period = sr / f0
        ls = int(round(self.loop_s[0] * sr))
        n_periods = max(1, int(round((self.loop_s[1] - self.loop_s[0]) * sr / period)))
        le = ls + int(round(n_periods * period))
        le = min(le, len(x) - 1)
        c = min(int(round(self.crossfade_s * sr)), ls, le - ls - 1)
        y = x.copy()
        if c > 0:
            w = np.sin(0.5 * np.pi * np.arange(c) / c) ** 2  # equal-gain fade for correlated signals
            # the samples just before le blend into the ones just before ls, so le -> ls is seamless
            y[le - c : le] = x[le - c : le] * (1 - w) + x[ls - c : ls] * w
        self._tables[i] = (y, ls, le)
        return self._tables[i]

    def play(self, midi, *, duration_s, sr: int, attack=0.005, decay=0.0, sustain=1.0, release=0.15, gain=1.0, device=None):
        """Render notes: one row per MIDI pitch, ``duration_s`` + ``release`` seconds long.

        Parameters
        ----------
        midi : int, float or sequence [shape=(batch,)]
            MIDI pitches (fractional ones detune).
        duration_s : float or sequence [shape=(batch,)]
            Time from note-on to note-off, > 0 s. The rows share the longest length.
        sr : int
            Output sample rate in Hz.
        attack, decay, sustain, release : float
            The sampler's own ADSR (seconds; sustain level in [0, 1]).
        gain : float
            Output gain (the result is limited to full scale).

        Returns
        -------
        Tensor [shape=(batch, round((max(duration_s) + release) * sr))]
        """
        sr = check_sr(sr)
        m = np.atleast_1d(as_array(midi, "midi"))
        if m.ndim != 1 or not np.all(np.isfinite(m)) or np.any((m < 0) | (m > 127)):
            raise ParameterError(f"midi={midi!r}: expected MIDI pitches in [0, 127]")
        d = np.atleast_1d(as_array(duration_s, "duration_s"))
        d = np.broadcast_to(d, m.shape).copy() if d.ndim == 1 and d.size in (1, m.size) else None
        if d is None or not np.all(np.isfinite(d)) or np.any(d <= 0):
            raise ParameterError(f"duration_s={duration_s!r}: expected positive durations, one or one per note")
        rel = float(param(release, "release", lo=0.0, expected="a time >= 0 s").item())
        n_out = int(round((d.max() + rel) * sr))
        roots = self.notes.pitch.astype(np.float64)
        out = np.zeros((len(m), n_out), dtype=np.float64)
        for row, (mi, _di) in enumerate(zip(m, d)):
            i = int(np.argmin(np.abs(roots - mi)))
            table, ls, le = self._table(i)
            ratio = 2 ** ((mi - roots[i]) / 12) * self.sr_source / sr  # source samples per output sample
            if ratio > 1:
                # a source frequency f ends up at f * ratio * sr / sr_source: keep f below
                # 0.95 * sr_source / (2 ratio) so nothing folds over the output's Nyquist
                spec = np.fft.rfft(table)
                f = np.fft.rfftfreq(len(table), 1 / self.sr_source)
                spec[f > 0.95 * self.sr_source / (2 * ratio)] = 0
                table = np.fft.irfft(spec, n=len(table))
            pos = np.arange(n_out) * ratio
            # hold the note in the loop until note-off; after note-off keep looping (the envelope fades it)
            L = le - ls
            over = pos >= le
            pos = np.where(over, ls + np.mod(pos - ls, L), pos)
            i0 = np.floor(pos).astype(int)
            frac = pos - i0
            i1 = np.minimum(i0 + 1, len(table) - 1)
            out[row] = table[i0] * (1 - frac) + table[i1] * frac
        y = torch.from_numpy(out.astype(np.float32)).to(device or "cpu")
        env = adsr(
            attack=attack,
            decay=decay,
            sustain=sustain,
            release=rel,
            note_off=torch.from_numpy(d.astype(np.float32)).to(y.device),
            n_samples=n_out,
            sr=sr,
        )
        y = y * env * float(gain)
        peak = y.abs().amax(dim=-1, keepdim=True)
        return torch.where(peak > 1.0, y / peak.clamp(min=1e-12), y)
