"""The export formats of a map, in one registry: a new format is one entry in ``RENDERERS``.

Everything that offers or serves a format reads this registry: ``export()`` (below), the web's
export route and artifact cache (web/exports.py, web/artifact_cache.py), the download links of the
map page and ``geohub export --format``. Each ``Renderer`` says what its files are (extension,
mimetype, how a browser should take them), what they show (print options, classes, overlays, so
file names say it) and how to make them (``render(data, inputs) -> bytes``).

This module imports no drawing stack: each render function imports what it draws with when it is
called, so ``geohub --help`` and a CSV export never pay for matplotlib or folium.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from geohub.errors import InputError

if TYPE_CHECKING:
    from geohub.maps.context import MapContext
    from geohub.maps.model import MapData
    from geohub.maps.static_render import PrintOptions


@dataclass(frozen=True)
class RenderInputs:
    """What a render function may use beside the map data. ``options``: page size, resolution
    and labels (images only); ``link``: the URL of the live map (HTML); ``topology(level,
    vintage) -> bytes``: display TopoJSON already built (HTML); ``context``: the country drawn
    around print maps (images); ``precision``: decimals of GeoJSON coordinates."""
    options: PrintOptions | None = None
    link: str | None = None
    topology: Callable[[str, int], bytes] | None = None
    context: MapContext | None = None
    precision: int | None = None   # None: geohub.io.geojson.DEFAULT_PRECISION
    # Draw images in this process's low-priority drawing process (maps/render_process.py: what a
    # server does, so drawing never holds its GIL), not in the calling thread; same bytes.
    in_child: bool = False


@dataclass(frozen=True)
class Renderer:
    """One export format. ``image``: a page drawn to a size (takes print options and the
    surrounding country); ``raster``: made of pixels, so its resolution (dpi) matters;
    ``classes``: shows the map's classes and colours; ``overlays``: draws the outline levels;
    ``disposition``: how browsers are told to take it; ``label``: its name in download links."""
    extension: str
    mimetype: str
    render: Callable[[MapData, RenderInputs], bytes]
    label: str
    image: bool = False
    raster: bool = False
    classes: bool = True
    overlays: bool = False
    disposition: Literal["inline", "attachment"] = "attachment"


def _static(fmt: str) -> Callable[[MapData, RenderInputs], bytes]:
    def render(data: MapData, inputs: RenderInputs) -> bytes:
        from geohub.maps import static_render
        options = inputs.options or static_render.PrintOptions()
        if inputs.in_child:
            from geohub.maps.render_process import render_in_child
            return render_in_child(data, fmt, options, inputs.context)
        return static_render.render(data, fmt, options, inputs.context)
    render.__name__ = f"render_{fmt}"
    return render


def _html(data: MapData, inputs: RenderInputs) -> bytes:
    from geohub.maps.exports import to_html
    return to_html(data, inputs.link, inputs.topology)


def _csv(data: MapData, inputs: RenderInputs) -> bytes:
    from geohub.maps.exports import to_csv
    return to_csv(data)


def _geojson(data: MapData, inputs: RenderInputs) -> bytes:
    from geohub.maps.exports import to_geojson
    return to_geojson(data) if inputs.precision is None else to_geojson(data, inputs.precision)


# In the order download links and help texts list them.
RENDERERS: dict[str, Renderer] = {r.extension: r for r in (
    Renderer("png", "image/png", _static("png"), "PNG", image=True, raster=True, overlays=True,
             disposition="inline"),
    Renderer("svg", "image/svg+xml", _static("svg"), "SVG", image=True, overlays=True,
             disposition="inline"),
    Renderer("pdf", "application/pdf", _static("pdf"), "PDF", image=True, overlays=True,
             disposition="inline"),
    Renderer("html", "text/html", _html, "HTML (works offline)", overlays=True),
    Renderer("csv", "text/csv", _csv, "CSV", classes=False),
    Renderer("geojson", "application/geo+json", _geojson, "GeoJSON"),
)}


def renderer(extension: str) -> Renderer:
    """The renderer of ``extension``; InputError naming the formats there are."""
    found = RENDERERS.get(extension)
    if found is None:
        raise InputError(f"geohub does not export {extension!r}.", f"Formats: {', '.join(RENDERERS)}.")
    return found


@dataclass
class Export:
    body: bytes
    mimetype: str
    filename: str


def filename(data: MapData, fmt: str, options: PrintOptions | None = None) -> str:
    """What the file contains, so two different figures never share a name: indicator, level,
    vintage, period; for aggregated maps the mode and weight; the classification (scheme, k or
    breaks) and palette when not the defaults (not for formats without colours, such as CSV);
    overlays where they are drawn; the size (and resolution) of images, and their labels when
    not automatic."""
    from geohub.maps.classify import DEFAULT_K, DEFAULT_SCHEME
    from geohub.maps.palettes import DEFAULT_PALETTE
    shape = renderer(fmt)
    req = data.request
    parts = [data.indicator["id"], data.level, str(data.vintage), data.period]
    if data.aggregation:
        parts.append(data.aggregation.get("mode") or req.mode)
        weight = data.aggregation.get("weight") or req.weight
        if weight:
            parts.append(f"weight-{weight}")
    if shape.classes:
        if req.breaks:
            parts.append("breaks-" + "-".join(f"{b:g}" for b in req.breaks))
        elif (req.scheme, req.k) != (DEFAULT_SCHEME, DEFAULT_K):
            parts.append(f"{req.scheme}-k{req.k}")
        if req.palette != DEFAULT_PALETTE:
            parts.append(req.palette)
    if req.overlays and shape.overlays:
        parts.append("with-" + "-".join(req.overlays))
    if options is not None and shape.image:
        parts.append(options.size + (f"-{options.dpi}dpi" if shape.raster else ""))
        if options.labels != "auto":
            parts.append(f"labels-{options.labels}")
    stem = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", p).strip("-") for p in parts)
    return f"{stem}.{fmt}"


def export(data: MapData, fmt: str, options: PrintOptions | None = None, *, link: str | None = None,
           topology=None, context: MapContext | None = None,
           precision: int | None = None, in_child: bool = False) -> Export:
    """The map in ``fmt``; InputError for a format geohub does not export. ``options`` are the
    print options of images (default: screen size); ``context`` (from maps.context.map_context)
    is the country drawn around print maps; ``precision`` the decimals of GeoJSON coordinates
    (None: geohub.io.geojson.DEFAULT_PRECISION); ``in_child``: draw images in the drawing process
    (maps/render_process.py), as servers do."""
    shape = renderer(fmt)
    if shape.image and options is None:
        from geohub.maps.static_render import PrintOptions
        options = PrintOptions()
    body = shape.render(data, RenderInputs(options, link, topology, context, precision, in_child))
    return Export(body, shape.mimetype, filename(data, fmt, options))
