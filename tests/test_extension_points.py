"""The walk-throughs of issue 15: adding a level is one entry in geography/levels.py (plus the
README's list of levels), adding a classification scheme is one entry in maps/classify.py, adding a
store backend is its module plus one registration. Each test makes exactly that edit in a fresh
process (tests/walkthrough.py) and shows that everything that depends on it follows."""
from __future__ import annotations

import shapely

from factories import THREE_LADS, feature, lonlat_boxes, write_geojson
from walkthrough import run_edited

# An Integrated Care Board level, as a developer would add it to LEVELS.
NEW_LEVEL = """
    Level("icb", "Integrated care board", "Integrated care boards", ("E54",), ("ICB",), ("icb",),
          outline=Outline("#912b88", 2, "6 3"), whole_lads=True),"""
LEVELS_ANCHOR = "LEVELS: tuple[Level, ...] = ("


def test_adding_a_level_is_one_entry_in_levels(tmp_path):
    lads = lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)
    icb = write_geojson(tmp_path / "ICB23_EN_BUC.geojson", [feature(
        {"ICB23CD": "E54000050", "ICB23NM": "North East and North Cumbria"}, shapely.box(-2, 52, -1.7, 52.1))])
    (tmp_path / "lookup.csv").write_text("LAD23CD,ICB23CD\nE06000001,E54000050\nE06000002,E54000050\n")
    (tmp_path / "values.csv").write_text("icb23_code,period,value\nE54000050,2023,7\n")
    (tmp_path / "jobs.csv").write_text(
        "area_code,period,value\nE06000001,2020,1\nE06000002,2020,2\nE06000003,2020,3\n")
    found = run_edited({"geohub.geography.levels": [(LEVELS_ANCHOR, NEW_LEVEL)]}, f"""
        import json, re
        import pandas as pd
        from geohub.cli import cli
        from geohub.geography.conventions import detect_fields, vintage_from_filename
        from geohub.geography.levels import level_for_code
        from geohub.geography.lookups import read_lookup
        from geohub.indicators.columns import detect_columns
        from geohub.maps.model import MapRequest
        from geohub.maps.palettes import OVERLAY_STYLES

        fields = detect_fields(pd.DataFrame({{"ICB23CD": ["E54000050"], "ICB23NM": ["x"]}}))
        lookup = read_lookup({str(tmp_path / "lookup.csv")!r})
        geohub("import-boundaries", {str(lads)!r})
        imported = geohub("import-boundaries", {str(icb)!r})
        geohub("import-indicator", {str(tmp_path / "jobs.csv")!r}, "--id", "jobs", "--title", "Jobs",
               "--kind", "count")
        from geohub import create_app
        app = create_app({{**env, "TESTING": True}})
        page = app.test_client().get("/maps/jobs?overlay=icb").get_data(as_text=True)
        print(json.dumps({{
            "code": level_for_code("E54000050").name,
            "fields": [fields.level.name, fields.vintage, fields.name],
            "file_year": vintage_from_filename("ICB23_EN_BUC.geojson"),
            "lookup": [f.label() for f in lookup.families],
            "column_vintage": detect_columns(pd.DataFrame({{"icb23_code": ["E54000050"], "value": ["7"]}})).code_vintage,
            "style": OVERLAY_STYLES.get("icb"),
            "overlay": MapRequest.from_args("jobs", {{"overlay": "icb"}}).overlays,
            "help": geohub("areas", "--help"),
            "choices": list(next(p for p in cli.commands["import-boundaries"].params
                                 if p.name == "level").type.choices),
            "imported": imported,
            "areas": geohub("areas", "icb"),
            "checkbox": 'value="icb" checked' in page,
            "legend": "Integrated care boards" in page,
        }}))
    """, store=tmp_path / "store.gpkg")
    assert found["code"] == "icb"
    assert found["fields"] == ["icb", 2023, "ICB23NM"]          # ONS field stems
    assert found["file_year"] == 2023                            # file-name stems
    assert found["lookup"] == ["lad 2023 -> icb 2023 (lookup): 2 rows"]   # lookup code columns
    assert found["column_vintage"] == 2023                       # indicator code columns
    assert found["style"] == {"color": "#912b88", "weight": 2, "dashArray": "6 3"}
    assert found["overlay"] == ["icb"]
    assert "{icb|lad|" in found["help"] and "icb" in found["choices"]   # the CLI's level choices
    assert "icb 2023" in found["imported"].lower() and "E54000050" in found["areas"]
    assert found["checkbox"] and found["legend"]                 # the map page's overlay control


# A classification scheme mapclassify offers, as a developer would add it to SCHEMES.
NEW_SCHEME = """
    "maximum_breaks": Scheme("Maximum breaks", "MaximumBreaks"),"""
SCHEMES_ANCHOR = """    "user": Scheme("User-defined breaks", "UserDefined", user_breaks=True),"""


