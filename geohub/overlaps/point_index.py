"""Which areas contain a point: the areas of many boundary sets (all levels, all vintages) in one
rtree index of bounding boxes, with exact containment checked by shapely. Pure: the caller reads
the sets (the web builds one index per store revision for ``/api/lookup``, the home page's
coordinate and place search and a place's area page)."""
from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohub.overlaps.relate import SPATIAL_LOCK


class PointIndex:
    """Every area's bounding box in one rtree index, in lon/lat (EPSG:4326). ``sets`` gives
    (level, set vintage, areas) for each boundary set, the areas with code, name, start_year,
    end_year and geometry, in any CRS (as ``Store.read_boundary_set`` gives them)."""

    def __init__(self, sets: Iterable[tuple[str, int, gpd.GeoDataFrame]]):
        from rtree import index
        rows, boxes = [], []
        for level, vintage, areas in sets:
            for row in areas.to_crs(4326).itertuples():
                if row.geometry is None or row.geometry.is_empty:
                    continue
                rows.append((row.code, row.name, level, vintage, row.start_year, row.end_year,
                             row.geometry))
                boxes.append(row.geometry.bounds)
        self.rows = rows
        bounds = np.asarray(boxes, dtype=float).reshape(-1, 4)
        self.index = index.Index((np.arange(len(rows)), bounds[:, :2], bounds[:, 2:]))
        shapely.prepare([r[6] for r in rows])

    def lookup(self, lon: float, lat: float) -> list[dict]:
        """Every area covering (lon, lat): code, name, level, set_vintage, valid_from, valid_to,
        ordered by level, set vintage and code. Points (such as population-weighted centroids)
        contain nothing."""
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
