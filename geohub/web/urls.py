"""URLs of this site for responses and cached output: the configured public base, absolute URLs,
and the origin placeholder that keeps the requester's Host out of every cache (``cached_page``
fills it in per response)."""
from __future__ import annotations

from flask import current_app, request, url_for

ORIGIN_PLACEHOLDER = "__geohub_origin__"


def public_base() -> str | None:
    """The configured public base URL (GEOHUB_PUBLIC_URL, else SERVER_NAME), without a slash."""
    url = current_app.config.get("GEOHUB_PUBLIC_URL")
    if not url and current_app.config.get("SERVER_NAME"):
        scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
        url = f"{scheme}://{current_app.config['SERVER_NAME']}"
    return url.rstrip("/") if url else None


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for cached output: on the configured public base, else on a placeholder
    that ``cached_page`` fills with this response's own origin (so no Host enters a cache)."""
    path = url_for(endpoint, **values)
    base = public_base()
    if base:
        return base + path[len(request.script_root):]
    return ORIGIN_PLACEHOLDER + path


def request_origin() -> str:
    """This response's origin: the configured public base, else the request's own."""
    return public_base() or request.host_url.rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL for this response only (not for cached pages: see ``external_url``)."""
    return external_url(endpoint, **values).replace(ORIGIN_PLACEHOLDER, request_origin())
