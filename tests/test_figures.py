"""Figures an analyst can quote: by default every aggregated figure equals the sum (or the ratio of
sums) of the member councils that the ONS lookups list, on every path (web API, CSV export,
``geohub aggregate`` over stored levels and over bare boundary files).

Expected values are computed here straight from the shared CSV files with pandas, never by geohub.
"""
from __future__ import annotations

import io
import json
import shutil

import pandas as pd
import pytest

from conftest import BOUNDARIES, INDICATORS, LOOKUPS

pytestmark = pytest.mark.real_data

UBC = INDICATORS / "nomis_ubc_enterprises_sizeband_2018-2022_LAD21.csv"
MYE = INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv"
APS = INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv"
EMPLOYED = "T01:28 (Aged 16-64 - In employment : All People )"
ALL_1664 = "T01:22 (Aged 16-64 - All : All People )"
UNEMPLOYED = "T01:37 (Aged 16-64 - Unemployed : All People )"
# (lookup file, code column of its LADs, of its targets, level, year of the stored boundaries).
# Regions come from the multi-year file as one 2025 set; their codes have not changed since 2021.
LOOKUP_CASES = [
    ("ons/LAD21_CAUTH21_EN_LU_dfe_copy.csv", "LAD21CD", "CAUTH21CD", "cauth", 2021),
    ("ons/LAD24_CAUTH24_EN_LU_May2024.csv", "LAD24CD", "CAUTH24CD", "cauth", 2024),
    ("ons/LAD23_LSIP23_EN_LU_Aug2023.csv", "LAD23CD", "LSIP23CD", "lsip", 2023),
    ("ons/LAD21_RGN21_EN_LU_April2021.csv", "LAD21CD", "RGN21CD", "region", 2025),
]
BOUNDARY_FILES = {("cauth", 2021): "cauth/CAUTH_Dec2021_EN_BGC.geojson",
                  ("cauth", 2024): "cauth/CAUTH24_EN_BUC_filename_May2023.geojson",
                  ("lsip", 2023): "lsip/LSIP_Aug2023_EN_BUC_BNG27700.geojson"}


# -- expected figures, from the files alone ------------------------------------------------------

def ubc_2022() -> pd.Series:
    frame = pd.read_csv(UBC, dtype=str)
    frame = frame[(frame["variable"] == "Total") & (frame["period"] == "2022")
                  & (frame["code_vintage"] == "LAD21")]
    return frame.set_index("area_code")["value"].astype(float)


def mye_2020() -> pd.Series:
    frame = pd.read_csv(MYE, dtype={"ltla21_code": str})
    return frame.set_index("ltla21_code")["total_population"].astype(float)


def aps(variable: str, period: str = "Jan 2022-Dec 2022") -> pd.Series:
    frame = pd.read_csv(APS, dtype=str)
    frame = frame[(frame["variable"] == variable) & (frame["period"] == period)
                  & (frame["code_vintage"] == "LAD21")]
    return pd.to_numeric(frame.set_index("area_code")["value"], errors="coerce")


def on_codes_of(values: pd.Series, year: int) -> pd.Series:
    """LAD21 values carried to the LAD codes of ``year`` through the ONS code history (summed)."""
    if year == 2021:
        return values
    chain = pd.read_csv(LOOKUPS / "compiled/geographr_lookup_ltla_ltla.csv", dtype=str)
    step = chain[["ltla21_code", f"ltla{year % 100}_code"]].drop_duplicates()
    moved = step.assign(value=step["ltla21_code"].map(values))
    return moved.groupby(f"ltla{year % 100}_code")["value"].sum(min_count=1)


def expected(values: pd.Series, lookup: str, lad_col: str, target_col: str, year: int) -> dict:
    table = pd.read_csv(LOOKUPS / lookup, dtype=str, encoding="utf-8-sig")
    carried = on_codes_of(values, 2000 + int(lad_col[3:5]))
    table = table.assign(value=table[lad_col].map(carried))
    assert table["value"].notna().all(), "every member council has a value"
    return table.groupby(target_col)["value"].sum().to_dict()


# -- a store as the README's service command builds it, plus the indicators ----------------------

