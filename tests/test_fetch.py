"""geohub fetch: the catalogue, paged downloads from a stand-in ArcGIS FeatureServer on loopback (with
retries, resume and bad answers), mirror folders, and the errors a user can meet.

The stand-in serves the shared files under their real portal service names, 50 features a page.
"""
import json

import pytest
from click.testing import CliRunner

from conftest import SHARED_DATA
from featureserver import StandInFeatureServer

LAD = "Local_Authority_Districts_December_2021_UK_BUC_2022"
LSIP = "Local_Skills_Improvement_Plan_Areas_August_2023_Boundaries_EN_BUC"
DEFAULTS = ["lad-2021-buc", "lep-2021-buc", "cauth-2021-bgc", "cauth-2024-buc", "lsip-2023-buc",
            "country-2024-buc", "ons-topojson-2014-2025", "msoa-2021-pwc", "gazetteer-msoa-hcl",
            "lookup-lad21-cauth21",
            "lookup-lad23-cauth23", "lookup-lad24-cauth24", "lookup-lad25-cauth25",
            "lookup-lad23-lsip23", "lookup-lad21-rgn21", "history-lad-2016-2024"]


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Retry as often as in production, but without the production waits."""
    from geohub.io import download
    monkeypatch.setattr(download, "DEFAULT_POLICY",
                        download.RetryPolicy(attempts=3, backoff=0.01, max_wait=0.05, timeout=(5, 30)))


@pytest.fixture
def server(shared_data):
    """The stand-in FeatureServer, serving layers made from the real data."""
    with StandInFeatureServer(max_record_count=50) as s:
        yield s


def counts(store_path) -> dict:
    from geohub.store import open_store
    with open_store(store_path) as store:
        return {(s.level, s.vintage): s.count for s in store.boundary_sets()}


# -- the catalogue --------------------------------------------------------------------------------

def test_catalogue_defaults_are_the_mirrored_datasets(shared_data):
    from geohub.geography.catalogue import load_catalogue
    catalogue = load_catalogue()
    assert [d.id for d in catalogue.defaults()] == DEFAULTS
    for d in catalogue:
        if d.mirror:
            assert (SHARED_DATA / d.mirror).is_file(), d.id


def test_catalogue_fields_match_level_and_vintage():
    """An ONS field name says its level and year (LAD21CD: lad 2021); a typo in either shows here."""
    from geohub.geography.catalogue import load_catalogue
    from geohub.geography.conventions import ons_field
    checked = 0
    for d in load_catalogue():
        for field in (d.code_field, d.name_field):
            if field is None:  # lookups name their columns themselves; centroids have no names
                assert d.kind in ("lookup", "file"), d.id
                continue
            named = ons_field(field)
            if named is None or named.form != "ons":
                # msoa11hclnm: the House of Commons Library's own name column
                assert d.kind in ("file", "gazetteer"), (d.id, field)
                continue
            assert named.level is not None and named.level.name == d.level, (d.id, field)
            if d.kind == "gazetteer":  # its fields name the codes it lists (2011 MSOAs), not the set
                assert named.vintage <= d.vintage, (d.id, field)
                continue
            assert named.vintage == d.vintage, (d.id, field)
            checked += 1
    assert checked > 80


@pytest.mark.parametrize("entry, fragment", [
    ('id = "x-1"\ntitle = "X"\nlevel = "parish"\nvintage = 2021\nattribution = "A"\nservice = "S"',
     "Unknown level 'parish'"),
    ('id = "x-1"\ntitle = "X"\nlevel = "lad"\nvintage = 2021\nattribution = "A"\nservice = "S"\n'
     'default = true', "a default dataset needs a mirror path"),
    ('id = "x-1"\ntitle = "X"\nlevel = "lad"\nvintage = 2021\nattribution = "A"',
     "needs a service (or url)"),
    ('id = "x-1"\ntitle = "X"\nlevel = "lad"\nvintage = 2021\nattribution = "A"\nservice = "S"\n'
     'servise = "typo"', "unknown key servise"),
    ('id = "x-1"\ntitle = "X"\nlevel = "lad"\nvintage = 2021\nattribution = "A"\nmirror = "../../etc"',
     "relative path inside the mirror folder"),
])
def test_bad_catalogue_entries_are_named(tmp_path, monkeypatch, entry, fragment):
    from geohub.errors import InputError
    from geohub.geography.catalogue import load_catalogue
    path = tmp_path / "catalogue.toml"
    path.write_text(f"[[dataset]]\n{entry}\n")
    monkeypatch.setenv("GEOHUB_CATALOGUE", str(path))
    with pytest.raises(InputError) as caught:
        load_catalogue()
    assert fragment in str(caught.value) and "x-1" in str(caught.value)


def test_list_prints_the_catalogue_without_touching_the_store(geohub, store_path):
    from geohub.geography.catalogue import load_catalogue
    result = geohub("fetch", "--list")
    assert result.exit_code == 0, result.output
    *rows, legend = result.output.splitlines()
    assert [row[2:].split()[0] for row in rows] == load_catalogue().ids()
    assert sorted(row[2:].split()[0] for row in rows if row.startswith("* ")) == sorted(DEFAULTS)
    assert legend.startswith("* = default")
    assert "lad-2021-buc            lad      2021  BUC  Local Authority Districts" in result.output
    assert not store_path.exists()


def test_unknown_dataset_lists_the_known_ones(geohub, store_path, shared_data):
    result = geohub("fetch", "lad-2021-buc", "lad-2099-buc", "--source", SHARED_DATA)
    assert result.exit_code == 1
    assert "Unknown dataset 'lad-2099-buc'" in result.output
    assert "Known datasets: lad-2016-bgc, lad-2021-buc" in result.output
    assert "ons-topojson-2014-2025" in result.output
    assert not store_path.exists()  # checked before anything was fetched or opened


def test_missing_mirror_folder(geohub, store_path, tmp_path):
    result = geohub("fetch", "--source", tmp_path / "no-such-mirror")
    assert result.exit_code == 1
    assert "The mirror folder" in result.output and "does not exist" in result.output
    assert not store_path.exists()


# -- mirror folders -------------------------------------------------------------------------------

def test_source_dir_imports_the_defaults(geohub, store_path, shared_data):
    result = geohub("fetch", "--source", SHARED_DATA)
    assert result.exit_code == 0, result.output
    found = counts(store_path)
    for key, n in {("lad", 2021): 374, ("lep", 2021): 38, ("cauth", 2021): 10, ("cauth", 2024): 11,
                   ("lsip", 2023): 38, ("country", 2024): 1, ("lad", 2025): 407, ("utla", 2025): 230,
                   ("region", 2025): 12, ("msoa", 2021): 7264}.items():
        assert found[key] == n, key
    from geohub.store import open_store
    with open_store(store_path) as store:
        sources = set(store.imports()["source"])
        rels = store.relationships()
    assert str(SHARED_DATA.resolve() / "boundaries/lep/LEP_May2021_EN_BUC.geojson") in sources
    # The official lookups and the LAD code history come with the default fetch.
    families = rels.groupby(["source_level", "source_vintage", "target_level", "target_vintage",
                             "method"]).size().to_dict()
    assert families[("lad", 2021, "cauth", 2021, "lookup")] == 53
    assert families[("lad", 2024, "cauth", 2024, "lookup")] == 72
    assert families[("lad", 2023, "lsip", 2023, "lookup")] == 296
    assert families[("lad", 2021, "region", 2021, "lookup")] == 309
    assert families[("lad", 2023, "lad", 2024, "history")] == 361
    # The gazetteer names the MSOA centroids, with its licence as the import's attribution.
    with open_store(store_path) as store:
        hebden = store.areas("msoa", 2021, codes=["E02002247"], geometry=False)
        gazetteer = store.imports().query("kind == 'gazetteer'")
        named = store.areas("msoa", 2021, geometry=False)["name"].notna().sum()
    assert list(hebden["name"]) == ["Hebden Bridge"]
    assert list(gazetteer["attribution"]) == [
        "Contains Parliamentary information licensed under the Open Parliament Licence v3.0"]
    # PROVENANCE.md: 7 080 of the 7 201 listed codes are 2021 MSOA codes; the other 121 are reported.
    assert named == 7080
    assert "gazetteer-msoa-hcl" in result.output
    assert "7080 of 7201 listed places named" in result.output
    assert "121 listed codes are not stored msoa 2021 areas" in result.output


def test_gazetteer_without_its_points_or_columns_changes_nothing(geohub, store_path, shared_data,
                                                                 tmp_path):
    """A gazetteer before its points, or without the columns the catalogue names, is refused and
    the store stays byte-for-byte as it was."""
    assert geohub("fetch", "lad-2021-buc", "--source", SHARED_DATA).exit_code == 0
    before = store_path.read_bytes()
    result = geohub("fetch", "gazetteer-msoa-hcl", "--source", SHARED_DATA)
    assert result.exit_code == 1
    assert "store has none" in result.output and "msoa-2021-pwc" in result.output
    assert store_path.read_bytes() == before
    assert geohub("fetch", "msoa-2021-pwc", "--source", SHARED_DATA).exit_code == 0
    before = store_path.read_bytes()
    mirror = tmp_path / "mirror"
    (mirror / "gazetteer").mkdir(parents=True)
    (mirror / "gazetteer" / "msoa11_names_hcl.csv").write_text("code,name\nE02002247,Hebden Bridge\n")
    result = geohub("fetch", "gazetteer-msoa-hcl", "--source", mirror)
    assert result.exit_code == 1
    assert "has no column msoa11cd, msoa11hclnm" in result.output
    assert store_path.read_bytes() == before


def test_mirror_without_the_file(geohub, store_path, tmp_path):
    (tmp_path / "mirror").mkdir()
    result = geohub("fetch", "cauth-2021-bgc", "--source", tmp_path / "mirror")
    assert result.exit_code == 1
    assert "cauth-2021-bgc: boundaries/cauth/CAUTH_Dec2021_EN_BGC.geojson is not in the mirror" in result.output
    assert not store_path.exists()


# -- the stand-in FeatureServer ---------------------------------------------------------------------

def test_fetch_pages_through_the_layer(geohub, server, store_path, tmp_path):
    result = geohub("fetch", "lad-2021-buc", "--source", server.root)
    assert result.exit_code == 0, result.output
    assert counts(store_path) == {("lad", 2021): 374}
    assert server.page_offsets(LAD) == list(range(0, 374, 50))  # eight pages of at most 50
    pages = [s.params for s in server.seen if s.kind == "page"]
    assert {(p["f"], p["outSR"], p["resultRecordCount"], p["orderByFields"]) for p in pages} == \
        {("geojson", "4326", "50", "FID")}
    assert f"downloaded 374 features in 8 pages from {server.layer_url(LAD)}" in result.output
    from geohub.store import open_store
    with open_store(store_path) as store:
        assert list(store.imports()["source"]) == [server.layer_url(LAD)]
    assert not (tmp_path / "fetch-cache" / "lad-2021-buc").exists()  # pages dropped once imported


def test_fetch_follows_exceeded_transfer_limit_below_max_record_count(geohub, store_path, shared_data):
    """A server that announces 50 a page but sends 30 (and says more remain) is still read whole."""
    with StandInFeatureServer(max_record_count=50, page_cap=30) as s:
        result = geohub("fetch", "lad-2021-buc", "--source", s.root)
        assert result.exit_code == 0, result.output
        assert s.page_offsets(LAD) == list(range(0, 374, 30))
    assert counts(store_path) == {("lad", 2021): 374}


def test_reprojected_layer_matches_the_mirror_copy(geohub, server, store_path, tmp_path):
    """The LSIP file is in EPSG:27700; served as lon/lat and stored back in 27700, it is unchanged."""
    assert geohub("fetch", "lsip-2023-buc", "--source", server.root).exit_code == 0
    from geohub.geography.fetch import fetch_and_import
    from geohub.store import open_store
    with open_store(tmp_path / "mirror.gpkg") as mirror_store:
        fetch_and_import(mirror_store, ["lsip-2023-buc"], str(SHARED_DATA), cache_dir=tmp_path / "c")
        expected = mirror_store.areas("lsip", 2023).set_index("code").sort_index()
    with open_store(store_path) as store:
        fetched = store.areas("lsip", 2023).set_index("code").sort_index()
    assert list(fetched.index) == list(expected.index) and len(fetched) == 38
    assert (fetched["name"] == expected["name"]).all()
    moved = fetched.geometry.symmetric_difference(expected.geometry).area / expected.geometry.area
    assert moved.max() < 1e-6


def test_retries_survive_server_errors(geohub, server, store_path):
    server.fail(LAD, offset=100, times=2, status=500)
    server.fail(LAD, offset=250, times=1, status=429)
    server.fail(LAD, offset=300, times=2, status=503, arcgis=True)  # HTTP 200 with an ArcGIS error
    result = geohub("fetch", "lad-2021-buc", "--source", server.root)
    assert result.exit_code == 0, result.output
    assert counts(store_path) == {("lad", 2021): 374}
    offsets = server.page_offsets(LAD)
    assert offsets.count(100) == 3 and offsets.count(250) == 2 and offsets.count(300) == 3
    assert sorted(set(offsets)) == list(range(0, 374, 50))


def test_an_interrupted_fetch_resumes_with_the_missing_pages(geohub, server, store_path, loaded,
                                                             tmp_path):
    server.outage_after(3)
    result = geohub("fetch", "lad-2021-buc", "--source", server.root)
    assert result.exit_code == 1
    assert "lad-2021-buc: Downloading lad-2021-buc (features 151-200 of 374)" in result.output
    assert "failed 3 times" in result.output and "HTTP 503" in result.output
    assert "run the same command again later" in result.output
    assert store_path.read_bytes() == loaded
    cache = tmp_path / "fetch-cache" / "lad-2021-buc"
    assert sorted(p.name for p in cache.glob("page-*.geojson")) == [
        "page-000000000.geojson", "page-000000050.geojson", "page-000000100.geojson"]

    server.heal()
    server.seen.clear()
    result = geohub("fetch", "lad-2021-buc", "--source", server.root)
    assert result.exit_code == 0, result.output
    assert server.page_offsets(LAD) == [150, 200, 250, 300, 350]
    assert "downloaded 374 features in 8 pages, 3 reused from an interrupted run" in result.output
    assert counts(store_path)[("lad", 2021)] == 374


@pytest.mark.parametrize("body, content_type, fragment", [
    (b"<html><body>Service temporarily unavailable</body></html>", "text/html",
     "did not answer JSON (text/html"),
    (json.dumps({"features": [{"attributes": {"LAD21CD": "E06000001"}}]}).encode(), "application/json",
     "the answer is Esri JSON, not GeoJSON"),
    (json.dumps({"type": "Topology", "objects": {}}).encode(), "application/json",
     "not a GeoJSON FeatureCollection (type 'Topology')"),
])
def test_non_geojson_answers_leave_the_store_unchanged(geohub, server, store_path, loaded, body,
                                                       content_type, fragment):
    server.answer_garbage(LAD, body, content_type)
    result = geohub("fetch", "lad-2021-buc", "--source", server.root)
    assert result.exit_code == 1
    assert "Error: lad-2021-buc: Downloading lad-2021-buc" in result.output
    assert fragment in result.output
    assert store_path.read_bytes() == loaded


def test_one_failed_dataset_does_not_stop_the_others(geohub, server, store_path, loaded):
    server.answer_garbage(LAD, b"<html>oops</html>", "text/html")
    result = geohub("fetch", "lad-2021-buc", "lsip-2023-buc", "--source", server.root)
    assert result.exit_code == 1
    assert "lsip-2023-buc (Local Skills Improvement Plan Areas (August 2023) EN BUC): downloaded 38" \
        in result.output
    assert "Error: lad-2021-buc: Downloading lad-2021-buc" in result.output
    assert "(Loaded meanwhile: lsip-2023-buc.)" in result.output
    assert counts(store_path) == {("lad", 2021): 3, ("lsip", 2023): 38}  # the old LADs are untouched


def test_mirror_only_dataset_from_a_server(geohub, server, store_path):
    result = geohub("fetch", "lep-2021-buc", "--source", server.root)
    assert result.exit_code == 1
    assert "No FeatureServer service is known for lep-2021-buc" in result.output
    assert "--source DIR" in result.output


def test_unknown_service_is_reported(geohub, server, store_path, tmp_path, monkeypatch):
    """A catalogue service the server does not have: ArcGIS's 'Invalid URL' reaches the user."""
    path = tmp_path / "catalogue.toml"
    path.write_text('[[dataset]]\nid = "lad-2030-buc"\ntitle = "Future LADs"\nlevel = "lad"\n'
                    'vintage = 2030\nattribution = "A"\nservice = "LAD_DEC_2030_UK_BUC"\n')
    monkeypatch.setenv("GEOHUB_CATALOGUE", str(path))
    result = geohub("fetch", "lad-2030-buc", "--source", server.root)
    assert result.exit_code == 1
    assert "lad-2030-buc: Downloading lad-2030-buc (layer metadata): the server refused the request: " \
           "Invalid URL (code 400)" in result.output
    assert not store_path.exists()


