"""Search: names and GSS codes ranked exact, prefix, substring; coordinates (lat/lon or BNG) list
every stored area containing the point, across levels and vintages, with level names."""
import csv
import re

import pandas as pd
import pytest

from conftest import SHARED_DATA

from geohub.geography.search import group_point_hits, parse_point, search_names


def test_parse_point_reads_degrees_and_the_national_grid():
    p = parse_point("53.4808, -2.2426")
    assert (p.lat, p.lon, p.read_as) == (53.4808, -2.2426, "latitude, longitude")
    assert parse_point("53.48 -2.24").lat == 53.48
    bng = parse_point("383800, 398200")          # Manchester town hall, to about 100 m
    assert bng.read_as.startswith("British National Grid")
    assert abs(bng.lat - 53.480) < 0.002 and abs(bng.lon - -2.2456) < 0.002
    assert parse_point("Manchester") is None and parse_point("12, 9000000") is None


def test_names_rank_exact_then_prefix_then_substring():
    directory = pd.DataFrame({
        "code": ["E47000001", "E08000003", "E08000003", "E99000001", "E99000002"],
        "name": ["Greater Manchester", "Manchester", "Manchester", "Manchester Airport", "Old Trafford"],
        "level": ["cauth", "lad", "lad", "lep", "lad"],
        "vintage": [2021, 2021, 2025, 2021, 2021]})
    found = search_names(directory, "manchester")
    assert list(found["code"]) == ["E08000003", "E99000001", "E47000001"]
    assert found.loc[0, "vintages"] == [2021, 2025]            # one row per area, its vintages
    assert list(search_names(directory, "e0800")["code"]) == ["E08000003"]
    assert search_names(directory, "nowhere").empty


def test_point_hits_grouped_by_area_in_level_order():
    hits = [{"code": "E47000001", "name": "Greater Manchester", "level": "cauth", "set_vintage": 2024},
            {"code": "E08000003", "name": "Manchester", "level": "lad", "set_vintage": 2025},
            {"code": "E47000001", "name": "Greater Manchester", "level": "cauth", "set_vintage": 2021},
            {"code": "E08000003", "name": "Manchester", "level": "lad", "set_vintage": 2021}]
    rows = group_point_hits(hits)
    assert [(r["code"], r["vintages"]) for r in rows] == [("E08000003", [2021, 2025]),
                                                          ("E47000001", [2021, 2024])]


ROW = re.compile(r'<tr><td><a href="/areas/([^"]+)">([^<]+)</a></td>\s*<td class="code">[^<]*</td>'
                 r'<td class="level">([^<]+)</td>')


def results(client, q):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    start = page.index('id="results-title"')      # the areas' results, not the places'
    return ROW.findall(page[start:page.index("</section>", start)])


@pytest.mark.real_data
def test_manchester_lists_the_city_before_greater_manchester(client):
    rows = results(client, "Manchester")
    codes = [code for code, _, _ in rows]
    assert codes[0] == "E08000003" and codes.index("E08000003") < codes.index("E47000001")
    assert ("E47000001", "Greater Manchester", "Combined authority") in rows   # level names, not codes
    assert all(level != "cauth" for _, _, level in rows)


@pytest.mark.real_data
@pytest.mark.parametrize("q", ["53.4808, -2.2426", "383800, 398200"])
def test_coordinates_land_on_the_lad_lep_ca_and_lsip(client, q):
    rows = {(code, level) for code, _, level in results(client, q)}
    assert {("E08000003", "Local authority district"), ("E37000015", "Local Enterprise Partnership"),
            ("E47000001", "Combined authority"),
            ("E69000014", "Local Skills Improvement Plan area")} <= rows
    assert ("E12000002", "Region") in rows and ("E92000001", "Country") in rows


@pytest.mark.real_data
def test_a_point_outside_every_area_says_so(client):
    page = client.get("/", query_string={"q": "0.0, 0.0"}).get_data(as_text=True)
    assert "No stored area contains this point." in page


def test_place_rows_are_named_points_of_place_levels():
    from geohub.geography.search import split_places
    found = pd.DataFrame({"code": ["E02002247", "E02000001", "E08000033"],
                          "name": ["Hebden Bridge", None, "Calderdale"],
                          "level": ["msoa", "msoa", "lad"], "vintages": [[2021]] * 3, "match": [0] * 3})
    areas, places = split_places(found)
    assert list(areas["code"]) == ["E08000033"]
    assert list(places["code"]) == ["E02002247"]       # an unnamed point is not a place


LOOKUPS = SHARED_DATA / "lookups" / "ons"
OPL = "Contains Parliamentary information licensed under the Open Parliament Licence v3.0"


def lookup_row(name, column, code):
    with open(LOOKUPS / name, newline="", encoding="utf-8-sig") as fh:
        return next(r for r in csv.DictReader(fh) if r[column] == code)


def hebden_bridge_expected() -> dict[str, str]:
    """Calderdale's CA and LSIP from the ONS lookups; its LEP from the May 2021 LEP boundaries
    (the shared data has no LAD-LEP lookup: Leeds City Region is the only one containing it)."""
    lad = "E08000033"
    return {"Local authority district": lad,
            "Combined authority": lookup_row("LAD21_CAUTH21_EN_LU_dfe_copy.csv", "LAD21CD", lad)["CAUTH21CD"],
            "Local Skills Improvement Plan area": lookup_row("LAD23_LSIP23_EN_LU_Aug2023.csv",
                                                             "LAD23CD", lad)["LSIP23CD"],
            "Local Enterprise Partnership": "E37000062",
            "Region": lookup_row("LAD21_RGN21_EN_LU_April2021.csv", "LAD21CD", lad)["RGN21CD"]}


@pytest.mark.real_data
def test_hebden_bridge_is_a_place_in_calderdale_west_yorkshire(client):
    page = client.get("/", query_string={"q": "Hebden Bridge"}).get_data(as_text=True)
    assert "Places matching “Hebden Bridge”" in page
    start = page.index('id="places-title"')
    section = page[start:page.index("</section>", start)]
    assert "<h3" in section and "Hebden Bridge</h3>" in section and "E02002247" in section
    rows = {(level, code) for code, _, level in ROW.findall(section)}
    expected = hebden_bridge_expected()
    assert expected["Combined authority"] == "E47000003" and expected["Region"] == "E12000003"
    assert {(level, code) for level, code in expected.items()} <= rows
    names = {name for _, name, _ in ROW.findall(section)}
    assert {"Calderdale", "West Yorkshire", "Leeds City Region"} <= names
    assert all(level not in ("lad", "lep", "cauth", "lsip") for level, _ in rows)   # level names
    assert f"Place names: {OPL}." in section
    assert "No area matches" not in page


@pytest.mark.real_data
def test_the_licence_shows_only_with_place_names(client):
    assert OPL not in client.get("/", query_string={"q": "Calderdale"}).get_data(as_text=True)
    place = client.get("/areas/E02002247").get_data(as_text=True)
    assert "Hebden Bridge" in place and OPL in place


@pytest.mark.real_data
def test_areas_come_before_places_that_contain_the_name(client):
    page = client.get("/", query_string={"q": "Manchester"}).get_data(as_text=True)
    assert page.index('id="results-title"') < page.index('id="places-title"')
    assert "Godmanchester</h3>" in page                  # a place in Huntingdonshire
