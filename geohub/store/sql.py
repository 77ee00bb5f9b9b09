"""The store interface implemented once over a DB-API connection; dialects supply the differences.

GeoPackage (SQLite) and PostGIS share every query. A dialect says how to spell a parameter, how a
geometry goes in and comes out, and how the schema is created; everything else lives here.
"""
from __future__ import annotations

import json
import uuid
from abc import abstractmethod
from contextlib import contextmanager
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geohub.store.base import BoundarySet, Changes, Store, StoreWriter
from geohub.store.schema import DERIVED_METHODS, STORAGE_SRID, TABLES

AREA_COLUMNS = ["code", "name", "level", "vintage", "start_year", "end_year"]
VALUE_COLUMNS = ["level", "vintage", "area_code", "period", "value", "flag", "ci95"]
INDICATOR_CORE = ("id", "title", "unit", "kind", "source", "licence")  # columns; the rest is metadata
REL_COLUMNS = ["source_level", "source_vintage", "source_code", "target_level", "target_vintage",
               "target_code", "share", "method"]


def _none_if_nan(value):
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _nullable_int(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("Int64")


class SqlStore(Store):
    """Store over a DB-API connection. Subclasses: GeoPackageStore, PostGISStore."""

    param = "?"  # the dialect's placeholder

    def __init__(self, url: str, connection):
        self.url = url
        self.conn = connection

    # -- dialect hooks ------------------------------------------------------------------------
    @abstractmethod
    def _geom_insert(self) -> str:
        """SQL for one geometry parameter in an INSERT."""

    @abstractmethod
    def _geom_select(self, column: str) -> str:
        """SQL selecting a geometry column as something ``_decode_geoms`` reads."""

    @abstractmethod
    def _encode_geoms(self, geoms: np.ndarray) -> list:
        """Parameters for ``_geom_insert``, one per shapely geometry (EPSG:27700)."""

    @abstractmethod
    def _decode_geoms(self, values: list) -> np.ndarray:
        """Shapely geometries from what ``_geom_select`` returned."""

    @abstractmethod
    def _begin(self) -> None: ...

    def _commit(self) -> None:
        self.conn.commit()

    def _rollback(self) -> None:
        self.conn.rollback()

    @abstractmethod
    def _insert_returning_id(self, cur, sql: str, params: tuple) -> int: ...

    def _after_write(self, cur, tables: set[str]) -> None:
        """Dialect bookkeeping before commit (GeoPackage: gpkg_contents extents)."""

    def _after_load(self, cur, table: str) -> None:
        """Dialect bookkeeping after rows were loaded with their ids (PostGIS: sequences)."""

    # -- helpers --------------------------------------------------------------------------------
    def _q(self, sql: str) -> str:
        return sql if self.param == "?" else sql.replace("?", self.param)

    def _query(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        cur = self.conn.cursor()
        try:
            cur.execute(self._q(sql), params)
            columns = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)
        finally:
            cur.close()

    def _where(self, **filters) -> tuple[str, tuple]:
        clauses, params = [], []
        for column, value in filters.items():
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

    # -- Store ----------------------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def revision(self) -> int:
        frame = self._query("SELECT value FROM geohub_meta WHERE key = 'revision'")
        return int(frame["value"].iloc[0]) if len(frame) else 0

    def identity(self) -> str:
        """Names this store's content: its id (a UUID written at creation), revision, and the
        random token of its last write. A store re-created at the same path, or restored from a
        backup and then written, never repeats an identity (caches key on it, not on the path)."""
        frame = self._query("SELECT key, value FROM geohub_meta WHERE key IN"
                            " ('store_id', 'revision', 'state')")
        meta = dict(zip(frame["key"], frame["value"]))
        store_id = meta.get("store_id") or f"path:{self.url}"   # older stores get one on a write
        return f"{store_id}|rev{meta.get('revision', '0')}|{meta.get('state', '')}"

    @contextmanager
    def transaction(self, *, revise: bool = True):
        """A writer in one transaction. ``revise=False`` is for memos of what the store already
        holds (derived relationships): they change no figure, so caches keyed on the revision
        stay valid."""
        self._begin()
        writer = SqlWriter(self)
        try:
            yield writer
            cur = self.conn.cursor()
            if revise:
                cur.execute(self._q("UPDATE geohub_meta SET value = ? WHERE key = 'revision'"),
                            (str(self.revision() + 1),))
                cur.execute(self._q("DELETE FROM geohub_meta WHERE key = 'state'"))
                cur.execute(self._q("INSERT INTO geohub_meta (key, value) VALUES ('state', ?)"),
                            (uuid.uuid4().hex,))
                cur.execute(self._q("INSERT INTO geohub_meta (key, value) SELECT 'store_id', ? WHERE"
                                    " NOT EXISTS (SELECT 1 FROM geohub_meta WHERE key = 'store_id')"),
                            (uuid.uuid4().hex,))
            self._after_write(cur, writer.touched)
            cur.close()
            self._commit()
        except BaseException:
            self._rollback()
            raise

    def boundary_sets(self) -> list[BoundarySet]:
        frame = self._query(
            "SELECT level, vintage, COUNT(*) AS n, MIN(start_year) AS first_start,"
            " MIN(end_year) AS first_end, MAX(import_id) AS import_id,"
            " SUM(CASE WHEN start_year IS NOT NULL OR end_year IS NOT NULL THEN 1 ELSE 0 END) AS dated"
            " FROM areas GROUP BY level, vintage ORDER BY level, vintage")
        sets = []
        for row in frame.itertuples(index=False):
            first = None
            if row.dated:
                years = [int(y) for y in (row.first_start, row.first_end) if pd.notna(y)]
                # A row that ended in year Y was live in Y: the set reaches back at least that far.
                first = min(min(years), int(row.vintage))
            sets.append(BoundarySet(row.level, int(row.vintage), int(row.n), first,
                                    None if pd.isna(row.import_id) else int(row.import_id)))
        return sets

    def _read_areas(self, level, vintage, codes, geometry):
        columns = ", ".join(AREA_COLUMNS)
        if geometry:
            columns += ", " + self._geom_select("geom") + " AS geom"
        sql = f"SELECT {columns} FROM areas WHERE level = ? AND vintage = ?"
        params: tuple = (level, int(vintage))
        if codes is not None:
            if not codes:
                sql += " AND 1 = 0"
            else:
                sql += f" AND code IN ({', '.join('?' * len(codes))})"
                params += tuple(codes)
        frame = self._query(sql + " ORDER BY code", params)
        for column in ("vintage", "start_year", "end_year"):
            frame[column] = _nullable_int(frame[column])
        if not geometry:
            return frame
        geoms = self._decode_geoms(frame.pop("geom").tolist())
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_SRID))

    def relationships(self, *, source_level=None, source_vintage=None, target_level=None,
                      target_vintage=None, method=None) -> pd.DataFrame:
        where, params = self._where(source_level=source_level, source_vintage=source_vintage,
                                    target_level=target_level, target_vintage=target_vintage,
                                    method=method)
        frame = self._query(f"SELECT {', '.join(REL_COLUMNS)} FROM relationships{where}"
                            " ORDER BY source_code, target_code", params)
        for column in ("source_vintage", "target_vintage"):
            frame[column] = _nullable_int(frame[column])
        frame["share"] = frame["share"].astype(float)
        return frame

    def indicators(self) -> list[dict]:
        frame = self._query("SELECT id, title, unit, kind, source, licence, metadata, import_id"
                            " FROM indicators ORDER BY id")
        metas = []
        for row in frame.to_dict("records"):
            extra = json.loads(row.pop("metadata") or "{}")
            metas.append({**extra, **{k: _none_if_nan(v) for k, v in row.items()}})
        return metas

    def _values(self, columns: list[str], order: str, **filters) -> pd.DataFrame:
        """Rows of indicator_values matching ``filters``, vintages as nullable ints, values as floats."""
        where, params = self._where(**filters)
        frame = self._query(f"SELECT {', '.join(columns)} FROM indicator_values{where} ORDER BY {order}",
                            params)
        frame["vintage"] = _nullable_int(frame["vintage"])
        for column in ("value", "ci95"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    def indicator_values(self, indicator_id, *, level=None, vintage=None, period=None):
        return self._values(VALUE_COLUMNS, "level, vintage, period, area_code",
                            indicator=indicator_id, level=level, vintage=vintage, period=period)

    def area_values(self, area_code):
        return self._values(["indicator", *VALUE_COLUMNS], "indicator, period", area_code=area_code)

    def dump_table(self, table: str) -> tuple[list[str], list[tuple]]:
        """Every row of a store table, geometries as WKB (for copying a store losslessly)."""
        columns = [name for name, _ in TABLES[table]]
        select = [self._geom_select(c) + f" AS {c}" if kind == "geometry" else c
                  for c, kind in TABLES[table]]
        cur = self.conn.cursor()
        try:
            cur.execute(f"SELECT {', '.join(select)} FROM {table} ORDER BY {columns[0]}")
            rows = cur.fetchall()
        finally:
            cur.close()
        geom_at = [i for i, (_, kind) in enumerate(TABLES[table]) if kind == "geometry"]
        if geom_at:
            i = geom_at[0]
            wkbs = shapely.to_wkb(self._decode_geoms([r[i] for r in rows]), flavor="iso")
            rows = [r[:i] + (w,) + r[i + 1:] for r, w in zip(rows, wkbs)]
        return columns, [tuple(r) for r in rows]

    def imports(self) -> pd.DataFrame:
        frame = self._query("SELECT id, kind, source, checksum, imported_at, attribution, details"
                            " FROM imports ORDER BY id")
        frame["details"] = [json.loads(d or "{}") for d in frame["details"]]
        return frame


class SqlWriter(StoreWriter):
    """Writes through the store's connection inside the transaction it opened."""

    def __init__(self, store: SqlStore):
        self.store = store
        self.cur = store.conn.cursor()
        self.touched: set[str] = set()

    def _exec(self, sql: str, params: tuple = ()):
        self.cur.execute(self.store._q(sql), params)

    def _many(self, sql: str, rows: list[tuple]):
        if rows:
            self.cur.executemany(self.store._q(sql), rows)

    def record_import(self, kind, source, checksum, attribution, details):
        self.touched.add("imports")
        return self.store._insert_returning_id(
            self.cur, self.store._q(
                "INSERT INTO imports (kind, source, checksum, imported_at, attribution, details)"
                " VALUES (?, ?, ?, ?, ?, ?)"),
            (kind, str(source), checksum, datetime.now(timezone.utc).isoformat(timespec="seconds"),
             attribution, json.dumps(details, default=str)))

    def replace_areas(self, level, vintage, areas, import_id):
        self.touched.add("areas")
        old = self.store._query("SELECT code, name FROM areas WHERE level = ? AND vintage = ?",
                                (level, int(vintage)))
        old_names = dict(zip(old["code"], old["name"]))
        new_names = {c: _none_if_nan(n) for c, n in zip(areas["code"], areas["name"])}
        self._exec("DELETE FROM areas WHERE level = ? AND vintage = ?", (level, int(vintage)))
        # Relationships derived from the old boundaries (or, for centroids, from any) go with them.
        marks = ", ".join("?" * len(DERIVED_METHODS))
        if level == "msoa":
            self._exec(f"DELETE FROM relationships WHERE method IN ({marks})", DERIVED_METHODS)
        else:
            self._exec(f"DELETE FROM relationships WHERE method IN ({marks})"
                       " AND (source_level = ? OR target_level = ?)", (*DERIVED_METHODS, level, level))
        self.touched.add("relationships")
        geoms = self.store._encode_geoms(np.asarray(areas.geometry.values))
        starts = areas["start_year"] if "start_year" in areas else [None] * len(areas)
        ends = areas["end_year"] if "end_year" in areas else [None] * len(areas)
        rows = [(g, code, _none_if_nan(name), level, int(vintage), _none_if_nan(s), _none_if_nan(e),
                 import_id)
                for g, code, name, s, e in zip(geoms, areas["code"], areas["name"], starts, ends)]
        self._many(
            "INSERT INTO areas (geom, code, name, level, vintage, start_year, end_year, import_id)"
            f" VALUES ({self.store._geom_insert()}, ?, ?, ?, ?, ?, ?, ?)", rows)
        return Changes.between(level, int(vintage), old_names, new_names)

    def replace_relationships(self, source_level, source_vintage, target_level, target_vintage,
                              method, table, import_id):
        self.touched.add("relationships")
        key = (source_level, int(source_vintage), target_level, int(target_vintage), method)
        self._exec("DELETE FROM relationships WHERE source_level = ? AND source_vintage = ?"
                   " AND target_level = ? AND target_vintage = ? AND method = ?", key)
        rows = [(source_level, int(source_vintage), s, target_level, int(target_vintage), t,
                 float(share), method, import_id)
                for s, t, share in zip(table["source_code"], table["target_code"], table["share"])]
        self._many("INSERT INTO relationships (source_level, source_vintage, source_code,"
                   " target_level, target_vintage, target_code, share, method, import_id)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def load_table(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Replace a whole table with rows from ``dump_table`` (ids and geometries kept)."""
        self.touched.add(table)
        kinds = dict(TABLES[table])
        self._exec(f"DELETE FROM {table}")
        marks = [self.store._geom_insert() if kinds[c] == "geometry" else "?" for c in columns]
        geom = [i for i, c in enumerate(columns) if kinds[c] == "geometry"]
        if geom:
            i = geom[0]
            encoded = self.store._encode_geoms(shapely.from_wkb([r[i] for r in rows]))
            rows = [r[:i] + (g,) + r[i + 1:] for r, g in zip(rows, encoded)]
        self._many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})", rows)
        self.store._after_load(self.cur, table)

    def delete_indicator(self, indicator_id):
        self.touched.update({"indicators", "indicator_values"})
        self._exec("DELETE FROM indicator_values WHERE indicator = ?", (indicator_id,))
        self._exec("DELETE FROM indicators WHERE id = ?", (indicator_id,))

    @staticmethod
    def _indicator_row(meta: dict) -> tuple:
        """(id, title, unit, kind, source, licence, metadata JSON) of an indicator's metadata."""
        extra = {k: v for k, v in meta.items() if k not in INDICATOR_CORE and k != "import_id"}
        return tuple(meta.get(k) for k in INDICATOR_CORE) + (json.dumps(extra, default=str),)

    def update_indicator(self, indicator_id, meta):
        self.touched.add("indicators")
        self._exec("UPDATE indicators SET id = ?, title = ?, unit = ?, kind = ?, source = ?,"
                   " licence = ?, metadata = ? WHERE id = ?", self._indicator_row(meta) + (indicator_id,))
        if meta["id"] == indicator_id:
            return 0
        self.touched.add("indicator_values")
        self._exec("UPDATE indicator_values SET indicator = ? WHERE indicator = ?",
                   (meta["id"], indicator_id))
        return max(self.cur.rowcount, 0)

    def replace_indicator(self, meta, values, import_id):
        self.delete_indicator(meta["id"])
        self._exec("INSERT INTO indicators (id, title, unit, kind, source, licence, metadata,"
                   " import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   self._indicator_row(meta) + (import_id,))
        ci = values["ci95"] if "ci95" in values else [None] * len(values)
        rows = [(meta["id"], lvl, int(vin), code, str(period), _none_if_nan(value), _none_if_nan(flag),
                 _none_if_nan(c))
                for lvl, vin, code, period, value, flag, c in zip(
                    values["level"], values["vintage"], values["area_code"], values["period"],
                    values["value"], values["flag"], ci)]
        self._many("INSERT INTO indicator_values (indicator, level, vintage, area_code, period,"
                   " value, flag, ci95) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)
