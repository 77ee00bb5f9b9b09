"""Exports: images of the right size and resolution with each area in the map's colour, one-page
PDFs, SVG that parses, CSV and GeoJSON equal to the map's values and to the source file's, a
self-contained HTML file that works with the network off, and the CLI."""
import bisect
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl

import numpy as np
import pytest
from PIL import Image

from conftest import ARTIFACTS, INDICATORS
from live import browser

pytestmark = pytest.mark.real_data
QUERY = "level=lad&vintage=2021&period=2020&overlay=lep"
CLASSES = 5  # QUERY's: the default k


def map_values(client, query=QUERY):
    data = client.get(f"/api/indicators/pop?{query}").get_json()
    return {v["code"]: v["value"] for v in data["values"]}, data


def source_population() -> dict[str, int]:
    """LAD 2021 code -> total population, read straight from the indicator's source CSV."""
    with open(INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv", newline="") as fh:
        return {r["ltla21_code"]: int(r["total_population"]) for r in csv.DictReader(fh)}


def legend_colours(client):
    """The interactive map's legend swatches: one per class, then "No data"."""
    page = client.get(f"/maps/pop?{QUERY}").get_data(as_text=True)
    found = re.findall(r'class="swatch" data-colour="(#[0-9a-f]{6})"', page)
    assert len(found) == len(set(found)) == CLASSES + 1, found   # the markup still matches
    return found


def area_colours(client) -> dict[str, str]:
    """code -> the colour the interactive map gives the area: the legend swatch of the class its
    value falls in by the map's breaks (upper bounds, inclusive), or the "No data" swatch."""
    values, _ = map_values(client)
    breaks = json.loads(client.get(f"/maps/pop.geojson?{QUERY}").data)["geohub"]["breaks"]
    swatches = legend_colours(client)
    assert len(breaks) == CLASSES
    return {code: swatches[-1] if value is None else swatches[bisect.bisect_left(breaks, value)]
            for code, value in values.items()}


@pytest.fixture(scope="module")
def map_data(web_template):
    """The MapData behind QUERY's exports: used only to find where areas land on the page."""
    from geohub.maps.model import MapBuilder, MapRequest
    from geohub.store import open_store
    with open_store(web_template) as store:
        return MapBuilder(store).build(MapRequest.from_args("pop", dict(parse_qsl(QUERY))))


def sample_pixels(data, options, colours: dict[str, str], margin: float = 6) -> dict[str, tuple]:
    """colour -> (code, (column, row)): for each colour of ``colours`` (code -> colour), the area
    whose deepest inside point (the pole of inaccessibility of its largest part) lies furthest from
    any line the export draws (its outline, overlay outlines), at least ``margin`` pixels, and where
    that point lands on the page; the scale bar's corner of the map is avoided."""
    import shapely
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from shapely.ops import polylabel

    from geohub.maps.static_render import draw
    fig = draw(data, options)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()                                   # lays the axes out (equal aspect) as savefig does
    ax, height = fig.axes[0], canvas.get_width_height()[1]
    box = ax.get_window_extent()
    per_metre = ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0]
    overlays = shapely.union_all([a.boundary.union_all() for a in data.overlay_areas.values()])
    best = {}
    for code, geom in zip(data.table["code"], data.table.geometry):
        part = max(shapely.get_parts(geom), key=lambda g: g.area)
        point = polylabel(part, tolerance=50)
        clear = min(part.boundary.distance(point), overlays.distance(point)) * per_metre
        x, y = ax.transData.transform((point.x, point.y))
        in_scale_bar_corner = x < box.x0 + 0.3 * box.width and y < box.y0 + 0.15 * box.height
        if clear >= margin and not in_scale_bar_corner and clear > best.get(colours[code], (0,))[0]:
            best[colours[code]] = (clear, code, (int(x), int(height - y)))
    return {colour: (code, pixel) for colour, (_, code, pixel) in best.items()}


@pytest.mark.parametrize("size,dpi,pixels", [("a4-landscape", 300, (3508, 2480)),
                                             ("a4-portrait", 150, (1240, 1754)),
                                             ("slide", 150, (2000, 1125)),
                                             ("screen", "screen", (1280, 800))])
