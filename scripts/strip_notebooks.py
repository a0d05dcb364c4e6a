"""Strip outputs and execution counts from notebooks in place (they are committed clean).

Usage: python scripts/strip_notebooks.py notebooks/*.ipynb
"""

import sys

import nbformat


def strip(path: str) -> bool:
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                changed = True
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("execution", "collapsed", "scrolled"):
            if key in cell.get("metadata", {}):
                del cell["metadata"][key]
                changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for p in sys.argv[1:]:
        if strip(p):
            print("stripped", p)
