"""Levels, GSS codes, ONS field conventions and vintages."""
import pandas as pd
import pytest

from geohub.errors import InputError
from geohub.geography.conventions import detect_fields, vintage_from_filename
from geohub.geography.levels import get_level, level_for_code, parse_vintage


@pytest.mark.parametrize("code,level", [
    ("E06000001", "lad"), ("E07000004", "lad"), ("E08000001", "lad"), ("E09000001", "lad"),
    ("W06000016", "lad"), ("S12000049", "lad"), ("N09000001", "lad"), ("E10000002", "county"),
    ("E47000001", "cauth"), ("E37000043", "lep"), ("E69000001", "lsip"), ("E12000001", "region"),
    ("E92000001", "country"), ("W92000004", "country"), ("E02000001", "msoa"), ("X99", None),
])
def test_level_for_code(code, level):
    found = level_for_code(code)
    assert (found.name if found else None) == level


def test_level_names_are_case_insensitive_and_errors_list_the_names():
    assert get_level("LAD").name == "lad"
    assert get_level(" Cauth ").name == "cauth"
    with pytest.raises(InputError) as err:
        get_level("ward")
    assert "lad" in err.value.hint and "lsip" in err.value.hint


def test_vintages_are_years():
    assert parse_vintage("2021") == 2021
    assert parse_vintage("21") == 2021
    with pytest.raises(InputError):
        parse_vintage("last year")


@pytest.mark.parametrize("columns,code,name,level,vintage", [
    (["OBJECTID", "LAD21CD", "LAD21NM", "LAD21NMW"], "LAD21CD", "LAD21NM", "lad", 2021),
    (["CAUTH24CD", "CAUTH24NM"], "CAUTH24CD", "CAUTH24NM", "cauth", 2024),
    (["lep21cd", "lep21nm"], "lep21cd", "lep21nm", "lep", 2021),
    (["LSIP23CD", "LSIP23NM"], "LSIP23CD", "LSIP23NM", "lsip", 2023),
    (["areacd", "areanm"], "areacd", "areanm", None, None),
    (["areacd"], "areacd", None, None, None),
])
def test_detect_fields(columns, code, name, level, vintage):
    frame = pd.DataFrame({c: ["x"] for c in columns})
    fields = detect_fields(frame)
    assert (fields.code, fields.name, fields.level.name if fields.level else None, fields.vintage) == (
        code, name, level, vintage)


def test_detect_fields_lists_candidates_when_no_code_field():
    frame = pd.DataFrame({"label": ["a"], "kind": ["b"], "n": [1]})
    with pytest.raises(InputError) as err:
        detect_fields(frame)
    assert "label" in str(err.value) and "kind" in str(err.value) and "--code-field" in str(err.value)


def test_detect_fields_refuses_to_guess_between_two_code_fields():
    frame = pd.DataFrame({"LAD21CD": ["a"], "RGN21CD": ["b"]})
    with pytest.raises(InputError, match="LAD21CD, RGN21CD"):
        detect_fields(frame)


def test_flags_override_detection_case_insensitively():
    frame = pd.DataFrame({"LAD21CD": ["a"], "my_code": ["b"], "Label": ["c"]})
    fields = detect_fields(frame, code_field="MY_CODE", name_field="label")
    assert (fields.code, fields.name) == ("my_code", "Label")


@pytest.mark.parametrize("name,year", [
    ("LAD16_UK_BSC_onsvisual.geojson", 2016), ("LEP_May2021_EN_BUC.geojson", 2021),
    ("MSOA21_PWC_EW_onsvisual.geojson", 2021), ("CTRY_Dec2024_England_only_BUC.geojson", 2024),
    ("boundaries.geojson", None),
])
def test_vintage_from_filename(name, year):
    assert vintage_from_filename(name) == year


def test_core_hints_name_options_the_edges_render():
    """Core messages carry no CLI flags: the CLI renders an option as --name, the web as name."""
    from geohub.errors import InputError, option
    error = InputError("Cannot tell the vintage.", f"Give {option('vintage')}, e.g. 2021.")
    assert str(error) == "Cannot tell the vintage. Give --vintage, e.g. 2021."
    assert error.hint == "Give vintage, e.g. 2021." and error.to_dict()["hint"] == error.hint
    # tests/test_core_messages.py scans the core's messages for flags and URL parameters


@pytest.mark.parametrize("column,reading", [
    ("LAD21CD", ("LAD", "lad", 2021, "CD", "ons", "")),
    ("CAUTH24NM", ("CAUTH", "cauth", 2024, "NM", "ons", "")),
    ("LAD21NMW", ("LAD", "lad", 2021, "NMW", "ons", "")),
    ("LEP17CD2", ("LEP", "lep", 2017, "CD", "ons", "2")),
    ("ltla21_code", ("LTLA", "lad", 2021, "CD", "snake", "")),
    ("rgncd", ("RGN", "region", None, "CD", "bare", "")),
    ("WD21CD", ("WD", None, 2021, "CD", "ons", "")),       # a stem geohub has no level for
    ("areacd", None), ("msoa11hclnm", None), ("value", None),
])
def test_ons_field_reads_every_spelling_once(column, reading):
    """One reading of ONS column names serves boundary files, lookups and indicator tables; the
    level comes from the levels' own field stems."""
    from geohub.geography.conventions import ons_field
    found = ons_field(column)
    assert (None if found is None else (found.stem, found.level and found.level.name, found.vintage,
                                        found.kind, found.form, found.number)) == reading


def test_file_name_years_use_every_levels_stems():
    from geohub.geography.levels import LEVELS
    for stem in {p for level in LEVELS for p in level.field_prefixes}:
        assert vintage_from_filename(f"{stem}19_boundaries.geojson") == 2019, stem
    assert vintage_from_filename("CAUTH21_EN_BUC.geojson") == 2021
    assert vintage_from_filename("CAUTHORITY_2019.geojson") is None
