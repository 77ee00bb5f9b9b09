"""Managing indicators (issue 12, item 9): ``geohub indicator edit|delete`` on both stores, atomic
(a refused change leaves the store as it was), ratios kept whole; readable default titles and ids
from Nomis and ONS labels (the real files in ../shared/data/indicators)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import INDICATORS, REPO, snapshot
from geohub.errors import InputError, NotFound

APS = INDICATORS / "nomis_aps_t01_econ_activity_16-64_JanDec2018-2022_LAD21.csv"
UBC = INDICATORS / "nomis_ubc_enterprises_sizeband_2018-2022_LAD21.csv"
EMPLOYED = "T01:28 (Aged 16-64 - In employment : All People )"
ALL_1664 = "T01:22 (Aged 16-64 - All : All People )"


def _values(codes_values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"level": "lad", "vintage": 2021, "area_code": list(codes_values),
                         "period": "2020", "value": list(codes_values.values()), "flag": None})


@pytest.fixture
def with_ratio(any_store):
    """Two counts and a ratio of them (as 'geohub derive' writes it), written by the store's writer."""
    with any_store.transaction() as tx:
        import_id = tx.record_import("indicator", "test", None, None, {})
        tx.replace_indicator({"id": "employed", "title": "Employed", "unit": "people", "kind": "count",
                              "periods": ["2020"], "levels": {"lad": 2021}},
                             _values({"E06000001": 40.0, "E06000002": 30.0}), import_id)
        tx.replace_indicator({"id": "all1664", "title": "All 16-64", "unit": "people", "kind": "count",
                              "periods": ["2020"], "levels": {"lad": 2021}},
                             _values({"E06000001": 80.0, "E06000002": 50.0}), import_id)
        tx.replace_indicator({"id": "emprate", "title": "Employment rate", "unit": "%", "kind": "ratio",
                              "numerator": "employed", "denominator": "all1664", "scale": 100.0,
                              "periods": ["2020"], "levels": {"lad": 2021}},
                             _values({"E06000001": 50.0, "E06000002": 60.0}), import_id)
    return any_store


def test_edit_renames_values_and_the_ratio_that_uses_it(with_ratio):
    from geohub.indicators.manage import edit_indicator
    store = with_ratio
    imports_before = len(store.imports())
    change = edit_indicator(store, "employed", new_id="in-employment", title="In employment, 16-64",
                            licence="Open Government Licence v3.0")
    ids = [m["id"] for m in store.indicators()]
    assert "employed" not in ids and "in-employment" in ids
    meta = store.indicator("in-employment")
    assert (meta["title"], meta["unit"], meta["licence"]) == ("In employment, 16-64", "people",
                                                              "Open Government Licence v3.0")
    assert meta["periods"] == ["2020"] and meta["levels"] == {"lad": 2021}   # the rest is kept
    values = store.indicator_values("in-employment")
    assert dict(zip(values["area_code"], values["value"])) == {"E06000001": 40.0, "E06000002": 30.0}
    assert store.indicator_values("employed").empty
    ratio = store.indicator("emprate")
    assert (ratio["numerator"], ratio["denominator"]) == ("in-employment", "all1664")
    assert ratio["title"] == "Employment rate"
    # Reported like an import, and recorded as one.
    assert change.import_id == int(store.imports()["id"].iloc[-1])
    assert len(store.imports()) == imports_before + 1 and store.imports()["kind"].iloc[-1] == "edit"
    text = "\n".join(change.lines())
    assert "'in-employment' (2 values moved)" in text and "emprate: its numerator is now" in text


def test_edit_clears_a_unit_and_keeps_the_id(with_ratio):
    from geohub.indicators.manage import edit_indicator
    edit_indicator(with_ratio, "all1664", unit="", source="ONS APS")
    meta = with_ratio.indicator("all1664")
    assert meta["unit"] is None and meta["source"] == "ONS APS" and meta["title"] == "All 16-64"
    assert len(with_ratio.indicator_values("all1664")) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"new_id": "all1664"}, "already an indicator 'all1664'"),
    ({"new_id": "Employed Persons"}, "is not a slug"),
    ({"new_id": "x" * 65}, "is not a slug"),
    ({}, "Nothing to change"),
    ({"title": "Employed"}, "nothing to change"),
    ({"title": "  "}, "cannot be empty"),
    ({"title": "t" * 201}, "title"),
    ({"unit": "%"}, "is a count"),
])
def test_refused_edit_changes_nothing(with_ratio, kwargs, message):
    from geohub.indicators.manage import edit_indicator
    before = snapshot(with_ratio)
    with pytest.raises(InputError, match=re.escape(message)) as refused:
        edit_indicator(with_ratio, "employed", **kwargs)
    assert refused.value.hint
    assert snapshot(with_ratio) == before


