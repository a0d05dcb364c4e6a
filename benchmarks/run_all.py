"""Run every benchmark in this folder (``make bench``), each in its own process.

Each ``bench_*.py`` prints its ratios; peers that are missing (see ``make peers``) are
reported and skipped. Pass ``--threads N`` to fix the thread count (default: 1 and all).
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    status = 0
    peers = HERE.parent / ".peers-venv" / "bin" / "python"
    for script in sorted(HERE.glob("bench_*.py")):
        python = str(peers) if peers.exists() else sys.executable
        print(f"== {script.name} ({'peers venv' if peers.exists() else 'project venv'})", flush=True)
        env = dict(os.environ, PYTHONPATH=f"{HERE.parent}{os.pathsep}{HERE}")
        rc = subprocess.call([python, str(script), *sys.argv[1:]], cwd=HERE, env=env)
        status |= rc
    return status


if __name__ == "__main__":
    sys.exit(main())