@pytest.fixture(scope="module")
def figures_store(real_template, tmp_path_factory):
    from geohub.indicators.derived import derive_ratio
    from geohub.indicators.drafts import ImportOptions
    from geohub.indicators.importer import import_indicator
    from geohub.store import open_store
    path = tmp_path_factory.mktemp("figures") / "figures.gpkg"
    shutil.copyfile(real_template, path)
    with open_store(path) as store:
        import_indicator(store, UBC, ImportOptions(id="ubc", kind="count", unit="enterprises",
                                                   where=[("variable", "Total")]))
        import_indicator(store, MYE, ImportOptions(id="pop", title="Population mid-2020", unit="people"))
        for ident, variable in (("employed", EMPLOYED), ("all1664", ALL_1664),
                                ("unemployed", UNEMPLOYED)):
            import_indicator(store, APS, ImportOptions(id=ident, kind="count", unit="people",
                                                       where=[("variable", variable)]))
        derive_ratio(store, "emprate", "employed", "all1664", title="Employment rate, aged 16-64")
    return path


@pytest.fixture(scope="module")
def figures_client(figures_store, tmp_path_factory):
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(figures_store), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path_factory.mktemp("figures-artifacts"))})
    return app.test_client()


@pytest.fixture
def figures_cli(figures_store, tmp_path):
    from click.testing import CliRunner

    from geohub.cli import cli
    env = {"GEOHUB_STORE": str(figures_store), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")}

    def run(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result
    return run


def api_values(client, indicator: str, query: str) -> dict:
    payload = client.get(f"/api/indicators/{indicator}?{query}").get_json()
    return {v["code"]: v["value"] for v in payload["values"]}, payload


# -- the default path equals the lookup, everywhere ---------------------------------------------

@pytest.mark.parametrize("lookup, lad_col, target_col, level, year", LOOKUP_CASES)
@pytest.mark.parametrize("indicator", ["ubc", "pop"])
def test_web_and_csv_equal_the_lookup_sums(figures_client, figures_cli, tmp_path, lookup, lad_col,
                                           target_col, level, year, indicator):
    values = ubc_2022() if indicator == "ubc" else mye_2020()
    period = "&period=2022" if indicator == "ubc" else ""
    want = expected(values, lookup, lad_col, target_col, year)
    got, payload = api_values(figures_client, indicator, f"level={level}&vintage={year}{period}")
    assert payload["aggregated"]["method"] == "lookup" and payload["aggregated"]["mode"] == "full"
    assert {code: got[code] for code in want} == want
    # Whole counts are published as integers, not 37580.0.
    assert all(isinstance(got[code], int) for code in want)
    out = tmp_path / "out.csv"
    figures_cli("export", indicator, "--level", level, "--vintage", year, "--format", "csv",
                "--output", out, *(["--period", "2022"] if indicator == "ubc" else []))
    text = out.read_text()
    csv = pd.read_csv(io.StringIO(text), dtype={"value": "Int64"})
    assert set(csv["method"]) == {"lookup"} and set(csv["mode"]) == {"full"}
    assert csv.set_index("code")["value"].loc[list(want)].astype(float).to_dict() == want
    assert ".0," not in text.split("\n")[1]


@pytest.mark.parametrize("lookup, lad_col, target_col, level, year", LOOKUP_CASES)
def test_cli_aggregate_of_stored_levels_equals_the_lookup(figures_cli, tmp_path, lookup, lad_col,
                                                          target_col, level, year):
    out = tmp_path / "agg.csv"
    figures_cli("aggregate", MYE, "--code-column", "ltla21_code", "--value-column", "total_population",
                "--from", "lad:2021", "--to", f"{level}:{year}", "--output", out)
    got = pd.read_csv(out).set_index("code")
    want = expected(mye_2020(), lookup, lad_col, target_col, year)
    assert got["value"].loc[list(want)].astype(float).to_dict() == want
    assert set(got["method"]) == {"lookup"} and set(got["mode"]) == {"full"}


@pytest.mark.parametrize("lookup, lad_col, target_col, level, year",
                         [c for c in LOOKUP_CASES if (c[3], c[4]) in BOUNDARY_FILES])
def test_cli_aggregate_of_bare_files_equals_the_lookup(geohub, tmp_path, lookup, lad_col, target_col,
                                                       level, year):
    """No store, no lookup, no centroids: the membership rule on the boundary files alone."""
    out = tmp_path / "agg.csv"
    result = geohub("aggregate", MYE, "--code-column", "ltla21_code", "--value-column",
                    "total_population", "--from", BOUNDARIES / "lad/LAD_Dec2021_UK_BUC.geojson",
                    "--to", BOUNDARIES / BOUNDARY_FILES[(level, year)], "--output", out)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out).set_index("code")
    want = expected(mye_2020(), lookup, lad_col, target_col, year)
    assert got["value"].astype(float).to_dict() == want
    assert set(got["mode"]) == {"full"} and set(got["method"]) == {"area"}


# -- LEPs: no official lookup, whole councils, the shared ones in both ---------------------------

def lep_memberships_by_overlay() -> pd.DataFrame:
    """Each LAD's LEPs by geopandas' own overlay (not geohub's engine): at least half its area."""
    import geopandas as gpd
    lads = gpd.read_file(BOUNDARIES / "lad/LAD_Dec2021_UK_BUC.geojson").to_crs(27700)
    leps = gpd.read_file(BOUNDARIES / "lep/LEP_May2021_EN_BUC.geojson").to_crs(27700)
    lads["lad_area"] = lads.area
    pieces = gpd.overlay(lads[["LAD21CD", "lad_area", "geometry"]], leps[["LEP21CD", "geometry"]])
    pieces["share"] = pieces.area / pieces["lad_area"]
    return pieces[pieces["share"] >= 0.5][["LAD21CD", "LEP21CD"]]


def test_lep_totals_count_shared_councils_in_both(figures_client):
    members = lep_memberships_by_overlay()
    counts = members.groupby("LAD21CD").size()
    assert (counts > 1).sum() == 7
    values = ubc_2022()
    want = members.assign(v=members["LAD21CD"].map(values)).groupby("LEP21CD")["v"].sum().to_dict()
    got, payload = api_values(figures_client, "ubc", "level=lep&vintage=2021&period=2022")
    assert payload["aggregated"]["mode"] == "full" and payload["aggregated"]["method"] == "best-fit"
    assert {code: got[code] for code in want} == want
    assert got["E37000012"] == 74505  # Greater Birmingham and Solihull, as Nomis publishes it
    assert len(payload["aggregated"]["counted_in_several"]) == 7
    split, _ = api_values(figures_client, "ubc", "level=lep&vintage=2021&period=2022&mode=split")
    england = values[values.index.str.startswith("E")].sum()
    assert sum(split.values()) == pytest.approx(england, rel=1e-9)


# -- rates built from their counts ------------------------------------------------------------------

def test_employment_rate_of_each_combined_authority_is_the_ratio_of_sums(figures_client):
    employed, everyone = aps(EMPLOYED), aps(ALL_1664)
    lookup = pd.read_csv(LOOKUPS / "ons/LAD21_CAUTH21_EN_LU_dfe_copy.csv", dtype=str)
    got, payload = api_values(figures_client, "emprate", "level=cauth&vintage=2021")
    for code, group in lookup.groupby("CAUTH21CD"):
        lads = group["LAD21CD"]
        rate = 100 * employed[lads].sum() / everyone[lads].sum()
        assert got[code] == round(rate, 1)
        full = next(v for v in payload["values"] if v["code"] == code)
        assert full["text"] == f"{rate:.1f}%"
    parts = payload["aggregated"]["parts"]
    assert (parts["numerator"], parts["denominator"], parts["scale"]) == ("employed", "all1664", 100)
    assert "100 × " in payload["aggregated"]["how_built"]


def test_a_rate_needs_a_count_weight_matched_to_its_areas(figures_client, figures_store, tmp_path):
    from geohub.indicators.drafts import ImportOptions
    from geohub.indicators.importer import import_indicator
    from geohub.store import open_store
    path = tmp_path / "rates.gpkg"
    shutil.copyfile(figures_store, path)
    rates = tmp_path / "rates.csv"
    rates.write_text("area_code,period,value\n" + "".join(
        f"{code},2022,{60 + i % 20}.5\n" for i, code in enumerate(ubc_2022().index)))
    england = tmp_path / "england.csv"
    england.write_text("area_code,period,value\nE92000001,2022,100\n")
    with open_store(path) as store:
        import_indicator(store, rates, ImportOptions(id="rate", title="A rate", kind="rate", unit="%"))
        import_indicator(store, england, ImportOptions(id="national", title="National count",
                                                       kind="count"))
    from geohub import create_app
    client = create_app({"GEOHUB_STORE": str(path), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                         "GEOHUB_CACHE_DIR": str(tmp_path / "a")}).test_client()
    cases = [("", "no weight was chosen"), ("&weight=emprate", "is a ratio, not a count"),
             ("&weight=national", "has no values for lad 2021")]
    for extra, fragment in cases:
        response = client.get(f"/api/indicators/rate?level=lep&vintage=2021{extra}")
        body = response.get_json()
        assert response.status_code == 400 and fragment in body["message"], body
        assert "Choose" in body["hint"] and "pop (Population mid-2020)" in body["hint"]
    ok = client.get("/api/indicators/rate?level=lep&vintage=2021&weight=pop").get_json()
    assert ok["aggregated"]["weight"] == "pop" and ok["provenance"]["weight"] == "pop"
    assert ok["aggregated"]["warnings"] == ["The weight 'Population mid-2020' is for 2020, not 2022: "
                                            "no value of it exists for 2022."]
    csv = client.get("/maps/rate.csv?level=lep&vintage=2021&weight=pop").get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(csv))
    assert set(frame["weight"]) == {"pop"} and set(frame["weight_period"]) == {2020}


