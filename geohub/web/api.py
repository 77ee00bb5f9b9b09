"""The JSON API: levels, areas (GeoJSON, RFC 7946), display topology, indicators, overlaps and
point lookup. Errors come back as JSON with a status and a message."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, jsonify, request

from geohub.errors import InputError
from geohub.geography.levels import get_level, parse_vintage
from geohub.maps.model import MapRequest, nearest_year, level_choices
from geohub.overlaps import overlap_report
from geohub.overlaps.report import report_table
from geohub.web.cached import cached, serve_artifact, topology_artifact
from geohub.web.resources import app_cache, get_store, map_builder
from geohub.web.responses import etagged, json_body

bp = Blueprint("api", __name__, url_prefix="/api")


def vintage_arg(name: str = "vintage") -> int | None:
    """The year in query argument ``name``, or None when it is absent or empty."""
    value = request.args.get(name)
    return parse_vintage(value) if value else None


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


@bp.get("/levels")
def levels():
    sets = get_store().boundary_sets()
    out = []
    for choice in level_choices(get_store()):
        mine = [s for s in sets if s.level == choice["level"]]
        out.append({"level": choice["level"], "label": get_level(choice["level"]).label,
                    "vintages": choice["vintages"],
                    "sets": [{"vintage": s.vintage, "count": s.count, "multi_year": s.multi_year,
                              "first_year": s.first_year} for s in mine]})
    return jsonify(out)


@bp.get("/areas/<level>")
def areas(level):
    """GeoJSON (RFC 7946: lon/lat, no crs member) of a level's areas with code and name."""
    level = get_level(level).name
    year = get_store().resolve_set(level, vintage_arg())[1]   # one entry for no vintage and the newest

    def build():
        frame = map_builder().areas(level, year)
        shown = frame[["code", "name", "vintage", "geometry"]].to_crs(4326)
        data = json.loads(shown.to_json(drop_id=True, to_wgs84=True))
        return json_body(data)
    return etagged(app_cache().get(("geojson", level, year), build), "application/geo+json")


@bp.get("/topology/<level>")
def topology(level):
    """Display TopoJSON of a level and vintage: simplified with shared edges, quantised."""
    return serve_artifact(topology_artifact(get_level(level).name, vintage_arg()), max_age=3600)


@bp.get("/indicators")
def indicators():
    keep = ("id", "title", "unit", "kind", "source", "licence", "levels", "periods", "bridged_from")
    return jsonify([{k: m.get(k) for k in keep} for m in get_store().indicators()])


@bp.get("/indicators/<indicator_id>")
def indicator_values(indicator_id):
    """Values for a level, vintage and period; with the trace when they were aggregated. Built
    once per map state and store revision for every worker."""
    req = MapRequest.from_args(indicator_id, request.args)
    return serve_artifact(cached("api-indicator", req, ".json", lambda: _values_payload(req)),
                          max_age=60)


def _values_payload(req: MapRequest) -> bytes:
    from geohub.indicators.values import flag_meaning
    from geohub.maps.exports import provenance, published_values
    data = map_builder().build(req)
    shown = published_values(data)
    values = [{"code": r.code, "name": r.name, "value": _clean(v if not hasattr(v, "item") else v.item()),
               "ci95": _clean(r.ci95), "flag": r.flag, "flag_meaning": flag_meaning(r.flag),
               "note": r.note if isinstance(r.note, str) else None, "text": data.area_text(r)}
              for r, v in zip(data.table.itertuples(), shown.astype(object).where(shown.notna(), None))]
    payload = {"indicator": {k: data.indicator.get(k) for k in ("id", "title", "unit", "kind",
                                                                "source", "licence")},
               "level": data.level, "vintage": data.vintage, "period": data.period,
               "periods": data.periods, "values": values, "bridged": data.bridged,
               "provenance": provenance(data), "flags": data.flag_key()}
    if data.aggregation:
        agg = data.aggregation
        names = dict(zip(data.table["code"], data.table["name"]))
        sources = dict(zip(*map_builder().codes_names(agg["from_level"], agg["from_vintage"])))
        trace = agg["trace"].assign(target_name=lambda t: t["target_code"].map(names),
                                    source_name=lambda t: t["source_code"].map(sources))
        payload["aggregated"] = {
            "from_level": agg["from_level"], "from_vintage": agg["from_vintage"], "mode": agg["mode"],
            "method": agg["method"], "rule": agg["rule"], "notes": agg["notes"],
            "how_built": data.how_built(), "weight": agg["weight"], "weight_title": agg["weight_title"],
            "weight_period": agg["weight_period"], "parts": agg["parts"], "warnings": agg["warnings"],
            "ci_note": agg["ci_note"], "sliver_tolerance": agg["tolerance"],
            "counted_in_several": [{"code": c, "name": n, "in": t} for c, n, t in agg["shared"]],
            "trace": trace.replace({np.nan: None}).to_dict("records")}
    return json_body(payload)


