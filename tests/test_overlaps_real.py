"""Overlaps on the real files: geometry reproduces the official lookups row for row, real overlaps
survive, totals are conserved, and the engine equals geopandas.overlay to 1e-9."""
import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from conftest import BOUNDARIES, INDICATORS, LOOKUPS

pytestmark = pytest.mark.real_data
CENTROIDS = BOUNDARIES / "centroids" / "MSOA21_PWC_EW_onsvisual.geojson"


def lookup_pairs(name, source, target):
    with open(LOOKUPS / "ons" / name, newline="", encoding="utf-8-sig") as fh:
        return {(r[source].strip(), r[target].strip()) for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def store(real_template):
    from geohub.store import open_store
    with open_store(real_template) as s:
        yield s


@pytest.fixture(scope="module")
def centroids():
    return gpd.read_file(CENTROIDS).rename(columns={"areacd": "code"})


def membership(store, centroids, source, target, use_points=True):
    from geohub.overlaps import relate, resolve_slivers
    table = relate(source, target)
    fit = relate(source, target, method="best-fit", points=centroids) if use_points else None
    resolved, report = resolve_slivers(table, 0.05, fit)
    return resolved, report


@pytest.mark.parametrize("use_points", [True, False])
def test_lad21_in_cauth21_equals_the_ons_lookup(store, centroids, use_points):
    resolved, report = membership(store, centroids, store.areas("lad", 2021), store.areas("cauth", 2021),
                                  use_points)
    assert set(zip(resolved["source_code"], resolved["target_code"])) == lookup_pairs(
        "LAD21_CAUTH21_EN_LU_dfe_copy.csv", "LAD21CD", "CAUTH21CD")
    assert (report["action"] == "dropped").sum() > 0          # the BUC/BGC slivers were there
    assert report.loc[report["action"] == "dropped", "share"].max() < 0.05
    if use_points:  # coastline differences settled by population-weighted centroids
        assert (resolved["share"] == 1.0).all()


def test_lad24_in_cauth24_equals_the_ons_lookup(store, centroids):
    resolved, _ = membership(store, centroids, store.areas("lad", 2024), store.areas("cauth", 2024))
    assert set(zip(resolved["source_code"], resolved["target_code"])) == lookup_pairs(
        "LAD24_CAUTH24_EN_LU_May2024.csv", "LAD24CD", "CAUTH24CD")


def test_lad_in_lsip_equals_the_ons_lookup_for_shared_codes(store, centroids):
    lads = store.areas("lad", 2023)
    resolved, _ = membership(store, centroids, lads, store.areas("lsip", 2023))
    official = lookup_pairs("LAD23_LSIP23_EN_LU_Aug2023.csv", "LAD23CD", "LSIP23CD")
    shared = {s for s, _ in official} & set(lads["code"])
    got = {(s, t) for s, t in zip(resolved["source_code"], resolved["target_code"]) if s in shared}
    assert got == {(s, t) for s, t in official if s in shared} and len(shared) > 290


def test_seven_lads_in_two_leps_survive(store):
    from geohub.overlaps import overlap_report, relate, resolve_slivers
    resolved, _ = resolve_slivers(relate(store.areas("lad", 2021), store.areas("lep", 2021)), 0.05)
    report = overlap_report(resolved)
    doubles = {m["code"]: sorted(t["code"] for t in m["targets"]) for m in report["multi"]}
    assert len(doubles) == 7
    assert all(len(t) == 2 for t in doubles.values())
    assert all(t["share"] == 1.0 for m in report["multi"] for t in m["targets"])


def test_split_conserves_england_and_full_is_at_least_split(store):
    from geohub.overlaps import aggregate, relate, resolve_slivers
    resolved, _ = resolve_slivers(relate(store.areas("lad", 2021), store.areas("lep", 2021)), 0.05)
    with open(INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv", newline="") as fh:
        pop = {r["ltla21_code"]: float(r["total_population"]) for r in csv.DictReader(fh)}
    values = pd.Series(pop)
    england = sum(v for c, v in pop.items() if c.startswith("E"))
    split = aggregate(values, resolved, "count", "split")
    full = aggregate(values, resolved, "count", "full")
    assert split["value"].sum() == pytest.approx(england, rel=1e-9)
    both = full.set_index("code")["value"].sub(split.set_index("code")["value"])
    assert (both >= -1e-6).all() and both.max() > 0   # the overlapping LEPs count more in full


@pytest.mark.parametrize("target", ["cauth", "lep"])
def test_engine_equals_geopandas_overlay(store, target):
    from geohub.overlaps import relate
    lads, targets = store.areas("lad", 2021), store.areas(target, 2021)
    ours = relate(lads, targets).set_index(["source_code", "target_code"])["share"]
    overlay = gpd.overlay(lads[["code", "geometry"]].rename(columns={"code": "s"}),
                          targets[["code", "geometry"]].rename(columns={"code": "t"}),
                          how="intersection", keep_geom_type=True)
    theirs = (overlay.assign(a=overlay.area).groupby(["s", "t"])["a"].sum()
              / lads.set_index("code").area.reindex(overlay.groupby(["s", "t"]).size().index.get_level_values(0)).to_numpy())
    theirs = theirs[theirs > 0]
    joined = pd.concat([ours, theirs.rename("theirs")], axis=1).fillna(0.0)
    assert np.abs(joined.iloc[:, 0] - joined.iloc[:, 1]).max() < 1e-9
