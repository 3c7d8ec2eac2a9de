"""The layout keeps its promises, read from the source (``import_graph``): no import circles
in the package, the command line on top with nothing importing it, no product code or
benchmark importing the tests, and no private name taken across the package's folders."""

from __future__ import annotations

from pathlib import Path

from .import_graph import cycles, folder_of, import_graph, imports_of, mermaid, module_names

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "newsclust_assets"


def test_the_graph_finds_a_circle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_and_the_cli_on_top():
    graph = import_graph(PACKAGE)
    assert "newsclust_assets.runs.engine" in graph and "newsclust_assets.cli" in graph
    assert cycles(graph) == []
    assert [m for m, deps in graph.items() if "newsclust_assets.cli" in deps] == []
    # the run engine is below the definitions: the sensor uses it, it never loads the code location
    engine = {m for m in graph if m.startswith("newsclust_assets.runs")}
    assert not any(d in {"newsclust_assets.definitions", "newsclust_assets.cli"} for m in engine for d in graph[m])
    # pure stages import no Dagster
    for stage in ("clustering", "stories", "maps", "vectors"):
        for module, path in module_names(PACKAGE / stage).items():
            assert not any(t == "dagster" or t.startswith("dagster.") for t, _ in imports_of(module, path, set())), (
                module
            )


def test_nothing_imports_the_tests_and_no_private_names_cross_folders():
    offenders = []
    for root in (PACKAGE, REPO / "benchmarks"):
        names = module_names(root)
        for module, path in names.items():
            for target, name in imports_of(module, path, set(names)):
                if target.startswith("newsclust_assets_tests"):
                    offenders.append(f"{module} imports {target}")
                same_folder = target.rsplit(".", 1)[0] == module.rsplit(".", 1)[0] or target == module.rsplit(".", 1)[0]
                if (
                    name.startswith("_")
                    and not name.startswith("__")
                    and target.startswith("newsclust_assets")
                    and not same_folder
                ):
                    offenders.append(f"{module} imports {target}.{name}")
    assert offenders == []


def test_no_circles_between_folders_and_the_drawing_is_current():
    graph = import_graph(PACKAGE)
    folders: dict[str, set[str]] = {}
    for module, deps in graph.items():
        mine = folder_of(module, "newsclust_assets")
        folders.setdefault(mine, set()).update(folder_of(d, "newsclust_assets") for d in deps)
        folders[mine].discard(mine)
    assert cycles(folders) == []
    assert not any("cli" in deps for deps in folders.values())
    drawing = (REPO / "docs" / "architecture.md").read_text()
    assert "```mermaid\n" + mermaid(graph) + "```" in drawing, (
        "docs/architecture.md is stale: paste newsclust_assets_tests.import_graph.mermaid() into it"
    )


def test_dagster_internals_are_imported_in_one_pinned_place_only():
    """Dagster's private modules (``dagster._...``) change without notice: the IO manager is the
    public ``UPathIOManager``; the one exception is event_storage.py's SQLite storage with kept
    connections (pinned with the Dagster family; every `newsclust run` in the suite runs on it)."""
    users = set()
    for module, path in module_names(PACKAGE).items():
        if any(t.startswith("dagster._") for t, _ in imports_of(module, path, set())):
            users.add(module)
    assert users == {"newsclust_assets.event_storage"}
