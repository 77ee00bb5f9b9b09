"""Rendering helpers shared by the pages and the embeds: a request's map data and rendered parts,
the parts made ready for a template (CSP nonces, Folium's conflicting <meta> elements removed), and
the URLs a rendered map loads (static assets, display TopoJSON)."""
from __future__ import annotations

import re

from flask import current_app, url_for
from markupsafe import Markup

from geohub.maps.choropleth import render_map
from geohub.maps.model import MapRequest
from geohub.web.caching import topology_artifact
from geohub.web.resources import map_builder
from geohub.web.security import with_nonce


def tiles():
    """The configured base map (GEOHUB_TILES) with its attribution, or None."""
    url = current_app.config.get("GEOHUB_TILES")
    return (url, "Base map © its provider") if url else None


def topology_url(level, vintage):
    """The content-addressed URL of a level's display TopoJSON (built once for all workers)."""
    return url_for("artifacts.artifact", name=topology_artifact(level, vintage).name)


def static_url():
    return url_for("static", filename="")


# Folium's header declares the charset again and a viewport that forbids zooming
# (maximum-scale=1.0, user-scalable=no: WCAG 1.4.4); our pages declare both themselves.
_FOLIUM_METAS = re.compile(r"<meta\s+(?:http-equiv=\"content-type\"|name=\"viewport\")[^>]*>",
                           re.IGNORECASE)


def page_head(header: str) -> str:
    """Folium's header without its charset and viewport <meta> elements."""
    return _FOLIUM_METAS.sub("", header)


def page_parts(parts, nonce: str | None = None):
    """A rendered map's parts for a template, with CSP nonces on Folium's scripts and styles, and
    without Folium's own charset and (zoom-forbidding) viewport declarations."""
    return {"header": Markup(with_nonce(page_head(parts.header), nonce)), "html": Markup(parts.html),
            "script": Markup(with_nonce(parts.script, nonce)), "legend": Markup(parts.legend)}


def rendered_map(req: MapRequest):
    """(MapData, rendered map parts) for a request: the expensive part of a map page."""
    data = map_builder().build(req)
    return data, render_map(data, topology_url=topology_url, static_url=static_url(), tiles=tiles())
