"""The map benchmark's byte accounting: the page's data request (the level's TopoJSON) is counted in
the map bytes, the /static files apart as library bytes, and the completeness check sees all 374
LADs. No timing is asserted (speed lives in bench/map_bench.py, not in the tests)."""
import json
import re

import pytest

from conftest import load_bench

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def bench():
    return load_bench("map_bench")


def test_page_resources_reads_layer_options_and_asset_tags(bench):
    html = """<head><link rel="stylesheet" href="/static/a.css"><link rel="icon" href="data:,">
    <script src="https://cdn.example/x.js"></script></head><body>
    <script src="/static/m.js"></script>
    <script>var l1 = geohub.choropleth(map_1, {"url": "/api/topology/lad?vintage=2021\\u0026k=1",
      "areas": {"E1": {"c": 0}}});
    var l2 = geohub.marked(map_1, {"url": "/api/topology/lad?vintage=2021\\u0026k=1", "codes": []});
    var l3 = geohub.overlay(map_1, {"url": "/api/topology/lep?vintage=2021"});</script></body>"""
    found = bench.page_resources(html)
    assert found["data"] == ["/api/topology/lad?vintage=2021&k=1", "/api/topology/lep?vintage=2021"]
    assert found["library"] == ["/static/a.css", "/static/m.js"]
    assert found["remote"] == ["https://cdn.example/x.js"]
    assert found["unparsed_api"] == []
    missed = html.replace('"/api/topology/lep?vintage=2021"', "u").replace("</body>",
                          "<script>fetch('/api/areas/lad')</script></body>")
    assert bench.page_resources(missed)["unparsed_api"] == ["/api/areas/lad"]


def test_map_bytes_count_the_topology_request(bench, client):
    response = client.get(bench.URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    counted = bench.account(client, html)
    bodies = counted.pop("_bodies")

    urls = [row["url"] for row in counted["data"]]
    assert len(urls) == 1 and re.fullmatch(r"/artifacts/[0-9a-f]{64}\.json", urls[0])  # content-addressed
    topology = client.get(urls[0]).get_data()
    assert topology == client.get("/api/topology/lad?vintage=2021").get_data()
    assert counted["data"][0]["gzip_bytes"] == bench.gzip_size(topology) > 10_000
    assert counted["map_bytes_gzip"] == bench.gzip_size(html) + bench.gzip_size(topology)
    assert counted["requests"] == 2 and not counted["remote"] and not counted["unparsed_api"]

    library = [row["url"] for row in counted["library"]]
    assert library and all(url.startswith("/static/") for url in library)
    assert any(url.endswith("leaflet.js") for url in library)
    assert counted["library_bytes_gzip"] == sum(row["gzip_bytes"] for row in counted["library"])
    assert all(row["revalidation_status"] == 304 for row in counted["library"])

    codes = {g["properties"]["code"] for g in json.loads(topology)["objects"]["areas"]["geometries"]}
    check = bench.check_geohub(html, bodies, codes)
    assert check["complete"], check
    assert check["embedded_codes"] == check["topology_geometries"] == 374
