"""Figures for notebooks/06c_coherence.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06c_coherence.ipynb
"""

from __future__ import annotations

from .core import _ax  # noqa: F401

__all__: list = []
