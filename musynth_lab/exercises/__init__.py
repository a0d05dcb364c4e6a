"""Answer checks for the notebooks' exercises.

Each ``check_*`` function takes the student's answer, prints a short verdict with a hint
when it is wrong, and returns a :class:`CheckResult` that is truthy when the answer is
right, so a notebook cell can show it and a test can assert it. An exercise cell starts
with ``answer = ...`` (the student's turn): a check given ``...`` reports "not answered
yet". :func:`hint` and :func:`solution` give a hint and the worked solution on demand;
``REGISTRY`` holds every exercise (the notebook test runs each one unanswered and solved).

Chapter: every notebook's "Exercises" section.
"""

from ._core import REGISTRY, CheckResult, Exercise, hint, solution
from .start import *  # noqa: F401,F403  (chapter 0)
from .features import *  # noqa: F401,F403  (chapter 3)
from .attention import *  # noqa: F401,F403  (chapter 2)
from .deep import *  # noqa: F401,F403  (chapter 1b)
from .encoding import *  # noqa: F401,F403  (chapter 4)
from .synth import *  # noqa: F401,F403  (chapter 1a)
from .synthesis import *  # noqa: F401,F403  (chapter 5)
from .latency import *  # noqa: F401,F403  (chapter 6a)
from .quality import *  # noqa: F401,F403  (chapter 6b)
from .coherence import *  # noqa: F401,F403  (chapter 6c)

__all__ = ["CheckResult", "Exercise", "hint", "solution"] + [n for n in dir() if n.startswith("check_")]
