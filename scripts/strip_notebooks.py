"""Normalise notebooks in place: no outputs, no execution counts, one fixed metadata block.

Usage: python scripts/strip_notebooks.py notebooks/*.ipynb
       python scripts/strip_notebooks.py --check notebooks/*.ipynb   (exit 1 if any would change)

What a notebook keeps (so that opening, running and saving it in JupyterLab, Colab or Binder
leaves nothing in git but what `make strip` removes again):

- notebook metadata: only ``kernelspec`` (always the ``python3`` kernel that Colab, Binder
  and every ipykernel install have, so no kernel-selection dialog opens) and
  ``language_info`` reduced to ``{"name": "python"}``; widget state, jupytext headers,
  ``toc``/``vscode``/``colab`` blocks and the like are dropped;
- cells: their source, id and the cell metadata except the keys front ends add while a
  notebook runs (``execution``, ``collapsed``, ``scrolled``, ``trusted``, ``jupyter``,
  ``colab``, ``outputId``, ``ExecuteTime``); code cells lose outputs and execution counts.
"""

from __future__ import annotations

import sys

import nbformat

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LANGUAGE_INFO = {"name": "python"}
RUNTIME_CELL_KEYS = ("execution", "collapsed", "scrolled", "trusted", "jupyter", "colab", "outputId", "ExecuteTime")


def normalise(nb) -> None:
    """Normalise the notebook node ``nb`` in place (see the module docstring)."""
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        for key in RUNTIME_CELL_KEYS:
            meta.pop(key, None)


def normalised_text(path: str) -> str:
    """The text ``strip`` would write for the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    normalise(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write does


def strip(path: str) -> bool:
    """Normalise the notebook file at ``path``; return whether it changed."""
    with open(path, encoding="utf-8") as f:
        before = f.read()
    after = normalised_text(path)
    if after == before:
        return False
    with open(path, "w", encoding="utf-8") as f:
        f.write(after)
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    dirty = []
    for p in paths:
        if check:
            with open(p, encoding="utf-8") as f:
                if f.read() != normalised_text(p):
                    dirty.append(p)
        elif strip(p):
            print("stripped", p)
    for p in dirty:
        print("not normalised (run `make strip`):", p)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
