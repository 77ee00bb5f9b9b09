"""Read boundary files as they come: GeoJSON, TopoJSON, zipped Shapefile and GeoPackage.

``read_boundary_file`` returns one ``RawLayer`` per layer (every object of a TopoJSON, every layer of a
GeoPackage) with the CRS the file declares or, for files without one, lon/lat per RFC 7946. It checks
the file is readable and its coordinates are plausible, and raises InputError with a fix otherwise.
Interpreting fields and levels is the geography layer's job.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS

from geohub.errors import InputError, NotFound, UnsupportedFormat

SUPPORTED = "GeoJSON (.geojson, .json), TopoJSON (.topojson, .json), zipped Shapefile (.zip), GeoPackage (.gpkg)"

# Envelopes (with margin) for plausibility checks: lon/lat anywhere, British National Grid's extent.
_LONLAT = (-180.0, -90.0, 180.0, 90.0)
_BNG = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)


@dataclass
class RawLayer:
    """One layer of a boundary file, as read: properties, geometry and CRS (EPSG:27700 or other)."""

    name: str
    frame: gpd.GeoDataFrame
    format: str


def _within(bounds, box) -> bool:
    minx, miny, maxx, maxy = bounds
    return box[0] <= minx and box[1] <= miny and maxx <= box[2] and maxy <= box[3]


def looks_like_lonlat(bounds) -> bool:
    return _within(bounds, _LONLAT)


def looks_like_bng(bounds) -> bool:
    # Tiny extents near the false origin are lon/lat numbers read as metres, not real boundaries.
    return _within(bounds, _BNG) and max(bounds[2] - bounds[0], bounds[3] - bounds[1]) > 1_000


def parse_crs(value) -> CRS:
    """A CRS from an EPSG number or any string pyproj accepts; InputError otherwise."""
    try:
        return CRS.from_epsg(int(value)) if str(value).isdigit() else CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises CRSError with a long message
        raise InputError(f"{value!r} is not a coordinate reference system geohub knows.",
                         "Give an EPSG number, e.g. «crs» 27700 or «crs» 4326.") from exc


def _check_declared_crs(path: Path, member) -> None:
    """A GeoJSON ``crs`` member must name a CRS PROJ knows (GDAL would quietly read an unknown
    EPSG code such as 999999 as lon/lat)."""
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(name, str):
        raise InputError(f"{path.name}: its crs member does not name a coordinate system.",
                         "Remove it (RFC 7946 GeoJSON is lon/lat), or pass «crs».")
    try:
        CRS.from_user_input(name)
    except Exception as exc:  # pyproj's CRSError
        shown = name if len(name) <= 80 else name[:79] + "…"
        raise InputError(f"{path.name} declares the coordinate system {shown!r}, which PROJ does "
                         "not know.", "Fix the crs member, or pass «crs» with its EPSG number, "
                         "e.g. «crs» 27700.") from exc


def _sniff_json(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text, so it is not GeoJSON or TopoJSON.",
                         f"Supported formats: {SUPPORTED}.") from exc
    except RecursionError as exc:
        raise InputError(f"{path.name} is nested too deeply to be GeoJSON or TopoJSON.",
                         "Check it is a real boundary file.") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}.",
                         "Check the file downloaded completely; re-download or re-export it.") from exc
    if not isinstance(data, dict) or "type" not in data:
        raise UnsupportedFormat(f"{path.name} is JSON but neither GeoJSON nor TopoJSON (no 'type').",
                                f"Supported formats: {SUPPORTED}.")
    return data


def _read(source: str, layer: str | None, fmt: str) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(source, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"Could not read {Path(source).name} as {fmt}: {exc}.",
                         f"Check the file is a complete {fmt}; supported formats: {SUPPORTED}.") from exc
    except shapely.errors.GEOSException as exc:
        raise _unreadable_geometry(source, layer, exc) from exc


def _unreadable_geometry(source: str, layer: str | None, error) -> InputError:
    """The InputError for a geometry GEOS cannot even build (an unclosed ring, a ring of two
    points), naming the first such feature by its number and code field (ONS's ...CD)."""
    meta, _, wkbs, values = pyogrio.raw.read(source, layer=layer)
    fields = list(meta["fields"])
    named = next((i for i, f in enumerate(fields) if str(f).upper().endswith("CD")), 0 if fields else None)
    for number, wkb in enumerate(wkbs, start=1):
        try:
            shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as exc:
            error = exc
            code = f" ({fields[named]} {str(values[named][number - 1])[:40]!r})" if named is not None else ""
            break
    else:
        number, code = None, ""
    where = f"feature {number}{code}" if number else "a feature"
    text = str(error) if len(str(error)) <= 80 else str(error)[:79] + "…"
    return InputError(f"{Path(source).name}: {where} has a geometry GEOS cannot read ({text}).",
                      "Fix it in the source file (e.g. QGIS's Fix geometries, or ogr2ogr -makevalid): "
                      "every ring needs at least four points, the last one equal to the first.")


def _layers_of_json(path: Path, data: dict, layer: str | None,
                    crs_given: bool = False) -> list[RawLayer]:
    kind = data["type"]
    if kind == "Topology":
        objects = list((data.get("objects") or {}).keys())
        if not objects:
            raise InputError(f"The TopoJSON {path.name} has no objects.", "Check the file is complete.")
        names = objects
        if layer is not None:
            if layer not in objects:
                raise NotFound(f"The TopoJSON {path.name} has no object {layer!r}.",
                               f"Its objects are: {', '.join(objects)}.")
            names = [layer]
        return [RawLayer(name, _read(str(path), name, "TopoJSON"), "TopoJSON") for name in names]
    if kind == "FeatureCollection":
        if not data.get("features"):
            raise InputError(f"{path.name} has no features.", "Check the file is complete.")
    elif kind != "Feature":
        raise UnsupportedFormat(f"{path.name} is GeoJSON of type {kind!r}, not a FeatureCollection.",
                                "Boundary files must be features with properties (code, name).")
    if "crs" in data and not crs_given:
        _check_declared_crs(path, data["crs"])
    frame = _read(str(path), None, "GeoJSON")
    if "crs" not in data:
        frame = frame.set_crs(4326, allow_override=True)  # RFC 7946: no crs member means lon/lat
    return [RawLayer(path.stem, frame, "GeoJSON")]


def _check_size(path: Path, size: int, what: str) -> None:
    """Refuse, before reading, a file larger than GEOHUB_IMPORT_MAX_MB (unzipped): a small zip can
    hold hundreds of megabytes that reading would hold in memory for minutes."""
    from geohub import settings
    limit_mb = float(settings.get("GEOHUB_IMPORT_MAX_MB") or 0)
    if limit_mb and size > limit_mb * 1024 * 1024:
        raise InputError(f"{path.name} {what} {size / 1024 / 1024:,.0f} MB, more than the "
                         f"{limit_mb:,.0f} MB an import may read.",
                         "Use a generalised edition (the ONS 'BGC' or 'BUC' files), split the file, "
                         "or raise GEOHUB_IMPORT_MAX_MB.")


def _layers_of_zip(path: Path, layer: str | None, crs_given: bool) -> list[RawLayer]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.namelist()
            _check_size(path, sum(info.file_size for info in zf.infolist()), "unzips to")
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path.name} is not a valid zip file.",
                         "Re-download it, or zip the Shapefile's .shp, .shx, .dbf and .prj together.") from exc
    shapefiles = [m for m in members if m.lower().endswith(".shp")]
    if not shapefiles:
        raise UnsupportedFormat(f"{path.name} holds no Shapefile (.shp).",
                                f"Supported formats: {SUPPORTED}.")
    if layer is not None:
        shapefiles = [m for m in shapefiles if Path(m).stem == layer]
        if not shapefiles:
            raise NotFound(f"{path.name} has no Shapefile called {layer!r}.",
                           f"It holds: {', '.join(Path(m).stem for m in members if m.lower().endswith('.shp'))}.")
    layers = []
    lowered = {m.lower() for m in members}
    for member in shapefiles:
        prj = member[:-4] + ".prj"
        if prj.lower() not in lowered and not crs_given:
            raise InputError(f"The Shapefile {member} in {path.name} has no .prj file, so its "
                             "coordinate system is unknown.",
                             "Pass «crs», e.g. «crs» 27700 for British National Grid or «crs» 4326.")
        frame = _read(f"/vsizip/{path}/{member}", None, "zipped Shapefile")
        layers.append(RawLayer(Path(member).stem, frame, "zipped Shapefile"))
    return layers


