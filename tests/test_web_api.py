"""The JSON API over the real boundaries: GeoJSON, topology with ETags, indicators, aggregation
traces, overlaps and point lookup; errors as JSON."""
import csv
import hashlib
import json

import pytest

from conftest import INDICATORS

pytestmark = pytest.mark.real_data


def mye():
    with open(INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv", newline="") as fh:
        return {r["ltla21_code"]: float(r["total_population"]) for r in csv.DictReader(fh)}


def test_levels(client):
    levels = {lv["level"]: lv for lv in client.get("/api/levels").get_json()}
    assert {"lad", "lep", "cauth", "lsip", "region"} <= set(levels)
    assert 2019 in levels["lad"]["vintages"] and 2021 in levels["lad"]["vintages"]


def test_areas_are_rfc7946_geojson(client):
    response = client.get("/api/areas/lep?vintage=2021")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = response.get_json()
    assert data["type"] == "FeatureCollection" and "crs" not in data and len(data["features"]) == 38
    from shapely.geometry import shape
    minx, miny, maxx, maxy = shape(data["features"][0]["geometry"]).bounds
    assert -7 < minx < maxx < 2 and 49 < miny < maxy < 56
    assert set(data["features"][0]["properties"]) == {"code", "name", "vintage"}


def test_topology_is_compact_shared_and_cacheable(client):
    first = client.get("/api/topology/lad?vintage=2021")
    topo = json.loads(first.data)
    assert topo["type"] == "Topology" and "transform" in topo        # quantised
    assert len(topo["objects"]["areas"]["geometries"]) == 374
    arcs_used = [a for g in topo["objects"]["areas"]["geometries"] for a in json.dumps(g["arcs"]).replace("[", " ").replace("]", " ").replace(",", " ").split()]
    assert len(arcs_used) > len(topo["arcs"])                         # neighbours share arcs
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = client.get("/api/topology/lad?vintage=2021", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert_served_as_its_artifact(client, first)


def assert_served_as_its_artifact(client, response):
    """Named by the artifact the API served it from: ETag its digest, Link its canonical URL."""
    digest = hashlib.sha256(response.data).hexdigest()
    assert response.headers["ETag"] == f'"{digest}"'
    assert response.headers["Link"] == f'</artifacts/{digest}.json>; rel="canonical"'
    assert client.get(f"/artifacts/{digest}.json").data == response.data


def test_indicator_values_and_aggregation_trace(client):
    response = client.get("/api/indicators/pop?level=lad&vintage=2021")
    assert "max-age=60" in response.headers["Cache-Control"]
    assert_served_as_its_artifact(client, response)
    stored = response.get_json()
    values = {v["code"]: v["value"] for v in stored["values"]}
    assert values["E08000003"] == mye()["E08000003"] and values["S12000005"] is None
    agg = client.get("/api/indicators/pop?level=cauth&vintage=2021&mode=full").get_json()
    assert agg["aggregated"]["from_level"] == "lad" and agg["aggregated"]["mode"] == "full"
    gm = next(v for v in agg["values"] if v["code"] == "E47000001")
    trace = [t for t in agg["aggregated"]["trace"] if t["target_code"] == "E47000001"]
    assert len(trace) == 10 and gm["value"] == pytest.approx(sum(mye()[t["source_code"]] for t in trace))


def test_indicators_list(client):
    ids = {m["id"]: m for m in client.get("/api/indicators").get_json()}
    assert ids["pop"]["unit"] == "people" and ids["employed"]["kind"] == "count"


def test_overlaps_report(client):
    report = client.get("/api/overlaps/lad/lep?vintage_a=2021").get_json()
    assert report["stats"]["sources_in_several_targets"] == 7
    assert {m["code"] for m in report["multi"]} >= {"E07000192", "E07000234"}
    assert report["levels"]["target"] == {"level": "lep", "vintage": 2021}


def test_point_lookup(client):
    found = client.get("/api/lookup?lat=53.4794&lon=-2.2453").get_json()["areas"]  # central Manchester
    codes = {(a["level"], a["code"]) for a in found}
    assert ("lad", "E08000003") in codes and ("cauth", "E47000001") in codes and ("region", "E12000002") in codes


@pytest.mark.parametrize("url,status", [("/api/lookup?lat=abc&lon=1", 400), ("/api/areas/ward", 400),
                                        ("/api/indicators/nope", 404), ("/api/areas/lad?vintage=1999", 404),
                                        ("/api/indicators/pop?k=99", 400), ("/api/nothing", 404)])
def test_errors_are_json(client, url, status):
    response = client.get(url)
    assert response.status_code == status and response.is_json
    body = response.get_json()
    assert body["status"] == status and body["message"]


def test_the_newest_vintage_is_built_once_however_it_is_asked_for(web_template, tmp_path):
    """No vintage means the newest: the same topology and GeoJSON as naming that year, built and
    kept once rather than once per spelling."""
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path / "c")})
    client = app.test_client()
    newest = max(next(lv for lv in client.get("/api/levels").get_json() if lv["level"] == "lad")["vintages"])
    for kind in ("topology", "areas"):
        plain, named = client.get(f"/api/{kind}/lad"), client.get(f"/api/{kind}/lad?vintage={newest}")
        assert plain.status_code == named.status_code == 200
        assert plain.headers["ETag"] == named.headers["ETag"]
    assert len([p for p in (tmp_path / "c" / "keys").rglob("*") if p.is_file()]) == 1
    kept = [key for key in app.extensions["geohub_cache"]._values if key[0] == "geojson"]
    assert kept == [("geojson", "lad", newest)]
