"""Each vocabulary has one home in the core, and the CLI's choices, the map page's controls and the
core's checks are read from it (issue 15): indicator kinds (indicators/kinds.py), overlap modes
(overlaps/aggregate.py), relationship methods (overlaps/relate.py), print page sizes and name
labels (maps/print_choices.py), classification schemes (maps/classify.py) and palettes
(maps/palettes.py). The tests compare every reader with the home, then add an entry to the home
and see the CLI offer it."""
from __future__ import annotations

import re

import pytest
import shapely

from factories import THREE_LADS, feature, lonlat_boxes, write_geojson
from geohub.errors import InputError
from geohub.indicators.kinds import KINDS
from geohub.maps.classify import SCHEMES
from geohub.maps.palettes import PALETTES
from geohub.maps.print_choices import LABELS, SIZES
from geohub.overlaps.aggregate import MODES
from geohub.overlaps.relate import METHODS


def cli_choices(command: str, option: str) -> list[str]:
    """The choices ``geohub COMMAND --OPTION`` offers (as its --help and its parser see them)."""
    from geohub.cli import cli
    [param] = [p for p in cli.commands[command].params if p.name == option]
    return list(param.type.choices)


def select_options(page: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of each option of the page's <select name=NAME>."""
    block = re.search(rf'<select name="{name}">(.*?)</select>', page, re.DOTALL)
    assert block, f"no <select name={name}>"
    return [(value or text, text) for value, text in
            re.findall(r'<option(?: value="([^"]*)")?[^>]*>([^<]*)</option>', block.group(1))]


@pytest.fixture
def small_app(geohub, tmp_path, store_path):
    """Three hand-made LADs, one LEP made of them, and a count on the LADs: its LEP map is
    aggregated, so the page shows every control."""
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)).exit_code == 0
    lep = write_geojson(tmp_path / "lep.geojson", [feature(
        {"LEP21CD": "E37000001", "LEP21NM": "Tees Valley"}, shapely.box(-2, 52, -1.7, 52.1))])
    assert geohub("import-boundaries", lep).exit_code == 0
    values = tmp_path / "v.csv"
    values.write_text("area_code,period,value\nE06000001,2020,1\nE06000002,2020,2\nE06000003,2020,3\n")
    assert geohub("import-indicator", values, "--id", "jobs", "--title", "Jobs", "--kind", "count").exit_code == 0
    from geohub import create_app
    return create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                       "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")})


@pytest.fixture
def lep_map_page(small_app) -> str:
    response = small_app.test_client().get("/maps/jobs?level=lep&overlay=lep")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_kinds(geohub):
    assert cli_choices("import-indicator", "kind") == list(KINDS)
    assert cli_choices("aggregate", "kind") == list(KINDS)
    from geohub.indicators.combine import combine
    from geohub.overlaps import aggregate
    for check in (lambda: combine(None, None, "median"), lambda: aggregate({}, None, "median")):
        with pytest.raises(InputError) as refused:
            check()
        assert refused.value.hint == f"Use one of: {', '.join(KINDS)}."


def test_modes(lep_map_page):
    assert cli_choices("export", "mode") == list(MODES)
    assert cli_choices("aggregate", "mode") == list(MODES)
    assert select_options(lep_map_page, "mode") == [(key, mode.label) for key, mode in MODES.items()]
    from geohub.maps.model import MapRequest
    with pytest.raises(InputError) as refused:
        MapRequest.from_args("jobs", {"mode": "half"})
    assert refused.value.hint == "Use mode=full or mode=split."
    assert str(refused.value).endswith("Use --mode full or --mode split.")


def test_methods():
    assert cli_choices("overlaps", "method") == list(METHODS)
    assert cli_choices("aggregate", "method") == ["auto", *METHODS]
    from geohub.store.schema import DERIVED_METHODS
    assert set(DERIVED_METHODS) <= set(METHODS)  # the store keeps some of them, by name
    from geohub.overlaps import relate
    with pytest.raises(InputError) as refused:
        relate(None, None, method="nearest")
    assert refused.value.hint == f"Use one of: {', '.join(METHODS)}."


