"""What a map's data exports are made of: the CSV, GeoJSON and self-contained HTML writers, and
the values and provenance every export carries. One MapData, many renderers: the formats and how
each is made are registered in ``geohub.maps.renderers`` (a new format is one entry there, not a new
view). No Flask.

The drawing stack (folium for HTML here, matplotlib in maps/static_render.py for images) is
imported by the writers that draw, so a CSV or GeoJSON export (``geohub export --format csv``)
never pays for it.
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from markupsafe import Markup

from geohub.indicators.values import flag_meaning
from geohub.io.geojson import DEFAULT_PRECISION, feature_collection
from geohub.io.csv import write_csv
from geohub.maps.model import MapData

_EXTERNAL = re.compile(r"<script\b[^>]*\bsrc=[^>]*>\s*</script>|<link\b[^>]*rel=\"?stylesheet[^>]*>",
                       re.IGNORECASE)


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
