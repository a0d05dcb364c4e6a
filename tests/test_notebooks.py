"""Execute every notebook in notebooks/ headless, within its time and memory budget.

Budgets (CHAPTERS.md / README): each notebook runs top to bottom in at most 180 s here and
at most 1.5 GB of resident memory (Binder gives 1 CPU and 2 GB); 00_start_here in 120 s.
The kernel runs with one math thread (OMP/MKL/OpenBLAS), as on Binder's single CPU; this
also keeps the timing honest on a shared machine, where oversubscribed thread pools of
small models slow down many times over.
Outputs must be stripped in the committed files.
"""

import json
import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LIMIT_S = {"00_start_here": 120}
DEFAULT_LIMIT_S = 180
MEMORY_LIMIT_MB = 1536
# The longest single cell takes ~25 s here; nbclient's per-cell timeout is a hang detector,
# the notebook's whole budget is asserted separately below.
CELL_TIMEOUT_S = 90
# nbclient waits for each reply with one long zmq.asyncio poll. After cells that drive
# ipywidgets the poll's wake-up is sometimes missed although the reply has arrived; the poll
# then sleeps out the whole per-cell timeout and only its final check finds the message
# (jupyter/nbclient#312, open). Polling in short steps bounds a missed wake-up to one step.
POLL_STEP_S = 0.5


def _poll_in_steps(channel):
    """Make ``channel.get_msg(timeout)`` poll in ``POLL_STEP_S`` steps up to the same deadline."""
    from queue import Empty

    get_msg = channel.get_msg

    async def stepped(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_STEP_S if deadline is None else min(POLL_STEP_S, deadline - time.monotonic())
            try:
                return await get_msg(timeout=max(0.0, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = stepped


def _client_class():
    from nbclient import NotebookClient

    class SteppedPollClient(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            _poll_in_steps(kc.shell_channel)
            _poll_in_steps(kc.iopub_channel)
            return kc

    return SteppedPollClient


# The kernel's own peak resident memory. On Linux, VmHWM belongs to the process's current
# address space; ru_maxrss is not usable there: it survives fork + exec, so a kernel started
# by a big pytest process would report the parent's peak.
MEMORY_PROBE = """
import resource, sys
try:
    with open("/proc/self/status") as _f:
        _peak_mb = next(int(l.split()[1]) for l in _f if l.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    _peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _peak_mb = _peak_kb / 1024 if sys.platform != "darwin" else _peak_kb / 2**20
print("__PEAK_MB__", _peak_mb)
"""


def test_there_are_notebooks():
    assert any(p.stem == "00_start_here" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stripped(path):
    nb = json.loads(path.read_text())
    with_outputs = [i for i, c in enumerate(nb["cells"]) if c.get("outputs")]
    assert not with_outputs, f"{path.name}: cells {with_outputs} have stored outputs; run `make strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_opens_as_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    first_md = next(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Colab" in first_md and "Binder" in first_md, "launch badges atop the notebook"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), "the source's Chinese terms beside the English"
    assert "Exercise" in text and "Summary" in text
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "check_" in code, "exercises verified by musynth_lab.exercises.check_*"
    assert "google.colab" in nb.cells[1].source if nb.cells[1].cell_type == "code" else False, (
        "the first code cell installs the kit on Colab"
    )


# The student's turn: `answer = ...` or a function body `...` (implement-it exercises).
PLACEHOLDER = re.compile(r"(=\s*\.\.\.|^\s*\.\.\.)(\s|$)", re.M)
CHECK_LINE = re.compile(r"^\s*ex\w*\.(check_\w+)\(")


def exercise_cells(nb):
    """``[(index, check name)]`` of the exercise cells: code cells whose last line calls ``ex*.check_*``."""
    out = []
    for i, c in enumerate(nb.cells):
        lines = [ln for ln in c.source.splitlines() if ln.strip()] if c.cell_type == "code" else []
        m = CHECK_LINE.match(lines[-1]) if lines else None
        if m:
            out.append((i, m.group(1)))
    return out


def _with_solved_copies(nb):
    """After each exercise cell insert a copy with the registered solution code in place of the answer lines.

    Returns ``[(exercise id, original cell, solved cell)]``. Fails when an exercise cell is not
    left for the student (no ``= ...`` placeholder) or its check is not registered.
    """
    from musynth_lab.exercises._core import BY_CHECK

    found = []
    for i, check in reversed(exercise_cells(nb)):
        assert check in BY_CHECK, f"cell {i}: {check} is not registered with exercise(...) (hint, solution, code)"
        ex = BY_CHECK[check]
        cell = nb.cells[i]
        lines = cell.source.splitlines()
        assert PLACEHOLDER.search(cell.source), f"exercise {ex.id} (cell {i}) ships its answer: expected `answer = ...`"
        head = []
        for ln in lines:  # the leading comment lines (the question) stay
            if not ln.lstrip().startswith(("#", "from ", "import ")):
                break
            head.append(ln)
        tail = [ln for ln in lines if ln.strip()][-1]
        solved = nbformat.v4.new_code_cell("\n".join(head + [ex.code, tail]))
        nb.cells.insert(i + 1, solved)
        found.append((ex.id, cell, solved))
    return found[::-1]


def _shown(cell) -> str:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "execute_result":
            return o["data"].get("text/plain", "")
    return ""


def test_exercise_cells_leave_the_answer_to_the_student():
    """Every exercise cell has the `answer = ...` placeholder and a registered check (fast; no kernel)."""
    from musynth_lab.exercises._core import BY_CHECK

    problems = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, check in exercise_cells(nb):
            if check not in BY_CHECK:
                problems.append(f"{path.stem} cell {i}: {check} not registered")
            elif not PLACEHOLDER.search(nb.cells[i].source):
                problems.append(f"{path.stem} cell {i}: exercise {BY_CHECK[check].id} ships its answer")
    assert not problems, "\n".join(problems)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_headless(path, tmp_path, monkeypatch):
    NotebookClient = _client_class()

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(var, "1")  # the kernel inherits the environment

    nb = nbformat.read(path, as_version=4)
    exercises = _with_solved_copies(nb)
    nb.cells.append(nbformat.v4.new_code_cell(MEMORY_PROBE))
    limit = LIMIT_S.get(path.stem, DEFAULT_LIMIT_S)
    from jupyter_client.kernelspec import find_kernel_specs

    # The Makefile registers the venv's own kernel as "musynth-lab"; a user-level "python3"
    # kernel could point at another interpreter.
    kernel = "musynth-lab" if "musynth-lab" in find_kernel_specs() else "python3"
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel, resources={"metadata": {"path": str(tmp_path)}})
    t0 = time.perf_counter()
    client.execute()  # the kernel inherits MPLBACKEND=Agg from conftest
    seconds = time.perf_counter() - t0
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    peak_mb = float(out.split("__PEAK_MB__")[1].split()[0])
    print(f"{path.name}: {seconds:.1f} s, peak {peak_mb:.0f} MB, {len(exercises)} exercises")
    for ex_id, cell, solved in exercises:
        assert _shown(cell).startswith("…"), (
            f"exercise {ex_id}: as committed it should report 'not answered yet', got {_shown(cell)!r}"
        )
        assert _shown(solved).startswith("✓"), f"exercise {ex_id}: its registered solution does not pass: {_shown(solved)!r}"
    assert seconds <= limit, f"{path.name} took {seconds:.0f} s, budget {limit} s"
    assert peak_mb <= MEMORY_LIMIT_MB, f"{path.name} peaked at {peak_mb:.0f} MB, budget {MEMORY_LIMIT_MB} MB"
