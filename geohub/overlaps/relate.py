"""relate(source, target): how every area of one geography lies in the areas of another.

The result is a share table: ``share`` is the fraction of the source inside the target (by area,
by population-weighted centroids, or 1.0 from an official lookup). A source may have share 1.0 in
two targets when the targets overlap. Pure: GeoDataFrames in, a DataFrame out; no I/O.
"""
from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohub.errors import InputError
from geohub.overlaps.areas import intersection_areas, polygon_index
from geohub.geography import STORAGE_SRID

# How relate() can relate two geographies, declared once with the words maps, exports and the trace
# use for each: the CLI's --method choices read this. (The store keeps which of them geohub derives
# itself, store.schema.DERIVED_METHODS; official code histories are stored with method "history".)
METHODS = {
    "area": "boundary overlap by area",
    "best-fit": "best fit by population-weighted centroids",
    "lookup": "official ONS lookup",
}
# The indexes relate builds (trees, edges) are cached on the frames' geometry arrays and shared by
# every caller, and building them lazily from two threads at once would do the work twice or
# half; best-fit's predicate queries use GEOS prepared geometries, which are not safe to use from
# two threads at once. So spatial work runs one call at a time per process (processes, e.g.
# gunicorn workers, scale).
SPATIAL_LOCK = threading.RLock()
COLUMNS = ["source_code", "target_code", "share", "method", "intersection_area", "source_area"]


