"""The ``geohub`` click group (Flask's CLI) and helpers shared by the command modules."""
from __future__ import annotations

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


cli = GeohubGroup(
    create_app=lambda: create_app(),
    add_default_commands=False,
    add_version_option=False,
    help="geohub: boundaries and indicators for England's overlapping governance geographies.\n\n"
         "Settings come from the environment:\n\n" + settings.help_text().replace("\n", "\n\n"),
)
cli = click.version_option(__version__, prog_name="geohub")(cli)


def progress_enabled() -> bool:
    """Progress bars only when a person watches (stderr is a terminal)."""
    return sys.stderr.isatty()


def level_type() -> click.Choice:
    return click.Choice(level_names(), case_sensitive=False)