def test_png_size_resolution_and_colours(client, map_data, size, dpi, pixels):
    from geohub.maps.static_render import PrintOptions
    response = client.get(f"/maps/pop.png?{QUERY}&size={size}&dpi={dpi}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert f'filename="pop_lad_2021_2020_with-lep_{size}-' in response.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert image.size == pixels
    expected_dpi = 96 if dpi == "screen" else dpi
    assert image.info.get("dpi", (0, 0))[0] == pytest.approx(expected_dpi, abs=1)
    pixels_arr = np.asarray(image).reshape(-1, 3)
    assert pixels_arr.std() > 20                                   # not blank
    # One integer per pixel (0xRRGGBB): np.unique on 8.7 M ints is fast, unlike unique rows (axis=0).
    packed = (pixels_arr[:, 0].astype(np.uint32) << 16) | (pixels_arr[:, 1].astype(np.uint32) << 8) \
        | pixels_arr[:, 2]
    present = {f"#{int(p):06x}" for p in np.unique(packed)}
    for colour in legend_colours(client):                         # every class and "No data"
        assert colour in present, colour
    # ... and on the map itself, not only in the legend: one area of each, sampled where it is drawn
    colours = area_colours(client)
    samples = sample_pixels(map_data, PrintOptions.from_args({"size": size, "dpi": str(dpi)}), colours)
    assert set(samples) == set(legend_colours(client))
    for colour, (code, pixel) in samples.items():
        assert "#%02x%02x%02x" % image.getpixel(pixel) == colour, (code, pixel)
    if size == "a4-landscape":
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "export-a4-landscape-300dpi.png").write_bytes(response.data)


@pytest.mark.parametrize("size,points", [("a4-portrait", (595.4, 841.7)), ("a4-landscape", (841.7, 595.4)),
                                         ("slide", (960.0, 540.0))])
def test_pdf_is_one_page_of_the_requested_size(client, size, points):
    from pypdf import PdfReader
    response = client.get(f"/maps/pop.pdf?{QUERY}&size={size}")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(points, abs=1.0)
    assert "Population mid-2020" in reader.pages[0].extract_text()


def test_svg_parses_and_carries_the_colours(client):
    response = client.get(f"/maps/pop.svg?{QUERY}&size=a4-landscape")
    root = ET.fromstring(response.data)
    assert root.tag.endswith("svg")
    text = response.get_data(as_text=True)
    for colour in legend_colours(client):
        assert colour in text
    assert "Open Government Licence" in text
    # The areas are the first collection of paths, in the table's order (the GeoJSON export's):
    # each is filled with the colour the interactive map gives it.
    areas = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == "areas")
    fills = [re.search(r"fill: (#[0-9a-f]{6})", path.get("style")).group(1) for path in areas]
    codes = [f["properties"]["code"] for f in json.loads(client.get(f"/maps/pop.geojson?{QUERY}").data)["features"]]
    colours = area_colours(client)
    assert len(fills) == len(codes) == 374
    assert fills == [colours[code] for code in codes]


@pytest.mark.parametrize("query,fmt,name", [
    ("level=lep&vintage=2021&mode=split", "csv", "pop_lep_2021_2020_split.csv"),
    ("level=lep&vintage=2021&mode=full", "csv", "pop_lep_2021_2020_full.csv"),
    ("level=lep&vintage=2021&mode=full&scheme=equal_interval&k=4&palette=Reds", "svg",
     "pop_lep_2021_2020_full_equal-interval-k4_Reds_a4-portrait.svg"),
    ("level=lad&vintage=2021&scheme=user&breaks=100000,200000&labels=none", "png",
     "pop_lad_2021_2020_breaks-100000-200000_a4-portrait-150dpi_labels-none.png"),
])
def test_file_names_tell_figures_apart(client, query, fmt, name):
    size = "&size=a4-portrait" if fmt != "csv" else ""
    response = client.get(f"/maps/pop.{fmt}?{query}{size}")
    assert response.status_code == 200
    assert f'filename="{name}"' in response.headers["Content-Disposition"]


