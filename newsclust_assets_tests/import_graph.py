"""The package's import graph, read from the source with ``ast`` (every import, also those
inside functions): a module imports another when any of its statements does. Used by
``test_layout.py`` to keep the layout's promises (no circles, the CLI on top)."""

from __future__ import annotations

import ast
from pathlib import Path


def module_names(root: Path) -> dict[str, Path]:
    """{dotted name: file} of every module under the package directory ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[tuple[str, str]]:
    """(imported module, name) pairs of ``module``: name is "" for ``import x`` and for a
    submodule imported by name, else the name taken from the module."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    out: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update((alias.name, "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node.level, node.module)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                out.add((sub, "") if sub in known else (source, alias.name))
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """{module: modules of the same package it imports}."""
    names = module_names(root)
    known = set(names)
    return {m: {t for t, _ in imports_of(m, p, known) if t in known and t != m} for m, p in names.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's import circles: its strongly connected components of two or more modules
    (Tarjan), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # recursive: the package has ~100 modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
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
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def folder_of(module: str, package: str) -> str:
    """The layout unit a module belongs to: its folder below the package, or the module itself
    for the package's top-level modules (``cli``, ``definitions``, ``settings``...)."""
    parts = module.split(".")[1:]
    return parts[0] if parts else package


def mermaid(graph: dict[str, set[str]], package: str = "newsclust_assets") -> str:
    """The import graph between folders and top-level modules as a Mermaid flowchart, top to
    bottom: an edge A --> B when some module of A imports one of B."""
    edges = sorted(
        {(folder_of(m, package), folder_of(t, package)) for m, deps in graph.items() for t in deps}
        - {(a, a) for a in map(lambda m: folder_of(m, package), graph)}
    )
    nodes = sorted({folder_of(m, package) for m in graph} - {package})
    lines = ["flowchart TD"] + [f"    {n}" for n in nodes] + [f"    {a} --> {b}" for a, b in edges if a != b]
    return "\n".join(lines) + "\n"
