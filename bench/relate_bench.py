"""Benchmark: geohub ``relate`` against ``geopandas.overlay`` and tobler's area interpolation.

Every method gets the same inputs (EPSG:27700, invalid geometries repaired before any timing) and
must produce the same share table (fraction of each source inside each target):

* ``relate_cold``  geohub relate on fresh frames: no polygon index, no prepared geometry exists yet
* ``relate_warm``  geohub relate again on frames it has seen: the per-array index is reused
* ``overlay``      geopandas.overlay(how="intersection", keep_geom_type=True) + groupby to shares
* ``tobler_area_interpolate``  tobler.area_weighted.area_interpolate, one extensive variable of ones
* ``tobler_area_table``        tobler's internal _area_tables_binning (the table area_interpolate builds)

Times are the best of N runs with time.perf_counter, all in this process. Peak memory is measured
per method in a child process (this script run with ``--child``): the kernel's peak-RSS mark
(VmHWM) is reset after the inputs are loaded and read after the method ran, so it counts GEOS's C
allocations too (tracemalloc would miss them). See bench/README.md for how to read the output.

    .venv/bin/python bench/relate_bench.py [--quick] [--output PATH]
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py
import common  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # benchmark the working tree's geohub

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

from geohub.overlaps import relate  # noqa: E402

try:  # benchmark-only dependency (pyproject's `bench` extra); the comparisons work without it
    from tobler.area_weighted import area_interpolate
    from tobler.area_weighted.area_interpolate import _area_tables_binning
except ImportError:  # pragma: no cover
    area_interpolate = _area_tables_binning = None

BNG = 27700
TOLERANCE = 1e-9
TARGET_RATIO = 3.0
DEFAULT_OUTPUT = REPO / "bench" / "results" / "relate.json"

BOUNDARY_FILES = {  # name -> (path under the shared data folder, code column)
    "lad": ("boundaries/lad/LAD_Dec2021_UK_BUC.geojson", "LAD21CD"),
    "cauth": ("boundaries/cauth/CAUTH_Dec2021_EN_BGC.geojson", "CAUTH21CD"),
    "lep": ("boundaries/lep/LEP_May2021_EN_BUC.geojson", "LEP21CD"),
}
# case -> (source, target): a boundary name, or a number of grid cells for a synthetic grid
CASES = {
    "LADxCAUTH": ("lad", "cauth"),
    "LADxLEP": ("lad", "lep"),
    "grid1k": (1_000, "lad"),
    "grid10k": (10_000, "lad"),
    "grid100k": (100_000, "lad"),
}
# Optional (--dense): the same files with a vertex every 100 m along every edge
# (shapely.segmentize): 19 times the LAD file's vertices, towards the detail of the
# full-resolution (BFC) files; most new vertices are collinear with their neighbours, which
# stresses the exact predicates too.
DENSE_CASES = {"LADxLEP_100m": ("LADxLEP", 100.0)}
QUICK_SKIPS = {"grid100k"}
REPS = {"grid100k": 3}  # best of N; every other case uses DEFAULT_REPS
DEFAULT_REPS = 3
METHODS = ("relate_cold", "relate_warm", "overlay", "tobler_area_interpolate", "tobler_area_table")


# ---------------------------------------------------------------------------------------- inputs

@dataclass
class Case:
    name: str
    source: gpd.GeoDataFrame   # columns: <source_code>, one, geometry
    target: gpd.GeoDataFrame   # columns: <target_code>, geometry
    source_code: str
    target_code: str


@lru_cache(maxsize=None)
def read_boundaries(name: str, data_dir: str) -> gpd.GeoDataFrame:
    """A boundary file in EPSG:27700 with invalid geometries repaired (shapely.make_valid)."""
    path, code = BOUNDARY_FILES[name]
    frame = gpd.read_file(Path(data_dir) / path)[[code, "geometry"]].to_crs(BNG)
    geoms = frame.geometry.values
    invalid = ~shapely.is_valid(np.asarray(geoms))
    if invalid.any():
        repaired = np.asarray(geoms).copy()
        repaired[invalid] = shapely.make_valid(repaired[invalid])
        frame = frame.set_geometry(gpd.GeoSeries(repaired, index=frame.index, crs=BNG))
    return frame


def square_grid(n_cells: int, bounds) -> gpd.GeoDataFrame:
    """About ``n_cells`` equal squares covering ``bounds`` (rows x columns >= n_cells)."""
    x0, y0, x1, y1 = bounds
    side = math.sqrt((x1 - x0) * (y1 - y0) / n_cells)
    nx, ny = math.ceil((x1 - x0) / side), math.ceil((y1 - y0) / side)
    xs, ys = np.meshgrid(x0 + side * np.arange(nx), y0 + side * np.arange(ny))
    xs, ys = xs.ravel(), ys.ravel()
    return gpd.GeoDataFrame({"code": [f"G{i:06d}" for i in range(len(xs))]},
                            geometry=shapely.box(xs, ys, xs + side, ys + side), crs=BNG)


def load_case(name: str, data_dir: Path | str | None = None) -> Case:
    data_dir = str(data_dir or common.shared_data())
    if name in DENSE_CASES:
        base, step = DENSE_CASES[name]
        case = load_case(base, data_dir)
        dense = [frame.set_geometry(shapely.segmentize(frame.geometry.values, step))
                 for frame in (case.source, case.target)]
        return Case(name, *dense, case.source_code, case.target_code)
    source, target = CASES[name]
    tgt = read_boundaries(target, data_dir)
    if isinstance(source, int):
        lads = read_boundaries("lad", data_dir)
        england = lads[lads[BOUNDARY_FILES["lad"][1]].str.startswith("E")]
        src, s_code = square_grid(source, england.total_bounds), "code"
    else:
        src, s_code = read_boundaries(source, data_dir), BOUNDARY_FILES[source][1]
    src = src.copy()
    src.insert(1, "one", 1.0)  # the extensive variable tobler interpolates
    t_code = BOUNDARY_FILES[target][1]
    return Case(name, src, tgt.copy(), s_code, t_code)


def fresh(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy sharing nothing with ``frame``: new GeometryArray (so no cached polygon index or
    spatial index) and new shapely objects (so no geometry left prepared by an earlier run).
    The WKB round trip is exact (float64 coordinates)."""
    out = frame.copy()
    geoms = shapely.from_wkb(shapely.to_wkb(np.asarray(frame.geometry.values)))
    return out.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


