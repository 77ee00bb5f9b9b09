"""GeoJSON as RFC 7946 says it: lon/lat (WGS 84), exterior rings counter-clockwise and holes
clockwise (the right-hand rule, §3.1.6), no ``crs`` member, coordinates rounded to a few decimals
(§11.2: 6 decimals of a degree is about 10 cm), and every polygon valid after the rounding.

Every GeoJSON geohub writes goes through ``feature_collection``.
"""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely

from geohub.io.geometry import valid_on_grid

DEFAULT_PRECISION = 6  # decimals of a degree (settings.GEOHUB_GEOJSON_PRECISION)


def _round(geoms: np.ndarray, precision: int) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, precision))


def rfc7946_geometries(geoms, precision: int = DEFAULT_PRECISION) -> np.ndarray:
    """lon/lat geometries with coordinates rounded to ``precision`` decimals, still GEOS-valid,
    without duplicate consecutive vertices, oriented by the right-hand rule.

    Rounding can collapse a tiny islet to a line or make two close rings cross (and reprojecting
    from the store's grid can too): those few geometries are repaired (make_valid) and rounded
    again until they are valid on the grid.
    """
    out = valid_on_grid(geoms, lambda g: _round(g, precision), attempts=5)
    # Rounding also makes neighbouring vertices equal (duplicate nodes, which GEOS accepts but
    # validators flag); dropping them is safe now every ring is valid (3+ distinct vertices).
    out = shapely.remove_repeated_points(out, tolerance=0)
    return shapely.orient_polygons(out, exterior_cw=False)  # exterior counter-clockwise


def feature_collection(frame: gpd.GeoDataFrame, precision: int = DEFAULT_PRECISION,
                       na: str = "null") -> dict:
    """A FeatureCollection dict of ``frame`` (reprojected to lon/lat) under RFC 7946: no ``id``
    from the index, no ``crs``, no ``bbox``."""
    shown = frame.to_crs(4326) if frame.crs is not None else frame
    shown = shown.set_geometry(gpd.GeoSeries(rfc7946_geometries(shown.geometry.values, precision),
                                             index=shown.index, crs=4326))
    body = json.loads(shown.to_json(drop_id=True, na=na))
    body.pop("crs", None)
    return body
