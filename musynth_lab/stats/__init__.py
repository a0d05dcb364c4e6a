"""Statistical models: HMMs (hmmlearn), CRFs (sklearn-crfsuite), variational-Bayes mixtures.

Every encoder here follows :class:`~musynth_lab.stats.base.Encoder`: ``fit(...)`` then
``encode(x) -> (n, dim)``.

Chapter: notebooks/04_encoding.ipynb
"""

from .base import Encoder, require_fitted
from .chords import (ChordSequence, beat_accuracy, beat_sync, check_chroma, chord_templates,
                     frame_accuracy, frames_to_beats, template_chords, template_scores, transpose_chords)
from .hmm import ChordHMM, MelodyHMM, chord_transitions, excerpt_chroma, frame_transitions
from .crf import (BeatChordCRF, NoteCRF, chord_tone_labels, note_features, beat_chroma_features,
                  label_scores, majority_baseline)
from .vb import VBMixture

__all__ = [
    "Encoder", "require_fitted", "ChordSequence", "beat_accuracy", "beat_sync", "check_chroma",
    "chord_templates", "frame_accuracy", "frames_to_beats", "template_chords", "template_scores",
    "transpose_chords", "ChordHMM", "MelodyHMM", "chord_transitions", "excerpt_chroma", "frame_transitions",
    "BeatChordCRF", "NoteCRF", "chord_tone_labels", "note_features", "beat_chroma_features",
    "label_scores", "majority_baseline", "VBMixture",
]
