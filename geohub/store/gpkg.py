"""The embedded store: one OGC GeoPackage file (SQLite), readable by GDAL, QGIS and any GeoPackage reader.

Geometries are written as GeoPackage binary (a ``GP`` header with an envelope, then ISO WKB) in
EPSG:27700. Every table registered in ``gpkg_contents`` has an INTEGER PRIMARY KEY (GDAL and QGIS
take it as the feature id), and ``areas.geom`` has the ``gpkg_rtree_index`` extension: an SQLite
R-tree kept up to date by the spec's triggers, so it changes inside the same transaction as the
areas it indexes. Writes run in one SQLite transaction (rollback journal, not WAL, so the file alone
is the store): a failed import rolls back and leaves the file byte-for-byte as it was. A store
written by an older geohub is migrated to the current schema when it is opened (``MIGRATIONS``).
"""
from __future__ import annotations

import sqlite3
import struct
import uuid
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
_TYPES = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "text_key": "TEXT UNIQUE NOT NULL",
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


def _is_empty(blob):
    """ST_IsEmpty of GeoPackage binary: the header's empty-geometry flag (bit 4)."""
    if blob is None:
        return None
    return int(bool(bytes(blob)[3] & 0b10000))


def _envelope(blob, index: int):
    if blob is None:
        return None
    blob = bytes(blob)
    if blob[3] & 0b10000:  # an empty geometry has no extent
        return None
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
        # The spec's R-tree triggers call these SQL functions (GDAL defines them too).
        for name, index in (("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)):
            conn.create_function(name, 1, lambda b, i=index: _envelope(b, i), deterministic=True)
        conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
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
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise StoreError(f"{self.path} is not a GeoPackage ({exc}).",
                                 "Point GEOHUB_STORE at a geohub store or a new file name.") from exc
            raise StoreError("The store is locked by a writer (an import) that holds it too long.",
                             "Wait for the import to finish and try again.", status=503) from exc
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
        """Bring a store written by an older geohub to SCHEMA_VERSION, in one transaction."""
        kinds = {table: dict(columns) for table, columns in TABLES.items()}
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated it while this one waited for the lock.
            version = int(c.execute(
                "SELECT value FROM geohub_meta WHERE key = 'schema_version'").fetchone()[0])
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for table, column in ADDED_COLUMNS.get(step, []):
                    c.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {_TYPES[kinds[table][column]]}')
                if step in MIGRATIONS:
                    MIGRATIONS[step](c)
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
            c.execute(_EXTENSIONS_TABLE)
            for table, columns in TABLES.items():
                _create_table(c, table)
                is_features = any(kind == "geometry" for _, kind in columns)
                c.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
                          " srs_id) VALUES (?, ?, ?, ?, ?)",
                          (table, "features" if is_features else "attributes", table,
                           DESCRIPTIONS[table], STORAGE_SRID if is_features else None))
                if is_features:
                    c.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', ?, 0, 0)",
                              (table, STORAGE_SRID))
                    _create_rtree(c, table)
            c.executemany("INSERT INTO geohub_meta (key, value) VALUES (?, ?)",
                          [("schema_version", str(SCHEMA_VERSION)), ("revision", "0"),
                           ("store_id", uuid.uuid4().hex)])
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


