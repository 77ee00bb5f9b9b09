"""What the pages and the API show of how levels relate (geohub/maps/memberships.py), on the
made-up boxes of test_memberships.py and both stores: the overlap report of two levels with its
summary, and the governance areas one council lies in."""
from __future__ import annotations

import pytest

from geohub.errors import InputError
from test_memberships import boxes_store  # noqa: F401  (a fixture)


@pytest.fixture
def builder(boxes_store):  # noqa: F811
    from geohub.maps.model import MapBuilder
    return MapBuilder(boxes_store)


def test_overlap_report_of_two_levels(builder):
    from geohub.maps.memberships import coverage, overlap_data
    report = overlap_data(builder, "lad", "LEP")
    assert report["levels"] == {"source": {"level": "lad", "vintage": 2021},
                                "target": {"level": "lep", "vintage": 2021}}
    assert [(m["code"], [t["code"] for t in m["targets"]]) for m in report["multi"]] == [
        ("E06000003", ["E37000001", "E37000002"])]
    assert report["unassigned"] == []
    assert [(r["source_code"], r["target_code"]) for r in report["table"]] == [
        ("E06000003", "E37000001"), ("E06000003", "E37000002")]
    assert coverage(builder, report) == {"sources": 4, "nations": "English", "several": 1, "none": 0}
    with pytest.raises(InputError, match="two different levels"):
        overlap_data(builder, "lep", "lep")


def test_an_areas_memberships(builder):
    from geohub.geography.levels import get_level
    from geohub.maps.memberships import area_memberships
    memberships, region = area_memberships(builder, "E06000003", "lad", 2021)
    assert memberships == [{"level": get_level("lep").label, "vintage": 2021,
                            "areas": [("E37000001", "E37000001", 1.0), ("E37000002", "E37000002", 1.0)]}]
    assert region is None   # no regions stored
    # Each governance level in the order of LEVELS, with the one area it lies in.
    first_lad, _ = area_memberships(builder, "E06000001", "lad", 2021)
    assert [(m["level"], [a[0] for a in m["areas"]]) for m in first_lad] == [
        (get_level("lep").label, ["E37000001"]), (get_level("cauth").label, ["E47000001"])]
