"""Fixtures of the browser suite: one JupyterLab server and one headless Chromium per session.

The server runs from this interpreter's environment (the kit's venv) on 127.0.0.1, on a free
port, with a random token, over a temporary copy of notebooks/ (nothing is written into the
git tree), and is stopped by its process id when the session ends. Chromium is the system
browser (Debian's ``chromium``) driven by Playwright; Playwright's own browser download is
not needed. Without Playwright or a Chromium the suite is skipped with the reason, unless
MUSYNTH_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMES: list[str] = []
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# JupyterLab user settings for the test server: every cell rendered (no windowing, so the
# DOM checks see all outputs) and no news/update prompts.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if TIMES:
        terminalreporter.section("browser suite: per-notebook times")
        for line in TIMES:
            terminalreporter.write_line(line)


def _unavailable(reason: str):
    if os.environ.get("MUSYNTH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser suite required (MUSYNTH_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser suite skipped: {reason}")


def chromium_path() -> str | None:
    for cand in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if cand and shutil.which(cand):
            return shutil.which(cand)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, base: str, token: str, root: Path):
        self.base, self.token, self.root = base, token, root

    def url(self, path: str, *flags: str) -> str:
        return f"{self.base}{path}?" + "&".join([*flags, f"token={self.token}"])

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None


@pytest.fixture(scope="session")
def lab_server():
    """JupyterLab 4 on 127.0.0.1 with a token, over a temporary copy of notebooks/."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        _unavailable("jupyterlab is not installed in this environment")
    yield from _server("lab")


@pytest.fixture(scope="session")
def notebook7_server():
    """Jupyter Notebook 7 (the classic-looking front end, built on JupyterLab's components)."""
    try:
        import notebook
    except ImportError:
        _unavailable("notebook (Jupyter Notebook 7) is not installed in this environment")
    if int(notebook.__version__.split(".")[0]) < 7:
        _unavailable(f"notebook {notebook.__version__} is not Jupyter Notebook 7")
    yield from _server("notebook")


def _server(app: str):
    tmp = Path(tempfile.mkdtemp(prefix="musynth-browser-"))
    root = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    settings = tmp / "settings"
    for rel, value in (LAB_SETTINGS if app == "lab" else {}).items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel uses the inline backend, as a student's does
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab" if app == "lab" else "notebook",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if app == "lab":
        cmd += [
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None",
        ]
    else:
        cmd += ["--JupyterNotebookApp.expose_app_in_browser=True"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    lab = Lab(f"http://127.0.0.1:{port}", token, root)
    deadline = time.monotonic() + 90
    while True:
        try:
            lab.api("/api/status")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Jupyter {app} did not start: {(tmp / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
    lab.log = tmp / "server.log"
    try:
        yield lab
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    exe = chromium_path()
    if exe is None:
        _unavailable("no Chromium found (apt-get install -y chromium, or set CHROMIUM=/path)")
    profile = tempfile.mkdtemp(prefix="musynth-chromium-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000}
        )
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)
