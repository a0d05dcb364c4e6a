"""Build the static HTML book: executed notebooks + glossary + API reference, offline.

    python scripts/build_book.py            # every notebook
    BOOK_NOTEBOOKS=00,03 python scripts/build_book.py   # a subset (stems or prefixes)

Output: build/book/html/index.html (open it from disk). Steps:
1. execute each notebook (cached in build/book/executed/, reused while newer than the notebook
   and the package) with the notebook test's per-notebook budget, one math thread, and hidden
   cells that pre-render each widget panel as three static states (scripts/book_states.py);
2. write the Sphinx source folder build/book/src: the executed notebooks (widget outputs dropped,
   launch badges as plain links, a download link to the stripped .ipynb, glossary terms linked at
   their first use), glossary.md from notebook 00's glossary table, api/*.md (numpydoc autodoc);
3. copy MathJax 3 (npm, into build/book/node) into _static; run sphinx-build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
BUILD = ROOT / "build" / "book"
SRC, HTML, EXEC, NODE = BUILD / "src", BUILD / "html", BUILD / "executed", BUILD / "node"
sys.path.insert(0, str(ROOT / "tests"))
PANELS = (
    "NoteBrowser",
    "FeatureExplorer",
    "SynthPanel",
    "AttentionViewer",
    "LatentExplorer",
    "MelodyAgentPanel",
    "GenerationPanel",
    "LatencyPanel",
    "QualityPanel",
    "CoherencePanel",
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def selected() -> list[Path]:
    nbs = sorted(NB_DIR.glob("*.ipynb"))
    pick = [p.strip() for p in os.environ.get("BOOK_NOTEBOOKS", "").split(",") if p.strip()]
    return [p for p in nbs if not pick or any(p.stem.startswith(k) for k in pick)]


def package_mtime() -> float:
    files = [*(ROOT / "musynth_lab").rglob("*.py"), ROOT / "scripts" / "book_states.py"]
    return max(f.stat().st_mtime for f in files)


def _tagged(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["remove-input", "book-states"]
    return cell


def execute(path: Path) -> Path:
    """Executed copy of ``path`` with the panels' states; reused while fresh."""
    out = EXEC / path.name
    if out.exists() and out.stat().st_mtime > max(path.stat().st_mtime, package_mtime()):
        print(f"  {path.name}: reusing {out.relative_to(ROOT)}")
        return out
    import tempfile

    from test_notebooks import CELL_TIMEOUT_S, DEFAULT_LIMIT_S, LIMIT_S, _client_class
    from jupyter_client.kernelspec import find_kernel_specs

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    nb = nbformat.read(path, as_version=4)
    cells = [nb.cells[0], nb.cells[1], _tagged((ROOT / "scripts" / "book_states.py").read_text())]
    for cell in nb.cells[2:]:
        cells.append(cell)
        if cell.cell_type == "code" and any(f"{p}(" in cell.source for p in PANELS):
            cells.append(_tagged("_book_show_states()"))
    nb.cells = cells
    kernel = "musynth-lab" if "musynth-lab" in find_kernel_specs() else "python3"
    limit = LIMIT_S.get(path.stem, DEFAULT_LIMIT_S)
    with tempfile.TemporaryDirectory() as tmp:
        client = _client_class()(nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel, resources={"metadata": {"path": tmp}})
        t0 = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - t0
    flag = "" if seconds <= limit else f"  (over the notebook budget of {limit} s)"
    print(f"  {path.name}: executed in {seconds:.0f} s{flag}")
    EXEC.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


# ---------------------------------------------------------------------------------------- glossary
def glossary_rows() -> list[tuple[str, str, str]]:
    nb = nbformat.read(NB_DIR / "00_start_here.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "Glossary" in c.source)
    text = cell.source.split("Glossary", 1)[1]
    rows = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if len(parts) == 3 and not set(parts[0]) <= set("-: ") and parts[0] != "中文":
            rows.append(tuple(parts))
    return rows


def term_keys(zh: str) -> list[str]:
    """The matchable Chinese words of a glossary entry: '位置注意力 / 通道注意力' -> both; '(GV)' dropped."""
    keys = []
    for part in zh.split("/"):
        part = re.sub(r"\s*[(（].*?[)）]", "", part).strip()
        if part and any("\u4e00" <= ch <= "\u9fff" for ch in part):
            keys.append(part)
    return keys


def kit_links(kit: str) -> str:
    def one(m):
        name = m.group(1)
        full = name if name.startswith("musynth_lab") else f"musynth_lab.{name}"
        return f"{{py:obj}}`{name} <{full}>`"

    return re.sub(r"`([A-Za-z_][\w.]*)`", one, kit)


def write_glossary(rows) -> dict[str, str]:
    lines = [
        "# Glossary · 术语表",
        "",
        "The source article's Chinese terms, the English term (and what is true), and where the kit implements it.",
        "Each chapter links a term here at its first use.",
        "",
        ":::{glossary}",
    ]
    keys = {}
    for zh, en, kit in rows:
        ks = term_keys(zh) or [zh]
        for k in ks:
            keys.setdefault(k, k)
        lines += [*ks, f"  {en}", "", f"  In the kit: {kit_links(kit)}", ""]
    lines.append(":::")
    (SRC / "glossary.md").write_text("\n".join(lines) + "\n")
    return keys


_PROTECT = re.compile(r"(\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`|\[[^\]\n]*\]\([^)\n]*\)|<[^>\n]*>|\{[^}\n]*\}`[^`\n]*`)", re.S)


def link_first_uses(md_cells, keys: dict[str, str]) -> None:
    """Turn each glossary term's first use on the page into a {term} link."""
    todo = sorted(keys, key=len, reverse=True)
    done: list[str] = []
    for cell in md_cells:
        out_lines = []
        in_fence = False
        for line in cell.source.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if in_fence or line.lstrip().startswith("#") or not todo:
                out_lines.append(line)
                continue
            pieces = _PROTECT.split(line)
            for i in range(0, len(pieces), 2):
                for k in list(todo):
                    if k in pieces[i]:  # a placeholder now, so shorter terms cannot match inside it
                        pieces[i] = pieces[i].replace(k, f"\x00{len(done)}\x00", 1)
                        done.append(f"{{term}}`{k} <{keys[k]}>`")
                        todo.remove(k)
            out_lines.append("".join(pieces))
        cell.source = re.sub("\x00(\\d+)\x00", lambda m: done[int(m.group(1))], "\n".join(out_lines))


# ---------------------------------------------------------------------------------------- pages
_BADGE = re.compile(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)]*)\)")


