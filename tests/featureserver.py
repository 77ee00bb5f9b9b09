"""A stand-in ArcGIS FeatureServer on loopback, serving the shared boundary files like the ONS portal.

Every catalogue dataset that has both a service name and a mirror file is served at
``<root>/<service>/FeatureServer/<layer>`` with what the real portal offers to geohub's fetcher: layer
metadata (``?f=json``), count queries (``returnCountOnly``) and GeoJSON pages in EPSG:4326 (files in
EPSG:27700 are reprojected) with real paging: ``resultOffset``/``resultRecordCount`` capped at a small
maxRecordCount, in object-id order, with ``exceededTransferLimit`` while more remain.

Plain files of the data folder are served at ``<base>/files/<path>`` (for catalogue entries of kind
"file", such as the multi-year TopoJSON).

It records every request, and can be told to misbehave: fail a page a few times (HTTP or ArcGIS JSON
error), go down after N pages until healed, or answer pages with something that is not GeoJSON.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from conftest import SHARED_DATA

PREFIX = "/arcgis/rest/services/"


@lru_cache(maxsize=None)
def _features(path: Path) -> tuple[dict, ...]:
    """The file's features as ArcGIS GeoJSON: lon/lat, numbered FID 1..n in file order."""
    frame = gpd.read_file(path)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    frame = frame.to_crs(4326)
    # The stand-in numbers the features itself (some files carry the FID of their own download).
    frame = frame.drop(columns=["FID"], errors="ignore")
    frame.insert(0, "FID", range(1, len(frame) + 1))
    features = json.loads(frame.to_json(drop_id=True))["features"]
    for feature in features:
        feature["id"] = feature["properties"]["FID"]
    return tuple(features)


@dataclass
class Seen:
    """One request the server answered: which service, what kind, which page, what status."""

    service: str
    kind: str               # "metadata" | "count" | "page" | "other"
    offset: int | None
    params: dict
    status: int


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _arcgis_error(code: int, message: str) -> Response:
    # ArcGIS answers most errors with HTTP 200 and an error object.
    return _json({"error": {"code": code, "message": message, "details": []}})