# -- uncertainty and missing data ---------------------------------------------------------------------

def test_confidence_intervals_are_kept_and_combined(figures_client):
    raw = pd.read_csv(APS, dtype=str)
    raw = raw[(raw["variable"] == EMPLOYED) & (raw["period"] == "Jan 2022-Dec 2022")
              & (raw["code_vintage"] == "LAD21")].set_index("area_code")
    lad, _ = api_values(figures_client, "employed", "level=lad&vintage=2021&period=Jan 2022-Dec 2022")
    payload = figures_client.get("/api/indicators/employed?level=lad").get_json()
    manchester = next(v for v in payload["values"] if v["code"] == "E08000003")
    assert manchester["ci95"] == float(raw.loc["E08000003", "conf95"])
    assert f"(± {float(raw.loc['E08000003', 'conf95']):,.0f})" in manchester["text"]
    ca = figures_client.get("/api/indicators/employed?level=cauth&vintage=2021").get_json()
    lookup = pd.read_csv(LOOKUPS / "ons/LAD21_CAUTH21_EN_LU_dfe_copy.csv", dtype=str)
    gm = lookup[lookup["CAUTH21CD"] == "E47000001"]["LAD21CD"]
    want = float((raw.loc[gm, "conf95"].astype(float) ** 2).sum() ** 0.5)
    got = next(v for v in ca["values"] if v["code"] == "E47000001")
    assert got["ci95"] == pytest.approx(want)
    assert "root sum of squares" in ca["aggregated"]["ci_note"]