# --------------------------------------------------------------------------------------- methods

def run_relate(case: Case, source, target):
    return relate(source, target, case.source_code, case.target_code)


def run_overlay(case: Case, source, target) -> pd.DataFrame:
    """geopandas.overlay, then the groupby that turns its pieces into relate's share table."""
    pieces = gpd.overlay(source, target, how="intersection", keep_geom_type=True)
    pieces["intersection_area"] = pieces.area
    pieces = pieces[pieces["intersection_area"] > 0]
    table = (pieces.groupby([case.source_code, case.target_code], sort=True)["intersection_area"]
             .sum().reset_index()
             .rename(columns={case.source_code: "source_code", case.target_code: "target_code"}))
    source_area = pd.Series(source.area.to_numpy(), index=source[case.source_code].to_numpy())
    table["source_area"] = source_area.loc[table["source_code"]].to_numpy()
    table["share"] = table["intersection_area"] / table["source_area"]
    return table


def run_tobler_interpolate(case: Case, source, target):
    return area_interpolate(source, target, extensive_variables=["one"])


def run_tobler_table(case: Case, source, target):
    return _area_tables_binning(source, target, "auto")


def available(method: str) -> bool:
    return not method.startswith("tobler") or area_interpolate is not None


RUNNERS = {"relate_cold": run_relate, "relate_warm": run_relate, "overlay": run_overlay,
           "tobler_area_interpolate": run_tobler_interpolate, "tobler_area_table": run_tobler_table}