def test_file_dataset_is_downloaded_with_retries(geohub, server, store_path, tmp_path, monkeypatch):
    """A dataset of kind "file" (the multi-year TopoJSON) comes from its own URL, whatever the source."""
    relative = "boundaries/multi/ons_uk_topojson_2014_2025.topojson"
    path = tmp_path / "catalogue.toml"
    path.write_text(f'[[dataset]]\nid = "topo"\ntitle = "T"\nkind = "file"\nvintage = 2025\n'
                    f'attribution = "A"\nurl = "{server.file_url(relative)}"\n')
    monkeypatch.setenv("GEOHUB_CATALOGUE", str(path))
    server.fail("files", 0, times=2, status=502)
    result = geohub("fetch", "topo", "--source", server.root)
    assert result.exit_code == 0, result.output
    assert f"downloaded from {server.file_url(relative)}" in result.output
    assert [s.status for s in server.seen if s.kind == "file"] == [502, 502, 200]
    found = counts(store_path)
    assert found[("lad", 2025)] == 407 and found[("region", 2025)] == 12


def test_source_defaults_to_the_geohub_source_setting(server, store_path, tmp_path):
    from geohub.cli import cli
    env = {"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "", "GEOHUB_SOURCE": server.root,
           "GEOHUB_FETCH_CACHE": str(tmp_path / "cache")}
    result = CliRunner().invoke(cli, ["fetch", "cauth-2024-buc"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert counts(store_path) == {("cauth", 2024): 11}
    assert server.page_offsets("Combined_Authorities_May_2023_Boundaries_EN_BUC") == [0]
