"""The ``geohub`` click group and helpers shared by the command modules.

A plain click group, not Flask's: commands get their store from ``geohub.cli.context`` and only
``serve`` builds the Flask app, so ``geohub --help`` and the store commands start quickly.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from geohub import __version__, settings
from geohub.errors import GeohubError
from geohub.geography.levels import level_names


class GeohubGroup(click.Group):
    """A click group turning GeohubError into a clean 'Error: ...' and exit status 1."""

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


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (click's test runner swaps it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(verbosity: int) -> None:
    """geohub's loggers to stderr: warnings by default, info with -v (imports, slivers, caches),
    debug with -vv, errors only with -q."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logger = logging.getLogger("geohub")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


@click.group(cls=GeohubGroup,
             help="geohub: boundaries and indicators for England's overlapping governance geographies."
                  "\n\nSettings come from the environment:\n\n" + settings.help_text().replace("\n", "\n\n"))
@click.option("-v", "--verbose", count=True, help="Say more on stderr (-v: what happens, -vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(__version__, prog_name="geohub")
@click.pass_context
def cli(ctx, verbose, quiet):
    ctx.meta["geohub.verbosity"] = -1 if quiet else verbose
    configure_logging(ctx.meta["geohub.verbosity"])


def progress_enabled() -> bool:
    """Progress bars only when a person watches (stderr is a terminal)."""
    return sys.stderr.isatty()


class Vocabulary(click.Choice):
    """A click choice read from its vocabulary's one home each time it is used (parsing, --help,
    completion), so the CLI offers exactly what the core accepts: an entry added there (a level,
    a mode, a page size ...) is offered here with no CLI change. ``home`` is ``"module:NAME"``
    (imported when first needed, so ``geohub --help`` stays light) or a callable."""

    def __init__(self, home, *, case_sensitive: bool = True, extra: tuple[str, ...] = ()):
        self._home, self._extra = home, tuple(extra)
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        if callable(self._home):
            values = self._home()
        else:
            module, name = self._home.split(":")
            values = getattr(importlib.import_module(module), name)
        return (*self._extra, *values)

    @choices.setter
    def choices(self, _ignored) -> None:  # click.Choice.__init__ assigns it; the home decides
        pass


def level_type() -> click.Choice:
    return Vocabulary(level_names, case_sensitive=False)