def test_adding_a_classification_scheme_is_one_entry_in_classify(tmp_path):
    lads = lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)
    (tmp_path / "jobs.csv").write_text(
        "area_code,period,value\nE06000001,2020,1\nE06000002,2020,2\nE06000003,2020,30\n")
    found = run_edited({"geohub.maps.classify": [(SCHEMES_ANCHOR, NEW_SCHEME)]}, f"""
        import json
        from geohub.maps.classify import classify, load_mapclassify

        geohub("import-boundaries", {str(lads)!r})
        geohub("import-indicator", {str(tmp_path / "jobs.csv")!r}, "--id", "jobs", "--title", "Jobs",
               "--kind", "count")
        exported = geohub("export", "jobs", "--format", "geojson", "--scheme", "maximum_breaks", "--k", "2",
                          "--output", {str(tmp_path)!r})
        from geohub import create_app
        client = create_app({{**env, "TESTING": True}}).test_client()
        page = client.get("/maps/jobs?scheme=maximum_breaks&k=2")
        values = [1.0, 2.0, 30.0]
        print(json.dumps({{
            "help": geohub("export", "--help"),
            "exported": exported,
            "page": page.status_code,
            "option": '<option value="maximum_breaks" selected>Maximum breaks</option>' in page.get_data(as_text=True),
            "bins": list(classify(values, "maximum_breaks", 2).bins),
            "mapclassify": [float(b) for b in load_mapclassify().MaximumBreaks(values, k=2).bins],
        }}))
    """, store=tmp_path / "store.gpkg")
    assert "maximum_breaks]" in found["help"].replace("\n", "").replace(" ", "")   # the CLI's choices
    assert "jobs_lad_2021_2020_maximum-breaks-k2.geojson" in found["exported"]      # ... and it works
    assert found["page"] == 200 and found["option"]                                 # the map page
    assert found["bins"] == found["mapclassify"]                                    # classify()


# A store backend: its module (here a GeoPackage that records each open) and one registration.
TOY_BACKEND = '''
from geohub.store.gpkg import GeoPackageStore

OPENED = []


class ToyStore(GeoPackageStore):
    """A GeoPackage store under testgpkg://PATH."""

    def __init__(self, path):
        OPENED.append(str(path))
        super().__init__(path)
'''
REGISTRATION = ('register_backend("gpkg", "geohub.store.gpkg:GeoPackageStore", file=True)\n',
                'register_backend("testgpkg", "toy_backend:ToyStore", file=True)\n')


def test_adding_a_store_backend_is_its_module_and_one_registration(tmp_path):
    (tmp_path / "toy_backend.py").write_text(TOY_BACKEND)
    lads = lonlat_boxes(tmp_path / "lads.geojson", THREE_LADS)
    url = f"testgpkg://{tmp_path / 'toy.gpkg'}"
    found = run_edited({"geohub.store": [REGISTRATION]}, f"""
        import json
        from click.testing import CliRunner
        from geohub.cli import cli
        import toy_backend

        runner = CliRunner()
        def geohub(*args, store={url!r}):
            env = {{"GEOHUB_STORE": store, "GEOHUB_DATABASE_URL": "", "GEOHUB_CACHE_DIR": {str(tmp_path / "c")!r}}}
            result = runner.invoke(cli, list(args), env=env)
            return result.exit_code, result.output
        missing = geohub("info")
        imported = geohub("import-boundaries", {str(lads)!r})
        info = geohub("info")
        migrated = geohub("migrate", "--from", {url!r}, "--to", {str(tmp_path / "copy.gpkg")!r})
        unknown = geohub("info", store="nosuch://x")
        from geohub import create_app
        app = create_app({{"GEOHUB_STORE": {url!r}, "GEOHUB_DATABASE_URL": "", "TESTING": True,
                           "GEOHUB_CACHE_DIR": {str(tmp_path / "c")!r}}})
        levels = app.test_client().get("/api/levels").get_json()
        print(json.dumps({{"missing": missing, "imported": imported, "info": info, "migrated": migrated,
                           "unknown": unknown, "levels": levels, "opened": toy_backend.OPENED}}))
    """, env={"PYTHONPATH": str(tmp_path)})
    toy = str(tmp_path / "toy.gpkg")
    assert found["missing"][0] == 1 and f"There is no store at {url}" in found["missing"][1]
    assert found["imported"][0] == 0 and (tmp_path / "toy.gpkg").is_file()
    assert found["info"][0] == 0 and "lad" in found["info"][1]
    assert found["migrated"][0] == 0 and (tmp_path / "copy.gpkg").is_file()
    assert "lad" in {lv["level"] for lv in found["levels"]}                  # the server reads it
    assert found["opened"] and set(found["opened"]) == {toy}     # every open went through the backend
    assert found["unknown"][0] == 1 and "no store backend for nosuch://" in found["unknown"][1]
