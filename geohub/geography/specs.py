"""Name a set of areas on the command line: a stored level (``lad:2021``, ``lep``) or a boundary
file (``FILE`` or ``FILE#LAYER``), read as ``import-boundaries`` reads it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geohub.errors import InputError
from geohub.geography.boundaries import prepare_boundary_sets
from geohub.geography.levels import level_names, parse_vintage
from geohub.store import resolve_store


@dataclass
class AreaSpec:
    areas: gpd.GeoDataFrame   # code, name, geometry (EPSG:27700)
    label: str
    level: str | None
    vintage: int | None
    stored: bool


def parse_level_spec(spec: str) -> tuple[str, int | None] | None:
    """(level, vintage) for ``LEVEL`` or ``LEVEL:VINTAGE``; None if ``spec`` names no level."""
    name, _, vintage = spec.partition(":")
    if name.lower() not in level_names() or (vintage and not vintage.strip().isdigit()):
        return None
    return name.lower(), parse_vintage(vintage) if vintage else None


def resolve_areas(spec: str, store_factory) -> AreaSpec:
    """The areas ``spec`` names; InputError/NotFound say what is wrong and what to write."""
    level = parse_level_spec(spec)
    if level is not None and not Path(spec).exists():
        store = resolve_store(store_factory)
        areas = store.areas(level[0], level[1])
        year = int(areas["vintage"].iloc[0]) if len(areas) else level[1]
        return AreaSpec(areas[["code", "name", "geometry"]], f"{level[0]}:{year}", level[0], year, True)
    path, _, layer = spec.partition("#")
    if not Path(path).exists():
        raise InputError(f"{spec!r} is neither a stored level nor an existing file.",
                         f"Write LEVEL:VINTAGE (levels: {', '.join(level_names())}) or a boundary "
                         "file path (FILE or FILE#LAYER).")
    drafts = prepare_boundary_sets(path, layer=layer or None)
    if len(drafts) > 1:
        raise InputError(f"{Path(path).name} has several layers: {', '.join(d.layer for d in drafts)}.",
                         f"Name one as {path}#LAYER.")
    draft = drafts[0]
    areas = draft.areas[["code", "name", "geometry"]]
    return AreaSpec(areas, f"{Path(path).name}" + (f"#{layer}" if layer else ""), draft.level,
                    draft.vintage, False)
