"""Core messages carry no CLI flags and no URL parameters (issue 15, item 3): below geohub/cli and
geohub/web an option is written «name» or «name=value» (errors.option) and each edge renders it in
its own terms. The scan reads the syntax tree: the strings inside every ``raise`` and every call
to a GeohubError class, so comments, docstrings and unrelated strings cannot trip it."""
from __future__ import annotations

import ast
import re

import pytest

from conftest import REPO
from geohub import errors
from geohub.errors import InputError, option

MARKED = re.compile("\u00ab[^\u00bb]*\u00bb")
FLAG = re.compile(r"(?<![\w-])--[a-z]")
URL_PARAMETER = re.compile(r"[?&][a-z_]+=")


def edge_option_names() -> set[str]:
    """Every option name the CLI takes (so a message spelling ``level=`` speaks to one edge)."""
    import click

    from geohub.cli import cli
    names, stack = set(), [cli]
    while stack:
        command = stack.pop()
        stack.extend(getattr(command, "commands", {}).values())
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    if opt.startswith("--"):
                        names |= {opt[2:], opt[2:].replace("-", "_")}
    return names


def error_classes(trees) -> set[str]:
    """GeohubError and its subclasses, those of geohub.errors and any a core module declares."""
    names = {n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, errors.GeohubError)}
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        (b.id if isinstance(b, ast.Name) else getattr(b, "attr", None)) in names
                        for b in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def message_strings(tree, classes):
    """(line, text) of each string in a raise statement or in a call to an error class."""
    def called(node):
        func = node.func
        return (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) in classes
    roots = [n for n in ast.walk(tree)
             if isinstance(n, ast.Raise) or (isinstance(n, ast.Call) and called(n))]
    seen = set()
    for root in roots:
        for node in ast.walk(root):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in seen:
                seen.add(id(node))
                yield node.lineno, node.value


def offences(text: str, names: set[str]) -> list[str]:
    plain = MARKED.sub("", text)
    found = FLAG.findall(plain) + URL_PARAMETER.findall(plain)
    found += [m for m in re.findall(r"(?<![\w.\-«])([a-z][a-z0-9_-]*)=", plain) if m in names]
    return found


def scan(sources: dict[str, str]) -> list[str]:
    trees = {name: ast.parse(text) for name, text in sources.items()}
    classes, names = error_classes(trees.values()), edge_option_names()
    return [f"{name}:{line}: {text!r}" for name, tree in trees.items()
            for line, text in message_strings(tree, classes) if offences(text, names)]


def core_sources() -> dict[str, str]:
    package = REPO / "geohub"
    return {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in sorted(package.rglob("*.py"))
            if p.relative_to(package).parts[0] not in ("cli", "web")}


def test_core_messages_name_options_only_as_markers():
    sources = core_sources()
    assert "geohub/overlaps/aggregate.py" in sources and "geohub/cli/group.py" not in sources
    assert scan(sources) == []


@pytest.mark.parametrize("source", [
    'raise InputError("No vintage.", "Pass --vintage 2021.")',
    'raise NotFound(f"No {x}.", "Try /maps/pop?level=lep.")',
    'raise InputError(f"dpi={dpi} is out of range.", "Use 72 to 600.")',
    'def bad(m):\n    return InputError(m, "Use mode=split.")',
    'class Odd(InputError):\n    pass\nerror = Odd("Use --labels all.")',
])
def test_the_scan_finds_flags_and_parameters(source):
    assert scan({"example.py": source})


@pytest.mark.parametrize("source", [
    'raise InputError("No vintage.", f"Pass {option(\'vintage\', 2021)}.")',
    'raise InputError("Bad file.", "Use variable=Total with «where».")',   # not an option name
    'log.info("dpi=%s", dpi)',                                            # not a message
    '"""A docstring may say --level."""',
])
def test_the_scan_leaves_markers_and_other_strings_alone(source):
    assert scan({"example.py": source}) == []


def test_each_edge_renders_an_option_with_its_value():
    error = InputError(f"Unknown {option('labels', repr('many'))}.", f"Use {option('labels', 'all')}.")
    assert str(error) == "Unknown --labels 'many'. Use --labels all."
    assert (error.message, error.hint) == ("Unknown labels='many'.", "Use labels=all.")
    assert InputError(f"Give {option('min-share')}.").message == "Give min_share."
