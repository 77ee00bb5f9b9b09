"""Exports of a map: one MapData, many renderers (PNG, SVG, PDF, self-contained HTML, CSV,
GeoJSON). A new format is a new renderer here, not a new view. No Flask.

The drawing stack (matplotlib for images, folium for HTML) is imported by the renderers that draw,
so a CSV or GeoJSON export (``geohub export --format csv``) never pays for it.
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from markupsafe import Markup

from geohub.errors import InputError
from geohub.indicators.values import flag_meaning
from geohub.io.geojson import DEFAULT_PRECISION, feature_collection
from geohub.maps.classify import DEFAULT_K, DEFAULT_SCHEME
from geohub.io.csv import write_csv
from geohub.maps.model import MapData
from geohub.maps.palettes import DEFAULT_PALETTE

if TYPE_CHECKING:
    from geohub.maps.context import MapContext
    from geohub.maps.static_render import PrintOptions

MIMETYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
             "html": "text/html", "csv": "text/csv", "geojson": "application/geo+json"}
FORMATS = tuple(MIMETYPES)
_EXTERNAL = re.compile(r"<script\b[^>]*\bsrc=[^>]*>\s*</script>|<link\b[^>]*rel=\"?stylesheet[^>]*>",
                       re.IGNORECASE)


@dataclass
class Export:
    body: bytes
    mimetype: str
    filename: str


def filename(data: MapData, fmt: str, options: PrintOptions | None = None) -> str:
    """What the file contains, so two different figures never share a name: indicator, level,
    vintage, period; for aggregated maps the mode and weight; the classification (scheme, k or
    breaks) and palette when not the defaults (not for CSV, which has no colours); overlays on
    pictures; the size (and resolution) of images, and their labels when not automatic."""
    req = data.request
    parts = [data.indicator["id"], data.level, str(data.vintage), data.period]
    if data.aggregation:
        parts.append(data.aggregation.get("mode") or req.mode)
        weight = data.aggregation.get("weight") or req.weight
        if weight:
            parts.append(f"weight-{weight}")
    if fmt != "csv":   # the CSV holds values only: classes, colours and overlays do not show
        if req.breaks:
            parts.append("breaks-" + "-".join(f"{b:g}" for b in req.breaks))
        elif (req.scheme, req.k) != (DEFAULT_SCHEME, DEFAULT_K):
            parts.append(f"{req.scheme}-k{req.k}")
        if req.palette != DEFAULT_PALETTE:
            parts.append(req.palette)
    if req.overlays and fmt in ("png", "svg", "pdf", "html"):
        parts.append("with-" + "-".join(req.overlays))
    if options is not None and fmt in ("png", "svg", "pdf"):
        parts.append(options.size + (f"-{options.dpi}dpi" if fmt == "png" else ""))
        if options.labels != "auto":
            parts.append(f"labels-{options.labels}")
    stem = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", p).strip("-") for p in parts)
    return f"{stem}.{fmt}"


def _trace_text(data: MapData) -> pd.Series | None:
    if not data.aggregation:
        return None
    trace = data.aggregation["trace"]
    return trace.groupby("target_code").apply(
        lambda g: "; ".join(f"{s}:{share:.6g}" for s, share in zip(g["source_code"], g["share"])),
        include_groups=False)


def published_values(data: MapData) -> pd.Series:
    """Values as a person reads them: whole counts as integers (nullable), rates rounded to their
    source's precision (one decimal for percentages)."""
    values = data.table["value"].astype(float)
    decimals = data.decimals
    if decimals is not None:
        return values.round(decimals)
    present = values.dropna()
    if data.kind == "count" and (present == present.round()).all():
        return values.round().astype("Int64")
    return values


def provenance(data: MapData) -> dict[str, object]:
    """What every row of an export carries about how its figure was made."""
    a = data.aggregation or {}
    parts = a.get("parts") or {}
    return {"indicator": data.indicator["id"], "title": data.title, "unit": data.unit,
            "kind": data.kind, "source": data.indicator.get("source"),
            "licence": data.indicator.get("licence"), "boundaries": "; ".join(data.attribution),
            "method": a.get("method", "stored"), "mode": a.get("mode"),
            "aggregated_from": f"{a['from_level']} {a['from_vintage']}" if a else None,
            "weight": a.get("weight"), "weight_period": a.get("weight_period"),
            "numerator": parts.get("numerator"), "denominator": parts.get("denominator")}


