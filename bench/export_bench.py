"""Benchmark: geohub's A4 300 dpi PNG export against screenshotting the same map in headless chromium.

One map, ``/maps/pop?level=lad&vintage=2021&period=2020&overlay=lep`` (ONS mid-2020 population on
the 374 LADs of December 2021, LEP outlines on top), as an A4 landscape PNG at 300 dpi, two ways:

* export      ``GET /maps/pop.png?...&size=a4-landscape&dpi=300`` through the Flask test client of
              ``create_app``: matplotlib draws the page on the server (3508 x 2480 px).
* screenshot  what folium users are given (``folium.Map._to_png``: open the map's HTML in a headless
              browser, take a screenshot): the interactive page ``/maps/pop?...`` served on
              loopback by werkzeug (tests/live.py's ``serve``), opened in Debian's chromium through
              Playwright with the A4 landscape page as viewport at 96 CSS px per inch (1123 x 794)
              and ``device_scale_factor`` 300/96, screenshotted once the map is drawn
              (``html[data-geohub-ready=true]``). No artificial sleep (``_to_png`` sleeps 3 s).

References: the pure ``static_render.render`` on prebuilt MapData, and screenshots of a
``GeoDataFrame.explore()`` map saved as HTML and loaded from file:// (its CDN scripts cannot load
offline: blocked, and in a second variant served from geohub's vendored copies of the same versions).

Ratios come from this one run. The headline (target >= 5) compares what each route costs for one
image: folium's route launches a browser for every picture (``_to_png``), so a one-off browser
launch + load + screenshot, against geohub actually drawing the image (``render()``, no cache).
Also reported: a screenshot from an already-running browser against ``render()``; cold against
cold; and the export request served from geohub's artifact cache (what a second request for the
same image costs). Times are time.perf_counter, all in this process. See bench/README.md.

    .venv/bin/python bench/export_bench.py [--output PATH]
"""
from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "bench", REPO / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))  # the working tree's geohub, map_bench, tests/live.py

from live import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402
from common import shared_data  # noqa: E402
from map_bench import (INDICATOR, INDICATOR_FILE, build_store, machine_info, ratio,  # noqa: E402
                       stats, timed)
from PIL import Image  # noqa: E402

from geohub import create_app  # noqa: E402
from geohub.indicators.query import indicator_table  # noqa: E402
from geohub.maps.model import MapBuilder, MapRequest, dict_cache  # noqa: E402
from geohub.maps.static_render import PrintOptions, render  # noqa: E402
from geohub.store import open_store  # noqa: E402

LEVEL, VINTAGE, PERIOD, OVERLAY = "lad", 2021, "2020", "lep"
QUERY = f"level={LEVEL}&vintage={VINTAGE}&period={PERIOD}&overlay={OVERLAY}"
PAGE_URL = f"/maps/{INDICATOR['id']}?{QUERY}"
EMBED_URL = f"/embed/maps/{INDICATOR['id']}?{QUERY}"  # the map alone, filling the viewport
SIZE, DPI = "a4-landscape", 300
EXPORT_URL = f"/maps/{INDICATOR['id']}.png?{QUERY}&size={SIZE}&dpi={DPI}"
EXPECTED_PNG = (3508, 2480)      # A4 (297 x 210 mm) at 300 dpi
EXPECTED_AREAS, EXPECTED_LEPS = 374, 38
CSS_PX_PER_INCH = 96
VIEWPORT = {"width": round(297 / 25.4 * CSS_PX_PER_INCH), "height": round(210 / 25.4 * CSS_PX_PER_INCH)}
SCALE = DPI / CSS_PX_PER_INCH    # 3.125 device pixels per CSS pixel
READY = "html[data-geohub-ready=true]"
WAIT_MS = 60_000

WARM_RUNS = 5       # warm exports, renders and screenshots (best and median)
LAUNCH_RUNS = 3     # screenshots including Playwright start and browser launch (first one: cold app)
EXPLORE_RUNS = 3    # explore screenshots per variant, after one untimed page
TARGET_RATIO = 5.0
DEFAULT_OUTPUT = REPO / "bench" / "results" / "export.json"


def png_size(body: bytes) -> list[int]:
    with Image.open(io.BytesIO(body)) as image:
        return list(image.size)


def new_app(store_path: Path):
    return create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "", "TESTING": True})


# ------------------------------------------------------------------------------------------ export

