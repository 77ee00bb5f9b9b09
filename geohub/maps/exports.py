"""Exports of a map: one MapData, many renderers (PNG, SVG, PDF, self-contained HTML, CSV,
GeoJSON). A new format is a new renderer here, not a new view. No Flask."""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from geohub.errors import InputError
from geohub.io.csv import write_csv
from geohub.maps import static_render
from geohub.maps.assets import STATIC_DIR, inline_assets
from geohub.maps.choropleth import _TEMPLATES, MAP_ASSETS, render_map
from geohub.maps.display import display_topology
from geohub.maps.model import MapData
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
    """What the file contains: indicator, level, vintage, period (and size for images)."""
    parts = [data.indicator["id"], data.level, str(data.vintage), data.period]
    if options is not None and fmt in ("png", "svg", "pdf"):
        parts.append(options.size + (f"-{options.dpi}dpi" if fmt == "png" else ""))
    stem = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", p).strip("-") for p in parts)
    return f"{stem}.{fmt}"


def _trace_text(data: MapData) -> pd.Series | None:
    if not data.aggregation:
        return None
    trace = data.aggregation["trace"]
    return trace.groupby("target_code").apply(
        lambda g: "; ".join(f"{s}:{share:.6g}" for s, share in zip(g["source_code"], g["share"])),
        include_groups=False)


def to_csv(data: MapData) -> bytes:
    """code, name, value, flag, period, level, vintage (and the trace when aggregated)."""
    frame = pd.DataFrame({"code": data.table["code"], "name": data.table["name"],
                          "value": data.table["value"], "flag": data.table["flag"],
                          "period": data.period, "level": data.level, "vintage": data.vintage})
    trace = _trace_text(data)
    if trace is not None:
        frame["trace"] = frame["code"].map(trace)
        frame["mode"] = data.aggregation["mode"]
        frame["method"] = data.aggregation["method"]
    buffer = io.StringIO()
    write_csv(frame, buffer, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def to_geojson(data: MapData) -> bytes:
    """The areas in lon/lat (RFC 7946) with value, flag, class and colour."""
    shown = data.table[["code", "name", "value", "flag", "geometry"]].to_crs(4326)
    classes = data.classification.classes
    shown = shown.assign(period=data.period, **{"class": classes},
                         colour=[data.colours[c] if c >= 0 else None for c in classes])
    body = json.loads(shown.to_json(drop_id=True, na="null"))
    body["geohub"] = {"indicator": data.indicator["id"], "title": data.title, "unit": data.unit,
                      "level": data.level, "vintage": data.vintage, "period": data.period,
                      "breaks": list(data.classification.bins), "source": data.source_line,
                      "attribution": data.attribution}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _inline_js(text: str) -> Markup:
    return Markup(text.replace("</script", "<\\/script"))


def to_html(data: MapData, link: str | None = None,
            topology: Callable[[str, int], bytes] | None = None) -> bytes:
    """A single HTML file that works offline: scripts, styles and boundaries inlined."""
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
           topology=None) -> Export:
    """The map in ``fmt``; InputError for a format geohub does not export."""
    if fmt not in MIMETYPES:
        raise InputError(f"geohub does not export {fmt!r}.", f"Formats: {', '.join(FORMATS)}.")
    options = options or PrintOptions()
    if fmt in ("png", "svg", "pdf"):
        body = static_render.render(data, fmt, options)
    elif fmt == "html":
        body = to_html(data, link, topology)
    elif fmt == "csv":
        body = to_csv(data)
    else:
        body = to_geojson(data)
    return Export(body, MIMETYPES[fmt], filename(data, fmt, options))