def write_page(executed: Path, source: Path, keys) -> None:
    nb = nbformat.read(executed, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if WIDGET_MIME not in o.get("data", {})]
    first = nb.cells[0]
    first.source = _BADGE.sub(lambda m: f"[{m.group(1).replace('Open In ', 'Open in ')}]({m.group(2)})", first.source)
    first.source = first.source.replace(
        "\n\n", f"\n\n{{download}}`Download this notebook ({source.name}) <_ipynb/{source.name}>` · ", 1
    )
    link_first_uses([c for c in nb.cells if c.cell_type == "markdown"], keys)
    nbformat.write(nb, SRC / source.name)
    (SRC / "_ipynb").mkdir(exist_ok=True)
    shutil.copy2(source, SRC / "_ipynb" / source.name)


def write_api() -> list[str]:
    import pkgutil

    import musynth_lab

    mods = sorted(
        m.name
        for m in pkgutil.walk_packages(musynth_lab.__path__, "musynth_lab.")
        if not m.name.rsplit(".", 1)[1].startswith("_")
    )
    (SRC / "api").mkdir(exist_ok=True)
    for mod in ["musynth_lab", *mods]:
        (SRC / "api" / f"{mod}.md").write_text(
            f"# `{mod}`\n\n```{{eval-rst}}\n.. automodule:: {mod}\n   :members:\n   :show-inheritance:\n```\n"
        )
    toc = "\n".join(f"{m}" for m in ["musynth_lab", *mods])
    (SRC / "api" / "index.md").write_text(
        "# API reference\n\nThe library's public functions and classes, from their numpy docstrings; each "
        "`Chapter:` line links to the chapter that teaches it.\n\n"
        f"```{{toctree}}\n:maxdepth: 1\n\n{toc}\n```\n"
    )
    return mods


def mathjax() -> Path:
    js = NODE / "node_modules" / "mathjax" / "es5" / "tex-svg-full.js"
    if not js.exists():
        NODE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE), "mathjax@3"], check=True)
    return js


def write_index(stems: list[str]) -> None:
    toc = "\n".join(stems)
    (SRC / "index.md").write_text((ROOT / "book" / "index.md").read_text().replace("{{chapters}}", toc))


def main() -> int:
    t0 = time.perf_counter()
    nbs = selected()
    print(f"book: {len(nbs)} notebooks")
    executed = [execute(p) for p in nbs]
    if SRC.exists():
        shutil.rmtree(SRC)
    SRC.mkdir(parents=True)
    shutil.copytree(ROOT / "book" / "_static", SRC / "_static")
    (SRC / "_static" / "mathjax").mkdir()
    shutil.copy2(mathjax(), SRC / "_static" / "mathjax" / "tex-svg-full.js")
    keys = write_glossary(glossary_rows())
    for ex, p in zip(executed, nbs):
        write_page(ex, p, keys)
    write_api()
    write_index([p.stem for p in nbs])
    if HTML.exists():
        shutil.rmtree(HTML)
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-d",
        str(BUILD / "doctrees"),
        "-c",
        str(ROOT / "book"),
        str(SRC),
        str(HTML),
    ]
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    (HTML / ".nojekyll").touch()
    size = sum(f.stat().st_size for f in HTML.rglob("*") if f.is_file())
    pages = len(list(HTML.rglob("*.html")))
    print(
        f"book: {pages} HTML pages, {size / 2**20:.1f} MiB in {HTML.relative_to(ROOT)}, "
        f"built in {time.perf_counter() - t0:.0f} s; open {HTML / 'index.html'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
