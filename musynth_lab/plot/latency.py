"""Figures for notebooks/06a_latency.ipynb. Every function takes ``ax=None`` and returns the axes.

Chapter: notebooks/06a_latency.ipynb
"""

from __future__ import annotations

from .core import _ax  # noqa: F401

__all__: list = []
