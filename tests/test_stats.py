"""Chapter 4's statistical encoders: chord templates and HMM, CRFs, variational-Bayes mixture."""

import numpy as np
import pytest

from musynth_lab import ParameterError, data, stats

HOP = 512


# ---------------------------------------------------------------------------------------
# Templates, vocabulary, validation
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("root", range(12))
@pytest.mark.parametrize("quality, third", [("maj", 4), ("min", 3)])
def test_templates_hold_the_triad(root, quality, third):
    T = stats.chord_templates(normalize=False)
    row = data.chord_index(root, quality)
    assert set(np.flatnonzero(T[row])) == {root, (root + third) % 12, (root + 7) % 12}
    assert np.allclose(np.linalg.norm(stats.chord_templates(), axis=1), 1.0)


def test_template_matching_recovers_clean_chords():
    T = stats.chord_templates(normalize=False)[:24]
    assert stats.template_chords(T.T).tolist() == list(range(24))


@pytest.mark.parametrize("bad", [np.ones((3, 12)), np.ones(12), np.ones((12, 0)), np.full((12, 4), np.nan), np.ones((24, 5))])
def test_wrong_chroma_shape_raises(bad):
    with pytest.raises(ParameterError, match="chroma"):
        stats.template_chords(bad)


@pytest.mark.parametrize("vocab", ["7ths", "full", ""])
def test_unknown_vocabulary_raises(vocab):
    with pytest.raises(ParameterError, match="vocabulary"):
        stats.chord_templates(vocab)
    with pytest.raises(ParameterError, match="vocabulary"):
        stats.ChordHMM(vocabulary=vocab)


@pytest.mark.parametrize("labels", [[0, 25], [-1, 3], [1.5, 2]])
def test_labels_outside_the_vocabulary_raise(labels):
    with pytest.raises(ParameterError, match="0..24"):
        stats.beat_accuracy(labels, [0, 1])


def test_beat_accuracy_leaves_out_no_chord_beats():
    assert stats.beat_accuracy([0, 1, 2], [0, 2, 24]) == 0.5
    with pytest.raises(ParameterError):
        stats.beat_accuracy([0], [24])


def test_transpose_chords_keeps_quality():
    c = np.arange(25)
    for k in range(12):
        t = stats.transpose_chords(c, k)
        assert (t[:12] < 12).all() and ((t[12:24] >= 12) & (t[12:24] < 24)).all() and t[24] == 24
        assert np.array_equal(stats.transpose_chords(t, 12 - k), c)


def test_beat_sync_and_majority_per_beat():
    C = np.zeros((12, 10))
    C[0, :6] = 1.0
    C[7, 6:] = 1.0
    B = stats.beat_sync(C, [0, 6 * HOP], hop_length=HOP)
    assert B.argmax(0).tolist() == [0, 7] and np.allclose(np.linalg.norm(B, axis=0), 1)
    assert stats.frames_to_beats([1] * 6 + [2] * 4, [0, 6 * HOP], hop_length=HOP).tolist() == [1, 2]
    with pytest.raises(ParameterError, match="beat_samples"):
        stats.beat_sync(C, [5 * HOP, 2 * HOP], hop_length=HOP)


# ---------------------------------------------------------------------------------------
# Chord transitions and the chord HMM
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transitions():
    return stats.chord_transitions(data.load_chorales("train"))


def test_transitions_are_stochastic_and_transposition_invariant(transitions):
    A = transitions
    assert A.shape == (25, 25) and np.allclose(A.sum(1), 1)
    for k in (1, 5, 11):
        p = stats.transpose_chords(np.arange(25), k)
        assert np.allclose(A[np.ix_(p, p)], A, atol=1e-12)


def test_transitions_know_the_dominant_resolves(transitions):
    # In Bach's chorales V -> I is far more common than V -> IV (G -> C vs G -> F in C major).
    G, C, F = 7, 0, 5
    assert transitions[G, C] > 3 * transitions[G, F]
    # Chords often last more than one beat: staying is the most likely single move from a major chord.
    assert transitions[C].argmax() == C


