"""The embedded store: one OGC GeoPackage file (SQLite), readable by GDAL, QGIS and any GeoPackage reader.

Geometries are written as GeoPackage binary (a ``GP`` header with an envelope, then ISO WKB) in
EPSG:27700. Writes run in one SQLite transaction (rollback journal, not WAL, so the file alone is the
store): a failed import rolls back and leaves the file byte-for-byte as it was.
"""
from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from geohub.errors import StoreError
from geohub.store.schema import (ADDED_COLUMNS, DESCRIPTIONS, INDEXES, SCHEMA_VERSION, STORAGE_SRID,
                                 TABLES)
from geohub.store.sql import SqlStore

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10300         # GeoPackage 1.3.0
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_HEADER = struct.Struct("<2sBBi4d")
_TYPES = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "text_key": "TEXT PRIMARY KEY NOT NULL",
          "text": "TEXT", "int": "INTEGER", "real": "DOUBLE", "json": "TEXT", "geometry": "GEOMETRY"}


def encode_gpkg_geometry(geoms: np.ndarray, srs_id: int = STORAGE_SRID) -> list[bytes]:
    """GeoPackage binary blobs (little-endian header with an XY envelope, then ISO WKB)."""
    wkbs = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    bounds = shapely.bounds(geoms)
    return [_HEADER.pack(b"GP", 0, 0b011, srs_id, b[0], b[2], b[1], b[3]) + w
            for w, b in zip(wkbs, bounds)]


def _wkb_of(blob: bytes) -> bytes:
    if blob[:2] != b"GP":
        raise StoreError("A geometry in the GeoPackage is not GeoPackage binary.",
                         "Re-import the boundary set with geohub import-boundaries.")
    return blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0b111]:]


def decode_gpkg_geometry(blobs: list) -> np.ndarray:
    """Shapely geometries from GeoPackage binary blobs (None stays None)."""
    return shapely.from_wkb([None if b is None else _wkb_of(bytes(b)) for b in blobs])


def _envelope(blob, index: int):
    if blob is None:
        return None
    blob = bytes(blob)
    if (blob[3] >> 1) & 0b111 == 0:  # no envelope stored: measure the geometry
        return shapely.bounds(shapely.from_wkb(_wkb_of(blob)))[[0, 2, 1, 3][index]]
    endian = "<" if blob[3] & 1 else ">"
    return struct.unpack_from(f"{endian}d", blob, 8 + 8 * index)[0]


class GeoPackageStore(SqlStore):
    """The store as a single GeoPackage file; created with its schema on first use."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the store {self.path}: {exc}.",
                             "Check GEOHUB_STORE points to a writable GeoPackage file.") from exc
        # GeoPackage readers expect these SQL functions (the spec's rtree triggers use them).
        for name, index in (("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)):
            conn.create_function(name, 1, lambda b, i=index: _envelope(b, i), deterministic=True)
        super().__init__(str(self.path), conn)
        if existed:
            self._check_existing()
        else:
            self._create_schema()

    # -- schema ---------------------------------------------------------------------------------
    def _check_existing(self) -> None:
        try:
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
            has_meta = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'geohub_meta'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a GeoPackage ({exc}).",
                             "Point GEOHUB_STORE at a geohub store or a new file name.") from exc
        if app_id != GPKG_APPLICATION_ID or not has_meta:
            raise StoreError(f"{self.path} is not a geohub GeoPackage store.",
                             "Point GEOHUB_STORE at a geohub store or a new file name.")
        version = int(self.conn.execute(
            "SELECT value FROM geohub_meta WHERE key = 'schema_version'").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer geohub (schema {version}).",
                             "Upgrade geohub to read it.")
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Bring an older store's schema up to date, in one transaction."""
        kinds = {table: dict(columns) for table, columns in TABLES.items()}
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for table, column in ADDED_COLUMNS.get(step, []):
                    c.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {_TYPES[kinds[table][column]]}')
            c.execute("UPDATE geohub_meta SET value = ? WHERE key = 'schema_version'",
                      (str(SCHEMA_VERSION),))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _create_schema(self) -> None:
        srs = [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, CRS.from_epsg(4326).to_wkt("WKT1_GDAL"), "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
            ("OSGB36 / British National Grid", STORAGE_SRID, "EPSG", STORAGE_SRID,
             CRS.from_epsg(STORAGE_SRID).to_wkt("WKT1_GDAL"), "British National Grid, metres"),
        ]
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
            c.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
            c.execute("CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER"
                      " PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT"
                      " NULL, definition TEXT NOT NULL, description TEXT)")
            c.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs)
            c.execute("CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type"
                      " TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',"
                      " last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
                      " min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,"
                      " CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES"
                      " gpkg_spatial_ref_sys(srs_id))")
            c.execute("CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name"
                      " TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,"
                      " z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY"
                      " (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),"
                      " CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES"
                      " gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id)"
                      " REFERENCES gpkg_spatial_ref_sys (srs_id))")
            for table, columns in TABLES.items():
                cols = ", ".join(f'"{name}" {_TYPES[kind]}' for name, kind in columns)
                c.execute(f'CREATE TABLE "{table}" ({cols})')
                for i, index in enumerate(INDEXES.get(table, [])):
                    c.execute(f'CREATE INDEX "{table}_idx{i}" ON "{table}" ({", ".join(index)})')
                is_features = any(kind == "geometry" for _, kind in columns)
                c.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
                          " srs_id) VALUES (?, ?, ?, ?, ?)",
                          (table, "features" if is_features else "attributes", table,
                           DESCRIPTIONS[table], STORAGE_SRID if is_features else None))
                if is_features:
                    c.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', ?, 0, 0)",
                              (table, STORAGE_SRID))
            c.executemany("INSERT INTO geohub_meta (key, value) VALUES (?, ?)",
                          [("schema_version", str(SCHEMA_VERSION)), ("revision", "0")])
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    # -- dialect --------------------------------------------------------------------------------
    def _geom_insert(self) -> str:
        return "?"

    def _geom_select(self, column: str) -> str:
        return column

    def _encode_geoms(self, geoms):
        return encode_gpkg_geometry(geoms)

    def _decode_geoms(self, values):
        return decode_gpkg_geometry(values)

    def _begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def _insert_returning_id(self, cur, sql, params):
        cur.execute(sql, params)
        return int(cur.lastrowid)

    def _after_write(self, cur, tables):
        for table in sorted(tables):
            cur.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                        " WHERE table_name = ?", (table,))
        if "areas" in tables:
            cur.execute("UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = (SELECT"
                        " MIN(ST_MinX(geom)), MAX(ST_MaxX(geom)), MIN(ST_MinY(geom)), MAX(ST_MaxY(geom))"
                        " FROM areas) WHERE table_name = 'areas'")