def export_png(client) -> bytes:
    response = client.get(EXPORT_URL)
    body = response.get_data()
    if response.status_code != 200 or response.mimetype != "image/png":
        raise RuntimeError(f"{EXPORT_URL} answered {response.status_code} {response.mimetype}: "
                           f"{body[:300]!r}")
    return body


def prebuilt_map_data(store_path: Path):
    """The export's MapData, built outside Flask (the CLI's way): for timing ``render`` alone."""
    args = dict(part.split("=", 1) for part in QUERY.split("&"))
    with open_store(store_path) as store:
        return MapBuilder(store, dict_cache()).build(MapRequest.from_args(INDICATOR["id"], args))


# -------------------------------------------------------------------------------------- screenshot

def page_options() -> dict:
    return {"viewport": dict(VIEWPORT), "device_scale_factor": SCALE}


PHASES: list[dict] = []  # per geohub screenshot: seconds to the map drawn, and to the PNG


def shoot_geohub(browser, base: str, path: str = PAGE_URL) -> tuple[bytes, object]:
    """A new page (Playwright: in a new context, so no HTTP cache), the map drawn, a screenshot of
    the viewport. Returns the PNG and the still-open page (closed by the caller, outside the timer)."""
    start = time.perf_counter()
    page = browser.new_page(**page_options())
    page.goto(base + path)
    page.wait_for_selector(READY, timeout=WAIT_MS)
    ready = time.perf_counter()
    png = page.screenshot(type="png")
    PHASES.append({"to_map_drawn": round(ready - start, 4),
                   "screenshot": round(time.perf_counter() - ready, 4)})
    return png, page


def geohub_page_check(page) -> dict:
    """The screenshotted page really drew the map (counted after the timer stopped)."""
    return {"areas": page.locator("path.geohub-area").count(),
            "lep_outlines": page.locator("path.geohub-overlay-lep").count(),
            "error": page.evaluate("document.documentElement.getAttribute('data-geohub-error')")}


def launch_and_shoot(base: str) -> dict:
    """A one-off screenshot: start Playwright (its driver), launch chromium, open, wait, shoot.
    Closing the browser and stopping Playwright are timed apart."""
    from playwright.sync_api import sync_playwright
    gc.collect()
    start = time.perf_counter()
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    launched = time.perf_counter()
    png, page = shoot_geohub(browser, base)
    seconds = time.perf_counter() - start
    check = geohub_page_check(page)
    version = browser.version
    close_start = time.perf_counter()
    browser.close()
    pw.stop()
    return {"seconds": seconds, "launch_seconds": launched - start,
            "close_seconds": time.perf_counter() - close_start, "png": png, "check": check,
            "chromium": version, "phases": PHASES[-1]}


class ExploreShot:
    """A ``GeoDataFrame.explore()`` map saved as HTML, opened from file:// and screenshotted.

    Offline its scripts and stylesheets (CDN links) and OpenStreetMap tiles cannot load. Every
    request that is not file: or data: is routed: ``blocked`` aborts them all (the map is never
    drawn: Leaflet is missing); ``vendored`` answers the CDN links that geohub vendors (the same
    versions, geohub.maps.assets.UPSTREAM_URLS -> ASSETS) from static/ and aborts the rest (tiles,
    files with no copy), so the 374 polygons are drawn on a tile-less background."""

    def __init__(self, path: Path, mode: str):
        from geohub.maps.assets import ASSETS, STATIC_DIR, UPSTREAM_URLS
        self.path, self.mode = path, mode
        self.local = {}
        if mode == "vendored":
            for name, url in UPSTREAM_URLS.items():
                if ASSETS.get(name):
                    self.local[url] = STATIC_DIR / ASSETS[name]
        self.aborted, self.fulfilled = set(), set()
        self.page_errors: list[str] = []

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        elif url in self.local:
            self.fulfilled.add(url)
            kind = "text/css" if self.local[url].suffix == ".css" else "application/javascript"
            route.fulfill(status=200, body=self.local[url].read_bytes(), content_type=kind)
        else:
            self.aborted.add(urlsplit(url).netloc if "tile" in url else url)
            route.abort()

    def shoot(self, browser) -> tuple[bytes, object]:
        page = browser.new_page(**page_options())
        page.route("**/*", self._route)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.goto(self.path.as_uri())   # waits for the load event
        return page.screenshot(type="png"), page


def explore_check(page) -> dict:
    return {"polygons": page.locator("path.leaflet-interactive").count(),
            "leaflet_loaded": page.evaluate("typeof L !== 'undefined'")}


# ------------------------------------------------------------------------------------------ report

