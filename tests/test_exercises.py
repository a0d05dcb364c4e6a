"""The exercise machinery: every check is a registered exercise with a hint and a solution on demand,
an unanswered `...` is reported (never raised or called wrong), and hints do not give the answer away."""

import inspect
import re

import numpy as np
import pytest

import musynth_lab.exercises as X
from musynth_lab import ParameterError
from musynth_lab.exercises._core import BY_CHECK, REGISTRY

CHECKS = sorted(n for n in X.__all__ if n.startswith("check_"))
CHAPTERS = ("0", "1a", "1b", "2", "3", "4a", "4b", "5", "6a", "6b", "6c")


def test_every_check_is_a_registered_exercise():
    missing = [n for n in CHECKS if n not in BY_CHECK]
    assert not missing, f"checks without exercise(...) registration: {missing}"
    assert sorted(ex.check for ex in REGISTRY.values()) == CHECKS


@pytest.mark.parametrize("name", CHECKS)
def test_unanswered_is_reported_not_raised(name):
    fn = getattr(X, name)
    params = [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
    r = fn(*[...] * len(params))
    assert not r and r.answered is False
    ex = BY_CHECK[name]
    assert f'hint("{ex.id}")' in r.message and f'solution("{ex.id}")' in r.message
    assert repr(r).startswith("…")


@pytest.mark.parametrize("name", CHECKS)
def test_hint_does_not_give_the_solution_away(name):
    ex = BY_CHECK[name]
    assert ex.hint.strip() and ex.solution.strip() and ex.code.strip()
    code_lines = [ln.split("=", 1)[-1].strip() for ln in ex.code.splitlines() if ln.strip()]
    for ln in code_lines:
        if len(ln) > 8:
            assert ln not in ex.hint, f"exercise {ex.id}: the hint contains the solution code {ln!r}"


def test_ids_follow_the_chapters_and_each_chapter_has_an_implement_and_a_predict_exercise():
    by_chapter = {}
    for ex in REGISTRY.values():
        chapter = ex.id.rsplit(".", 1)[0]
        assert chapter in CHAPTERS, f"exercise {ex.id}: unknown chapter"
        by_chapter.setdefault(chapter, set()).add(ex.kind)
    lacking = {c: sorted({"implement", "predict"} - by_chapter.get(c, set())) for c in CHAPTERS}
    lacking = {c: k for c, k in lacking.items() if k}
    assert not lacking, f"chapters lacking exercise kinds: {lacking}"


def test_hint_and_solution_on_demand():
    assert "hint" in repr(X.hint("0.1")).lower()
    sol = X.solution("0.1")
    assert "hz_to_midi" in sol.code and "solution" in sol._repr_markdown_().lower()
    for bad in ("9.99", None, 3.5, ["0.1"]):
        with pytest.raises(ParameterError, match="id"):
            X.solution(bad)
        with pytest.raises(ParameterError, match="id"):
            X.hint(bad)


def test_numpy_scalars_are_accepted_as_answers():
    assert X.check_midi_of_a4(np.float64(69.0))
    assert X.check_midi_of_a4(np.int64(69))
    assert not X.check_midi_of_a4(np.float32(60.0))


def test_wrong_message_does_not_name_the_answer():
    r = X.check_midi_of_a4(60)
    assert not r and not re.search(r"\b69\b|hz_to_midi\(440", r.message)


IMPLEMENT = sorted(ex.check for ex in REGISTRY.values() if ex.kind == "implement")


@pytest.mark.parametrize("name", IMPLEMENT)
def test_implement_checks_report_an_unfinished_or_raising_function(name):
    fn = getattr(X, name)

    def unfinished(*args, **kwargs): ...

    def broken(*args, **kwargs):
        raise RuntimeError("my bug")

    r = fn(unfinished)
    assert not r and r.answered is False, f"{name}: a function whose body is still `...` should be 'not answered'"
    r = fn(broken)
    assert not r and r.answered and "RuntimeError" in r.message and "my bug" in r.message
    r = fn(42)
    assert not r and r.answered, f"{name}: a non-function should be a wrong answer, not a crash"