def test_missing_members_are_named_with_their_reason(figures_client):
    raw = pd.read_csv(APS, dtype=str)
    raw = raw[(raw["variable"] == UNEMPLOYED) & (raw["code_vintage"] == "LAD21")
              & (raw["period"] == "Jan 2018-Dec 2018")]
    regions = pd.read_csv(LOOKUPS / "ons/LAD21_RGN21_EN_LU_April2021.csv", dtype=str,
                          encoding="utf-8-sig").set_index("LAD21CD")["RGN21CD"]
    suppressed = raw[raw["flag"] == "!"]
    region = regions[suppressed["area_code"].iloc[0]]
    members = regions[regions == region].index
    missing = suppressed[suppressed["area_code"].isin(members)]
    payload = figures_client.get("/api/indicators/unemployed?level=region&period=Jan 2018-Dec 2018"
                                 ).get_json()
    row = next(v for v in payload["values"] if v["code"] == region)
    assert row["value"] is None
    n = len(missing)
    assert row["note"].startswith(f"{n} of {len(members)} councils {'has' if n == 1 else 'have'} no "
                                  f"value: {missing['area_name'].iloc[0]} (suppressed: sample size "
                                  "zero or disclosive)")
    assert row["text"].startswith(f"No data: {n} of {len(members)} councils")
    lad = figures_client.get("/api/indicators/unemployed?level=lad&period=Jan 2018-Dec 2018").get_json()
    assert {"flag": "!", "meaning": "suppressed: sample size zero or disclosive",
            "count": len(suppressed)} in lad["flags"]
    csv = figures_client.get("/maps/unemployed.csv?level=lad&period=Jan 2018-Dec 2018").get_data(
        as_text=True)
    frame = pd.read_csv(io.StringIO(csv)).set_index("code")
    code = suppressed["area_code"].iloc[0]
    assert frame.loc[code, "flag"] == "!" and "suppressed" in frame.loc[code, "flag_meaning"]


def test_geojson_export_publishes_integers_and_provenance(figures_client):
    body = json.loads(figures_client.get("/maps/ubc.geojson?level=cauth&vintage=2021&period=2022").data)
    gm = next(f for f in body["features"] if f["properties"]["code"] == "E47000001")
    assert gm["properties"]["value"] == 107250 and isinstance(gm["properties"]["value"], int)
    assert body["geohub"]["method"] == "lookup" and body["geohub"]["mode"] == "full"


# -- memberships are stored data --------------------------------------------------------------------

