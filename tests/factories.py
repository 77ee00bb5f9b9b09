"""Tiny hand-made boundary files for unit tests (shapely boxes, written as real files)."""
from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import mapping


def feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def write_geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data))
    return path


def bng_boxes(path: Path, rows: list[tuple[str, str]], field_stem: str = "LAD21",
              size: float = 10_000, crs: str | None = "EPSG:27700") -> Path:
    """A row of adjacent square areas in British National Grid, one per (code, name)."""
    feats = [feature({f"{field_stem}CD": code, f"{field_stem}NM": name},
                     shapely.box(400_000 + i * size, 300_000, 400_000 + (i + 1) * size, 300_000 + size))
             for i, (code, name) in enumerate(rows)]
    return write_geojson(path, feats, crs)


def lonlat_boxes(path: Path, rows: list[tuple[str, str]], field_stem: str = "LAD21") -> Path:
    feats = [feature({f"{field_stem}CD": code, f"{field_stem}NM": name},
                     shapely.box(-2 + i * 0.1, 52, -2 + (i + 1) * 0.1, 52.1))
             for i, (code, name) in enumerate(rows)]
    return write_geojson(path, feats)


THREE_LADS = [("E06000001", "Hartlepool"), ("E06000002", "Middlesbrough"),
              ("E06000003", "Redcar and Cleveland")]


def topojson_arc_bomb(path: Path, points: int = 200, references: int = 1000,
                      code: str = "E37000001") -> Path:
    """A LEP TopoJSON whose first polygon's ring walks one zig-zag arc of ``points`` points
    forward and back ``references`` times (a few kilobytes that decode to points x references
    vertices, all overlapping: GEOS's make_valid and is_valid are superlinear on it), next to an
    ordinary square LEP. Lon/lat, no quantization."""
    zigzag = [[round(-2 + 0.1 * i / (points - 1), 6), 52.1 if i % 2 else 52.0] for i in range(points)]
    square = [[-1.9, 52.0], [-1.8, 52.0], [-1.8, 52.1], [-1.9, 52.1], [-1.9, 52.0]]
    geometries = [
        {"type": "Polygon", "arcs": [[0, ~0] * (references // 2)],
         "properties": {"LEP21CD": code, "LEP21NM": "Bomb"}},
        {"type": "Polygon", "arcs": [[1]], "properties": {"LEP21CD": "E37000002", "LEP21NM": "Square"}},
    ]
    data = {"type": "Topology", "arcs": [zigzag, square],
            "objects": {"lep": {"type": "GeometryCollection", "geometries": geometries}}}
    path.write_text(json.dumps(data, separators=(",", ":")))
    return path
