"""Geometry bombs at import (issue 16, finding 9): a few kilobytes of TopoJSON whose ring walks one
arc back and forth keep GEOS's make_valid (and is_valid) busy for minutes while it takes
gigabytes. The repair runs in a child process that is killed at the time budget
(GEOHUB_IMPORT_SECONDS) and capped in memory (GEOHUB_IMPORT_REPAIR_MB); the refusal names the
feature and the limit, and the store stays byte-for-byte as it was. Limits are scaled down so
each case runs in seconds."""
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import refused
from factories import feature, topojson_arc_bomb, write_geojson

MB = 1024 * 1024


def repair_processes() -> list[int]:
    """Pids of this process's children running the repair process (none once an import ends)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"geohub.io.repair_process" in cmdline:
            found.append(int(entry.name))
    return found


def test_the_arc_bomb_file_is_small_and_passes_the_vertex_limit(tmp_path):
    """The bomb is not caught by the earlier checks: 6 KB that decode to 200,000 vertices, under
    the default 2,000,000 per feature."""
    path = topojson_arc_bomb(tmp_path / "bomb.topojson")
    assert path.stat().st_size < 12_000
    frame = gpd.read_file(path)
    counts = shapely.get_num_coordinates(frame.geometry.values)
    assert 150_000 < counts[0] < 2_000_000
    assert not shapely.is_valid(frame.geometry.values[0])


def test_an_arc_bomb_is_refused_within_the_memory_cap(geohub, loaded, store_path, tmp_path):
    """Run as the README runs it (a separate geohub process), so that its children's peak memory
    can be read: the repair process stays within its cap, and the refusal names the feature and
    GEOHUB_IMPORT_REPAIR_MB. (Today's import, uncapped, reaches gigabytes on this file.)"""
    cap = 200
    bomb = topojson_arc_bomb(tmp_path / "bomb.topojson")
    script = ("import resource, sys\n"
              "from geohub.cli import cli\n"
              "try:\n"
              "    cli.main(sys.argv[1:], prog_name='geohub')\n"
              "except SystemExit as exit:\n"
              "    print('exit', exit.code)\n"
              "print('peak_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
              "      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    env = {**os.environ, "GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts"), "GEOHUB_IMPORT_REPAIR_MB": str(cap),
           "GEOHUB_IMPORT_SECONDS": "600"}
    run = subprocess.run([sys.executable, "-c", script, "import-boundaries", str(bomb)], env=env,
                         capture_output=True, text=True, timeout=900)
    assert "exit 1" in run.stdout, (run.stdout, run.stderr)
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: lep: repairing feature 'E37000001'"), run.stderr
    assert f"more than the {cap} MB" in error and "GEOHUB_IMPORT_REPAIR_MB" in error, error
    assert "Traceback" not in run.stderr
    own_kb, child_kb = (int(v) for v in run.stdout.split("peak_kb")[1].split())
    # The cap is on the address space the child gains after starting (about 110 MB for Python,
    # numpy and shapely): its resident peak cannot pass both.
    assert child_kb * 1024 < (cap + 200) * MB, child_kb
    assert own_kb * 1024 < 1024 * MB, own_kb   # the importing process does not grow either
    assert store_path.read_bytes() == loaded


def test_an_arc_bomb_is_stopped_at_the_time_budget(geohub, loaded, store_path, tmp_path, monkeypatch):
    """A ring walking a 20-point arc 40,000 times: GEOS's validity check alone runs for about
    10 s and its repair for far longer, with little memory, so only the clock stops it: the
    repair process is killed when GEOHUB_IMPORT_SECONDS runs out."""
    monkeypatch.setenv("GEOHUB_IMPORT_SECONDS", "2")
    bomb = topojson_arc_bomb(tmp_path / "slow.topojson", points=20, references=40_000)
    result = geohub("import-boundaries", bomb)
    refused(result, store_path, loaded, "took more than 2 s", "stopped at feature 'E37000001'",
            "GEOHUB_IMPORT_SECONDS")
    assert repair_processes() == []


def test_a_budget_of_zero_refuses_a_file_that_needs_a_repair(geohub, loaded, store_path, tmp_path,
                                                             monkeypatch):
    """The budget covers starting the repair process too: none is left to do the repair."""
    monkeypatch.setenv("GEOHUB_IMPORT_SECONDS", "0")
    refused(geohub("import-boundaries", topojson_arc_bomb(tmp_path / "b.topojson", 10, 10)),
            store_path, loaded, "took more than 0 s", "E37000001")
    assert repair_processes() == []


def _twisted_circle(vertices: int) -> shapely.Polygon:
    """A circle (lon/lat, about 5 km across) with two neighbouring vertices swapped: a small
    self-intersection that make_valid repairs into a valid polygon."""
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = np.c_[-1.5 + 0.05 * np.cos(angles), 52.5 + 0.03 * np.sin(angles)]
    ring[[10, 11]] = ring[[11, 10]]
    return shapely.Polygon(ring)


def test_a_big_repair_in_the_repair_process_equals_the_repair_in_process(geohub, store, tmp_path):
    """A feature above the in-process size (10,000 vertices) is checked and repaired in the
    child; what is stored is exactly what ``repair`` makes of it here."""
    from geohub.io.geometry import repair
    twisted = _twisted_circle(12_000)
    path = write_geojson(tmp_path / "lep.geojson", [
        feature({"LEP21CD": "E37000001", "LEP21NM": "Twisted"}, twisted),
        feature({"LEP21CD": "E37000002", "LEP21NM": "Box"}, shapely.box(-2, 52, -1.9, 52.1))])
    result = geohub("import-boundaries", path)
    assert result.exit_code == 0, result.output
    assert "repaired 1 invalid geometry (E37000001: Self-intersection" in result.output
    projected = gpd.GeoSeries([twisted], crs=4326).to_crs(27700).values[0]
    expected = shapely.remove_repeated_points(repair(projected), tolerance=0)
    stored = store.areas("lep").set_index("code").geometry["E37000001"]
    assert shapely.is_valid(stored) and shapely.equals_exact(stored, expected, tolerance=0)


def test_the_repair_process_starts_only_when_needed_and_serves_the_whole_import():
    """Valid small geometries are checked here, and a tiny one (at most 64 vertices, as real
    files' invalid areas often are) repaired here: no child. Bigger repairs start one child,
    which serves the rest of the import and ends with it."""
    from geohub.geography.validation import GeometryChecks
    boxes = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], dtype=object)
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    twisted = _twisted_circle(100)
    with GeometryChecks() as checks:
        out, reasons = checks.repaired("valid", boxes, ["A", "B"])
        assert reasons == {} and checks.process.pid is None
        out, reasons = checks.repaired("tiny", np.array([boxes[0], bow], dtype=object), ["A", "B"])
        assert list(reasons) == [1] and "Self-intersection" in reasons[1]
        assert shapely.is_valid(out[1]) and out[0] is boxes[0] and checks.process.pid is None
        out, reasons = checks.repaired("one", np.array([twisted], dtype=object), ["C"])
        assert list(reasons) == [0] and shapely.is_valid(out[0])
        first = checks.process.pid
        assert first in repair_processes()
        checks.repaired("two", np.array([twisted], dtype=object), ["D"])
        assert checks.process.pid == first                           # one child per import
    assert repair_processes() == []


