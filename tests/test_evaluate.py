"""Chapter 6c's coherence measures (musynth_lab.evaluate), plots, panel and exercise checks."""

import numpy as np
import pytest

from musynth_lab import ParameterError, data
from musynth_lab import evaluate as ev

LOW = 21


def _roll(pitches_per_frame, n_keys=88):
    roll = np.zeros((n_keys, len(pitches_per_frame)), bool)
    for t, ps in enumerate(pitches_per_frame):
        for p in ps:
            roll[p - LOW, t] = True
    return roll


@pytest.fixture(scope="module")
def sets():
    """Training chorales, held-out chorales, random rolls and time-shuffled rolls (eighth-note frames)."""
    train = [p.piano_roll(step=0.5) for p in data.load_chorales("train")]
    test = [p.piano_roll(step=0.5) for p in data.load_chorales("test")][:30]
    rng = np.random.default_rng(0)
    rand, shuf = [], []
    for r in test:
        x = np.zeros_like(r)
        x[36 - LOW : 82 - LOW] = rng.random((46, r.shape[1])) < r.sum() / (46 * r.shape[1])  # same density
        rand.append(x)
        shuf.append(r[:, rng.permutation(r.shape[1])])
    return {"train": train, "test": test, "random": rand, "shuffled": shuf}


# --- pitch classes -----------------------------------------------------------------------------


def test_pitch_class_histogram_counts_active_cells():
    roll = _roll([[60, 64], [60], [72, 67], [61]])  # C E | C | C G | C#
    h = ev.pitch_class_histogram(roll)
    assert h.sum() == pytest.approx(1.0)
    assert h[0] == pytest.approx(3 / 6) and h[4] == pytest.approx(1 / 6) and h[1] == pytest.approx(1 / 6)


@pytest.mark.parametrize(
    "p, q, expected",
    [
        ([1, 0], [1, 0], 0.0),  # same
        ([1, 0], [0, 1], 1.0),  # disjoint
        ([1, 0], [0.5, 0.5], 0.5 * np.log2(2 / 1.5) + 0.5 * (0.5 * np.log2(0.5 / 0.75) + 0.5 * np.log2(0.5 / 0.25))),
    ],
)
def test_pitch_class_distance_is_jensen_shannon(p, q, expected):
    def roll_from(weights):  # C and G frames in proportion to weights (out of 4 frames)
        frames = [[60]] * int(4 * weights[0]) + [[67]] * int(4 * weights[1])
        return _roll(frames)

    assert ev.pitch_class_distance(roll_from(p), roll_from(q)) == pytest.approx(expected, abs=1e-9)
    assert ev.pitch_class_distance(roll_from(q), roll_from(p)) == pytest.approx(expected, abs=1e-9)  # symmetric


def test_pitch_class_distance_is_transposition_sensitive_and_octave_blind():
    a = _roll([[60, 64, 67]] * 4)
    assert ev.pitch_class_distance(a, _roll([[48, 76, 79]] * 4)) == 0.0  # same classes, other octaves
    assert ev.pitch_class_distance(a, _roll([[61, 65, 68]] * 4)) == 1.0  # up a semitone: nothing shared


# --- time structure ------------------------------------------------------------------------------


def test_self_similarity_finds_a_repeated_bar():
    bar_a = [[60], [62], [64], [65]]
    bar_b = [[67], [69], [71], [72]]
    roll = _roll(bar_a + bar_b + bar_a)
    S = ev.self_similarity(roll, frames_per_bar=4)
    assert S.shape == (3, 3) and np.allclose(np.diag(S), 1)
    assert S[0, 2] == pytest.approx(1.0) and S[0, 1] == pytest.approx(0.0)
    F = ev.self_similarity(roll)
    assert F.shape == (12, 12) and F[0, 8] == 1.0 and F[0, 1] == 0.0


def test_lag_similarity_of_held_and_alternating_notes():
    held = _roll([[60, 64]] * 8)
    assert np.allclose(ev.lag_similarity(held, max_lag=4), 1.0)
    alt = _roll([[60], [64]] * 4)
    assert np.allclose(ev.lag_similarity(alt, max_lag=4), [0, 1, 0, 1])
    assert np.isnan(ev.lag_similarity(_roll([[60]] * 3), max_lag=4)[2:]).all()  # lags longer than the roll


def test_repeated_bars_counts_exact_repeats():
    a, b = [[60], [62]], [[64], [65]]
    assert ev.repeated_bars(_roll(a + b + a + a + [[60]]), frames_per_bar=2) == pytest.approx(2 / 4)  # partial dropped
    assert np.isnan(ev.repeated_bars(_roll(a), frames_per_bar=2))


# --- voice leading ---------------------------------------------------------------------------------