def test_csv_equals_the_map_values(client):
    response = client.get(f"/maps/pop.csv?{QUERY}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="pop_lad_2021_2020.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    values, _ = map_values(client)
    assert len(rows) == len(values) == 374
    for row in rows:
        expected = values[row["code"]]
        assert (row["value"] == "" and expected is None) or float(row["value"]) == expected
    total = sum(float(r["value"]) for r in rows if r["value"])
    assert total == pytest.approx(sum(v for v in values.values() if v is not None))
    # ... and the map's values are the source's: every LAD in England and Wales, nothing elsewhere
    source = source_population()
    exported = {r["code"]: float(r["value"]) for r in rows if r["value"]}
    assert exported == source and exported["E06000057"] == 323_820      # Northumberland
    assert total == sum(source.values()) == 59_719_724


def test_aggregated_csv_carries_the_trace(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/maps/pop.csv?level=lep&vintage=2021").get_data(as_text=True))))
    values, data = map_values(client, "level=lep&vintage=2021")
    assert {"built_from", "mode", "method"} <= set(rows[0])
    row = next(r for r in rows if r["code"] == "E37000005")        # Cornwall and Isles of Scilly
    assert set(row["built_from"].split("; ")) == {"E06000052:1", "E06000053:1"}
    assert row["method"] == "best-fit" and row["mode"] == "full" and row["unit"] == "people"
    assert float(row["value"]) == values["E37000005"]
    source = source_population()
    assert float(row["value"]) == source["E06000052"] + source["E06000053"]


def test_geojson_export(client):
    body = json.loads(client.get(f"/maps/pop.geojson?{QUERY}").data)
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 374
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert props["E08000003"]["value"] == map_values(client)[0]["E08000003"]
    assert props["S12000005"]["value"] is None and props["S12000005"]["class"] == -1
    assert body["geohub"]["level"] == "lad" and len(body["geohub"]["breaks"]) == 5
    source = source_population()
    assert {code: p["value"] for code, p in props.items() if p["value"] is not None} == source
    assert props["E08000003"]["value"] == source["E08000003"] == 555_741   # Manchester
    assert sum(p["value"] for p in props.values() if p["value"] is not None) == sum(source.values())
    colours = area_colours(client)
    assert {code: p["colour"] or legend_colours(client)[-1] for code, p in props.items()} == colours


def test_unknown_format_and_bad_size(client):
    assert client.get("/maps/pop.docx").status_code == 404
    bad = client.get("/maps/pop.png?size=a3")
    assert bad.status_code == 400 and "Unknown size" in bad.get_data(as_text=True)
    assert client.get("/maps/pop.png?dpi=5000").status_code == 400


@pytest.mark.browser
def test_html_export_works_offline(client, tmp_path):
    response = client.get(f"/maps/pop.html?{QUERY}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    path = tmp_path / "map.html"
    path.write_bytes(response.data)
    with browser() as b:
        context = b.new_context()
        blocked = []
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      or route.request.url.startswith("data:") else (blocked.append(route.request.url), route.abort()))
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-geohub-ready=true]", timeout=30_000)
        assert page.locator("path.geohub-area").count() == 374
        assert page.locator("path.geohub-overlay-lep").count() == 38
        assert blocked == [] and errors == []
        context.close()


def test_cli_export(geohub, tmp_path, web_template, store_path):
    import shutil
    shutil.copyfile(web_template, store_path)
    result = geohub("export", "pop", "--level", "lep", "--format", "pdf", "--size", "a4-portrait",
                    "--output", tmp_path)
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader
    # named for the mode the map was built in (the default depends on the level)
    written, = tmp_path.glob("pop_lep_2021_2020_*_a4-portrait.pdf")
    assert written.name.split("_")[4] in ("split", "full")
    assert len(PdfReader(written).pages) == 1
    png = geohub("export", "pop", "--format", "png", "--size", "slide", "--dpi", "72",
                 "--output", tmp_path / "x.png")
    assert png.exit_code == 0 and Image.open(tmp_path / "x.png").size == (960, 540)
