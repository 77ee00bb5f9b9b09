"""Print maps a report can use as they are, for three real maps (LADs UK-wide, the 10 combined
authorities of 2021 around their England, the 38 LEPs of 2021 in full mode) in every size and
format: from matplotlib's own extents, the title, subtitle, legend, scale bar, name labels and
source lines stay on the page, overlap no other text, and (all but the labels, which name the
area under them) cover no mapped area; type is readable; SVG keeps its text as <text> with a
<title> and <desc>; PDFs embed no Type 3 font; PNG and PDF carry title and author metadata."""
import io
import itertools
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

pytestmark = pytest.mark.real_data

MAPS = {"lad": {"level": "lad", "vintage": "2021", "period": "2020"},
        "cauth": {"level": "cauth", "vintage": "2021"},
        "lep": {"level": "lep", "vintage": "2021", "mode": "full"}}
SIZES = ("a4-portrait", "a4-landscape", "slide", "screen")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def maps(web_template):
    """name -> (MapData, MapContext) for MAPS, built from the real store."""
    from geohub.maps.context import map_context
    from geohub.maps.model import MapBuilder, MapRequest
    from geohub.store import open_store
    with open_store(web_template) as store:
        builder = MapBuilder(store)
        out = {}
        for name, args in MAPS.items():
            data = builder.build(MapRequest.from_args("pop", args))
            out[name] = (data, map_context(builder, data))
        return out


def laid_out(data, context, size):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from geohub.maps.static_render import PrintOptions, draw
    fig = draw(data, PrintOptions.from_args({"size": size}), context)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return fig, canvas.get_renderer()


def mapped_cover(fig, bbox, data) -> float:
    """Area (m²) of the mapped areas under a box of the page (display coordinates)."""
    import shapely
    ax = fig.geohub_parts["ax"]
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([[bbox.x0, bbox.y0], [bbox.x1, bbox.y1]])
    box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return float(shapely.area(shapely.intersection(data.table.geometry.values, box)).sum())


@pytest.mark.parametrize("name,size", list(itertools.product(MAPS, SIZES)))
def test_layout_keeps_text_on_the_page_and_off_the_map(maps, name, size):
    data, context = maps[name]
    fig, renderer = laid_out(data, context, size)
    parts = fig.geohub_parts
    page = fig.bbox
    fixed = {key: parts[key].get_window_extent(renderer)
             for key in ("title", "subtitle", "legend", "scale_bar", "notes")}
    labels = {f"label {t.get_text()!r}": t.get_window_extent(renderer) for t in parts["labels"]}
    boxes = {**fixed, **labels}
    for key, box in boxes.items():
        assert box.width > 0 and box.height > 0, key
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, key
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), (a, b)
    for key, box in fixed.items():
        assert mapped_cover(fig, box, data) == 0, key          # no text over the data
    frame = parts["ax"].get_window_extent(renderer)
    bar = fixed["scale_bar"]
    assert frame.x0 <= bar.x0 and bar.x1 <= frame.x1 and frame.y0 <= bar.y0 and bar.y1 <= frame.y1
    for key, box in labels.items():                             # names sit in the map's frame
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, key

    # Placement: the legend beside the map on landscape pages, under it on portrait ones.
    legend = fixed["legend"]
    if size == "a4-portrait":
        assert legend.y1 <= frame.y0
    else:
        assert legend.x0 >= frame.x1
    # Readable type: source and licence lines >= 7 pt on A4, >= 12 px (at 96 px/in) on screens.
    notes_pt = parts["notes"].get_fontsize()
    assert notes_pt >= 7 if size.startswith("a4") else notes_pt * 96 / 72 >= 12
    notes = parts["notes"].get_text().replace("\n", " ")
    assert "ONS mid-year estimates" in notes and "Open Government Licence" in notes
    assert "Contains OS data" in notes
    title = parts["legend"].get_title().get_text().replace("\n", " ")
    assert "Population mid-2020" in title and "people" in title and data.period in title

    # Names: automatic for the CAs and LEPs (<= 40 areas), none on the 374 LADs.
    if name == "lad":
        assert parts["labels"] == []
    else:
        shown = {t.get_text().replace("\n", " ") for t in parts["labels"]}
        assert len(shown) >= (5 if name == "cauth" else 12), shown
        assert shown <= set(data.table["name"])


def test_combined_authorities_sit_in_england(maps):
    data, context = maps["cauth"]
    fig, renderer = laid_out(data, context, "a4-landscape")
    parts = fig.geohub_parts
    assert "E92000001" in parts["outline_codes"]                # England's outline is drawn
    outline = next(c for c in parts["ax"].collections if c.get_gid() == "context-outline")
    assert outline.get_visible() and len(outline.get_paths()) >= 1
    # ... over the districts that are in no combined authority, listed in the legend
    uncovered = next(c for c in parts["ax"].collections if c.get_gid() == "context-areas")
    assert len(uncovered.get_paths()) > 100
    entries = [t.get_text() for t in parts["legend"].get_texts()]
    assert "Not part of any combined authority" in entries
    # The LAD map needs no context; the LEP map shows Wales as in no LEP.
    assert maps["lad"][1] is None
    assert maps["lep"][1].label == "Not part of any Local Enterprise Partnership"


def test_labels_option(maps):
    from geohub.errors import InputError
    from geohub.maps.static_render import PrintOptions, draw
    data, context = maps["cauth"]
    assert draw(data, PrintOptions("a4-landscape", 150, "none"), context).geohub_parts["labels"] == []
    with pytest.raises(InputError, match="labels"):
        PrintOptions.from_args({"labels": "some"})


@pytest.mark.parametrize("name", MAPS)
def test_every_size_and_format_is_an_editable_accessible_file(maps, name, tmp_path):
    from geohub.maps.static_render import PrintOptions, render
    data, context = maps[name]
    for size in SIZES:
        options = PrintOptions.from_args({"size": size, "dpi": "72"})
        svg = render(data, "svg", options, context)
        root = ET.fromstring(svg)
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        assert "Population mid-2020" in texts, texts[:5]
        assert any("Open Government Licence" in t for t in texts)
        assert "font-family: 'DejaVu Sans'" in svg.decode() and "sans-serif" in svg.decode()
        assert root.find(f"{SVG}title").text == "Population mid-2020"
        assert "Population mid-2020" in root.find(f"{SVG}desc").text
        if name == "cauth":
            assert root.find(f".//{SVG}g[@id='context-outline']") is not None
            assert "West Midlands" in texts                        # names are text too

        pdf = tmp_path / f"{name}-{size}.pdf"
        pdf.write_bytes(render(data, "pdf", options, context))
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all("TrueType" in row for row in rows), fonts
        assert "Type 3" not in fonts
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Title:\s+Population mid-2020$", info, re.M)
        assert re.search(r"^Author:\s+geohub$", info, re.M)

        png = Image.open(io.BytesIO(render(data, "png", options, context)))
        assert png.size == options.pixels
        assert png.info["Title"] == "Population mid-2020" and png.info["Author"] == "geohub"
        assert "Contains OS data" in png.info["Copyright"]
