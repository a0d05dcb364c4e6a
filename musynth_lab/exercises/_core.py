"""The verdict object every ``check_*`` function returns."""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError


@dataclass(frozen=True)
class CheckResult:
    """The outcome of an exercise check: truthy when correct.

    Attributes
    ----------
    correct : bool
    message : str
        What was right, or a hint at what is wrong (never the full answer).

    Examples
    --------
    >>> r = CheckResult(False, "Not quite: try again.")
    >>> bool(r), r.message
    (False, 'Not quite: try again.')
    >>> CheckResult(True, "69: A4 is MIDI note 69.")
    ✓ 69: A4 is MIDI note 69.
    """

    correct: bool
    message: str
    answered: bool = True

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return ("✓ " if self.correct else "… " if not self.answered else "✗ ") + self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.correct else "#6e6e6e" if not self.answered else "#b3261e"
        mark = "✓" if self.correct else "…" if not self.answered else "✗"
        return f'<span style="color:{colour};font-weight:bold">{mark}</span> {self.message}'


def prediction(answer, choices: tuple, aliases: dict | None = None):
    """The student's prediction as one of ``choices`` (case and spaces ignored), or None.

    Examples
    --------
    >>> prediction(" Higher ", ("higher", "lower", "the same")), prediction("same", ("higher", "the same"), {"same": "the same"})
    ('higher', 'the same')
    >>> prediction(3, ("higher", "lower")) is None
    True
    """
    if isinstance(answer, (bool, np.bool_)) and "yes" in choices:
        return "yes" if answer else "no"
    if not isinstance(answer, str):
        return None
    said = " ".join(answer.strip().lower().split())
    said = (aliases or {}).get(said, said)
    return said if said in choices else None


def verdict(correct: bool, right: str, wrong: str) -> CheckResult:
    """A :class:`CheckResult` with the message that fits.

    Examples
    --------
    >>> verdict(2 + 2 == 5, "Right.", "Not quite: add again.")
    ✗ Not quite: add again.
    >>> bool(verdict(2 + 2 == 4, "Right.", "Not quite: add again."))
    True
    """
    return CheckResult(bool(correct), right if correct else wrong)


def number(x):
    """``float(x)`` when ``x`` reads as a finite number, else None.

    Examples
    --------
    >>> number("0.5"), number(float("nan")), number("A4")
    (0.5, None, None)
    """
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def floats(x):
    """The student's array (NumPy, list or torch tensor) as float64, or None when it is not numbers.

    Examples
    --------
    >>> floats([1, 2]).tolist(), floats("abc")
    ([1.0, 2.0], None)
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def is_near(answer, truth: float, tol: float) -> bool:
    """Whether ``answer`` is a finite number within ``tol`` (exclusive) of ``truth``.

    Examples
    --------
    >>> is_near(1.414, 2 ** 0.5, 0.01), is_near("x", 1.0, 0.01), is_near(float("inf"), 1.0, 0.01)
    (True, False, False)
    """
    v = number(answer)
    return v is not None and abs(v - truth) < tol


def is_int(answer, truth: int) -> bool:
    """Whether ``answer`` is the integer ``truth`` (``69`` and ``69.0`` are; ``69.5`` and ``"A4"`` are not).

    Examples
    --------
    >>> is_int(69.0, 69), is_int(69.5, 69), is_int("A4", 69), is_int(float("inf"), 69)
    (True, False, False, False)
    """
    try:
        return int(answer) == truth and float(answer) == truth
    except (TypeError, ValueError, OverflowError):
        return False


# ----------------------------------------------------------------------------------------
# The exercise registry: hints and worked solutions on demand, "not answered yet" for `...`
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook: its number, hint, worked solution and solution code.

    Attributes
    ----------
    id : str
        The exercise's number in its notebook, e.g. ``'0.1'`` or ``'1a.3'``.
    check : str
        The name of its ``check_*`` function.
    hint : str
        A nudge that does not give the answer away.
    solution : str
        The worked solution: the reasoning, in words.
    code : str
        Code that, run in the notebook in place of the student's answer lines, solves it
        (the notebook test runs every exercise once unanswered and once with this code).
    kind : str
        ``'compute'`` (find a value), ``'implement'`` (write a function the check tests
        against the library) or ``'predict'`` (change something, predict, explain).
    """

    id: str
    check: str
    hint: str
    solution: str
    code: str
    kind: str = "compute"

    def _repr_markdown_(self) -> str:
        return f"**Exercise {self.id}, solution.** {self.solution}\n\n```python\n{self.code}\n```"

    def __repr__(self) -> str:
        return f"Exercise {self.id}, solution. {self.solution}\n\n{self.code}"


