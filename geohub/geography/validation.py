"""What an import must satisfy before anything reaches the store: the checks that keep one bad
feature or cell from taking the maps down (issue 16).

- Geometry: a polygon level holds only polygonal, non-empty geometry (checked after repair); a
  point set (centroids) only points; 2D only (Z/M dropped, with a note); at most
  ``GEOHUB_IMPORT_MAX_VERTICES`` vertices per feature; checks and repairs within
  ``GEOHUB_IMPORT_SECONDS`` in all, each repair within ``GEOHUB_IMPORT_REPAIR_MB`` of memory
  (``GeometryChecks``: a GEOS repair cannot be interrupted, so it runs in a child process that
  is killed). Refusals name the feature.
- Years (``start``/``end``, vintages) lie within 1900-2100.
- Text: names, titles, units and sources have length limits; indicator ids are slugs.
- Messages quote a refused value at most 80 characters long.

Limits come from the environment (the settings of the same names), so tests scale them down.
Frames in, frames or InputError out (the only side effect: the repair process, which never
outlives a ``GeometryChecks``).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geohub.errors import InputError
from geohub.io.geometry import repair
from geohub.io.repair_process import RepairProcess, RepairStopped

YEARS = (1900, 2100)
TEXT_LIMITS = {"name": 200, "title": 200, "unit": 40, "source": 500, "licence": 200, "code": 32}
INDICATOR_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
POLYGONAL = ("Polygon", "MultiPolygon")
POINTS = ("Point", "MultiPoint")
DEFAULT_MAX_VERTICES = 2_000_000
DEFAULT_SECONDS = 300.0
DEFAULT_REPAIR_MB = 2048.0


def quote(value, limit: int = 80) -> str:
    """``repr`` of a value cut to ``limit`` characters (a refused 200 MB cell is not echoed)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def limit(name: str, default: float) -> float:
    """A numeric limit from its setting (geohub.settings), else ``default``."""
    from geohub import settings
    value = settings.get(name)
    try:
        return float(value) if value else default
    except ValueError as exc:
        raise InputError(f"{name}={quote(value)} is not a number.", "Unset it or give a number.") from exc


def _features(codes, mask) -> str:
    bad = [str(c) for c in np.asarray(codes)[np.asarray(mask)]]
    return ", ".join(quote(c, 40) for c in bad[:10]) + (" ..." if len(bad) > 10 else "")


def check_years(layer: str, frame: pd.DataFrame, codes) -> None:
    """``start``/``end`` columns, where given, are years within 1900-2100."""
    for column in ("start", "end"):
        if column not in frame:
            continue
        raw = frame[column]
        years = pd.to_numeric(raw, errors="coerce")
        given = raw.notna() & (raw.astype("string").str.strip() != "")
        bad = given & (years.isna() | (years < YEARS[0]) | (years > YEARS[1]) | (years % 1 != 0))
        if bad.any():
            first = raw[bad].iloc[0]
            raise InputError(f"{layer}: {int(bad.sum())} feature(s) have a {column} year outside "
                             f"{YEARS[0]}-{YEARS[1]} (e.g. {quote(first)} for {_features(codes, bad)}).",
                             f"Give {column} as a year from {YEARS[0]} to {YEARS[1]}, or leave it empty.")


def check_vintage(year: int) -> int:
    if not YEARS[0] <= int(year) <= YEARS[1]:
        raise InputError(f"Vintage {year} is outside {YEARS[0]}-{YEARS[1]}.", "Give the boundary year.")
    return int(year)


def check_text(kind: str, values, what: str = "") -> None:
    """Every value of ``kind`` (name, title, unit, source ...) within its length limit."""
    most = TEXT_LIMITS[kind]
    for value in values:
        if isinstance(value, str) and len(value) > most:
            raise InputError(f"{what}{kind} {quote(value)} is {len(value)} characters long.",
                             f"A {kind} may have at most {most} characters: shorten it in the source.")


def check_indicator_id(indicator_id: str) -> str:
    if not isinstance(indicator_id, str) or not INDICATOR_ID.fullmatch(indicator_id):
        raise InputError(f"Indicator id {quote(indicator_id)} is not a slug.",
                         "Ids are lower-case letters, digits, '-' and '_' (at most 64), starting "
                         "with a letter or digit, e.g. «id» pop-2020.")
    return indicator_id


def check_indicator_meta(meta: dict) -> None:
    """An indicator's id and texts, before it is written."""
    check_indicator_id(meta.get("id"))
    for kind in ("title", "unit", "source", "licence"):
        check_text(kind, [meta.get(kind)], f"{meta['id']}: ")


