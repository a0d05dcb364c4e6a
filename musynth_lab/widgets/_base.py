"""The shared shell of every panel: controls, one figure, one audio player, a status line.

One drawing path for every panel (:class:`Panel`): a pure ``render(**values)``, a
``draw(result, fig)`` onto a figure pyplot does not track, PNG and WAV bytes set on an
``ipywidgets.Image`` and ``ipywidgets.Audio`` updated in place.
"""

from __future__ import annotations

import html
import io
import math
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..audio import play
from ..errors import ParameterError


def slider(
    description: str,
    *,
    min: float,
    max: float,
    value: float,
    step: float | None = None,
    integer: bool = False,
    log: bool = False,
    unit: str = "",
):
    """A slider with ``continuous_update=False`` that works on ipywidgets 7.7 and 8.

    Examples
    --------
    >>> s = slider("cutoff", min=100.0, max=8000.0, value=1000.0, unit="Hz", log=True)
    >>> s.description, round(s.value), s.continuous_update
    ('cutoff (Hz)', 1000, False)
    >>> slider("pitch", min=28, max=83, value=60, integer=True).value
    60
    """
    # ipywidgets, matplotlib and IPython are imported where used: importing this module (and `import musynth_lab`) stays light
    import ipywidgets as W

    label = f"{description} ({unit})" if unit else description
    style = {"description_width": "initial"}
    layout = W.Layout(width="360px")
    if integer:
        return W.IntSlider(
            value=int(value),
            min=int(min),
            max=int(max),
            step=int(step or 1),
            description=label,
            continuous_update=False,
            style=style,
            layout=layout,
        )
    if log:
        return W.FloatLogSlider(
            value=value,
            base=10,
            min=math.log10(min),
            max=math.log10(max),
            step=step or 0.01,
            description=label,
            continuous_update=False,
            style=style,
            layout=layout,
        )
    return W.FloatSlider(
        value=value,
        min=min,
        max=max,
        step=step or (max - min) / 100,
        description=label,
        continuous_update=False,
        style=style,
        layout=layout,
        readout_format=".3g",
    )


def dropdown(description: str, options, value=None):
    """A labelled dropdown over ``options``, starting at ``value`` (default: the first option).

    Examples
    --------
    >>> d = dropdown("voice", ["sine", "piano", "choir"])
    >>> d.value, d.description                  # the first option unless told
    ('sine', 'voice')
    """
    import ipywidgets as W

    options = list(options)
    return W.Dropdown(
        options=options,
        value=value if value is not None else options[0],
        description=description,
        style={"description_width": "initial"},
    )


@dataclass
class Frame:
    """What a panel's ``draw(result, fig)`` hands back besides the figure it drew on.

    Attributes
    ----------
    audio : np.ndarray or None
        Mono ``(n,)`` or stereo ``(2, n)`` audio for the player (hidden when ``None``).
    sr : int
        Its sample rate in Hz.
    normalize_peak : bool
        As in :func:`musynth_lab.play`.
    text : str
        A line of text shown under the figure (replaces what a panel used to ``print``).

    Examples
    --------
    >>> Frame(text="p50 0.1 ms").audio is None
    True
    """

    audio: Any = None
    sr: int = 16000
    normalize_peak: bool = True
    text: str = ""


