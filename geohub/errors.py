"""Exceptions that carry a user-facing message, a hint saying what to do, and an HTTP status.

Core code raises these; the CLI prints ``str(error)`` and exits non-zero, the web layer turns them into
responses with ``error.status``. Nothing here knows about Flask or click.
"""
from __future__ import annotations


class GeohubError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` what to do about it."""

    status = 400

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

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
