"""Exports and embeds: ``/maps/<indicator>.<format>``, ``/embed/maps/<indicator>`` and oEmbed.

Embeds are the only pages other sites may frame: any site by default (they are read-only), or
only the origins listed in GEOHUB_FRAME_ANCESTORS (web/security.py); they set no cookies.
"""
from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from markupsafe import escape
from werkzeug.routing import Map as UrlMap
from werkzeug.routing import Rule

from geohub.errors import GeohubError, InputError, NotFound
from geohub.maps.context import map_context
from geohub.maps.exports import FORMATS, export
from geohub.maps.exports import filename as export_filename
from geohub.maps.model import MapRequest
from geohub.maps.static_render import PrintOptions
from geohub.settings import geojson_precision
from geohub.web.cached import (NONCE_PLACEHOLDER, ORIGIN_PLACEHOLDER, absolute_url, cached,
                               cached_page, canonical, external_url, public_base, request_origin,
                               serve_artifact, topology_artifact)
from geohub.web.pages import page_parts, rendered_map
from geohub.web.security import embed_partners
from geohub.web.resources import app_cache, map_builder

bp = Blueprint("embeds", __name__)

EMBED_WIDTH, EMBED_HEIGHT = 800, 600
OEMBED_BOUNDS = (200, 2000)   # px: the least and most oEmbed answers for maxwidth/maxheight
DPI_PRESETS = (96, 150, 300, 600)


def _topology(level, vintage):
    return topology_artifact(level, vintage).read()


@bp.get("/maps/<indicator>.<fmt>")
def export_map(indicator, fmt):
    """The map's image, document or data, named for what it contains; made once per state and
    store revision for every worker, with its content-addressed URL as the canonical link."""
    if fmt not in FORMATS:
        raise NotFound(f"geohub does not export {fmt!r}.", f"Formats: {', '.join(FORMATS)}.")
    req = canonical(MapRequest.from_args(indicator, request.args))
    options = PrintOptions.from_args(request.args) if fmt in ("png", "svg", "pdf") else PrintOptions()
    if options.dpi not in DPI_PRESETS:   # each dpi is a separate render and artifact: a few only
        raise InputError(f"dpi={options.dpi} is not offered.",
                         f"Use one of {', '.join(map(str, DPI_PRESETS))} (or dpi=screen).")
    precision = geojson_precision(current_app.config)
    # The origin is in the file (its link back): part of the key only when not configured.
    params = (req, fmt, options, None if public_base() else request_origin(), precision)

    def make():
        builder = map_builder()
        data = builder.build(req)
        context = map_context(builder, data) if fmt in ("png", "svg", "pdf") else None
        link = absolute_url("pages.map_page", indicator=indicator, **data.request.query(
            level=data.level, vintage=data.vintage, period=data.period))
        artifact = cached("export", params, f".{fmt}",
                          lambda: export(data, fmt, options, link=link, topology=_topology,
                                         context=context, precision=precision,
                                         in_child=True).body)
        return artifact, export_filename(data, fmt, options)
    # Made again if its file went (a pruned cache folder), as cached() does for its own entries.
    artifact, filename = app_cache().get(("export", params), make,
                                         valid=lambda made: made[0].path.exists())
    disposition = "inline" if fmt in ("png", "svg", "pdf") else "attachment"
    return serve_artifact(artifact, **{"Content-Disposition": f'{disposition}; filename="{filename}"'})


def embed_code(indicator: str, query: dict, title: str) -> dict:
    """Copy-ready embed HTML: an iframe, and the optional script that keeps its height right."""
    src = external_url("embeds.embed_map", indicator=indicator, **query)
    iframe = (f'<iframe src="{escape(src)}" title="{escape(title)} (geohub map)" loading="lazy" '
              f'width="100%" height="{EMBED_HEIGHT}" style="border:0" allowfullscreen></iframe>')
    script_src = external_url("static", filename="geohub-embed.js")
    script = f'<script src="{escape(script_src)}" async></script>'
    # Who may frame it (the map page's cache key includes this, web/pages.py).
    return {"iframe": iframe, "script": script, "src": src, "partners": embed_partners(current_app)}