def _layers_of_gpkg(path: Path, layer: str | None) -> list[RawLayer]:
    try:
        available = [name for name, geom in pyogrio.list_layers(path) if geom]
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{path.name} is not a readable GeoPackage: {exc}.",
                         "Check the file is complete.") from exc
    if layer is not None:
        if layer not in available:
            raise NotFound(f"The GeoPackage {path.name} has no layer {layer!r}.",
                           f"Its layers with geometry are: {', '.join(available)}.")
        available = [layer]
    return [RawLayer(name, _read(str(path), name, "GeoPackage"), "GeoPackage") for name in available]


def _check_coordinates(raw: RawLayer, path: Path) -> None:
    frame = raw.frame
    where = f"{path.name}" + (f" ({raw.name})" if raw.format in ("TopoJSON", "GeoPackage") else "")
    if frame.geometry.isna().all() or frame.geometry.is_empty.all():
        raise InputError(f"{where} has no geometries.", "Check the file is complete.")
    crs = frame.crs
    if crs is None:
        raise InputError(f"{where} does not say which coordinate system it uses.",
                         "Pass «crs», e.g. «crs» 27700 or «crs» 4326.")
    bounds = tuple(frame.total_bounds)
    lonlat, bng = looks_like_lonlat(bounds), looks_like_bng(bounds)
    if crs.is_geographic:
        plausible = lonlat
    elif crs.to_epsg() == 27700:
        plausible = bng
    else:
        plausible = looks_like_bng(tuple(frame.geometry.to_crs(27700).total_bounds))
    if plausible:
        return
    extent = f"(extent {_fmt(bounds)})"
    if not lonlat and not bng:
        raise InputError(f"The coordinates of {where} {extent} are neither plausible longitude/latitude "
                         "nor British National Grid metres.",
                         "Check the file, or pass «crs» with its coordinate system (EPSG number).")
    declared = crs.name
    looks = "British National Grid metres" if bng and not lonlat else "longitude/latitude"
    fix = "«crs» 27700" if looks.startswith("British") else "«crs» 4326"
    raise InputError(f"The coordinates of {where} {extent} look like {looks}, but the file declares "
                     f"{declared}.", f"Pass {fix} to read them as {looks}.")


