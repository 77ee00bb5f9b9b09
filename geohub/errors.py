"""Exceptions that carry a user-facing message, a hint saying what to do, and an HTTP status.

Core code raises these; the CLI prints ``str(error)`` and exits non-zero, the web layer turns them into
responses with ``error.status``. Nothing here knows about Flask or click.
"""
from __future__ import annotations

import re

# Core messages name the options a user gives as «name» or «name=value» (written with option()),
# never as a CLI flag or a URL parameter: each edge renders them in its own terms, the CLI as
# --name (--name value), the web as the parameter name (name=value).
_OPTION = re.compile("\u00ab([a-z][a-z0-9-]*)(?:=([^\u00bb]*))?\u00bb")


def option(name: str, value: str | None = None) -> str:
    """How a core message names an input the user gives, optionally with a value: rendered
    ``--name value`` by the CLI and ``name=value`` on the web."""
    return f"\u00ab{name}\u00bb" if value is None else f"\u00ab{name}={value}\u00bb"


def for_cli(text: str | None) -> str | None:
    """``text`` with its options as command-line flags (--name, --name value)."""
    def flag(m):
        return f"--{m.group(1)}" + (f" {m.group(2)}" if m.group(2) is not None else "")
    return None if text is None else _OPTION.sub(flag, text)


def for_web(text: str | None) -> str | None:
    """``text`` with its options as the parameters a web user sets (name, name=value)."""
    def parameter(m):
        name = m.group(1).replace("-", "_")
        return name + (f"={m.group(2)}" if m.group(2) is not None else "")
    return None if text is None else _OPTION.sub(parameter, text)


class GeohubError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` what to do about it."""

    status = 400

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None):
        super().__init__(message)
        self.raw_message = message   # options marked «name» (see option())
        self.raw_hint = hint
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """What is wrong, in a web user's words (options as parameter names)."""
        return for_web(self.raw_message)

    @property
    def hint(self) -> str | None:
        """What to do about it, in a web user's words."""
        return for_web(self.raw_hint)

    def __str__(self) -> str:
        """Message and hint as the command line says them (options as --flags)."""
        text = f"{self.raw_message} {self.raw_hint}" if self.raw_hint else self.raw_message
        return for_cli(text)

    def to_dict(self) -> dict:
        return {"status": self.status, "error": type(self).__name__, "message": self.message,
                "hint": self.hint}


class InputError(GeohubError):
    """The user's file, argument or query is wrong."""


class UnsupportedFormat(InputError):
    """A file whose format geohub cannot read."""


class NotFound(GeohubError):
    """A level, vintage, area, indicator or file that does not exist."""

    status = 404


class Conflict(GeohubError):
    """A request that contradicts what the store holds."""

    status = 409


class StoreError(GeohubError):
    """The store cannot be opened or written."""

    status = 500


class Busy(GeohubError):
    """The server is at its limit for now; the request may be retried after ``retry_after`` s."""

    status = 503
    retry_after = 5


class SourceError(GeohubError):
    """A remote source (ONS portal, Nomis, a mirror) failed or answered nonsense."""

    status = 502
