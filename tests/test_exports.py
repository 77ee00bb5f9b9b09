"""Exports: images of the right size and resolution with the map's colours, one-page PDFs, SVG
that parses, CSV and GeoJSON equal to the map's values, a self-contained HTML file that works with
the network off, and the CLI."""
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from conftest import ARTIFACTS
from live import browser

pytestmark = pytest.mark.real_data
QUERY = "level=lad&vintage=2021&period=2020&overlay=lep"


def map_values(client, query=QUERY):
    data = client.get(f"/api/indicators/pop?{query}").get_json()
    return {v["code"]: v["value"] for v in data["values"]}, data


def legend_colours(client):
    page = client.get(f"/maps/pop?{QUERY}").get_data(as_text=True)
    import re
    return re.findall(r'class="swatch" data-colour="(#[0-9a-f]{6})"', page)


@pytest.mark.parametrize("size,dpi,pixels", [("a4-landscape", 300, (3508, 2480)),
                                             ("a4-portrait", 150, (1240, 1754)),
                                             ("slide", 150, (2000, 1125)),
                                             ("screen", "screen", (1280, 800))])
def test_png_size_resolution_and_colours(client, size, dpi, pixels):
    response = client.get(f"/maps/pop.png?{QUERY}&size={size}&dpi={dpi}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert f'filename="pop_lad_2021_2020_{size}-' in response.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert image.size == pixels
    expected_dpi = 96 if dpi == "screen" else dpi
    assert image.info.get("dpi", (0, 0))[0] == pytest.approx(expected_dpi, abs=1)
    pixels_arr = np.asarray(image).reshape(-1, 3)
    assert pixels_arr.std() > 20                                   # not blank
    present = {"#%02x%02x%02x" % tuple(p) for p in np.unique(pixels_arr, axis=0)}
    for colour in legend_colours(client):                         # every class and "No data"
        assert colour in present, colour
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


def test_csv_equals_the_map_values(client):
    import csv
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


def test_aggregated_csv_carries_the_trace(client):
    import csv
    rows = list(csv.DictReader(io.StringIO(client.get("/maps/pop.csv?level=lep&vintage=2021").get_data(as_text=True))))
    values, data = map_values(client, "level=lep&vintage=2021")
    assert {"trace", "mode", "method"} <= set(rows[0])
    row = next(r for r in rows if r["code"] == "E37000005")        # Cornwall and Isles of Scilly
    assert set(row["trace"].split("; ")) == {"E06000052:1", "E06000053:1"}
    assert float(row["value"]) == values["E37000005"]


def test_geojson_export(client):
    body = json.loads(client.get(f"/maps/pop.geojson?{QUERY}").data)
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 374
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert props["E08000003"]["value"] == map_values(client)[0]["E08000003"]
    assert props["S12000005"]["value"] is None and props["S12000005"]["class"] == -1
    assert body["geohub"]["level"] == "lad" and len(body["geohub"]["breaks"]) == 5


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
    written = tmp_path / "pop_lep_2021_2020_a4-portrait.pdf"
    assert len(PdfReader(written).pages) == 1
    png = geohub("export", "pop", "--format", "png", "--size", "slide", "--dpi", "72",
                 "--output", tmp_path / "x.png")
    assert png.exit_code == 0 and Image.open(tmp_path / "x.png").size == (960, 540)