def to_2d(layer: str, geoms: np.ndarray, notes: list[str]) -> np.ndarray:
    """Geometries without Z (and M): the store is 2D."""
    has_z = shapely.has_z(geoms)
    if has_z.any():
        geoms = geoms.copy()
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        notes.append(f"dropped Z/M coordinates of {int(has_z.sum())} feature(s): boundaries are 2D.")
    return geoms


def check_vertices(layer: str, geoms: np.ndarray, codes) -> None:
    """No feature above GEOHUB_IMPORT_MAX_VERTICES vertices (a geometry bomb never reaches repair)."""
    most = int(limit("GEOHUB_IMPORT_MAX_VERTICES", DEFAULT_MAX_VERTICES))
    counts = shapely.get_num_coordinates(geoms)
    bad = counts > most
    if bad.any():
        raise InputError(f"{layer}: feature {_features(codes, bad)} has {int(counts[bad].max()):,} "
                         f"vertices, more than the {most:,} allowed per feature.",
                         "Simplify the boundaries (e.g. the ONS 'BUC' or 'BGC' editions), or raise "
                         "GEOHUB_IMPORT_MAX_VERTICES.")


# Above this many vertices a feature is checked (is_valid) in the repair process too: GEOS's
# check is quadratic in the worst case (a star polygon of 20,000 vertices takes 0.4 s, of 200,000
# 45 s), so below it one check costs at most about 0.1 s, and these run here in chunks of
# CHUNK_VERTICES with the clock read between chunks.
IN_PROCESS_VERTICES = 10_000
CHUNK_VERTICES = 200_000
# Repairs are superlinear far sooner (a 256-point star takes 1-3 s, 2,000 points of one segment
# walked back and forth 4 s and 460 MB), but up to 64 vertices the worst we found (every star
# polygon of 63-65 points) takes 0.09 s and a few MB: those repair here, with the clock read
# before each one, and save the child's start (real files' few invalid areas are often tiny).
IN_PROCESS_REPAIR_VERTICES = 64


class GeometryChecks:
    """The geometry checks and repairs of one import, on one clock: at most GEOHUB_IMPORT_SECONDS
    spent in them in all, and at most GEOHUB_IMPORT_REPAIR_MB of memory for one repair.

    Small geometries are checked here, and the tiniest repaired here; big ones, and every other
    repair (GEOS's ``make_valid`` can take minutes and gigabytes on a polygon of a few hundred
    vertices), go to one child process (``geohub.io.repair_process``) that is started only when
    needed, reused for the rest of the import, and killed when the budget runs out. Use it as a
    context manager.
    """

    def __init__(self):
        self.seconds = limit("GEOHUB_IMPORT_SECONDS", DEFAULT_SECONDS)
        self.memory_mb = limit("GEOHUB_IMPORT_REPAIR_MB", DEFAULT_REPAIR_MB)
        self.spent = 0.0
        self.process = RepairProcess(self.memory_mb)

    def __enter__(self) -> GeometryChecks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.process.close()

    def repaired(self, layer: str, geoms: np.ndarray, codes) -> tuple[np.ndarray, dict[int, str]]:
        """``geoms`` with the invalid ones repaired (``geohub.io.geometry.repair``), and GEOS's
        reason for each repaired position. InputError naming the feature when the budget runs
        out, the repair needs more memory than allowed, or GEOS fails."""
        started = time.monotonic()
        deadline = started + max(0.0, self.seconds - self.spent)
        try:
            return self._repaired(layer, np.asarray(geoms, dtype=object), np.asarray(codes), deadline)
        finally:
            self.spent += time.monotonic() - started

    def _repaired(self, layer, geoms, codes, deadline):
        counts = shapely.get_num_coordinates(geoms)
        small = np.flatnonzero(counts <= IN_PROCESS_VERTICES)
        invalid = np.zeros(len(geoms), dtype=bool)
        chunks = np.cumsum(counts[small]) // CHUNK_VERTICES
        for chunk in np.unique(chunks):
            where = small[chunks == chunk]
            if chunk and time.monotonic() > deadline:
                raise self._over_time(layer, codes[where[0]], counts[where[0]])
            invalid[where] = ~self._guarded(layer, codes[where], shapely.is_valid, geoms[where])
        out, reasons = geoms.copy(), {}
        for i in np.flatnonzero(invalid & (counts <= IN_PROCESS_REPAIR_VERTICES)):
            if time.monotonic() > deadline:
                raise self._over_time(layer, codes[i], counts[i])
            try:
                out[i], reasons[int(i)] = repair(geoms[i]), shapely.is_valid_reason(geoms[i])
            except shapely.errors.GEOSException as exc:
                raise geos_refusal(layer, codes[i], exc) from exc
        todo = np.flatnonzero((invalid & (counts > IN_PROCESS_REPAIR_VERTICES))
                              | (counts > IN_PROCESS_VERTICES))
        try:
            results = self.process.fix(geoms[todo], deadline)
        except RepairStopped as stop:
            raise self._refusal(layer, stop, codes[todo[stop.index]], counts[todo[stop.index]]) from None
        for i, (fixed, reason) in zip(todo, results):
            if reason is not None:
                out[i], reasons[int(i)] = fixed, reason
        return out, reasons

    @staticmethod
    def _guarded(layer, codes, function, geoms):
        """``function(geoms)``; a GEOSException becomes an InputError naming the feature."""
        try:
            return function(geoms)
        except shapely.errors.GEOSException:
            for code, geom in zip(codes, geoms):
                try:
                    function(geom)
                except shapely.errors.GEOSException as exc:
                    raise geos_refusal(layer, code, exc) from exc
            raise

    def _over_time(self, layer, code, vertices) -> InputError:
        return InputError(f"{layer}: checking and repairing geometries took more than "
                          f"{self.seconds:g} s (stopped at feature {quote(str(code), 40)}, "
                          f"{int(vertices):,} vertices).",
                          "Simplify that geometry or check its topology in the source (e.g. a "
                          "TopoJSON arc used many times, rings crossing themselves; ogr2ogr "
                          "-makevalid repairs them), or raise GEOHUB_IMPORT_SECONDS.")

    def _refusal(self, layer, stop: RepairStopped, code, vertices) -> InputError:
        if stop.why == "seconds":
            return self._over_time(layer, code, vertices)
        feature = f"feature {quote(str(code), 40)} ({int(vertices):,} vertices)"
        if stop.why == "memory":
            return InputError(f"{layer}: repairing {feature} needed more than the "
                              f"{self.memory_mb:,g} MB of memory allowed.",
                              "Its rings probably overlap themselves many times: simplify the "
                              "geometry or check its topology in the source (ogr2ogr -makevalid), "
                              "or raise GEOHUB_IMPORT_REPAIR_MB.")
        if stop.why == "geos":
            return geos_refusal(layer, code, stop.detail)
        return InputError(f"{layer}: the process repairing {feature} ended unexpectedly "
                          f"({quote(stop.detail)}).",
                          "It may have run out of memory: simplify the geometry or check its "
                          "topology in the source, or lower GEOHUB_IMPORT_REPAIR_MB below the "
                          "memory the machine has free.")


