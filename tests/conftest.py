"""Shared fixtures: where the real data lives, a fresh store per test, a CLI runner, the real-data
stores and apps, and PostGIS.

Tests that read ``../shared/data`` (or GEOHUB_SHARED_DATA) carry the ``real_data`` marker: set by hand
(``pytestmark``) or, for every test that uses a fixture built from the real data (REAL_DATA_FIXTURES),
by ``pytest_collection_modifyitems`` below. When the folder is missing those tests are skipped with
the reason and the unit tests still run (``pytest -m "not real_data"`` needs no data at all).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GEOHUB_SHARED_DATA", REPO.parent / "shared" / "data"))
BOUNDARIES = SHARED_DATA / "boundaries"
LOOKUPS = SHARED_DATA / "lookups"
INDICATORS = SHARED_DATA / "indicators"


# Fixtures built from the real data: a test using any of them (directly or through another fixture)
# is marked real_data.
REAL_DATA_FIXTURES = frozenset({"shared_data", "real_template", "real_store_path", "web_template",
                                "web_app", "client"})
MISSING_DATA = (f"the real data folder {SHARED_DATA} is missing: set GEOHUB_SHARED_DATA to the "
                "shared/data folder (it sits beside the repository as ../shared/data)")


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses the real data; skip them, saying why, when the data is missing."""
    missing = not SHARED_DATA.is_dir()
    for item in items:
        if REAL_DATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_data)
        if missing and item.get_closest_marker("real_data"):
            item.add_marker(pytest.mark.skip(reason=MISSING_DATA))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder (a test asking for it is marked real_data)."""
    return SHARED_DATA


def load_bench(name: str):
    """The benchmark script ``bench/<name>.py`` as a module (benchmarks are scripts, not a package)."""
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "store.gpkg"


@pytest.fixture
def store(store_path):
    from geohub.store import open_store
    with open_store(store_path) as s:
        yield s


@pytest.fixture
def geohub(store_path, tmp_path):
    """Run ``geohub ARGS...`` against the test's store; returns click's Result."""
    from geohub.cli import cli
    runner = CliRunner()
    env = {"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_FETCH_CACHE": str(tmp_path / "fetch-cache"),
           "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")}

    def run(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return run


@pytest.fixture
def loaded(geohub, store_path, tmp_path):
    """A store holding three hand-made LADs, and its bytes before the test's own command."""
    from factories import THREE_LADS, lonlat_boxes
    result = geohub("import-boundaries", lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS))
    assert result.exit_code == 0, result.output
    return store_path.read_bytes()


def refused(result, store_path, before, *fragments):
    """Assert a CLI command was refused with an ``Error:`` line (no traceback) naming each of
    ``fragments``, and left the store byte-for-byte as ``before``."""
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error:") and "Traceback" not in result.output, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert store_path.read_bytes() == before


@pytest.fixture
def small_store(geohub, store_path, tmp_path):
    """A store of three hand-made LADs and one count indicator, ``jobs`` (1, 2, 3)."""
    from factories import THREE_LADS, lonlat_boxes
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    values = tmp_path / "v.csv"
    values.write_text("area_code,period,value\nE06000001,2020,1\nE06000002,2020,2\nE06000003,2020,3\n")
    result = geohub("import-indicator", values, "--id", "jobs", "--title", "Jobs", "--unit", "jobs")
    assert result.exit_code == 0, result.output
    return store_path


REAL_BOUNDARY_FILES = (
    "lad/LAD_Dec2021_UK_BUC.geojson",
    "multi/ons_uk_topojson_2014_2025.topojson",
    "country/CTRY_Dec2024_England_only_BUC.geojson",
    "cauth/CAUTH_Dec2021_EN_BGC.geojson",
    "cauth/CAUTH24_EN_BUC_filename_May2023.geojson",
    "lep/LEP_May2021_EN_BUC.geojson",
    "lsip/LSIP_Aug2023_EN_BUC_BNG27700.geojson",
    "centroids/MSOA21_PWC_EW_onsvisual.geojson",
)
# What 'geohub fetch --source ../shared/data' loads: the code history and the ONS lookups.
REAL_LOOKUP_FILES = ("compiled/geographr_lookup_ltla_ltla.csv", "ons/LAD21_CAUTH21_EN_LU_dfe_copy.csv",
                     "ons/LAD23_CAUTH23_EN_LU_April2023.csv", "ons/LAD24_CAUTH24_EN_LU_May2024.csv",
                     "ons/LAD25_CAUTH25_EN_LU_May2025.csv", "ons/LAD23_LSIP23_EN_LU_Aug2023.csv",
                     "ons/LAD21_RGN21_EN_LU_April2021.csv")
