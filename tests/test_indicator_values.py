"""Cleaning published values, detecting columns, and building drafts from tiny tables."""
import numpy as np
import pandas as pd
import pytest

from geohub.errors import InputError
from geohub.indicators.combine import combine
from geohub.indicators.drafts import ImportOptions, build_drafts, infer_kind
from geohub.indicators.values import clean_values


def test_markers_become_missing_with_their_flag_never_zero():
    raw = pd.Series(["12", " 1,234 ", "\ufeff7", "..", "x", "c", "*", "!", "-", ":", "[x]", None, "0"])
    values, flags = clean_values(raw)
    assert values.tolist()[:3] == [12.0, 1234.0, 7.0]
    assert values.iloc[3:11].isna().all()
    assert flags.iloc[3:11].tolist() == ["..", "x", "c", "*", "!", "-", ":", "[x]"]
    assert np.isnan(values.iloc[11]) and flags.iloc[11] is None
    assert values.iloc[12] == 0.0


def test_nomis_flag_column_is_kept():
    values, flags = clean_values(pd.Series([None, "500", "12"]), pd.Series(["!", "~", None]))
    assert np.isnan(values[0]) and flags.tolist() == ["!", "~", None]
    assert values[1] == 500.0


def test_non_numeric_values_name_their_lines():
    with pytest.raises(InputError) as err:
        clean_values(pd.Series(["1", "n.a.", "3", "lots"]))
    assert "line 3: 'n.a.'" in str(err.value) and "line 5: 'lots'" in str(err.value)


def long_table():
    return pd.DataFrame({
        "GEOGRAPHY_CODE": ["E06000001", "E06000002"] * 2,
        "DATE": ["2020", "2020", "2021", "2021"],
        "OBS_VALUE": ["10", "20", "..", "40"],
        "MEASURES_NAME": ["Value"] * 4,
    })


def test_long_table_columns_are_detected(tmp_path):
    (draft,) = build_drafts(long_table(), ImportOptions(kind="count", title="Jobs"), tmp_path / "x.csv")
    assert draft.meta["periods"] == ["2020", "2021"]
    assert draft.rows["value"].tolist()[:2] == [10.0, 20.0] and draft.rows["flag"].iloc[2] == ".."


def test_wide_table_takes_total_population_and_period_from_file_name(tmp_path):
    wide = pd.DataFrame({"ltla21_code": ["E06000001"], "ltla21_name": ["Hartlepool"],
                         "total_population": ["93,663"], "0": ["1000"], "1": ["990"]})
    (draft,) = build_drafts(wide, ImportOptions(), tmp_path / "mye_mid2020.csv")
    assert draft.meta["kind"] == "count" and draft.meta["periods"] == ["2020"]
    assert draft.rows["value"].iloc[0] == 93663.0
    assert draft.rows["declared_vintage"].iloc[0] == 2021


def test_multi_indicator_table_makes_one_indicator_per_value(tmp_path):
    frame = pd.DataFrame({"AREACD": ["E06000001", "E06000001", "E06000002"],
                          "Indicator": ["Median pay", "Jobs", "Median pay"],
                          "Period": ["2021", "2020", "2021"], "Unit": ["£", "Number", "£"],
                          "Value": ["500", "12", "510"]})
    drafts = build_drafts(frame, ImportOptions(indicator_column="Indicator", id="sie"), tmp_path / "f.csv")
    assert [(d.meta["id"], d.meta["unit"], d.meta["kind"], d.meta["periods"]) for d in drafts] == [
        ("sie-jobs", "Number", "count", ["2020"]), ("sie-median-pay", "£", "rate", ["2021"])]


def test_duplicates_name_the_column_to_filter_by(tmp_path):
    frame = pd.concat([long_table().assign(variable="A"), long_table().assign(variable="B")])
    frame = frame.reset_index(drop=True)
    with pytest.raises(InputError) as err:
        build_drafts(frame, ImportOptions(kind="count"), tmp_path / "x.csv")
    assert "repeat an (area code, period) pair" in str(err.value)
    # The command line names its flags; the hint itself (for the web) names options without them.
    assert "--where variable=VALUE" in str(err.value) and "--indicator-column variable" in str(err.value)
    assert "--" not in err.value.hint and "where variable=VALUE" in err.value.hint


def test_empty_filter_says_which_filter(tmp_path):
    frame = long_table().assign(variable="A")
    with pytest.raises(InputError) as err:
        build_drafts(frame, ImportOptions(kind="count", where=[("variable", "Z")]), tmp_path / "x.csv")
    assert "variable='Z' matched no rows" in str(err.value) and "'A'" in err.value.hint


def test_no_code_column_lists_candidates(tmp_path):
    frame = pd.DataFrame({"place": ["E06000001"], "when": ["2020"], "value": ["1"]})
    with pytest.raises(InputError) as err:
        build_drafts(frame, ImportOptions(kind="count"), tmp_path / "x.csv")
    assert "No code column" in str(err.value) and "place" in err.value.hint


def test_rate_unit_refused_as_count(tmp_path):
    frame = long_table().assign(Unit="%")
    with pytest.raises(InputError, match="is a rate"):
        build_drafts(frame, ImportOptions(kind="count", title="Employment rate"), tmp_path / "x.csv")


def test_kind_is_asked_for_when_it_cannot_be_told(tmp_path):
    with pytest.raises(InputError, match="count or a rate"):
        build_drafts(long_table(), ImportOptions(title="Widgets"), tmp_path / "x.csv")


@pytest.mark.parametrize("text,kind", [("Employment rate (16-64)", "rate"), ("Median weekly pay", "rate"),
                                       ("Number of starts", "count"), ("Total population", "count"),
                                       ("Widgets", None)])
def test_infer_kind(text, kind):
    assert infer_kind(text) == kind


def test_combine_counts_and_weighted_rates():
    table = pd.DataFrame({"source_code": ["a", "b", "c"], "target_code": ["X", "X", "Y"],
                          "share": [1.0, 1.0, 1.0]})
    counts = combine(pd.Series({"a": 10.0, "b": 5.0, "c": 1.0}), table, "count")
    assert counts.set_index("target_code")["value"].to_dict() == {"X": 15.0, "Y": 1.0}
    with pytest.raises(InputError, match="needs a weight"):
        combine(pd.Series({"a": 0.5, "b": 0.1, "c": 0.2}), table, "rate")
    rates = combine(pd.Series({"a": 0.5, "b": 0.1, "c": 0.2}), table, "rate",
                    pd.Series({"a": 100.0, "b": 300.0, "c": 7.0}))
    assert rates.set_index("target_code")["value"].to_dict() == pytest.approx({"X": 0.2, "Y": 0.2})
    gap = combine(pd.Series({"a": 10.0, "b": np.nan, "c": 1.0}), table, "count")
    assert np.isnan(gap["value"].iloc[0]) and gap["missing"].iloc[0] == ["b"]
