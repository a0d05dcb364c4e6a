"""Conditional random fields (条件随机场) through sklearn-crfsuite: discriminative sequence labellers.

A linear-chain CRF models ``P(labels | observations)`` directly, with weights on readable
feature functions of the observations and on label-to-label transitions. It is not a
generative model of the music (it cannot sample notes or chroma); it labels them. Two tasks:

* :class:`NoteCRF`: each note of a chorale voice is a chord tone (``'CT'``) or a non-chord
  tone (``'NCT'``: passing, neighbour, suspension...), from features such as the pitch class
  relative to the key, intervals to the neighbouring notes, metrical position, duration and
  the interval above the bass;
* :class:`BeatChordCRF`: the chord of each beat of an excerpt from its beat-averaged
  chroma, the discriminative twin of :class:`~musynth_lab.stats.hmm.ChordHMM`.

Pooled marginals ``P(label_t | x)`` give a fixed-length encoding of a sequence.

Chapter: notebooks/04a_statistical.ipynb
"""

from __future__ import annotations

import numpy as np

from ..data import CHORD_NAMES, Chorale, Excerpt, load_excerpt
from ..errors import ParameterError, as_sequence, check
from .base import Encoder, require_fitted
from .chords import beat_accuracy, beat_sync, check_chroma, transpose_chords
from .hmm import excerpt_chroma

__all__ = [
    "chord_tone_labels",
    "note_features",
    "NoteCRF",
    "beat_chroma_features",
    "BeatChordCRF",
    "majority_baseline",
    "label_scores",
]

_TRIADS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8)}
_PARTS = ("S", "A", "T", "B")


def _check_chorale(piece, name="piece"):
    check(isinstance(piece, Chorale), name, piece, "a Chorale from musynth_lab.data.load_chorales()")


def _check_part(part):
    if part not in _PARTS:
        raise ParameterError(f"part={part!r}: expected one of 'S', 'A', 'T', 'B'")


def chord_tone_labels(piece: Chorale, *, part: str = "S") -> list:
    """``'CT'`` or ``'NCT'`` for each note of one voice: is its pitch class in the beat's triad?

    The chord is the annotated chord of the quarter-note beat in force at the note's onset
    (full triad quality: major, minor, diminished, augmented); notes over "no chord" count
    as non-chord tones.

    Returns
    -------
    list of str [length=n_notes]

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> labels = chord_tone_labels(load_chorales("train")[0])
    >>> sorted(set(labels))
    ['CT', 'NCT']

    Chapter: notebooks/04a_statistical.ipynb
    """
    _check_chorale(piece)
    _check_part(part)
    notes = piece.parts[part]
    idx = np.clip(np.searchsorted(piece.beats[:, 0], notes[:, 0] + 1e-9, side="right") - 1, 0, None)
    out = []
    for (_on, _dur, midi), b in zip(notes, idx):
        root, quality = int(piece.beats[b, 1]), piece.qualities[b]
        if quality == "N" or root < 0:
            out.append("NCT")
            continue
        pcs = {(root + k) % 12 for k in _TRIADS[quality]}
        out.append("CT" if int(midi) % 12 in pcs else "NCT")
    return out


def _sounding(notes, t):
    m = (notes[:, 0] <= t + 1e-9) & (notes[:, 0] + notes[:, 1] > t + 1e-9)
    return notes[m, 2]


