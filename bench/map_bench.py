"""Benchmark: geohub's all-UK LAD choropleth page against ``GeoDataFrame.explore()``, size and speed.

One indicator (ONS mid-2020 population) on the 374 LADs of December 2021, two ways:

* geohub   ``GET /maps/pop?level=lad&vintage=2021`` through the Flask test client of ``create_app``.
           The page embeds only values and classes; the browser then fetches the level's TopoJSON
           (a content-addressed ``/artifacts/<sha256>.json``) once. Map bytes = the page plus every data request
           it makes, each gzipped; the scripts and stylesheets under ``/static`` are library bytes,
           reported apart (browsers cache them across maps).
* explore  ``indicator_table(store, "pop", "lad", 2021, "2020").explore(column="value")`` and
           ``m.get_root().render()``: one self-contained page with the GeoJSON inside; its library
           is CDN links (listed, not fetched).

Ratios come from this one run: map bytes / explore page bytes (target <= 0.25) and warm page serve
time / explore build time (target <= 0.05). Times are time.perf_counter, all in this process. See
bench/README.md for the method and the JSON.

    .venv/bin/python bench/map_bench.py [--output PATH]
"""
from __future__ import annotations

import argparse
import gc
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/common.py
import common  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # benchmark the working tree's geohub

from geohub import create_app  # noqa: E402
from geohub.web import warm_up  # noqa: E402
from geohub.indicators.drafts import ImportOptions  # noqa: E402
from geohub.indicators.importer import import_indicator  # noqa: E402
from geohub.indicators.query import indicator_table  # noqa: E402
from geohub.store import open_store  # noqa: E402

INDICATOR_FILE = "indicators/ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv"
INDICATOR = {"id": "pop", "title": "Population mid-2020", "unit": "people"}
LEVEL, VINTAGE, PERIOD = "lad", 2021, "2020"
URL = f"/maps/{INDICATOR['id']}?level={LEVEL}&vintage={VINTAGE}"
EXPECTED_AREAS = 374

WARM_REQUESTS = 20   # warm page requests (best and median)
EXPLORE_RUNS = 5     # timed explore() + render runs, after one untimed-for-the-ratio first call
TOPOLOGY_REQUESTS = 5
GZIP_LEVEL = 6
TARGET_BYTES_RATIO = 0.25
TARGET_TIME_RATIO = 0.05
DEFAULT_OUTPUT = REPO / "bench" / "results" / "map.json"


def gzip_size(data: bytes | str) -> int:
    """Bytes on the wire for ``data`` served with gzip level 6 (mtime fixed: no run-to-run noise)."""
    raw = data.encode() if isinstance(data, str) else data
    return len(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0))


# ------------------------------------------------------------------------------------------ store

def build_store(path: Path, data_dir: Path) -> dict:
    """The benchmark's store, as the README's service command builds it: the default datasets from
    the mirror (boundaries, MSOA centroids, ONS lookups, code history), then the indicator."""
    from geohub.geography.fetch import fetch_and_import
    with open_store(path) as store:
        fetch_and_import(store, [], str(data_dir), cache_dir=path.parent / "fetch")
        import_indicator(store, data_dir / INDICATOR_FILE, ImportOptions(**INDICATOR))
        meta = store.indicator(INDICATOR["id"])
        return {"datasets": "the catalogue's defaults", "indicator_file": INDICATOR_FILE,
                "boundary_sets": len(store.boundary_sets()), "indicator_levels": meta.get("levels"),
                "indicator_periods": meta.get("periods")}


# --------------------------------------------------------------------------- what a page loads