def test_print_sizes(lep_map_page):
    assert cli_choices("export", "size") == list(SIZES)
    downloads = lep_map_page.split('id="downloads"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r"<span>(.*?):\s*<a", downloads, re.DOTALL) == [p.label for p in SIZES.values()]
    linked = re.findall(r'href="[^"]*\.png\?([^"]*)"', downloads)
    pairs = [(re.search(r"size=([a-z0-9-]+)", q).group(1), int(re.search(r"dpi=(\d+)", q).group(1)))
             for q in linked]
    assert pairs == [(size, dpi) for size, page in SIZES.items() for dpi in page.print_dpis]
    from geohub.maps.static_render import PrintOptions
    for size, page in SIZES.items():
        options = PrintOptions.from_args({"size": size, "dpi": "150"})
        assert options.pixels == (round(page.width * 150), round(page.height * 150))
    with pytest.raises(InputError) as refused:
        PrintOptions.from_args({"size": "a3"})
    assert refused.value.hint == f"Use one of: {', '.join(SIZES)}."


def test_labels(lep_map_page):
    assert cli_choices("export", "labels") == list(LABELS)
    assert select_options(lep_map_page, "labels") == list(LABELS.items())
    from geohub.maps.model import MapRequest
    from geohub.maps.static_render import PrintOptions
    for parse in (lambda v: MapRequest.from_args("jobs", {"labels": v}).labels,
                  lambda v: PrintOptions.from_args({"labels": v}).labels):
        assert [parse(v) for v in LABELS] == list(LABELS)
        with pytest.raises(InputError) as refused:
            parse("some")
        assert refused.value.message == "Unknown labels='some'."


def test_schemes_and_palettes(lep_map_page):
    assert cli_choices("export", "scheme") == list(SCHEMES)
    assert select_options(lep_map_page, "scheme") == [(key, s.label) for key, s in SCHEMES.items()]
    assert cli_choices("export", "palette") == list(PALETTES)
    assert [value for value, _ in select_options(lep_map_page, "palette")] == list(PALETTES)


def test_a_new_entry_in_a_home_is_offered_everywhere(monkeypatch, geohub, small_app):
    """The CLI reads each home when it parses and the map page when it renders, so nothing else
    changes when a home grows."""
    from geohub.maps.print_choices import PageSize
    monkeypatch.setitem(KINDS, "index", "a weighted mean")
    monkeypatch.setitem(MODES, "largest", MODES["split"])
    monkeypatch.setitem(SIZES, "a3-landscape", PageSize("A3 landscape", 16.5, 11.7, (150,)))
    monkeypatch.setitem(LABELS, "capitals", "on the largest areas")
    assert cli_choices("import-indicator", "kind")[-1] == "index"
    assert cli_choices("aggregate", "mode")[-1] == "largest"
    assert "a3-landscape" in geohub("export", "--help").output
    refused = geohub("export", "jobs", "--format", "png", "--size", "a2")
    assert refused.exit_code == 2 and "a3-landscape" in refused.output
    page = small_app.test_client().get("/maps/jobs?level=lep").get_data(as_text=True)
    assert select_options(page, "mode")[-1] == ("largest", MODES["split"].label)
    assert select_options(page, "labels")[-1] == ("capitals", "on the largest areas")
    assert "A3 landscape:" in page and "size=a3-landscape&amp;dpi=150" in page


def test_the_readme_lists_the_modes_and_labels():
    from conftest import REPO
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert re.search(r"`mode=([a-z|]+)`", text).group(1).split("|") == list(MODES)
    assert re.search(r"&labels=([a-z|]+)`", text).group(1).split("|") == list(LABELS)