def note_features(piece: Chorale, *, part: str = "S") -> list:
    """Readable features of each note of one voice, one dict per note (crfsuite's input).

    Features: ``pc`` (pitch class relative to the key's tonic) and ``mode``; ``prev_int`` /
    ``next_int`` (semitones to the neighbouring notes, clipped to +-12) and whether each is a
    step; ``beat_pos`` (position within the bar, quarters) and ``on_beat``; ``dur``
    (quarters); ``bass_int`` (interval class above the bass sounding at the onset, or
    ``'bass'`` for the bass itself); ``n_dissonant`` (how many other voices sounding at the
    onset form a second, seventh or tritone with the note); and the neighbours' ``pc``.

    Returns
    -------
    list of dict [length=n_notes]

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> f = note_features(load_chorales("train")[0], part="A")[1]
    >>> sorted(f)[:5]
    ['bass_int', 'beat_pos', 'bias', 'dur', 'mode']

    Chapter: notebooks/04a_statistical.ipynb
    """
    _check_chorale(piece)
    _check_part(part)
    notes = piece.parts[part]
    tonic = piece.key_tonic_pc
    pcs = [int(m - tonic) % 12 for m in notes[:, 2]]
    feats = []
    for i, (on, dur, midi) in enumerate(notes):
        f = {
            "bias": 1.0,
            "pc": str(pcs[i]),
            "mode": piece.key_mode,
            "dur": str(min(float(dur), 4.0)),
            "on_beat": bool(abs(on - round(on)) < 1e-6),
        }
        pos = (on - piece.pickup_q) % piece.bar_q if piece.bar_q > 0 else 0.0
        f["beat_pos"] = str(round(float(pos), 2))
        for side, j in (("prev", i - 1), ("next", i + 1)):
            if (
                0 <= j < len(notes)
                and abs((notes[j, 0] + notes[j, 1] if side == "prev" else on + dur) - (on if side == "prev" else notes[j, 0]))
                < 1e-6
            ):
                step = int(np.clip(notes[j, 2] - midi, -12, 12)) if side == "next" else int(np.clip(midi - notes[j, 2], -12, 12))
                f[f"{side}_int"] = str(step)
                f[f"{side}_step"] = abs(step) in (1, 2)
                f[f"{side}_pc"] = str(pcs[j])
            else:
                f[f"{side}_int"] = "rest"
        if part == "B":
            f["bass_int"] = "bass"
        else:
            bass = _sounding(piece.parts["B"], on)
            f["bass_int"] = str(int(midi - bass.min()) % 12) if len(bass) else "none"
        others = np.concatenate([_sounding(piece.parts[p], on) for p in _PARTS if p != part])
        ic = np.abs(midi - others) % 12
        f["n_dissonant"] = str(int(np.isin(ic, (1, 2, 6, 10, 11)).sum()))
        feats.append(f)
    return feats


def majority_baseline(train_labels, test_labels) -> float:
    """Accuracy of always answering the most frequent training label.

    Examples
    --------
    >>> majority_baseline([["a", "a", "b"]], [["a", "b"]])
    0.5

    Chapter: notebooks/04a_statistical.ipynb
    """
    flat = [y for seq in train_labels for y in seq]
    check(len(flat) > 0, "train_labels", train_labels, "at least one label")
    values, counts = np.unique(flat, return_counts=True)
    top = values[np.argmax(counts)]
    test = [y for seq in test_labels for y in seq]
    return float(np.mean([y == top for y in test]))


def label_scores(truth, predicted, *, positive: str | None = None) -> dict:
    """Accuracy, macro-F1 and (with ``positive``) that class's precision, recall and F1.

    Examples
    --------
    >>> s = label_scores([["CT", "NCT", "CT"]], [["CT", "CT", "CT"]], positive="NCT")
    >>> round(s["accuracy"], 3), s["f1"]
    (0.667, 0.0)

    Chapter: notebooks/04a_statistical.ipynb
    """
    # sklearn and sklearn_crfsuite are imported where used: importing this module (and `import musynth_lab`) stays light
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    t = [y for seq in truth for y in seq]
    p = [y for seq in predicted for y in seq]
    check(len(t) == len(p) and len(t) > 0, "predicted", len(p), f"as many labels as truth ({len(t)})")
    out = {"accuracy": float(accuracy_score(t, p)), "macro_f1": float(f1_score(t, p, average="macro", zero_division=0))}
    if positive is not None:
        pr, rc, f1, _ = precision_recall_fscore_support(t, p, labels=[positive], zero_division=0)
        out.update(precision=float(pr[0]), recall=float(rc[0]), f1=float(f1[0]))
    return out