def _fmt(bounds) -> str:
    return "(" + ", ".join(f"{b:.6g}" for b in bounds) + ")"


def read_boundary_file(path: str | Path, *, layer: str | None = None,
                       crs=None) -> list[RawLayer]:
    """Every layer of a boundary file (or just ``layer``), with a checked CRS.

    ``crs`` (EPSG number or string) overrides what the file declares. Raises NotFound, InputError
    or UnsupportedFormat with a message naming the problem and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise NotFound(f"File not found: {path}.", "Check the path (relative paths start from the "
                       "current directory).")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a boundary file.", f"Supported formats: {SUPPORTED}.")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes).", "Re-download or re-export it.")
    _check_size(path, path.stat().st_size, "is")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json", ".topojson"):
        layers = _layers_of_json(path, _sniff_json(path), layer, crs is not None)
    elif suffix == ".zip":
        layers = _layers_of_zip(path, layer, crs is not None)
    elif suffix == ".gpkg":
        layers = _layers_of_gpkg(path, layer)
    else:
        raise UnsupportedFormat(f"geohub cannot read {path.name}: {suffix or 'no extension'} is not a "
                                "boundary format it knows.", f"Supported formats: {SUPPORTED}.")
    override = parse_crs(crs) if crs is not None else None
    for raw in layers:
        if override is not None:
            raw.frame = raw.frame.set_crs(override, allow_override=True)
        elif raw.frame.crs is None and raw.format == "TopoJSON":
            raw.frame = raw.frame.set_crs(4326)  # TopoJSON has no CRS: ONS publishes it in lon/lat
        _check_coordinates(raw, path)
    return layers