def to_csv(data: MapData) -> bytes:
    """One row per area: code, name, value (as published: integers for whole counts, rates
    rounded), ci95, flag and its meaning, why a value is missing, then period, level, vintage and
    the provenance columns (indicator, title, unit, kind, source, licence, boundaries, method,
    mode, aggregated_from, weight, weight_period, numerator, denominator); ``value_full`` keeps a
    rounded rate's full precision, and ``built_from`` lists each aggregated figure's sources and
    shares. Plain columns, so pandas and Excel read it as a table."""
    values = published_values(data)
    frame = pd.DataFrame({"code": data.table["code"], "name": data.table["name"], "value": values})
    if data.decimals is not None:
        frame["value_full"] = data.table["value"].astype(float)
    ci = data.table["ci95"].astype(float)
    frame["ci95"] = ci.round(data.decimals if data.decimals is not None else 0)
    frame["flag"] = data.table["flag"]
    frame["flag_meaning"] = data.table["flag"].map(flag_meaning)
    frame["note"] = data.table["note"]
    frame["period"], frame["level"], frame["vintage"] = data.period, data.level, data.vintage
    for key, value in provenance(data).items():
        frame[key] = value
    trace = _trace_text(data)
    if trace is not None:
        frame["built_from"] = frame["code"].map(trace)
    buffer = io.StringIO()
    write_csv(frame, buffer, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def to_geojson(data: MapData, precision: int = DEFAULT_PRECISION) -> bytes:
    """The areas in lon/lat (RFC 7946: right-hand rule, ``precision`` decimals) with value (as
    published), ci95, flag and its meaning, why a value is missing, class and colour; ``geohub``
    carries the map's metadata and provenance."""
    shown = data.table[["code", "name", "flag", "geometry"]]
    classes = data.classification.classes
    values = published_values(data)
    shown = shown.assign(value=[None if pd.isna(v) else (int(v) if isinstance(v, (int, np.integer)) else float(v))
                                for v in values],
                         ci95=[None if pd.isna(c) else float(c) for c in data.table["ci95"]],
                         flag_meaning=data.table["flag"].map(flag_meaning).to_numpy(),
                         note=[n if isinstance(n, str) else None for n in data.table["note"]],
                         period=data.period, **{"class": classes},
                         colour=[data.colours[c] if c >= 0 else None for c in classes])
    body = feature_collection(shown, precision)
    body["geohub"] = {"indicator": data.indicator["id"], "title": data.title, "unit": data.unit,
                      "level": data.level, "vintage": data.vintage, "period": data.period,
                      "breaks": list(data.classification.bins), "source": data.source_line,
                      "attribution": data.attribution, "how_built": data.how_built(),
                      **{k: v for k, v in provenance(data).items() if k not in ("indicator", "title", "unit")}}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _inline_js(text: str) -> Markup:
    return Markup(text.replace("</script", "<\\/script"))


def to_html(data: MapData, link: str | None = None,
            topology: Callable[[str, int], bytes] | None = None) -> bytes:
    """A single HTML file that works offline: scripts, styles and boundaries inlined."""
    from geohub.maps.assets import STATIC_DIR, inline_assets
    from geohub.maps.choropleth import _TEMPLATES, MAP_ASSETS, render_map
    from geohub.maps.display import display_topology

    def topology_data(level, vintage):
        if topology is not None:
            return json.loads(topology(level, vintage))
        areas = data.table if level == data.level else data.overlay_areas[level]
        return json.loads(display_topology(areas, level))

    parts = render_map(data, topology_data=topology_data, static_url="/static")
    header = _EXTERNAL.sub("", parts.header)
    assets = inline_assets(MAP_ASSETS)
    styles = [a.text for a in assets if a.kind == "css"] + [(STATIC_DIR / "geohub.css").read_text()]
    scripts = [a.text for a in assets if a.kind == "js"] + [(STATIC_DIR / "geohub-map.js").read_text()]
    page = _TEMPLATES.get_template("standalone.html").render(
        data=data, header=Markup(header), body=Markup(parts.html), legend=Markup(parts.legend),
        script=Markup(parts.script), styles=[Markup(s) for s in styles],
        scripts=[_inline_js(s) for s in scripts], link=link)
    return page.encode("utf-8")


def export(data: MapData, fmt: str, options: PrintOptions | None = None, *, link: str | None = None,
           topology=None, context: MapContext | None = None,
           precision: int = DEFAULT_PRECISION, in_child: bool = False) -> Export:
    """The map in ``fmt``; InputError for a format geohub does not export. ``context`` (from
    maps.context.map_context) is the country drawn around print maps; ``precision`` the decimals
    of GeoJSON coordinates. ``in_child``: draw PNG, SVG and PDF in this process's low-priority
    drawing process (maps/render_process.py: what a server does, so drawing never holds its GIL),
    not in the calling thread; the bytes are the same."""
    if fmt not in MIMETYPES:
        raise InputError(f"geohub does not export {fmt!r}.", f"Formats: {', '.join(FORMATS)}.")
    if fmt in ("png", "svg", "pdf"):
        from geohub.maps import static_render
        options = options or static_render.PrintOptions()
        if in_child:
            from geohub.maps.render_process import render_in_child
            body = render_in_child(data, fmt, options, context)
        else:
            body = static_render.render(data, fmt, options, context)
    elif fmt == "html":
        body = to_html(data, link, topology)
    elif fmt == "csv":
        body = to_csv(data)
    else:
        body = to_geojson(data, precision)
    return Export(body, MIMETYPES[fmt], filename(data, fmt, options))
