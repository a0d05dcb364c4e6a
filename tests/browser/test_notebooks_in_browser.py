"""Every notebook, run in JupyterLab 4 in headless Chromium; every panel moved twice.

For each notebook: it opens with no kernel-selection dialog, Run All finishes with no error
output, no "Error displaying widget" and no widget left on "Loading widget...". For each
panel (class ``musynth-panel``; before the panels carried it, the outermost widget box
holding controls and an Output): two different controls are moved from the keyboard (slider:
End/Home on its handle; dropdown: another option), and after each move the figure region's
pixels changed and are not mostly white, the audio element's source changed and has a
duration > 0. Console errors and page errors fail the notebook. On failure the before/after
screenshots go to build/browser/ (MUSYNTH_BROWSER_SHOTS=always keeps them on success too).
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT, TIMES

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOTS = ROOT / "build" / "browser"
RUN_TIMEOUT_S = 400
REDRAW_TIMEOUT_S = 90
WHITE_LEVEL = 245  # a pixel whose every channel is >= this counts as near-white
MAX_WHITE = 0.97  # a figure with more near-white pixels than this is blank
# Console messages that are not the kit's: none so far. (Each entry: substring, why.)
# External requests (the Colab/Binder badge images) are answered with an empty SVG by the
# test itself, so they log nothing.
BENIGN_CONSOLE: list[tuple[str, str]] = []
# Jupyter Notebook 7.6.5 on JupyterLab 4.6.6 raises this page error on every notebook page, a
# one-cell notebook with no kit code included (reproduced by hand; it comes from notebook_core's
# settings load, not from a widget): not the kit's, so it is tolerated in Notebook 7 only.
BENIGN_NOTEBOOK7: list[tuple[str, str]] = [
    ("Cannot read properties of undefined (reading 'schema')", "Notebook 7.6.5 settings load, any notebook"),
]

JS_STATE = """(path) => {
  const app = window.jupyterapp; if (!app) return null;
  let nb = null;
  for (const w of app.shell.widgets('main')) { if (w.context && w.context.path === path) nb = w; }
  if (!nb || !nb.content || !nb.content.model) return null;
  const ctx = nb.sessionContext, kernel = ctx && ctx.session && ctx.session.kernel;
  const cells = [], errors = [];
  const list = nb.content.model.cells;
  for (let i = 0; i < list.length; i++) {
    const c = list.get(i); if (c.type !== 'code') continue;
    // only error outputs are serialised: toJSON() of every output (base64 figures) on every poll
    // cost more CPU than the notebooks' own training
    for (let j = 0; j < c.outputs.length; j++) {
      const m = c.outputs.get(j);
      if (m.type === 'error') { const o = m.toJSON(); errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`); }
    }
    cells.push({i, count: c.executionCount, state: c.executionState || null});
  }
  return {kernel: kernel ? kernel.name : null, status: kernel ? kernel.status : null,
          ready: !!(ctx && ctx.isReady), cells, errors,
          dialog: document.querySelectorAll('.jp-Dialog').length};
}"""

# Panels: elements with the musynth-panel class; before that class existed, the outermost
# widget VBox holding a slider/dropdown and an Output widget. Each gets data-test-panel=i.
JS_MARK_PANELS = """() => {
  let panels = Array.from(document.querySelectorAll('.musynth-panel'));
  let legacy = false;
  if (!panels.length) {
    legacy = true;
    const boxes = Array.from(document.querySelectorAll('.widget-vbox')).filter(b =>
      b.querySelector('.widget-output') && b.querySelector('.widget-slider, .widget-dropdown'));
    panels = boxes.filter(b => !boxes.some(o => o !== b && o.contains(b)));
  }
  panels.forEach((p, i) => p.setAttribute('data-test-panel', String(i)));
  return {n: panels.length, legacy};
}"""

JS_PANEL_STATE = """(el) => {
  const fig = el.querySelector('img.musynth-figure, .musynth-figure img, .musynth-figure')
           || el.querySelector('.widget-output img') || el.querySelector('.widget-output');
  const a = el.querySelector('audio');
  let src = null;
  if (a) src = a.currentSrc || a.src || (a.querySelector('source') && a.querySelector('source').src) || null;
  const figSrc = fig && fig.tagName === 'IMG' ? fig.src : (fig ? fig.innerHTML.length + ':' + fig.innerHTML.slice(-200) : null);
  const ready = !fig || fig.tagName !== 'IMG' || (fig.complete && fig.naturalWidth > 0);
  const status = el.querySelector('.musynth-status');
  return {fig: figSrc, audio: src, ready, status: status ? status.innerText : ''};
}"""

JS_AUDIO_DURATION = """async (el) => {
  const a = el.querySelector('audio'); if (!a) return null;
  if (a.readyState < 1) { a.preload = 'metadata'; a.load(); }
  const d = await new Promise(res => {
    if (a.readyState >= 1) return res(a.duration);
    const t = setTimeout(() => res(-1), 15000);
    a.addEventListener('loadedmetadata', () => { clearTimeout(t); res(a.duration); }, {once: true});
    a.addEventListener('error', () => { clearTimeout(t); res(-2); }, {once: true});
  });
  return d;
}"""


def _expected_panels(path: Path) -> int:
    """How many panels the notebook builds: calls of the panel classes in its code cells."""
    import json

    sys.path.insert(0, str(ROOT))
    from musynth_lab.widgets import _PANELS

    names = "|".join(_PANELS)
    code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    code = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("from ", "import ", "#")))
    return len(re.findall(rf"\b(?:{names})(?:\.\w+)?\(", code))


def _png_stats(png: bytes):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def _white_fraction(img) -> float:
    return float((img.min(axis=2) >= WHITE_LEVEL).mean())


def _changed(a, b) -> bool:
    if a.shape != b.shape:
        return True
    return float((np.abs(a - b).max(axis=2) > 16).mean()) > 0.002


def _wait(page, js, arg=None, predicate=lambda s: bool(s), timeout=60.0, step=0.5):
    """Evaluate ``js(arg)`` until ``predicate`` holds; return (last value, whether it held)."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(js, arg) if arg is not None else page.evaluate(js)
        if predicate(state):
            return state, True
        time.sleep(step)
    return state, False


def _controls(panel):
    """(kind, locator) for the panel's enabled sliders and dropdowns, in DOM order.

    A disabled control is one the panel greyed out because it does nothing for the other
    values (top-p while the strategy is greedy); a student cannot move it, nor does the test.
    """
    out = []
    for kind, sel in (("slider", ".widget-slider"), ("dropdown", ".widget-dropdown")):
        for i in range(panel.locator(sel).count()):
            c = panel.locator(sel).nth(i)
            if c.locator("[disabled], .noUi-target[disabled], .ui-slider-disabled, .ui-state-disabled").count() == 0:
                out.append((kind, c))
    return out


SLIDER_MOVE = 0.3  # a slider is moved by about this fraction of its range, as a hand would


def _move(kind, control) -> str:
    if kind == "slider":
        handle = control.locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        aria = [handle.get_attribute(a) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow")]
        if all(a is not None for a in aria):
            # PageUp/PageDown (5 steps each), one key press at a time, as fast as a student taps:
            # every press is a value change, so this also checks that superseded renders are dropped.
            lo, hi, now = map(float, aria)
            up = now + SLIDER_MOVE * (hi - lo) <= hi
            target = now + (SLIDER_MOVE if up else -SLIDER_MOVE) * (hi - lo)
            for _ in range(100):
                handle.press("PageUp" if up else "PageDown")
                now = float(handle.get_attribute("aria-valuenow"))
                if (now >= target) if up else (now <= target):
                    break
        else:
            before = control.locator(".widget-readout").first.inner_text() if control.locator(".widget-readout").count() else ""
            handle.press("End")
            time.sleep(0.3)
            after = control.locator(".widget-readout").first.inner_text() if control.locator(".widget-readout").count() else ""
            if after == before:  # it already sat at its maximum
                handle.press("Home")
        label = control.locator(".widget-label").first.inner_text() if control.locator(".widget-label").count() else "slider"
        return f"slider '{label}'"
    select = control.locator("select").first
    options = select.locator("option").all_inner_texts()
    current = select.input_value()
    values = select.evaluate("s => Array.from(s.options).map(o => o.value)")
    other = next((v for v in values if v != current), None)
    if other is None:
        return ""
    select.select_option(other)
    label = control.locator(".widget-label").first.inner_text() if control.locator(".widget-label").count() else "dropdown"
    return f"dropdown '{label}' -> {options[values.index(other)]}"


def _save(name: str, png: bytes):
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / name).write_bytes(png)


def _check_panel(page, nb: str, i: int, problems: list, shots: list, nb_path: str):
    panel = page.locator(f'[data-test-panel="{i}"]')
    panel.scroll_into_view_if_needed()
    # the figure: the panel's musynth-figure Image, or (older panels) the Output's picture
    fig_sel = ".musynth-figure" if panel.locator(".musynth-figure").count() else ".widget-output img"
    if not panel.locator(fig_sel).count():
        problems.append(f"panel {i}: no figure image")
        return
    controls = [c for c in _controls(panel) if c[1].is_visible()]
    moves = controls[:2] if len(controls) >= 2 else controls * 2
    if len(controls) < 2:
        problems.append(f"panel {i}: only {len(controls)} slider/dropdown controls; moved it twice")
    sound_moves = []
    for k, (kind, control) in enumerate(moves):
        state0 = page.evaluate(JS_PANEL_STATE, panel.element_handle())
        before = panel.locator(fig_sel).first.screenshot()
        what = _move(kind, control)
        if not what:
            problems.append(f"panel {i}: control {k} could not be moved")
            continue
        state, ok = _wait(
            page,
            JS_PANEL_STATE,
            panel.element_handle(),
            lambda s, s0=state0: s["fig"] != s0["fig"] and s["ready"],
            timeout=REDRAW_TIMEOUT_S,
        )
        _wait(page, JS_STATE, nb_path, predicate=lambda s: s and s["status"] == "idle", timeout=REDRAW_TIMEOUT_S)
        time.sleep(0.5)
        state = page.evaluate(JS_PANEL_STATE, panel.element_handle())
        after = panel.locator(fig_sel).first.screenshot()
        tag = f"{nb}_panel{i}_move{k + 1}"
        shots.append((f"{tag}_before.png", before))
        shots.append((f"{tag}_after.png", after))
        a, b = _png_stats(before), _png_stats(after)
        white = _white_fraction(b)
        if not ok:
            problems.append(f"panel {i}, {what}: the figure was not redrawn within {REDRAW_TIMEOUT_S} s")
        if not _changed(a, b):
            problems.append(f"panel {i}, {what}: figure pixels unchanged")
        if white >= MAX_WHITE:
            problems.append(f"panel {i}, {what}: figure is blank ({white:.1%} near-white, {b.shape[1]}x{b.shape[0]} px)")
        if state["status"].strip():
            problems.append(f"panel {i}, {what}: status line says {state['status'].strip()!r}")
        if state0["audio"] is None:
            problems.append(f"panel {i}: no audio element")
        else:
            if state["audio"] != state0["audio"]:
                sound_moves.append(what)
            dur = page.evaluate(JS_AUDIO_DURATION, panel.element_handle())
            if not (dur and dur > 0):
                problems.append(f"panel {i}, {what}: audio duration {dur}")
    # Not every control changes the sound (a feature explorer's n_fft changes only the picture),
    # but at least one of the moves must, and every move must leave a playable sound.
    if moves and not sound_moves:
        problems.append(f"panel {i}: the audio source changed after none of the moves ({len(moves)})")


# The suite runs up to three notebooks at a time, in one server and one browser: while a test
# checks its notebook's panels, the next two selected notebooks' Run All are already going in
# other pages (each kernel has one thread; the machine has two cores, and a notebook that is
# having its panels checked mostly waits). A notebook's own checks are the
# same as when it runs alone; its "run all" time then includes sharing the machine.
# MUSYNTH_BROWSER_PREFETCH=N starts N notebooks ahead (0: one at a time).
PREFETCH = int(os.environ.get("MUSYNTH_BROWSER_PREFETCH", "2"))
_STARTED: dict = {}
# test function -> (front end, its server fixture)
_FRONT_ENDS = {
    "test_notebook_in_browser": ("lab", "lab_server"),
    "test_notebook_in_notebook7": ("notebook7", "notebook7_server"),
}
_SUITE: dict = {}


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_browser(path, lab_server, browser_context, request):
    _check_run(_take(path, "lab", lab_server, browser_context), request, browser_context)


# Jupyter Notebook 7 (one notebook per chapter group would repeat JupyterLab's run: Notebook 7
# is built from JupyterLab's components and the same widget manager). These two hold panels
# of different kinds: a note browser, a feature explorer (spectrogram, sliders and dropdowns).
NOTEBOOK7 = [p for p in NOTEBOOKS if p.stem in ("00_start_here", "03_features")]


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOK7, ids=[p.stem for p in NOTEBOOK7])
def test_notebook_in_notebook7(path, notebook7_server, browser_context, request):
    _check_run(_take(path, "notebook7", notebook7_server, browser_context), request, browser_context)


@pytest.fixture(scope="module", autouse=True)
def _close_unclaimed():
    """Pages started for a notebook whose test then did not run are closed with their kernels."""
    yield
    for run in list(_STARTED.values()):
        run.close()
    _STARTED.clear()
    if "t0" in _SUITE:
        TIMES.append(f"whole browser suite: {time.monotonic() - _SUITE['t0']:.0f} s wall clock ({_SUITE['n']} notebooks)")


class _Run:
    """One notebook opened in its own page and Run All started; checked later by its test."""

    def __init__(self, path: Path, front_end: str, server, context):
        self.path, self.front_end, self.server = path, front_end, server
        self.nb = path.name
        self.console: list[str] = []
        self.error: BaseException | None = None
        _SUITE.setdefault("t0", time.monotonic())
        _SUITE["n"] = _SUITE.get("n", 0) + 1
        self.t0 = time.monotonic()
        self.page = page = context.new_page()
        page.on("console", lambda m: self.console.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

        def offline(route):  # the badges in the markdown point off this machine
            route.fulfill(status=200, content_type="image/svg+xml", body="<svg xmlns='http://www.w3.org/2000/svg'/>")

        page.route(lambda url: not url.startswith(server.base), offline)
        # each JupyterLab page gets its own workspace, so two open at once do not share a layout
        if front_end == "lab":
            url_path, flags = f"/lab/workspaces/{path.stem}/tree/{path.name}", ("reset",)
        else:
            url_path, flags = f"/notebooks/{path.name}", ()
        try:
            page.goto(server.url(url_path, *flags), wait_until="domcontentloaded")
            idle = lambda s: s and s["ready"] and s["status"] == "idle"  # noqa: E731
            state, ok = _wait(page, JS_STATE, self.nb, predicate=idle, timeout=120)
            assert ok, f"{self.nb}: the notebook's kernel did not become idle: {state}"
            assert state["dialog"] == 0, f"{self.nb}: a dialog opened (kernel selection?)"
            assert state["kernel"] == "python3", f"{self.nb}: kernel {state['kernel']!r}, expected python3"
            page.evaluate(
                """(path) => { const app = window.jupyterapp;
                for (const w of app.shell.widgets('main')) if (w.context && w.context.path === path) app.shell.activateById(w.id);
                app.commands.execute('notebook:run-all-cells'); }""",
                self.nb,
            )
        except Exception as e:  # raised again by the notebook's own test
            self.error = e

    def close(self):
        try:
            self.page.evaluate("""async () => { for (const w of window.jupyterapp.shell.widgets('main'))
                               if (w.sessionContext && w.sessionContext.session) await w.sessionContext.shutdown(); }""")
        except Exception:
            pass
        try:
            self.page.close()
        except Exception:
            pass


def _take(path, front_end, server, context) -> _Run:
    return _STARTED.pop((path.stem, front_end), None) or _Run(path, front_end, server, context)


def _prefetch(request, context):
    """Start the next PREFETCH selected browser tests' notebooks, so that their Run All overlaps this one's checks."""
    items = request.session.items
    here = items.index(request.node)
    ahead = 0
    for item in items[here + 1 :]:
        if ahead >= PREFETCH:
            return
        name = getattr(item, "originalname", "")
        if name not in _FRONT_ENDS or not hasattr(item, "callspec"):
            continue
        path = item.callspec.params["path"]
        front_end, fixture = _FRONT_ENDS[name]
        ahead += 1
        if (path.stem, front_end) in _STARTED:
            continue
        try:
            server = request.getfixturevalue(fixture)
        except BaseException:  # that front end is not installed: its own test says so
            return
        _STARTED[(path.stem, front_end)] = _Run(path, front_end, server, context)


def _check_run(run: _Run, request, context):
    path, nb, page, front_end, lab_server = run.path, run.nb, run.page, run.front_end, run.server
    problems: list[str] = []
    shots: list = []
    t0 = run.t0
    try:
        if run.error is not None:
            raise run.error
        time.sleep(2)
        _prefetch(request, context)
        state, ok = _wait(
            page,
            JS_STATE,
            nb,
            timeout=RUN_TIMEOUT_S,
            step=1.0,
            predicate=lambda s: (
                s and (s["errors"] or (s["status"] == "idle" and all(c["count"] is not None for c in s["cells"])))
            ),
        )
        t_run = time.monotonic() - t0
        assert ok, f"{nb}: Run All did not finish in {RUN_TIMEOUT_S} s: {state}"
        problems += [f"error output: {e}" for e in state["errors"]]
        # widgets finish rendering after the kernel is idle
        _, ok = _wait(page, "() => !document.body.innerText.includes('Loading widget...')", timeout=30)
        if not ok:
            problems.append("a widget is stuck on 'Loading widget...'")
        text = page.evaluate("() => document.body.innerText")
        if "Error displaying widget" in text:
            problems.append("'Error displaying widget' in the page")
        stderr = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.innerText)""")
        problems += [f"stderr output: {s[:300]}" for s in stderr if "Traceback" in s or "Error" in s]
        marked = page.evaluate(JS_MARK_PANELS)
        expected = _expected_panels(path)
        if marked["n"] != expected:
            problems.append(f"found {marked['n']} panels in the page (legacy={marked['legacy']}), the notebook builds {expected}")
        for i in range(marked["n"]):
            _check_panel(page, path.stem if front_end == "lab" else f"{path.stem}_{front_end}", i, problems, shots, nb)
        if path.stem == NOTEBOOKS[0].stem and front_end == "lab":
            problems += _save_round_trip(page, lab_server, path)
        benign = BENIGN_CONSOLE + (BENIGN_NOTEBOOK7 if front_end == "notebook7" else [])
        bad = [c for c in run.console if not any(s in c for s, _ in benign)]
        problems += bad
        TIMES.append(
            f"{nb} [{front_end}]: run all {t_run:.0f} s, total with {marked['n']} panel(s) "
            f"{time.monotonic() - t0:.0f} s{'' if not problems else ' (FAILED)'}"
        )
    except Exception:
        TIMES.append(f"{nb} [{front_end}]: FAILED after {time.monotonic() - t0:.0f} s")
        try:
            shots.append((f"{path.stem}_page.png", page.screenshot(full_page=False)))
        except Exception:
            pass
        for name, png in shots:
            _save(name, png)
        raise
    finally:
        run.close()
    if problems or os.environ.get("MUSYNTH_BROWSER_SHOTS") == "always":
        for name, png in shots:
            _save(name, png)
    assert not problems, f"{nb}:\n  " + "\n  ".join(problems) + (f"\n  screenshots in {SHOTS}" if shots else "")


def _save_round_trip(page, lab, path: Path) -> list[str]:
    """Save the run notebook from the lab; `make strip` of the saved file gives the committed one."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import strip_notebooks

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    saved = lab.root / path.name
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and saved.read_bytes() == path.read_bytes():
        time.sleep(0.5)
    if saved.read_bytes() == path.read_bytes():
        return ["saving from the lab did not write the notebook"]
    if '"outputs": []' in saved.read_text() and '"execution_count": 1' not in saved.read_text():
        return ["the saved notebook holds no outputs: the save did not capture the run"]
    if strip_notebooks.normalised_text(str(saved)) != path.read_text(encoding="utf-8"):
        return ["saved in the lab then stripped, the notebook differs from the committed file"]
    return []
