"""Display geometry: boundaries as compact TopoJSON for the browser (points as GeoJSON).

Shared edges become shared arcs before simplification, so neighbours keep their common edges (no
gaps or slivers between adjacent areas); coordinates are quantised; each feature carries only its
code. Built by the ``topojson`` package; callers cache the result per level and vintage. A set of
points (e.g. centroids) has no edges to share: it is plain GeoJSON, which static/geohub-map.js
reads as is.
"""
from __future__ import annotations

import json

import geopandas as gpd
import topojson

from geohub.io.geojson import feature_collection

# Degrees. About 150 m in England: invisible at the scale of a national map of districts.
SIMPLIFY = {"default": 0.0015, "msoa": 0.0005, "lsoa": 0.0003}
QUANTISATION = 1e5
OBJECT = "areas"


def display_topology(areas: gpd.GeoDataFrame, level: str) -> bytes:
    """UTF-8 bytes of ``areas`` in lon/lat, each feature with only the property ``code``: TopoJSON
    with one object ``areas``, or, when every geometry is a (multi)point, a GeoJSON
    FeatureCollection."""
    shown = areas[["code", "geometry"]].to_crs(4326)
    if shown.geom_type.isin(["Point", "MultiPoint"]).all():
        return json.dumps(feature_collection(shown), separators=(",", ":")).encode()
    topo = topojson.Topology(shown, object_name=OBJECT, prequantize=QUANTISATION, topology=True,
                             toposimplify=SIMPLIFY.get(level, SIMPLIFY["default"]))
    return json.dumps(topo.to_dict(), separators=(",", ":")).encode()
