"""``/maps/<indicator>.<format>``: a map as an image, document or data file, in every format of
the renderer registry (geohub.maps.renderers), made once per map state and store revision for
every worker."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from geohub.errors import InputError, NotFound
from geohub.maps.context import map_context
from geohub.maps.model import MapRequest
from geohub.maps.renderers import RENDERERS, Renderer, export, filename
from geohub.maps.static_render import PrintOptions
from geohub.settings import geojson_precision
from geohub.web.artifacts import serve_artifact
from geohub.web.caching import cached, canonical, topology_artifact
from geohub.web.resources import app_cache, map_builder
from geohub.web.urls import absolute_url, public_base, request_origin

bp = Blueprint("exports", __name__)

DPI_PRESETS = (96, 150, 300, 600)   # each dpi is a separate render and artifact: a few only


def download_formats() -> list[Renderer]:
    """The formats the map page offers for download, in the registry's order."""
    return list(RENDERERS.values())


def _topology(level, vintage):
    return topology_artifact(level, vintage).read()


@bp.get("/maps/<indicator>.<fmt>")
def export_map(indicator, fmt):
    """The map's image, document or data, named for what it contains; made once per state and
    store revision for every worker, with its content-addressed URL as the canonical link."""
    shape = RENDERERS.get(fmt)
    if shape is None:
        raise NotFound(f"geohub does not export {fmt!r}.", f"Formats: {', '.join(RENDERERS)}.")
    req = canonical(MapRequest.from_args(indicator, request.args))
    options = PrintOptions.from_args(request.args) if shape.image else PrintOptions()
    if options.dpi not in DPI_PRESETS:
        raise InputError(f"dpi={options.dpi} is not offered.",
                         f"Use one of {', '.join(map(str, DPI_PRESETS))} (or dpi=screen).")
    precision = geojson_precision(current_app.config)
    # The origin is in the file (its link back): part of the key only when not configured.
    params = (req, fmt, options, None if public_base() else request_origin(), precision)

    def make():
        builder = map_builder()
        data = builder.build(req)
        context = map_context(builder, data) if shape.image else None
        link = absolute_url("pages.map_page", indicator=indicator, **data.request.query(
            level=data.level, vintage=data.vintage, period=data.period))
        artifact = cached("export", params, f".{fmt}",
                          lambda: export(data, fmt, options, link=link, topology=_topology,
                                         context=context, precision=precision, in_child=True).body)
        return artifact, filename(data, fmt, options)
    # Made again if its file went (a pruned cache folder), as cached() does for its own entries.
    artifact, name = app_cache().get(("export", params), make,
                                     valid=lambda made: made[0].path.exists())
    return serve_artifact(artifact, **{"Content-Disposition": f'{shape.disposition}; filename="{name}"'})