def figure_png(fig) -> bytes:
    """PNG bytes of a figure, drawn with Agg in the calling thread (no pyplot involved).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1)); _ = fig.add_subplot().plot([0, 1])
    >>> figure_png(fig)[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.canvas.print_png(buf)
    return buf.getvalue()


def wav_bytes(y, *, sr: int, normalize_peak: bool = True) -> bytes:
    """The WAV file :func:`musynth_lab.play` would embed for ``y`` (same normalisation and limiter).

    Examples
    --------
    >>> import numpy as np
    >>> wav_bytes(np.zeros(100, dtype=np.float32), sr=8000)[:4]
    b'RIFF'
    """
    with warnings.catch_warnings():  # IPython warns when it scales an all-zero signal
        warnings.simplefilter("ignore", RuntimeWarning)
        return play(y, sr=sr, normalize_peak=normalize_peak).data


class _MainThreadOnly:
    """A post_execute callback that runs only on the main thread (equal to the one it wraps)."""

    def __init__(self, fn):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "callback")

    def __call__(self, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            return self.fn(*args, **kwargs)
        return None

    def __eq__(self, other):  # so the inline backend can still unregister its flush
        return other is self.fn or (isinstance(other, _MainThreadOnly) and other.fn is self.fn)

    def __hash__(self):
        return hash(self.fn)


#: IPython post_execute hooks that draw pyplot figures: IPython's ``draw_all`` when interactive
#: (pylabtools) and the inline backend's ``flush_figures``.
_PYPLOT_HOOKS = ("_draw_all_if_interactive", "flush_figures")


def guard_inline_flush(shell=None) -> bool:
    """Keep IPython's pyplot post_execute hooks on the main thread; returns whether any was guarded.

    ipykernel 7 fires IPython's ``post_execute`` after each comm message, on the thread that
    handled it: a subshell thread when JupyterLab 4.4+ sends widget messages over subshells.
    Two hooks then touch pyplot from that thread: ``_draw_all_if_interactive`` redraws every
    pyplot figure, and the inline backend's ``flush_figures`` shows and closes them. A cell
    drawing a figure on the main thread at that moment gets a half-drawn or blank one, and
    what the hook displays is parented to the comm message, which the front end drops
    (ipykernel issue 1564). Panels never use pyplot; this guard protects the notebook's other
    figures while a student moves a slider. Cells (main thread) run both hooks as before.
    Called by every :class:`Panel`; idempotent; does nothing outside IPython.

    Examples
    --------
    >>> guard_inline_flush()                  # no IPython shell here
    False
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    callbacks = getattr(getattr(shell, "events", None), "callbacks", {}).get("post_execute")
    if not callbacks:
        return False
    guarded = False
    for i, cb in enumerate(callbacks):
        if getattr(cb, "__name__", "") in _PYPLOT_HOOKS:
            if not isinstance(cb, _MainThreadOnly):
                callbacks[i] = _MainThreadOnly(cb)
            guarded = True
    return guarded


#: CSS classes on a panel's widgets, for browser tests (Playwright) and styling.
CSS = {
    "panel": "musynth-panel",
    "figure": "musynth-figure",
    "audio": "musynth-audio",
    "status": "musynth-status",
    "text": "musynth-text",
}


