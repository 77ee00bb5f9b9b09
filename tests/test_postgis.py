"""The PostGIS store: imports through the CLI, atomic failures, GiST index, migration from a
GeoPackage compared table by table, and relate inside PostGIS equal to the Python engine."""
import pytest
from click.testing import CliRunner

from conftest import BOUNDARIES, snapshot
from factories import THREE_LADS, lonlat_boxes

pytestmark = pytest.mark.postgis


def run(url, *args):
    from geohub.cli import cli
    return CliRunner().invoke(cli, [str(a) for a in args],
                              env={"GEOHUB_DATABASE_URL": url, "GEOHUB_STORE": ""}, catch_exceptions=False)


def test_cli_imports_into_postgis_and_bad_input_changes_nothing(postgis_store_url, tmp_path):
    from geohub.store import open_store
    assert run(postgis_store_url, "import-boundaries", lonlat_boxes(tmp_path / "a.geojson", THREE_LADS)).exit_code == 0
    with open_store(postgis_store_url) as store:
        before = snapshot(store)
        assert store.areas("lad", 2021)["code"].tolist() == [c for c, _ in THREE_LADS]
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    result = run(postgis_store_url, "import-boundaries", bad)
    assert result.exit_code != 0 and "not valid JSON" in result.output
    dupes = lonlat_boxes(tmp_path / "d.geojson", [("E06000001", "A"), ("E06000001", "B")])
    assert run(postgis_store_url, "import-boundaries", dupes).exit_code != 0
    with open_store(postgis_store_url) as store:
        assert snapshot(store) == before
    info = run(postgis_store_url, "info")
    assert "postgresql://" in info.output and "3 areas" in info.output


def test_geometries_have_a_gist_index(postgis_store_url):
    from geohub.store import open_store
    with open_store(postgis_store_url) as store:
        indexes = store.conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s",
                                     (store.schema,)).fetchall()
    assert any("USING gist (geom)" in row[0] for row in indexes)


@pytest.mark.real_data
def test_migrate_is_lossless(real_template, postgis_store_url, tmp_path):
    from geohub.store import open_store
    result = run(postgis_store_url, "migrate", "--from", real_template, "--to", postgis_store_url)
    assert result.exit_code == 0, result.output
    with open_store(real_template) as gpkg, open_store(postgis_store_url) as pg:
        from geohub.store.copy import COPIED
        for table in COPIED:
            assert gpkg.dump_table(table) == pg.dump_table(table), table
        assert [(s.level, s.vintage, s.count) for s in gpkg.boundary_sets()] == \
               [(s.level, s.vintage, s.count) for s in pg.boundary_sets()]
    again = run(postgis_store_url, "migrate", "--from", real_template, "--to", postgis_store_url)
    assert again.exit_code != 0 and "--replace" in again.output
    back = tmp_path / "back.gpkg"
    assert run(postgis_store_url, "migrate", "--from", postgis_store_url, "--to", back).exit_code == 0
    with open_store(real_template) as gpkg, open_store(back) as copy:
        assert all(gpkg.dump_table(t) == copy.dump_table(t) for t in COPIED)


@pytest.mark.real_data
@pytest.mark.parametrize("target", [("cauth", 2021), ("lep", 2021), ("lad", 2019)])
def test_relate_in_postgis_equals_the_python_engine(real_template, postgis_store_url, target):
    import numpy as np
    import pandas as pd

    from geohub.overlaps import relate
    from geohub.store import open_store
    from geohub.store.copy import copy_store
    from geohub.store.postgis import relate_in_database
    with open_store(real_template) as gpkg, open_store(postgis_store_url) as pg:
        copy_store(gpkg, pg)
        in_db = relate_in_database(pg, ("lad", 2021), target).set_index(["source_code", "target_code"])
        python = relate(pg.areas("lad", 2021), pg.areas(*target)).set_index(["source_code", "target_code"])
    joined = pd.concat([in_db["share"].rename("db"), python["share"].rename("py")], axis=1).fillna(0.0)
    assert len(joined) > 100
    assert np.abs(joined["db"] - joined["py"]).max() < 1e-9


@pytest.mark.real_data
def test_overlaps_cli_in_postgis(real_template, postgis_store_url, tmp_path):
    import csv
    assert run(postgis_store_url, "migrate", "--from", real_template, "--to", postgis_store_url).exit_code == 0
    out = tmp_path / "o.csv"
    result = run(postgis_store_url, "overlaps", "lad:2021", "cauth:2021", "--engine", "postgis",
                 "--min-share", "0.05", "--output", out)
    assert result.exit_code == 0, result.output
    with open(out, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 53
    refused = run(postgis_store_url, "overlaps", "lad:2021", BOUNDARIES / "lep" / "LEP_May2021_EN_BUC.geojson",
                  "--engine", "postgis")
    assert refused.exit_code != 0 and "two stored levels" in refused.output


def test_a_refused_open_returns_its_pooled_connection(postgis_store_url):
    """A schema from a newer geohub is refused with what to do, every time, and each refusal
    gives its connection back: more refusals than the pool holds (8) do not exhaust it."""
    from geohub.errors import StoreError
    from geohub.store.postgis import PostGISStore
    from geohub.store.schema import SCHEMA_VERSION
    setup = PostGISStore(postgis_store_url, pooled=False)
    setup.conn.execute("UPDATE geohub_meta SET value = %s WHERE key = 'schema_version'",
                       (str(SCHEMA_VERSION + 1),))
    for _ in range(12):
        with pytest.raises(StoreError, match="newer geohub") as err:
            PostGISStore(postgis_store_url)
        assert "Upgrade geohub" in err.value.hint
    setup.conn.execute("UPDATE geohub_meta SET value = %s WHERE key = 'schema_version'",
                       (str(SCHEMA_VERSION),))
    setup.close()
    store = PostGISStore(postgis_store_url)
    assert store.revision() is not None
    store.close()


def test_schema_1_database_is_migrated(postgis_store_url):
    """A schema as geohub schema 1 created it (its DDL kept in postgis_schema_v1.sql) gains integer
    keys on indicators and geohub_meta, keeps its rows and text keys unique, and takes writes."""
    from pathlib import Path

    import psycopg

    from geohub.store.postgis import PostGISStore, split_url
    from geohub.store.schema import SCHEMA_VERSION
    conninfo, schema = split_url(postgis_store_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}, public")
        conn.execute(Path(__file__).with_name("postgis_schema_v1.sql").read_text())
        conn.execute("INSERT INTO indicators (id, title, metadata) VALUES ('pop', 'Population', '{}')")
    store = PostGISStore(postgis_store_url, pooled=False)
    try:
        assert store.conn.execute("SELECT value FROM geohub_meta WHERE key = 'schema_version'"
                                  ).fetchone()[0] == str(SCHEMA_VERSION)
        assert [m["id"] for m in store.indicators()] == ["pop"]
        keys = dict(store.conn.execute(
            "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a"
            " ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indisprimary AND n.nspname = %s", (schema,)).fetchall())
        assert keys["indicators"] == "fid" and keys["geohub_meta"] == "fid"
        with pytest.raises(psycopg.errors.UniqueViolation):
            store.conn.execute("INSERT INTO indicators (id) VALUES ('pop')")
        with store.transaction() as tx:
            tx.replace_indicator({"id": "jobs", "title": "Jobs"},
                                 {k: [] for k in ("level", "vintage", "area_code", "period", "value", "flag")}, None)
        assert [m["id"] for m in store.indicators()] == ["jobs", "pop"]
        assert store.revision() == 1
    finally:
        store.close()