class _CRFEncoder(Encoder):
    labels_: list

    def __init__(self, *, c1: float = 0.05, c2: float = 0.05, max_iterations: int = 100):
        check(c1 >= 0, "c1", c1, "a non-negative L1 weight")
        check(c2 >= 0, "c2", c2, "a non-negative L2 weight")
        check(int(max_iterations) > 0, "max_iterations", max_iterations, "a positive integer")
        self.c1, self.c2, self.max_iterations = float(c1), float(c2), int(max_iterations)
        self.fitted = False

    def _train(self, X, y):
        import sklearn_crfsuite

        crf = sklearn_crfsuite.CRF(
            algorithm="lbfgs", c1=self.c1, c2=self.c2, max_iterations=self.max_iterations, all_possible_transitions=True
        )
        crf.fit(X, y)
        self.crf_ = crf
        self.labels_ = list(self.label_set)
        self.dim = len(self.labels_)
        self.fitted = True
        return self

    def _marginal_matrix(self, X):
        marg = self.crf_.predict_marginals(X)
        return [np.array([[m.get(lab, 0.0) for lab in self.labels_] for m in seq]) for seq in marg]

    def top_features(self, label: str, n: int = 8) -> list:
        """The ``n`` state features with the largest weight for ``label``: ``(feature, weight)``."""
        require_fitted(self, self.fitted)
        check(label in self.labels_, "label", label, f"one of {self.labels_[:6]}...")
        items = [(attr, w) for (attr, lab), w in self.crf_.state_features_.items() if lab == label]
        return sorted(items, key=lambda kv: -kv[1])[:n]


class NoteCRF(_CRFEncoder):
    """Label every note of a chorale voice as chord tone / non-chord tone with a linear-chain CRF.

    Parameters
    ----------
    parts : sequence of str
        Voices used as sequences (each voice of each chorale is one sequence).
    c1, c2 : float
        L1 and L2 regularisation of crfsuite's L-BFGS training.
    max_iterations : int

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> crf = NoteCRF(max_iterations=20).fit(load_chorales("train")[:15])
    >>> test = load_chorales("test")[:3]
    >>> crf.score(test)["accuracy"] > majority_baseline(crf.labels(load_chorales("train")[:15]),
    ...                                                 crf.labels(test))
    True
    >>> crf.encode(test).shape                              # mean P(CT), P(NCT) per piece
    (3, 2)

    Chapter: notebooks/04a_statistical.ipynb
    """

    label_set = ("CT", "NCT")

    def __init__(self, *, parts=_PARTS, c1: float = 0.05, c2: float = 0.05, max_iterations: int = 100):
        super().__init__(c1=c1, c2=c2, max_iterations=max_iterations)
        for p in parts:
            _check_part(p)
        self.parts = tuple(parts)

    def _pieces(self, chorales):
        if isinstance(chorales, Chorale):
            chorales = [chorales]
        chorales = as_sequence(chorales, "chorales", what="a non-empty list of Chorale objects")
        check(len(chorales) > 0, "chorales", chorales, "a non-empty list of Chorale objects")
        for c in chorales:
            _check_chorale(c, "chorales[i]")
        return chorales

    def features(self, chorales) -> list:
        """One feature-dict sequence per (chorale, voice)."""
        return [note_features(c, part=p) for c in self._pieces(chorales) for p in self.parts]

    def labels(self, chorales) -> list:
        """One ``'CT'``/``'NCT'`` sequence per (chorale, voice)."""
        return [chord_tone_labels(c, part=p) for c in self._pieces(chorales) for p in self.parts]

    def fit(self, chorales):
        """Train on chorales (e.g. ``load_chorales('train')``). Returns ``self``."""
        return self._train(self.features(chorales), self.labels(chorales))

    def predict(self, chorales) -> list:
        """Predicted label sequences, one per (chorale, voice)."""
        require_fitted(self, self.fitted)
        return self.crf_.predict(self.features(chorales))

    def score(self, chorales) -> dict:
        """Accuracy, macro-F1 and the non-chord-tone class's precision/recall/F1 on ``chorales``."""
        return label_scores(self.labels(chorales), self.predict(chorales), positive="NCT")

    def _encode(self, chorales) -> np.ndarray:
        rows = []
        for c in self._pieces(chorales):
            mats = self._marginal_matrix([note_features(c, part=p) for p in self.parts])
            rows.append(np.concatenate(mats).mean(axis=0))
        return np.stack(rows)


