"""Import validation (issue 16, findings 3, 4, 9 and 11): one bad feature or cell is refused with
a clear message naming it, and the store stays byte-for-byte as it was. Limits are scaled down by
settings so the fuzz-style cases run in seconds."""
import json

import pytest
import shapely

from conftest import refused
from factories import THREE_LADS, feature, lonlat_boxes, write_geojson


def leps(tmp_path, first_geometry, extra=None):
    feats = [feature({"LEP21CD": "E37000001", "LEP21NM": "North", **(extra or {})}, first_geometry),
             feature({"LEP21CD": "E37000002", "LEP21NM": "South"}, shapely.box(-2, 52, -1.9, 52.1))]
    return write_geojson(tmp_path / "lep.geojson", feats)


@pytest.mark.parametrize("geom", [shapely.LineString([(-2, 52), (-1.9, 52.1)]), shapely.Point(-2, 52),
                                  shapely.GeometryCollection([shapely.LineString([(-2, 52), (-1, 52)])])])
def test_a_non_polygon_feature_is_refused(geohub, loaded, store_path, tmp_path, geom):
    result = geohub("import-boundaries", leps(tmp_path, geom))
    refused(result, store_path, loaded, "E37000001", "not polygons")


def test_a_point_set_takes_only_points(geohub, store_path, tmp_path):
    pts = [feature({"MSOA21CD": f"E0200000{i}", "MSOA21NM": f"M{i}"}, shapely.Point(-2 + i / 10, 52))
           for i in range(3)]
    assert geohub("import-boundaries", write_geojson(tmp_path / "pts.geojson", pts), "--level",
                  "msoa", "--vintage", "2021").exit_code == 0
    before = store_path.read_bytes()
    pts[1] = feature({"MSOA21CD": "E02000001", "MSOA21NM": "M1"}, shapely.box(-2, 52, -1.9, 52.1))
    result = geohub("import-boundaries", write_geojson(tmp_path / "pts2.geojson", pts), "--level",
                    "msoa", "--vintage", "2022")
    refused(result, store_path, before, "not polygons")


def test_a_polygon_with_a_nan_vertex_is_not_stored_empty(geohub, loaded, store_path, tmp_path):
    path = tmp_path / "nan.geojson"
    bad = shapely.Polygon([(-2, 52), (float("nan"), 52), (-1.9, 52.1), (-2, 52)])
    write_geojson(path, [feature({"LAD21CD": "E06000009", "LAD21NM": "X"}, bad)])
    assert "NaN" in path.read_text()
    refused(geohub("import-boundaries", path, "--vintage", 2022), store_path, loaded, "E06000009")


@pytest.mark.parametrize("start", [-10_000_000, 1e9, 1800, 2500, "soon"])
def test_years_outside_1900_2100_are_refused(geohub, loaded, store_path, tmp_path, start):
    result = geohub("import-boundaries", leps(tmp_path, shapely.box(-2.1, 52, -2, 52.1), {"start": start}),
                    "--vintage", 2021)
    refused(result, store_path, loaded, "start year outside 1900-2100", "E37000001")


def test_z_coordinates_are_dropped_with_a_note(geohub, store, tmp_path):
    z = shapely.force_3d(shapely.box(-2.1, 52, -2, 52.1), 5.0)
    result = geohub("import-boundaries", leps(tmp_path, z))
    assert result.exit_code == 0 and "dropped Z/M" in result.output
    assert not shapely.has_z(store.areas("lep").geometry.values).any()


def test_an_unknown_epsg_code_is_refused(geohub, loaded, store_path, tmp_path):
    path = write_geojson(tmp_path / "x.geojson", [feature({"LAD21CD": "E06000009", "LAD21NM": "X"},
                                                          shapely.box(400_000, 300_000, 410_000, 310_000))],
                         crs="EPSG:999999")
    refused(geohub("import-boundaries", path), store_path, loaded, "EPSG:999999", "PROJ does not know")


def test_a_huge_name_is_refused_and_quoted_short(geohub, loaded, store_path, tmp_path):
    path = leps(tmp_path, shapely.box(-2.1, 52, -2, 52.1))
    data = json.loads(path.read_text())
    data["features"][0]["properties"]["LEP21NM"] = "=" * 2_000_000
    path.write_text(json.dumps(data))
    result = geohub("import-boundaries", path)
    refused(result, store_path, loaded, "at most 200 characters")
    assert len(result.output) < 600


