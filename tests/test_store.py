"""The store interface: boundary sets, atomic replacement, revisions, multi-year sets.

Written against the interface only, so the same tests run on every implementation.
"""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from conftest import snapshot
from geohub.errors import NotFound
from geohub.store.gpkg import decode_gpkg_geometry, encode_gpkg_geometry


@pytest.fixture
def store(any_store):
    """Every test here runs on the GeoPackage and the PostGIS store."""
    return any_store


def areas_frame(rows, start=None, end=None):
    """rows: (code, name); adjacent 1 km squares in EPSG:27700."""
    geoms = [shapely.box(400_000 + i * 1000, 300_000, 401_000 + i * 1000, 301_000) for i in range(len(rows))]
    return gpd.GeoDataFrame({
        "code": [r[0] for r in rows], "name": [r[1] for r in rows],
        "start_year": pd.array(start or [None] * len(rows), dtype="Int64"),
        "end_year": pd.array(end or [None] * len(rows), dtype="Int64"),
    }, geometry=geoms, crs=27700)


def write(store, level, vintage, frame):
    with store.transaction() as tx:
        import_id = tx.record_import("boundaries", "test", None, None, {})
        return tx.replace_areas(level, vintage, frame, import_id)


def test_gpkg_geometry_round_trip():
    geoms = np.array([shapely.box(0, 0, 1, 2), shapely.Point(3, 4),
                      shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])])
    back = decode_gpkg_geometry(encode_gpkg_geometry(geoms))
    assert all(shapely.equals_exact(a, b, 0) for a, b in zip(geoms, back))


def test_areas_round_trip_in_british_national_grid(store):
    frame = areas_frame([("E06000001", "Hartlepool"), ("E06000002", "Middlesbrough")])
    write(store, "lad", 2021, frame)
    back = store.areas("lad", 2021)
    assert back.crs.to_epsg() == 27700
    assert back["code"].tolist() == ["E06000001", "E06000002"]
    assert back["name"].tolist() == ["Hartlepool", "Middlesbrough"]
    assert back.geometry.area.tolist() == pytest.approx([1e6, 1e6])
    assert [(s.level, s.vintage, s.count) for s in store.boundary_sets()] == [("lad", 2021, 2)]


def test_replacing_a_set_reports_added_removed_renamed(store):
    write(store, "lad", 2021, areas_frame([("A1", "One"), ("A2", "Two"), ("A3", "Three")]))
    changes = write(store, "lad", 2021, areas_frame([("A1", "One"), ("A2", "Deux"), ("A4", "Four")]))
    assert changes.replaced
    assert changes.added == ["A4"] and changes.removed == ["A3"]
    assert changes.renamed == [("A2", "Two", "Deux")]
    assert store.areas("lad", 2021)["code"].tolist() == ["A1", "A2", "A4"]


def test_failed_transaction_changes_nothing(store, store_path):
    write(store, "lad", 2021, areas_frame([("A1", "One")]))
    before, revision = snapshot(store), store.revision()
    file_bytes = store_path.read_bytes() if store_path.exists() else None
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.replace_areas("lad", 2021, areas_frame([("B1", "Other")]), None)
            raise RuntimeError("fail half way")
    assert snapshot(store) == before
    if file_bytes is not None:          # the GeoPackage file, byte for byte
        assert store_path.read_bytes() == file_bytes
    assert store.revision() == revision
    assert store.areas("lad", 2021)["code"].tolist() == ["A1"]


def test_revision_grows_with_every_write(store):
    r0 = store.revision()
    write(store, "lad", 2021, areas_frame([("A1", "One")]))
    assert store.revision() == r0 + 1


def test_multi_year_set_answers_for_each_year(store):
    frame = areas_frame([("OLD", "Old district"), ("NEW", "Merged district"), ("KEEP", "Unchanged")],
                        start=[None, 2020, None], end=[2019, None, None])
    write(store, "lad", 2025, frame)
    (bset,) = store.boundary_sets()
    assert bset.multi_year and bset.first_year == 2019 and bset.years[-1] == 2025
    assert store.areas("lad", 2019)["code"].tolist() == ["KEEP", "OLD"]
    assert store.areas("lad", 2020)["code"].tolist() == ["KEEP", "NEW"]
    assert store.areas("lad")["code"].tolist() == ["KEEP", "NEW"]
    assert set(store.areas("lad", 2019)["vintage"]) == {2019}


