"""The JSON API: levels, areas (GeoJSON, RFC 7946), display topology, indicators, overlaps and
point lookup. Errors come back as JSON with a status and a message."""
from __future__ import annotations

import math

import numpy as np
from flask import Blueprint, current_app, jsonify, request

from geohub.errors import InputError
from geohub.geography.levels import get_level, parse_vintage
from geohub.io.geojson import feature_collection
from geohub.maps.memberships import overlap_data
from geohub.maps.model import MapRequest, level_choices
from geohub.settings import geojson_precision
from geohub.web.artifacts import serve_artifact
from geohub.web.caching import cached, canonical, topology_artifact
from geohub.web.resources import app_cache, get_store, map_builder, point_index
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
        return json_body(feature_collection(frame[["code", "name", "vintage", "geometry"]], precision))
    precision = geojson_precision(current_app.config)  # one per app, as the cache is
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
    req = canonical(MapRequest.from_args(indicator_id, request.args))
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


@bp.get("/overlaps/<level_a>/<level_b>")
def overlaps(level_a, level_b):
    report = overlap_data(map_builder(), level_a, level_b, vintage_arg("vintage_a"),
                          vintage_arg("vintage_b"))
    return etagged(json_body(report), "application/json", max_age=60)


@bp.get("/lookup")
def lookup():
    """Every area, at every level and vintage, that contains the point lat/lon."""
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError) as exc:
        raise InputError("lookup needs numbers lat and lon.", "E.g. /api/lookup?lat=53.48&lon=-2.24.") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError("lat/lon are out of range.", "lat in [-90, 90], lon in [-180, 180].")
    return jsonify({"lat": lat, "lon": lon, "areas": point_index().lookup(lon, lat)})


@bp.get("/health")
def health():
    """For load balancers: the store answers (and at which revision); boundary sets that fail
    the import checks are listed (they are not served) and make the status "degraded"."""
    from geohub.web.resources import broken_sets
    broken = [{"level": lvl, "vintage": year, "problem": problem}
              for (lvl, year), problem in sorted(broken_sets(get_store()).items())]
    return jsonify({"status": "degraded" if broken else "ok", "revision": get_store().revision(),
                    "broken_sets": broken})