def test_frame_transitions_keep_the_mean_chord_length(transitions):
    A = stats.frame_transitions(transitions, 20.0)
    stay = np.diag(A)
    # expected run length in frames = 1 / (1 - stay) = 20 / (1 - A_beat_stay)
    assert np.allclose(1 / (1 - stay), 20 / (1 - np.diag(transitions)))
    with pytest.raises(ParameterError, match="frames_per_beat"):
        stats.frame_transitions(transitions, 0.5)


def test_hmm_smooths_noisy_chroma_better_than_frame_templates():
    rng = np.random.default_rng(0)
    T = stats.chord_templates(normalize=False)
    seq = [0, 5, 7, 0, 9 + 12, 2 + 12, 7, 0]  # C F G C Am Dm G C, 12 frames each
    truth = np.repeat(seq, 12)
    chroma = np.abs(T[truth].T + rng.normal(0, 0.3, (12, len(truth))))
    hmm = stats.ChordHMM(emissions="template", template_var=0.1).fit(chorales=data.load_chorales("train")[:60])
    pred = hmm.predict(chroma, sr=22050, frames_per_beat=12).labels
    base = stats.template_chords(chroma)
    acc_hmm, acc_tmpl = np.mean(pred == truth), np.mean(base == truth)
    # measured: HMM 1.00, frame-wise templates 0.86
    assert acc_hmm >= 0.95 and acc_hmm >= acc_tmpl + 0.1, (acc_hmm, acc_tmpl)


@pytest.fixture(scope="module")
def excerpts():
    tr = [data.load_excerpt(n) for n in data.list_excerpts("train")]
    te = [data.load_excerpt(n) for n in data.list_excerpts("test")]
    assert not {e.piece_id for e in tr} & {e.piece_id for e in te}
    return (tr, [stats.excerpt_chroma(e, hop_length=HOP) for e in tr], te, [stats.excerpt_chroma(e, hop_length=HOP) for e in te])


@pytest.fixture(scope="module")
def chord_hmm(excerpts):
    tr, ctr, _, _ = excerpts
    return stats.ChordHMM(hop_length=HOP).fit(tr, chromas=ctr)


def _template_beats(e, C):
    return stats.frames_to_beats(stats.template_chords(C), e.beats[:, 0], hop_length=HOP, end_sample=float(e.notes[:, 1].max()))


def test_chord_hmm_beats_frame_templates_on_held_out_excerpts(excerpts, chord_hmm):
    _, _, te, cte = excerpts
    hmm_beat, tmpl_beat, hmm_frame, tmpl_frame = [], [], [], []
    for e, C in zip(te, cte):
        truth = e.beats[:, 2].astype(int)
        seq = chord_hmm.recognize(e, chroma=C, level="beat")
        assert seq.level == "beat" and np.allclose(seq.times, e.beats[:, 0] / e.sr)
        hmm_beat.append(stats.beat_accuracy(seq.labels, truth))
        tmpl_beat.append(stats.beat_accuracy(_template_beats(e, C), truth))
        frames = e.chord_frames(hop_length=HOP, n_frames=C.shape[1])
        fseq = chord_hmm.recognize(e, chroma=C, level="frame")
        assert np.allclose(np.diff(fseq.times), HOP / e.sr)
        hmm_frame.append(stats.frame_accuracy(fseq.labels, frames))
        tmpl_frame.append(stats.frame_accuracy(stats.template_chords(C), frames))
    # measured: HMM 0.73 vs templates 0.58 per beat; 0.58 vs 0.49 per frame (4 test pieces)
    assert np.mean(hmm_beat) >= np.mean(tmpl_beat) + 0.08, (hmm_beat, tmpl_beat)
    assert np.mean(hmm_frame) >= np.mean(tmpl_frame) + 0.05, (hmm_frame, tmpl_frame)
    assert np.mean(hmm_beat) >= 0.6


