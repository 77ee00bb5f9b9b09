"""Response headers that keep pages safe: a strict Content-Security-Policy with a per-response
nonce for the inline scripts and styles Folium writes, framing refused except for embeds, no
sniffing, a referrer policy.

Embeds (``/embed/...``) are read-only pages with no state-changing action and no cookies, so any
site may frame them (``frame-ancestors *``) unless the operator restricts them to a list of origins
with GEOHUB_FRAME_ANCESTORS. Every other page may be framed only by geohub itself."""
from __future__ import annotations

import re
import secrets

from flask import Flask, g, request

_TAG = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)


def csp_nonce() -> str:
    """This response's nonce (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def with_nonce(html: str, nonce: str | None = None) -> str:
    """``html`` (our own or Folium's output) with the nonce on every <script> and <style> tag
    (this response's, unless a placeholder is given for a page cached across responses)."""
    nonce = nonce or csp_nonce()
    return _TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', html)


def embed_partners(app: Flask) -> list[str]:
    """The origins GEOHUB_FRAME_ANCESTORS restricts embeds to; empty: any site may embed."""
    return (app.config.get("GEOHUB_FRAME_ANCESTORS") or "").split()


def frame_ancestors(app: Flask) -> str:
    """The frame-ancestors sources of an embed: ``*``, or 'self' and the listed partners."""
    partners = embed_partners(app)
    return " ".join(["'self'", *partners]) if partners else "*"


def content_security_policy(app: Flask, nonce: str, embed: bool = False) -> str:
    """The policy for an HTML response; only embeds may be framed by other sites."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:" + (" https:" if app.config.get("GEOHUB_TILES") else ""),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors " + (frame_ancestors(app) if embed else "'self'"),
    ])


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        embed = response.headers.pop("X-Geohub-Embed", None) is not None
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = content_security_policy(
                app, csp_nonce(), embed)
        if request.method in ("GET", "HEAD") and (request.path.startswith("/api/")
                                                  or request.path == "/oembed"):
            # Read-only data for partner scripts; no credentials are ever honoured.
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    app.jinja_env.globals["csp_nonce"] = csp_nonce