def test_edit_or_delete_of_a_missing_indicator_lists_the_ids(with_ratio):
    from geohub.indicators.manage import delete_indicator, edit_indicator
    before = snapshot(with_ratio)
    for call in (lambda: edit_indicator(with_ratio, "nope", title="X"),
                 lambda: delete_indicator(with_ratio, "nope")):
        with pytest.raises(NotFound, match="nope") as missing:
            call()
        assert "all1664" in missing.value.hint
    assert snapshot(with_ratio) == before


def test_a_failing_write_rolls_the_whole_edit_back(with_ratio):
    """The writer's rename is one transaction: when its second statement fails (the id is taken:
    the store's own UNIQUE key), the first is undone too."""
    store = with_ratio
    before = snapshot(store)
    meta = {k: v for k, v in store.indicator("emprate").items() if k != "import_id"}
    with pytest.raises(Exception):
        with store.transaction() as tx:
            tx.update_indicator("employed", {**store.indicator("employed"), "title": "changed"})
            tx.update_indicator("emprate", {**meta, "id": "all1664"})
    assert snapshot(store) == before
    assert store.indicator("employed")["title"] == "Employed"


def test_delete_refuses_a_part_of_a_ratio_then_deletes(with_ratio):
    from geohub.indicators.manage import delete_indicator
    store = with_ratio
    before = snapshot(store)
    with pytest.raises(InputError, match="derived ratio 'emprate'") as refused:
        delete_indicator(store, "all1664")
    assert "denominator" in str(refused.value) and "delete the ratio first" in refused.value.hint.lower()
    assert snapshot(store) == before
    change = delete_indicator(store, "emprate")
    assert change.lines() == ["emprate: deleted with its 2 values (Employment rate)."]
    delete_indicator(store, "all1664")          # no ratio uses it now
    assert [m["id"] for m in store.indicators()] == ["employed"]
    assert store.indicator_values("all1664").empty and store.indicator_values("emprate").empty
    assert list(store.imports()["kind"].iloc[-2:]) == ["delete", "delete"]


# -- the CLI --------------------------------------------------------------------------------------

GOOD = "area_code,period,value\nE06000001,2020,40\nE06000002,2020,30\nE06000003,2020,20\n"
ALL = "area_code,period,value\nE06000001,2020,80\nE06000002,2020,50\nE06000003,2020,40\n"


def test_cli_show_edit_delete(geohub, loaded, store_path, tmp_path):
    for name, text in (("jobs", GOOD), ("all", ALL)):
        (tmp_path / f"{name}.csv").write_text(text)
        assert geohub("import-indicator", tmp_path / f"{name}.csv", "--id", name, "--kind", "count",
                      "--title", name.title()).exit_code == 0
    assert geohub("derive", "rate", "--numerator", "jobs", "--denominator", "all").exit_code == 0
    # 'geohub indicator ID' still shows it, as does 'show'.
    shown = geohub("indicator", "jobs")
    assert shown.exit_code == 0 and "title: Jobs" in shown.output
    assert geohub("indicator", "show", "jobs").output == shown.output
    edited = geohub("indicator", "edit", "jobs", "--new-id", "jobs-2020", "--title", "Jobs, 2020")
    assert edited.exit_code == 0, edited.output
    assert "jobs: id -> 'jobs-2020' (3 values moved); title 'Jobs' -> 'Jobs, 2020'." in edited.output
    assert "rate: its numerator is now 'jobs-2020'." in edited.output
    assert re.search(r"Edited 1 indicator in .*store\.gpkg \(import \d+\)\.", edited.output)
    assert "numerator: jobs-2020" in geohub("indicator", "rate").output
    listing = geohub("indicators").output
    assert "jobs-2020\tcount" in listing and "\tJobs, 2020" in listing
    before = store_path.read_bytes()
    for args, message in ((("edit", "all", "--new-id", "rate"), "already an indicator 'rate'"),
                          (("edit", "all", "--new-id", "All People"), "not a slug"),
                          (("delete", "all"), "derived ratio 'rate'"),
                          (("delete", "nope"), "no indicator 'nope'")):
        refused = geohub("indicator", *args)
        assert refused.exit_code == 1 and message in refused.output, refused.output
        assert store_path.read_bytes() == before
    deleted = geohub("indicator", "delete", "rate")
    assert deleted.exit_code == 0 and "rate: deleted with its 3 values" in deleted.output
    assert "Deleted 1 indicator from" in deleted.output
    assert geohub("indicator", "delete", "all").exit_code == 0
    assert geohub("indicators").output.splitlines()[0].startswith("jobs-2020\t")


