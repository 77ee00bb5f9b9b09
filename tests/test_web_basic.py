"""The Flask app factory and the first pages, with the Flask test client."""
import pytest

from factories import THREE_LADS, lonlat_boxes


@pytest.fixture
def app(store_path):
    from geohub import create_app
    return create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                       "GEOHUB_CACHE_DIR": str(store_path.parent / "artifacts")})


def test_empty_store_says_how_to_load(app):
    page = app.test_client().get("/")
    assert page.status_code == 200 and b"geohub fetch" in page.data


def test_home_and_levels_api_after_import(app, geohub, tmp_path):
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    client = app.test_client()
    assert b"Local authority districts</td><td>2021" in client.get("/").data
    levels = client.get("/api/levels").get_json()
    assert levels == [{"level": "lad", "label": "Local authority district", "vintages": [2021],
                       "sets": [{"vintage": 2021, "count": 3, "multi_year": False, "first_year": None}]}]


def test_an_import_shows_on_the_next_request(app, geohub, tmp_path):
    """What the app keeps per store revision (the boundary sets among it) is dropped by an import."""
    client = app.test_client()
    assert b"geohub fetch" in client.get("/").data and client.get("/api/levels").get_json() == []
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    assert b"Local authority districts</td><td>2021" in client.get("/").data
    assert [lv["level"] for lv in client.get("/api/levels").get_json()] == ["lad"]


def test_overlaps_take_the_other_levels_boundaries_in_force_that_year(app, geohub, tmp_path):
    """With no vintage_a, the source level's newest set at or before the target's year (as map
    overlays pair levels), not a later set that happens to be closer."""
    lads = lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)
    for year in (2019, 2023):
        assert geohub("import-boundaries", lads, "--level", "lad", "--vintage", year).exit_code == 0
    leps = lonlat_boxes(tmp_path / "p.geojson", [("E37000001", "North"), ("E37000002", "South")], "LEP21")
    assert geohub("import-boundaries", leps, "--level", "lep", "--vintage", 2022).exit_code == 0
    report = app.test_client().get("/api/overlaps/lad/lep").get_json()
    assert report["levels"] == {"source": {"level": "lad", "vintage": 2019},
                                "target": {"level": "lep", "vintage": 2022}}
    assert report["stats"]["sources"] == 2 and report["unassigned"] == ["E06000003"]


def test_api_errors_are_json(app):
    response = app.test_client().get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_geohub_serve_serves(tmp_path, geohub, store_path):
    """`geohub serve` as a person runs it: a real process on a free port answering HTTP."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "cache")}
    process = subprocess.Popen([sys.executable, "-m", "geohub", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.time() < deadline, "geohub serve did not answer within 60 s"
                time.sleep(0.5)
        assert b"Local authority districts</td><td>2021" in page
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_server_entry_point_warms_up_and_the_app_alone_does_not(store_path, tmp_path):
    """``wsgi:app`` (what gunicorn serves) has paid mapclassify's import before its first request;
    create_app alone (what every CLI command builds) has not."""
    import os
    import subprocess
    import sys

    from conftest import REPO
    from geohub.store import open_store
    with open_store(store_path):   # the server serves an existing store; it never creates one
        pass
    env = {**os.environ, "GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "cache")}
    probe = "import sys; {}; print('mapclassify' in sys.modules)"
    wsgi = subprocess.run([sys.executable, "-c", probe.format("import wsgi")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    bare = subprocess.run([sys.executable, "-c", probe.format("import geohub; geohub.create_app()")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert (wsgi.stdout.strip(), bare.stdout.strip()) == ("True", "False"), wsgi.stderr + bare.stderr


def test_the_cli_and_the_app_agree_on_the_instance_folder(monkeypatch):
    """The CLI opens the default store without building the app: same folder by Flask's rule."""
    from geohub import create_app, settings
    monkeypatch.delenv("GEOHUB_STORE", raising=False)
    monkeypatch.delenv("GEOHUB_DATABASE_URL", raising=False)
    from geohub.cli.context import config
    app = create_app()
    assert str(settings.instance_dir()) == app.instance_path
    assert config()["GEOHUB_STORE"] == app.config["GEOHUB_STORE"]


def test_the_server_entry_point_refuses_a_missing_store(tmp_path):
    """gunicorn's wsgi:app with a mistyped GEOHUB_STORE stops with a message; no store appears."""
    import os
    import subprocess
    import sys

    from conftest import REPO
    missing = tmp_path / "mistyped.gpkg"
    env = {**os.environ, "GEOHUB_STORE": str(missing), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and f"There is no store at {missing}" in result.stderr
    assert not missing.exists()