_LAYER_CALL = re.compile(r"\bgeohub\.(\w+)\(\s*[\w$]+\s*,\s*")
_TAG = re.compile(r"<(script|link)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""\b([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_API_URL = re.compile(r"/api/(?:[^\"'\s<>\\]|\\u[0-9a-fA-F]{4}|\\/)+")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def layer_options(html: str) -> list[tuple[str, dict]]:
    """Every ``geohub.<kind>(map, {...})`` call in the page's scripts, with its JSON options."""
    decoder = json.JSONDecoder()
    out = []
    for match in _LAYER_CALL.finditer(html):
        try:
            options, _ = decoder.raw_decode(html, match.end())
        except json.JSONDecodeError:
            continue
        if isinstance(options, dict):
            out.append((match.group(1), options))
    return out


def _unescape(url: str) -> str:
    return url.replace("&amp;", "&")


def page_resources(html: str) -> dict:
    """What a browser fetches for ``html`` besides the page itself.

    ``data``: each distinct ``url`` in the options of the geohub layers (geohub-map.js fetches each
    URL once, shared by the layers drawn from it). ``library``: local ``<script src>`` and
    ``<link rel=stylesheet href>`` files. ``remote``: the same tags pointing at another server (CDN).
    ``unparsed_api``: ``/api/...`` URLs in the page's scripts that no layer option names (should be empty:
    a data request the accounting would miss).
    """
    data = []
    for _, options in layer_options(html):
        url = options.get("url")
        if isinstance(url, str) and url not in data:
            data.append(url)
    library, remote = [], []
    for tag, attrs in _TAG.findall(html):
        found = {m.group(1).lower(): next(v for v in m.groups()[1:] if v is not None)
                 for m in _ATTR.finditer(attrs)}
        if tag.lower() == "script":
            url = found.get("src")
        else:
            url = found.get("href") if "stylesheet" in found.get("rel", "").lower().split() else None
        if not url or url.startswith("data:"):
            continue
        url = _unescape(url)
        bucket = remote if _REMOTE.match(url) else library
        if url not in bucket:
            bucket.append(url)
    scripts = "\n".join(_SCRIPT.findall(html))
    mentioned = {json.loads(f'"{u}"') for u in _API_URL.findall(scripts)}
    unparsed = sorted(u for u in mentioned if u not in data)
    return {"data": data, "library": library, "remote": remote, "unparsed_api": unparsed}


def account(client, html: str) -> dict:
    """Gzipped bytes of the page and of everything it loads, fetched through ``client``.
    ``map_bytes_gzip`` = page + data requests; ``library_bytes_gzip`` = the /static files."""
    resources = page_resources(html)

    def fetch(url):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        body = response.get_data()
        row = {"url": url, "bytes": len(body), "gzip_bytes": gzip_size(body),
               "content_type": response.mimetype,
               "cache_control": response.headers.get("Cache-Control")}
        # a browser's next visit asks again with the validator: 304, no body, when unchanged
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
        row["revalidation_status"] = client.get(url, headers=headers).status_code if headers else None
        return row, body

    data, bodies = [], {}
    for url in resources["data"]:
        row, bodies[url] = fetch(url)
        data.append(row)
    library = [fetch(url)[0] for url in resources["library"]]
    page = {"bytes": len(html.encode()), "gzip_bytes": gzip_size(html)}
    return {
        "page": page, "data": data, "library": library, "remote": resources["remote"],
        "unparsed_api": resources["unparsed_api"],
        "map_bytes_gzip": page["gzip_bytes"] + sum(r["gzip_bytes"] for r in data),
        "map_bytes_raw": page["bytes"] + sum(r["bytes"] for r in data),
        "library_bytes_gzip": sum(r["gzip_bytes"] for r in library),
        "library_bytes_raw": sum(r["bytes"] for r in library),
        "requests": 1 + len(data), "library_requests": len(library),
        "_bodies": bodies,  # dropped before the report is written
    }


def check_geohub(html: str, bodies: dict, codes: set[str]) -> dict:
    """The page is the whole map: its choropleth options carry every LAD, and the TopoJSON it
    loads has a geometry for every LAD (and nothing else)."""
    chorus = [o for kind, o in layer_options(html) if kind == "choropleth"]
    areas = chorus[0].get("areas", {}) if chorus else {}
    topo_codes, geometries = set(), 0
    url = chorus[0].get("url") if chorus else None
    if url in bodies:
        topo = json.loads(bodies[url])
        for obj in topo.get("objects", {}).values():
            for geom in obj.get("geometries", []):
                geometries += 1
                topo_codes.add((geom.get("properties") or {}).get("code"))
    out = {
        "choropleth_layers": len(chorus), "embedded_codes": len(areas),
        "embedded_codes_equal_lad": set(areas) == codes,
        "embedded_with_value": sum(1 for a in areas.values() if a.get("c", -1) >= 0),
        "topology_url": url, "topology_geometries": geometries,
        "topology_codes_equal_lad": topo_codes == codes,
    }
    out["complete"] = bool(out["choropleth_layers"] == 1 and out["embedded_codes"] == EXPECTED_AREAS
                           and out["embedded_codes_equal_lad"]
                           and geometries == EXPECTED_AREAS and out["topology_codes_equal_lad"])
    return out


def check_explore(html: str, codes: set[str]) -> dict:
    missing = sorted(c for c in codes if f'"{c}"' not in html)
    return {"codes_in_page": len(codes) - len(missing), "missing_codes": missing[:10],
            "complete": not missing and len(codes) == EXPECTED_AREAS}


# ------------------------------------------------------------------------------------------ timing

def timed(fn):
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def get_ok(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.get_data(True)[:300]}")
    return response


def explore_page(gdf) -> str:
    m = gdf.explore(column="value")
    return m.get_root().render()


def stats(runs: list[float]) -> dict:
    return {"best": round(min(runs), 6), "median": round(statistics.median(runs), 6),
            "runs": [round(t, 6) for t in runs]}


def ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else float("nan")


# ------------------------------------------------------------------------------------------ report

def machine_info() -> dict:
    info = common.machine_info(("flask", "werkzeug", "jinja2", "folium", "branca", "geopandas",
                                "shapely", "pyproj", "pandas", "numpy", "topojson", "mapclassify",
                                "matplotlib"), ("geohub", "static"))
    info["geohub_or_static_modified"] = any(info["modified"].values())
    return info


def explore_library_estimate(remote: list[str]) -> dict:
    """explore()'s CDN files are not fetched (no internet). geohub vendors the same versions under
    static/vendor (geohub.maps.assets.UPSTREAM_URLS -> ASSETS): their gzipped sizes estimate what a
    first visit to an explore page downloads. Files with no vendored copy are listed as unknown."""
    try:
        from geohub.maps.assets import ASSETS, STATIC_DIR, UPSTREAM_URLS
    except ImportError:  # pragma: no cover
        return {"how": "geohub.maps.assets not importable", "gzip_bytes": None}
    by_url = {url: name for name, url in UPSTREAM_URLS.items()}
    known, unknown, total = [], [], 0
    for url in remote:
        path = ASSETS.get(by_url.get(url, ""))
        if not path or not (STATIC_DIR / path).is_file():
            unknown.append(url)
            continue
        size = gzip_size((STATIC_DIR / path).read_bytes())
        total += size
        known.append({"url": url, "vendored_copy": f"static/{path}", "gzip_bytes": size})
    return {"how": "gzip -6 of geohub's vendored copy of the same version (minified where the copy "
                   "is; fonts and images the CSS names are not counted)",
            "files": known, "unknown": unknown, "gzip_bytes": total}


def print_table(report: dict) -> None:
    g, e, r, s = report["geohub"], report["explore"], report["ratios"], report["summary"]
    gb, eb = g["bytes"], e["bytes"]

    def yes(flag):
        return "met" if flag else "NOT met"
    print(f"All-UK LAD choropleth ({EXPECTED_AREAS} areas), {URL}; bytes = gzip -{GZIP_LEVEL}")
    print(f"{'':<40} {'geohub':>12} {'explore()':>12}")
    print(f"{'page':<40} {gb['page']['gzip_bytes']:>12,} {eb['page_gzip_bytes']:>12,}")
    for row in gb["data"]:
        print(f"{'+ ' + row['url']:<40} {row['gzip_bytes']:>12,} {'-':>12}")
    print(f"{'= map bytes':<40} {gb['map_bytes_gzip']:>12,} {eb['page_gzip_bytes']:>12,}"
          f"   ratio {r['bytes']:.3f} (target <= {TARGET_BYTES_RATIO}: {yes(s['target_bytes_met'])})")
    lib = e["library"]["estimate"]
    print(f"{'library, cached across maps':<40} {gb['library_bytes_gzip']:>12,} "
          f"{'~' + format(lib['gzip_bytes'], ','):>12}   "
          f"({gb['library_requests']} local files | {len(e['library']['cdn_urls'])} CDN links, "
          f"not fetched; estimate from vendored copies, {len(lib['unknown'])} unknown)")
    t, x = g["seconds"], e["seconds"]
    print()
    print(f"{'seconds':<40} {'geohub':>12} {'explore()':>12}")
    print(f"{'create_app + warm_up (server start)':<40} {t['create_app']:>12.3f}")
    print(f"{'cold: first page request | first call':<40} {t['cold_page']:>12.3f} "
          f"{x['first_call']:>12.3f}")
    print(f"{'cold: + first topology request':<40} {t['cold_page'] + t['cold_topology']:>12.3f}")
    print(f"{'warm best':<40} {t['warm_page']['best']:>12.4f} {x['build']['best']:>12.4f}"
          f"   ratio {r['time_warm_best']:.3f} (target <= {TARGET_TIME_RATIO}: "
          f"{yes(s['target_time_met'])})")
    print(f"{'warm median':<40} {t['warm_page']['median']:>12.4f} {x['build']['median']:>12.4f}"
          f"   ratio {r['time_warm_median']:.3f}")
    print(f"{'warm topology request best':<40} {t['warm_topology']['best']:>12.4f}")
    print(f"\ncold ratio (first page request / explore best): {r['time_cold_page']:.3f}; with the first "
          f"topology request: {r['time_cold_page_plus_topology']:.3f}")
    print(f"complete: geohub {s['geohub_complete']} ({g['check']['embedded_codes']} codes embedded, "
          f"{g['check']['topology_geometries']} topology geometries), explore {s['explore_complete']}")
    print(f"total {s['benchmark_seconds']:.0f} s")


def run(data_dir: Path) -> dict:
    started = time.perf_counter()
    report = {"benchmark": "geohub LAD choropleth page vs GeoDataFrame.explore()",
              "url": URL, "gzip_level": GZIP_LEVEL,
              "targets": {"bytes_ratio_max": TARGET_BYTES_RATIO, "time_ratio_max": TARGET_TIME_RATIO},
              "machine": machine_info()}
    with tempfile.TemporaryDirectory(prefix="geohub-map-bench-") as tmp:
        store_path = Path(tmp) / "store.gpkg"
        print("building the store (not timed for the ratios) ...", flush=True)
        seconds, store_info = timed(lambda: build_store(store_path, data_dir))
        store_info["build_seconds"] = round(seconds, 2)
        report["store"] = store_info
        with open_store(store_path) as store:
            gdf = indicator_table(store, INDICATOR["id"], LEVEL, VINTAGE, PERIOD)
        codes = set(gdf["code"])

        # geohub: app creation, then the first request (cold), then the first topology request
        print("geohub: cold and warm requests ...", flush=True)
        def start():  # as wsgi.py starts a server: the app, then its warm-up
            app = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
                              "TESTING": True})
            warm_up()
            return app
        create_seconds, app = timed(start)
        client = app.test_client()
        cold_page, response = timed(lambda: get_ok(client, URL))
        topo_url = page_resources(response.get_data(as_text=True))["data"]
        cold_topology = timed(lambda: get_ok(client, topo_url[0]))[0] if topo_url else 0.0

        # explore: the first call (imports, first-use set-up) is reported, not used in the ratios
        print("explore(): first call and timed runs ...", flush=True)
        first_call, explore_html = timed(lambda: explore_page(gdf))

        # round-robin: one explore run, then its share of the warm page requests, so a slow moment
        # of the machine hits both alike
        explore_runs, page_runs = [], []
        per_round = -(-WARM_REQUESTS // EXPLORE_RUNS)
        for _ in range(EXPLORE_RUNS):
            seconds, explore_html = timed(lambda: explore_page(gdf))
            explore_runs.append(seconds)
            for _ in range(per_round):
                if len(page_runs) < WARM_REQUESTS:
                    seconds, response = timed(lambda: get_ok(client, URL))
                    page_runs.append(seconds)
        topology_runs = [timed(lambda: get_ok(client, topo_url[0]))[0]
                         for _ in range(TOPOLOGY_REQUESTS)] if topo_url else [0.0]

        html = response.get_data(as_text=True)  # the last warm page
        geohub_bytes = account(client, html)
        bodies = geohub_bytes.pop("_bodies")
        geohub_check = check_geohub(html, bodies, codes)
        explore_check = check_explore(explore_html, codes)
        explore_res = page_resources(explore_html)

    warm, build = stats(page_runs), stats(explore_runs)
    explore_gzip = gzip_size(explore_html)
    report["geohub"] = {
        "bytes": geohub_bytes,
        "seconds": {"create_app": round(create_seconds, 4), "cold_page": round(cold_page, 4),
                    "cold_topology": round(cold_topology, 4), "warm_page": warm,
                    "warm_topology": stats(topology_runs)},
        "check": geohub_check,
    }
    report["explore"] = {
        "call": 'indicator_table(store, "pop", "lad", 2021, "2020").explore(column="value")'
                ".get_root().render()",
        "rows": len(gdf), "crs": str(gdf.crs),
        "bytes": {"page_bytes": len(explore_html.encode()), "page_gzip_bytes": explore_gzip},
        "library": {"cdn_urls": explore_res["remote"], "fetched": False,
                    "estimate": explore_library_estimate(explore_res["remote"])},
        "seconds": {"first_call": round(first_call, 4), "build": build},
        "check": explore_check,
    }
    ratios = {
        "bytes": ratio(geohub_bytes["map_bytes_gzip"], explore_gzip),
        "time_warm_best": ratio(warm["best"], build["best"]),
        "time_warm_median": ratio(warm["median"], build["median"]),
        "time_cold_page": ratio(cold_page, build["best"]),
        "time_cold_page_plus_topology": ratio(cold_page + cold_topology, build["best"]),
        "time_cold_vs_explore_first_call": ratio(cold_page + cold_topology, first_call),
        "first_visit_bytes_with_library_estimate": ratio(
            geohub_bytes["map_bytes_gzip"] + geohub_bytes["library_bytes_gzip"],
            explore_gzip + report["explore"]["library"]["estimate"]["gzip_bytes"]),
    }
    report["ratios"] = ratios
    report["summary"] = {
        "map_bytes_gzip": geohub_bytes["map_bytes_gzip"],
        "explore_page_bytes_gzip": explore_gzip,
        "library_bytes_gzip": geohub_bytes["library_bytes_gzip"],
        "bytes_ratio": ratios["bytes"],
        "target_bytes_met": ratios["bytes"] <= TARGET_BYTES_RATIO,
        "warm_page_seconds_best": warm["best"], "warm_page_seconds_median": warm["median"],
        "explore_seconds_best": build["best"], "explore_seconds_median": build["median"],
        "time_ratio_warm": ratios["time_warm_best"],
        "time_ratio_warm_median": ratios["time_warm_median"],
        "target_time_met": ratios["time_warm_best"] <= TARGET_TIME_RATIO,
        "target_time_met_median": ratios["time_warm_median"] <= TARGET_TIME_RATIO,
        "cold_page_seconds": round(cold_page, 4),
        "time_ratio_cold": ratios["time_cold_page"],
        "time_ratio_cold_with_topology": ratios["time_cold_page_plus_topology"],
        "geohub_complete": geohub_check["complete"] and not geohub_bytes["unparsed_api"]
        and not geohub_bytes["remote"],
        "explore_complete": explore_check["complete"],
        "library_revalidates_304": all(r["revalidation_status"] == 304
                                       for r in geohub_bytes["library"]),
        "benchmark_seconds": round(time.perf_counter() - started, 1),
    }
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON report path")
    parser.add_argument("--data", type=Path, default=common.shared_data(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no shared data folder at {args.data}: set GEOHUB_SHARED_DATA")
    report = run(args.data)
    report["command"] = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else None
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print_table(report)
    print(f"wrote {args.output}")
    return 0 if report["summary"]["geohub_complete"] and report["summary"]["explore_complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