# ------------------------------------------------------------------------------------ comparison

def _shares(source_code, target_code, share) -> pd.Series:
    return pd.Series(np.asarray(share, dtype=float),
                     index=pd.MultiIndex.from_arrays([np.asarray(source_code, dtype=str),
                                                      np.asarray(target_code, dtype=str)]))


def share_diff(reference: pd.Series, other: pd.Series) -> dict:
    """Max |share difference| over the union of pairs; a pair missing on one side counts as 0."""
    both = pd.concat([reference.rename("a"), other.rename("b")], axis=1)
    only_ref, only_other = both["b"].isna(), both["a"].isna()
    both = both.fillna(0.0)
    diff = (both["a"] - both["b"]).abs()
    max_diff = float(diff.max()) if len(diff) else 0.0
    return {"max_abs_share_diff": max_diff, "equal_1e9": bool(max_diff <= TOLERANCE),
            "pairs_only_in_relate": int(only_ref.sum()), "pairs_only_in_other": int(only_other.sum()),
            "max_share_of_unmatched_pairs": float(max(both["a"][only_ref].max() if only_ref.any() else 0,
                                                      both["b"][only_other].max() if only_other.any() else 0))}


def tobler_table_shares(case: Case, source, target, table) -> tuple[pd.Series, pd.Series]:
    """tobler's sparse area table (float32, as tobler builds it) as shares and as areas."""
    coo = table.tocoo()
    s_codes = source[case.source_code].astype(str).to_numpy()[coo.row]
    t_codes = target[case.target_code].astype(str).to_numpy()[coo.col]
    areas = coo.data.astype(float)
    source_area = source.area.to_numpy()[coo.row]
    return _shares(s_codes, t_codes, areas / source_area), _shares(s_codes, t_codes, areas)


def compare(case: Case, results: dict, source=None, target=None) -> dict:
    """Equality of relate's table (``results['relate_cold']``) with every other method's result."""
    source = case.source if source is None else source
    target = case.target if target is None else target
    rel = results["relate_cold"]
    ref = _shares(rel["source_code"], rel["target_code"], rel["share"])
    out = {}
    if "relate_warm" in results:
        warm = results["relate_warm"]
        out["relate_warm"] = share_diff(ref, _shares(warm["source_code"], warm["target_code"],
                                                     warm["share"]))
    if "overlay" in results:
        ov = results["overlay"]
        out["overlay"] = share_diff(ref, _shares(ov["source_code"], ov["target_code"], ov["share"]))
        areas = pd.concat([_shares(rel["source_code"], rel["target_code"], rel["intersection_area"])
                           .rename("a"),
                           _shares(ov["source_code"], ov["target_code"], ov["intersection_area"])
                           .rename("b")], axis=1).dropna()
        out["overlay"]["max_abs_area_diff_m2"] = float((areas["a"] - areas["b"]).abs().max()) \
            if len(areas) else 0.0
    if "tobler_area_table" in results:
        t_shares, t_areas = tobler_table_shares(case, source, target, results["tobler_area_table"])
        d = share_diff(ref, t_shares)
        # tobler stores its areas as float32 (about 7 significant digits), so its shares cannot
        # equal anyone's to 1e-9. Check instead that they are relate's areas rounded to float32:
        # per pair within 1 float32 ulp, or within 1e-9 of the source's area (tiny slivers whose
        # float64 areas differ in the last bits may round to float32 neighbours many ulps apart).
        rel_areas = _shares(rel["source_code"], rel["target_code"], rel["intersection_area"])
        src_area = _shares(rel["source_code"], rel["target_code"], rel["source_area"])
        both = pd.concat([rel_areas.rename("a"), t_areas.rename("b"), src_area.rename("s")],
                         axis=1).dropna()
        rounded = both["a"].to_numpy().astype(np.float32)
        gap = np.abs(both["b"].to_numpy() - rounded.astype(float))
        ulps = gap / np.spacing(rounded).astype(float)
        beyond = (ulps > 1.0) & (gap / both["s"].to_numpy() > TOLERANCE)
        d["table_dtype"] = str(results["tobler_area_table"].dtype)
        d["max_float32_ulps_from_relate_area"] = float(ulps.max()) if len(ulps) else 0.0
        d["max_share_diff_vs_relate_rounded_to_float32"] = \
            float((gap / both["s"].to_numpy()).max()) if len(gap) else 0.0
        d["pairs_beyond_float32_rounding"] = int(beyond.sum())
        d["equal_to_float32_rounding"] = bool(not beyond.any()
                                              and d["max_share_of_unmatched_pairs"] <= TOLERANCE)
        out["tobler_area_table"] = d
    if "tobler_area_interpolate" in results:
        # allocate_total=True: every source's total goes to its targets in proportion to area
        est = results["tobler_area_interpolate"]["one"].to_numpy(dtype=float)
        t_codes = target[case.target_code].astype(str).to_numpy()
        weight = rel["share"] / rel.groupby("source_code")["share"].transform("sum")
        expected = weight.groupby(rel["target_code"].astype(str)).sum().reindex(t_codes, fill_value=0)
        diff = np.abs(est - expected.to_numpy())
        out["tobler_area_interpolate"] = {
            "compared": "per-target estimate of the ones variable vs the same sum from relate's shares",
            "max_abs_diff": float(diff.max()) if len(diff) else 0.0,
            "max_rel_diff": float((diff / np.maximum(np.abs(expected.to_numpy()), 1e-300)).max())
            if len(diff) else 0.0,
        }
    return out


