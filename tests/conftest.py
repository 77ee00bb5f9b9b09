"""Shared fixtures: where the real data lives, a fresh store per test, and a CLI runner."""
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


def pytest_sessionstart(session):
    if not SHARED_DATA.is_dir():
        raise pytest.UsageError(
            f"The real data folder {SHARED_DATA} is missing: set GEOHUB_SHARED_DATA to the shared/data "
            "folder (it sits beside the repository as ../shared/data).")


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


@pytest.fixture(scope="session")
def real_template(tmp_path_factory) -> Path:
    """A store with the real boundaries and the LAD code history, built once per test session."""
    from geohub.geography.boundaries import import_boundaries
    from geohub.geography.lookups import import_lookup
    from geohub.store import open_store
    path = tmp_path_factory.mktemp("template") / "real.gpkg"
    with open_store(path) as store:
        for name in REAL_BOUNDARY_FILES:
            import_boundaries(store, BOUNDARIES / name)
        for name in REAL_LOOKUP_FILES:
            import_lookup(store, LOOKUPS / name)
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
        digest.update(repr((table, columns, rows)).encode())
    return digest.hexdigest()