def print_table(report: dict) -> None:
    e, s, x, r = report["export"], report["screenshot"], report["explore"], report["ratios"]
    sm = report["summary"]

    def yes(flag):
        return "met" if flag else "NOT met"
    print(f"A4 landscape {DPI} dpi PNG of {PAGE_URL} ({EXPECTED_AREAS} LADs, LEP outlines)")
    print(f"export {EXPORT_URL}: {e['png_size'][0]} x {e['png_size'][1]} px, "
          f"{e['png_bytes']:,} bytes; screenshot viewport {VIEWPORT['width']} x {VIEWPORT['height']}"
          f" CSS px x {SCALE:g}: {s['png_size'][0]} x {s['png_size'][1]} px, {s['png_bytes']:,} bytes")
    print()
    print(f"{'seconds':<58} {'best':>8} {'median':>8}")
    rows = [
        ("export cold: first request of a new app", e["seconds"]["cold"], None),
        ("export warm: /maps/pop.png request", e["seconds"]["warm"]["best"],
         e["seconds"]["warm"]["median"]),
        ("render(): static_render.render on prebuilt MapData", e["seconds"]["render"]["best"],
         e["seconds"]["render"]["median"]),
        ("screenshot cold: new app, Playwright start + launch + shot", s["seconds"]["cold"], None),
        ("screenshot one-off: launch + shot, warm server", s["seconds"]["launch_warm_server"]["best"],
         s["seconds"]["launch_warm_server"]["median"]),
        ("screenshot warm: launched browser, new page + shot", s["seconds"]["warm"]["best"],
         s["seconds"]["warm"]["median"]),
    ]
    t = s["embed"]["seconds"]
    rows.append(("screenshot warm of the embed page (map only)", t["best"], t["median"]))
    for mode in ("blocked", "vendored"):
        t = x[mode]["seconds"]
        rows.append((f"explore() HTML from file://, CDN {mode}: new page + shot", t["best"], t["median"]))
    for label, best, median in rows:
        median_text = f"{median:>8.3f}" if median is not None else f"{'-':>8}"
        print(f"{label:<58} {best:>8.3f} {median_text}")
    print()
    print(f"headline (one-off browser launch + shot / render()):  best {r['headline']:.2f}, median "
          f"{r['headline_median']:.2f}   (target >= {TARGET_RATIO:g}: {yes(sm['target_met'])}, "
          f"median {yes(sm['target_median_met'])})")
    print(f"already-running browser (warm shot / render()):      best {r['warm_vs_render']:.2f}")
    print(f"cold (screenshot cold / export cold):                {r['cold']:.2f}")
    print(f"cached export (warm shot / export served from the artifact cache): {r['warm_best']:.0f}")
    print(f"informative: embed warm / render() {r['embed_vs_render']:.2f}; explore warm / render(): "
          f"vendored {r['explore_vendored_vs_render']:.2f}, blocked {r['explore_blocked_vs_render']:.2f}")
    gc_, ec = s["check"], x["vendored"]["check"]
    print(f"checks: export png {EXPECTED_PNG[0]}x{EXPECTED_PNG[1]} {sm['export_png_size_ok']}; page "
          f"drew {gc_['areas']} areas + {gc_['lep_outlines']} LEP outlines ({sm['screenshot_map_drawn']});"
          f" explore vendored drew {ec['polygons']} polygons, blocked "
          f"{x['blocked']['check']['polygons']} (Leaflet loaded: {x['blocked']['check']['leaflet_loaded']})")
    print(f"total {sm['benchmark_seconds']:.0f} s")


