"""Every boundary file in ../shared/data/boundaries imports without flags, with the counts, levels
and vintages PROVENANCE.md records; the multi-year TopoJSON keeps its validity years."""
import shutil
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import BOUNDARIES, LOOKUPS

pytestmark = pytest.mark.real_data

# file -> [(level, vintage, count)], from PROVENANCE.md
EXPECTED = {
    "lad/LAD_Dec2021_UK_BUC.geojson": [("lad", 2021, 374)],
    "lad/LAD16_UK_BSC_onsvisual.geojson": [("lad", 2016, 391)],
    "lep/LEP_May2021_EN_BUC.geojson": [("lep", 2021, 38)],
    "cauth/CAUTH_Dec2021_EN_BGC.geojson": [("cauth", 2021, 10)],
    "cauth/CAUTH_Dec2022_EN_BGC_BNG27700.geojson": [("cauth", 2022, 10)],
    "cauth/CAUTH24_EN_BUC_filename_May2023.geojson": [("cauth", 2024, 11)],
    "lsip/LSIP_Aug2023_EN_BUC_BNG27700.geojson": [("lsip", 2023, 38)],
    "country/CTRY_Dec2024_England_only_BUC.geojson": [("country", 2024, 1)],
    "centroids/MSOA21_PWC_EW_onsvisual.geojson": [("msoa", 2021, 7264)],
    "multi/ons_uk_topojson_2014_2025.topojson": [
        ("cauth", 2025, 20), ("country", 2025, 4), ("county", 2025, 27), ("lad", 2025, 407),
        ("mcounty", 2025, 6), ("region", 2025, 12), ("uk", 2025, 1), ("utla", 2025, 230)],
}


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """One store with every shared boundary file imported through the CLI, without flags."""
    from geohub.cli import cli
    path = tmp_path_factory.mktemp("real") / "store.gpkg"
    runner = CliRunner()
    outputs = {}
    for name in EXPECTED:
        result = runner.invoke(cli, ["import-boundaries", str(BOUNDARIES / name)],
                               env={"GEOHUB_STORE": str(path), "GEOHUB_DATABASE_URL": ""})
        assert result.exit_code == 0, f"{name}: {result.output}"
        outputs[name] = result.output
    from geohub.store import open_store
    with open_store(path) as store:
        yield store, outputs


def test_every_file_in_the_shared_folder_is_covered():
    files = {str(p.relative_to(BOUNDARIES)) for p in BOUNDARIES.rglob("*") if p.is_file()}
    assert files == set(EXPECTED)


def test_counts_levels_and_vintages(real_store):
    store, _ = real_store
    found = {(s.level, s.vintage): s.count for s in store.boundary_sets()}
    for sets in EXPECTED.values():
        for level, vintage, count in sets:
            assert found.pop((level, vintage)) == count, (level, vintage)
    assert found == {}


def test_lad_2021_by_country(real_store):
    store, _ = real_store
    codes = store.areas("lad", 2021)["code"]
    assert codes.str[0].value_counts().to_dict() == {"E": 309, "S": 32, "W": 22, "N": 11}


def test_bng_files_land_where_lonlat_files_do(real_store):
    """The EPSG:27700 CAUTH 2022 file and the lon/lat 2021 file cover the same places."""
    store, _ = real_store
    a = store.areas("cauth", 2021).set_index("code").geometry
    b = store.areas("cauth", 2022).set_index("code").geometry
    overlap = a.intersection(b.reindex(a.index)).area / a.area
    assert overlap.min() > 0.99


def test_msoa_centroids_are_points(real_store):
    store, _ = real_store
    msoa = store.areas("msoa", 2021)
    assert set(msoa.geom_type) == {"Point"} and msoa["name"].isna().all()


def test_multi_year_topojson_keeps_validity_years(real_store):
    store, outputs = real_store
    assert "multi-year" in outputs["multi/ons_uk_topojson_2014_2025.topojson"]
    lad = store.areas("lad", 2025)
    bucks = store._read_areas("lad", 2025, ["E07000004", "E06000060"], geometry=False).set_index("code")
    assert bucks.loc["E07000004", "end_year"] == 2019 and pd.isna(bucks.loc["E07000004", "start_year"])
    assert bucks.loc["E06000060", "start_year"] == 2020
    assert "E06000060" in set(lad["code"]) and "E07000004" not in set(lad["code"])


@pytest.mark.parametrize("year", range(2016, 2025))
def test_lads_live_each_year_equal_the_official_lists(real_store, year):
    """England's LADs live in each year equal geographr's ltlaYY code list (an independent source)."""
    store, _ = real_store
    chain = pd.read_csv(LOOKUPS / "compiled" / "geographr_lookup_ltla_ltla.csv", dtype=str)
    official = {c for c in chain[f"ltla{year % 100:02d}_code"].dropna() if c.startswith("E")}
    live = store.areas("lad", year, geometry=False)
    assert {c for c in live["code"] if c.startswith("E")} == official


def test_store_opens_in_ogrinfo(real_store):
    store, _ = real_store
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian's gdal-bin) is needed: .ci/run installs it"
    out = subprocess.run([ogrinfo, "-ro", "-q", store.url], capture_output=True, text=True, check=True).stdout
    for layer in ("areas", "imports", "relationships", "indicators", "indicator_values"):
        assert f": {layer}" in out
    count = subprocess.run([ogrinfo, "-ro", "-q", store.url, "-sql",
                            "SELECT COUNT(*) AS n FROM areas WHERE level = 'lad' AND vintage = 2021"],
                           capture_output=True, text=True, check=True).stdout
    assert "n (Integer) = 374" in count


def test_store_of_every_shared_file_passes_gdal_validate_gpkg(real_store):
    """GDAL's validate_gpkg.py -k --extra exits 0; every layer has a FID column; areas has the
    spatial index GDAL looks for."""
    from validators import fid_columns, has_spatial_index, validate_gpkg
    store, _ = real_store
    result = validate_gpkg(store.url)
    assert result.returncode == 0, result.stdout + result.stderr
    layers = fid_columns(store.url)
    assert len(layers) == 6 and all(layers.values()), layers
    assert has_spatial_index(store.url)


def test_every_stored_area_is_valid_without_repeated_vertices(real_store):
    """GEOS-valid, and no ring with duplicate consecutive vertices, in every stored set."""
    import shapely

    from validators import rings_with_repeated_vertices
    store, outputs = real_store
    for bset in store.boundary_sets():
        areas = store._read_areas(bset.level, bset.vintage, None, True)
        invalid = areas[~shapely.is_valid(areas.geometry.values)]
        assert invalid.empty, (bset, invalid["code"].tolist())
        repeated = [c for c, g in zip(areas["code"], areas.geometry) if rings_with_repeated_vertices(g)]
        assert repeated == [], (bset, repeated)
    # The multi-year file's self-intersection near (155015, 37915) is repaired and reported.
    report = outputs["multi/ons_uk_topojson_2014_2025.topojson"]
    assert "E06000052: Self-intersection[155015 37915]" in report
    assert "removed duplicate consecutive vertices from" in report
