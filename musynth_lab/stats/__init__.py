"""Statistical models: HMMs (hmmlearn), CRFs (sklearn-crfsuite), variational-Bayes mixtures.

Every encoder here follows :class:`~musynth_lab.stats.base.Encoder`: ``fit(...)`` then
``encode(x) -> (n, dim)``.

Chapter: notebooks/04a_statistical.ipynb
"""

from ..errors import rule as _rule, validate_names as _validate_names  # private aliases: not the package API
from .base import Encoder, require_fitted
from .chords import (
    ChordSequence,
    beat_accuracy,
    beat_sync,
    check_chroma,
    chord_templates,
    frame_accuracy,
    frames_to_beats,
    template_chords,
    template_scores,
    transpose_chords,
)
from .hmm import ChordHMM, MelodyHMM, chord_transitions, excerpt_chroma, frame_transitions
from .crf import BeatChordCRF, NoteCRF, chord_tone_labels, note_features, beat_chroma_features, label_scores, majority_baseline
from .vb import VBMixture

__all__ = [
    "Encoder",
    "require_fitted",
    "ChordSequence",
    "beat_accuracy",
    "beat_sync",
    "check_chroma",
    "chord_templates",
    "frame_accuracy",
    "frames_to_beats",
    "template_chords",
    "template_scores",
    "transpose_chords",
    "ChordHMM",
    "MelodyHMM",
    "chord_transitions",
    "excerpt_chroma",
    "frame_transitions",
    "BeatChordCRF",
    "NoteCRF",
    "chord_tone_labels",
    "note_features",
    "beat_chroma_features",
    "label_scores",
    "majority_baseline",
    "VBMixture",
]


def _validate_package():
    """This package's conventional argument names, each rule written once, checked at its boundary."""
    r = _rule

    size = r("int", high=1 << 24)
    rules = {n: size for n in ("hop_length", "max_iterations", "max_iter", "n_components", "n_states", "n_iter")}
    rules.update(
        {
            "smoothing": r("float", low=0),
            "c1": r("float", low=0),
            "c2": r("float", low=0),
            "end_sample": r("float", low=0, none=True),
            "frames_per_beat": r("float", low=0, low_open=True, none=True),
            "template_var": r("float", low=0, low_open=True),
            "seed": r("int", low=0, high=2**32 - 1),
            "weight_concentration_prior": r("float", low=0, low_open=True),
            "beat_samples": r("seq", ndim=1, none=True),
            "semitones": r("int", low=-127, high=127),
            "chorales": r("sequence", none=True),
            "parts": r("sequence", min_len=1),
            "truth": r("sequence"),
            "predicted": r("sequence"),
            "train_labels": r("sequence"),
            "test_labels": r("sequence"),
            "beat_transitions": r("seq", ndim=2),
            "transpose": None,
        }
    )
    rules = {k: v for k, v in rules.items() if v is not None}
    _validate_names(globals(), __all__, rules)


_validate_package()
