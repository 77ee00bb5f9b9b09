"""The README's lists say what the code does (datasette-style docs tests): its settings, levels,
export formats and commands are the code's, no more and no fewer."""
from __future__ import annotations

import re

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_settings(readme):
    from geohub.settings import SETTINGS
    items = [line for line in section(readme, "Settings").splitlines() if line.startswith("- ")]
    documented = {name for line in items for name in re.findall(r"`(GEOHUB_[A-Z_]+)`", line.split(":")[0])}
    assert documented == {s.name for s in SETTINGS}


def test_levels(readme):
    from geohub.geography.levels import level_names
    sentence = re.search(r"Levels are (.*?); vintages are years", readme, re.DOTALL)
    assert sentence, "README.md no longer says 'Levels are ...; vintages are years'"
    assert re.findall(r"`([a-z]+)`", sentence.group(1)) == level_names()


def test_export_formats(readme):
    from geohub.cli import cli
    from geohub.maps.renderers import RENDERERS
    [listed] = re.findall(r"/maps/<indicator>\.<([a-z|]+)>", readme)
    assert listed.split("|") == list(RENDERERS)
    fmt = next(p for p in cli.commands["export"].params if p.name == "fmt")
    assert list(fmt.type.choices) == list(RENDERERS)  # and geohub export --format offers them all


def test_commands(readme):
    from geohub.cli import cli
    block = re.search(r"```\n(geohub .*?)```", section(readme, "Using it"), re.DOTALL)
    assert block, "README.md's 'Using it' has no block of geohub commands"
    documented = set(re.findall(r"(?:^|; )geohub ([a-z][a-z-]*)", block.group(1), re.MULTILINE))
    assert documented == set(cli.commands)
