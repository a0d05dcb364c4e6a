"""Matplotlib figures used across the chapters (nothing imports this module).

Chapter: every notebook.
"""

from .core import waveform, spectrogram, piano_roll, spectrum

__all__ = ["waveform", "spectrogram", "piano_roll", "spectrum"]

from .features import chromagram, feature_curve, gv_bars, timing_bars  # chapter 3

__all__ += ["chromagram", "feature_curve", "gv_bars", "timing_bars"]

from .deep import (
    adaptation_curves,
    channel_response,
    cnn_filters,
    confusion,
    feature_maps,  # chapter 1b
    frame_labels,
    melody,
)

__all__ += ["adaptation_curves", "channel_response", "cnn_filters", "confusion", "feature_maps", "frame_labels", "melody"]

from .encoding import chord_timeline, embedding_map, latent_path, posteriorgram, transition_matrix  # chapter 4

__all__ += ["chord_timeline", "embedding_map", "latent_path", "posteriorgram", "transition_matrix"]

from .attention import alignment, attention_over_score, attention_over_spectrogram, selection  # chapter 2

__all__ += ["alignment", "attention_over_score", "attention_over_spectrogram", "selection"]

from .synth import energy_decay, envelope, filter_response, fm_spectrum, note_pattern, pan_law  # chapter 1a

__all__ += ["energy_decay", "envelope", "filter_response", "fm_spectrum", "note_pattern", "pan_law"]

from .latency import *  # noqa: F401,F403  (chapter 6a)
from .latency import __all__ as _a6a
from .quality import *  # noqa: F401,F403  (chapter 6b)
from .quality import __all__ as _a6b
from .coherence import *  # noqa: F401,F403  (chapter 6c)
from .coherence import __all__ as _a6c

__all__ += list(_a6a) + list(_a6b) + list(_a6c)
from .generation import anneal_trace, ddsp_controls, decoder_comparison  # noqa: E402  (chapter 5)

__all__ += ["anneal_trace", "ddsp_controls", "decoder_comparison"]
