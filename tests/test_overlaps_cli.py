"""geohub overlaps and geohub aggregate, on the real boundaries."""
import csv

import pytest

from conftest import BOUNDARIES, INDICATORS

pytestmark = pytest.mark.real_data
MYE = INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv"
LEP_FILE = BOUNDARIES / "lep" / "LEP_May2021_EN_BUC.geojson"


def read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_overlaps_writes_the_table_and_can_save_it(geohub, real_store_path, tmp_path):
    out, slivers = tmp_path / "o.csv", tmp_path / "s.csv"
    result = geohub("overlaps", "lad:2021", "cauth:2021", "--min-share", "0.05", "--output", out,
                    "--slivers", slivers, "--save")
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert list(rows[0])[:5] == ["source_code", "source_name", "target_code", "target_name", "share"]
    assert len(rows) == 53 and all(r["method"] == "area" for r in rows)
    assert {r["action"] for r in read(slivers)} == {"dropped", "snapped"}
    from geohub.store import open_store
    with open_store(real_store_path) as store:
        saved = store.relationships(source_level="lad", target_level="cauth", method="area")
    assert len(saved) == 53


def test_save_with_a_file_side_fails_before_writing_anything(geohub, real_store_path, tmp_path):
    out = tmp_path / "o.csv"
    result = geohub("overlaps", "lad:2021", LEP_FILE, "--output", out, "--save")
    assert result.exit_code != 0 and "--save needs two stored levels" in result.output
    assert not out.exists()


def test_overlaps_between_a_file_and_a_level_and_by_lookup(geohub, real_store_path, tmp_path):
    result = geohub("overlaps", "lad:2021", LEP_FILE, "--min-share", "0.05", "--output", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    assert "7 sources in several targets" in result.output
    lookup = BOUNDARIES.parent / "lookups" / "ons" / "LAD21_CAUTH21_EN_LU_dfe_copy.csv"
    result = geohub("overlaps", "lad:2021", "cauth:2021", "--method", "lookup", "--lookup", lookup,
                    "--output", tmp_path / "l.csv")
    assert result.exit_code == 0, result.output
    assert len(read(tmp_path / "l.csv")) == 53


def test_aggregate_population_to_leps(geohub, real_store_path, tmp_path):
    out, trace = tmp_path / "a.csv", tmp_path / "t.csv"
    result = geohub("aggregate", MYE, "--code-column", "ltla21_code", "--value-column",
                    "total_population", "--from", "lad:2021", "--to", LEP_FILE, "--mode", "split",
                    "--output", out, "--trace", trace)
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert list(rows[0])[:3] == ["code", "name", "value"] and len(rows) == 38
    england = sum(float(r["total_population"]) for r in read(MYE) if r["ltla21_code"].startswith("E"))
    assert sum(float(r["value"]) for r in rows) == pytest.approx(england, rel=1e-9)
    assert {"target_code", "source_code", "share", "source_value"} <= set(read(trace)[0])


@pytest.mark.parametrize("args,fragment", [
    (["--kind", "count", "--value-column", "employment_rate"], "looks like a rate"),
    (["--kind", "rate", "--value-column", "total_population"], "needs a weight"),
])
def test_aggregate_refuses_rates_without_care(geohub, real_store_path, tmp_path, args, fragment):
    path = tmp_path / "v.csv"
    path.write_text("ltla21_code,employment_rate,total_population\nE06000001,70.1,1000\n")
    result = geohub("aggregate", path, "--code-column", "ltla21_code", "--from", "lad:2021",
                    "--to", "cauth:2021", "--output", tmp_path / "o.csv", *args)
    assert result.exit_code != 0 and fragment in result.output


def test_unknown_geography_spec(geohub, real_store_path, tmp_path):
    result = geohub("overlaps", "wards:2021", "cauth:2021")
    assert result.exit_code != 0 and "neither a stored level nor an existing file" in result.output
