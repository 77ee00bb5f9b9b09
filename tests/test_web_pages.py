"""Pages rendered by the Flask app: home with search, map page state in the URL, area and
overlaps pages, and escaping of every stored string."""
import re

import pytest

from factories import lonlat_boxes

pytestmark = pytest.mark.real_data

EVIL = "<img src=x onerror=alert(1)>"


def test_home_lists_indicators_levels_and_searches(client):
    page = client.get("/").get_data(as_text=True)
    assert "Population mid-2020" in page and "/maps/pop" in page and "/overlaps/lad/lep" in page
    found = client.get("/?q=manchester").get_data(as_text=True)
    assert "/areas/E08000003" in found and "/areas/E47000001" in found
    assert "/areas/E08000003" in client.get("/?q=E08000003").get_data(as_text=True)


def test_map_page_carries_its_state(client):
    response = client.get("/maps/pop?level=lad&vintage=2021&period=2020&scheme=natural_breaks&k=6"
                          "&palette=Blues&overlay=lep,cauth")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<option value="natural_breaks" selected>' in page and 'name="k" type="number" min="2" max="9" value="6"' in page
    assert '<option selected>Blues</option>' in page and 'value="lep,cauth"' in page
    boundaries = re.findall(r'"url": "(/artifacts/[0-9a-f]{64}\.json)"', page)
    assert len(set(boundaries)) == 3       # LADs and the LEP and CA overlays, content-addressed
    topo = client.get(boundaries[0])
    assert topo.get_json()["type"] == "Topology" and "immutable" in topo.headers["Cache-Control"]
    assert page.count('class="swatch"') == 7          # six classes and "No data"
    assert "Open Government Licence" in page and "ONS mid-year estimates" in page
    assert "7 areas in more than one lep" in page


def test_map_page_is_local_and_under_a_strict_csp(client):
    response = client.get("/maps/pop")
    page = response.get_data(as_text=True)
    assets = re.findall(r'<script[^>]*\bsrc="([^"]+)"|<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page)
    assert assets and all(u.startswith("/static/") for pair in assets for u in pair if u)
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page):   # every inline script has the nonce
        assert f'nonce="{nonce}"' in tag
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_aggregated_level_says_how_it_was_built(client):
    page = client.get("/maps/pop?level=lep&vintage=2021").get_data(as_text=True)
    # No official LAD -> LEP lookup is stored: best fit by the stored centroids, whole councils.
    assert "Sum of member councils, by best fit by population-weighted centroids" in page
    assert "7 councils count in full in two or more Local Enterprise Partnerships" in page
    assert "Cannock Chase" in page and 'href="/overlaps/lad/lep"' in page
    assert '<option value="full" selected>' in page
    split = client.get("/maps/pop?level=lep&vintage=2021&mode=split").get_data(as_text=True)
    assert "7 councils are split between two or more Local Enterprise Partnerships" in split
    ca = client.get("/maps/pop?level=cauth&vintage=2021").get_data(as_text=True)
    assert "Sum of member councils, by official ONS lookup" in ca


@pytest.mark.parametrize("query,fragment", [("k=1", "classes is out of range"),
                                            ("scheme=rainbow", "Unknown classification"),
                                            ("palette=Jet", "colour-blind safe"),
                                            ("overlay=wards", "Unknown overlay"),
                                            ("period=1999", "no values for period")])
def test_bad_map_state_is_a_clear_error(client, query, fragment):
    response = client.get(f"/maps/pop?{query}")
    assert response.status_code in (400, 404) and fragment in response.get_data(as_text=True)


def test_rate_to_another_level_needs_a_weight(geohub, real_store_path, tmp_path):
    rates = tmp_path / "r.csv"
    rates.write_text("area_code,period,value\n" + "".join(
        f"E0800000{i},2020,{50 + i}\n" for i in range(1, 10)))
    assert geohub("import-indicator", rates, "--id", "rate", "--title", "A rate", "--kind", "rate",
                  "--unit", "%").exit_code == 0
    assert geohub("import-indicator", rates, "--id", "weight", "--title", "A count",
                  "--kind", "count").exit_code == 0
    from geohub import create_app
    client = create_app({"GEOHUB_STORE": str(real_store_path), "GEOHUB_DATABASE_URL": "",
                         "TESTING": True, "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")}).test_client()
    refused = client.get("/maps/rate?level=cauth&vintage=2021")
    assert refused.status_code == 400
    assert "Choose a weight: weight (A count)" in refused.get_data(as_text=True)
    page = client.get("/maps/rate?level=cauth&vintage=2021&weight=weight").get_data(as_text=True)
    assert "averaged, weighted by A count (2020)" in page
    # The LAD map offers the weight, preselected, so choosing a combined level needs no URL edit.
    lad = client.get("/maps/rate").get_data(as_text=True)
    assert '<select name="weight">' in lad and '<option value="weight" selected>A count</option>' in lad
    for weight, fragment in (("rate", "is a rate, not a count"), ("nope", "There is no indicator &#39;nope&#39;")):
        response = client.get(f"/maps/rate?level=cauth&vintage=2021&weight={weight}")
        assert response.status_code in (400, 404) and fragment in response.get_data(as_text=True)


def test_area_page_memberships_and_values(client):
    page = client.get("/areas/E08000003").get_data(as_text=True)
    assert "Manchester" in page and "Greater Manchester" in page and "Combined authority" in page
    assert "Population mid-2020" in page
    assert client.get("/areas/E99999999").status_code == 404


def test_overlaps_page(client):
    page = client.get("/overlaps/lad/lep").get_data(as_text=True)
    assert "(2021)" in page and "Cannock Chase" in page and "cut across each other" in page


@pytest.mark.parametrize("url", ["/areas/E08000003", "/overlaps/lad/lep"])
def test_warm_pages_do_not_ask_the_store_for_its_sets_again(client, monkeypatch, url):
    """The boundary sets (a GROUP BY over every area) are kept once per store revision: a page
    served before asks only for the revision."""
    from geohub.store.sql import SqlStore
    assert client.get(url).status_code == 200
    asked = []
    read = SqlStore.boundary_sets
    monkeypatch.setattr(SqlStore, "boundary_sets", lambda self: asked.append(1) or read(self))
    assert client.get(url).status_code == 200 and asked == []


@pytest.fixture
def evil_app(geohub, tmp_path, store_path):
    """A store whose area names, indicator title and unit are HTML."""
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "b.geojson",
                  [("E06000001", EVIL), ("E06000002", "Plain")])).exit_code == 0
    values = tmp_path / "v.csv"
    values.write_text("area_code,period,value\nE06000001,2020,5\nE06000002,2020,7\n")
    assert geohub("import-indicator", values, "--id", "evil", "--title", "<b>bold</b> & co",
                  "--unit", "<script>alert(2)</script>", "--kind", "count",
                  "--source", '<a href="javascript:alert(3)">src</a>').exit_code == 0
    from geohub import create_app
    return create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                       "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")})


def test_stored_strings_are_escaped_in_html(evil_app):
    client = evil_app.test_client()
    for url in ("/maps/evil", "/areas/E06000001", "/?q=E06000001", "/"):
        page = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "<b>bold" not in page and "<script>alert(2)" not in page
        assert 'href="javascript:' not in page
    page = client.get("/maps/evil").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page   # names reach scripts as escaped JSON