def test_voice_leading_hand_counted_fragment():
    # Hand-counted. 0->1: S +2, A -2, T -2, B +2; S/B 19 -> 19 semitones (fifth + octave), both up: a
    #   parallel fifth; A/T 3 -> 3 but a third. 1->2: all fall; S/T 12 -> 12, an octave: a parallel
    #   octave; no other pair keeps a fifth or octave. Frame 3: the alto (55) below the tenor (58) is a
    #   crossing, soprano-alto 17 > 12 is a spacing fault, the bass falls 52 -> 36 (16 > 12): a leap.
    v = np.array(
        [
            [72, 67, 64, 53],
            [74, 65, 62, 55],
            [72, 64, 60, 52],
            [72, 55, 58, 36],
        ]
    )
    c = ev.voice_leading(v)
    assert c == {"parallel_fifths": 1, "parallel_octaves": 1, "crossing": 1, "spacing": 1, "leaps": 1, "transitions": 3}
    assert ev.violations_per_100([v])["total"] == pytest.approx(100 * 5 / 3)


def test_voice_leading_ignores_rests_and_held_intervals():
    v = np.array([[67, 60], [67, 60], [-1, 62], [69, 62]])  # a held fifth, then a rest
    c = ev.voice_leading(v)
    assert c["parallel_fifths"] == 0 and c["leaps"] == 0


def test_contrary_fifths_are_not_parallel():
    assert ev.voice_leading([[67, 60], [79, 48]])["parallel_fifths"] == 0  # fifth to (compound) fifth, contrary
    assert ev.voice_leading([[67, 60], [69, 62]])["parallel_fifths"] == 1


def test_roll_to_voices_high_to_low():
    roll = _roll([[72, 67, 64, 48], [60], [80, 76, 72, 64, 40]])
    v = ev.roll_to_voices(roll)
    assert v.tolist() == [[72, 67, 64, 48], [60, -1, -1, -1], [80, 76, 72, 40]]
    assert ev.voice_leading(v)["crossing"] == 0


# --- the data scores best ----------------------------------------------------------------------------


def test_held_out_chorales_score_best(sets):
    rows = {r["set"]: r for r in ev.coherence_report({k: sets[k] for k in ("test", "random", "shuffled")}, sets["train"])}
    test, rand, shuf = rows["test"], rows["random"], rows["shuffled"]
    # pitch classes: a permutation in time keeps them exactly, random keys lose them
    assert test["pc_distance"] < 0.02 < rand["pc_distance"]
    assert shuf["pc_distance"] == pytest.approx(test["pc_distance"], abs=1e-9)
    # time structure and voice leading: real chorales beat both with a wide margin
    assert 3 * test["structure_distance"] < min(shuf["structure_distance"], rand["structure_distance"])
    assert 3 * test["vl_per_100"] < min(shuf["vl_per_100"], rand["vl_per_100"])
    assert test["repeated_bars"] > max(shuf["repeated_bars"], rand["repeated_bars"])


def test_report_carries_nll_and_labelled_voices(sets):
    v = np.array([[72, 67, 64, 53], [74, 65, 62, 55]])
    rows = ev.coherence_report({"x": sets["test"][:2]}, sets["train"][:5], nll={"x": 7.5}, voices={"x": [v]})
    assert rows[0]["nll_per_frame"] == 7.5
    assert rows[0]["parallel_fifths_per_100"] == pytest.approx(100.0)
    assert "x" in ev.format_report(rows)


def test_report_names_the_voice_assignment_of_its_counts(sets):
    """The same chorales give two voice-leading figures, one per voice assignment: each row says which."""
    from musynth_lab.models.harmony import chorale_voices

    pieces = data.load_chorales("test")[:10]
    rolls = [p.piano_roll(step=0.5) for p in pieces]
    labelled = [chorale_voices(p) for p in pieces]
    rows = ev.coherence_report({"read": rolls, "labelled": rolls}, sets["train"], voices={"labelled": labelled})
    read, lab = rows
    assert (read["voices"], lab["voices"]) == (ev.VOICES_HIGH_TO_LOW, ev.VOICES_LABELLED)
    assert read["pc_distance"] == lab["pc_distance"]  # the rolls are the same ...
    assert read["crossing_per_100"] == 0 < lab["crossing_per_100"]  # ... read high to low, voices never cross
    assert read["vl_per_100"] != pytest.approx(lab["vl_per_100"], abs=0.1)
    assert lab["vl_per_100"] == pytest.approx(ev.violations_per_100(labelled)["total"])
    table = ev.format_report(rows).splitlines()
    assert "voices" in table[0] and "high to low" in table[1] and "labelled" in table[2]
    # an empty list of labelled voices is no labelling
    assert ev.coherence_report({"x": rolls[:1]}, sets["train"][:3], voices={"x": []})[0]["voices"] == ev.VOICES_HIGH_TO_LOW


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: ev.pitch_class_distance([], [np.zeros((88, 4))]),  # empty set
        lambda: ev.coherence_report({"x": [np.zeros((46, 8))]}, [np.zeros((88, 8))]),  # wrong number of keys
        lambda: ev.coherence_report({"x": [np.full((88, 8), 0.5)]}, [np.zeros((88, 8))]),  # not binary
        lambda: ev.self_similarity(np.zeros((88, 4)), frames_per_bar=0),
        lambda: ev.voice_leading(np.array([[60, 200]])),
        lambda: ev.voice_leading(np.array([60, 62])),
        lambda: ev.lag_similarity(np.zeros(5)),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ParameterError):
        call()


