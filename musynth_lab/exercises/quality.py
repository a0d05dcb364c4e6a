"""Checks for notebooks/06b_quality.ipynb."""

from __future__ import annotations

from ._core import CheckResult, verdict  # noqa: F401

__all__: list = []
