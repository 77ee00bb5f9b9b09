"""Benchmark: how long ``geohub`` commands take, as ratios over ``python -c "import geopandas"``.

Every command runs as a fresh process (what a person at a shell pays), against one store built
first from the shared data: the LADs of December 2021 (BUC) and the Nomis UBC business counts
(``--id ubc``). Each command is run once untimed (warm: disk cache, numba's on-disk caches,
geohub's artifact cache), then ``--repeat`` times, round-robin with the reference so that a busy
machine slows both alike; the median is reported. Targets (issue 15): ``--help``, ``info``,
``areas`` ≤ 1.3x; ``export --format csv`` of the LAD map ≤ 2x; PNG A4 at 150 dpi ≤ 3x.

Also reported (not a target): the import of mapclassify with its numba kernel compiled afresh,
as mapclassify itself imports it, against geohub's ``load_mapclassify`` (kernel cached on disk).

    .venv/bin/python bench/cli_bench.py [--repeat 5] [--output PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine_info, shared_data  # noqa: E402

PYTHON = sys.executable
GEOHUB = str(Path(PYTHON).with_name("geohub"))
REFERENCE = ("import geopandas", [PYTHON, "-c", "import geopandas"])
# (name, argv after "geohub", target ratio or None)
COMMANDS = [
    ("--help", ["--help"], 1.3),
    ("info", ["info"], 1.3),
    ("areas lad", ["areas", "lad"], 1.3),
    ("indicators", ["indicators"], 1.3),
    ("export csv (LAD)", ["export", "ubc", "--level", "lad", "--format", "csv", "--output", "{out}"], 2.0),
    ("export png A4 150 dpi", ["export", "ubc", "--level", "lad", "--format", "png", "--size",
                               "a4-portrait", "--dpi", "150", "--output", "{out}"], 3.0),
]
MAPCLASSIFY_AFRESH = "import mapclassify"
MAPCLASSIFY_CACHED = "from geohub.maps.classify import load_mapclassify; load_mapclassify()"


def run(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def build_store(env: dict) -> None:
    data = shared_data()
    steps = [["import-boundaries", data / "boundaries/lad/LAD_Dec2021_UK_BUC.geojson"],
             ["import-indicator", data / "indicators/nomis_ubc_enterprises_sizeband_2018-2022_LAD21.csv",
              "--where", "variable=Total", "--id", "ubc"]]
    for step in steps:
        run([GEOHUB, *map(str, step)], env)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command (median)")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "cli.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geohub-cli-bench-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "GEOHUB_STORE": str(tmp / "store.gpkg"), "GEOHUB_DATABASE_URL": "",
               "GEOHUB_CACHE_DIR": str(tmp / "cache")}
        build_store(env)
        jobs = {REFERENCE[0]: REFERENCE[1]}
        for name, cmd, _ in COMMANDS:
            jobs[name] = [GEOHUB, *(a.format(out=tmp) for a in cmd)]
        jobs["mapclassify afresh"] = [PYTHON, "-c", MAPCLASSIFY_AFRESH]
        jobs["mapclassify cached"] = [PYTHON, "-c", MAPCLASSIFY_CACHED]
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for argv in jobs.values():
            run(argv, env)  # warm-up, untimed
        for _ in range(args.repeat):
            for name, argv in jobs.items():
                # mapclassify afresh: numba compiles again because this import has no cache flag
                times[name].append(run(argv, env))
    median = {name: statistics.median(ts) for name, ts in times.items()}
    ref = median[REFERENCE[0]]
    rows = []
    for name, _, target in COMMANDS:
        ratio = median[name] / ref
        rows.append({"command": f"geohub {name}", "seconds": round(median[name], 3),
                     "ratio": round(ratio, 2), "target": target, "met": ratio <= target})
    extra = {name: round(median[name], 3) for name in ("mapclassify afresh", "mapclassify cached")}
    result = {"reference": {"command": 'python -c "import geopandas"', "seconds": round(ref, 3)},
              "commands": rows, "mapclassify_import_seconds": extra, "repeat": args.repeat,
              "times": times, "machine": machine_info(("geopandas", "mapclassify", "numba", "click"))}
    print(f"reference  python -c \"import geopandas\": {ref:.2f} s (median of {args.repeat})")
    print(f"{'command':<40} {'s':>6} {'ratio':>6} {'target':>7}")
    for row in rows:
        print(f"{row['command']:<40} {row['seconds']:>6.2f} {row['ratio']:>5.2f}x {row['target']:>6.1f}x"
              f"  {'ok' if row['met'] else 'MISSED'}")
    print(f"mapclassify import: {extra['mapclassify afresh']:.2f} s as mapclassify does it, "
          f"{extra['mapclassify cached']:.2f} s through load_mapclassify (kernel cached)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
