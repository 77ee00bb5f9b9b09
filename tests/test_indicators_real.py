"""Every indicator file in ../shared/data/indicators imports; counts and totals are checked against
figures computed here directly from the files (csv module), not by geohub."""
import csv
import math

import pytest

from conftest import INDICATORS, LOOKUPS

pytestmark = pytest.mark.real_data

APS = INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv"
UBC = INDICATORS / "nomis_ubc_enterprises_sizeband_2018-2022_LAD21.csv"
MYE20 = INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv"
MYE19 = INDICATORS / "ons_mye_mid2019_LAD19_EW_by_single_year_of_age.csv"
SIE = INDICATORS / "ons_subnational_indicators_explorer_Aug2022_machine_readable.csv"
EMPLOYED = "T01:28 (Aged 16-64 - In employment : All People )"


def rows(path, **where):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [r for r in csv.DictReader(fh) if all(r[k] == v for k, v in where.items())]


def query(store_path, *args, **kwargs):
    from geohub.indicators.query import indicator_table
    from geohub.store import open_store
    with open_store(store_path) as store:
        return indicator_table(store, *args, geometry=False, **kwargs)


def test_every_indicator_file_is_covered():
    assert {p.name for p in INDICATORS.iterdir()} == {APS.name, UBC.name, MYE20.name, MYE19.name, SIE.name}


@pytest.mark.parametrize("path,variable,half_unit,indicator", [
    (APS, EMPLOYED, 50, "aps-employed"),       # APS estimates are rounded to 100
    (UBC, "Total", 2.5, "ubc-total"),           # business counts are rounded to 5
])
def test_nomis_england_row_equals_sum_of_english_lads(geohub, real_store_path, path, variable,
                                                      half_unit, indicator):
    result = geohub("import-indicator", path, "--where", f"variable={variable}", "--id", indicator,
                    "--kind", "count")
    assert result.exit_code == 0, result.output
    assert "lad 2021 (declared): matched" in result.output
    for period in sorted({r["period"] for r in rows(path, variable=variable)}):
        file_rows = rows(path, variable=variable, period=period)
        england = next(float(r["value"]) for r in file_rows if r["area_code"] == "E92000001")
        lads = [r for r in file_rows if r["nomis_geography_type"] == "ladu"]
        table = query(real_store_path, indicator, "lad", 2021, period)
        english = table[table["code"].str.startswith("E")]
        # geohub's values are the file's values, missing where the file has a marker
        assert english["value"].notna().sum() == sum(
            1 for r in lads if r["area_code"].startswith("E") and r["value"])
        total = english["value"].sum()
        assert abs(total - england) <= half_unit * (len(english) + 1), (period, total, england)
        country = query(real_store_path, indicator, "country", None, period)
        assert country.set_index("code").loc["E92000001", "value"] == england


def test_aps_suppressed_values_keep_their_flags(geohub, real_store_path):
    geohub("import-indicator", APS, "--where", f"variable={EMPLOYED}", "--id", "emp", "--kind", "count")
    file_flags = {(r["area_code"], r["period"]): r["flag"] for r in rows(APS, variable=EMPLOYED) if r["flag"]}
    assert file_flags  # the file does have flagged rows for this variable
    for (code, period), flag in file_flags.items():
        table = query(real_store_path, "emp", "lad", 2021, period).set_index("code")
        if code in table.index:
            assert table.loc[code, "flag"] == flag
            if flag in ("!", "-"):
                assert math.isnan(table.loc[code, "value"])


def test_wide_mid_year_estimates(geohub, real_store_path):
    result = geohub("import-indicator", MYE20, "--id", "pop2020")
    assert result.exit_code == 0, result.output
    england = sum(int(r["total_population"]) for r in rows(MYE20) if r["ltla21_code"].startswith("E"))
    table = query(real_store_path, "pop2020", "lad", 2021, "2020")
    assert table[table["code"].str.startswith("E")]["value"].sum() == england
    # Scotland and Northern Ireland are not in the file: present as missing, never dropped or zero
    assert table[table["code"].str.startswith(("S", "N"))]["value"].isna().all()
    assert len(table) == 374


def test_mid_2019_bridges_to_2021_codes_with_the_same_england_total(geohub, real_store_path):
    result = geohub("import-indicator", MYE19, "--id", "pop2019", "--bridge-to", "2021")
    assert result.exit_code == 0, result.output
    assert "bridged lad 2019 -> 2021" in result.output
    file_rows = {r["ltla19_code"]: int(r["total_population"]) for r in rows(MYE19)}
    england = sum(v for c, v in file_rows.items() if c.startswith("E"))
    table = query(real_store_path, "pop2019", "lad", 2021, "2019").set_index("code")
    assert table[table.index.str.startswith("E")]["value"].sum() == england
    # Buckinghamshire (2020) and the two Northamptonshires (2021) are sums of their old districts
    assert table.loc["E06000060", "value"] == sum(file_rows[c] for c in
                                                  ("E07000004", "E07000005", "E07000006", "E07000007"))
    assert table.loc["E06000061", "value"] == sum(file_rows[c] for c in
                                                  ("E07000150", "E07000152", "E07000153", "E07000156"))
    assert table.loc["E06000062", "value"] == sum(file_rows[c] for c in ("E07000151", "E07000154", "E07000155"))
    from geohub.store import open_store
    with open_store(real_store_path) as store:
        assert store.indicator("pop2019")["bridged_from"]["lad"]["from"] == 2019