# ------------------------------------------------------------------------------------------ timing

def warm_up(case: Case) -> None:
    """Run every method once on two tiny frames shaped like the case's: lazy imports and
    first-call set-up happen here, not inside a timed or memory-measured run."""
    source = gpd.GeoDataFrame({case.source_code: ["s0", "s1"], "one": [1.0, 1.0]},
                              geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
                              crs=BNG)
    target = gpd.GeoDataFrame({case.target_code: ["t0", "t1"]},
                              geometry=[shapely.Polygon([(5, -5), (15, 3), (5, 15)]),
                                        shapely.box(0, 0, 5, 10)], crs=BNG)
    tiny = Case("warm-up", source, target, case.source_code, case.target_code)
    for method in METHODS:
        if available(method):
            RUNNERS[method](tiny, fresh(source), fresh(target))


def time_case(case: Case, reps: int) -> tuple[dict, dict]:
    """Best-of-``reps`` seconds per method (and every run), plus each method's last result.
    Repetitions go round-robin over the methods so that drift in machine speed hits all alike."""
    warm_up(case)
    warm_source, warm_target = fresh(case.source), fresh(case.target)
    run_relate(case, warm_source, warm_target)  # untimed: builds the index the warm runs reuse
    runs = {m: [] for m in METHODS}
    results = {}
    for _ in range(reps):
        for method in METHODS:
            if method == "relate_warm":
                source, target = warm_source, warm_target
            else:
                source, target = fresh(case.source), fresh(case.target)
            gc.collect()
            start = time.perf_counter()
            result = RUNNERS[method](case, source, target)
            runs[method].append(time.perf_counter() - start)
            results[method] = result
            del source, target, result
    return runs, results


# ------------------------------------------------------------------------------------------ memory

def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0: clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def measure_peak(fn) -> dict:
    """Peak resident memory that ``fn()`` adds to this process, in MB."""
    import resource
    gc.collect()
    exact = _reset_peak() and _proc_status_kb("VmHWM") is not None
    if exact:
        baseline_kb = _proc_status_kb("VmRSS")
        fn()
        peak_kb = _proc_status_kb("VmHWM")
        how = "VmHWM after clear_refs minus VmRSS before"
    else:  # a lower bound: loading the inputs may already have set a higher mark
        baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        fn()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        how = "ru_maxrss after minus ru_maxrss before (lower bound)"
    return {"peak_mb": round(max(peak_kb - baseline_kb, 0) / 1024, 1),
            "baseline_mb": round(baseline_kb / 1024, 1), "how": how}


