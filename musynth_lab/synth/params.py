"""Declared synth parameters: a name, a range, a unit, a curve and a default.

Like torchsynth's ``ModuleParameterRange``, each :class:`Param` maps a normalised value
``u`` in [0, 1] to the parameter's unit (``from_unit``) and back (``to_unit``); a
``'log'`` curve spaces values geometrically (frequencies, times), a ``'linear'`` one
evenly. Voices declare their parameters as a tuple of these, and
:class:`musynth_lab.widgets.SynthPanel` builds one slider per declaration; sound matching
optimises the normalised value so every parameter stays inside its range.

Chapter: notebooks/01a_synthesis.ipynb
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..errors import ParameterError, as_float
from ._util import param

__all__ = ["Param", "param_table"]


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    Attributes
    ----------
    name : str
        Keyword used by the voice, e.g. ``'cutoff_hz'``.
    lo, hi : float
        The range, in ``unit``.
    default : float
    unit : str
        ``'Hz'``, ``'s'``, ``'dB'``, ``''`` (dimensionless), ...
    curve : {'linear', 'log'}
        How normalised values map to the range (``'log'`` needs ``lo > 0``).
    description : str
    integer : bool
        Whole numbers only (e.g. MIDI pitch).

    Examples
    --------
    >>> p = Param("cutoff_hz", 20.0, 20000.0, 1000.0, "Hz", "log")
    >>> round(p.from_unit(0.5), 1), round(p.to_unit(632.456), 3)
    (632.5, 0.5)

    Chapter: notebooks/01a_synthesis.ipynb
    """

    name: str
    lo: float
    hi: float
    default: float
    unit: str = ""
    curve: str = "linear"
    description: str = ""
    integer: bool = False

    def __post_init__(self):
        for arg in ("lo", "hi", "default"):
            as_float(getattr(self, arg), arg)  # finite numbers (checked, not converted)
        if not self.lo < self.hi:
            raise ParameterError(f"lo={self.lo}, hi={self.hi}: expected lo < hi for parameter {self.name!r}")
        if self.curve not in ("linear", "log"):
            raise ParameterError(f"curve={self.curve!r}: expected 'linear' or 'log'")
        if self.curve == "log" and self.lo <= 0:
            raise ParameterError(f"lo={self.lo}: a 'log' parameter ({self.name!r}) needs lo > 0")
        if not self.lo <= self.default <= self.hi:
            raise ParameterError(f"default={self.default}: expected a value in [{self.lo}, {self.hi}] for {self.name!r}")

    def from_unit(self, u):
        """Normalised ``u`` in [0, 1] (float or tensor) to the parameter's unit."""
        if self.curve == "log":
            if isinstance(u, torch.Tensor):
                return self.lo * torch.exp(u * math.log(self.hi / self.lo))
            return self.lo * math.exp(u * math.log(self.hi / self.lo))
        return self.lo + u * (self.hi - self.lo)

    def to_unit(self, value):
        """The parameter's value (float or tensor) to normalised [0, 1]."""
        if self.curve == "log":
            if isinstance(value, torch.Tensor):
                return torch.log(value / self.lo) / math.log(self.hi / self.lo)
            return math.log(value / self.lo) / math.log(self.hi / self.lo)
        return (value - self.lo) / (self.hi - self.lo)

    def check(self, value) -> None:
        """Raise ParameterError naming this parameter when ``value`` is outside its range or NaN."""
        param(value, self.name, lo=self.lo, hi=self.hi, expected=f"a value in [{self.lo}, {self.hi}] {self.unit}".rstrip())


def param_table(params) -> str:
    """A Markdown table of declared parameters (name, range, unit, curve, default, meaning).

    Examples
    --------
    >>> print(param_table([Param("gain_db", -60.0, 12.0, 0.0, "dB")]).splitlines()[2])
    | gain_db | -60 .. 12 | dB | linear | 0 |  |

    Chapter: notebooks/01a_synthesis.ipynb
    """
    rows = ["| name | range | unit | curve | default | meaning |", "|---|---|---|---|---|---|"]
    for p in params:
        rows.append(f"| {p.name} | {p.lo:g} .. {p.hi:g} | {p.unit} | {p.curve} | {p.default:g} | {p.description} |")
    return "\n".join(rows)