def test_2023_unitaries_are_sums_of_their_2022_districts(geohub, real_store_path):
    """Cumbria, North Yorkshire and Somerset (2023): UBC counts on 2021 codes shown on 2023 areas."""
    assert geohub("import-indicator", UBC, "--where", "variable=Total", "--id", "ubc").exit_code == 0
    by_code = {r["area_code"]: float(r["value"]) for r in rows(UBC, variable="Total", period="2022")}
    table = query(real_store_path, "ubc", "lad", 2023, "2022").set_index("code")
    expected = {"E06000063": ("E07000026", "E07000028", "E07000029"),   # Cumberland
                "E06000064": ("E07000027", "E07000030", "E07000031"),   # Westmorland and Furness
                "E06000065": ("E07000163", "E07000164", "E07000165", "E07000166", "E07000167",
                              "E07000168", "E07000169"),                # North Yorkshire
                "E06000066": ("E07000187", "E07000188", "E07000189", "E07000246")}  # Somerset
    for new, old in expected.items():
        assert table.loc[new, "value"] == sum(by_code[c] for c in old)
    assert table.attrs["bridged"]["to"] == 2023


def test_subnational_indicators_file_matches_each_level(geohub, real_store_path):
    result = geohub("import-indicator", SIE, "--indicator-column", "Indicator", "--id", "sie",
                    "--drop-duplicates")
    assert result.exit_code == 0, result.output
    assert "E06000062 202021" in result.output           # the file's one conflicting duplicate
    assert "no geohub level" in result.output             # ITL, police force areas ... are listed
    from geohub.store import open_store
    with open_store(real_store_path) as store:
        metas = {m["id"]: m for m in store.indicators()}
        assert len(metas) == len({r["Indicator"] for r in rows(SIE)})
        pay = metas["sie-median-weekly-pay"]
        assert pay["unit"] == "£" and pay["kind"] == "rate" and {"lad", "region"} <= set(pay["levels"])
        file_lads = {r["AREACD"]: float(r["Value"]) for r in rows(SIE, Indicator="Median Weekly Pay")
                     if r["AREACD"][:3] in ("E06", "E07", "E08", "E09", "W06", "S12", "N09")}
        stored = store.indicator_values("sie-median-weekly-pay", level="lad")
        assert dict(zip(stored["area_code"], stored["value"])) == pytest.approx(file_lads)
        hle = metas["sie-female-healthy-life-expectancy-hle"]
        assert "cauth" in hle["levels"]                    # combined authorities are matched too


def test_rate_bridging_needs_a_weight(geohub, real_store_path, tmp_path):
    path = tmp_path / "rates_lad19.csv"
    path.write_text("ltla19_code,period,rate\n" + "".join(
        f"{c},2019,{v}\n" for c, v in [("E07000004", 10), ("E07000005", 20), ("E07000006", 30),
                                       ("E07000007", 40), ("E06000001", 50)]))
    before = real_store_path.read_bytes()
    refused = geohub("import-indicator", path, "--id", "r", "--kind", "rate", "--value-column", "rate",
                     "--bridge-to", "2021")
    assert refused.exit_code != 0 and "--weight" in refused.output and "E06000060" in refused.output
    assert real_store_path.read_bytes() == before
    assert geohub("import-indicator", MYE19, "--id", "pop19").exit_code == 0
    ok = geohub("import-indicator", path, "--id", "r", "--kind", "rate", "--value-column", "rate",
                "--bridge-to", "2021", "--weight", "pop19")
    assert ok.exit_code == 0, ok.output
    pop = {r["ltla19_code"]: int(r["total_population"]) for r in rows(MYE19)}
    parts = {"E07000004": 10, "E07000005": 20, "E07000006": 30, "E07000007": 40}
    expected = sum(v * pop[c] for c, v in parts.items()) / sum(pop[c] for c in parts)
    table = query(real_store_path, "r", "lad", 2021, "2019").set_index("code")
    assert table.loc["E06000060", "value"] == pytest.approx(expected)
    assert table.loc["E06000001", "value"] == 50


def test_lookup_files_import(geohub, real_store_path):
    result = geohub("import-lookup", LOOKUPS / "ons" / "LAD21_CAUTH21_EN_LU_dfe_copy.csv")
    assert result.exit_code == 0 and "lad 2021 -> cauth 2021 (lookup): 53 rows" in result.output
    changes = geohub("import-lookup", LOOKUPS / "compiled" / "onsvisual_ltla_changes_2014_2025.csv")
    assert changes.exit_code == 0 and "lad 2019 -> lad 2020 (history): 4 rows" in changes.output
    chd = LOOKUPS / "ons" / "ONS_code_history_database_Jul2024_E06-E12_E37_E47_E92.csv"
    before = real_store_path.read_bytes()
    refused = geohub("import-lookup", chd)
    assert refused.exit_code != 0 and "not a lookup" in refused.output
    assert real_store_path.read_bytes() == before