def test_gaussian_emissions_beat_template_emissions(excerpts, chord_hmm):
    tr, ctr, te, cte = excerpts
    tmpl = stats.ChordHMM(emissions="template", hop_length=HOP).fit(tr, chromas=ctr)
    acc = lambda m: np.mean(
        [stats.beat_accuracy(m.recognize(e, chroma=C).labels, e.beats[:, 2].astype(int)) for e, C in zip(te, cte)]
    )
    assert acc(chord_hmm) > acc(tmpl)


def test_hmm_posteriors_pool_into_an_encoding(excerpts, chord_hmm):
    _, _, te, cte = excerpts
    post = chord_hmm.posteriors(cte[0])
    assert post.shape == (cte[0].shape[1], 25) and np.allclose(post.sum(1), 1)
    enc = chord_hmm.encode(cte)
    assert enc.shape == (len(te), 25) and np.allclose(enc.sum(1), 1)
    # the encoding knows the key: the tonic triad of each test piece is among its 4 heaviest chords
    for e, row in zip(te, enc):
        tonic = data.chord_index(e.key_tonic_pc, "maj" if e.key_mode == "major" else "min")
        assert tonic in np.argsort(-row)[:4], (e.name, [data.CHORD_NAMES[i] for i in np.argsort(-row)[:4]])


def test_hmm_bad_arguments(chord_hmm):
    with pytest.raises(ParameterError, match="emissions"):
        stats.ChordHMM(emissions="poisson")
    with pytest.raises(ParameterError, match="level"):
        chord_hmm.predict(np.ones((12, 5)), sr=22050, level="bar")
    with pytest.raises(ParameterError, match="beat_samples"):
        chord_hmm.predict(np.ones((12, 5)), sr=22050, level="beat")
    with pytest.raises(ParameterError, match="chroma"):
        chord_hmm.predict(np.ones((5, 12)), sr=22050)


# ---------------------------------------------------------------------------------------
# Untrained models
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, x",
    [
        (stats.ChordHMM(), [np.ones((12, 4))]),
        (stats.MelodyHMM(), [np.array([2, 3, 1])]),
        (stats.NoteCRF(), data.load_chorales("test")[:1]),
        (stats.BeatChordCRF(), data.list_excerpts("test")[:1]),
        (stats.VBMixture(), np.ones((3, 2))),
    ],
)
def test_untrained_model_asked_to_encode_raises(model, x):
    with pytest.raises(ParameterError, match="not fitted"):
        model.encode(x)


# ---------------------------------------------------------------------------------------
# Melody HMM
# ---------------------------------------------------------------------------------------


def _unigram_loglik(train, test):
    counts = np.bincount(np.concatenate(train), minlength=data.N_MELODY_TOKENS) + 1e-4
    p = counts / counts.sum()
    toks = np.concatenate(test)
    return float(np.mean(np.log(p[toks])))


def test_melody_hmm_beats_a_unigram_model_on_held_out_chorales():
    train = [c.melody_tokens() for c in data.load_chorales("train")[:120]]
    test = [c.melody_tokens() for c in data.load_chorales("test")]
    m = stats.MelodyHMM(n_states=8, n_iter=15).fit(train)
    ll, base = m.score(test), _unigram_loglik(train, test)
    assert np.isfinite(ll) and ll > base + 0.2, (ll, base)
    toks = m.sample(64, seed=3)
    assert toks.shape == (64,) and toks.min() >= 0 and toks.max() < data.N_MELODY_TOKENS
    enc = m.encode(test[:5])
    assert enc.shape == (5, 8) and np.allclose(enc.sum(1), 1)


@pytest.mark.parametrize("bad", [[np.array([1.5, 2.0])], [np.array([], dtype=int)], [np.array([0, 99])]])
def test_melody_hmm_rejects_bad_tokens(bad):
    with pytest.raises(ParameterError, match="melody tokens"):
        stats.MelodyHMM(n_states=2, n_iter=2).fit(bad)