def geos_refusal(layer: str, code, error) -> InputError:
    """The InputError for a geometry GEOS cannot process, naming the feature."""
    return InputError(f"{layer}: feature {quote(str(code), 40)} has a geometry GEOS cannot process "
                      f"({quote(str(error))}).",
                      "Fix its geometry in the source file (e.g. QGIS's Fix geometries, or "
                      "ogr2ogr -makevalid).")


@dataclass
class CheckedLayer:
    geoms: np.ndarray
    notes: list[str] = field(default_factory=list)


def check_layer(layer: str, frame, codes, vintage: int, name_field: str | None) -> CheckedLayer:
    """The checks before repair: vintage and start/end years in range, codes and names within
    their lengths, geometry made 2D and within the vertex limit."""
    codes = np.asarray(codes)
    check_vintage(vintage)
    check_years(layer, frame, codes)
    check_text("code", codes, f"{layer}: ")
    if name_field:
        check_text("name", frame[name_field], f"{layer}: {name_field}: ")
    checked = CheckedLayer(np.asarray(frame.geometry.values, dtype=object))
    checked.geoms = to_2d(layer, checked.geoms, checked.notes)
    check_vertices(layer, checked.geoms, codes)
    return checked


def check_geometry_types(layer: str, geoms: np.ndarray, codes) -> str:
    """'points' for a point set, 'polygons' for areas; InputError naming the features that are
    neither (lines, collections, mixed sets, or empty after repair)."""
    types = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms) | (types < 0)
    points = np.isin(types, (0, 4)) & ~empty         # Point, MultiPoint
    polygons = np.isin(types, (3, 6)) & ~empty       # Polygon, MultiPolygon
    if points.all():
        return "points"
    bad = ~polygons
    if bad.any():
        kinds = sorted({"empty" if e else g.geom_type for g, e in zip(geoms[bad], empty[bad])})
        raise InputError(f"{layer}: {int(bad.sum())} feature(s) are not polygons ({', '.join(kinds)}): "
                         f"{_features(codes, bad)}.",
                         "Boundaries must be polygons (a set of centroids must be only points): "
                         "fix or remove these features in the source file.")
    return "polygons"