# Place names (imported after the MSOA centroids they name): the catalogue's gazetteer entry.
REAL_GAZETTEER_IDS = ("gazetteer-msoa-hcl",)


@pytest.fixture(scope="session")
def real_template(shared_data, tmp_path_factory) -> Path:
    """A store with the real boundaries and the LAD code history, built once per test session."""
    from geohub.geography.boundaries import import_boundaries
    from geohub.geography.catalogue import load_catalogue
    from geohub.geography.gazetteer import import_gazetteer
    from geohub.geography.lookups import import_lookup
    from geohub.store import open_store
    path = tmp_path_factory.mktemp("template") / "real.gpkg"
    with open_store(path) as store:
        for name in REAL_BOUNDARY_FILES:
            import_boundaries(store, BOUNDARIES / name)
        for name in REAL_LOOKUP_FILES:
            import_lookup(store, LOOKUPS / name)
        for dataset in REAL_GAZETTEER_IDS:
            entry = load_catalogue().get(dataset)
            import_gazetteer(store, SHARED_DATA / entry.mirror, level=entry.level,
                             vintage=entry.vintage, code_field=entry.code_field,
                             name_field=entry.name_field, attribution=entry.attribution)
    return path


@pytest.fixture
def real_store_path(real_template, store_path) -> Path:
    """This test's own copy of the real-boundaries store (at the path the ``geohub`` fixture uses)."""
    import shutil
    shutil.copyfile(real_template, store_path)
    return store_path


@pytest.fixture(scope="session")
def web_template(real_template, tmp_path_factory) -> Path:
    """The real-boundaries store plus two indicators, for the web tests (built once)."""
    import shutil

    from geohub.indicators.drafts import ImportOptions
    from geohub.indicators.importer import import_indicator
    from geohub.store import open_store
    path = tmp_path_factory.mktemp("web") / "web.gpkg"
    shutil.copyfile(real_template, path)
    with open_store(path) as store:
        import_indicator(store, INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv",
                         ImportOptions(id="pop", title="Population mid-2020", unit="people",
                                       source="ONS mid-year estimates", licence="OGL v3.0"))
        import_indicator(store, INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv",
                         ImportOptions(id="employed", kind="count", unit="people",
                                       where=[("variable", "T01:28 (Aged 16-64 - In employment : All People )")]))
    return path


@pytest.fixture(scope="session")
def web_app(web_template, tmp_path_factory):
    """One app over the web store (read-only use), shared by the web tests."""
    from geohub import create_app
    return create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                       "GEOHUB_CACHE_DIR": str(tmp_path_factory.mktemp("artifacts"))})


@pytest.fixture
def client(web_app):
    return web_app.test_client()


ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium through Playwright, one per test module (see tests/live.py)."""
    from live import browser
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def base_url(web_app):
    """The web tests' app served on a loopback port, one per test module."""
    from live import serve
    with serve(web_app) as url:
        yield url


@pytest.fixture(scope="session")
def postgis_url():
    """A PostgreSQL + PostGIS server for the session (see tests/postgres.py)."""
    from postgres import postgis_server
    with postgis_server() as url:
        yield url


@pytest.fixture
def postgis_store_url(postgis_url, request):
    """A fresh, empty schema of the PostGIS server for one test (dropped afterwards)."""
    import uuid

    import psycopg
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{postgis_url}?schema={schema}"
    with psycopg.connect(postgis_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["gpkg", "postgis"])
def any_store(request, store_path):
    """The same test against both store implementations."""
    from geohub.store import open_store
    url = str(store_path) if request.param == "gpkg" else request.getfixturevalue("postgis_store_url")
    with open_store(url) as s:
        yield s


def snapshot(store) -> str:
    """A digest of everything a store holds (every table, every row)."""
    import hashlib
    from geohub.store.schema import TABLES
    digest = hashlib.sha256()
    for table in TABLES:
        columns, rows = store.dump_table(table)
        if table == "geohub_meta":   # a store's own identity (id, last write's token) is not content
            rows = [r for r in rows if r[0] not in ("store_id", "state")]
        digest.update(repr((table, columns, rows)).encode())
    return digest.hexdigest()
