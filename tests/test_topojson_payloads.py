"""The display TopoJSON of every shared level, decoded by topojson-client 3 under Node (as the map
pages and any d3 user decode it), gives one GEOS-valid (multi)polygon per stored area, with the
store's codes, and one winding throughout: exterior rings clockwise, holes counter-clockwise (the
convention d3-geo needs and us-atlas/world-atlas follow)."""
import gzip

import pytest
import shapely

from validators import decode_topojson

pytestmark = pytest.mark.real_data

# (level, vintage): None is the newest; lad 2022 and utla 2025 come from the multi-year file.
SETS = [("lad", 2021), ("lad", 2022), ("utla", 2025), ("county", 2025), ("region", None),
        ("country", 2024), ("country", 2025), ("uk", None), ("lep", 2021), ("cauth", 2021),
        ("cauth", 2024), ("cauth", 2025), ("lsip", 2023)]


def windings(geom) -> tuple[list[bool], list[bool]]:
    """(is_ccw of every exterior ring, is_ccw of every hole)."""
    parts = shapely.get_parts(geom)
    return ([p.exterior.is_ccw for p in parts],
            [ring.is_ccw for p in parts for ring in p.interiors])


@pytest.mark.parametrize(("level", "vintage"), SETS)
def test_decoded_payload_is_valid_with_the_stores_codes(client, web_template, tmp_path, level, vintage):
    from geohub.store import open_store
    with open_store(web_template) as store:
        year = store.resolve_set(level, vintage)[1]
        codes = sorted(store.areas(level, year)["code"])
    response = client.get(f"/api/topology/{level}" + (f"?vintage={vintage}" if vintage else ""))
    response = client.get(response.headers["Location"]) if response.status_code in (301, 302, 303, 307) else response
    assert response.status_code == 200
    decoded = decode_topojson(response.data, tmp_path)
    assert list(decoded) == ["areas"]
    features = decoded["areas"]["features"]
    assert sorted(f["properties"]["code"] for f in features) == codes
    geoms = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in features}
    invalid = {c: shapely.is_valid_reason(g) for c, g in geoms.items() if not g.is_valid}
    assert invalid == {}
    assert {g.geom_type for g in geoms.values()} <= {"Polygon", "MultiPolygon"}
    wrong = [c for c, g in geoms.items() if any(windings(g)[0]) or not all(windings(g)[1])]
    assert wrong == []


def test_neighbours_keep_their_shared_edge_and_the_payload_stays_small(web_template, tmp_path):
    """LAD 2021: Manchester and Salford still meet along a line, without overlapping (their edge
    is one shared arc, simplified once), and the payload stays small (gzip under 85 kB, the
    map benchmark's byte ratio is measured on it)."""
    from geohub.maps.display import display_topology
    from geohub.store import open_store
    with open_store(web_template) as store:
        payload = display_topology(store.areas("lad", 2021), "lad")
    assert len(gzip.compress(payload)) < 85_000
    features = decode_topojson(payload, tmp_path)["areas"]["features"]
    geoms = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in features}
    manchester, salford = geoms["E08000003"], geoms["E08000006"]
    assert manchester.intersection(salford).area == 0
    assert manchester.boundary.intersection(salford.boundary).length > 0.05  # degrees, ~5 km