# --- plots, panel, exercises -----------------------------------------------------------------------------


def test_roll_to_notes_inverts_notes_to_roll(sets):
    roll = sets["test"][0]
    notes = ev.roll_to_notes(roll)
    assert np.array_equal(data.notes_to_roll(notes, step=0.5, n_frames=roll.shape[1]), roll)


def test_plots_draw(sets):
    from musynth_lab import plot

    r = sets["test"][0]
    assert plot.similarity_matrix(r[:, :32]).images[0].get_array().shape == (32, 32)
    assert len(plot.lag_profiles({"test": ev.lag_similarity(r)}).lines) == 1
    assert len(plot.pitch_class_bars({"a": ev.pitch_class_histogram(r), "b": ev.pitch_class_histogram(r)}).patches) == 24
    rows = ev.coherence_report({"test": sets["test"][:3], "random": sets["random"][:3]}, sets["train"][:20])
    assert len(plot.measure_bars(rows, "pc_distance").patches) == 2


def test_render_coherence_measures_the_shown_excerpt(sets):
    from musynth_lab.widgets.coherence_panel import render_coherence

    samples = {"test": sets["test"][:3], "shuffled": sets["shuffled"][:3]}
    out = render_coherence(samples, sets["train"], model="shuffled", sample=4, bars=2)
    assert out["index"] == 1 and out["roll"].shape == (88, 16)
    assert np.array_equal(out["roll"], sets["shuffled"][1][:, :16])
    assert out["similarity"].shape == (16, 16)
    expected = ev.coherence_report({"shuffled": [sets["shuffled"][1][:, :16]]}, sets["train"])[0]
    assert out["measures"]["vl_per_100"] == pytest.approx(expected["vl_per_100"])
    assert out["audio"].ndim == 1 and np.isfinite(out["audio"]).all() and np.abs(out["audio"]).max() > 0.01
    with pytest.raises(ParameterError):
        render_coherence(samples, sets["train"], model="nope")


def test_coherence_panel_rerenders(sets):
    from musynth_lab.widgets import CoherencePanel

    panel = CoherencePanel({"test": sets["test"][:2], "random": sets["random"][:2]}, sets["train"][:20])
    first = panel.result["measures"]["structure_distance"]
    panel.controls["model"].value = "random"
    assert panel.renders == 2 and panel.result["model"] == "random"
    assert panel.result["measures"]["structure_distance"] > first
    panel.controls["bars"].value = 2
    assert panel.result["roll"].shape[1] == 16


def test_exercise_checks():
    from musynth_lab import exercises as ex

    v = [[72, 67, 64, 53], [74, 65, 62, 55], [72, 64, 60, 52]]
    assert ex.check_parallel_fifths(v, 1) and not ex.check_parallel_fifths(v, 2)
    assert not ex.check_parallel_fifths(v, "one")
    rows = [{"set": "a", "pc_distance": 0.2}, {"set": "b", "pc_distance": 0.01}]
    assert ex.check_closest_pitch_classes(rows, "b") and not ex.check_closest_pitch_classes(rows, "a")
    assert ex.check_hidden_states(16, 65536) and not ex.check_hidden_states(16, 32)
    assert ex.check_shuffle_blind("pc_distance") and not ex.check_shuffle_blind("structure_distance")


def test_play_roll_plays_the_first_bars():
    import io
    import wave

    from musynth_lab.lessons.coherence import play_roll

    roll = _roll([[60]] * 8 + [[64]] * 8 + [[67]] * 8)  # three 4/4 bars of eighth-note frames

    def seconds(player):
        with wave.open(io.BytesIO(player.data)) as w:
            return w.getnframes() / w.getframerate()

    one, two = seconds(play_roll(roll, bars=1, bpm=120)), seconds(play_roll(roll, bars=2, bpm=120))
    assert two - one == pytest.approx(2.0, abs=0.05)  # one more bar: 4 quarter notes at 120 bpm
    assert seconds(play_roll(roll, bars=9, bpm=120)) == pytest.approx(seconds(play_roll(roll, bars=3, bpm=120)))
    with pytest.raises(ParameterError, match="bars"):
        play_roll(roll, bars=0)
