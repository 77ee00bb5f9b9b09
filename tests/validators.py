"""The validators other people's tools run on geohub's files, driven from the tests.

GDAL's ``validate_gpkg.py`` (Debian's python3-gdal, run with the system Python that has the
``osgeo`` bindings) and ``ogrinfo`` for the GeoPackage store. ``.ci/setup test`` installs them.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"


def validate_gpkg_script() -> Path:
    """Where python3-gdal put validate_gpkg.py (asked of dpkg, as the path moves between releases)."""
    listing = subprocess.run(["dpkg", "-L", "python3-gdal"], capture_output=True, text=True).stdout
    found = [Path(p) for p in listing.split() if p.endswith("/osgeo_utils/samples/validate_gpkg.py")]
    assert found, "validate_gpkg.py (Debian's python3-gdal) is needed: .ci/setup test installs it"
    return found[0]


def validate_gpkg(path) -> subprocess.CompletedProcess:
    """``validate_gpkg.py -k --extra PATH`` (-k: report every failure, not just the first)."""
    return subprocess.run([SYSTEM_PYTHON, str(validate_gpkg_script()), "-k", "--extra", str(path)],
                          capture_output=True, text=True)


def _ogrinfo(*args) -> str:
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian's gdal-bin) is needed: .ci/setup test installs it"
    return subprocess.run([ogrinfo, "-ro", *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


def fid_columns(path) -> dict[str, str | None]:
    """Layer name -> the FID column GDAL reports for it (None when it reports none)."""
    layers = re.findall(r"^\d+: (\w+)", _ogrinfo("-q", path), flags=re.MULTILINE)
    out = {}
    for layer in layers:
        match = re.search(r"^FID Column = (\S+)", _ogrinfo("-so", path, layer), flags=re.MULTILINE)
        out[layer] = match.group(1) if match else None
    return out


def has_spatial_index(path, table: str = "areas", column: str = "geom") -> bool:
    """GDAL's own answer (SQL function HasSpatialIndex of its GeoPackage driver)."""
    out = _ogrinfo("-q", path, "-sql", f"SELECT HasSpatialIndex('{table}', '{column}')")
    match = re.search(r"HasSpatialIndex \(Integer\) = (\d)", out)
    assert match, out
    return match.group(1) == "1"


def rings_with_repeated_vertices(geom) -> int:
    """How many rings of a (multi)polygon have two equal consecutive vertices (QGIS's 'duplicate
    nodes'), counted from the coordinates themselves."""
    import numpy as np
    import shapely
    n = 0
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon":
            continue
        for ring in (part.exterior, *part.interiors):
            coords = np.asarray(ring.coords)
            n += bool(np.all(coords[1:] == coords[:-1], axis=1).any())
    return n


# geojson-validator's checks that RFC 7946 output must pass: all of its "invalid" ones (unclosed
# rings, too few nodes, exterior_not_ccw, interior_not_cw) and these "problematic" ones (holes and
# big geometries are fine).
GEOJSON_PROBLEMATIC = ("inner_and_exterior_ring_intersect", "self_intersection", "duplicate_nodes",
                       "excessive_coordinate_precision", "3d_coordinates", "outside_lat_lon_boundaries",
                       "crosses_antimeridian")


def geojson_problems(body: dict) -> dict[str, int]:
    """What geojson-validator (PyPI) finds in a GeoJSON object: check name -> features affected;
    'structure' for schema problems (a ``crs`` member among them). Empty when it passes."""
    import logging

    import geojson_validator
    logging.getLogger("geojson_validator").setLevel(logging.WARNING)  # it logs every result
    found = geojson_validator.validate_geometries(body, criteria_problematic=GEOJSON_PROBLEMATIC)
    problems = {name: len(where) for group in ("invalid", "problematic")
                for name, where in found[group].items() if where}
    structure = geojson_validator.validate_structure(body, check_crs=True)
    if structure:
        problems["structure"] = len(structure)
    return problems


def max_decimals(body: dict) -> int:
    """The most decimals any coordinate of a GeoJSON object needs (as a float, 1e-06 is 6)."""
    from decimal import Decimal
    most = 0

    def walk(value):
        nonlocal most
        if isinstance(value, float):
            most = max(most, -Decimal(repr(value)).normalize().as_tuple().exponent)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    for feature in body["features"]:
        walk(feature["geometry"]["coordinates"])
    return most


def check_bbox(body: dict) -> None:
    """A ``bbox`` member, where there is one, is [west, south, east, north] of the coordinates."""
    import shapely
    if "bbox" in body:
        geoms = [shapely.geometry.shape(f["geometry"]) for f in body["features"]]
        assert list(body["bbox"]) == list(shapely.total_bounds(geoms)), body["bbox"]


JS = Path(__file__).with_name("js")


def decode_topojson(payload: bytes, tmp_path) -> dict:
    """{object name: GeoJSON FeatureCollection} as topojson-client 3 decodes ``payload`` under
    Node (tests/js, installed by .ci/setup test)."""
    node = shutil.which("node")
    assert node, "Node.js is needed: .ci/setup test installs it"
    assert (JS / "node_modules" / "topojson-client").is_dir(), \
        "topojson-client is needed: .ci/setup test installs it into tests/js/node_modules"
    path = Path(tmp_path) / "payload.topojson"
    path.write_bytes(payload)
    out = subprocess.run([node, str(JS / "decode.js"), str(path)], capture_output=True, text=True,
                         check=True).stdout
    import json
    return json.loads(out)


VNU_JAR = Path(__file__).resolve().parents[1] / ".ci" / "npm" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_messages(pages: dict[str, str], workdir: Path) -> dict[str, list[dict]]:
    """The Nu HTML checker's messages (npm ``vnu-jar`` run by Debian's Java, both installed by
    ``.ci/setup test``) for each page, given as {name: HTML}: one JVM checks them all."""
    import json
    java = shutil.which("java")
    assert java and VNU_JAR.is_file(), "the Nu HTML checker needs java and vnu.jar: run .ci/setup test"
    files = {}
    for name, html in pages.items():
        files[name] = workdir / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")
    done = subprocess.run([java, "-jar", str(VNU_JAR), "--stdout", "--format", "json",
                           *map(str, files.values())], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout or done.stderr)
    by_file = {name: [] for name in pages}
    for message in report["messages"]:
        # Java writes file:/tmp/x.html (one slash): match on the file name, refuse anything else.
        name = message.get("url", "").rsplit("/", 1)[-1].removesuffix(".html")
        assert name in by_file, f"vnu reported on something it was not given: {message}"
        by_file[name].append(message)
    return by_file