@bp.get("/embed/maps/<indicator>")
def embed_map(indicator):
    """The map alone, filling its iframe, with legend and attribution kept visible."""
    req = canonical(MapRequest.from_args(indicator, request.args))

    def render():
        data, parts = rendered_map(req)
        full = url_for("pages.map_page", indicator=indicator, **data.request.query(
            level=data.level, vintage=data.vintage, period=data.period))
        return render_template("embed.html", data=data, map=page_parts(parts, NONCE_PLACEHOLDER),
                               full=full)
    response = cached_page("embed-page", req, render)
    response.headers["X-Geohub-Embed"] = "1"   # tells the security headers to allow partners
    return response


_MAP_URLS = UrlMap([Rule("/maps/<indicator>", endpoint="map"),
                    Rule("/embed/maps/<indicator>", endpoint="map")])


@bp.get("/oembed")
def oembed():
    """oEmbed (https://oembed.com) for map URLs of this site: a ``rich`` response with an iframe."""
    url, fmt = request.args.get("url"), request.args.get("format", "json")
    if fmt != "json":
        raise GeohubError(f"oEmbed format {fmt!r} is not implemented.", "Use format=json.", status=501)
    if not url:
        raise InputError("oEmbed needs the url of a map.", "E.g. /oembed?url=https://host/maps/pop.")
    parts = urlsplit(url)
    origin = request_origin()
    if parts.netloc and parts.netloc != urlsplit(origin).netloc:
        raise NotFound(f"{url[:80]} is not a map on this site.", f"Map URLs start with {origin}/maps/.")
    try:
        _, args = _MAP_URLS.bind("localhost").match(parts.path)
    except Exception as exc:  # werkzeug's NotFound/MethodNotAllowed
        raise NotFound(f"{url} is not a map URL.", "Map URLs look like /maps/<indicator>?level=...") from exc
    query = dict(parse_qsl(parts.query))
    req = canonical(MapRequest.from_args(args["indicator"], query))
    width, height = oembed_size(request.args.get("maxwidth"), request.args.get("maxheight"))
    data = map_builder().build(req)
    code = embed_code(req.indicator, data.request.query(level=data.level, vintage=data.vintage,
                                                         period=data.period), data.title)
    html = code["iframe"].replace(ORIGIN_PLACEHOLDER, origin).replace('width="100%"', f'width="{width}"').replace(
        f'height="{EMBED_HEIGHT}"', f'height="{height}"')
    payload = {"version": "1.0", "type": "rich", "html": html, "width": width, "height": height,
               "title": data.title, "provider_name": "geohub", "provider_url": origin + "/",
               "cache_age": 3600}
    return jsonify(payload)


def _max_pixels(name: str, raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name}={raw!r} is not a positive number of pixels.",
                         f"Use e.g. {name}=600, or leave it out for {EMBED_WIDTH} x {EMBED_HEIGHT}.")
    return min(max(value, OEMBED_BOUNDS[0]), OEMBED_BOUNDS[1])


def oembed_size(maxwidth: str | None, maxheight: str | None) -> tuple[int, int]:
    """The embed's (width, height): the map's aspect ratio, as large as fits in the consumer's
    maxwidth x maxheight (each clamped to OEMBED_BOUNDS); EMBED_WIDTH x EMBED_HEIGHT if neither is
    given. InputError for a value that is not a positive number."""
    w, h = _max_pixels("maxwidth", maxwidth), _max_pixels("maxheight", maxheight)
    if w is None and h is None:
        return EMBED_WIDTH, EMBED_HEIGHT
    ratio = EMBED_WIDTH / EMBED_HEIGHT
    width = min(w if w is not None else math.inf, h * ratio if h is not None else math.inf)
    return int(width), int(width / ratio)


def oembed_link(indicator: str, query: dict) -> str:
    page = external_url("pages.map_page", indicator=indicator, **query)
    return external_url("embeds.oembed") + "?" + urlencode({"url": page, "format": "json"})
