"""The ``geohub`` command line: click commands on Flask's CLI, run inside an app context so that
they share the app's configuration and store.

Every command exits non-zero with a message that names the problem and the fix when its input is
bad; nothing it refused has changed the store.
"""
from __future__ import annotations

from geohub.cli.group import cli
from geohub.cli import boundaries  # noqa: F401  (registers commands)
from geohub.cli import fetch  # noqa: F401
from geohub.cli import indicators  # noqa: F401
from geohub.cli import overlaps  # noqa: F401
from geohub.cli import exports  # noqa: F401
from geohub.cli import stores  # noqa: F401

__all__ = ["cli", "main"]


def main() -> None:
    cli.main(prog_name="geohub")
