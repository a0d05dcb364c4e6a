"""Figures for notebooks/06b_quality.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06b_quality.ipynb
"""

from __future__ import annotations

from .core import _ax  # noqa: F401

__all__: list = []