# -- schema pieces (shared by creation and migration) ----------------------------------------------
_EXTENSIONS_TABLE = ("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT,"
                     " extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,"
                     " CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
RTREE_DEFINITION = "http://www.geopackage.org/spec120/#extension_rtree"


def _create_table(c, table: str, name: str | None = None) -> None:
    """CREATE TABLE (as ``name``, default ``table``) with the columns of TABLES[table]; its
    indexes are created only under the table's own name."""
    name = name or table
    cols = ", ".join(f'"{col}" {_TYPES[kind]}' for col, kind in TABLES[table])
    c.execute(f'CREATE TABLE "{name}" ({cols})')
    if name == table:
        for i, index in enumerate(INDEXES.get(table, [])):
            c.execute(f'CREATE INDEX "{table}_idx{i}" ON "{table}" ({", ".join(index)})')


def _create_rtree(c, table: str, column: str = "geom") -> None:
    """The gpkg_rtree_index extension on ``table.column``: the R-tree, filled with the rows already
    there, and the spec's triggers (GeoPackage 1.2/1.3, Annex F.3) that keep it in step."""
    key = next(col for col, kind in TABLES[table] if kind == "id")
    rtree = f"rtree_{table}_{column}"
    new_box = f"NEW.{key}, ST_MinX(NEW.{column}), ST_MaxX(NEW.{column}), ST_MinY(NEW.{column}), ST_MaxY(NEW.{column})"
    present = f"(NEW.{column} NOT NULL AND NOT ST_IsEmpty(NEW.{column}))"
    absent = f"(NEW.{column} ISNULL OR ST_IsEmpty(NEW.{column}))"
    c.execute(f'CREATE VIRTUAL TABLE "{rtree}" USING rtree(id, minx, maxx, miny, maxy)')
    c.execute(f'INSERT INTO "{rtree}" SELECT {key}, ST_MinX({column}), ST_MaxX({column}),'
              f' ST_MinY({column}), ST_MaxY({column}) FROM "{table}"'
              f' WHERE {column} NOT NULL AND NOT ST_IsEmpty({column})')
    triggers = {
        "insert": f"AFTER INSERT ON {table} WHEN {present} BEGIN"
                  f" INSERT OR REPLACE INTO {rtree} VALUES ({new_box}); END",
        "update1": f"AFTER UPDATE OF {column} ON {table} WHEN OLD.{key} = NEW.{key} AND {present}"
                   f" BEGIN INSERT OR REPLACE INTO {rtree} VALUES ({new_box}); END",
        "update2": f"AFTER UPDATE OF {column} ON {table} WHEN OLD.{key} = NEW.{key} AND {absent}"
                   f" BEGIN DELETE FROM {rtree} WHERE id = OLD.{key}; END",
        "update3": f"AFTER UPDATE ON {table} WHEN OLD.{key} != NEW.{key} AND {present}"
                   f" BEGIN DELETE FROM {rtree} WHERE id = OLD.{key};"
                   f" INSERT OR REPLACE INTO {rtree} VALUES ({new_box}); END",
        "update4": f"AFTER UPDATE ON {table} WHEN OLD.{key} != NEW.{key} AND {absent}"
                   f" BEGIN DELETE FROM {rtree} WHERE id IN (OLD.{key}, NEW.{key}); END",
        "delete": f"AFTER DELETE ON {table} WHEN OLD.{column} NOT NULL"
                  f" BEGIN DELETE FROM {rtree} WHERE id = OLD.{key}; END",
    }
    for name, body in triggers.items():
        c.execute(f"CREATE TRIGGER {rtree}_{name} {body}")
    c.execute("INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', ?, 'write-only')",
              (table, column, RTREE_DEFINITION))


def _rebuild_with_integer_key(c, table: str) -> None:
    """Recreate ``table`` with its TABLES columns (an INTEGER PRIMARY KEY first) and its rows."""
    keep = [col for col, kind in TABLES[table] if kind != "id"]
    listed = ", ".join(f'"{col}"' for col in keep)
    _create_table(c, table, f"{table}_v2")
    c.execute(f'INSERT INTO "{table}_v2" ({listed}) SELECT {listed} FROM "{table}"')
    c.execute(f'DROP TABLE "{table}"')
    c.execute(f'ALTER TABLE "{table}_v2" RENAME TO "{table}"')
    for i, index in enumerate(INDEXES.get(table, [])):
        c.execute(f'CREATE INDEX "{table}_idx{i}" ON "{table}" ({", ".join(index)})')


def _migrate_to_3(c) -> None:
    """Schema 3: integer keys on indicators and geohub_meta, the R-tree on areas.geom (each only
    where the store lacks it)."""
    for table in ("indicators", "geohub_meta"):
        columns = [row[1] for row in c.execute(f'PRAGMA table_info("{table}")')]
        if "fid" not in columns:
            _rebuild_with_integer_key(c, table)
    c.execute(_EXTENSIONS_TABLE)
    if not c.execute("SELECT 1 FROM sqlite_master WHERE name = 'rtree_areas_geom'").fetchone():
        _create_rtree(c, "areas")


# version -> function bringing a store from the previous version to this one, after the columns
# ADDED_COLUMNS lists for it (in the migration's transaction).
MIGRATIONS = {3: _migrate_to_3}