def child(case_name: str, method: str, data_dir: str) -> dict:
    """Run in a child process: load the inputs, then measure one method's peak memory."""
    case = load_case(case_name, data_dir)
    warm_up(case)
    source, target = fresh(case.source), fresh(case.target)
    if method == "relate_warm":
        run_relate(case, source, target)  # the index the measured call reuses stays resident
    return measure_peak(lambda: RUNNERS[method](case, source, target))


def memory_in_children(case_name: str, data_dir: str) -> dict:
    out = {}
    for method in METHODS:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", case_name,
                               method, "--data", data_dir], capture_output=True, text=True)
        if proc.returncode != 0:
            out[method] = {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
            continue
        out[method] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# ------------------------------------------------------------------------------------------ report

def machine_info() -> dict:
    info = common.machine_info(("numpy", "pandas", "shapely", "geopandas", "pyproj", "scipy",
                                "tobler"), ("geohub/overlaps",))
    info["geos"] = shapely.geos_version_string
    info["geohub_overlaps_modified"] = info["modified"]["geohub/overlaps"]
    return info


def summarize(case: Case, runs: dict, results: dict, memory: dict | None) -> dict:
    best = {m: min(t) for m, t in runs.items()}
    baseline = min(("overlay", "tobler_area_interpolate"), key=best.__getitem__)
    equality = compare(case, results)
    return {
        "sizes": {"sources": len(case.source), "targets": len(case.target),
                  "pairs": len(results["relate_cold"])},
        "repetitions": len(runs["relate_cold"]),
        "seconds": {m: round(best[m], 6) for m in METHODS},
        "runs_seconds": {m: [round(t, 6) for t in runs[m]] for m in METHODS},
        "ratios": {
            "faster_of_overlay_and_tobler": baseline,
            "cold": round(best[baseline] / best["relate_cold"], 3),
            "warm": round(best[baseline] / best["relate_warm"], 3),
            "cold_vs_tobler_area_table": round(best["tobler_area_table"] / best["relate_cold"], 3),
            "warm_vs_tobler_area_table": round(best["tobler_area_table"] / best["relate_warm"], 3),
        },
        "target_3x": {"cold": best[baseline] / best["relate_cold"] >= TARGET_RATIO,
                      "warm": best[baseline] / best["relate_warm"] >= TARGET_RATIO},
        "peak_memory_mb": ({m: memory[m].get("peak_mb") for m in METHODS} if memory else None),
        "memory_detail": memory,
        "equality": equality,
    }


def print_table(report: dict) -> None:
    cases = report["cases"]
    head = (f"{'case':<10} {'src':>7} {'tgt':>4} {'pairs':>6} | {'cold':>7} {'warm':>7} "
            f"{'overlay':>7} {'tob.ai':>7} {'tob.tab':>7} | {'x cold':>6} {'x warm':>6} | "
            f"{'d overlay':>9} {'d tobler':>9}")
    print("seconds (best of N); x = faster of overlay/tobler_area_interpolate over relate;"
          " d = max |share diff|")
    print(head)
    print("-" * len(head))
    for name, c in cases.items():
        s, r, e = c["seconds"], c["ratios"], c["equality"]
        print(f"{name:<10} {c['sizes']['sources']:>7} {c['sizes']['targets']:>4} "
              f"{c['sizes']['pairs']:>6} | {s['relate_cold']:>7.3f} {s['relate_warm']:>7.3f} "
              f"{s['overlay']:>7.3f} {s['tobler_area_interpolate']:>7.3f} "
              f"{s['tobler_area_table']:>7.3f} | {r['cold']:>6.2f} {r['warm']:>6.2f} | "
              f"{e['overlay']['max_abs_share_diff']:>9.1e} "
              f"{e['tobler_area_table']['max_abs_share_diff']:>9.1e}")
    if all(c["peak_memory_mb"] for c in cases.values()):
        print("\npeak memory above the loaded inputs, MB (child process per method)")
        print(f"{'case':<10} " + " ".join(f"{m:>24}" for m in METHODS))
        for name, c in cases.items():
            print(f"{name:<10} " + " ".join(f"{c['peak_memory_mb'][m]!s:>24}" for m in METHODS))
    s = report["summary"]
    print(f"\n3x target met cold in every case: {s['target_3x_cold_all_cases']}; "
          f"warm: {s['target_3x_warm_all_cases']}")
    print(f"relate == overlay to 1e-9 in every case: {s['equal_1e9_overlay_all_cases']}; "
          f"relate == tobler table to 1e-9: {s['equal_1e9_tobler_table_all_cases']} "
          f"(to float32 rounding: {s['tobler_table_equal_to_float32_rounding_all_cases']})")
    print(f"total {s['benchmark_seconds']:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100k-cell grid")
    parser.add_argument("--dense", action="store_true",
                        help="add LAD x LEP with a vertex every 100 m (BFC-like detail)")
    parser.add_argument("--cases", help="comma-separated case names to run (default: all)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON report path")
    parser.add_argument("--no-memory", action="store_true", help="skip the child-process memory runs")
    parser.add_argument("--data", default=str(common.shared_data()), help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, args.data)))
        return 0
    if not Path(args.data).is_dir():
        parser.error(f"no shared data folder at {args.data}: set GEOHUB_SHARED_DATA")
    if area_interpolate is None:
        parser.error("tobler is not installed: pip install -e '.[bench]'")

    started = time.perf_counter()
    report = {"benchmark": "geohub relate vs geopandas.overlay vs tobler area_interpolate",
              "command": " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else None,
              "tolerance": TOLERANCE, "target_ratio": TARGET_RATIO,
              "machine": machine_info(), "cases": {}}
    names = [*CASES, *(DENSE_CASES if args.dense else ())]
    if args.cases:
        unknown = set(args.cases.split(",")) - {*CASES, *DENSE_CASES}
        if unknown:
            parser.error(f"unknown case(s) {', '.join(sorted(unknown))}: "
                         f"choose from {', '.join([*CASES, *DENSE_CASES])}")
        names = args.cases.split(",")
    for name in names:
        if args.quick and name in QUICK_SKIPS:
            continue
        case = load_case(name, args.data)
        reps = REPS.get(name, DEFAULT_REPS)
        print(f"{name}: {len(case.source)} x {len(case.target)}, best of {reps} ...", flush=True)
        runs, results = time_case(case, reps)
        memory = None if args.no_memory else memory_in_children(name, args.data)
        report["cases"][name] = summarize(case, runs, results, memory)
        del results
    cases = report["cases"].values()
    report["summary"] = {
        "cases": list(report["cases"]),
        "target_3x_cold_all_cases": all(c["target_3x"]["cold"] for c in cases),
        "target_3x_warm_all_cases": all(c["target_3x"]["warm"] for c in cases),
        "ratio_cold": {n: c["ratios"]["cold"] for n, c in report["cases"].items()},
        "ratio_warm": {n: c["ratios"]["warm"] for n, c in report["cases"].items()},
        "equal_1e9_overlay_all_cases": all(c["equality"]["overlay"]["equal_1e9"] for c in cases),
        "equal_1e9_tobler_table_all_cases":
            all(c["equality"]["tobler_area_table"]["equal_1e9"] for c in cases),
        "tobler_table_equal_to_float32_rounding_all_cases":
            all(c["equality"]["tobler_area_table"]["equal_to_float32_rounding"] for c in cases),
        "benchmark_seconds": round(time.perf_counter() - started, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print_table(report)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
