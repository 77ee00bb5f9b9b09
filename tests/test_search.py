"""Search: names and GSS codes ranked exact, prefix, substring; coordinates (lat/lon or BNG) list
every stored area containing the point, across levels and vintages, with level names."""
import re

import pandas as pd
import pytest

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
    return ROW.findall(response.get_data(as_text=True))


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