def overlap_data(level_a: str, level_b: str, vintage_a=None, vintage_b=None) -> dict:
    """The overlap report of two stored levels (with names), shared by the API and the page."""
    builder = map_builder()
    a, b = get_level(level_a).name, get_level(level_b).name
    if a == b:
        raise InputError("An overlap needs two different levels.", "E.g. /overlaps/lad/lep.")
    _, yb = get_store().resolve_set(b, vintage_b)
    if vintage_a is None:  # the source's boundaries in force in yb, as map overlays pair levels
        years = builder.vintages(a)
        vintage_a = nearest_year(years, yb) if years else None
    _, ya = get_store().resolve_set(a, vintage_a)
    table = builder.relationship((a, ya), (b, yb))
    names_a = dict(zip(*builder.codes_names(a, ya)))
    names_b = dict(zip(*builder.codes_names(b, yb)))
    report = overlap_report(table, names_a, names_b, sources=list(names_a))
    report["levels"] = {"source": {"level": a, "vintage": ya}, "target": {"level": b, "vintage": yb}}
    report["table"] = report_table(report).to_dict("records")
    return report


@bp.get("/overlaps/<level_a>/<level_b>")
def overlaps(level_a, level_b):
    report = overlap_data(level_a, level_b, vintage_arg("vintage_a"), vintage_arg("vintage_b"))
    return etagged(json_body(report), "application/json", max_age=60)


class PointIndex:
    """Every stored area's bounding box in one rtree index (built once per store revision), with
    exact containment checked by shapely."""

    def __init__(self, store):
        from rtree import index
        rows, boxes = [], []
        for s in store.boundary_sets():
            frame = store._read_areas(s.level, s.vintage, None, True).to_crs(4326)
            for row in frame.itertuples():
                if row.geometry is None or row.geometry.is_empty:
                    continue
                rows.append((row.code, row.name, s.level, s.vintage, row.start_year, row.end_year,
                             row.geometry))
                boxes.append(row.geometry.bounds)
        self.rows = rows
        bounds = np.asarray(boxes, dtype=float).reshape(-1, 4)
        self.index = index.Index((np.arange(len(rows)), bounds[:, :2], bounds[:, 2:]))
        shapely.prepare([r[6] for r in rows])

    def lookup(self, lon: float, lat: float) -> list[dict]:
        from geohub.overlaps.relate import SPATIAL_LOCK
        point = shapely.Point(lon, lat)
        with SPATIAL_LOCK:  # the index and the prepared geometries are shared by a worker's threads
            found = [self.rows[i] for i in self.index.intersection((lon, lat, lon, lat))
                     if self.rows[i][6].geom_type in ("Polygon", "MultiPolygon")
                     and self.rows[i][6].covers(point)]
        hits = [{"code": code, "name": name, "level": level, "set_vintage": vintage,
                 "valid_from": None if pd.isna(start) else int(start),
                 "valid_to": None if pd.isna(end) else int(end)}
                for code, name, level, vintage, start, end, _ in found]
        return sorted(hits, key=lambda h: (h["level"], h["set_vintage"], h["code"]))


@bp.get("/lookup")
def lookup():
    """Every area, at every level and vintage, that contains the point lat/lon."""
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError) as exc:
        raise InputError("lookup needs numbers lat and lon.", "E.g. /api/lookup?lat=53.48&lon=-2.24.") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError("lat/lon are out of range.", "lat in [-90, 90], lon in [-180, 180].")
    index = app_cache().get("point-index", lambda: PointIndex(get_store()))
    return jsonify({"lat": lat, "lon": lon, "areas": index.lookup(lon, lat)})


@bp.get("/health")
def health():
    """For load balancers: the store answers (and at which revision)."""
    return jsonify({"status": "ok", "revision": get_store().revision()})
