"""The one interface of every encoder in chapter 4: ``fit(...)`` then ``encode(x) -> (n, dim)``.

Statistical (:mod:`musynth_lab.stats`), variational and deep (:mod:`musynth_lab.models`)
encoders all follow it, so a notebook can swap one for another and compare them on the same
downstream task.

Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError, as_array

__all__ = ["Encoder", "require_fitted", "as_2d_rows"]


def require_fitted(model, fitted: bool) -> None:
    """Raise :class:`ParameterError` when an untrained model is asked to encode or predict.

    Examples
    --------
    >>> require_fitted("demo", True)
    >>> require_fitted("demo", False)
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: model='demo' is not fitted: expected a trained model; call fit(...) first

    Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
    """
    if not fitted:
        name = type(model).__name__ if not isinstance(model, str) else repr(model)
        raise ParameterError(f"model={name} is not fitted: expected a trained model; call fit(...) first")


def as_2d_rows(x, name: str = "x", *, dim: int | None = None) -> np.ndarray:
    """``x`` as a float ``(n, dim)`` array (one row per item); a 1-D array becomes one row.

    Examples
    --------
    >>> as_2d_rows([1.0, 2.0]).shape
    (1, 2)

    Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
    """
    arr = as_array(x, name)  # no None, strings, complex, NaN/inf or empty array
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or (dim is not None and arr.shape[1] != dim) or not np.all(np.isfinite(arr)):
        want = f"(n, {dim})" if dim is not None else "(n, dim)"
        raise ParameterError(f"{name}: array of shape {arr.shape}: expected a finite array of shape {want}")
    return arr


class Encoder:
    """Base class: an encoder maps a collection of items to fixed-length vectors.

    Subclasses implement ``fit(...)`` (returning ``self``) and ``_encode(x)`` returning an
    ``(n, dim)`` NumPy array; :meth:`encode` checks the model was fitted first.

    Attributes
    ----------
    dim : int
        Length of the encoding.
    fitted : bool
        Set by ``fit``.

    Examples
    --------
    >>> class Mean(Encoder):
    ...     dim = 1
    ...     def fit(self, x):
    ...         self.fitted = True
    ...         return self
    ...     def _encode(self, x):
    ...         return np.asarray([[np.mean(v)] for v in x])
    >>> Mean().fit([[1, 2]]).encode([[1, 3], [2, 2]]).shape
    (2, 1)
    >>> Mean().encode([[1, 2]])
    Traceback (most recent call last):
    ...
    musynth_lab.errors.ParameterError: model=Mean is not fitted: expected a trained model; call fit(...) first

    Chapter: notebooks/04a_statistical.ipynb; notebooks/04b_deep.ipynb
    """

    dim: int = 0
    fitted: bool = False

    def fit(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _encode(self, x) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, x) -> np.ndarray:
        """Fixed-length vectors, one row per item of ``x``: ``(n, dim)`` float array."""
        require_fitted(self, self.fitted)
        return np.asarray(self._encode(x), dtype=np.float64)
