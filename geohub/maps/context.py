"""The country around a map's areas, for print maps whose areas do not cover their frame.

Combined authorities or LSIP areas float on white without it: a reader cannot tell where they
are. ``map_context`` finds, from the store, the local authority districts of the map's frame that
lie in none of the mapped areas (drawn in a light neutral colour, listed in the legend as "Not part
of any ...") and the country outlines (England, Wales ...) to draw around them. No Flask.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geohub.geography.levels import get_level
from geohub.maps.model import MapBuilder, MapData, nearest_year

# Below this share of the mapped areas' own area, uncovered land is slivers, not context.
MIN_UNCOVERED_SHARE = 0.01
FRAME_PAD = 0.02   # the frame around the areas, as a share of their larger extent (static_render)


@dataclass
class MapContext:
    """What to draw under a map: ``areas`` (uncovered districts, filled), ``outline`` (countries,
    outlined), and the legend label for the uncovered land (None when everything is covered)."""

    areas: gpd.GeoDataFrame | None
    outline: gpd.GeoDataFrame | None
    label: str | None


def frame_bounds(table: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The mapped areas' bounds with the print map's padding."""
    minx, miny, maxx, maxy = table.total_bounds
    pad = FRAME_PAD * max(maxx - minx, maxy - miny)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def map_context(builder: MapBuilder, data: MapData) -> MapContext | None:
    """The context of ``data``'s print map, or None when its areas are districts (they are the
    covering level) or the store has no districts."""
    if data.level == "lad" or not builder.vintages("lad"):
        return None
    minx, miny, maxx, maxy = frame_bounds(data.table)
    # Print maps may widen the frame up to twice the areas' extent to fill the page: cover that.
    grow = max(maxx - minx, maxy - miny) / 2
    minx, miny, maxx, maxy = minx - grow, miny - grow, maxx + grow, maxy + grow
    lads = builder.areas("lad", nearest_year(builder.vintages("lad"), data.vintage))
    lads = lads.cx[minx:maxx, miny:maxy]
    mapped = shapely.STRtree(data.table.geometry.values)
    # A district is uncovered when its inside point lies in no mapped area (cheap, and exact
    # enough: districts nest in the governance geographies, or nearly).
    points = shapely.point_on_surface(lads.geometry.values)
    inside = np.zeros(len(lads), dtype=bool)
    inside[np.unique(mapped.query(points, predicate="within")[0])] = True
    uncovered = lads[~inside]
    share = uncovered.geometry.area.sum() / max(data.table.geometry.area.sum(), 1.0)
    outline = None
    if builder.vintages("country"):
        countries = builder.areas("country", nearest_year(builder.vintages("country"), data.vintage))
        outline = countries.cx[minx:maxx, miny:maxy]
        outline = outline if len(outline) else None
    if share < MIN_UNCOVERED_SHARE:
        return MapContext(None, outline, None) if outline is not None else None
    label = f"Not part of any {_in_sentence(get_level(data.level).label)}"
    return MapContext(uncovered[["code", "name", "geometry"]], outline, label)


def _in_sentence(label: str) -> str:
    """'Combined authority' -> 'combined authority'; proper names ('Local Enterprise
    Partnership') keep their capitals."""
    first, _, rest = label.partition(" ")
    return label if any(w[:1].isupper() for w in rest.split()) else first.lower() + " " + rest
