"""The CLI starts quickly: commands that draw no map never import the map stack, a CSV export of a
quantile map imports neither the drawing stack nor mapclassify, and mapclassify's numba kernel is loaded from numba's on-disk cache.
(Times are measured as ratios by bench/cli_bench.py, not asserted here.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


MAP_STACK = ("mapclassify", "folium", "matplotlib", "flask", "geohub.web", "geohub.maps.static_render")
PROBE = """
import json, sys
from geohub.cli import main
try:
    main()
except SystemExit as end:
    code = end.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported_by(store_path, tmp_path, *args) -> set[str]:
    env = {**os.environ, "GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout + done.stderr
    return set(report["modules"])


@pytest.mark.parametrize("args", [("--help",), ("info",), ("areas", "lad"), ("indicators",)])
def test_store_commands_do_not_import_the_map_stack(small_store, tmp_path, args):
    modules = imported_by(small_store, tmp_path, *args)
    assert "geohub.cli" in modules  # the probe ran the CLI
    assert [m for m in MAP_STACK if m in modules] == []


def test_a_csv_export_does_not_import_the_drawing_stack(small_store, tmp_path):
    modules = imported_by(small_store, tmp_path, "export", "jobs", "--format", "csv", "--output", tmp_path)
    assert (tmp_path / "jobs_lad_2021_2020.csv").is_file()
    assert [m for m in ("folium", "flask", "geohub.maps.static_render", "geohub.maps.choropleth",
                        "mapclassify", "matplotlib") if m in modules] == []  # quantiles: no mapclassify


def test_mapclassify_kernel_comes_from_numbas_disk_cache():
    """mapclassify compiles its kernel at import with no cache; through load_mapclassify the second
    process loads it from numba's disk cache (bench/cli_bench.py times both ways)."""
    probe = ("import sys\nfrom geohub.maps.classify import load_mapclassify\nload_mapclassify()\n"
             "d = sys.modules['mapclassify'].classifiers._fisher_jenks_means\n"
             "print(type(d._cache).__name__, sum(d.stats.cache_hits.values()))")
    for _ in range(2):  # .ci/setup wrote the cache; without it, the first run writes it
        run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
        if run.stdout.split() == ["FunctionCache", "1"]:
            break
    assert run.stdout.split() == ["FunctionCache", "1"], run.stdout + run.stderr
