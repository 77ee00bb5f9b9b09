"""The layers of DESIGN.md, read from the import graph (grimp parses every import, including those
inside functions): arrows point down only, nothing below web/ imports Flask, the shared leaf
modules import no layer, and modules form no import cycles. And from the sources: views import no
private names from other layers, and only the store calls its private methods."""
from __future__ import annotations

import ast
import re
import sys

import grimp
import pytest

from conftest import REPO

# Top to bottom. The CLI sits above web/ (``geohub serve`` starts the app).
LAYERS = ["geohub.cli", "geohub.web", "geohub.maps", "geohub.overlaps", "geohub.indicators",
          "geohub.geography", "geohub.store", "geohub.io"]
# Used by every layer, so they import none.
LEAVES = ["geohub.errors", "geohub.settings", "geohub.crs", "geohub.attribution", "geohub.packaged"]
# Import cycles tolerated for now: none since the web/ re-cut (issue 15); never add to this.
KNOWN_CYCLES: set[frozenset] = set()


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("geohub", include_external_packages=True)


def describe(dependencies) -> list[str]:
    return sorted(f"{route.heads} -> {route.middle} -> {route.tails}"
                  for d in dependencies for route in d.routes)


def test_arrows_point_down(graph):
    illegal = graph.find_illegal_dependencies_for_layers(layers=LAYERS, containers=set())
    assert describe(illegal) == []


def test_the_layer_test_can_see_an_upward_arrow(graph):
    """The check above is not vacuous: reversed, the same graph breaks it."""
    assert graph.find_illegal_dependencies_for_layers(layers=LAYERS[::-1], containers=set())


def test_nothing_below_web_imports_flask(graph):
    for module in sorted(graph.modules):
        if not module.startswith("geohub.") or module.startswith(("geohub.web", "geohub.cli")):
            continue
        imported = graph.find_modules_directly_imported_by(module)
        assert not imported & {"flask", "werkzeug"}, module  # jinja2 is fine: folium renders with it


def test_leaf_modules_import_no_layer(graph):
    for leaf in LEAVES:
        assert leaf in graph.modules, leaf
        ours = {m for m in graph.find_modules_directly_imported_by(leaf) if m.startswith("geohub")}
        assert ours <= set(LEAVES), (leaf, ours)


def strongly_connected(graph) -> list[frozenset]:
    """Tarjan's algorithm over geohub's modules: the groups of modules that import each other."""
    modules = sorted(m for m in graph.modules if m.startswith("geohub"))
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if not w.startswith("geohub"):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(frozenset(group))

    for module in modules:
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycles(graph):
    assert set(strongly_connected(graph)) <= KNOWN_CYCLES


def _sources(package: str):
    root = REPO / "geohub"
    for path in sorted((root / package).rglob("*.py") if package else root.rglob("*.py")):
        yield path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")


def private_imports(package: str) -> list[str]:
    """``from X import _name`` in ``geohub.<package>`` where X lies outside that package."""
    found = []
    for name, text in _sources(package):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geohub"):
                if node.module.startswith(f"geohub.{package}"):
                    continue
                found += [f"{name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def store_private_calls() -> list[str]:
    """Calls, outside geohub/store, of a private method the store classes define (``._read_areas``)."""
    private = {m for _, text in _sources("store") for m in re.findall(r"^\s+def (_[a-z]\w*)\(", text, re.M)}
    found = []
    for name, text in _sources(""):
        if name.startswith("geohub/store/"):
            continue
        own = set(re.findall(r"^\s*def (_[a-z]\w*)\(", text, re.M))
        found += [f"{name}: .{m}(" for m in sorted(private - own) if re.search(rf"\.{m}\(", text)]
    return found


def test_views_import_no_private_names_from_other_layers():
    assert private_imports("web") == []


def test_only_the_store_calls_its_private_methods():
    assert store_private_calls() == []


def test_the_private_checks_can_fail(tmp_path, monkeypatch):
    """Both checks above see a private import and a private store call when there is one."""
    fake = tmp_path / "geohub"
    for sub in ("web", "store"):
        (fake / sub).mkdir(parents=True)
    (fake / "store" / "base.py").write_text("class Store:\n    def _read_areas(self):\n        pass\n")
    (fake / "web" / "view.py").write_text("from geohub.maps.model import _is_missing\n"
                                          "def page(store):\n    return store._read_areas()\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert private_imports("web") == ["geohub/web/view.py: geohub.maps.model._is_missing"]
    assert store_private_calls() == ["geohub/web/view.py: ._read_areas("]