class Panel:
    """Controls + a figure + an audio player, redrawn in place by a pure ``render(**values)``.

    Subclasses (or callers) give ``controls`` (name -> widget), ``render(**values)`` (pure:
    returns a result, draws nothing) and ``draw(result, fig)``, which draws the result onto
    ``fig``, a :class:`matplotlib.figure.Figure` the panel owns (cleared before each call; pyplot
    never sees it), and returns a :class:`Frame` with the audio and text to show, or ``None``.

    Why not ``plt.subplots`` + ``plt.show()`` in an ``Output`` widget: with ipykernel 7
    subshells (JupyterLab 4.4+ default) widget messages are handled on another thread, and the
    comm's ``post_execute`` hook makes pyplot redraw every figure it tracks from there while
    the panel draws; the figure came back blank. Here each frame is drawn with Agg in the
    callback's own thread, encoded to PNG, and set as the value of one ``ipywidgets.Image``
    (and WAV bytes into one ``ipywidgets.Audio``): no pyplot state, no ``Output`` capture,
    the same widgets updated in place (ipywidgets 7.7 and 8 both have them).

    Renders are serialised by a lock and counted: when a newer control change arrives while
    one is rendering, the older result is dropped, so the panel always ends on the newest
    values. A :class:`~musynth_lab.ParameterError` from ``render`` or ``draw`` is shown in the
    status line (CSS class ``musynth-status``) and the last good figure and sound stay.

    ``relevant`` maps a control's name to ``values -> bool``: whether that control changes the
    figure or the sound for the other values (``top-p`` only matters for top-p sampling); the
    control is disabled (greyed out) while it does not, so no move of the student's is a no-op.

    After each shown render ``self.result`` holds it and ``self.renders`` counts them;
    ``self.png`` / ``self.wav`` are the bytes on screen; ``self.error`` is the last error or ``None``.

    Examples
    --------
    >>> import ipywidgets as W
    >>> from musynth_lab.errors import check
    >>> def render(x):
    ...     check(x >= 0, "x", x, "a non-negative number")
    ...     return x ** 2
    >>> def draw(result, fig):
    ...     fig.add_subplot().bar([0], [result])
    >>> panel = Panel({"x": W.IntText(value=2)}, render=render, draw=draw)
    >>> panel.result, panel.renders             # rendered once when built
    (4, 1)
    >>> panel.controls["x"].value = 3           # what a student's drag or typing does
    >>> panel.result, panel.renders
    (9, 2)
    >>> panel.controls["x"].value = -1          # bad input: message, last good frame kept
    >>> panel.result, panel.renders, "x=-1" in panel.status.value
    (9, 2, True)
    """

    def __init__(
        self,
        controls: dict[str, Any],
        render: Callable[..., Any],
        draw: Callable[[Any, Any], Frame | None],
        title: str = "",
        figsize=(9.0, 2.8),
        dpi: int = 100,
        relevant: dict[str, Callable[[dict], bool]] | None = None,
    ):
        import ipywidgets as W
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.controls = controls
        self.relevant = dict(relevant or {})  # control -> values -> whether it changes anything now
        self._render = render
        self._draw = draw
        self.figsize = tuple(figsize)
        self.figure = Figure(figsize=self.figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.image = W.Image(format="png")
        self.image.add_class(CSS["figure"])
        self.audio = W.Audio(format="wav", autoplay=False, loop=False, controls=True)
        self.audio.add_class(CSS["audio"])
        self.text = W.HTML("")
        self.text.add_class(CSS["text"])
        self.status = W.HTML("")
        self.status.add_class(CSS["status"])
        self.result = None
        self.renders = 0
        self.png = b""
        self.wav = b""
        self.error = None
        self._lock = threading.RLock()  # re-entrant: a render may set a control
        self._count_lock = threading.Lock()
        self._requested = 0
        header = [W.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        left = W.VBox(list(controls.values()) + [self.status])
        right = W.VBox([self.image, self.audio, self.text])
        self.widget = W.VBox(header + [W.HBox([left, right])])
        self.widget.add_class(CSS["panel"])
        guard_inline_flush()
        self._update(raise_errors=True)
        for w in controls.values():
            w.observe(self._on_change, names="value")

    def values(self) -> dict[str, Any]:
        return {k: w.value for k, w in self.controls.items()}

    def update(self) -> Any:
        """Render the current values and show them; returns ``self.result``."""
        return self._update(raise_errors=False)

    def _update(self, raise_errors: bool) -> Any:
        with self._count_lock:
            self._requested += 1
            mine = self._requested
        with self._lock:
            if mine != self._requested:  # a newer change is queued behind us: let it render
                return self.result
            try:
                values = self.values()
                for name, fn in self.relevant.items():  # a control that does nothing now is greyed out
                    self.controls[name].disabled = not fn(values)
                result = self._render(**values)
                if mine != self._requested:
                    return self.result
                png, frame = self._frame(result)
                wav = wav_bytes(frame.audio, sr=frame.sr, normalize_peak=frame.normalize_peak) if frame.audio is not None else b""
            except Exception as e:  # shown in the panel: never a traceback, never a dead panel
                self.error = e
                if raise_errors:
                    raise
                msg = str(e) if isinstance(e, ParameterError) else f"{type(e).__name__}: {e}"
                self.status.value = f'<span style="color:#b00020">{html.escape(msg)}</span>'
                return self.result
            if mine != self._requested:
                return self.result
            self.result, self.png, self.wav, self.error = result, png, wav, None
            self.renders += 1
            self.image.value = png
            if wav:
                self.audio.value = wav
            self.audio.layout.display = None if wav else "none"
            self.text.value = f"<pre style='margin:0'>{html.escape(frame.text)}</pre>" if frame.text else ""
            self.status.value = ""
            return self.result

    def _frame(self, result):
        """Draw ``result`` on the panel's cleared figure; ``(png bytes, Frame)``."""
        fig = self.figure
        fig.clear()
        fig.set_size_inches(*self.figsize)
        frame = self._draw(result, fig) or Frame()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # tight_layout on odd layouts: harmless
            fig.tight_layout()
        return figure_png(fig), frame

    def _on_change(self, change) -> None:
        self.update()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
