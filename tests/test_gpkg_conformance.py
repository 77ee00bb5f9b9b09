"""The GeoPackage store passes GDAL's validator (validate_gpkg.py -k --extra), has an integer
feature id on every layer and an R-tree on areas.geom that GDAL sees and every write keeps in step,
also when a store written by schema 1 is migrated."""
import shutil
import sqlite3
from pathlib import Path

import pytest
import shapely

from factories import THREE_LADS, lonlat_boxes
from geohub.store.schema import SCHEMA_VERSION
from validators import fid_columns, has_spatial_index, validate_gpkg

SCHEMA_V1 = Path(__file__).with_name("gpkg_schema_v1.sql")


def assert_valid(path):
    result = validate_gpkg(path)
    assert result.returncode == 0, result.stdout + result.stderr


def rtree_matches_areas(path) -> None:
    """The R-tree holds exactly one box per stored area, around its geometry (float32 rounding)."""
    from geohub.store.gpkg import decode_gpkg_geometry
    with sqlite3.connect(path) as c:
        boxes = {r[0]: r[1:] for r in c.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_areas_geom")}
        rows = c.execute("SELECT fid, geom FROM areas").fetchall()
    assert sorted(boxes) == sorted(fid for fid, _ in rows)
    geoms = decode_gpkg_geometry([g for _, g in rows])
    for (fid, _), (x0, y0, x1, y1) in zip(rows, shapely.bounds(geoms)):
        minx, maxx, miny, maxy = boxes[fid]
        for got, want in ((minx, x0), (maxx, x1), (miny, y0), (maxy, y1)):
            assert abs(got - want) < 1, (fid, boxes[fid], (x0, y0, x1, y1))


def test_real_store_with_indicators_is_a_valid_geopackage(web_template):
    """Real boundaries, the LAD lookup and two indicators: every table registered in gpkg_contents."""
    assert_valid(web_template)
    layers = fid_columns(web_template)
    assert set(layers) == {"areas", "imports", "relationships", "indicators", "indicator_values",
                           "geohub_meta"}
    assert all(layers.values()), layers
    assert has_spatial_index(web_template)
    rtree_matches_areas(web_template)


def test_rtree_follows_replacements_and_deletions(geohub, store_path, tmp_path):
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "a.geojson", THREE_LADS)).exit_code == 0
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "b.geojson", THREE_LADS[1:]),
                  "--vintage", 2021).exit_code == 0
    with sqlite3.connect(store_path) as c:
        assert c.execute("SELECT COUNT(*) FROM rtree_areas_geom").fetchone()[0] == 2
    rtree_matches_areas(store_path)
    assert_valid(store_path)


def test_text_keys_stay_unique(store):
    """indicators.id and geohub_meta.key lost their PRIMARY KEY, not their uniqueness."""
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO geohub_meta (key, value) VALUES ('revision', '9')")
    store.conn.execute("INSERT INTO indicators (id, title) VALUES ('x', 'X')")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO indicators (id, title) VALUES ('x', 'Y')")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO indicators (id, title) VALUES (NULL, 'Z')")


@pytest.fixture
def v1_store(real_template, tmp_path) -> Path:
    """A store as schema 1 wrote it (its DDL, captured from geohub at schema 1), holding the real
    boundaries, the lookup's relationships, and one indicator."""
    path = tmp_path / "v1.gpkg"
    with sqlite3.connect(path) as c:
        c.executescript(SCHEMA_V1.read_text())
        c.execute("ATTACH DATABASE ? AS real", (str(real_template),))
        for table in ("imports", "areas", "relationships"):
            c.execute(f"INSERT INTO main.{table} SELECT * FROM real.{table}")
        c.execute("INSERT INTO indicators VALUES ('pop', 'Population', 'people', 'count', 'ONS',"
                  " 'OGL v3.0', '{\"levels\": [\"lad\"]}', 1)")
        c.executemany("INSERT INTO indicator_values (indicator, level, vintage, area_code, period,"
                      " value, flag) VALUES ('pop', 'lad', 2021, ?, '2020', ?, NULL)",
                      [("E06000001", 93663.0), ("E06000002", 143924.0)])
        c.execute("UPDATE geohub_meta SET value = '7' WHERE key = 'revision'")
    c.close()
    return path


def test_schema_1_store_is_refused_by_gdal_then_migrated(v1_store, tmp_path):
    before = validate_gpkg(v1_store)
    assert before.returncode != 0 and "Req 119" in before.stdout  # what the migration is for
    from geohub.store import open_store
    with open_store(v1_store) as store:
        assert store.revision() == 7
        assert [m["id"] for m in store.indicators()] == ["pop"]
        assert store.indicators()[0]["levels"] == ["lad"]
        values = store.indicator_values("pop")
        assert values["value"].tolist() == [93663.0, 143924.0] and values["ci95"].isna().all()
        assert len(store.areas("lad", 2021)) == 374
        with store.transaction() as tx:  # and it takes writes at the new schema
            tx.delete_indicator("pop")
    with sqlite3.connect(v1_store) as c:
        assert c.execute("SELECT value FROM geohub_meta WHERE key = 'schema_version'").fetchone()[0] \
            == str(SCHEMA_VERSION)
    c.close()
    assert_valid(v1_store)
    assert all(fid_columns(v1_store).values())
    assert has_spatial_index(v1_store)
    rtree_matches_areas(v1_store)
    copy = tmp_path / "again.gpkg"  # opening a migrated store again changes nothing
    shutil.copyfile(v1_store, copy)
    from geohub.store import open_store
    open_store(copy).close()
    assert copy.read_bytes() == v1_store.read_bytes()
