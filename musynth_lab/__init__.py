"""musynth-lab: a teaching and exploration kit for deep-learning music synthesis.

The package follows the chapters of the source article (see ``notebooks/``). Subpackages
are imported on first use, so ``import musynth_lab`` stays quick and headless:

>>> import musynth_lab as ml
>>> ml.midi_to_hz(69)
440.0
"""

from __future__ import annotations

import importlib

from .errors import ParameterError
from .audio import (
    as_audio,
    get_device,
    set_device,
    seed_everything,
    load,
    save,
    resample,
    play,
    hz_to_midi,
    midi_to_hz,
    midi_to_note,
    note_to_midi,
    amplitude_to_db,
    db_to_amplitude,
    power_to_db,
    db_to_power,
)

__version__ = "0.1.0"

_SUBMODULES = {
    "audio",
    "data",
    "synth",
    "features",
    "attention",
    "stats",
    "models",
    "generate",
    "evaluate",
    "lessons",
    "plot",
    "widgets",
    "exercises",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'musynth_lab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)


__all__ = [
    "ParameterError",
    "as_audio",
    "get_device",
    "set_device",
    "seed_everything",
    "load",
    "save",
    "resample",
    "play",
    "hz_to_midi",
    "midi_to_hz",
    "midi_to_note",
    "note_to_midi",
    "amplitude_to_db",
    "db_to_amplitude",
    "power_to_db",
    "db_to_power",
    "__version__",
]
