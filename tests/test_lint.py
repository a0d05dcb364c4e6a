"""ruff (configured in pyproject.toml: pyflakes, pycodestyle, bugbear) finds nothing in the kit's code."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff():
    exe = Path(sys.executable).with_name("ruff")
    return str(exe) if exe.exists() else shutil.which("ruff")


def test_ruff_is_clean():
    ruff = _ruff()
    assert ruff, "ruff is part of the [test] extra: pip install -e '.[test]'"
    out = subprocess.run(
        [ruff, "check", "--no-cache", "--output-format", "concise", "musynth_lab", "tests", "scripts", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format_is_clean():
    """The code stays as `ruff format` writes it (formatted once, issue 14); run `ruff format` on a file you edit."""
    ruff = _ruff()
    assert ruff, "ruff is part of the [test] extra: pip install -e '.[test]'"
    out = subprocess.run(
        [ruff, "format", "--check", "--no-cache", "musynth_lab", "tests", "scripts", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
