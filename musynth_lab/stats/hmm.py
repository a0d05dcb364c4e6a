"""Hidden Markov models (隐马尔科夫模型) through hmmlearn: a chord recogniser and a melody model.

* :class:`ChordHMM`: 25 hidden states (24 major/minor triads and "N"); the transition
  matrix is counted from the training chorales' beat-chord labels (pooled over all 12
  transpositions, so every key is covered); emissions are Gaussians over unit-norm chroma,
  either centred on binary triad templates or fitted on the training excerpts' chroma
  (pooled key-relatively over roots); Viterbi decoding by hmmlearn gives chords per frame
  or per beat, with times. Its mean state posterior is a 25-dimensional encoding.
* :class:`MelodyHMM`: a categorical HMM over melody tokens, fitted by Baum-Welch, that can
  score and sample melodies; its mean state posterior is an encoding too.

Chapter: notebooks/04a_statistical.ipynb
"""

from __future__ import annotations

import copy

import numpy as np

from ..audio import check_sr
from ..data import (
    N_CHORDS,
    N_MELODY_TOKENS,
    NO_CHORD,
    Chorale,
    Excerpt,
    check_vocabulary,
    chord_templates,
    list_excerpts,
    load_chorales,
    load_excerpt,
    unit_columns,
)
from ..errors import ParameterError, as_array, as_float, as_int, as_sequence, check
from . import frontend
from .base import Encoder, require_fitted
from .chords import ChordSequence, check_chroma, frames_to_beats, transpose_chords

__all__ = ["chord_transitions", "frame_transitions", "ChordHMM", "MelodyHMM", "excerpt_chroma"]


