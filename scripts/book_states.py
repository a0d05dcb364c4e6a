"""Pre-render widget panels as a few static states for the book (runs inside the notebook's kernel).

scripts/build_book.py injects this file's source as a hidden cell at the top of each notebook
(it records every panel built) and, after each cell that builds a panel, a hidden cell calling
``_book_show_states()``: the panel's main (first) control is set to three positions through
the public API (``panel.controls[name].value = v``) and each state's figure and sound are
shown as plain HTML (PNG and WAV data URIs), then the control goes back to where it was.
Works with both drawing paths: panels that keep ``png``/``wav`` bytes, and panels that
display a figure and an audio player into an Output.
"""

import base64 as _b64
import html as _html

import musynth_lab.widgets._base as _book_base

_book_panels = []
_book_seen = 0
_book_init = _book_base.Panel.__init__


def _book_record(self, *args, **kwargs):
    _book_panels.append(self)
    _book_init(self, *args, **kwargs)


_book_base.Panel.__init__ = _book_record


def _book_positions(w):
    """Three positions of a control: low end, start, high end (or up to three options)."""
    opts = getattr(w, "options", None)
    if opts:
        vals = [o[1] if isinstance(o, tuple) else o for o in opts]
        start = w.value
        rest = [v for v in vals if v != start]
        return [start] + rest[:2]
    if hasattr(w, "base"):  # FloatLogSlider: min/max are exponents
        lo, hi = w.base**w.min, w.base**w.max
    elif hasattr(w, "min"):
        lo, hi = w.min, w.max
    elif isinstance(w.value, bool):
        return [w.value, not w.value]
    else:
        return [w.value]
    start = w.value
    if start in (lo, hi):
        mid = (lo + hi) / 2
        start = int(round(mid)) if isinstance(w.value, int) else mid
    return [lo, start, hi]


class _book_capture_output:
    """Record what is displayed (old drawing path) without sending it: the shell's publisher is wrapped."""

    def __enter__(self):
        from IPython import get_ipython

        self.pub = get_ipython().display_pub
        self.outputs = []
        self.publish = self.pub.publish
        self.pub.publish = lambda data, metadata=None, **kw: self.outputs.append(data)
        return self

    def __exit__(self, *exc):
        self.pub.publish = self.publish


def _book_capture(panel, cap):
    png = getattr(panel, "png", None)
    wav = getattr(panel, "wav", None)
    img = f"data:image/png;base64,{_b64.b64encode(png).decode()}" if png else None
    aud = f"data:audio/wav;base64,{_b64.b64encode(wav).decode()}" if wav else None
    for out in cap.outputs:
        data = out
        if img is None and "image/png" in data:
            img = "data:image/png;base64," + data["image/png"]
        h = data.get("text/html", "")
        if aud is None and "<audio" in h and 'src="' in h:
            aud = h.split('src="', 1)[1].split('"', 1)[0]
    return img, aud


def _book_show_states():
    """Show the states of every panel built since the last call."""
    global _book_seen
    from IPython.display import HTML, display

    new, _book_seen = _book_panels[_book_seen:], len(_book_panels)
    for panel in new:
        name, w = next(iter(panel.controls.items()))
        start = w.value
        figs = []
        for v in _book_positions(w):
            with _book_capture_output() as cap:
                w.value = v
            img, aud = _book_capture(panel, cap)
            shown = f"{w.value:.3g}" if isinstance(w.value, float) else _html.escape(str(w.value))
            parts = [f"<figcaption><b>{_html.escape(getattr(w, 'description', name) or name)}</b> = {shown}</figcaption>"]
            if img:
                parts.append(f'<img alt="{_html.escape(type(panel).__name__)} with {name} = {shown}" src="{img}">')
            if aud:
                parts.append(f'<audio controls preload="auto" src="{aud}"></audio>')
            figs.append(f'<figure class="musynth-book-state">{"".join(parts)}</figure>')
        with _book_capture_output():
            w.value = start
        note = (
            f'<p class="musynth-book-note"><b>{type(panel).__name__}</b> is an interactive panel: on this static '
            f"page you see it at {len(figs)} positions of its main control <code>{_html.escape(name)}</code>. "
            "To move the controls yourself, run the notebook live: the Colab or Binder button at the top of the "
            "page, or <code>make lab</code> on your machine.</p>"
        )
        display(HTML(note + f'<div class="musynth-book-states" data-panel="{type(panel).__name__}">' + "".join(figs) + "</div>"))
