"""Memberships on small made-up polygons (shapely boxes, British National Grid metres), on both
stores: official lookups first, then the documented geometric rule, kept in the store; fractional
shares only where geographies truly do not nest."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geohub.overlaps.membership import memberships


def frame(rows):
    return gpd.GeoDataFrame({"code": [c for c, _ in rows], "name": [c for c, _ in rows],
                             "start_year": pd.array([pd.NA] * len(rows), dtype="Int64"),
                             "end_year": pd.array([pd.NA] * len(rows), dtype="Int64")},
                            geometry=[g for _, g in rows], crs=27700)


# Four LADs in a row, 10 km squares. CA A covers LAD 1 wholly and 93% of LAD 2 (a coastline drawn
# differently); CA B covers 30% of LAD 3; LAD 4 lies in no CA. LEP X covers LADs 1-3, LEP Y covers
# LADs 3-4: LAD 3 is in both LEPs.
LADS = frame([(f"E0600000{i}", shapely.box(i * 10_000, 0, (i + 1) * 10_000, 10_000)) for i in range(1, 5)])
CAS = frame([("E47000001", shapely.box(10_000, 0, 29_300, 10_000)),
             ("E47000002", shapely.box(37_000, 0, 40_000, 10_000))])
LEPS = frame([("E37000001", shapely.box(10_000, 0, 40_000, 10_000)),
              ("E37000002", shapely.box(30_000, 0, 50_000, 10_000))])


def test_the_membership_rule():
    from geohub.overlaps import relate
    table = memberships(relate(LADS, CAS))
    assert sorted(zip(table["source_code"], table["target_code"], table["share"])) == [
        ("E06000001", "E47000001", 1.0), ("E06000002", "E47000001", 1.0)]
    changes = table.attrs["changes"].set_index("source_code")
    assert changes.loc["E06000002", "action"] == "member"
    assert changes.loc["E06000002", "share"] == pytest.approx(0.93)
    assert changes.loc["E06000003", "action"] == "dropped"
    overlapping = memberships(relate(LADS, LEPS))
    assert sorted(overlapping.loc[overlapping["source_code"] == "E06000003", "target_code"]) == [
        "E37000001", "E37000002"]


@pytest.fixture
def boxes_store(any_store):
    with any_store.transaction() as tx:
        import_id = tx.record_import("boundaries", "boxes", None, None, {})
        tx.replace_areas("lad", 2021, LADS, import_id)
        tx.replace_areas("cauth", 2021, CAS, import_id)
        tx.replace_areas("lep", 2021, LEPS, import_id)
        # User areas that truly do not nest: a 15 km box from x=15 km.
        tx.replace_areas("msoa", 2021, frame([("E02000001", shapely.box(15_000, 0, 30_000, 10_000))]),
                         import_id)
    return any_store


def test_derived_memberships_are_stored_without_a_new_revision(boxes_store):
    from geohub.maps.model import MapBuilder
    revision = boxes_store.revision()
    table = MapBuilder(boxes_store).relationship(("lad", 2021), ("cauth", 2021))
    assert table.attrs["method"] == "area" and table.attrs["membership"]
    assert sorted(table["source_code"]) == ["E06000001", "E06000002"] and set(table["share"]) == {1.0}
    stored = boxes_store.relationships(source_level="lad", target_level="cauth", method="area")
    assert sorted(stored["source_code"]) == ["E06000001", "E06000002"]
    assert boxes_store.revision() == revision


def test_an_official_lookup_wins(boxes_store):
    from geohub.maps.model import MapBuilder
    lookup = pd.DataFrame({"source_code": ["E06000003", "E06000004"],
                           "target_code": ["E47000002", "E47000002"], "share": [1.0, 1.0]})
    with boxes_store.transaction() as tx:
        tx.replace_relationships("lad", 2021, "cauth", 2021, "lookup", lookup, None)
    table = MapBuilder(boxes_store).relationship(("lad", 2021), ("cauth", 2021))
    assert table.attrs["method"] == "lookup"
    official = table[table["method"] == "lookup"]
    # The lookup's pairs win over geometry (LAD 3 holds only 30% of CA B's box, LAD 4 none).
    assert sorted(zip(official["source_code"], official["target_code"])) == [
        ("E06000003", "E47000002"), ("E06000004", "E47000002")]
    # CA A, which the lookup does not cover, takes the LADs it does not list, by the rule, said so.
    placed = table[table["method"] != "lookup"]
    assert sorted(zip(placed["source_code"], placed["target_code"])) == [
        ("E06000001", "E47000001"), ("E06000002", "E47000001")]
    assert any("the lookup does not list" in note for note in table.attrs["notes"])


def test_areas_that_do_not_nest_keep_fractional_shares(boxes_store):
    from geohub.maps.model import MapBuilder
    # LADs against small areas of another kind (not made of whole LADs): shares stay fractional.
    table = MapBuilder(boxes_store).relationship(("lad", 2021), ("msoa", 2021))
    shares = dict(zip(table["source_code"], table["share"]))
    assert not table.attrs["membership"]
    assert shares == {"E06000001": pytest.approx(0.5), "E06000002": pytest.approx(1.0)}


def test_a_schema_1_store_gets_the_interval_column(store_path):
    """Stores written before confidence intervals were kept are migrated when opened."""
    import sqlite3

    from geohub.store import open_store
    from geohub.store.schema import SCHEMA_VERSION
    with open_store(store_path):
        pass
    with sqlite3.connect(store_path) as conn:
        conn.execute("ALTER TABLE indicator_values DROP COLUMN ci95")
        conn.execute("UPDATE geohub_meta SET value = '1' WHERE key = 'schema_version'")
    with open_store(store_path) as store:
        values = store.indicator_values("none")
        version = store._query("SELECT value FROM geohub_meta WHERE key = 'schema_version'")
    assert "ci95" in values.columns and int(version["value"].iloc[0]) == SCHEMA_VERSION
