"""Every panel under ipywidgets 7.7.1 (Colab's widget version), in a real browser.

Used by scripts/launch_colab.sh (``make test-launch``). JupyterLab 4 cannot host ipywidgets 7,
and Colab's own front end is not available here, so this drives the widget front end that
ipywidgets 7.7.1 ships with, the classic notebook's widgetsnbextension 3.6, in headless
Chromium:

    python scripts/launch_widgets7.py --python ENV/bin/python --dir RUN_DIR [--report out.json]

ENV is the Colab-like environment (ipywidgets 7.7.1, the kit installed); ``notebook<7`` is
installed there by the caller. A classic notebook server from ENV is started on 127.0.0.1
with a random token over RUN_DIR and stopped by its process id at the end. For each notebook:
Run All must finish with no error output and no "Error displaying widget"; for each panel
(class ``musynth-panel``) two controls are moved from the keyboard, and after each move the
figure's pixels must change and not be mostly white, the audio must stay playable and must
change after at least one move, and the status line must stay empty. Console errors fail the
notebook. This runs from the kit's own venv (Playwright, numpy, Pillow), reusing the browser
suite's checks (tests/browser).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import test_notebooks_in_browser as tb  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402

JS_STATE7 = """() => {
  const nb = window.Jupyter && window.Jupyter.notebook;
  if (!nb || !nb.kernel) return null;
  const cells = [], errors = [];
  nb.get_cells().forEach((c, i) => {
    if (c.cell_type !== 'code') return;
    for (const o of c.output_area.outputs) if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    cells.push({i, count: c.input_prompt_number === undefined ? null : c.input_prompt_number});
  });
  const icon = document.querySelector('#kernel_indicator_icon');
  const idle = !!(icon && icon.classList.contains('kernel_idle_icon'));
  return {kernel: nb.kernel.name, idle, cells, errors, dialog: document.querySelectorAll('.modal.in').length};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(page, js, predicate, timeout, step=0.5, arg=None):
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(js) if arg is None else page.evaluate(js, arg)
        if predicate(state):
            return state, True
        time.sleep(step)
    return state, False


def _start_server(python: str, run_dir: Path):
    port, token = _free_port(), secrets.token_hex(16)
    log = open(run_dir / "notebook-server.log", "wb")
    cmd = [
        python,
        "-m",
        "notebook",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--NotebookApp.token={token}",
        f"--notebook-dir={run_dir}",
        "--NotebookApp.open_browser=False",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="module://matplotlib_inline.backend_inline")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=run_dir, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5).read()
            return proc, base, token, log
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(
                    f"classic notebook did not start: {(run_dir / 'notebook-server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.5)


def run_notebook(ctx, base: str, token: str, path: Path, shots_dir: Path) -> dict:
    nb = path.name
    console: list[str] = []
    page = ctx.new_page()
    page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.route(
        lambda url: not url.startswith(base),
        lambda r: r.fulfill(status=200, content_type="image/svg+xml", body="<svg xmlns='http://www.w3.org/2000/svg'/>"),
    )
    problems: list[str] = []
    shots: list = []
    t0 = time.monotonic()
    try:
        page.goto(f"{base}/notebooks/{nb}?token={token}", wait_until="domcontentloaded")
        state, ok = _wait(page, JS_STATE7, lambda s: s and s["idle"], timeout=120)
        if not ok:
            return {"notebook": nb, "ok": False, "problems": [f"kernel not idle: {state}"], "seconds": time.monotonic() - t0}
        if state["dialog"]:
            problems.append("a dialog opened (kernel selection?)")
        page.evaluate("() => Jupyter.notebook.execute_all_cells()")
        time.sleep(2)
        state, ok = _wait(
            page,
            JS_STATE7,
            timeout=tb.RUN_TIMEOUT_S,
            step=1.0,
            predicate=lambda s: s and (s["errors"] or (s["idle"] and all(isinstance(c["count"], int) for c in s["cells"]))),
        )
        t_run = time.monotonic() - t0
        if not ok:
            problems.append(f"Run All did not finish in {tb.RUN_TIMEOUT_S} s")
        problems += [f"error output: {e}" for e in (state or {}).get("errors", [])]
        _, ok = _wait(page, "() => !document.body.innerText.includes('Loading widget')", lambda s: s, timeout=30)
        if not ok:
            problems.append("a widget is stuck on 'Loading widget'")
        if "Error displaying widget" in page.evaluate("() => document.body.innerText"):
            problems.append("'Error displaying widget' in the page")
        expected = tb._expected_panels(path)
        # the classic notebook renders widget views a little after the kernel goes idle
        _wait(page, "() => document.querySelectorAll('.musynth-panel').length", lambda n, e=expected: n >= e, timeout=60)
        marked = page.evaluate(tb.JS_MARK_PANELS)
        if marked["n"] != expected:
            problems.append(f"found {marked['n']} panels (legacy={marked['legacy']}), the notebook builds {expected}")
        for i in range(marked["n"]):
            _check_panel7(page, path.stem, i, problems, shots)
        # MathJax 2 in the classic notebook probes fonts with url('about:blank') (its MathJax_Blank
        # face) and asks for .otf fonts that notebook 6.5 does not ship (it falls back to woff):
        # equations render; these errors are the notebook's, tolerated only when every failed
        # request is one of them.
        # ipywidgets 7's Image and Audio views revoke the previous frame's object URL when a new
        # value arrives, which aborts a fetch of it still in flight ("failed blob:..."): superseded.
        mathjax = all(
            f.endswith("about:blank") or "/static/components/MathJax/fonts/" in f or f.startswith("failed blob:") for f in failed
        )
        for c in console:
            if mathjax and ("Access to font at 'about:blank'" in c or "Failed to load resource" in c):
                continue
            problems.append(c)
        if not mathjax:
            problems += [f"request: {f}" for f in failed]
        return {
            "notebook": nb,
            "ok": not problems,
            "problems": problems,
            "panels": marked["n"],
            "run_all_s": round(t_run, 1),
            "seconds": round(time.monotonic() - t0, 1),
        }
    finally:
        if problems or os.environ.get("MUSYNTH_BROWSER_SHOTS") == "always":
            shots_dir.mkdir(parents=True, exist_ok=True)
            for name, png in shots:
                (shots_dir / name).write_bytes(png)
        try:
            page.evaluate("() => Jupyter.notebook.kernel.kill()")
        except Exception:
            pass
        page.close()


def _idle(page) -> bool:
    return bool(page.evaluate(JS_STATE7)["idle"])


def _check_panel7(page, stem: str, i: int, problems: list, shots: list):
    """The browser suite's panel check (tests/browser), with the classic notebook's idle test."""
    panel = page.locator(f'[data-test-panel="{i}"]')
    panel.scroll_into_view_if_needed()
    fig_sel = ".musynth-figure"
    if not panel.locator(fig_sel).count():
        problems.append(f"panel {i}: no figure image")
        return
    controls = [c for c in tb._controls(panel) if c[1].is_visible()]
    moves = controls[:2] if len(controls) >= 2 else controls * 2
    sound_moves = []
    for k, (kind, control) in enumerate(moves):
        state0 = page.evaluate(tb.JS_PANEL_STATE, panel.element_handle())
        before = panel.locator(fig_sel).first.screenshot()
        what = tb._move(kind, control)
        if not what:
            problems.append(f"panel {i}: control {k} could not be moved")
            continue
        state, ok = _wait(
            page,
            tb.JS_PANEL_STATE,
            lambda s, s0=state0: s["fig"] != s0["fig"] and s["ready"],
            timeout=tb.REDRAW_TIMEOUT_S,
            arg=panel.element_handle(),
        )
        _wait(page, JS_STATE7, lambda s: s and s["idle"], timeout=tb.REDRAW_TIMEOUT_S)
        time.sleep(0.5)
        state = page.evaluate(tb.JS_PANEL_STATE, panel.element_handle())
        after = panel.locator(fig_sel).first.screenshot()
        tag = f"{stem}_w7_panel{i}_move{k + 1}"
        shots += [(f"{tag}_before.png", before), (f"{tag}_after.png", after)]
        a, b = tb._png_stats(before), tb._png_stats(after)
        white = tb._white_fraction(b)
        if not ok:
            problems.append(f"panel {i}, {what}: the figure was not redrawn within {tb.REDRAW_TIMEOUT_S} s")
        if not tb._changed(a, b):
            problems.append(f"panel {i}, {what}: figure pixels unchanged")
        if white >= tb.MAX_WHITE:
            problems.append(f"panel {i}, {what}: figure is blank ({white:.1%} near-white)")
        if state["status"].strip():
            problems.append(f"panel {i}, {what}: status line says {state['status'].strip()!r}")
        if state0["audio"] is None:
            problems.append(f"panel {i}: no audio element")
        else:
            if state["audio"] != state0["audio"]:
                sound_moves.append(what)
            dur = page.evaluate(tb.JS_AUDIO_DURATION, panel.element_handle())
            if not (dur and dur > 0):
                problems.append(f"panel {i}, {what}: audio duration {dur}")
    if moves and not sound_moves:
        problems.append(f"panel {i}: the audio source changed after none of the moves ({len(moves)})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--report", type=Path, default=None)
    ap.add_argument("--only", default="", help="comma-separated notebook stems (default: all)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        print("widgets-7 browser run: no Chromium (apt-get install -y chromium); not run")
        return 1
    paths = sorted(args.dir.glob("*.ipynb"))
    if args.only:
        keep = set(args.only.split(","))
        paths = [p for p in paths if p.stem in keep]
    version = subprocess.run(
        [args.python, "-c", "import ipywidgets; print(ipywidgets.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"widgets-7 browser run: ipywidgets {version}, classic notebook, {len(paths)} notebooks")
    proc, base, token, log = _start_server(args.python, args.dir)
    results = []
    profile = tempfile.mkdtemp(prefix="musynth-chromium7-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000}
            )
            try:
                for path in paths:
                    r = run_notebook(ctx, base, token, path, ROOT / "build" / "launch" / "widgets7")
                    results.append(r)
                    print(
                        f"  {r['notebook']}: {'ok' if r['ok'] else 'FAILED'}, {r.get('panels', 0)} panel(s), "
                        f"{r['seconds']:.0f} s" + "".join(f"\n    {q}" for q in r["problems"])
                    )
            finally:
                ctx.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"ipywidgets": version, "results": results}, indent=1))
    failed = [r["notebook"] for r in results if not r["ok"]]
    print(f"widgets-7 browser run: {len(results) - len(failed)} of {len(results)} notebooks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
