"""Execute every notebook of a folder on another environment's kernel; time and peak memory.

Used by scripts/launch_colab.sh and scripts/launch_binder.sh (``make test-launch``).

    python scripts/launch_run.py --python ENV/bin/python --dir RUN_DIR [--colab REPO] [--report out.json]

The kernel is ENV's own ipykernel (a temporary kernelspec); nbclient runs here. ``--colab
REPO`` simulates Colab: an IPython startup file imports a stand-in ``google.colab`` module
(so the notebooks' set-up cell takes its Colab branch) and the set-up cell's install source
``git+https://github.com/musynth-lab/musynth-lab`` is replaced by the local repository REPO.
The versions of torch, numpy and librosa in ENV are compared before and after: pip must
leave them alone. Each notebook's peak resident memory is the kernel's VmHWM.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

GIT_SOURCE = "git+https://github.com/musynth-lab/musynth-lab"
PROBE = """
with open("/proc/self/status") as _f:
    print("__PEAK_MB__", next(int(l.split()[1]) for l in _f if l.startswith("VmHWM:")) / 1024)
"""
WATCHED = ("torch", "numpy", "librosa", "ipywidgets")
LIMIT_MB = 1536


def versions(py: str) -> dict:
    code = (
        "import importlib.metadata as m, json; out = {}\n"
        f"for n in {WATCHED!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))"
    )
    return json.loads(subprocess.run([py, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--colab", type=Path, default=None)
    ap.add_argument("--report", type=Path, default=None)
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="musynth-launch-"))
    kdir = tmp / "jupyter" / "kernels" / "launch"
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [args.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "launch",
                "language": "python",
            }
        )
    )
    os.environ["JUPYTER_PATH"] = str(tmp / "jupyter")
    for var in ("PYTHONPATH", "MPLBACKEND"):
        os.environ.pop(var, None)  # the kernel sees only its own environment
    os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if args.colab:
        fake = tmp / "fake"
        (fake / "google" / "colab").mkdir(parents=True)
        (fake / "google" / "__init__.py").write_text("")
        (fake / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab."""\n')
        startup = tmp / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-colab.py").write_text(f"import sys\nsys.path.insert(0, {str(fake)!r})\nimport google.colab\n")
        os.environ["IPYTHONDIR"] = str(tmp / "ipython")

    before = versions(args.python)
    rows, failed = [], []
    for path in sorted(args.dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if args.colab:
            for cell in nb.cells:
                if cell.cell_type == "code" and GIT_SOURCE in cell.source:
                    cell.source = cell.source.replace(GIT_SOURCE, args.colab.resolve().as_uri())
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="launch", resources={"metadata": {"path": str(args.dir)}})
        t0 = time.perf_counter()
        try:
            client.execute()
            err = None
        except Exception as e:  # a failing cell: report it and go on with the next notebook
            err = f"{type(e).__name__}: {str(e)[-600:]}"
        seconds = time.perf_counter() - t0
        peak = None
        if err is None:
            out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
            peak = float(out.split("__PEAK_MB__")[1].split()[0])
            if peak > LIMIT_MB:
                err = f"peak {peak:.0f} MB > {LIMIT_MB} MB"
        rows.append(
            {"notebook": path.name, "seconds": round(seconds, 1), "peak_mb": None if peak is None else round(peak), "error": err}
        )
        print(
            f"{path.name}: {seconds:.0f} s, peak {peak if peak is None else round(peak)} MB" + (f"  FAILED {err}" if err else ""),
            flush=True,
        )
        if err:
            failed.append(path.name)
    after = versions(args.python)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and k != "ipywidgets"}
    print("versions before:", before)
    print("versions after: ", after)
    if changed:
        print("pip changed preinstalled packages:", changed)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"before": before, "after": after, "notebooks": rows}, indent=1))
    return 1 if failed or changed or (args.colab and before.get("ipywidgets") != after.get("ipywidgets")) else 0


if __name__ == "__main__":
    sys.exit(main())
