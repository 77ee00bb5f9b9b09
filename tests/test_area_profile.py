"""Area profiles: each indicator's latest value with period and unit, England's value, the rank
among the area's level (checked against the source file), a small chart where there are several
periods; the memberships table says what its percentages are and has no repeated row."""
import csv
import re

import pytest

from conftest import INDICATORS

pytestmark = pytest.mark.real_data

APS = INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv"
ROW = re.compile(r'<tr><td><a href="/maps/(\w+)[^"]*">[^<]*</a>(?: \(<a href="#built-\w+">[^<]*</a>\))?</td>'
                 r'<td>([^<]*)</td><td class="num">([^<]*)</td>\s*'
                 r'<td class="num">([^<]*)</td>(?:<td class="num">[^<]*</td>)?<td>([^<]*)</td><td>(.*?)</td></tr>',
                 re.S)
REGION = re.compile(r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td><td>[^<]*</td><td>')
MYE = INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv"


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


def mye() -> dict[str, int]:
    with open(MYE, newline="", encoding="utf-8-sig") as fh:
        return {r["ltla21_code"]: int(r["total_population"]) for r in csv.DictReader(fh)}


# Greater Birmingham and Solihull LEP's member councils in the May 2021 LEP boundaries (four of them
# also lie in a second LEP: Stoke-on-Trent and Staffordshire, or Worcestershire).
GBS_MEMBERS = {"E08000025": "Birmingham", "E07000234": "Bromsgrove", "E07000192": "Cannock Chase",
               "E07000193": "East Staffordshire", "E07000194": "Lichfield", "E07000236": "Redditch",
               "E08000029": "Solihull", "E07000199": "Tamworth", "E07000239": "Wyre Forest"}
BUILT_ROW = re.compile(r'<tr><td><a href="/areas/(\w+)">([^<]*)</a></td><td class="code">\w+</td>'
                       r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td><td class="num">([^<]*)</td></tr>')


def test_a_lep_profile_lists_what_its_figures_are_built_from(client):
    page, rows = profile(client, "E37000012")
    start = page.index('id="built-pop"')
    section = page[start:page.index("</section>", start)]
    found = BUILT_ROW.findall(section)
    assert {code: name for code, name, *_ in found} == GBS_MEMBERS
    population = mye()
    for code, _, share, value, counted in found:
        assert share == "whole"                      # a membership: each council counts whole
        assert value == counted == f"{population[code]:,} people"
    total = sum(population[c] for c in GBS_MEMBERS)
    assert re.search(rf'Total \(9 members\)</th><td class="num"></td><td class="num">{total:,} people</td>',
                     section)
    assert rows["pop"][1] == f"{total:,} people"      # the figure shown is the members' sum
    text = " ".join(section.split())
    assert "Sum of member councils" in text and "Mode “full”" in text
    assert "counts in full in each" in text
    assert re.search(r"Sum of member councils, by (official ONS lookup|best fit by population-weighted "
                     r"centroids|boundary overlap by area)", text)
    assert [name for _, name, *_ in found] == sorted(GBS_MEMBERS.values())    # by name


def test_a_council_profile_gives_its_regions_value(client):
    page, rows = profile(client, "E08000035")                  # Leeds, in Yorkshire and The Humber
    assert '<th scope="col">Yorkshire and The Humber</th>' in page
    row = page[page.index('href="/maps/pop'):]
    england, region = REGION.search(row).groups()
    region_codes = {r["LAD21CD"] for r in csv.DictReader(open(
        INDICATORS.parent / "lookups/ons/LAD21_RGN21_EN_LU_April2021.csv", encoding="utf-8-sig"))
        if r["RGN21CD"] == "E12000003"}
    population = mye()
    assert region == f"{sum(population[c] for c in region_codes):,} people"
    assert england == f"{sum(v for c, v in population.items() if c.startswith('E')):,} people"