class _Hint(str):
    def _repr_markdown_(self) -> str:
        return f"**Hint.** {self}"

    def __repr__(self) -> str:
        return f"Hint. {self}"


REGISTRY: dict[str, Exercise] = {}
BY_CHECK: dict[str, Exercise] = {}


def exercise(id: str, *, hint: str, solution: str, code: str, kind: str = "compute"):
    """Register a ``check_*`` function as exercise ``id`` and make it accept an unanswered ``...``.

    Called with ``...`` (Ellipsis, the notebook's placeholder) for any argument, the check
    returns an unanswered :class:`CheckResult` (falsy, ``answered=False``) telling the
    student how to get a hint or the solution, instead of raising or calling it wrong.

    Examples
    --------
    >>> @exercise("9.9", hint="Add them.", solution="2 + 2 = 4.", code="answer = 2 + 2")
    ... def check_sum(answer):
    ...     return verdict(answer == 4, "Right.", "Not quite.")
    >>> r = check_sum(...)
    >>> bool(r), r.answered
    (False, False)
    >>> bool(check_sum(4)), REGISTRY["9.9"].check
    (True, 'check_sum')
    >>> _ = REGISTRY.pop("9.9"), BY_CHECK.pop("check_sum")
    """
    if kind not in ("compute", "implement", "predict"):
        raise ValueError(f"kind={kind!r}: expected 'compute', 'implement' or 'predict'")

    def wrap(fn):
        if id in REGISTRY and REGISTRY[id].check != fn.__name__:
            raise ValueError(f"exercise {id!r} is registered twice ({REGISTRY[id].check}, {fn.__name__})")
        ex = Exercise(id=id, check=fn.__name__, hint=hint, solution=solution, code=code, kind=kind)
        REGISTRY[id] = BY_CHECK[fn.__name__] = ex
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            bound = sig.bind_partial(*args, **kwargs)
            if any(v is Ellipsis for v in bound.arguments.values()):
                return pending(id)
            return fn(*args, **kwargs)

        checked.exercise = ex
        return checked

    return wrap


def pending(id: str) -> CheckResult:
    """The unanswered result of exercise ``id``: for implement-it checks whose function still returns None/``...``.

    Examples
    --------
    >>> pending("0.1").answered
    False
    """
    return CheckResult(
        False,
        f"Exercise {id}: not answered yet. Replace `...` with your answer, then "
        f'run the cell again (hint("{id}") gives a hint, solution("{id}") the '
        "worked solution).",
        answered=False,
    )


def run_student(fn, args, *, exercise_id: str, where: str = ""):
    """Call the student's function on ``args``: ``(value, None)``, or ``(None, CheckResult)`` to return at once.

    The student's code may raise anything (reported, never a crash) or still be the
    placeholder (returns ``None``/``...``: the exercise is not answered yet).

    Examples
    --------
    >>> run_student(lambda x: x + 1, (1,), exercise_id="0.4")
    (2, None)
    >>> _, stop = run_student(lambda x: 1 / 0, (1,), exercise_id="0.4", where="for x=1"); stop
    ✗ Your function raised ZeroDivisionError: division by zero (for x=1).
    >>> run_student(lambda x: None, (1,), exercise_id="0.4")[1].answered
    False
    """
    try:
        with np.errstate(all="ignore"):
            got = fn(*args)
    except Exception as err:  # noqa: BLE001  (the student's code: report, do not crash)
        return None, CheckResult(False, f"Your function raised {type(err).__name__}: {err}" + (f" ({where})." if where else "."))
    if got is None or got is Ellipsis:
        return None, pending(exercise_id)
    return got, None


def _lookup(id) -> Exercise:
    # a string only: as a float, 3.10 would be 3.1
    key = id.strip() if isinstance(id, str) else None
    if key not in REGISTRY:
        raise ParameterError(f"id={id!r}: expected an exercise number as a string, one of {sorted(REGISTRY)}")
    return REGISTRY[key]


def hint(id) -> str:
    """A hint for exercise ``id`` (e.g. ``'0.1'``) that does not give the answer away.

    Examples
    --------
    >>> from musynth_lab.exercises import hint
    >>> isinstance(hint("0.1"), str)
    True

    Chapter: every notebook's "Exercises" section.
    """
    return _Hint(_lookup(id).hint)


def solution(id) -> Exercise:
    """The worked solution of exercise ``id``: the reasoning and the code (shown as Markdown in a notebook).

    Examples
    --------
    >>> from musynth_lab.exercises import solution
    >>> "hz_to_midi" in solution("0.1").code
    True

    Chapter: every notebook's "Exercises" section.
    """
    return _lookup(id)
