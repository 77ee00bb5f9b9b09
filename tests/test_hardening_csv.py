"""CSV safety (issue 16, finding 8): every CSV geohub writes neutralises cells a spreadsheet would
run as a formula, and leaves numbers (negative ones too) as numbers."""
import csv
import io

import pytest

from factories import lonlat_boxes

HOSTILE = [("E06000001", "=HYPERLINK(\"http://evil.example\",\"x\")"), ("E06000002", "+1+cmd"),
           ("E06000003", "-2+3"), ("E06000004", "@SUM(A1)"), ("E06000005", "\tTab"), ("E06000006", "Plain")]


def cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe(text):
    for cell in cells(text):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        if cell.startswith("-"):
            float(cell)                       # only numbers may start with a minus


def test_neutralise_keeps_numbers():
    from geohub.io.csv import neutralise
    assert neutralise("=1+1") == "'=1+1" and neutralise("-2+3") == "'-2+3" and neutralise("@x") == "'@x"
    assert neutralise("-5") == "-5" and neutralise("+1.5e3") == "+1.5e3" and neutralise(-5.0) == -5.0
    assert neutralise("a=b") == "a=b" and neutralise("\rx") == "'\rx"


@pytest.fixture
def hostile_store(geohub, tmp_path):
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "l.geojson", HOSTILE)).exit_code == 0
    leps = lonlat_boxes(tmp_path / "p.geojson", [("E37000001", "=cmd|' /C calc'!A0")], "LEP21")
    assert geohub("import-boundaries", leps, "--level", "lep", "--vintage", 2021).exit_code == 0
    values = tmp_path / "v.csv"
    values.write_text("code,value,flag\n" + "".join(f"{c},{-i - 0.5},{'=x' if i == 0 else ''}\n"
                                                    for i, (c, _) in enumerate(HOSTILE)))
    assert geohub("import-indicator", values, "--id", "v", "--period", "2020", "--kind", "count").exit_code == 0


def test_geohub_areas_is_safe(geohub, hostile_store):
    result = geohub("areas", "lad")
    assert result.exit_code == 0 and "'=HYPERLINK" in result.output and "'-2+3" in result.output
    assert_safe(result.output)


def test_geohub_overlaps_output_is_safe(geohub, hostile_store, tmp_path):
    out = tmp_path / "o.csv"
    assert geohub("overlaps", "lad", "lep", "--output", out).exit_code == 0
    text = out.read_text()
    assert "'=cmd" in text and "'=HYPERLINK" in text
    assert_safe(text)


def test_geohub_export_csv_and_the_web_export_are_safe(geohub, hostile_store, tmp_path, store_path):
    out = tmp_path / "e.csv"
    assert geohub("export", "v", "--level", "lad", "--format", "csv", "--output", out).exit_code == 0
    text = out.read_text()
    assert "'=HYPERLINK" in text and ",-0.5," in text      # the value is still a number
    assert_safe(text)
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path / "cache")})
    web = app.test_client().get("/maps/v.csv?level=lad")
    assert web.status_code == 200 and "'@SUM" in web.get_data(as_text=True)
    assert_safe(web.get_data(as_text=True))
