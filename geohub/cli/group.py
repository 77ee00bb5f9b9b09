"""The ``geohub`` click group (Flask's CLI) and helpers shared by the command modules."""
from __future__ import annotations

import os
import sys

import click
from flask.cli import FlaskGroup

from geohub import __version__, create_app, settings
from geohub.errors import GeohubError
from geohub.geography.levels import level_names


class GeohubGroup(FlaskGroup):
    """Flask's CLI group, turning GeohubError into a clean 'Error: ...' and exit status 1.

    Flask's --app/--env-file/--debug options are dropped: the app is always geohub's own.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.params = [p for p in self.params if p.name not in ("app", "env_file", "debug")]

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeohubError as error:
            raise click.ClickException(str(error)) from error
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if os.environ.get("GEOHUB_DEBUG"):
                raise
            raise click.ClickException(edge_message(error)) from error


def edge_message(error: BaseException) -> str:
    """A one-line message with a hint for an exception no geohub check turned into an InputError
    (the CLI's last line of defence: never a traceback). GEOHUB_DEBUG=1 shows the traceback."""
    import errno
    import sqlite3

    import shapely
    from geohub.geography.validation import quote
    text = quote(str(error)).strip("'\"")
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full ({text}). Free some space; the store is unchanged."
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return ("The store is locked by another import or command. Wait for it to finish and try "
                "again.")
    if isinstance(error, RecursionError):
        return ("The file is nested too deeply to read. Check it is a real boundary or data file "
                "(JSON nesting is limited).")
    if isinstance(error, MemoryError):
        return "Out of memory reading the file. Simplify or split it; the store is unchanged."
    if isinstance(error, shapely.errors.GEOSException):
        return (f"A geometry cannot be processed ({text}). Fix the geometries in the source file "
                "(e.g. ogr2ogr -makevalid); the store is unchanged.")
    if isinstance(error, OSError):
        return f"{text}. Check the path and its permissions."
    return (f"Unexpected {type(error).__name__}: {text}. This is a bug in geohub: run again with "
            "GEOHUB_DEBUG=1 for the traceback and report it.")


cli = GeohubGroup(
    create_app=lambda: create_app(),
    add_default_commands=False,
    add_version_option=False,
    help="geohub: boundaries and indicators for England's overlapping governance geographies.\n\n"
         "Settings come from the environment:\n\n" + settings.help_text().replace("\n", "\n\n"),
)
cli = click.version_option(__version__, prog_name="geohub")(cli)


def existing_store():
    """The configured store for a command that only reads it: a GeoPackage path with no file
    behind it (a mistyped GEOHUB_STORE) is refused instead of silently created empty."""
    from pathlib import Path

    from flask import current_app

    from geohub.errors import NotFound
    from geohub.store import gpkg_path, is_database_url
    from geohub.web.resources import get_store, store_url
    url = store_url(current_app.config)
    if not is_database_url(url) and not Path(gpkg_path(url)).exists():
        raise NotFound(f"There is no store at {url}.",
                       "Check GEOHUB_STORE; a new store is created only by an import "
                       "('geohub fetch' or 'geohub import-boundaries FILE').")
    return get_store()


def progress_enabled() -> bool:
    """Progress bars only when a person watches (stderr is a terminal)."""
    return sys.stderr.isatty()


def level_type() -> click.Choice:
    return click.Choice(level_names(), case_sensitive=False)
