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
           "GEOHUB_FETCH_CACHE": str(tmp_path / "fetch-cache")}

    def run(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return run
