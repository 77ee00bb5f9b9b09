"""Responses with validators: an ETag from the content, conditional GETs answered with 304."""
from __future__ import annotations

import hashlib
import json

from flask import Response, request


def etagged(body: bytes | str, mimetype: str, max_age: int = 300) -> Response:
    """``body`` with a strong ETag (its hash) and Cache-Control; 304 when the client has it."""
    data = body.encode() if isinstance(body, str) else body
    response = Response(data, mimetype=mimetype)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response.make_conditional(request)


def json_body(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


def _default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
