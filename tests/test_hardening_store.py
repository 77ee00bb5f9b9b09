"""Store files safe to copy (issue 16, findings 10 and 11): ``geohub backup`` makes a consistent
copy even of a store whose import was killed mid-transaction, after which read-only tools open
it; a mistyped GEOHUB_STORE is refused by read-only commands instead of created empty."""
import os
import shutil
import signal
import subprocess
import sys

from conftest import snapshot
from factories import THREE_LADS, lonlat_boxes

CRASHING_IMPORT = """
import sys, time
import geopandas as gpd, shapely
from geohub.store import open_store
store = open_store(sys.argv[1])
store.conn.execute("PRAGMA cache_size = 5")          # spill uncommitted pages into the file
n = 3000
frame = gpd.GeoDataFrame({"code": [f"E0700{i:04d}" for i in range(n)], "name": ["x" * 200] * n,
                          "start_year": [None] * n, "end_year": [None] * n},
                         geometry=[shapely.box(i, 0, i + 1, 1) for i in range(n)], crs=27700)
frame["start_year"] = frame["start_year"].astype("Int64"); frame["end_year"] = frame["end_year"].astype("Int64")
with store.transaction() as tx:
    tx.replace_areas("lad", 2030, frame, tx.record_import("boundaries", "crash", None, None, {}))
    print("written", flush=True)
    time.sleep(120)
"""


def test_backup_after_a_killed_import_is_consistent_and_opens_read_only(geohub, store_path, tmp_path):
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", THREE_LADS)).exit_code == 0
    from geohub.store import open_store
    with open_store(store_path) as store:
        committed = snapshot(store)
    process = subprocess.Popen([sys.executable, "-c", CRASHING_IMPORT, str(store_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "written", process.stderr.read()
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    journal = store_path.with_name(store_path.name + "-journal")
    assert journal.exists() and journal.stat().st_size > 0      # a hot journal: the store is both files
    copy = tmp_path / "backup" / "copy.gpkg"
    result = geohub("backup", copy)
    assert result.exit_code == 0 and "Backed up" in result.output
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian's gdal-bin) is needed: .ci/setup installs it"
    for path in (copy, store_path):
        listing = subprocess.run([ogrinfo, "-ro", "-so", str(path), "areas"], capture_output=True,
                                 text=True, timeout=60)
        assert listing.returncode == 0 and "Feature Count: 3" in listing.stdout, listing.stderr
    with open_store(copy) as store:
        assert snapshot(store) == committed
    assert geohub("backup", copy).exit_code == 1        # never overwritten silently


def test_a_mistyped_store_is_refused_by_read_only_commands(tmp_path):
    from click.testing import CliRunner

    from geohub.cli import cli
    missing = tmp_path / "typo.gpkg"
    env = {"GEOHUB_STORE": str(missing), "GEOHUB_DATABASE_URL": "", "GEOHUB_SOURCE": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "c")}
    for args in (["info"], ["serve", "--port", "1"], ["areas", "lad"], ["export", "pop", "--format", "csv"]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 1 and "There is no store" in result.output, (args, result.output)
        assert "GEOHUB_STORE" in result.output
    assert not missing.exists()


def test_both_stores_have_an_identity_that_changes_with_every_write(any_store, tmp_path):
    from geohub.geography.boundaries import import_boundaries
    first = any_store.identity()
    assert first.split("|")[0] and not first.startswith("path:")      # a UUID written at creation
    import_boundaries(any_store, lonlat_boxes(tmp_path / "l.geojson", THREE_LADS))
    second = any_store.identity()
    assert second != first and second.split("|")[0] == first.split("|")[0]
