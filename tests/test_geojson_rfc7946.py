"""Every GeoJSON geohub writes passes geojson-validator (PyPI): exterior rings counter-clockwise,
holes clockwise (RFC 7946 §3.1.6), no crs member, no self-intersections or duplicate nodes, at most 6
decimals (GEOHUB_GEOJSON_PRECISION makes it fewer); and its polygons stay GEOS-valid."""
import json

import geopandas as gpd
import pytest
import shapely

from validators import check_bbox, geojson_problems, max_decimals

pytestmark = pytest.mark.real_data


def assert_rfc7946(body: dict, decimals: int = 6) -> None:
    assert body["type"] == "FeatureCollection" and "crs" not in body
    assert geojson_problems(body) == {}
    assert max_decimals(body) <= decimals
    check_bbox(body)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in body["features"]]
    invalid = [f["properties"]["code"] for f, g in zip(body["features"], geoms) if not g.is_valid]
    assert invalid == []


def test_the_validator_catches_what_geopandas_writes(web_template):
    """The check can fail: GeoPandas' own GeoJSON of the stored regions breaks the right-hand rule
    and carries 15 decimals."""
    from geohub.store import open_store
    with open_store(web_template) as store:
        raw = json.loads(store.areas("region", 2025)[["code", "geometry"]].to_crs(4326).to_json())
    problems = geojson_problems(raw)
    assert problems["exterior_not_ccw"] > 0 and problems["excessive_coordinate_precision"] > 0
    assert max_decimals(raw) > 6


@pytest.mark.parametrize("level", ["lad", "region", "country", "utla", "lep", "cauth", "lsip"])
def test_api_areas(client, level):
    response = client.get(f"/api/areas/{level}")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = json.loads(response.data)
    assert_rfc7946(body)
    assert len(body["features"]) > 0


def test_map_export(client):
    body = json.loads(client.get("/maps/pop.geojson?level=lad&vintage=2021&period=2020").data)
    assert len(body["features"]) == 374
    assert_rfc7946(body)


def test_cli_export(web_template, tmp_path):
    from click.testing import CliRunner

    from geohub.cli import cli
    out = tmp_path / "pop.geojson"
    result = CliRunner().invoke(cli, ["export", "pop", "--level", "region", "--format", "geojson",
                                      "--output", str(out)],
                                env={"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
                                     "GEOHUB_GEOJSON_PRECISION": "4"})
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert_rfc7946(body, decimals=4)
    assert max_decimals(body) == 4


def test_precision_setting(web_template, tmp_path):
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path / "cache"), "GEOHUB_GEOJSON_PRECISION": "3"})
    body = json.loads(app.test_client().get("/api/areas/region").data)
    assert max_decimals(body) == 3
    assert_rfc7946(body, decimals=3)
    bad = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path / "cache"), "GEOHUB_GEOJSON_PRECISION": "many"})
    response = bad.test_client().get("/api/areas/region")
    assert response.status_code == 400
    assert "GEOHUB_GEOJSON_PRECISION" in response.get_data(as_text=True)


def test_rounding_that_would_break_a_polygon_is_repaired():
    """Two rings 0.4 µ° apart touch once rounded to 6 decimals: the output is still valid; rings
    given the wrong way round come out by the right-hand rule."""
    from geohub.io.geojson import feature_collection
    # Given the wrong way round: exterior clockwise, hole counter-clockwise.
    outer = shapely.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)], [[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]])
    near = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(1.0000004, 0, 2, 1)])
    frame = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[outer, near], crs=4326)
    assert shapely.is_valid(near)
    body = feature_collection(frame)
    assert_rfc7946(body)
    exterior, hole = body["features"][0]["geometry"]["coordinates"]
    assert exterior[:3] == [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]] and hole[:3] == [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8]]
