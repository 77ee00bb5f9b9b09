"""The benchmark's comparison on its 1k-cell grid against the real LADs: relate's share table equals
geopandas.overlay's to 1e-9, cold and warm. No timing is asserted (speed lives in
bench/relate_bench.py, not in the tests). tobler is a benchmark-only dependency (the `bench`
extra), so its comparison is reported by the benchmark itself, not tested here."""

import pytest

from conftest import SHARED_DATA, load_bench

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def bench():
    return load_bench("relate_bench")


def test_relate_equals_overlay_and_tobler_on_the_1k_grid(bench):
    case = bench.load_case("grid1k", SHARED_DATA)
    assert 900 <= len(case.source) <= 1100 and len(case.target) == 374
    source, target = bench.fresh(case.source), bench.fresh(case.target)
    results = {"relate_cold": bench.run_relate(case, source, target),
               "relate_warm": bench.run_relate(case, source, target),
               "overlay": bench.run_overlay(case, bench.fresh(source), bench.fresh(target))}
    equality = bench.compare(case, results, source, target)
    assert len(results["relate_cold"]) > 1000
    for other in ("relate_warm", "overlay"):
        assert equality[other]["equal_1e9"], equality[other]
        assert equality[other]["pairs_only_in_relate"] == equality[other]["pairs_only_in_other"] == 0


def test_repaired_inputs_are_valid_and_in_bng(bench):
    import shapely
    for name in ("LADxCAUTH", "LADxLEP"):
        case = bench.load_case(name, SHARED_DATA)
        for frame in (case.source, case.target):
            assert frame.crs.to_epsg() == 27700
            assert shapely.is_valid(frame.geometry.values).all()