def beat_chroma_features(beat_chroma) -> list:
    """Feature dicts for each beat of a beat-synchronous chromagram ``(12, n_beats)``.

    Each beat has its 12 chroma values (``c0`` .. ``c11``, real-valued features), which
    pitch classes are among its three strongest (``top=k``), and the previous and next
    beats' chroma values (``prev:c..``, ``next:c..``).

    Examples
    --------
    >>> f = beat_chroma_features(np.eye(12)[:, :3])
    >>> f[0]["c0"], f[0]["top=0"], "prev:c0" in f[1]
    (1.0, 1.0, True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    C = check_chroma(beat_chroma, "beat_chroma")
    n = C.shape[1]
    out = []
    for t in range(n):
        f = {"bias": 1.0}
        f.update({f"c{k}": float(C[k, t]) for k in range(12)})
        for k in np.argsort(-C[:, t])[:3]:
            f[f"top={int(k)}"] = 1.0
        if t > 0:
            f.update({f"prev:c{k}": float(C[k, t - 1]) for k in range(12)})
        if t < n - 1:
            f.update({f"next:c{k}": float(C[k, t + 1]) for k in range(12)})
        out.append(f)
    return out


class BeatChordCRF(_CRFEncoder):
    """The chord of each beat from beat-averaged chroma, with a linear-chain CRF.

    Trained on the training excerpts' beats, each excerpt used in all 12 transpositions
    (chroma rotated, labels moved), so every chord is seen.

    Parameters
    ----------
    hop_length : int
        Samples between chroma frames.
    c1, c2, max_iterations
        As :class:`NoteCRF`.

    Examples
    --------
    >>> crf = BeatChordCRF()                       # doctest: +SKIP
    >>> crf.fit(list_excerpts("train")).score(list_excerpts("test"))  # doctest: +SKIP

    Chapter: notebooks/04a_statistical.ipynb
    """

    label_set = tuple(CHORD_NAMES)

    def __init__(
        self, *, hop_length: int = 512, c1: float = 0.05, c2: float = 0.01, max_iterations: int = 60, transpose: bool = True
    ):
        super().__init__(c1=c1, c2=c2, max_iterations=max_iterations)
        check(int(hop_length) > 0, "hop_length", hop_length, "a positive number of samples")
        self.hop_length, self.transpose = int(hop_length), bool(transpose)

    def _beats(self, excerpts, chromas):
        if isinstance(excerpts, (str, Excerpt)):
            excerpts = [excerpts]
        exs = [load_excerpt(e) if isinstance(e, str) else e for e in excerpts]
        check(
            len(exs) > 0 and all(isinstance(e, Excerpt) for e in exs),
            "excerpts",
            excerpts,
            "a non-empty list of Excerpts or excerpt names",
        )
        if chromas is None:
            chromas = [excerpt_chroma(e, hop_length=self.hop_length) for e in exs]
        check(len(chromas) == len(exs), "chromas", chromas, f"one chroma per excerpt ({len(exs)})")
        B = [
            beat_sync(c, e.beats[:, 0], hop_length=self.hop_length, end_sample=float(e.notes[:, 1].max()))
            for e, c in zip(exs, chromas)
        ]
        return exs, B

    def fit(self, excerpts, *, chromas=None):
        """Train on excerpts (names or :class:`~musynth_lab.data.Excerpt`); ``chromas`` may be precomputed."""
        exs, B = self._beats(excerpts, chromas)
        X, y = [], []
        for e, b in zip(exs, B):
            lab = e.beats[:, 2].astype(np.int64)
            for k in range(12) if self.transpose else [0]:
                X.append(beat_chroma_features(np.roll(b, k, axis=0)))
                y.append([CHORD_NAMES[i] for i in transpose_chords(lab, k)])
        return self._train(X, y)

    def _predict_beats(self, B):
        pred = self.crf_.predict([beat_chroma_features(b) for b in B])
        return [np.array([CHORD_NAMES.index(p) for p in seq], dtype=np.int64) for seq in pred]

    def predict(self, excerpts, *, chromas=None) -> list:
        """Chord indices per beat, one ``(n_beats,)`` array per excerpt."""
        require_fitted(self, self.fitted)
        return self._predict_beats(self._beats(excerpts, chromas)[1])

    def score(self, excerpts, *, chromas=None) -> float:
        """Beat accuracy (root and major/minor, "N" beats left out) over all beats of ``excerpts``."""
        require_fitted(self, self.fitted)
        exs, B = self._beats(excerpts, chromas)
        t = np.concatenate([e.beats[:, 2].astype(np.int64) for e in exs])
        return beat_accuracy(np.concatenate(self._predict_beats(B)), t)

    def _encode(self, excerpts) -> np.ndarray:
        _, B = self._beats(excerpts, None)
        mats = self._marginal_matrix([beat_chroma_features(b) for b in B])
        return np.stack([m.mean(axis=0) for m in mats])
