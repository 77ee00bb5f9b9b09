"""Search for areas: by name or GSS code (exact matches first, then prefix, then substring), by
a point written as coordinates (latitude, longitude or British National Grid easting, northing),
and by place name: a stored point named by a gazetteer (an MSOA's population-weighted centroid
named "Hebden Bridge") is a place, and its result is every area containing that point.

Pure functions over a directory of stored areas (a DataFrame with code, name, level, vintage);
finding which areas contain a point is the caller's (overlaps/point_index.PointIndex).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from geohub.geography.levels import LEVELS

_LEVEL_RANK = {lv.name: i for i, lv in enumerate(LEVELS)}
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_PAIR = re.compile(rf"^\s*({_NUMBER})\s*[,;\s]\s*({_NUMBER})\s*$")

# British National Grid's extent (EPSG:27700): eastings 0-700 km, northings 0-1300 km.
_BNG_EASTING, _BNG_NORTHING = (0, 700_000), (0, 1_300_000)

# Levels stored as points (population-weighted centroids) whose names come from a gazetteer: a
# match among them is a place to look areas up for, not an area of its own.
PLACE_LEVELS = ("msoa",)


@dataclass(frozen=True)
class Point:
    """A point from the query, in lon/lat, with how it was read ("latitude, longitude" or "BNG")."""

    lon: float
    lat: float
    read_as: str


def parse_point(query: str) -> Point | None:
    """The point a query names, or None when it is not two numbers.

    "53.4808, -2.2426" is latitude, longitude; two numbers that cannot be degrees but fit
    Great Britain's grid ("383800, 398200") are a BNG easting, northing.
    """
    match = _PAIR.match(query or "")
    if not match:
        return None
    a, b = float(match.group(1)), float(match.group(2))
    if -90 <= a <= 90 and -180 <= b <= 180:
        return Point(lon=b, lat=a, read_as="latitude, longitude")
    if _BNG_EASTING[0] <= a <= _BNG_EASTING[1] and _BNG_NORTHING[0] <= b <= _BNG_NORTHING[1]:
        from pyproj import Transformer
        lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(a, b)
        return Point(lon=lon, lat=lat, read_as="British National Grid easting, northing")
    return None


def search_names(directory: pd.DataFrame, query: str, limit: int = 100) -> pd.DataFrame:
    """Areas whose name or code matches ``query``, best first: exact matches, then names or codes
    that start with it, then those that contain it; within each, by level (councils before the
    bodies made of them) and name. One row per (code, level), with its stored vintages listed."""
    q = (query or "").strip().lower()
    columns = ["code", "name", "level", "vintages", "match"]
    if not q or directory.empty:
        return pd.DataFrame(columns=columns)
    names = directory["name"].fillna("").str.lower()
    codes = directory["code"].str.lower()
    tier = pd.Series(3, index=directory.index)
    tier[names.str.contains(q, regex=False) | codes.str.contains(q, regex=False)] = 2
    tier[names.str.startswith(q) | codes.str.startswith(q)] = 1
    tier[(names == q) | (codes == q)] = 0
    found = directory[tier < 3].assign(match=tier[tier < 3])
    if found.empty:
        return pd.DataFrame(columns=columns)
    grouped = (found.groupby(["code", "level"], as_index=False)
               .agg(name=("name", "last"), match=("match", "min"),
                    vintages=("vintage", lambda v: sorted({int(x) for x in v}))))
    grouped["rank"] = grouped["level"].map(_LEVEL_RANK).fillna(len(LEVELS))
    grouped = grouped.sort_values(["match", "rank", "name", "code"]).head(limit)
    return grouped[columns].reset_index(drop=True)


def group_point_hits(hits: list[dict]) -> list[dict]:
    """Point-lookup hits (one per area and boundary set) as one row per area and level, in level
    order, with every vintage it was found in."""
    rows: dict[tuple[str, str], dict] = {}
    for h in hits:
        row = rows.setdefault((h["code"], h["level"]), {"code": h["code"], "name": h["name"],
                                                        "level": h["level"], "vintages": []})
        if h["set_vintage"] not in row["vintages"]:
            row["vintages"].append(int(h["set_vintage"]))
    out = sorted(rows.values(), key=lambda r: (_LEVEL_RANK.get(r["level"], len(LEVELS)),
                                               -max(r["vintages"]), r["name"] or r["code"]))
    for r in out:
        r["vintages"].sort()
    return out


def split_places(found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(areas, places) of ``search_names`` results: places are named points of PLACE_LEVELS
    (unnamed points are neither: a code alone is not a place name)."""
    point = found["level"].isin(PLACE_LEVELS)
    named = found["name"].fillna("").str.strip() != ""
    return (found[~point].reset_index(drop=True), found[point & named].reset_index(drop=True))