def test_cli_edit_refuses_a_missing_store(geohub, store_path):
    refused = geohub("indicator", "edit", "x", "--title", "X")
    assert refused.exit_code == 1 and "There is no store" in refused.output
    assert not store_path.exists()


def test_readme_lists_the_indicator_subcommands():
    from geohub.cli import cli
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"geohub indicator ([a-z]+) ID", readme))
    assert documented | {"show"} == set(cli.commands["indicator"].commands)
    for name in ("title", "unit", "source", "licence", "new-id"):
        assert f"--{name}" in readme.split("geohub indicator edit ID", 1)[1].splitlines()[0]


# -- readable default titles and ids -----------------------------------------------------------

@pytest.mark.parametrize("label, title", [
    (EMPLOYED, "Aged 16-64, in employment"),
    (ALL_1664, "Aged 16-64, all people"),
    ("T01:34 (Aged 16-64 - Self Employed : All People )", "Aged 16-64, self employed"),
    ("T01:29 (Aged 16-64 - In employment : Males )", "Aged 16-64, in employment, males"),
    ("T19:7 (All aged 16-64 - NVQ4+ : All People )", "All aged 16-64, NVQ4+"),
    ("Median Weekly Pay", "Median Weekly Pay"),          # not a Nomis label: as it is
])
def test_readable_label(label, title):
    from geohub.indicators.drafts import readable_label
    assert readable_label(label) == title


@pytest.mark.real_data
@pytest.mark.parametrize("path, variable, indicator_id, title", [
    (APS, EMPLOYED, "aged-16-64-in-employment", "Aged 16-64, in employment"),
    (APS, ALL_1664, "aged-16-64-all-people", "Aged 16-64, all people"),
    (UBC, "Total", "uk-business-counts-enterprises", "UK Business Counts: enterprises"),
    (UBC, "Micro (0 to 9)", "uk-business-counts-enterprises-micro-0-to-9",
     "UK Business Counts: enterprises, micro (0 to 9)"),
])
def test_default_titles_from_the_real_files(path, variable, indicator_id, title):
    from geohub.indicators.drafts import ImportOptions, build_drafts
    from geohub.io.tables import read_table
    [draft] = build_drafts(read_table(path), ImportOptions(kind="count", where=[("variable", variable)]),
                           path)
    assert (draft.meta["id"], draft.meta["title"]) == (indicator_id, title)


@pytest.mark.real_data
def test_indicator_column_titles_from_the_real_file():
    from geohub.indicators.drafts import ImportOptions, build_drafts
    from geohub.io.tables import read_table
    drafts = build_drafts(read_table(APS), ImportOptions(kind="count", indicator_column="variable",
                                                         id="aps"), APS)
    titles = {d.meta["id"]: d.meta["title"] for d in drafts}
    assert titles["aps-aged-16-64-in-employment"] == "Aged 16-64, in employment"
    assert titles["aps-aged-16-64-inactive"] == "Aged 16-64, inactive"
    assert len(titles) == 7 and all(len(i) <= 40 for i in titles)


@pytest.mark.real_data
def test_import_without_id_or_title_then_rename(geohub, loaded, store_path):
    """The issue's case: the APS employment count imported with no --id or --title."""
    result = geohub("import-indicator", APS, "--where", f"variable={EMPLOYED}", "--kind", "count")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("aged-16-64-in-employment: ")
    shown = geohub("indicator", "aged-16-64-in-employment").output
    assert "title: Aged 16-64, in employment" in shown
    edited = geohub("indicator", "edit", "aged-16-64-in-employment", "--new-id", "employed")
    assert edited.exit_code == 0, edited.output
    assert "title: Aged 16-64, in employment" in geohub("indicator", "employed").output