def test_a_geometry_bomb_is_refused_naming_the_feature(geohub, loaded, store_path, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOHUB_IMPORT_MAX_VERTICES", "1000")
    ring = [(-2 + 0.1 * (i % 2), 52 + i * 1e-5) for i in range(5000)]   # a self-crossing zigzag
    path = leps(tmp_path, shapely.Polygon(ring))
    refused(geohub("import-boundaries", path), store_path, loaded, "E37000001", "vertices",
            "GEOHUB_IMPORT_MAX_VERTICES")


def test_a_repair_over_its_time_budget_is_refused(geohub, loaded, store_path, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOHUB_IMPORT_SECONDS", "0")
    bow = shapely.Polygon([(-2, 52), (-1.9, 52.1), (-1.9, 52), (-2, 52.1), (-2, 52)])   # invalid
    refused(geohub("import-boundaries", leps(tmp_path, bow)), store_path, loaded, "E37000001",
            "GEOHUB_IMPORT_SECONDS")


def test_deep_json_nesting_is_an_error_line(geohub, loaded, store_path, tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(geohub("import-boundaries", path), store_path, loaded, "nested too deeply")


def test_unexpected_exceptions_become_error_lines():
    import errno
    import sqlite3

    import shapely.errors

    from geohub.cli.group import edge_message
    assert "disk is full" in edge_message(OSError(errno.ENOSPC, "No space left on device"))
    assert "locked" in edge_message(sqlite3.OperationalError("database is locked"))
    assert "Fix the geometries" in edge_message(shapely.errors.GEOSException("std::bad_alloc"))
    assert len(edge_message(ValueError("x" * 10_000))) < 300


@pytest.mark.parametrize("bad_id", ["../../x", "a/b", "pop.v2", "Pop", "-x", "x" * 65])
def test_indicator_ids_are_slugs(geohub, loaded, store_path, tmp_path, bad_id):
    csv = tmp_path / "v.csv"
    csv.write_text("code,value\nE06000001,1\nE06000002,2\n")
    refused(geohub("import-indicator", csv, "--id", bad_id, "--period", "2020", "--kind", "count"), store_path, loaded,
            "is not a slug")


def test_a_huge_unit_is_refused(geohub, loaded, store_path, tmp_path):
    csv = tmp_path / "v.csv"
    csv.write_text("code,value\nE06000001,1\nE06000002,2\n")
    refused(geohub("import-indicator", csv, "--id", "ok", "--period", "2020", "--kind", "count", "--unit", "u" * 5000),
            store_path, loaded, "at most 40 characters")


def _write_around_the_checks(store_path, level, vintage, rows):
    """A set stored without the import checks (as an older geohub could)."""
    import geopandas as gpd

    from geohub.store import open_store
    frame = gpd.GeoDataFrame({"code": [r[0] for r in rows], "name": [r[1] for r in rows],
                              "start_year": [r[2] for r in rows], "end_year": [None] * len(rows)},
                             geometry=[r[3] for r in rows], crs=27700)
    frame["start_year"] = frame["start_year"].astype("Int64")
    frame["end_year"] = frame["end_year"].astype("Int64")
    with open_store(store_path) as store, store.transaction() as tx:
        tx.replace_areas(level, vintage, frame, tx.record_import("boundaries", "old", None, None, {}))


def test_a_broken_set_does_not_take_down_pages_that_do_not_use_it(geohub, store_path, tmp_path):
    from geohub import create_app
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)).exit_code == 0
    csv = tmp_path / "v.csv"
    csv.write_text("code,value\nE06000001,1\nE06000002,2\nE06000003,3\n")
    assert geohub("import-indicator", csv, "--id", "v", "--period", "2020", "--kind", "count").exit_code == 0
    _write_around_the_checks(store_path, "lep", 2021, [
        ("E37000001", "Line", None, shapely.LineString([(400_000, 300_000), (410_000, 310_000)])),
        ("E37000002", "Ancient", -10_000_000, shapely.box(400_000, 300_000, 410_000, 310_000))])
    app = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path / "cache")})
    client = app.test_client()
    for url in ("/", "/api/levels", "/maps/v?level=lad", "/api/indicators/v?level=lad", "/maps/v.csv",
                "/embed/maps/v", "/areas/E06000001"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:300])
        assert len(response.data) < 2_000_000
    used = client.get("/api/indicators/v?level=lep&vintage=2021")
    assert used.status_code == 500
    body = used.get_json()
    assert "lep 2021" in body["message"] and "import-boundaries" in body["hint"]
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded"
    assert [(b["level"], b["vintage"]) for b in health["broken_sets"]] == [("lep", 2021)]


def test_ids_made_from_long_titles_are_slugs():
    from geohub.geography.validation import INDICATOR_ID
    from geohub.indicators.drafts import slug
    a, b = slug("Average travel time " * 10 + "by car"), slug("Average travel time " * 10 + "by bus")
    assert INDICATOR_ID.fullmatch(a) and INDICATOR_ID.fullmatch(b) and a != b


def test_an_area_code_with_a_nul_is_not_found(geohub, store_path, tmp_path):
    from geohub import create_app
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    app = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path / "c")})
    client = app.test_client()
    assert client.get("/areas/E06000001").status_code == 200
    assert client.get("/areas/E06000001%00").status_code == 404


def test_a_zip_that_unpacks_past_the_limit_is_refused_before_reading(geohub, store_path, tmp_path,
                                                                     monkeypatch):
    """A tiny zip whose .shp unpacks to megabytes (a zip bomb) is refused at once, store untouched."""
    import zipfile
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("areas.shp", b"\0" * (3 * 1024 * 1024))
        zf.writestr("areas.dbf", b"\0" * 100)
    assert bomb.stat().st_size < 50_000
    monkeypatch.setenv("GEOHUB_IMPORT_MAX_MB", "2")
    result = geohub("import-boundaries", bomb)
    assert result.exit_code != 0
    assert "bomb.zip unzips to 3 MB, more than the 2 MB an import may read" in result.output
    assert "GEOHUB_IMPORT_MAX_MB" in result.output and not store_path.exists()
