"""The shared shell of every panel: controls, an output area, and a pure render function."""

from __future__ import annotations

from typing import Any, Callable


def slider(description: str, *, min: float, max: float, value: float, step: float | None = None,
           integer: bool = False, log: bool = False, unit: str = ""):
    """A slider with ``continuous_update=False`` that works on ipywidgets 7.7 and 8.

    Examples
    --------
    >>> s = slider("cutoff", min=100.0, max=8000.0, value=1000.0, unit="Hz", log=True)
    >>> s.description, round(s.value), s.continuous_update
    ('cutoff (Hz)', 1000, False)
    >>> slider("pitch", min=28, max=83, value=60, integer=True).value
    60
    """
    import ipywidgets as W

    label = f"{description} ({unit})" if unit else description
    style = {"description_width": "initial"}
    layout = W.Layout(width="360px")
    if integer:
        return W.IntSlider(value=int(value), min=int(min), max=int(max), step=int(step or 1),
                           description=label, continuous_update=False, style=style, layout=layout)
    if log:
        import math

        return W.FloatLogSlider(value=value, base=10, min=math.log10(min), max=math.log10(max),
                                step=step or 0.01, description=label, continuous_update=False,
                                style=style, layout=layout)
    return W.FloatSlider(value=value, min=min, max=max, step=step or (max - min) / 100,
                         description=label, continuous_update=False, style=style, layout=layout,
                         readout_format=".3g")


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
    return W.Dropdown(options=options, value=value if value is not None else options[0],
                      description=description, style={"description_width": "initial"})


class Panel:
    """Controls + output + a pure ``render(**values)``; re-renders when a control changes.

    Subclasses set ``self.controls`` (name -> widget) and implement ``render(**values)``
    (pure: returns a result, draws nothing) and ``show(result)`` (draws into the output).
    After each change ``self.result`` holds the latest render, which tests inspect.

    Examples
    --------
    >>> import contextlib, io
    >>> quiet = contextlib.redirect_stdout(io.StringIO())   # outside Jupyter the output goes to stdout
    >>> with quiet:
    ...     panel = Panel({"x": slider("x", min=0, max=10, value=2, integer=True)},
    ...                   render=lambda x: x ** 2, show=lambda result: None)
    >>> panel.result, panel.renders             # rendered once when built
    (4, 1)
    >>> with quiet:
    ...     panel.controls["x"].value = 3       # what a student's drag does
    >>> panel.result, panel.renders
    (9, 2)
    """

    def __init__(self, controls: dict[str, Any], render: Callable[..., Any], show: Callable[[Any], None],
                 title: str = ""):
        import ipywidgets as W

        self.controls = controls
        self._render = render
        self._show = show
        self.output = W.Output()
        self.result = None
        self.renders = 0
        for w in controls.values():
            w.observe(self._on_change, names="value")
        header = [W.HTML(f"<b>{title}</b>")] if title else []
        self.widget = W.VBox(header + [W.HBox([W.VBox(list(controls.values())), self.output])])
        self.update()

    def values(self) -> dict[str, Any]:
        return {k: w.value for k, w in self.controls.items()}

    def update(self) -> Any:
        import matplotlib.pyplot as plt

        self.result = self._render(**self.values())
        self.renders += 1
        self.output.clear_output(wait=True)
        with self.output:
            self._show(self.result)
            plt.show()
        return self.result

    def _on_change(self, change) -> None:
        self.update()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
