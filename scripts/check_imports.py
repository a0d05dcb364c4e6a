"""Count the import habits issue 14 ends: private names crossing modules, import cycles, local imports.

Usage::

    python scripts/check_imports.py musynth_lab [--under features,synth] [--quiet]

It reads the package with :mod:`ast` only (nothing is imported) and reports

(a) cross-module private imports: ``from .x import _y`` / ``from ..x import _y`` /
    ``from musynth_lab.x import _y`` where ``_y`` is a private name defined in another
    module of the package, and ``x._y`` attribute access on a package module bound by an
    import (``from . import transforms; transforms._power_to_db``); a private *module*
    (``stats/_features.py``) counts when it is imported from outside its own package
    (``from ..stats import _features`` in ``models/vae.py``): inside its package (and the
    package's subpackages) it is that package's shared code;
(b) import cycles between the package's modules (strongly connected components of the
    module import graph), once for module-level imports alone and once with the
    function-local imports included;
(c) the number of function-local imports (imports inside a ``def``/``class`` body).

The last line is a summary::

    private-imports=N cycles-module-level=N cycles-with-local=N local-imports=N

Exit status is 0 always (it is a counter; ``tests/test_imports.py`` asserts on the numbers).
A package ``__init__`` importing a private name of its own subpackage (re-export) still
counts: the point is that ``_x`` means "this module only".
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Report:
    """What :func:`scan` found; the lists hold human-readable lines."""

    private: list[str] = field(default_factory=list)
    cycles_module: list[list[str]] = field(default_factory=list)
    cycles_all: list[list[str]] = field(default_factory=list)
    local: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"private-imports={len(self.private)} cycles-module-level={len(self.cycles_module)} "
            f"cycles-with-local={len(self.cycles_all)} local-imports={len(self.local)}"
        )


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_pkg: bool, level: int, target: str | None) -> str:
    """Absolute name of ``from <level dots><target> import ...`` inside ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, is_pkg: bool, modules: set[str]):
        self.module, self.is_pkg, self.modules = module, is_pkg, modules
        self.depth = 0
        self.edges_module: set[str] = set()
        self.edges_local: set[str] = set()
        self.private: list[str] = []
        self.local: list[str] = []
        self.bound: dict[str, str] = {}  # local name -> package module it is bound to

    # scopes
    def _scoped(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _scoped

    def _edge(self, target: str, lineno: int, text: str):
        # reduce to the longest known module prefix
        while target and target not in self.modules:
            target = target.rpartition(".")[0]
        if not target or target == self.module:
            return
        (self.edges_local if self.depth else self.edges_module).add(target)

    def _inside(self, package: str) -> bool:
        """Whether this module belongs to ``package`` (or one of its subpackages)."""
        own = self.module if self.is_pkg else self.module.rpartition(".")[0]
        return own == package or own.startswith(package + ".")

    def visit_Import(self, node: ast.Import):
        if self.depth:
            self.local.append(f"{self.module}:{node.lineno} import {', '.join(a.name for a in node.names)}")
        for alias in node.names:
            if alias.name in self.modules or alias.name.split(".")[0] in {m.split(".")[0] for m in self.modules}:
                self._edge(alias.name, node.lineno, alias.name)
                package, _, last = alias.name.rpartition(".")
                if alias.name in self.modules and _is_private(last) and not self._inside(package):
                    self.private.append(f"{self.module}:{node.lineno} import {alias.name} (a private module)")
                if alias.asname and alias.name in self.modules:
                    self.bound[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom):
        src = _resolve(self.module, self.is_pkg, node.level, node.module)
        if self.depth:
            self.local.append(
                f"{self.module}:{node.lineno} from {'.' * node.level}{node.module or ''} import "
                f"{', '.join(a.name for a in node.names)}"
            )
        inside = src in self.modules or any(m.startswith(src + ".") for m in self.modules)
        if not inside:
            return
        for alias in node.names:
            sub = f"{src}.{alias.name}"
            if sub in self.modules:  # importing a module
                self._edge(sub, node.lineno, sub)
                self.bound[alias.asname or alias.name] = sub
                if _is_private(alias.name) and not self._inside(src):
                    self.private.append(f"{self.module}:{node.lineno} from {src} import {alias.name} (a private module)")
            else:
                self._edge(src, node.lineno, src)
                if _is_private(alias.name) and src != self.module:
                    self.private.append(f"{self.module}:{node.lineno} from {src} import {alias.name}")

    def visit_Attribute(self, node: ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in self.bound and _is_private(node.attr):
            target = self.bound[node.value.id]
            sub = f"{target}.{node.attr}"
            if (sub not in self.modules and target != self.module) or (sub in self.modules and not self._inside(target)):
                self.private.append(f"{self.module}:{node.lineno} {node.value.id}.{node.attr} ({target})")
        self.generic_visit(node)


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of size > 1 (the cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def strong(v: str):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sorted(out)


def _package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop the edges from a submodule into its enclosing package's ``__init__``: importing
    ``pkg.y`` always runs ``pkg/__init__`` first, and ``from . import x`` inside ``pkg/y.py``
    either binds a sibling module (an edge to ``pkg.x``, kept) or a name the ``__init__``
    defines before it imports ``y``. Edges from a package ``__init__`` into its submodules
    (its re-exports) are kept. Cycles are then between real modules."""
    out = {}
    for m, targets in graph.items():
        keep = set()
        for t in targets:
            if m.startswith(t + "."):  # submodule -> its enclosing package
                continue
            keep.add(t)
        out[m] = keep
    return out


def scan(package: Path, under: list[str] | None = None) -> Report:
    """Scan the package directory ``package``; ``under`` limits the *reported* findings to
    modules whose dotted name (below the package) starts with one of those prefixes."""
    package = package.resolve()
    files = sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    names = {_module_name(p, package): p for p in files}
    modules = set(names)
    visitors = {}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        v = _Visitor(name, path.name == "__init__.py", modules)
        v.visit(tree)
        visitors[name] = v

    top = package.name

    def wanted(mod: str) -> bool:
        if not under:
            return True
        rel = mod[len(top) + 1 :] if mod.startswith(top + ".") else ""
        return any(rel == u or rel.startswith(u + ".") for u in under)

    rep = Report()
    for name in sorted(visitors):
        if wanted(name):
            rep.private += visitors[name].private
            rep.local += visitors[name].local
    g_mod = _package_edges({n: v.edges_module for n, v in visitors.items()})
    g_all = _package_edges({n: v.edges_module | v.edges_local for n, v in visitors.items()})
    rep.cycles_module = [c for c in _sccs(g_mod) if any(wanted(m) for m in c)]
    rep.cycles_all = [c for c in _sccs(g_all) if any(wanted(m) for m in c)]
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package", type=Path, help="the package directory, e.g. musynth_lab")
    ap.add_argument("--under", default="", help="comma-separated subpackages/modules to report on")
    ap.add_argument("--quiet", action="store_true", help="print the summary line only")
    args = ap.parse_args(argv)
    under = [u.strip() for u in args.under.split(",") if u.strip()] or None
    rep = scan(args.package, under)
    if not args.quiet:
        print(f"# cross-module private imports ({len(rep.private)})")
        for line in rep.private:
            print("  " + line)
        print(f"# import cycles, module-level imports only ({len(rep.cycles_module)})")
        for c in rep.cycles_module:
            print("  " + " <-> ".join(c))
        print(f"# import cycles, function-local imports included ({len(rep.cycles_all)})")
        for c in rep.cycles_all:
            print("  " + " <-> ".join(c))
        print(f"# function-local imports ({len(rep.local)})")
    print(rep.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
