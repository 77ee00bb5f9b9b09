"""geohub import-boundaries on tiny hand-made files: detection, replacement, and every bad input.

Each bad input must exit non-zero, say what is wrong and what to do, and leave the store file
byte-for-byte as it was.
"""
import json
import zipfile

import geopandas as gpd
import pytest
import shapely

from factories import THREE_LADS, bng_boxes, feature, lonlat_boxes, write_geojson


def assert_refused(result, store_path, before, *fragments):
    assert result.exit_code != 0
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert store_path.read_bytes() == before


def test_lonlat_geojson_is_stored_in_bng(geohub, store, tmp_path):
    result = geohub("import-boundaries", lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS))
    assert result.exit_code == 0, result.output
    assert "3 areas as lad 2021" in result.output
    areas = store.areas("lad", 2021)
    assert areas.crs.to_epsg() == 27700
    # 0.1 degree squares at 52N: about 6.9 km x 11.1 km.
    assert areas.geometry.area.iloc[0] / 1e6 == pytest.approx(76.6, rel=0.02)


def test_projected_geojson_with_legacy_crs_member(geohub, store, tmp_path):
    path = bng_boxes(tmp_path / "bng.geojson", [("E47000001", "Greater Manchester")], field_stem="CAUTH22")
    result = geohub("import-boundaries", path)
    assert result.exit_code == 0, result.output
    assert store.areas("cauth", 2022).geometry.area.iloc[0] == pytest.approx(1e8)


def test_names_are_trimmed_and_flags_override(geohub, store, tmp_path):
    feats = [feature({"id": "X1", "label": "  Padded name "}, shapely.box(-1, 52, -0.9, 52.1))]
    path = write_geojson(tmp_path / "custom.geojson", feats)
    result = geohub("import-boundaries", path, "--level", "LEP", "--vintage", "2017",
                    "--code-field", "id", "--name-field", "label")
    assert result.exit_code == 0, result.output
    assert store.areas("lep", 2017)["name"].tolist() == ["Padded name"]


def test_invalid_geometry_is_repaired_and_reported(geohub, store, tmp_path):
    bowtie = shapely.Polygon([(-1, 52), (-0.9, 52.1), (-0.9, 52), (-1, 52.1), (-1, 52)])
    path = write_geojson(tmp_path / "bad.geojson", [feature({"LAD21CD": "E06000001", "LAD21NM": "A"}, bowtie)])
    result = geohub("import-boundaries", path)
    assert result.exit_code == 0, result.output
    assert "repaired 1 invalid geometry (E06000001: Self-intersection[" in result.output
    geom = store.areas("lad", 2021).geometry.iloc[0]
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon") and geom.area > 0


def test_duplicate_consecutive_vertices_are_removed_and_reported(geohub, store, tmp_path):
    from validators import rings_with_repeated_vertices
    square = shapely.Polygon([(-1, 52), (-0.9, 52), (-0.9, 52), (-0.9, 52.1), (-1, 52.1), (-1, 52)],
                             [[(-0.97, 52.03), (-0.93, 52.03), (-0.93, 52.07), (-0.93, 52.07),
                               (-0.97, 52.03)]])
    assert rings_with_repeated_vertices(square) == 2
    path = write_geojson(tmp_path / "dupes.geojson",
                         [feature({"LAD21CD": "E06000001", "LAD21NM": "A"}, square)])
    result = geohub("import-boundaries", path)
    assert result.exit_code == 0, result.output
    assert "removed duplicate consecutive vertices from 1 area(s) (E06000001)" in result.output
    geom = store.areas("lad", 2021).geometry.iloc[0]
    assert geom.is_valid and rings_with_repeated_vertices(geom) == 0
    assert shapely.get_num_coordinates(geom) == 5 + 4


def test_reimport_replaces_and_reports_changes(geohub, loaded, store, tmp_path):
    changed = [("E06000001", "Hartlepool"), ("E06000002", "Middlesbrough (renamed)"),
               ("E06000004", "Stockton-on-Tees")]
    result = geohub("import-boundaries", lonlat_boxes(tmp_path / "v2.geojson", changed))
    assert result.exit_code == 0, result.output
    assert "added 1 (E06000004)" in result.output
    assert "removed 1 (E06000003)" in result.output
    assert "renamed 1 (E06000002: 'Middlesbrough' -> 'Middlesbrough (renamed)')" in result.output
    assert store.areas("lad", 2021)["code"].tolist() == ["E06000001", "E06000002", "E06000004"]


def test_import_is_atomic_when_writing_fails(loaded, store_path, tmp_path, monkeypatch):
    """A failure while writing the second of two layers rolls back the first as well."""
    from geohub.geography import boundaries
    from geohub.store import open_store
    from geohub.store.sql import SqlWriter

    gpkg = tmp_path / "two.gpkg"
    first = lonlat_boxes(tmp_path / "a.geojson", [("E10000002", "Buckinghamshire")], "CTY19")
    gpd.read_file(first).to_file(gpkg, layer="cty", driver="GPKG")
    gpd.read_file(lonlat_boxes(tmp_path / "b.geojson", [("E12000001", "North East")], "RGN21")).to_file(
        gpkg, layer="rgn", driver="GPKG")
    real = SqlWriter.replace_areas
    calls = []

    def fail_second(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqlWriter, "replace_areas", fail_second)
    with open_store(store_path) as store, pytest.raises(OSError):
        boundaries.import_boundaries(store, gpkg)
    assert calls == ["county", "region"]
    assert store_path.read_bytes() == loaded


# -- bad input ------------------------------------------------------------------------------------

