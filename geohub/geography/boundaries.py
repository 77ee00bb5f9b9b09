"""Turn boundary files into canonical boundary sets and import them into a store.

A boundary set is the areas of one level and vintage: ``code, name, start_year, end_year, geometry``
in EPSG:27700. Preparing a set (``prepare_boundary_sets``) does all the checking and can fail; only a
prepared, valid set reaches the store, inside one transaction (``import_boundaries``).
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from geohub.attribution import boundary_attribution
from geohub.errors import InputError
from geohub.geography import validation
from geohub.geography.conventions import detect_fields, vintage_from_filename
from geohub.geography.levels import (Level, get_level, level_for_code, level_for_topojson_object,
                                     parse_vintage)
from geohub.io.boundary_files import RawLayer, read_boundary_file
from geohub.io.files import file_checksum
from geohub.store import Changes, Store, resolve_store
from geohub.geography import STORAGE_SRID

log = logging.getLogger(__name__)


@dataclass
class BoundarySetDraft:
    """A checked boundary set, ready to be written."""

    level: str
    vintage: int
    areas: gpd.GeoDataFrame
    layer: str
    code_field: str
    name_field: str | None
    repaired: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def multi_year(self) -> bool:
        return bool(self.areas["start_year"].notna().any() or self.areas["end_year"].notna().any())


@dataclass
class BoundaryImport:
    """What an import did: the sets written, what each changed, and the import record's id."""

    source: str
    import_id: int
    drafts: list[BoundarySetDraft]
    changes: list[Changes]

    def lines(self) -> list[str]:
        out = []
        for draft, change in zip(self.drafts, self.changes):
            kind = " multi-year" if draft.multi_year else ""
            out.append(f"{draft.layer}: {len(draft.areas)} areas as {draft.level} {draft.vintage}{kind}"
                       f" (code field {draft.code_field}, name field {draft.name_field or 'none'}).")
            out.extend(f"  {note}" for note in draft.notes)
            out.append(f"  {change.summary()}")
        return out


def _level_of(raw: RawLayer, codes: pd.Series, field_level: Level | None,
              flag: str | None, several_layers: bool) -> Level:
    if flag:
        return get_level(flag)
    if raw.format in ("TopoJSON", "GeoPackage") and several_layers:
        named = level_for_topojson_object(raw.name)
        if named is not None:
            return named
    by_code = Counter(level.name if (level := level_for_code(c)) else None for c in codes)
    known = {name for name in by_code if name is not None}
    if len(known) > 1 or (known and None in by_code and field_level is None):
        listing = ", ".join(f"{name or 'unknown prefix'} ({n})" for name, n in by_code.most_common())
        raise InputError(f"Codes from several levels are mixed in {raw.name}: {listing}.",
                         "Pass «level» to say which level these boundaries are.")
    if len(known) == 1 and None not in by_code:
        return get_level(known.pop())
    if field_level is not None:
        return field_level
    named = level_for_topojson_object(raw.name)
    if named is not None:
        return named
    raise InputError(f"Cannot tell the level of {raw.name}: its codes have no known GSS prefix.",
                     "Pass «level» (one of lad, county, lep, cauth, lsip, region, country, msoa ...).")


def _file_vintage(layers: list[RawLayer]) -> int | None:
    """The newest validity year any layer states (multi-year files), else None."""
    years = []
    for raw in layers:
        for column in ("start", "end"):
            if column in raw.frame:
                values = pd.to_numeric(raw.frame[column], errors="coerce").dropna()
                years.extend(values.astype(int).tolist())
    return max(years) if years else None


@dataclass
class Repair:
    """What ``repair_geometries`` changed: GEOS's reason per repaired code, and the codes whose
    rings had duplicate consecutive vertices removed."""

    reasons: dict[str, str] = field(default_factory=dict)
    deduplicated: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        out = []
        if self.reasons:
            listed = "; ".join(f"{code}: {_metres(why)}" for code, why in list(self.reasons.items())[:5])
            more = f"; and {len(self.reasons) - 5} more" if len(self.reasons) > 5 else ""
            out.append(f"repaired {len(self.reasons)} invalid geometr"
                       f"{'y' if len(self.reasons) == 1 else 'ies'} ({listed}{more}).")
        if self.deduplicated:
            codes = ", ".join(self.deduplicated[:10]) + (" ..." if len(self.deduplicated) > 10 else "")
            out.append(f"removed duplicate consecutive vertices from {len(self.deduplicated)} "
                       f"area(s) ({codes}).")
        return out


