"""The one error class of the kit."""

import functools
import inspect
import math
import numbers
from collections.abc import Iterable

import numpy as np


class ParameterError(ValueError):
    """Bad input to a musynth_lab function.

    The message names the argument, the value that arrived and what was expected,
    e.g. ``"n_fft=0: expected a positive integer"``. It is a ``ValueError``, so code
    that already catches ``ValueError`` keeps working.

    Examples
    --------
    >>> try:
    ...     check(0 > 0, "n_fft", 0, "a positive integer")
    ... except ValueError as err:
    ...     print(type(err).__name__, "|", err)
    ParameterError | n_fft=0: expected a positive integer
    """


def check(condition: bool, name: str, value, expected: str) -> None:
    """Raise :class:`ParameterError` unless ``condition`` holds.

    Parameters
    ----------
    condition : bool
        What must be true.
    name : str
        The argument's name, as the user wrote it.
    value : object
        The value that arrived (shown with ``repr``, shortened).
    expected : str
        What was expected, in words.

    Examples
    --------
    >>> check(3 > 0, "n_fft", 3, "a positive integer")
    """
    if not condition:
        raise ParameterError(f"{name}={short_repr(value)}: expected {expected}")


def short_repr(value, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters; an array too long to show becomes its type and shape.

    The form every error message of the kit shows a bad value in.

    Examples
    --------
    >>> import numpy as np
    >>> short_repr(2.5), short_repr(np.zeros((100, 3)))
    ('2.5', '<ndarray shape=(100, 3)>')
    """
    text = repr(value)
    if len(text) > limit:
        shape = getattr(value, "shape", None)
        kind = type(value).__name__
        text = f"<{kind} shape={tuple(shape)}>" if shape is not None else text[: limit - 3] + "..."
    return text


# --------------------------------------------------------------------------------------
# The converters: each rule of the contract written once
# --------------------------------------------------------------------------------------
def _is_real_number(value) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def as_int(value, name: str, *, low: int | None = 1, high: int | None = None, allow_none: bool = False):
    """``value`` as an ``int`` (a whole number: ``3`` or ``3.0``, never NaN, ``2.5``, a string or ``None``).

    ``low``/``high`` bound it (inclusive); ``high`` defaults to 10**9, so that no loop or
    allocation of the kit can be asked for an astronomical size.

    Examples
    --------
    >>> as_int(4.0, "n_fft"), as_int(None, "hop_length", allow_none=True)
    (4, None)
    >>> as_int(float("nan"), "n_steps")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: n_steps=nan: expected an integer >= 1
    """
    if value is None and allow_none:
        return None
    high = 10**9 if high is None else high
    words = f"an integer >= {low}" if low is not None else "an integer"
    if high != 10**9:
        words += f" and <= {high}"
    ok = _is_real_number(value) and math.isfinite(float(value)) and float(value) == int(value)
    check(ok, name, value, words)
    v = int(value)
    check(
        (low is None or v >= low) and v <= high, name, value, words if high != 10**9 or v <= high else words + " (at most 10**9)"
    )
    return v


def as_float(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> float | None:
    """``value`` as a finite ``float`` in ``[low, high]`` (open ends with ``low_open``/``high_open``).

    Examples
    --------
    >>> as_float(3, "q", low=0, low_open=True)
    3.0
    >>> as_float(None, "q")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: q=None: expected a finite number
    """
    if value is None and allow_none:
        return None
    if low is None and high is None:
        words = "a finite number"
    elif high is None:
        words = f"a finite number {'>' if low_open else '>='} {low}"
    elif low is None:
        words = f"a finite number {'<' if high_open else '<='} {high}"
    else:
        words = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if hasattr(value, "ndim") and getattr(value, "ndim", 1) == 0 and not _is_real_number(value):
        try:
            value = value.item()
        except Exception:  # noqa: BLE001
            pass
    check(_is_real_number(value) and math.isfinite(float(value)), name, value, words)
    v = float(value)
    ok = (low is None or (v > low if low_open else v >= low)) and (high is None or (v < high if high_open else v <= high))
    check(ok, name, value, words)
    return v


def as_choice(value, name: str, choices):
    """``value`` if it is one of ``choices`` (strings compared exactly).

    Examples
    --------
    >>> as_choice("hann", "window", ("hann", "hamming"))
    'hann'
    """
    choices = tuple(choices)
    ok = isinstance(value, str) and value in choices
    check(ok, name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def as_sequence(value, name: str, *, min_len: int = 0, what: str = "a sequence"):
    """``value`` as a ``list``: refuses ``None``, a string, a scalar (a NumPy array or tensor is split on axis 0).

    Examples
    --------
    >>> as_sequence((1, 2), "prompt")
    [1, 2]
    >>> as_sequence(None, "sequences")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: sequences=None: expected a sequence
    """
    ok = (
        value is not None
        and not isinstance(value, (str, bytes))
        and isinstance(value, Iterable)
        and getattr(value, "ndim", 1) != 0
    )
    check(ok, name, value, what)
    out = list(value)
    check(len(out) >= min_len, name, value, f"{what} of at least {min_len} item(s)")
    return out


def as_array(
    value,
    name: str,
    *,
    ndim: int | tuple | None = None,
    min_ndim: int = 0,
    allow_empty: bool = False,
    allow_complex: bool = False,
    finite: bool = True,
    integer: bool = False,
    dtype=None,
):
    """``value`` as a real (or complex) NumPy array, checked once for every rule of the kit.

    Refused with :class:`ParameterError` naming ``name``: ``None``, strings and other
    non-numeric data, complex numbers (unless ``allow_complex``), NaN/inf (unless
    ``finite=False``), an empty array (unless ``allow_empty``), the wrong number of
    dimensions, non-whole numbers where ``integer`` is asked for. A torch tensor is
    converted (detached, on the CPU). ``dtype`` is the result's dtype (float64 by default;
    int64 when ``integer``).

    Examples
    --------
    >>> as_array([[1, 2], [3, 4]], "A", ndim=2).dtype
    dtype('float64')
    >>> as_array([1.0, float("nan")], "weights")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: weights=[1.0, nan]: expected finite numbers (no NaN or inf)
    """
    raw = value
    if value is None:
        raise ParameterError(f"{name}=None: expected an array of numbers")
    if isinstance(value, (str, bytes)):
        raise ParameterError(f"{name}={short_repr(value)}: expected an array of numbers, got a string")
    try:
        # torch is imported where a tensor may arrive: this bottom module needs only numpy
        import torch

        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise ParameterError(f"{name}={short_repr(raw)}: expected a rectangular array of numbers ({err})") from None
    kind = arr.dtype.kind
    if kind == "c" and not allow_complex:
        raise ParameterError(f"{name} is complex: expected real numbers (take .real or abs() first)")
    if kind not in "biufc":
        raise ParameterError(f"{name}={short_repr(raw)}: expected an array of numbers, got dtype {arr.dtype}")
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        check(arr.ndim in dims, name, raw, f"a {' or '.join(f'{d}-D' for d in dims)} array, got shape {arr.shape}")
    check(arr.ndim >= min_ndim, name, raw, f"an array of at least {min_ndim} dimension(s), got shape {arr.shape}")
    if not allow_empty:
        check(arr.size > 0, name, raw, f"a non-empty array, got shape {arr.shape}")
    if finite and kind in "fc" and not np.isfinite(arr).all():
        raise ParameterError(f"{name}={short_repr(raw)}: expected finite numbers (no NaN or inf)")
    if integer:
        if kind in "fc":
            check(bool(np.all(arr == np.round(arr.real))), name, raw, "whole numbers")
        return arr.astype(dtype or np.int64)
    return arr.astype(dtype or (np.complex128 if kind == "c" else np.float64), copy=False)


def check_finite_result(value, name: str, what: str = "the result"):
    """Refuse a non-finite result that finite input overflowed into (e.g. a sample of 1e30 in float32).

    Examples
    --------
    >>> import numpy as np
    >>> check_finite_result(np.ones(2), "y") is not None
    True
    """
    try:
        import torch

        finite = (
            bool(torch.isfinite(value).all()) if isinstance(value, torch.Tensor) else bool(np.isfinite(np.asarray(value)).all())
        )
    except (TypeError, ImportError):
        return value
    if not finite:
        raise ParameterError(
            f"{name}: {what} overflowed to inf/NaN: expected input of a sane magnitude "
            "(float32 audio is normally within [-1, 1]; scale it down)"
        )
    return value


def as_rows(rows, name: str = "rows", keys=()) -> list:
    """``rows`` as a non-empty list of dicts that all have ``keys`` (result tables of the lessons).

    Examples
    --------
    >>> as_rows([{"sr": 8000}], keys=("sr",))
    [{'sr': 8000}]
    >>> as_rows("abc")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: rows='abc': expected a non-empty list of result rows (dicts)
    """
    rows = as_sequence(rows, name, min_len=1, what="a non-empty list of result rows (dicts)")
    keys = tuple(keys)
    check(
        all(isinstance(r, dict) and all(k in r for k in keys) for r in rows),
        name,
        rows,
        "dicts" + (f" with the keys {', '.join(keys)}" if keys else ""),
    )
    return rows


def as_mapping(value, name: str, *, numbers: bool = False, allow_empty: bool = False) -> dict:
    """``value`` as a non-empty dict (of finite numbers or arrays when ``numbers``).

    Examples
    --------
    >>> as_mapping({"cpu": 0.2}, "timings", numbers=True)
    {'cpu': 0.2}
    """
    check(
        isinstance(value, dict) and (allow_empty or len(value) > 0), name, value, "a dict" if allow_empty else "a non-empty dict"
    )
    if numbers:
        for k, v in value.items():
            as_array(v, f"{name}[{k!r}]")
    return value


# --------------------------------------------------------------------------------------
# Rules by argument name: a package's conventional names checked once, at its boundary
# --------------------------------------------------------------------------------------
def rule(kind, **bounds):
    """A checker ``f(value, name)`` for :func:`validated`: kind 'int', 'float', 'choice' or 'seq'.

    ``kind`` may also be a converter of a higher module, called as ``kind(value, name=name,
    **bounds)`` (e.g. :func:`musynth_lab.audio.as_audio`): this module imports none of the
    kit's modules. ``none=True`` lets ``None`` through (a documented default computed from
    other arguments).

    Examples
    --------
    >>> rule("float", low=0, low_open=True)(2.0, "amin")
    >>> rule("int", none=True)(None, "hop_length")
    >>> from musynth_lab.audio import as_audio
    >>> rule(as_audio)("loud", "pred")
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: pred: expected a NumPy array or torch tensor of audio samples, got str
    """
    none = bounds.pop("none", False)

    def checker(value, name):
        if value is None and none:
            return
        if callable(kind):
            kind(value, name=name, **bounds)
        elif kind == "int":
            as_int(value, name, **bounds)
        elif kind == "float":
            as_float(value, name, **bounds)
        elif kind == "seq":
            as_array(value, name, **bounds)
        elif kind == "callable_or_float":
            if not callable(value):
                as_float(value, name, **bounds)
        elif kind == "sequence":
            as_sequence(value, name, **bounds)
        elif kind == "callable":
            check(callable(value), name, value, "a callable (a model or function)")
        elif kind == "window":
            check(
                isinstance(value, (str, tuple)) or callable(value) or _is_real_number(value) or hasattr(value, "shape"),
                name,
                value,
                "a window name, tuple, number, callable or array",
            )
        else:  # pragma: no cover
            raise ValueError(kind)

    return checker


def validated(fn, rules: dict):
    """Wrap ``fn`` so that each argument named in ``rules`` is checked by its rule before the call.

    The kit's conventional argument names (``hop_length``, ``amin``, ``tuning``, ...) mean the
    same in every function of a package, so their rule is written once, in the package's
    table, and applied at its boundary (its ``__init__``). Arguments left at their defaults
    are not checked. The wrapper keeps the signature, name and docstring.

    Examples
    --------
    >>> f = validated(lambda y, *, amin=1e-10: amin, {"amin": rule("float", low=0, low_open=True)})
    >>> f(0, amin=0.5)
    0.5
    >>> f(0, amin=-1)
    Traceback (most recent call last):
        ...
    musynth_lab.errors.ParameterError: amin=-1: expected a finite number > 0
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover
        return fn
    names = [n for n in sig.parameters if n in rules]
    if not names:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            bound = sig.bind_partial(*args, **kwargs)
        except TypeError:
            return fn(*args, **kwargs)  # let Python report the wrong call itself
        for n in names:
            if n in bound.arguments:
                rules[n](bound.arguments[n], n)
        return fn(*args, **kwargs)

    return wrapper


def validate_names(namespace: dict, names, rules: dict) -> None:
    """Apply :func:`validated` to the public ``names`` of a package namespace (its ``__init__``).

    Functions are replaced by their checked wrapper; a class gets its own ``__init__``
    wrapped in place (dataclass records are left alone).
    """
    for n in names:
        obj = namespace[n]
        if isinstance(obj, type):
            if (
                "__init__" in vars(obj)
                and not hasattr(obj, "__dataclass_fields__")
                and not getattr(obj.__init__, "__wrapped__", None)
            ):
                obj.__init__ = validated(obj.__init__, rules)
        elif callable(obj):
            namespace[n] = validated(obj, rules)