def test_derived_memberships_are_kept_in_the_store(real_store_path, monkeypatch):
    from geohub.maps.model import MapBuilder
    from geohub.store import open_store
    path = real_store_path
    with open_store(path) as store:
        before = store.revision()
        assert store.relationships(source_level="lad", target_level="lep", method="best-fit").empty
        first = MapBuilder(store).relationship(("lad", 2021), ("lep", 2021))
        kept = store.relationships(source_level="lad", target_level="lep", method="best-fit")
        assert len(kept) == len(first) == 316 and set(kept["share"]) == {1.0}
        assert store.revision() == before  # a memo of the store's content changes no figure

        def no_geometry(*args, **kwargs):
            raise AssertionError("relate() ran again: the stored memberships were not used")
        monkeypatch.setattr("geohub.maps.relationships.relate", no_geometry)
        again = MapBuilder(store).relationship(("lad", 2021), ("lep", 2021))
        assert again.attrs["method"] == "best-fit" and len(again) == 316
    from geohub.geography.boundaries import import_boundaries
    monkeypatch.undo()
    with open_store(path) as store:  # new LEP boundaries: what was derived from the old goes
        import_boundaries(store, BOUNDARIES / "lep/LEP_May2021_EN_BUC.geojson")
        assert store.relationships(source_level="lad", target_level="lep", method="best-fit").empty


# -- a rate by LEP from the UI, in chromium ----------------------------------------------------------

@pytest.fixture(scope="module")
def rates_store(figures_store, tmp_path_factory):
    """The figures store plus a stored rate (made-up rates for every LAD21 code)."""
    from geohub.indicators.drafts import ImportOptions
    from geohub.indicators.importer import import_indicator
    from geohub.store import open_store
    folder = tmp_path_factory.mktemp("rates")
    path = folder / "rates.gpkg"
    shutil.copyfile(figures_store, path)
    rates = folder / "rates.csv"
    rates.write_text("area_code,period,value\n" + "".join(
        f"{code},2020,{60 + i % 20}.5\n" for i, code in enumerate(ubc_2022().index)))
    with open_store(path) as store:
        import_indicator(store, rates, ImportOptions(id="rate", title="A made-up rate", kind="rate",
                                                     unit="%"))
    return path


@pytest.mark.browser
def test_a_rate_map_by_lep_works_from_the_ui_and_names_its_weight(rates_store, tmp_path):
    from geohub import create_app
    from live import browser, serve
    app = create_app({"GEOHUB_STORE": str(rates_store), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path / "artifacts")})
    with serve(app) as base, browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/maps/rate")
        page.wait_for_selector("html[data-geohub-ready=true]", timeout=30_000)
        assert page.locator("select[name=weight]").input_value() == "pop"
        with page.expect_navigation():
            page.select_option("select[name=level]", "lep")
            if "level=lep" not in page.url:  # forms that apply settings with a button
                page.click("form.map-controls button[type=submit]")
        page.wait_for_selector("html[data-geohub-ready=true]", timeout=30_000)
        assert "level=lep" in page.url and "weight=pop" in page.url
        subtitle = page.locator(".map-subtitle").inner_text()
        assert "weighted by Population mid-2020 (2020)" in subtitle
        assert "weighted by Population mid-2020" in page.locator(".aggregation").inner_text()
        csv_href = page.locator("a", has_text="CSV").first.get_attribute("href")
    csv = app.test_client().get(csv_href).get_data(as_text=True)
    assert set(pd.read_csv(io.StringIO(csv))["weight"]) == {"pop"}


def test_a_nomis_table_names_its_publication_as_the_source(figures_client):
    """Imported without --source, a Nomis download is credited to its dataset, not its file name."""
    meta = next(m for m in figures_client.get("/api/indicators").get_json() if m["id"] == "employed")
    dataset = pd.read_csv(APS, dtype=str, nrows=1)["dataset"].iloc[0]
    assert meta["source"] == f"{dataset}, ONS via Nomis"


def test_leeds_and_manchester_compared_over_the_ubc_periods(figures_client):
    """The comparison's CSV over UK Business Counts 2018-2022 equals the Nomis file, England too."""
    frame = pd.read_csv(UBC, dtype=str)
    frame = frame[frame["variable"] == "Total"]

    def series(code):
        rows = frame[frame["area_code"] == code]
        return dict(zip(rows["period"], rows["value"].astype(float)))
    response = figures_client.get("/compare.csv?areas=E08000035,E08000003&indicator=ubc")
    assert response.status_code == 200
    rows = list(pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype={"period": str})
                .itertuples(index=False))
    leeds, manchester, england = series("E08000035"), series("E08000003"), series("E92000001")
    assert [r[0] for r in rows] == ["2018", "2019", "2020", "2021", "2022"]
    for period, a, b, e in rows:
        assert (a, b, e) == (leeds[period], manchester[period], england[period])