def test_file_not_found(geohub, loaded, store_path, tmp_path):
    assert_refused(geohub("import-boundaries", tmp_path / "nope.geojson"), store_path, loaded,
                   "File not found", "nope.geojson", "Check the path")


def test_unsupported_format(geohub, loaded, store_path, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("code,name\nE06000001,Hartlepool\n")
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "cannot read areas.csv", "Supported formats", "GeoPackage")


def test_empty_file(geohub, loaded, store_path, tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    assert_refused(geohub("import-boundaries", path), store_path, loaded, "empty.geojson is empty")


def test_feature_collection_without_features(geohub, loaded, store_path, tmp_path):
    path = write_geojson(tmp_path / "nofeatures.geojson", [])
    assert_refused(geohub("import-boundaries", path), store_path, loaded, "has no features")


def test_invalid_json(geohub, loaded, store_path, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "broken.geojson is not valid JSON", "line 1", "re-download")


def test_no_code_field_lists_candidates(geohub, loaded, store_path, tmp_path):
    feats = [feature({"title": "Somewhere", "kind": "district"}, shapely.box(-1, 52, -0.9, 52.1))]
    path = write_geojson(tmp_path / "nocode.geojson", feats)
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "No code field found", "title", "kind", "--code-field")


def test_codes_of_several_levels_need_level(geohub, loaded, store_path, tmp_path):
    path = lonlat_boxes(tmp_path / "mixed.geojson", [("E06000001", "A"), ("E10000002", "B")], "UTLA21")
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "several levels", "lad (1)", "county (1)", "--level")
    assert geohub("import-boundaries", path, "--level", "utla").exit_code == 0


def test_duplicate_codes_are_listed(geohub, loaded, store_path, tmp_path):
    path = lonlat_boxes(tmp_path / "dupes.geojson", [("E06000001", "A"), ("E06000001", "B"),
                                                     ("E06000002", "C")])
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "duplicate codes", "E06000001")


def test_zipped_shapefile_without_prj_asks_for_crs(geohub, loaded, store_path, tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame = gpd.read_file(bng_boxes(tmp_path / "b.geojson", THREE_LADS))
    frame.to_file(shp_dir / "lads.shp")
    archive = tmp_path / "lads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            if part.suffix != ".prj":
                zf.write(part, part.name)
    assert_refused(geohub("import-boundaries", archive), store_path, loaded,
                   "has no .prj", "--crs")
    result = geohub("import-boundaries", archive, "--crs", "27700")
    assert result.exit_code == 0, result.output


def test_zipped_shapefile_with_prj(geohub, store, tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gpd.read_file(bng_boxes(tmp_path / "b.geojson", THREE_LADS)).to_file(shp_dir / "lads.shp")
    archive = tmp_path / "lads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, f"folder/{part.name}")
    result = geohub("import-boundaries", archive)
    assert result.exit_code == 0, result.output
    assert store.areas("lad", 2021)["code"].tolist() == [c for c, _ in THREE_LADS]


def test_implausible_coordinates(geohub, loaded, store_path, tmp_path):
    feats = [feature({"LAD21CD": "E06000001", "LAD21NM": "A"}, shapely.box(5e7, 5e7, 5.1e7, 5.1e7))]
    path = write_geojson(tmp_path / "far.geojson", feats)
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "neither plausible longitude/latitude nor British National Grid", "--crs")


def test_bng_coordinates_without_crs_member_ask_for_crs(geohub, loaded, store_path, tmp_path):
    path = bng_boxes(tmp_path / "nocrs.geojson", THREE_LADS, crs=None)
    assert_refused(geohub("import-boundaries", path), store_path, loaded,
                   "look like British National Grid", "--crs 27700")


def test_topojson_object_that_does_not_exist(geohub, loaded, store_path, tmp_path):
    topo = {"type": "Topology", "arcs": [[[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]],
            "transform": {"scale": [0.1, 0.1], "translate": [-2, 52]},
            "objects": {"ltla": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0]], "properties": {"areacd": "E06000001", "areanm": "A"}}]}}}
    path = tmp_path / "t.topojson"
    path.write_text(json.dumps(topo))
    assert_refused(geohub("import-boundaries", path, "--layer", "wards"), store_path, loaded,
                   "has no object 'wards'", "ltla")


def test_vintage_that_cannot_be_told(geohub, loaded, store_path, tmp_path):
    feats = [feature({"areacd": "E06000001", "areanm": "A"}, shapely.box(-1, 52, -0.9, 52.1))]
    path = write_geojson(tmp_path / "undated.geojson", feats)
    assert_refused(geohub("import-boundaries", path), store_path, loaded, "--vintage")


def test_failed_import_does_not_create_a_store(geohub, store_path, tmp_path):
    result = geohub("import-boundaries", tmp_path / "missing.geojson")
    assert result.exit_code != 0 and not store_path.exists()


# -- other commands --------------------------------------------------------------------------------

def test_areas_command_csv_and_json(geohub, loaded):
    csv = geohub("areas", "LAD")
    assert csv.exit_code == 0
    assert csv.output.splitlines() == ["code,name"] + [f"{c},{n}" for c, n in THREE_LADS]
    js = json.loads(geohub("areas", "lad", "--vintage", "2021", "--format", "json").output)
    assert [r["code"] for r in js] == [c for c, _ in THREE_LADS] and js[0]["vintage"] == 2021


def test_info_lists_sets_and_imports(geohub, loaded):
    result = geohub("info")
    assert result.exit_code == 0
    assert "lad" in result.output and "3 areas" in result.output and "lads.geojson" in result.output


def test_unknown_level_is_refused_with_choices(geohub, loaded):
    result = geohub("areas", "ward")
    assert result.exit_code == 2 and "lad" in result.output and "lsip" in result.output
