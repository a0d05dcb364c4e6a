"""scripts/install_torch.sh picks a CPU torch on a machine without an NVIDIA GPU.

What is checked, honestly:
- for every pyenv Python 3.10-3.13 found here, with no ``nvidia-smi`` on PATH: when the CPU
  wheel index answers (a local stand-in server), the script's pip command uses that index
  (``--index-url``) and nothing else; when it does not answer, the script falls back to the
  local CPU wheel ``torch==2.13.0+cpu`` first;
- where that local CPU wheel is findable by pip (Python 3.11 here, /opt/wheels), a
  ``pip install --dry-run --report`` of the fallback selects no ``nvidia-*`` package.
Not checked here: a dry run against download.pytorch.org itself, which this machine cannot
reach; the CPU index serves only ``+cpu`` wheels, without nvidia dependencies.
"""

import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install_torch.sh"
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
PYTHONS = {v: next(iter(sorted(PYENV.glob(f"{v}.*/bin/python"))), None) for v in ("3.10", "3.11", "3.12", "3.13")}


@pytest.fixture(scope="module")
def fake_cpu_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("cpu-index")
    (root / "torch").mkdir()
    (root / "torch" / "index.html").write_text("<html></html>")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _dry(py, index, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)  # PATH without nvidia-smi
    env = {"PATH": str(empty), "DRY_RUN": "1", "TORCH_CPU_INDEX": index, "HOME": str(tmp_path)}
    out = subprocess.run(["/bin/sh", str(SCRIPT), str(py)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [ln for ln in out.stdout.splitlines() if " -m pip install" in ln]


@pytest.mark.parametrize("version", list(PYTHONS))
def test_cpu_index_first_then_local_cpu_wheel(version, fake_cpu_index, tmp_path):
    py = PYTHONS[version]
    if py is None:
        pytest.skip(f"no pyenv Python {version} here")
    cmds = _dry(py, fake_cpu_index, tmp_path)
    assert len(cmds) == 1 and f"--index-url {fake_cpu_index}" in cmds[0], cmds
    cmds = _dry(py, "http://127.0.0.1:9", tmp_path)  # nothing listens there: unreachable
    assert "torch==2.13.0+cpu" in cmds[0] and "--index-url" not in cmds[0], cmds


def test_local_fallback_selects_no_nvidia_packages(tmp_path):
    py = PYTHONS["3.11"]
    if py is None or not any(Path("/opt/wheels").glob("torch-*+cpu-cp311-*.whl")):
        pytest.skip("needs pyenv Python 3.11 and a local torch +cpu wheel in /opt/wheels")
    report = tmp_path / "report.json"
    out = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed", "--report", str(report), "torch==2.13.0+cpu"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    names = [i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]]
    assert "torch" in names
    assert not [n for n in names if n.startswith("nvidia")], names
    assert not [n for n in names if n == "triton"], names


def test_script_is_posix_sh():
    if shutil.which("dash") is None:
        pytest.skip("no dash")
    assert subprocess.run(["dash", "-n", str(SCRIPT)]).returncode == 0
