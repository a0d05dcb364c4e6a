"""The kit's set-up promises: dependencies, the two commands, CI, Binder, Colab cells."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_runtime_dependencies_and_extras():
    meta = _pyproject()["project"]
    names = {re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower() for d in meta["dependencies"]}
    for need in (
        "numpy",
        "scipy",
        "torch",
        "librosa",
        "soundfile",
        "matplotlib",
        "ipywidgets",
        "hmmlearn",
        "sklearn-crfsuite",
        "tqdm",
    ):
        assert need in names, need
    ipyw = next(d for d in meta["dependencies"] if d.startswith("ipywidgets"))
    assert ">=7.7" in ipyw and "<9" in ipyw  # Colab still runs ipywidgets 7.7.1
    # loose lower bounds only: no pins that would make pip replace Colab's torch/numpy/librosa
    for d in meta["dependencies"]:
        assert "==" not in d and "<" not in d.replace("<9", ""), d
    assert set(meta["optional-dependencies"]) >= {"lab", "test", "data"}
    assert any(d.startswith("music21") for d in meta["optional-dependencies"]["data"])
    assert meta["requires-python"] == ">=3.10,<3.14"


def test_wheel_carries_the_data():
    hatch = _pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert hatch["force-include"]["data"] == "musynth_lab/_data"


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["make lab", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_makefile_never_pulls_cuda_without_a_gpu():
    script = (ROOT / "scripts" / "install_torch.sh").read_text()
    assert "nvidia-smi" in script and "torch==2.13.0" in script and "whl/cpu" in script
    make = (ROOT / "Makefile").read_text()
    assert "install_torch.sh" in make.split("pip install -q -e")[0]  # torch first, then the kit


def test_binder_configuration():
    req = (ROOT / "binder" / "requirements.txt").read_text()
    assert "-e ." not in req and "whl/cpu" in req
    assert (ROOT / "binder" / "runtime.txt").read_text().startswith("python-3.")
    assert "pip install" in (ROOT / "binder" / "postBuild").read_text()
    # postBuild installs the kit with --no-deps: every core dependency must be in requirements.txt
    names = {
        re.split(r"[<>=!~\[ ]", ln.strip())[0].lower() for ln in req.splitlines() if ln.strip() and not ln.startswith(("#", "-"))
    }
    core = {re.split(r"[<>=!~\[ ]", d)[0].lower() for d in _pyproject()["project"]["dependencies"]}
    assert core <= names, f"binder/requirements.txt lacks core dependencies: {sorted(core - names)}"


def test_the_version_is_defined_once():
    import musynth_lab

    project = _pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert _pyproject()["tool"]["hatch"]["version"]["path"] == "musynth_lab/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", musynth_lab.__version__)


def test_every_notebook_starts_with_the_same_setup_cell():
    import nbformat

    cells = []
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert 'if "google.colab" in sys.modules' in first_code.source, nb_path.name
        assert "get_device()" in first_code.source, nb_path.name
        cells.append(first_code.source)
    assert len(set(cells)) == 1, "the set-up cell differs between notebooks"
