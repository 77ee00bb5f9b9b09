"""Area profiles: each indicator's latest value with period and unit, England's value, the rank
among the area's level (checked against the source file), a small chart where there are several
periods; the memberships table says what its percentages are and has no repeated row."""
import csv
import re

import pytest

from conftest import INDICATORS

pytestmark = pytest.mark.real_data

APS = INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv"
ROW = re.compile(r'<tr><td><a href="/maps/(\w+)[^"]*">[^<]*</a></td><td>([^<]*)</td><td class="num">([^<]*)</td>\s*'
                 r'<td class="num">([^<]*)</td><td>([^<]*)</td><td>(.*?)</td></tr>', re.S)


def aps(period):
    with open(APS, newline="") as fh:
        return {r["area_code"]: (r["nomis_geography_type"], float(r["value"]))
                for r in csv.DictReader(fh) if r["period"] == period and r["value"]
                and r["variable"] == "T01:28 (Aged 16-64 - In employment : All People )"}


def profile(client, code):
    response = client.get(f"/areas/{code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, {m[0]: m[1:] for m in ROW.findall(page)}


def test_leeds_profile_gives_latest_value_england_and_rank_from_the_file(client):
    page, rows = profile(client, "E08000035")
    period, value, england, rank, chart = rows["employed"]
    latest = aps("Jan 2022-Dec 2022")
    assert period == "Jan 2022-Dec 2022"
    assert value == f"{latest['E08000035'][1]:,.0f} people"
    assert england == f"{latest['E92000001'][1]:,.0f} people"
    above = sum(1 for kind, v in latest.values() if kind == "ladu" and v > latest["E08000035"][1])
    assert rank.startswith(f"{above + 1} of ") and rank.endswith("local authority districts")
    assert '<svg class="sparkline"' in chart and 'aria-label="' in chart   # five periods: a chart
    assert rows["pop"][0] == "2020" and "<svg" not in rows["pop"][4]      # one period: none


def test_a_lep_profile_has_aggregated_figures(client):
    page, rows = profile(client, "E37000062")                 # Leeds City Region LEP
    assert rows["employed"][0] == "Jan 2022-Dec 2022"
    assert rows["employed"][3].endswith("local enterprise partnerships")
    assert "No indicator has a value" not in page


def test_memberships_say_what_their_percentages_are_and_do_not_repeat(client):
    page, _ = profile(client, "E08000035")
    assert "A percentage is the share of this area's land inside that one" in " ".join(page.split())
    table = page[page.index("<h2>Memberships</h2>"):page.index('id="values-title"')]
    keys = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td>", table)
    assert keys and len(keys) == len(set(keys))
