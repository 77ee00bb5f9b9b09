"""The gazetteer names stored points in one transaction on both stores: names set for the codes it
lists, unknown codes reported, the licence recorded as the import's attribution, the points'
geometry and the other areas untouched; a refused gazetteer changes nothing."""
import json

import pytest

from conftest import snapshot

OPL = "Contains Parliamentary information licensed under the Open Parliament Licence v3.0"


def points(path):
    features = [{"type": "Feature", "properties": {"areacd": code},
                 "geometry": {"type": "Point", "coordinates": lonlat}}
                for code, lonlat in (("E02002247", [-2.016755, 53.744077]),
                                     ("E02000001", [-0.094719, 51.51915]),
                                     ("E02000002", [0.1, 51.5]))]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def gazetteer(store, path, **kw):
    from geohub.geography.gazetteer import import_gazetteer
    return import_gazetteer(store, path, level="msoa", vintage=2021, code_field="msoa11cd",
                            name_field="msoa11hclnm", attribution=OPL, **kw)


def test_names_the_listed_points_on_both_stores(any_store, tmp_path):
    from geohub.geography.boundaries import import_boundaries
    from geohub.geography.gazetteer import gazetteer_attribution
    import_boundaries(any_store, points(tmp_path / "pwc.geojson"), level="msoa", vintage=2021)
    before = any_store.areas("msoa", 2021).sort_values("code")
    names = tmp_path / "names.csv"
    names.write_text("msoa11cd,msoa11hclnm\nE02002247,Hebden Bridge\nE02000001,City of London\n"
                     "E02999999,Nowhere\n")
    report = gazetteer(any_store, names)
    after = any_store.areas("msoa", 2021).sort_values("code")
    assert {c: n if isinstance(n, str) else None for c, n in zip(after["code"], after["name"])} == {
        "E02000001": "City of London", "E02000002": None, "E02002247": "Hebden Bridge"}
    assert list(after.geometry.to_wkt()) == list(before.geometry.to_wkt())
    assert (report.listed, report.named, report.unknown) == (3, 2, ["E02999999"])
    assert report.lines()[1].startswith("1 listed codes are not stored msoa 2021 areas")
    assert gazetteer_attribution(any_store) == OPL


@pytest.mark.parametrize("text, fragment", [
    ("code,name\nE02002247,Hebden Bridge\n", "has no column msoa11cd, msoa11hclnm"),
    ("msoa11cd,msoa11hclnm\nE02002247,A\nE02002247,B\n", "lists 1 codes twice: E02002247"),
    ("msoa11cd,msoa11hclnm\nE02002247,\n", "has no rows with both a code and a name"),
])
def test_a_bad_gazetteer_changes_nothing(store, tmp_path, text, fragment):
    from geohub.errors import InputError
    from geohub.geography.boundaries import import_boundaries
    import_boundaries(store, points(tmp_path / "pwc.geojson"), level="msoa", vintage=2021)
    before = snapshot(store)
    bad = tmp_path / "names.csv"
    bad.write_text(text)
    with pytest.raises(InputError) as caught:
        gazetteer(store, bad)
    assert fragment in caught.value.message and caught.value.hint
    assert snapshot(store) == before