def run(data_dir: Path, images: Path | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request on stdout

    started = time.perf_counter()
    report = {"benchmark": "geohub A4 300 dpi PNG export vs headless-chromium screenshot of the map",
              "page_url": PAGE_URL, "export_url": EXPORT_URL,
              "print_options": {"size": SIZE, "dpi": DPI, "expected_png": list(EXPECTED_PNG)},
              "screenshot_options": {"viewport": VIEWPORT, "device_scale_factor": SCALE,
                                     "css_px_per_inch": CSS_PX_PER_INCH, "wait_for": READY,
                                     "full_page": False, "chromium_args": CHROMIUM_ARGS,
                                     "artificial_sleep_seconds": 0},
              "target_ratio_min": TARGET_RATIO, "machine": machine_info()}
    report["machine"].update({"playwright": version("playwright"), "pillow": version("pillow"),
                              "chromium_path": chromium_path()})

    with tempfile.TemporaryDirectory(prefix="geohub-export-bench-") as tmp:
        tmp = Path(tmp)
        store_path = tmp / "store.gpkg"
        print("building the store (not timed for the ratios) ...", flush=True)
        seconds, store_info = timed(lambda: build_store(store_path, data_dir))
        store_info["build_seconds"] = round(seconds, 2)
        report["store"] = store_info

        # ---- export, cold: the first request of a new app (builds the map data, then renders)
        print("export: cold request ...", flush=True)
        create_seconds, export_app = timed(lambda: new_app(store_path))
        client = export_app.test_client()
        cold_export, png = timed(lambda: export_png(client))
        export_png_size = png_size(png)

        # ---- screenshot, cold: a new app served on loopback, Playwright started, chromium launched
        print("screenshot: cold (new app, browser launch) and one-off launches ...", flush=True)
        shot_app = new_app(store_path)
        with serve(shot_app) as base:
            launches = [launch_and_shoot(base) for _ in range(LAUNCH_RUNS)]
            shot_png, shot_check = launches[0]["png"], launches[0]["check"]

            # explore's HTML, saved as a folium user would (m.save), outside any timer
            with open_store(store_path) as store:
                gdf = indicator_table(store, INDICATOR["id"], LEVEL, VINTAGE, PERIOD)
            explore_html = tmp / "explore.html"
            gdf.explore(column="value").save(str(explore_html))
            map_data = prebuilt_map_data(store_path)
            render(map_data, "png", PrintOptions(SIZE, DPI))  # untimed: first render of this MapData

            # ---- warm: one launched browser; round-robin export, render, screenshot
            print("warm: export requests, render() and screenshots, round-robin ...", flush=True)
            export_runs, render_runs, shot_runs, shot_phases, embed_runs = [], [], [], [], []
            explore = {mode: ExploreShot(explore_html, mode) for mode in ("blocked", "vendored")}
            explore_runs = {mode: [] for mode in explore}
            explore_png, explore_checks = {}, {}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                _, page = shoot_geohub(browser, base)   # untimed: the browser's first page
                page.close()
                for shot in explore.values():           # untimed: first load of each variant
                    _, page = shot.shoot(browser)
                    page.close()
                _, page = shoot_geohub(browser, base, EMBED_URL)
                page.close()
                for i in range(WARM_RUNS):
                    seconds, png_warm = timed(lambda: export_png(client))
                    export_runs.append(seconds)
                    render_runs.append(timed(lambda: render(map_data, "png",
                                                            PrintOptions(SIZE, DPI)))[0])
                    seconds, (shot_png_warm, page) = timed(lambda: shoot_geohub(browser, base))
                    shot_runs.append(seconds)
                    shot_phases.append(PHASES[-1])
                    page.close()
                    if i < EXPLORE_RUNS:
                        seconds, (embed_png, page) = timed(
                            lambda: shoot_geohub(browser, base, EMBED_URL))
                        embed_runs.append(seconds)
                        embed_check = geohub_page_check(page)
                        page.close()
                        for mode, shot in explore.items():
                            seconds, (body, page) = timed(lambda: shot.shoot(browser))
                            explore_runs[mode].append(seconds)
                            explore_png[mode] = body
                            explore_checks[mode] = explore_check(page)
                            page.close()
                browser.close()
            explore_rows = len(gdf)

    if images is not None:  # what was compared, for looking at (not part of the report)
        images.mkdir(parents=True, exist_ok=True)
        for name, body in (("export", png), ("screenshot", shot_png), ("embed", embed_png),
                           *((f"explore-{m}", b) for m, b in explore_png.items())):
            (images / f"{name}.png").write_bytes(body)

    warm_export, warm_render, warm_shot = stats(export_runs), stats(render_runs), stats(shot_runs)
    launch_runs = [run["seconds"] for run in launches[1:]]
    one_off = stats(launch_runs) if launch_runs else {"best": None, "median": None, "runs": []}
    report["export"] = {
        "png_size": export_png_size, "png_bytes": len(png),
        "png_size_warm": png_size(png_warm),
        "seconds": {"create_app": round(create_seconds, 4), "cold": round(cold_export, 4),
                    "warm": warm_export, "render": warm_render},
        "render_call": f'geohub.maps.static_render.render(data, "png", PrintOptions("{SIZE}", {DPI}))',
    }
    report["screenshot"] = {
        "png_size": png_size(shot_png), "png_bytes": len(shot_png),
        "png_size_warm": png_size(shot_png_warm),
        "chromium": launches[0]["chromium"],
        "seconds": {
            "cold": round(launches[0]["seconds"], 4),
            "cold_launch_part": round(launches[0]["launch_seconds"], 4),
            "launch_warm_server": one_off,
            "launch_part_runs": [round(run["launch_seconds"], 4) for run in launches],
            "close_runs": [round(run["close_seconds"], 4) for run in launches],
            "warm": warm_shot,
            # inside each timed screenshot: new page to html[data-geohub-ready], then the capture
            "phases_launch_runs": [run["phases"] for run in launches],
            "phases_warm_runs": shot_phases,
        },
        "check": shot_check,
        "embed": {"url": EMBED_URL, "seconds": stats(embed_runs), "png_size": png_size(embed_png),
                  "check": embed_check},
    }
    report["explore"] = {
        "call": 'indicator_table(store, "pop", "lad", 2021, "2020").explore(column="value")'
                ".save(path), opened from file://",
        "rows": explore_rows, "tiles_and_cdn": "offline: see aborted / served_from_vendored_copies",
    }
    for mode, shot in explore.items():
        report["explore"][mode] = {
            "seconds": stats(explore_runs[mode]), "png_size": png_size(explore_png[mode]),
            "check": explore_checks[mode], "aborted": sorted(shot.aborted),
            "served_from_vendored_copies": sorted(shot.fulfilled),
            "page_errors": sorted(set(shot.page_errors))[:5]}
    ratios = {
        "headline": ratio(one_off["best"], warm_render["best"]) if launch_runs else None,
        "headline_median": ratio(one_off["median"], warm_render["median"]) if launch_runs else None,
        "warm_vs_render": ratio(warm_shot["best"], warm_render["best"]),
        "cold": ratio(launches[0]["seconds"], cold_export),
        "warm_best": ratio(warm_shot["best"], warm_export["best"]),
        "warm_median": ratio(warm_shot["median"], warm_export["median"]),
        "embed_vs_render": ratio(stats(embed_runs)["best"], warm_render["best"]),
        "explore_blocked_vs_render": ratio(report["explore"]["blocked"]["seconds"]["best"],
                                           warm_render["best"]),
        "explore_vendored_vs_render": ratio(report["explore"]["vendored"]["seconds"]["best"],
                                            warm_render["best"]),
    }
    report["ratios"] = ratios
    shot_size = report["screenshot"]["png_size"]
    report["summary"] = {
        "export_cold_seconds": round(cold_export, 4),
        "export_warm_seconds_best": warm_export["best"],
        "export_warm_seconds_median": warm_export["median"],
        "render_seconds_best": warm_render["best"],
        "screenshot_cold_seconds": round(launches[0]["seconds"], 4),
        "screenshot_one_off_seconds_best": one_off["best"],
        "screenshot_warm_seconds_best": warm_shot["best"],
        "screenshot_warm_seconds_median": warm_shot["median"],
        "ratio_headline": ratios["headline"], "ratio_headline_median": ratios["headline_median"],
        "ratio_warm_browser_vs_render": ratios["warm_vs_render"], "ratio_cold": ratios["cold"],
        "ratio_cached_export": ratios["warm_best"],
        "target_met": bool(ratios["headline"] and ratios["headline"] >= TARGET_RATIO),
        "target_median_met": bool(ratios["headline_median"] and ratios["headline_median"] >= TARGET_RATIO),
        "export_png_size": export_png_size,
        "export_png_size_ok": export_png_size == list(EXPECTED_PNG)
        and report["export"]["png_size_warm"] == list(EXPECTED_PNG),
        "screenshot_png_size": shot_size,
        "screenshot_png_size_near_a4_300dpi": all(abs(a - b) <= 3 for a, b in zip(shot_size, EXPECTED_PNG)),
        "screenshot_map_drawn": shot_check["areas"] == EXPECTED_AREAS
        and shot_check["lep_outlines"] == EXPECTED_LEPS and not shot_check["error"],
        "benchmark_seconds": round(time.perf_counter() - started, 1),
    }
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON report path")
    parser.add_argument("--images", type=Path, default=None,
                        help="also write the export and screenshot PNGs to this folder")
    parser.add_argument("--data", type=Path, default=shared_data(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no shared data folder at {args.data}: set GEOHUB_SHARED_DATA")
    report = run(args.data, args.images)
    report["command"] = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else None
    report["indicator_file"] = INDICATOR_FILE
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print_table(report)
    print(f"wrote {args.output}")
    s = report["summary"]
    return 0 if s["export_png_size_ok"] and s["screenshot_map_drawn"] else 1


if __name__ == "__main__":
    sys.exit(main())