# ---------------------------------------------------------------------------------------
# CRFs
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def note_crf():
    return stats.NoteCRF(max_iterations=60).fit(data.load_chorales("train")[:120])


def test_chord_tone_labels_follow_the_triad():
    piece = data.load_chorales("train")[0]
    labels = stats.chord_tone_labels(piece, part="B")
    # the bass of a chord is (almost always) a chord tone
    assert np.mean(np.array(labels) == "CT") > 0.8
    with pytest.raises(ParameterError, match="part"):
        stats.chord_tone_labels(piece, part="X")


def test_note_crf_beats_the_majority_baseline_on_held_out_chorales(note_crf):
    train, test = data.load_chorales("train")[:120], data.load_chorales("test")
    s = note_crf.score(test)
    base = stats.majority_baseline(note_crf.labels(train), note_crf.labels(test))
    # measured (120 training pieces): accuracy 0.94 vs majority 0.81; F1 of non-chord tones 0.83 vs 0
    assert s["accuracy"] >= base + 0.08, (s, base)
    assert s["f1"] >= 0.6 and s["macro_f1"] >= 0.75, s
    names = [f for f, _ in note_crf.top_features("NCT", n=15)]
    assert any(f.startswith(("dur:", "n_dissonant:", "beat_pos:")) for f in names)


def test_note_crf_marginals_encode_pieces(note_crf):
    test = data.load_chorales("test")[:4]
    enc = note_crf.encode(test)
    assert enc.shape == (4, 2) and np.allclose(enc.sum(1), 1)
    assert (enc[:, 0] > enc[:, 1]).all()  # most notes are chord tones


def test_beat_chord_crf_vs_hmm_on_the_same_held_out_pieces(excerpts, chord_hmm):
    tr, ctr, te, cte = excerpts
    crf = stats.BeatChordCRF(hop_length=HOP).fit(tr, chromas=ctr)
    acc_crf = crf.score(te, chromas=cte)
    truth = np.concatenate([e.beats[:, 2] for e in te]).astype(int)
    tmpl = np.concatenate([_template_beats(e, C) for e, C in zip(te, cte)])
    train_labels = np.concatenate([e.beats[:, 2] for e in tr]).astype(int)
    majority = np.mean(truth[truth != 24] == np.bincount(train_labels).argmax())
    # measured: CRF 0.76, HMM 0.73, frame templates 0.59, majority chord 0.13
    assert acc_crf >= stats.beat_accuracy(tmpl, truth) + 0.08
    assert acc_crf >= majority + 0.3
    enc = crf.encode(te[:2])
    assert enc.shape == (2, 25) and np.allclose(enc.sum(1), 1)


# ---------------------------------------------------------------------------------------
# Variational Bayes
# ---------------------------------------------------------------------------------------


def test_vb_mixture_switches_off_components_it_does_not_need():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [6, 0], [0, 6]])
    X = np.concatenate([rng.normal(c, 0.7, (150, 2)) for c in centres])
    vb = stats.VBMixture(n_components=10).fit(X)
    assert vb.n_effective() == 3
    R = vb.encode(X)
    assert R.shape == (450, 10) and np.allclose(R.sum(1), 1)
    assert len(set(vb.predict(X[:150]))) == 1
    with pytest.raises(ParameterError, match="X"):
        vb.encode(np.ones((2, 3)))
    with pytest.raises(ParameterError, match="n_components"):
        stats.VBMixture(n_components=0)


def test_chapter_features_match_librosa():
    import librosa

    from musynth_lab.stats import frontend

    ex = data.load_excerpt(data.list_excerpts("test")[0])
    y = ex.audio[: 3 * ex.sr]
    ours = frontend.chroma_cqt(y, sr=ex.sr, hop_length=HOP)
    ref = librosa.feature.chroma_cqt(y=y, sr=ex.sr, hop_length=HOP)
    assert ours.shape == ref.shape and np.abs(ours - ref).max() < 1e-2