def _metres(reason: str) -> str:
    """GEOS's reason with its coordinates to the metre: 'Self-intersection[155015 37915]'."""
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.0f}", reason)


def repair_geometries(geoms: np.ndarray, codes, layer: str = "boundaries",
                      checks: validation.GeometryChecks | None = None) -> tuple[np.ndarray, Repair]:
    """Geometries (in the CRS they will be stored in) made GEOS-valid, polygons kept polygonal, with
    no duplicate consecutive vertices; checked again after the repair, and only a point set or
    polygons pass. InputError for any that no repair makes valid, or when checking and repairing
    run past the time budget (GEOHUB_IMPORT_SECONDS) or a repair past its memory
    (GEOHUB_IMPORT_REPAIR_MB), naming the feature. ``checks`` carries one import's clock and
    repair process across its layers (a fresh one when not given)."""
    if checks is None:
        with validation.GeometryChecks() as own:
            return repair_geometries(geoms, codes, layer, own)
    codes = np.asarray(codes, dtype=object)
    values, reasons = checks.repaired(layer, np.asarray(geoms, dtype=object), codes)
    report = Repair()
    invalid = np.zeros(len(values), dtype=bool)
    invalid[list(reasons)] = True
    report.reasons = {codes[i]: reasons[i] for i in sorted(reasons)}
    validation.check_geometry_types(layer, values, codes)
    # Exact duplicates only (tolerance 0): the shape does not move. GEOS accepts them, QGIS's
    # validity check and some renderers do not.
    deduped = shapely.remove_repeated_points(values, tolerance=0)
    changed = shapely.get_num_coordinates(deduped) != shapely.get_num_coordinates(values)
    values = deduped
    report.deduplicated = [c for c in codes[changed & ~invalid].tolist()]
    still = ~shapely.is_valid(values)
    if still.any():
        bad = [f"{c} ({r})" for c, r in zip(codes[still], shapely.is_valid_reason(values[still]))]
        raise InputError(f"{len(bad)} geometr{'y stays' if len(bad) == 1 else 'ies stay'} invalid "
                         f"after repair: {', '.join(bad[:10])}.",
                         "Repair them in the source file (e.g. QGIS's Fix geometries) and import again.")
    return values, report


def prepare_layer(raw: RawLayer, *, level: str | None = None, vintage=None,
                  code_field: str | None = None, name_field: str | None = None,
                  file_vintage: int | None = None, several_layers: bool = False,
                  path: Path | None = None,
                  checks: validation.GeometryChecks | None = None) -> BoundarySetDraft:
    """Check one layer and return it as a boundary set in EPSG:27700; InputError if it is unfit.
    ``checks``: the import's geometry checks (clock and repair process), shared by its layers."""
    frame = raw.frame
    fields = detect_fields(frame, code_field, name_field)
    codes = frame[fields.code].astype("string").str.strip()
    missing = codes.isna() | (codes == "")
    if missing.any():
        rows = (np.flatnonzero(missing.to_numpy()) + 1).tolist()
        raise InputError(f"{raw.name}: {len(rows)} feature(s) have no code in {fields.code} "
                         f"(features {', '.join(map(str, rows[:10]))}).",
                         "Fill in the codes, or pass «code-field» to use another field.")
    dupes = sorted(code for code, n in Counter(codes).items() if n > 1)
    if dupes:
        raise InputError(f"{raw.name}: duplicate codes in {fields.code}: {', '.join(dupes[:20])}"
                         f"{' ...' if len(dupes) > 20 else ''}.",
                         "Each area must appear once: dissolve or remove the duplicates, or pass "
                         "«code-field» if another field identifies the areas.")
    lvl = _level_of(raw, codes, fields.level, level, several_layers)
    if vintage is not None:
        year = parse_vintage(vintage)
    else:
        year = fields.vintage or file_vintage or (vintage_from_filename(path) if path else None)
    if year is None:
        raise InputError(f"Cannot tell the vintage (boundary year) of {raw.name}.",
                         "Pass «vintage» YEAR, e.g. «vintage» 2021.")
    geoms = frame.geometry
    no_geom = geoms.isna() | geoms.is_empty
    if no_geom.any():
        bad = codes[no_geom.to_numpy()].tolist()
        raise InputError(f"{raw.name}: {len(bad)} area(s) have no geometry: {', '.join(bad[:10])}.",
                         "Fix or remove them in the source file.")
    checked = validation.check_layer(raw.name, frame, codes, year, fields.name)   # years, 2D, vertex limits
    # Repair after reprojecting: projecting can itself make a ring cross another one.
    geoms = gpd.GeoSeries(checked.geoms, index=frame.index, crs=frame.crs).to_crs(STORAGE_SRID)
    fixed, repair = repair_geometries(geoms.values, codes.astype(str).to_numpy(), layer=raw.name,
                                      checks=checks)
    geoms = gpd.GeoSeries(fixed, index=geoms.index, crs=STORAGE_SRID)
    names = frame[fields.name].astype("string").str.strip() if fields.name else pd.Series(
        pd.NA, index=frame.index, dtype="string")
    areas = gpd.GeoDataFrame({
        "code": codes.astype(str).to_numpy(),
        "name": names.to_numpy(dtype=object, na_value=None),
        "start_year": pd.to_numeric(frame["start"], errors="coerce").astype("Int64").to_numpy()
        if "start" in frame else pd.array([pd.NA] * len(frame), dtype="Int64"),
        "end_year": pd.to_numeric(frame["end"], errors="coerce").astype("Int64").to_numpy()
        if "end" in frame else pd.array([pd.NA] * len(frame), dtype="Int64"),
    }, geometry=geoms.to_numpy(), crs=STORAGE_SRID)
    notes = [] if fields.name else ["no name field found: areas are listed by code only."]
    notes += checked.notes + repair.notes()
    return BoundarySetDraft(lvl.name, year, areas, raw.name, fields.code, fields.name,
                            len(repair.reasons), notes)


