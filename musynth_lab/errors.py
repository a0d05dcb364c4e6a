"""The one error class of the kit."""


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
        raise ParameterError(f"{name}={_short(value)}: expected {expected}")


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    if len(text) > limit:
        shape = getattr(value, "shape", None)
        kind = type(value).__name__
        text = f"<{kind} shape={tuple(shape)}>" if shape is not None else text[: limit - 3] + "..."
    return text
