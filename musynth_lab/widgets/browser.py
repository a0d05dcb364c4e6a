"""NoteBrowser: pick a bundled instrument, pitch and velocity; hear, see its wave and spectrum.

Chapter: notebooks/00_start_here.ipynb
"""

from __future__ import annotations

import numpy as np

from ..audio import midi_to_note
from ..data import list_instruments, load_notes
from ..plot import spectrum, waveform
from ._base import Frame, Panel, dropdown, slider


def render_note(instrument: str, pitch: int, velocity: int):
    """The bundled note nearest to ``pitch`` for an instrument and velocity: ``(audio, sr, pitch)``.

    Examples
    --------
    >>> audio, sr, pitch = render_note("flute", 69, 110)
    >>> audio.shape, sr, pitch
    ((16000,), 16000, 69)

    Chapter: notebooks/00_start_here.ipynb
    """
    notes = load_notes(instrument=instrument, velocity=velocity)
    i = int(np.argmin(np.abs(notes.pitch - int(pitch))))
    return notes.audio[i], notes.sr, int(notes.pitch[i])


class NoteBrowser(Panel):
    """Browse the bundled notes: instrument, pitch, velocity -> audio, waveform, spectrum.

    Examples
    --------
    >>> panel = NoteBrowser()                       # doctest: +SKIP
    >>> panel.controls["instrument"].value = "flute"  # doctest: +SKIP

    Chapter: notebooks/00_start_here.ipynb
    """

    def __init__(self, instrument: str = "piano", pitch: int = 60, velocity: int = 110):
        controls = {
            "instrument": dropdown("instrument", list_instruments(), instrument),
            "pitch": slider("MIDI pitch", min=28, max=83, value=pitch, integer=True),
            "velocity": dropdown("velocity", [60, 110], velocity),
        }
        super().__init__(controls, render_note, self._draw, title="Bundled notes", figsize=(9, 2.6))

    @staticmethod
    def _draw(result, fig):
        audio, sr, pitch = result
        a, b = fig.subplots(1, 2)
        waveform(audio, sr=sr, ax=a, title=f"{midi_to_note(pitch)} (MIDI {pitch})")
        spectrum(audio, sr=sr, ax=b, title="spectrum")
        b.set_xlim(0, 4000)
        return Frame(audio, sr)
