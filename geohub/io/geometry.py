"""Geometry repairs shared by boundary import, GeoJSON writing and the display TopoJSON."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely


def polygonal(geom):
    """The polygons of a repaired geometry (make_valid can leave stray lines or points where a
    ring collapsed); a geometry with no polygon at all is returned as it is."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polys) if polys else geom


def repair(geom):
    """An invalid boundary made GEOS-valid the way imports do it: make_valid's "structure" method
    (rings read as outer shells and holes), collapsed parts dropped, polygons kept polygonal."""
    return polygonal(shapely.make_valid(geom, method="structure", keep_collapsed=False))


def valid_on_grid(geoms, snap: Callable[[np.ndarray], np.ndarray], attempts: int = 3) -> np.ndarray:
    """``snap(geoms)`` (coordinates put on a grid), with each geometry the grid made invalid
    repaired (make_valid, polygons kept) and snapped again, up to ``attempts`` times. Any still
    invalid after that come back as they are: the caller decides what to do with them."""
    out = snap(np.asarray(geoms, dtype=object))
    for _ in range(attempts):
        broken = ~shapely.is_valid(out) & ~shapely.is_missing(out)
        if not broken.any():
            break
        fixed = shapely.make_valid(out[broken], method="structure", keep_collapsed=False)
        out[broken] = snap(np.array([polygonal(g) for g in fixed], dtype=object))
    return out