def test_an_unreadable_ring_is_refused_naming_the_feature(geohub, loaded, store_path, tmp_path):
    """GEOS cannot build a ring that is not closed: an Error line naming the feature, not a
    traceback or an anonymous GEOS message."""
    path = tmp_path / "open.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ['
                    '{"type": "Feature", "properties": {"LAD21CD": "E06000009", "LAD21NM": "Open"},'
                    ' "geometry": {"type": "Polygon", "coordinates": '
                    '[[[-2, 52], [-1.9, 52], [-1.9, 52.1], [-2, 52.1]]]}}]}')
    with pytest.warns(RuntimeWarning):   # GDAL's own note about the ring
        result = geohub("import-boundaries", path, "--vintage", 2022)
    refused(result, store_path, loaded, "feature 1 (LAD21CD 'E06000009')", "GEOS cannot read",
            "closed linestring")


def test_the_repair_process_ends_when_its_import_is_killed(tmp_path):
    """kill -9 of an import mid-repair does not leave the repair process running on."""
    script = ("import numpy as np, sys, time\n"
              "sys.path.insert(0, sys.argv[1])\n"
              "from factories import topojson_arc_bomb\n"
              "import geopandas as gpd\n"
              "from geohub.io.repair_process import RepairProcess\n"
              "geom = gpd.read_file(topojson_arc_bomb(__import__('pathlib').Path(sys.argv[2]))).geometry.values[0]\n"
              "process = RepairProcess(500)\n"
              "process.fix([geom.envelope], time.monotonic() + 60)   # starts the child\n"
              "print(process.pid, flush=True)\n"
              "process.fix([geom], time.monotonic() + 600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(Path(__file__).parent),
                               str(tmp_path / "bomb.topojson")], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, 9)
    parent.wait()
    for _ in range(100):                  # the child notices within a second; allow 20
        if not Path(f"/proc/{child}").exists() or "Z" == _state(child):
            break
        subprocess.run(["sleep", "0.2"])
    assert not Path(f"/proc/{child}").exists() or _state(child) == "Z"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
