"""geohub as a user installs it: a wheel built from this checkout, installed into a fresh virtualenv
outside the checkout, runs ``geohub --help``, imports boundaries and an indicator with its own CLI,
and serves a map page with its static assets and the fetch catalogue, all from the installed copy.

The new virtualenv borrows the dependencies of the interpreter running the tests (a .pth file naming
its site-packages: no download, no network) but not its geohub, which is an editable install of this
checkout; the wheel is installed with ``--no-deps``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO
from factories import THREE_LADS, lonlat_boxes

# What the build reads; copied out so that building leaves no build/ or egg-info in the checkout.
SOURCES = ("geohub", "static", "boundaries", "setup.py", "pyproject.toml", "README.md")

SERVE = r"""
import json, sys
import geohub
from geohub import create_app, settings
from geohub.geography.catalogue import load_catalogue
app = create_app({"TESTING": True})
client = app.test_client()
page = client.get("/maps/jobs?level=lad&vintage=2021")
leaflet = client.get("/static/vendor/leaflet/leaflet.js")
script = client.get("/static/geohub-map.js")
print(json.dumps({"geohub": geohub.__file__, "page": page.status_code, "html": page.get_data(as_text=True),
                  "leaflet": [leaflet.status_code, len(leaflet.data)],
                  "script": [script.status_code, len(script.data)],
                  "catalogue": [str(load_catalogue().path), len(load_catalogue())],
                  "instance": [str(settings.instance_dir()), app.instance_path]}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv (outside the checkout) with the wheel of this checkout installed."""
    root = tmp_path_factory.mktemp("installed")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    wheels = root / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)],
                   check=True, capture_output=True, text=True, timeout=600)
    [wheel] = wheels.glob("geohub-*.whl")

    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # Appended after the venv's own site-packages, so the installed geohub wins over the checkout's
    # editable one (whose finder is set up by a .pth file in ours, which this line does not run).
    (Path(site) / "borrowed-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, text=True, timeout=600)
    return venv


def run(venv: Path, *args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GEOHUB_DATABASE_URL": "", **(env or {})})


def test_the_installed_command_answers_help(installed, tmp_path):
    result = run(installed, installed / "bin" / "geohub", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: geohub")
    for command in ("import-boundaries", "import-indicator", "export", "serve", "fetch"):
        assert f"  {command}" in result.stdout, command


def test_the_installed_package_serves_a_map_page(installed, tmp_path):
    env = {"GEOHUB_STORE": str(tmp_path / "store.gpkg"), "GEOHUB_CACHE_DIR": str(tmp_path / "cache"),
           "GEOHUB_CATALOGUE": ""}
    geohub = installed / "bin" / "geohub"
    boundaries = lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)
    values = tmp_path / "jobs.csv"
    values.write_text("area_code,period,value\nE06000001,2020,10\nE06000002,2020,20\nE06000003,2020,30\n")
    for args in (("import-boundaries", boundaries),
                 ("import-indicator", values, "--id", "jobs", "--title", "Jobs", "--unit", "jobs")):
        result = run(installed, geohub, *args, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stdout + result.stderr

    result = run(installed, installed / "bin" / "python", "-c", SERVE, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    import json
    served = json.loads(result.stdout.splitlines()[-1])
    package = Path(served["geohub"]).parent
    assert package.is_relative_to(installed) and not package.is_relative_to(REPO)
    assert served["page"] == 200, served["html"][:2000]
    assert "Jobs" in served["html"] and "Redcar and Cleveland" in served["html"]
    assert "/static/vendor/leaflet/leaflet.js" in served["html"]
    assert served["leaflet"][0] == 200 and served["leaflet"][1] > 100_000
    assert served["script"][0] == 200 and served["script"][1] > 1000
    catalogue, entries = served["catalogue"]
    assert Path(catalogue) == package / "boundaries" / "catalogue.toml" and entries > 20
    # the CLI finds the instance folder (its default store) where the app does, without Flask
    ours, flasks = served["instance"]
    assert ours == flasks and Path(ours) == installed / "var" / "geohub.web-instance"
