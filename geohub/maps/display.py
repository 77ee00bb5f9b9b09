"""Display geometry: boundaries as compact TopoJSON for the browser (points as GeoJSON).

The promise: decoded by topojson-client (``topojson.feature``), every feature is a GEOS-valid
(multi)polygon carrying only its ``code``, one per stored area, with the winding d3-geo expects of
TopoJSON (exterior rings clockwise, holes counter-clockwise in lon/lat, as in us-atlas and
world-atlas; geohub's GeoJSON, which follows RFC 7946, is the other way round).

How: the areas are simplified together as a coverage (``shapely.coverage_simplify``: shared edges
are simplified once, identically, so neighbours keep their common edges, with no gaps or slivers);
then snapped to the quantisation grid the TopoJSON uses, where the few rings that simplification or
snapping made cross are repaired and snapped again until valid (as a last resort an islet of a few
grid cells is dropped), so the payload decodes to exactly the checked coordinates. The ``topojson``
package then turns shared edges into shared arcs, and rings are wound as promised.
Callers cache the result per level and vintage. A set of points (e.g. centroids) has no edges to
share: it is plain GeoJSON, which static/geohub-map.js reads as is.
"""
from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import shapely
import topojson

from geohub.io.geojson import feature_collection
from geohub.io.geometry import valid_on_grid

# Degrees. About 150 m in England: invisible at the scale of a national map of districts.
SIMPLIFY = {"default": 0.0015, "msoa": 0.0005, "lsoa": 0.0003}
QUANTISATION = 1e5
OBJECT = "areas"


def _grid(geoms: np.ndarray) -> dict:
    """The TopoJSON transform: QUANTISATION steps across the bounding box (topojson's own rule)."""
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    kx = (x1 - x0) / (QUANTISATION - 1) if x1 > x0 else 1.0
    ky = (y1 - y0) / (QUANTISATION - 1) if y1 > y0 else 1.0
    return {"scale": [float(kx), float(ky)], "translate": [float(x0), float(y0)]}


def _snap(geoms: np.ndarray, grid: dict) -> np.ndarray:
    """Coordinates on the grid, computed as topojson-client decodes them (n * k + x0), without
    vertices that lie exactly on the line between their neighbours on the grid (topojson's arcs
    lose some of those, so the checked geometry must not have them)."""
    k = np.asarray(grid["scale"])
    origin = np.asarray(grid["translate"])
    steps = shapely.transform(geoms, lambda xy: np.round((xy - origin) / k))
    # Integer coordinates: tolerance 0 drops exactly collinear vertices. (GEOS then cleans a
    # polygon that became invalid, which can add a node off the grid: round again.)
    steps = shapely.transform(shapely.simplify(steps, 0, preserve_topology=False), np.round)
    return shapely.transform(steps, lambda n: n * k + origin)


def _drop_islets(geom):
    """The last resort for a multipolygon that repair and snapping cannot both satisfy (two islets
    touching at a vertex that the grid puts a hair off the other's edge): drop its smallest parts
    at the reported spot, a few grid cells each, until it is valid. The largest part stays."""
    while not geom.is_valid and geom.geom_type == "MultiPolygon" and len(geom.geoms) > 1:
        parts = list(geom.geoms)
        at = re.search(r"\[(\S+) (\S+)\]", shapely.is_valid_reason(geom))
        spot = shapely.Point(float(at[1]), float(at[2])) if at else None
        near = [p for p in parts if spot is not None and p.distance(spot) < 1e-6] or parts
        parts.remove(min(near, key=lambda p: p.area))
        geom = shapely.MultiPolygon(parts)
    return geom


def display_geometries(geoms, level: str) -> tuple[np.ndarray, dict]:
    """lon/lat (multi)polygons simplified as a coverage, on the grid of the returned TopoJSON
    transform, GEOS-valid, without repeated vertices, exterior rings clockwise."""
    geoms = np.asarray(geoms, dtype=object)
    simplified = shapely.coverage_simplify(geoms, SIMPLIFY.get(level, SIMPLIFY["default"]))
    grid = _grid(simplified)
    out = valid_on_grid(simplified, lambda g: _snap(g, grid))
    for i in np.flatnonzero(~shapely.is_valid(out) & ~shapely.is_missing(out)):
        out[i] = _drop_islets(out[i])
    # Snapping makes neighbouring vertices equal; every ring is valid now (3+ distinct vertices).
    out = shapely.remove_repeated_points(out, tolerance=0)
    return shapely.orient_polygons(out, exterior_cw=True), grid


def _decoded_arcs(topo: dict) -> list[np.ndarray]:
    """Each arc's lon/lat points, computed as topojson-client does (delta sums, then n * k + x0)."""
    k = np.asarray(topo["transform"]["scale"])
    origin = np.asarray(topo["transform"]["translate"])
    return [np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) * k + origin for arc in topo["arcs"]]


def _ring_area(ring: list[int], arcs: list[np.ndarray]) -> float:
    """Signed (shoelace) area of a ring of arc indices: positive when counter-clockwise."""
    xy = np.concatenate([arcs[i] if i >= 0 else arcs[~i][::-1] for i in ring])
    x, y = xy[:, 0], xy[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2


def _wind(topo: dict) -> None:
    """Exterior rings clockwise, holes counter-clockwise, in place. topojson's arcs can give a
    ring that is another area's hole (an enclave, e.g. Cambridge) the hole's direction."""
    arcs = _decoded_arcs(topo)
    for geom in topo["objects"][OBJECT]["geometries"]:
        polygons = {"Polygon": [geom.get("arcs")], "MultiPolygon": geom.get("arcs")}.get(geom["type"], [])
        for polygon in polygons:
            for j, ring in enumerate(polygon):
                if (_ring_area(ring, arcs) > 0) == (j == 0):
                    polygon[j] = [~i for i in reversed(ring)]


def display_topology(areas: gpd.GeoDataFrame, level: str) -> bytes:
    """UTF-8 bytes of ``areas`` in lon/lat, each feature with only the property ``code``: TopoJSON
    with one object ``areas``, or, when every geometry is a (multi)point, a GeoJSON
    FeatureCollection."""
    shown = areas[["code", "geometry"]].to_crs(4326)
    if shown.geom_type.isin(["Point", "MultiPoint"]).all():
        return json.dumps(feature_collection(shown), separators=(",", ":")).encode()
    geoms, grid = display_geometries(shown.geometry.values, level)
    shown = shown.set_geometry(gpd.GeoSeries(geoms, index=shown.index, crs=4326))
    # Already on the grid: quantising with the same transform moves nothing. winding_order is
    # topojson's default (exterior clockwise), stated because the promise depends on it.
    topo = topojson.Topology(shown, object_name=OBJECT, prequantize=grid, topology=True,
                             winding_order="CW_CCW")
    data = topo.to_dict()
    _wind(data)
    return json.dumps(data, separators=(",", ":")).encode()
