"""The layers inside stats, read from the code's own imports (``ast``, nothing imported).

From the bottom: ``records`` (what the paths did), ``recompute`` (the statistics), the
paths (``batch``, ``bulk``, ``now``), ``monitoring`` (reads them all), and the edges on
top (admin, commands, tasks, receivers, the app's ``models`` module). A module may import
its own layer and the layers below, never one above: so no path records into monitoring
or is watched by code it imports (docs/architecture.md, "Layers inside stats"). Every
import counts, also one inside a function or under ``TYPE_CHECKING``: each is a
dependency, even where it does not run at import time.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("stats", "config", "catalog", "editors")

#: Each stats module's layer, by the longest prefix listed (lowest first).
LAYERS = {
    "stats.records": 1,
    "stats.recompute": 2,
    "stats.figures": 2,  # how each figure is derived: the recompute's, and the reference's
    "stats.batch": 3,
    "stats.bulk": 3,
    "stats.now": 3,
    "stats.monitoring": 4,
    "stats": 5,  # admin, management, formatting, receivers, tasks, apps, models
}
PATHS = ("stats.batch", "stats.bulk", "stats.now", "stats.recompute", "stats.records")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for package in PACKAGES
    for path in (ROOT / package).rglob("*.py")
    if "migrations" not in path.parts
}


def _project_module(name: str) -> str | None:
    """The project module ``name`` is, or is inside (``stats.models.BulkRun``: stats.models)."""
    parts = name.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or None


def _imports(module: str) -> set[str]:
    """The project modules ``module`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: relative import"
            # ``from stats.batch import control`` imports the module stats.batch.control.
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {m for name in found if (m := _project_module(name)) and m != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> int | None:
    prefixes = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return LAYERS[max(prefixes, key=len)] if prefixes else None


def _reachable(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for imported in GRAPH[todo.pop()]:
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def _cycles(graph: dict[str, set[str]] | None = None) -> set[frozenset[str]]:
    """The graph's strongly connected components of more than one module (Tarjan's)."""
    graph = GRAPH if graph is None else graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = set()

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = {stack.pop()}
            while module not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.add(frozenset(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_the_graph_is_read_from_the_code():
    """The checks below are only worth something if the graph has the edges they judge."""
    assert "stats.records.task_runs" in GRAPH["stats.batch.services"]
    assert "stats.bulk.selectors" in GRAPH["stats.monitoring.services"]
    assert "stats.batch.control" in GRAPH["stats.batch.tasks"]  # from a package import a module
    assert "stats.records.task_runs" in GRAPH["stats.now.tasks"]  # inside a function


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(PATHS)))
def test_no_path_reaches_monitoring_or_the_edges_above_it(module):
    above = sorted(m for m in _reachable(module) if (_layer(m) or 0) > 3)
    assert not above, f"{module} reaches {above}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("stats")))
def test_a_stats_module_imports_no_layer_above_its_own(module):
    upward = sorted(m for m in GRAPH[module] if (_layer(m) or 0) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports {upward}"


def test_records_import_nothing_else_of_stats():
    for module in (m for m in MODULES if m.startswith("stats.records")):
        assert all(m.startswith("stats.records") for m in GRAPH[module] if m.startswith("stats"))


def test_monitoring_reads_the_paths_through_their_selectors_and_models_only():
    for module in (m for m in MODULES if m.startswith("stats.monitoring")):
        for imported in GRAPH[module]:
            if imported.startswith(("stats.batch", "stats.bulk", "stats.now", "stats.recompute")):
                assert imported.rsplit(".", 1)[1] in ("selectors", "models"), (module, imported)


def test_config_and_catalog_never_import_stats():
    """Below stats: the queue table, the workers' rules and the Celery app name stats'
    classes by dotted path (as Celery's own settings do); only the URLconf wires its views."""
    for module in (m for m in MODULES if m.startswith(("config", "catalog"))):
        if module != "config.urls":
            assert not [m for m in GRAPH[module] if m.startswith("stats")], module


def test_the_import_graph_has_no_circle():
    assert _cycles() == set()


def test_the_circle_finder_finds_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == {frozenset({"a", "b", "c"})}
