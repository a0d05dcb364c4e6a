"""Committed notebooks are normalised: python3 kernelspec, no outputs, no run-time metadata.

The kernelspec names the ``python3`` kernel every ipykernel install, Colab and Binder have,
so opening a notebook shows no kernel-selection dialog; `make strip` restores this state
after a notebook was run and saved in a front end (tests/browser checks that round trip).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
import strip_notebooks  # noqa: E402


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_normalised(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"] == {"kernelspec": strip_notebooks.KERNELSPEC, "language_info": {"name": "python"}}
    assert path.read_text(encoding="utf-8") == strip_notebooks.normalised_text(str(path)), (
        f"{path.name} is not normalised; run `make strip`"
    )


def test_strip_removes_what_a_front_end_adds(tmp_path):
    """A notebook as JupyterLab saves it after a run comes back byte for byte."""
    import nbformat

    src = NOTEBOOKS[0]
    nb = nbformat.read(src, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9", "mimetype": "text/x-python"}
    nb.metadata["kernelspec"] = {"name": "musynth-lab", "display_name": "Python (musynth-lab)", "language": "python"}
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    code.execution_count = 3
    code.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    code.metadata["trusted"] = True
    dirty = tmp_path / src.name
    nbformat.write(nb, dirty)
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "strip_notebooks.py"), "--check", str(dirty)], capture_output=True, text=True
    )
    assert out.returncode == 1 and "not normalised" in out.stdout
    assert strip_notebooks.strip(str(dirty)) is True
    assert dirty.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    assert strip_notebooks.strip(str(dirty)) is False  # idempotent
