"""Errors as responses: JSON for the API, a page for people; the server keeps serving."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geohub.errors import Busy, GeohubError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/oembed"


def register_error_handlers(app) -> None:
    @app.errorhandler(GeohubError)
    def geohub_error(error: GeohubError):
        # A refusal (bad input, unknown area) is routine; a GeohubError with a 5xx status is ours.
        log.log(logging.ERROR if error.status >= 500 else logging.INFO, "Refused %s %s: %s %s",
                request.method, request.full_path.rstrip("?"), error.status, error.message)
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Busy) else {}
        if _wants_json():
            return jsonify(error.to_dict()), error.status, headers
        return render_template("error.html", status=error.status, message=error.message,
                               hint=error.hint), error.status, headers

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            return jsonify({"status": error.code, "error": error.name,
                            "message": error.description, "hint": None}), error.code
        return render_template("error.html", status=error.code, message=error.name,
                               hint=error.description), error.code
