"""The layers of DESIGN.md, read from the import graph (grimp parses every import, including those
inside functions): arrows point down only, nothing below web/ imports Flask, the shared leaf
modules import no layer, and modules form no import cycles."""
from __future__ import annotations

import grimp
import pytest

# Top to bottom. The CLI sits above web/ (``geohub serve`` starts the app).
LAYERS = ["geohub.cli", "geohub.web", "geohub.maps", "geohub.overlaps", "geohub.indicators",
          "geohub.geography", "geohub.store", "geohub.io"]
# Used by every layer, so they import none.
LEAVES = ["geohub.errors", "geohub.settings", "geohub.crs", "geohub.attribution", "geohub.packaged"]
# Import cycles still being taken apart by the web/ re-cut (issue 15); never add to this.
KNOWN_CYCLES = {frozenset({"geohub.web.embeds", "geohub.web.pages"})}


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