def chord_transitions(chorales=None, *, transpose: bool = True, smoothing: float = 0.5) -> np.ndarray:
    """Beat-to-beat chord transition probabilities counted from chorales, ``(25, 25)``.

    Parameters
    ----------
    chorales : list of Chorale, optional
        Defaults to ``load_chorales('train')``.
    transpose : bool
        Count every chorale in all 12 transpositions (key-relative pooling): a progression
        seen in G major is then known in every key, and the matrix is the same under
        transposition.
    smoothing : float
        Add-``smoothing`` counts, so no transition has probability 0.

    Returns
    -------
    np.ndarray [shape=(25, 25)]
        Row ``i`` is ``P(chord at the next beat | chord i)``; rows sum to 1.

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> A = chord_transitions(load_chorales("train")[:20])
    >>> A.shape, bool(np.allclose(A.sum(axis=1), 1)), bool(np.isclose(A[0, 7], A[2, 9]))
    ((25, 25), True, True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    chorales = load_chorales("train") if chorales is None else list(chorales)
    check(
        len(chorales) > 0 and all(isinstance(c, Chorale) for c in chorales),
        "chorales",
        chorales,
        "a non-empty list of Chorale objects",
    )
    check(smoothing >= 0, "smoothing", smoothing, "a non-negative pseudo-count")
    counts = np.full((N_CHORDS, N_CHORDS), float(smoothing))
    for piece in chorales:
        c = piece.chords
        for k in range(12) if transpose else [0]:
            cc = transpose_chords(c, k)
            np.add.at(counts, (cc[:-1], cc[1:]), 1.0)
    counts += 1e-12
    return counts / counts.sum(axis=1, keepdims=True)


def frame_transitions(beat_transitions, frames_per_beat: float) -> np.ndarray:
    """Turn beat-level transitions into frame-level ones with the same expected chord length.

    ``A_frame = (1 - 1/f) I + (1/f) A_beat`` for ``f`` frames per beat: at each frame the
    chord moves on with probability ``1/f`` and then follows the beat-level matrix.

    Examples
    --------
    >>> A = frame_transitions(np.full((25, 25), 1 / 25), 10.0)
    >>> round(float(A[0, 0]), 4), bool(np.allclose(A.sum(1), 1))
    (0.904, True)

    Chapter: notebooks/04a_statistical.ipynb
    """
    A = np.asarray(beat_transitions, dtype=np.float64)
    check(A.shape == (N_CHORDS, N_CHORDS) and np.allclose(A.sum(1), 1), "beat_transitions", A, "a (25, 25) row-stochastic matrix")
    frames_per_beat = as_float(frames_per_beat, "frames_per_beat", low=1)
    move = 1.0 / float(frames_per_beat)
    return (1 - move) * np.eye(N_CHORDS) + move * A


def excerpt_chroma(excerpt, *, hop_length: int = 512) -> np.ndarray:
    """CQT chroma of a bundled excerpt (an :class:`~musynth_lab.data.Excerpt` or its name), ``(12, n_frames)``.

    Examples
    --------
    >>> C = excerpt_chroma(list_excerpts("test")[0])   # doctest: +SKIP

    Chapter: notebooks/04a_statistical.ipynb
    """
    ex = load_excerpt(excerpt) if isinstance(excerpt, str) else excerpt
    check(isinstance(ex, Excerpt), "excerpt", excerpt, "an Excerpt or a name from list_excerpts()")
    return frontend.chroma_cqt(ex.audio, sr=ex.sr, hop_length=hop_length)


class ChordHMM(Encoder):
    """Chord recognition from chroma with a 25-state Gaussian HMM (hmmlearn), Viterbi-decoded.

    Parameters
    ----------
    emissions : {'gaussian', 'template'}
        ``'gaussian'``: per-chord means and diagonal variances fitted on the training
        excerpts' unit-norm chroma, pooled key-relatively (each chord's frames rotated to
        root C, one model per quality, rotated back to all 12 roots). ``'template'``: means
        are the unit-norm binary triad templates with variance ``template_var``.
    vocabulary : {'majmin'}
    hop_length : int
        Samples between chroma frames.
    smoothing : float
        Pseudo-count of the transition counts.
    template_var : float
        Emission variance of ``emissions='template'``.

    Attributes
    ----------
    hmm_ : hmmlearn.hmm.GaussianHMM
        The fitted model at beat level (its ``transmat_`` is the beat-level matrix).
    beat_transmat_ : np.ndarray [shape=(25, 25)]
    frames_per_beat_ : float
        Mean beat length of the training excerpts, in frames (used when no beats are given).

    Examples
    --------
    >>> hmm = ChordHMM(emissions="template").fit(chorales=load_chorales("train")[:30])
    >>> T = chord_templates(normalize=False)
    >>> chroma = np.repeat(T[[0, 0, 7, 0]].T, 10, axis=1) + 0.05     # C, C, G, C, 10 frames each
    >>> seq = hmm.predict(chroma, sr=22050, frames_per_beat=10)
    >>> [name for _, name in seq.segments()]
    ['C:maj', 'G:maj', 'C:maj']
    >>> hmm.encode([chroma]).shape
    (1, 25)

    Chapter: notebooks/04a_statistical.ipynb
    """

    dim = N_CHORDS

    def __init__(
        self,
        *,
        emissions: str = "gaussian",
        vocabulary: str = "majmin",
        hop_length: int = 512,
        smoothing: float = 0.5,
        template_var: float = 0.04,
    ):
        if emissions not in ("gaussian", "template"):
            raise ParameterError(f"emissions={emissions!r}: expected 'gaussian' or 'template'")
        check_vocabulary(vocabulary)
        check(int(hop_length) > 0, "hop_length", hop_length, "a positive number of samples")
        check(template_var > 0, "template_var", template_var, "a positive variance")
        self.emissions, self.vocabulary, self.hop_length = emissions, vocabulary, int(hop_length)
        self.smoothing, self.template_var = float(smoothing), float(template_var)
        self.fitted = False

    # -- fitting -----------------------------------------------------------------------
    def fit(self, excerpts=None, *, chorales=None, chromas=None):
        """Learn transitions from ``chorales`` and (for Gaussian emissions) emissions from excerpts.

        Parameters
        ----------
        excerpts : list of Excerpt or str, optional
            Training excerpts (default: ``list_excerpts('train')``); used for Gaussian
            emissions and the typical beat length.
        chorales : list of Chorale, optional
            Default: ``load_chorales('train')``.
        chromas : list of np.ndarray, optional
            Precomputed chroma of ``excerpts`` (same order), to save time.

        Returns
        -------
        self
        """
        # hmmlearn is imported where used: importing this module (and `import musynth_lab`) stays light
        from hmmlearn import hmm as hl

        self.beat_transmat_ = chord_transitions(chorales, smoothing=self.smoothing)
        need_audio = self.emissions == "gaussian"
        if excerpts is None and (need_audio or chromas is not None):
            excerpts = list_excerpts("train")
        excerpts = [load_excerpt(e) if isinstance(e, str) else e for e in (excerpts or [])]
        if chromas is None and need_audio:  # template emissions use the excerpts' beats only
            chromas = [excerpt_chroma(e, hop_length=self.hop_length) for e in excerpts]
        if chromas is not None:
            check(len(chromas) == len(excerpts), "chromas", chromas, f"one chroma per excerpt ({len(excerpts)})")
            chromas = [unit_columns(check_chroma(c, "chromas[i]")) for c in chromas]
        if excerpts:
            lengths = [np.diff(e.beats[:, 0]).mean() / self.hop_length for e in excerpts if len(e.beats) > 1]
            self.frames_per_beat_ = float(np.mean(lengths))
        else:
            self.frames_per_beat_ = 22050 * 60 / 90 / self.hop_length  # 90 bpm at 22.05 kHz
        if need_audio:
            check(len(excerpts) > 0, "excerpts", excerpts, "training excerpts for Gaussian emissions")
            means, var = self._fit_gaussians(excerpts, chromas)
        else:
            means = chord_templates(self.vocabulary)
            var = np.full((N_CHORDS, 12), self.template_var)
        model = hl.GaussianHMM(n_components=N_CHORDS, covariance_type="diag", init_params="", params="")
        model.n_features = 12
        model.startprob_ = np.full(N_CHORDS, 1.0 / N_CHORDS)
        model.transmat_ = self.beat_transmat_
        model.means_ = means
        model.covars_ = var
        self.hmm_ = model
        self.fitted = True
        return self

    def _fit_gaussians(self, excerpts, chromas):
        pooled = {0: [], 1: []}
        no_chord = []
        for ex, C in zip(excerpts, chromas):
            lab = ex.chord_frames(hop_length=self.hop_length, n_frames=C.shape[1])
            for q in (0, 1):
                for r in range(12):
                    m = lab == 12 * q + r
                    if m.any():
                        pooled[q].append(np.roll(C[:, m], -r, axis=0))
            no_chord.append(C[:, lab == NO_CHORD])
        means, var = np.zeros((N_CHORDS, 12)), np.zeros((N_CHORDS, 12))
        for q in (0, 1):
            check(
                len(pooled[q]) > 0,
                "excerpts",
                [e.name for e in excerpts],
                f"training frames of {'major' if q == 0 else 'minor'} chords",
            )
            X = np.concatenate(pooled[q], axis=1)
            for r in range(12):
                means[12 * q + r] = np.roll(X.mean(axis=1), r)
                var[12 * q + r] = np.roll(X.var(axis=1), r)
        XN = np.concatenate(no_chord, axis=1) if no_chord else np.zeros((12, 0))
        # "N" is modelled as a flat, broad Gaussian: it has few training frames and no root.
        means[NO_CHORD] = XN.mean() if XN.size else 1 / np.sqrt(12)
        var[NO_CHORD] = (XN.var() if XN.size else 0.0) + 0.05
        return means, var + 1e-3

    # -- decoding ----------------------------------------------------------------------
    def frame_model(self, frames_per_beat: float):
        """The hmmlearn ``GaussianHMM`` at frame rate (``transmat_`` from :func:`frame_transitions`)."""
        require_fitted(self, self.fitted)

        m = copy.deepcopy(self.hmm_)
        m.transmat_ = frame_transitions(self.beat_transmat_, frames_per_beat)
        return m

    def _frames_per_beat(self, beat_samples, frames_per_beat):
        if frames_per_beat is not None:
            return float(frames_per_beat)
        if beat_samples is not None and len(beat_samples) > 1:
            return float(np.diff(np.asarray(beat_samples, dtype=float)).mean() / self.hop_length)
        return self.frames_per_beat_

    def posteriors(self, chroma, *, frames_per_beat: float | None = None) -> np.ndarray:
        """State posteriors ``P(chord | all chroma)`` per frame (forward-backward), ``(n_frames, 25)``."""
        require_fitted(self, self.fitted)
        C = unit_columns(check_chroma(chroma))
        return self.frame_model(self._frames_per_beat(None, frames_per_beat)).predict_proba(C.T)

    def predict(
        self, chroma, *, sr: int, level: str = "frame", beat_samples=None, end_sample=None, frames_per_beat: float | None = None
    ) -> ChordSequence:
        """Viterbi-decode the chords of a chromagram.

        Parameters
        ----------
        chroma : np.ndarray [shape=(12, n_frames)]
        sr : int
            Sample rate of the audio the chroma came from (for the times).
        level : {'frame', 'beat'}
            ``'beat'`` takes the most frequent decoded chord within each beat (needs
            ``beat_samples``).
        beat_samples : np.ndarray [shape=(n_beats,)], optional
            Beat positions in samples; they also set the frame-level chord-change rate.
        end_sample : float, optional
            End of the last beat.
        frames_per_beat : float, optional
            Override the chord-change rate (default: from the beats, else from training).

        Returns
        -------
        ChordSequence
        """
        require_fitted(self, self.fitted)
        sr = check_sr(sr)
        if level not in ("frame", "beat"):
            raise ParameterError(f"level={level!r}: expected 'frame' or 'beat'")
        if beat_samples is not None:
            as_array(beat_samples, "beat_samples", ndim=1, allow_empty=True)
        end_sample = as_float(end_sample, "end_sample", low=0, allow_none=True)
        frames_per_beat = as_float(frames_per_beat, "frames_per_beat", low=1, allow_none=True)
        C = unit_columns(check_chroma(chroma))
        model = self.frame_model(self._frames_per_beat(beat_samples, frames_per_beat))
        _, states = model.decode(C.T, algorithm="viterbi")
        states = states.astype(np.int64)
        if level == "frame":
            return ChordSequence(states, np.arange(len(states)) * self.hop_length / sr, "frame")
        check(beat_samples is not None, "beat_samples", beat_samples, "beat positions for level='beat'")
        beats = frames_to_beats(states, beat_samples, hop_length=self.hop_length, end_sample=end_sample)
        return ChordSequence(beats, np.asarray(beat_samples, dtype=float) / sr, "beat")

    def recognize(self, excerpt, *, level: str = "beat", chroma=None) -> ChordSequence:
        """Chords of a bundled excerpt at its annotated beats (or per frame).

        Examples
        --------
        >>> hmm = ChordHMM().fit()                                     # doctest: +SKIP
        >>> hmm.recognize(list_excerpts("test")[0]).names[:4]          # doctest: +SKIP
        """
        ex = load_excerpt(excerpt) if isinstance(excerpt, str) else excerpt
        check(isinstance(ex, Excerpt), "excerpt", excerpt, "an Excerpt or a name from list_excerpts()")
        C = excerpt_chroma(ex, hop_length=self.hop_length) if chroma is None else chroma
        return self.predict(C, sr=ex.sr, level=level, beat_samples=ex.beats[:, 0], end_sample=float(ex.notes[:, 1].max()))

    def _encode(self, chromas) -> np.ndarray:
        if isinstance(chromas, np.ndarray) and chromas.ndim == 2:
            chromas = [chromas]
        return np.stack([self.posteriors(c).mean(axis=0) for c in chromas])


def _as_token_list(sequences, name="sequences"):
    if isinstance(sequences, Chorale):
        sequences = [sequences]
    if isinstance(sequences, np.ndarray) and sequences.ndim == 1:
        sequences = [sequences]
    out = []
    for s in as_sequence(sequences, name, what="token sequences or Chorales"):
        if not isinstance(s, Chorale):
            as_array(s, name, allow_empty=True)  # numbers, finite, real (None/strings/NaN refused)
        toks = s.melody_tokens() if isinstance(s, Chorale) else np.asarray(s)
        if (
            toks.ndim != 1
            or toks.size == 0
            or not np.issubdtype(toks.dtype, np.integer)
            or toks.min() < 0
            or toks.max() >= N_MELODY_TOKENS
        ):
            raise ParameterError(
                f"{name}: item of shape {toks.shape}: expected a non-empty 1-D sequence of "
                f"melody tokens in 0..{N_MELODY_TOKENS - 1} (or a Chorale)"
            )
        out.append(toks.astype(np.int64))
    check(len(out) > 0, name, sequences, "at least one sequence")
    return out


class MelodyHMM(Encoder):
    """A categorical HMM over melody tokens (:func:`musynth_lab.data.melody_tokens`), via hmmlearn.

    Baum-Welch learns hidden "melodic states" whose emissions are distributions over
    pitches/holds/rests. The fitted model scores melodies (log-likelihood per token), samples
    new ones, and encodes a melody as its mean state posterior.

    Parameters
    ----------
    n_states : int
    n_iter : int
        Baum-Welch iterations.
    seed : int

    Examples
    --------
    >>> from musynth_lab.data import load_chorales
    >>> m = MelodyHMM(n_states=4, n_iter=5).fit(load_chorales("train")[:20])
    >>> toks = m.sample(16, seed=1); toks.shape, bool(toks.max() < N_MELODY_TOKENS)
    ((16,), True)
    >>> m.encode(load_chorales("test")[:3]).shape
    (3, 4)

    Chapter: notebooks/04a_statistical.ipynb
    """

    def __init__(self, *, n_states: int = 12, n_iter: int = 30, seed: int = 0):
        n_states, n_iter = as_int(n_states, "n_states", high=10_000), as_int(n_iter, "n_iter", high=100_000)
        self.n_states, self.n_iter, self.seed = n_states, n_iter, as_int(seed, "seed", low=0, high=2**32 - 1)
        self.dim = self.n_states
        self.fitted = False

    def fit(self, sequences):
        """Baum-Welch on token sequences or chorales (their soprano). Returns ``self``."""
        from hmmlearn import hmm as hl

        seqs = _as_token_list(sequences)
        model = hl.CategoricalHMM(
            n_components=self.n_states, n_iter=self.n_iter, random_state=self.seed, n_features=N_MELODY_TOKENS, tol=1e-3
        )
        model.fit(np.concatenate(seqs)[:, None], [len(s) for s in seqs])
        # unseen tokens keep a small probability, so held-out melodies score finitely
        e = model.emissionprob_ + 1e-4
        model.emissionprob_ = e / e.sum(axis=1, keepdims=True)
        self.hmm_ = model
        self.fitted = True
        return self

    def score(self, sequences) -> float:
        """Mean log-likelihood per token (nats) of ``sequences`` under the model."""
        require_fitted(self, self.fitted)
        seqs = _as_token_list(sequences)
        total = sum(self.hmm_.score(s[:, None]) for s in seqs)
        return float(total / sum(len(s) for s in seqs))

    def sample(self, n_steps: int, *, seed: int = 0) -> np.ndarray:
        """Draw a melody of ``n_steps`` tokens, ``(n_steps,)`` int64."""
        require_fitted(self, self.fitted)
        n_steps = as_int(n_steps, "n_steps", high=10_000_000)
        X, _ = self.hmm_.sample(n_steps, random_state=as_int(seed, "seed", low=0, high=2**32 - 1))
        return X[:, 0].astype(np.int64)

    def _encode(self, sequences) -> np.ndarray:
        return np.stack([self.hmm_.predict_proba(s[:, None]).mean(axis=0) for s in _as_token_list(sequences)])
