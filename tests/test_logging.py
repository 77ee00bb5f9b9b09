"""geohub's loggers: the CLI's -v shows what happened (imports, sliver decisions), -q only errors,
and the server logs refusals and cache rebuilds."""
from __future__ import annotations

import logging

import pandas as pd
from click.testing import CliRunner

from factories import THREE_LADS, lonlat_boxes


def invoke(store_path, tmp_path, *args):
    from geohub.cli import cli
    env = {"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")}
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def test_verbose_logs_the_import_and_quiet_does_not(store_path, tmp_path):
    path = lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)
    loud = invoke(store_path, tmp_path, "-v", "import-boundaries", path)
    assert loud.exit_code == 0, loud.output
    assert "INFO geohub.geography.boundaries: Imported boundaries from" in loud.stderr
    assert "lad 2021 (3 areas)" in loud.stderr
    quiet = invoke(store_path, tmp_path, "-q", "import-boundaries", path)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert "Imported into" in quiet.stdout  # the command's own report is output, not logging


def test_sliver_decisions_are_logged(caplog):
    from geohub.overlaps.slivers import resolve_slivers
    table = pd.DataFrame({"source_code": ["A", "A", "B"], "target_code": ["X", "Y", "X"],
                          "share": [0.98, 0.02, 1.0]})
    with caplog.at_level(logging.INFO, logger="geohub"):
        resolve_slivers(table, 0.05)
    [record] = [r for r in caplog.records if r.name == "geohub.overlaps.slivers"]
    assert record.getMessage() == "Slivers at tolerance 0.05: 2 of 3 pairs changed (1 dropped, 1 snapped)"


def test_the_server_logs_refusals_and_cache_rebuilds(store_path, tmp_path, geohub, caplog):
    from geohub import create_app
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    app = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")})
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="geohub"):
        assert client.get("/api/areas/parish").status_code == 400
        assert client.get("/api/areas/lad").status_code == 200
    messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert ("geohub.web.errors", "INFO",
            "Refused GET /api/areas/parish: 400 Unknown level 'parish'.") in messages
    assert any(name == "geohub.web.resources" and message.startswith("Built ('geojson', 'lad', 2021)")
               for name, _, message in messages), messages