def prepare_boundary_sets(path, *, level=None, vintage=None, code_field=None, name_field=None,
                          crs=None, layer=None, progress: bool = False) -> list[BoundarySetDraft]:
    """Read and check every layer of a boundary file; nothing is written."""
    path = Path(path)
    layers = read_boundary_file(path, layer=layer, crs=crs)
    file_vintage = _file_vintage(layers)
    drafts = []
    # One clock and at most one repair process for the whole file.
    with validation.GeometryChecks() as checks:
        for raw in tqdm(layers, desc=f"Preparing {path.name}", unit="layer", disable=not progress,
                        leave=False):
            drafts.append(prepare_layer(raw, level=level, vintage=vintage, code_field=code_field,
                                        name_field=name_field, file_vintage=file_vintage,
                                        several_layers=len(layers) > 1, path=path, checks=checks))
    seen = Counter((d.level, d.vintage) for d in drafts)
    clashes = [f"{lvl} {vin}" for (lvl, vin), n in seen.items() if n > 1]
    if clashes:
        raise InputError(f"Several layers of {path.name} would become the same boundary set: "
                         f"{', '.join(clashes)}.", "Import them one at a time with «layer» and «level».")
    return drafts


def write_boundary_sets(store: Store, drafts: list[BoundarySetDraft], *, source: str,
                        checksum: str | None, attribution: str | None = None,
                        progress: bool = False) -> BoundaryImport:
    """Write prepared sets in one transaction: all of them land, or none does."""
    attribution = attribution or boundary_attribution(max(d.vintage for d in drafts))
    details = {"sets": [{"level": d.level, "vintage": d.vintage, "layer": d.layer,
                         "count": len(d.areas), "repaired": d.repaired} for d in drafts]}
    with store.transaction() as tx:
        import_id = tx.record_import("boundaries", source, checksum, attribution, details)
        changes = [tx.replace_areas(d.level, d.vintage, d.areas, import_id)
                   for d in tqdm(drafts, desc="Writing", unit="set", disable=not progress, leave=False)]
    log.info("Imported boundaries from %s (import %s): %s", source, import_id,
             ", ".join(f"{d.level} {d.vintage} ({len(d.areas)} areas)" for d in drafts))
    return BoundaryImport(source, import_id, drafts, changes)


def import_boundaries(store_factory, path, *, level=None, vintage=None, code_field=None,
                      name_field=None, crs=None, layer=None, attribution=None,
                      progress: bool = False) -> BoundaryImport:
    """Read, check and import a boundary file. ``store_factory`` is called only once the file has
    passed every check, so a bad file never touches (or creates) the store."""
    drafts = prepare_boundary_sets(path, level=level, vintage=vintage, code_field=code_field,
                                   name_field=name_field, crs=crs, layer=layer, progress=progress)
    store = resolve_store(store_factory)
    return write_boundary_sets(store, drafts, source=str(Path(path).resolve()),
                               checksum=file_checksum(path), attribution=attribution,
                               progress=progress)