def _in_bng(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise InputError(f"The {what} areas have no coordinate system.", "Set one (EPSG:27700 or 4326).")
    return frame if frame.crs.to_epsg() == STORAGE_SRID else frame.to_crs(STORAGE_SRID)


def _codes(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    if column not in frame.columns:
        raise InputError(f"The {what} areas have no column {column!r}.",
                         f"Columns: {', '.join(map(str, frame.columns))}.")
    codes = frame[column].astype(str).to_numpy()
    if len(set(codes)) != len(codes):
        raise InputError(f"The {what} codes in {column!r} are not unique.", "Give one row per area.")
    return codes


def _drop_below(table: pd.DataFrame, min_share: float) -> pd.DataFrame:
    """Rows with share below ``min_share`` leave the table and are listed in attrs['slivers']."""
    slivers = table[table["share"] < min_share]
    kept = table[table["share"] >= min_share].reset_index(drop=True)
    kept.attrs["slivers"] = slivers.reset_index(drop=True)
    kept.attrs["min_share"] = min_share
    return kept


def area_shares(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, source_code: str,
                target_code: str) -> pd.DataFrame:
    """Exact intersection areas (EPSG:27700) of every source with every target it overlaps.

    Candidate pairs come from an R-tree of the targets' boxes; ``intersection_areas`` then costs
    a pair with no crossing edges (one polygon inside the other, or apart) only a scan of the edges
    near it and one point-in-polygon test per run of them (one, for a small polygon inside a large
    one), and gives a contained polygon exactly its own area.
    """
    source, target = _in_bng(source, "source"), _in_bng(target, "target")
    s_codes, t_codes = _codes(source, source_code, "source"), _codes(target, target_code, "target")
    src, tgt = polygon_index(source.geometry.values), polygon_index(target.geometry.values)
    si, ti = tgt.tree.query(src.geoms)  # candidate pairs: bounding boxes meet
    inter = intersection_areas(src, tgt, si, ti)
    keep = inter > 0
    si, ti, inter = si[keep], ti[keep], inter[keep]
    source_area = src.polygon_area[si]
    return pd.DataFrame({"source_code": s_codes[si], "target_code": t_codes[ti],
                         "share": np.minimum(inter / source_area, 1.0), "method": "area",
                         "intersection_area": inter, "source_area": source_area})


def best_fit_shares(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, points: gpd.GeoDataFrame,
                    source_code: str, target_code: str, weights: pd.Series | None = None,
                    point_code: str = "code") -> pd.DataFrame:
    """ONS-style best fit: each small-area centroid belongs to the source and the target that
    contain it; a source's share in a target is the (weighted) fraction of its centroids there.

    ``weights`` (indexed by point code, e.g. population) weight the centroids; unweighted, each
    counts once. Sources with no centroid inside are listed in attrs['unassigned'].
    """
    source, target, points = (_in_bng(source, "source"), _in_bng(target, "target"),
                              _in_bng(points, "points"))
    s_codes, t_codes = _codes(source, source_code, "source"), _codes(target, target_code, "target")
    xy = shapely.get_coordinates(shapely.point_on_surface(points.geometry.values))
    w = np.ones(len(points))
    if weights is not None:
        w = points[point_code].astype(str).map(weights).to_numpy(dtype=float)
        if np.isnan(w).any():
            missing = points[point_code][np.isnan(w)].astype(str).tolist()
            raise InputError(f"{len(missing)} points have no weight (e.g. {', '.join(missing[:5])}).",
                             "Give a weight for every point, or none to count each point once.")
    src, tgt = polygon_index(source.geometry.values), polygon_index(target.geometry.values)
    pts = shapely.points(xy)
    p_s, s_i = src.tree.query(pts, predicate="intersects")
    p_t, t_i = tgt.tree.query(pts, predicate="intersects")
    in_s = pd.DataFrame({"point": p_s, "s": s_i})
    in_t = pd.DataFrame({"point": p_t, "t": t_i})
    joined = in_s.merge(in_t, on="point", how="left")
    joined["w"] = w[joined["point"]]
    totals = in_s.assign(w=w[in_s["point"]]).groupby("s")["w"].sum()
    inside = joined.dropna(subset=["t"]).groupby(["s", "t"])["w"].sum().reset_index()
    inside["t"] = inside["t"].astype(int)
    share = inside["w"].to_numpy() / totals.loc[inside["s"]].to_numpy()
    table = pd.DataFrame({"source_code": s_codes[inside["s"]], "target_code": t_codes[inside["t"]],
                          "share": share, "method": "best-fit", "intersection_area": np.nan,
                          "source_area": src.area[inside["s"]]})
    table.attrs["unassigned"] = sorted(set(s_codes) - set(s_codes[totals.index.to_numpy()]))
    return table


def lookup_shares(source: pd.DataFrame | None, target: pd.DataFrame | None, lookup: pd.DataFrame,
                  source_code: str, target_code: str) -> pd.DataFrame:
    """Shares of 1.0 for every (source, target) pair an official lookup lists (an area listed
    under two parents gets two rows). Pairs naming areas absent from the given frames are left
    out and listed in attrs['unknown']."""
    if not {"source_code", "target_code"} <= set(lookup.columns):
        raise InputError("A lookup table needs source_code and target_code columns.",
                         "Read the file with geohub.geography.lookups.read_lookup first.")
    pairs = lookup[["source_code", "target_code"]].dropna().astype(str).drop_duplicates()
    unknown = pd.Series(False, index=pairs.index)
    if source is not None:
        unknown |= ~pairs["source_code"].isin(_codes(source, source_code, "source"))
    if target is not None:
        unknown |= ~pairs["target_code"].isin(_codes(target, target_code, "target"))
    table = pairs[~unknown].assign(share=1.0, method="lookup", intersection_area=np.nan,
                                   source_area=np.nan).reset_index(drop=True)
    table.attrs["unknown"] = pairs[unknown].reset_index(drop=True)
    return table


def relate(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, source_code: str = "code",
           target_code: str = "code", method: str = "area", min_share: float = 0.0, *,
           points: gpd.GeoDataFrame | None = None, weights: pd.Series | None = None,
           lookup: pd.DataFrame | None = None) -> pd.DataFrame:
    """The relationship table of ``source`` to ``target``: source_code, target_code, share
    (fraction of the source inside the target), method, intersection_area (m², area method) and
    source_area (m²), sorted by source and target.

    ``method``: ``area`` (exact intersections in EPSG:27700), ``best-fit`` (population-weighted
    centroids ``points``, optionally ``weights``), or ``lookup`` (an official ``lookup`` table).
    ``min_share=0.0`` is the exact table with nothing dropped; rows below ``min_share`` are dropped
    and listed in ``attrs['slivers']``. See ``resolve_slivers`` for the documented treatment.
    """
    if method not in METHODS:
        raise InputError(f"Unknown method {method!r}.", f"Use one of: {', '.join(METHODS)}.")
    if not 0.0 <= float(min_share) < 1.0:
        raise InputError(f"min_share must be in [0, 1), not {min_share}.", "E.g. «min-share» 0.05.")
    if method == "area":
        with SPATIAL_LOCK:
            table = area_shares(source, target, source_code, target_code)
    elif method == "best-fit":
        if points is None:
            raise InputError("The best-fit method needs points: population-weighted centroids of "
                             "small areas.", "E.g. «points» ../shared/data/boundaries/centroids/"
                             "MSOA21_PWC_EW_onsvisual.geojson.")
        with SPATIAL_LOCK:
            table = best_fit_shares(source, target, points, source_code, target_code, weights)
    else:
        if lookup is None:
            raise InputError("The lookup method needs a lookup table.", "Pass «lookup» FILE.")
        table = lookup_shares(source, target, lookup, source_code, target_code)
    extra = dict(table.attrs)
    table = table.sort_values(["source_code", "target_code"]).reset_index(drop=True)[COLUMNS]
    table = _drop_below(table, float(min_share))
    table.attrs.update(extra)
    table.attrs["method"] = method
    return table
