"""geohub import-indicator: reports, --strict, listing commands, and every bad input leaving the
store byte-for-byte unchanged."""
import pytest


def table(tmp_path, text, name="values.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = ("\ufeffarea_code,period,value\nE06000001,2020,\" 1,200 \"\nE06000002,2020,x\n"
        "E06000003,2020,30\nE12000001,2020,900\nE99999999,2020,1\n")


def test_report_lists_matches_and_unmatched(geohub, loaded, tmp_path):
    result = geohub("import-indicator", table(tmp_path, GOOD), "--id", "jobs", "--kind", "count",
                    "--title", "Jobs", "--unit", "jobs", "--source", "Test source", "--licence", "OGL")
    assert result.exit_code == 0, result.output
    assert "lad 2021 (best match): matched 3 of 3 codes" in result.output
    assert "E12000001" in result.output and "no region boundaries" in result.output
    assert "unmatched 1 codes with no geohub level: E99999999" in result.output
    listing = geohub("indicators").output
    assert "jobs\tcount\tlad 2021\tJobs" in listing
    shown = geohub("indicator", "jobs").output
    assert "unit: jobs" in shown and "source: Test source" in shown and "periods: 2020" in shown


def test_strict_refuses_unmatched_codes(geohub, loaded, store_path, tmp_path):
    result = geohub("import-indicator", table(tmp_path, GOOD), "--kind", "count", "--strict")
    assert result.exit_code != 0 and "E99999999" in result.output and "--strict" in result.output
    assert store_path.read_bytes() == loaded


@pytest.mark.parametrize("text,args,fragments", [
    ("area_code,period,value\nE06000001,2020,12\nE06000002,2020,lots\n", ["--kind", "count"],
     ["neither numbers nor known ONS/Nomis markers", "line 3: 'lots'"]),
    ("area_code,period,value\nE06000001,2020,12\nE06000001,2020,13\n", ["--kind", "count"],
     ["repeat an (area code, period) pair", "E06000001 2020"]),
    ("place,period,value\nE06000001,2020,12\n", ["--kind", "count"],
     ["No code column found", "Candidate columns: place", "--code-column"]),
    ("area_code,period,value,unit\nE06000001,2020,12,%\n", ["--kind", "count", "--title", "Rate"],
     ["has unit '%', which is a rate", "--kind rate"]),
    ("area_code,period,value,variable\nE06000001,2020,12,A\n", ["--kind", "count", "--where", "variable=B"],
     ["The filter variable='B' matched no rows", "'A'"]),
    ("area_code,value\nE06000001,12\n", ["--kind", "count"],
     ["No period column found", "--period"]),
    ("area_code,period,value\nE06000001,2020,12\n", ["--kind", "count", "--where", "nope"],
     ["is not COLUMN=VALUE"]),
])
def test_bad_input_is_refused_and_changes_nothing(geohub, loaded, store_path, tmp_path, text, args, fragments):
    result = geohub("import-indicator", table(tmp_path, text), *args)
    assert result.exit_code != 0
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert store_path.read_bytes() == loaded


def test_missing_and_empty_files(geohub, loaded, store_path, tmp_path):
    assert "File not found" in geohub("import-indicator", tmp_path / "none.csv").output
    assert "is empty" in geohub("import-indicator", table(tmp_path, "")).output
    assert "cannot read" in geohub("import-indicator", table(tmp_path, "x", "v.parquet")).output
    assert store_path.read_bytes() == loaded


def test_xlsx_tables_are_read(geohub, loaded, tmp_path):
    import pandas as pd
    path = tmp_path / "values.xlsx"
    pd.DataFrame({"AREACD": ["E06000001", "E06000002"], "Period": ["2021", "2021"],
                  "Value": ["1.5", ".."]}).to_excel(path, index=False)
    result = geohub("import-indicator", path, "--kind", "rate", "--title", "Rate")
    assert result.exit_code == 0, result.output
    assert "matched 2 of 2" in result.output


def test_reimport_replaces_values(geohub, loaded, store_path, tmp_path):
    geohub("import-indicator", table(tmp_path, GOOD), "--id", "jobs", "--kind", "count")
    geohub("import-indicator", table(tmp_path, "area_code,period,value\nE06000001,2021,5\n", "v2.csv"),
           "--id", "jobs", "--kind", "count")
    from geohub.store import open_store
    with open_store(store_path) as store:
        values = store.indicator_values("jobs")
    assert values[["area_code", "period", "value"]].values.tolist() == [["E06000001", "2021", 5.0]]
