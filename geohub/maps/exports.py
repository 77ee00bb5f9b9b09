"""Exports of a map: one MapData, many renderers (PNG, SVG, PDF, self-contained HTML, CSV,
GeoJSON). A new format is a new renderer here, not a new view. No Flask."""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from markupsafe import Markup

from geohub.errors import InputError
from geohub.indicators.values import flag_meaning
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
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def to_geojson(data: MapData) -> bytes:
    """The areas in lon/lat (RFC 7946) with value (as published), ci95, flag and its meaning, why
    a value is missing, class and colour; ``geohub`` carries the map's metadata and provenance."""
    shown = data.table[["code", "name", "flag", "geometry"]].to_crs(4326)
    classes = data.classification.classes
    values = published_values(data)
    shown = shown.assign(value=[None if pd.isna(v) else (int(v) if isinstance(v, (int, np.integer)) else float(v))
                                for v in values],
                         ci95=[None if pd.isna(c) else float(c) for c in data.table["ci95"]],
                         flag_meaning=data.table["flag"].map(flag_meaning).to_numpy(),
                         note=[n if isinstance(n, str) else None for n in data.table["note"]],
                         period=data.period, **{"class": classes},
                         colour=[data.colours[c] if c >= 0 else None for c in classes])
    body = json.loads(shown.to_json(drop_id=True, na="null"))
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
