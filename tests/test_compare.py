"""Comparison of areas: /compare and /compare.csv, against the source Nomis file, and the SVG chart
drawn on the server (England dashed as the reference line)."""
import csv
import io
import re

import pytest

from conftest import INDICATORS
from geohub.maps.charts import line_chart
from geohub.web.compare import parse_areas

APS = INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv"
EMPLOYED = "T01:28 (Aged 16-64 - In employment : All People )"


def source_values(code):
    with open(APS, newline="") as fh:
        return {r["period"]: float(r["value"]) for r in csv.DictReader(fh)
                if r["area_code"] == code and r["variable"] == EMPLOYED}


def test_parse_areas_keeps_order_and_drops_repeats():
    assert parse_areas(" e08000035, E08000003;E08000035 ,") == ["E08000035", "E08000003"]


def test_chart_draws_each_series_and_a_dashed_reference():
    svg = line_chart([("A <b>", {"2020": 1.0, "2021": 2.0}), ("B", {"2020": 3.0, "2021": None})],
                     ["2020", "2021"], title="T & co", reference=("England", {"2020": 2.0, "2021": 2.5}))
    assert svg.count("<polyline") == 3 and svg.count('stroke-dasharray="6 4"') == 1
    assert "A &lt;b&gt;" in svg and "<b>" not in svg and "T &amp; co" in svg
    assert svg.count("<circle") == 2 + 1 + 2               # B's missing 2021 is not drawn


@pytest.mark.real_data
def test_leeds_and_manchester_over_the_aps_periods_match_the_file(client):
    response = client.get("/compare.csv?areas=E08000035,E08000003&indicator=employed")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["period", "Leeds (E08000035)", "Manchester (E08000003)", "England (E92000001)"]
    leeds, manchester, england = (source_values(c) for c in ("E08000035", "E08000003", "E92000001"))
    assert [r[0] for r in rows[1:]] == sorted(leeds)        # every APS period, oldest first
    for period, a, b, e in rows[1:]:
        assert (float(a), float(b), float(e)) == (leeds[period], manchester[period], england[period])


@pytest.mark.real_data
def test_compare_page_holds_its_state_and_mixes_levels(client):
    page = client.get("/compare?areas=E08000035,E47000001&indicator=employed").get_data(as_text=True)
    assert 'value="E08000035, E47000001"' in page and '<option value="employed" selected>' in page
    assert "Combined authority" in page and "<svg class=\"chart\"" in page
    assert page.count("<polyline") == 2        # employment is a count: England is in the table only
    assert re.search(r"/compare.csv\?areas=E08000035(,|%2C)E47000001&amp;indicator=employed", page)


@pytest.mark.real_data
@pytest.mark.parametrize("areas, status, said", [
    ("E08000035,E99999999", 400, "no area with code 'E99999999'"),
    (",".join(f"E0800000{i}" for i in range(1, 10)), 400, "2 to 8 areas; 9 given"),
])
def test_a_refused_comparison_keeps_the_form(client, areas, status, said):
    response = client.get(f"/compare?areas={areas}&indicator=employed")
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == status and said in page
    assert page.index('role="alert"') < page.index('<form class="compare-controls"')


@pytest.mark.real_data
def test_compare_is_reachable_from_area_pages_and_search(client):
    area = client.get("/areas/E08000035").get_data(as_text=True)
    assert '/compare?areas=E08000035' in area
    found = client.get("/?q=53.4808,-2.2426").get_data(as_text=True)
    link = re.search(r'href="(/compare\?areas=[^"]+)">Compare these areas', found).group(1)
    assert "E08000003" in link and "E47000001" in link