def test_read_boundary_set_gives_every_row_of_a_stored_set(store):
    """The public read of one whole set (what the point index, search directory and gazetteer
    use): every year's rows of a multi-year set, with or without geometry, nothing for a set that
    is not stored."""
    frame = areas_frame([("OLD", "Old district"), ("NEW", "Merged district"), ("KEEP", "Unchanged")],
                        start=[None, 2020, None], end=[2019, None, None])
    write(store, "lad", 2025, frame)
    whole = store.read_boundary_set("lad", 2025)
    assert whole["code"].tolist() == ["KEEP", "NEW", "OLD"]
    assert set(whole["vintage"]) == {2025} and set(whole["level"]) == {"lad"}
    assert whole.crs.to_epsg() == 27700
    assert whole.set_index("code").loc["OLD", "end_year"] == 2019
    assert shapely.equals(whole.set_index("code").loc["NEW", "geometry"], frame.geometry.iloc[1])
    bare = store.read_boundary_set("lad", 2025, geometry=False)
    assert "geometry" not in bare.columns and bare["code"].tolist() == ["KEEP", "NEW", "OLD"]
    assert store.read_boundary_set("lad", 2021).empty


def test_exact_vintage_wins_over_multi_year(store):
    write(store, "lad", 2025, areas_frame([("M", "multi")], start=[2010]))
    write(store, "lad", 2021, areas_frame([("S", "single")]))
    assert store.areas("lad", 2021)["code"].tolist() == ["S"]
    assert store.areas("lad", 2022)["code"].tolist() == ["M"]


def test_missing_level_or_vintage_says_what_there_is(store):
    with pytest.raises(NotFound, match="no lep boundaries"):
        store.areas("lep")
    write(store, "lad", 2021, areas_frame([("A1", "One")]))
    with pytest.raises(NotFound) as err:
        store.areas("lad", 2019)
    assert "2021" in err.value.hint


def test_relationships_and_indicators_round_trip(store):
    table = pd.DataFrame({"source_code": ["A", "B"], "target_code": ["X", "X"], "share": [1.0, 0.25]})
    values = pd.DataFrame({"level": ["lad", "lad"], "vintage": [2021, 2021], "area_code": ["A", "B"],
                           "period": ["2020", "2020"], "value": [1.5, np.nan], "flag": [None, "x"]})
    with store.transaction() as tx:
        tx.replace_relationships("lad", 2021, "cauth", 2021, "lookup", table, None)
        tx.replace_indicator({"id": "pop", "title": "Population", "unit": "people", "kind": "count",
                              "source": "ONS", "licence": "OGL", "periods": ["2020"]}, values, None)
    rels = store.relationships(target_level="cauth")
    assert rels[["source_code", "target_code", "share"]].values.tolist() == [["A", "X", 1.0], ["B", "X", 0.25]]
    meta = store.indicator("pop")
    assert meta["title"] == "Population" and meta["periods"] == ["2020"]
    back = store.indicator_values("pop")
    assert back["value"].iloc[0] == 1.5 and np.isnan(back["value"].iloc[1]) and back["flag"].iloc[1] == "x"
    mine = store.area_values("B")
    assert mine[["indicator", "period", "flag"]].values.tolist() == [["pop", "2020", "x"]]
    assert mine["vintage"].dtype == back["vintage"].dtype == "Int64"  # alike on both stores
    assert store.area_values("nowhere").empty
    with pytest.raises(NotFound, match="no indicator 'gdp'"):
        store.indicator("gdp")


def test_migrate_takes_a_gpkg_url_and_refuses_a_missing_source(geohub, tmp_path):
    """``geohub migrate`` reads a GeoPackage given as ``gpkg://PATH`` (as open_store does), and a
    source that does not exist is refused without creating it."""
    from geohub.store import open_store
    source, copy = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    from geohub.store.copy import COPIED
    with open_store(source) as s:
        write(s, "lad", 2021, areas_frame([("E1", "One"), ("E2", "Two")]))
        before = [s.dump_table(t) for t in COPIED]
    result = geohub("migrate", "--from", f"gpkg://{source}", "--to", copy)
    assert result.exit_code == 0, result.output
    with open_store(copy) as c:  # every table but geohub_meta (a copy is a store of its own)
        assert [c.dump_table(t) for t in COPIED] == before
    missing = tmp_path / "missing.gpkg"
    result = geohub("migrate", "--from", f"gpkg://{missing}", "--to", tmp_path / "c.gpkg")
    assert result.exit_code != 0 and "There is no store" in result.output
    assert not missing.exists()