class StandInFeatureServer:
    """Start with ``with StandInFeatureServer() as server:``; ``server.root`` is the services URL."""

    def __init__(self, data_dir: Path = SHARED_DATA, max_record_count: int = 50,
                 page_cap: int | None = None):
        from geohub.geography.catalogue import load_catalogue
        self.data_dir = Path(data_dir)
        self.layers = {(d.service, d.layer): Path(data_dir) / d.mirror
                       for d in load_catalogue() if d.service and d.mirror}
        self.max_record_count = max_record_count
        self.page_cap = page_cap  # serve at most this many per page, below maxRecordCount
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, int], list] = {}
        self._outage_after: int | None = None
        self._pages_served = 0
        self._garbage: dict[str, tuple[bytes, str]] = {}
        self._server = None
        self._thread = None

    # -- control ----------------------------------------------------------------------------------

    def __enter__(self):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{PREFIX.rstrip('/')}"

    def file_url(self, relative: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/files/{relative}"

    def layer_url(self, service: str, layer: int = 0) -> str:
        return f"{self.root}/{service}/FeatureServer/{layer}"

    def fail(self, service: str, offset: int, times: int = 1, status: int = 500,
             arcgis: bool = False) -> None:
        """The next ``times`` requests for the page at ``offset`` fail with ``status`` (as an HTTP
        status, or as an ArcGIS JSON error inside an HTTP 200 when ``arcgis``). Service "files",
        offset 0, makes file downloads fail."""
        self._failures[(service, offset)] = [times, status, arcgis]

    def outage_after(self, pages: int) -> None:
        """After ``pages`` more page answers, every page request gets HTTP 503 until ``heal()``."""
        with self._lock:
            self._outage_after = self._pages_served + pages

    def heal(self) -> None:
        self._outage_after = None

    def answer_garbage(self, service: str, body: bytes, content_type: str) -> None:
        """Page requests for ``service`` get ``body`` (HTTP 200) instead of GeoJSON."""
        self._garbage[service] = (body, content_type)

    def page_offsets(self, service: str, status: int | None = None) -> list[int]:
        """Offsets of the page requests seen for ``service`` (optionally only those with ``status``)."""
        return [s.offset for s in self.seen
                if s.service == service and s.kind == "page" and (status is None or s.status == status)]

    # -- serving ----------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        request = Request(environ)
        service, kind, offset, response = self._answer(request)
        with self._lock:
            self.seen.append(Seen(service, kind, offset, dict(request.args), response.status_code))
        return response(environ, start_response)

    def _answer(self, request: Request):
        if request.path.startswith("/files/"):
            return self._file(request.path[len("/files/"):])
        parts = request.path[len(PREFIX):].split("/") if request.path.startswith(PREFIX) else []
        if len(parts) not in (3, 4) or parts[1] != "FeatureServer" or not parts[2].isdigit():
            return "", "other", None, Response("Not Found", status=404)
        service, layer = parts[0], int(parts[2])
        path = self.layers.get((service, layer))
        if path is None:
            return service, "other", None, _arcgis_error(400, "Invalid URL")
        args = request.args
        if len(parts) == 3:
            return service, "metadata", None, self._metadata(service, layer, path)
        if parts[3] != "query" or args.get("where") != "1=1":
            return service, "other", None, _arcgis_error(400, "Unable to complete operation.")
        features = _features(path)
        if args.get("returnCountOnly") == "true":
            return service, "count", None, _json({"count": len(features)})
        offset = int(args.get("resultOffset", 0))
        return service, "page", offset, self._page(service, features, offset, args)

    def _file(self, relative: str):
        with self._lock:
            failure = self._failures.get(("files", 0))
            if failure and failure[0] > 0:
                failure[0] -= 1
                return "files", "file", None, Response("Bad Gateway", status=failure[1])
        path = self.data_dir / relative
        if ".." in Path(relative).parts or not path.is_file():
            return "files", "file", None, Response("Not Found", status=404)
        return "files", "file", None, Response(path.read_bytes(), mimetype="application/json")

    def _metadata(self, service: str, layer: int, path: Path) -> Response:
        fields = [{"name": "FID", "type": "esriFieldTypeOID", "alias": "FID"}] + [
            {"name": name, "type": "esriFieldTypeString", "alias": name}
            for name in _features(path)[0]["properties"] if name != "FID"]
        return _json({"currentVersion": 11.5, "id": layer, "name": service, "type": "Feature Layer",
                      "objectIdField": "FID", "maxRecordCount": self.max_record_count,
                      "supportedQueryFormats": "JSON, geoJSON, PBF",
                      "advancedQueryCapabilities": {"supportsPagination": True}, "fields": fields})

    def _page(self, service: str, features, offset: int, args) -> Response:
        with self._lock:
            if self._outage_after is not None and self._pages_served >= self._outage_after:
                return Response("Service Unavailable", status=503)
            failure = self._failures.get((service, offset))
            if failure and failure[0] > 0:
                failure[0] -= 1
                _, status, arcgis = failure
                return _arcgis_error(status, "Internal server error.") if arcgis else \
                    Response("Internal Server Error", status=status)
            self._pages_served += 1
        if service in self._garbage:
            body, content_type = self._garbage[service]
            return Response(body, status=200, content_type=content_type)
        if args.get("f") != "geojson" or args.get("outSR") != "4326":
            return _arcgis_error(400, "This stand-in serves f=geojson with outSR=4326 only.")
        if args.get("orderByFields") != "FID":
            return _arcgis_error(400, "Pages must be ordered by the object id field (FID).")
        size = min(int(args.get("resultRecordCount", self.max_record_count)), self.max_record_count,
                   self.page_cap or self.max_record_count)
        chunk = list(features[offset:offset + size])
        data = {"type": "FeatureCollection", "features": chunk}
        if offset + len(chunk) < len(features):
            data["properties"] = {"exceededTransferLimit": True}
        return _json(data)
