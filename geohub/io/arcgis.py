"""Download one layer of an ArcGIS FeatureServer (the ONS Open Geography Portal) as a GeoJSON file.

``download_layer`` asks the layer for its metadata (``?f=json``: maxRecordCount, object id field) and
its feature count (``returnCountOnly``), then pages through ``query`` in object-id order
(``resultOffset``/``resultRecordCount``, at most maxRecordCount a page, until the count is reached and
the server stops saying ``exceededTransferLimit``), in EPSG:4326 GeoJSON. Every page is saved in the
cache folder as it arrives, so a run that is interrupted and started again fetches only the pages it
lacks. The pages are then assembled into one FeatureCollection file. Every answer is checked: anything
that is not the GeoJSON asked for raises SourceError saying what came back.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from geohub.errors import SourceError
from geohub.io.download import HttpClient

_REFETCH_HINT = "Run the same command again; if it keeps failing, the dataset may be changing on the server."


def layer_url(root: str, service: str, layer: int = 0) -> str:
    """``<root>/<service>/FeatureServer/<layer>`` for an ArcGIS REST services root URL."""
    return f"{root.rstrip('/')}/{service}/FeatureServer/{layer}"


@dataclass
class LayerDownload:
    """The assembled GeoJSON file and how it was obtained."""

    path: Path
    url: str
    count: int
    pages_fetched: int
    pages_reused: int


def _object_id_field(meta: dict, what: str) -> str:
    if meta.get("objectIdField"):
        return meta["objectIdField"]
    for field in meta.get("fields") or []:
        if field.get("type") == "esriFieldTypeOID":
            return field["name"]
    raise SourceError(f"{what}: the layer metadata names no object id field, so it cannot be paged "
                      "in a stable order.", "Check that the URL is a FeatureServer layer.")


def _check_page(data, what: str) -> list[dict]:
    """The features of a GeoJSON FeatureCollection page; SourceError for anything else."""
    if not isinstance(data, dict):
        raise SourceError(f"{what}: the answer is JSON but not GeoJSON (a {type(data).__name__}).")
    features = data.get("features")
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        esri = isinstance(features, list) and features and "attributes" in (features[0] or {})
        kind = "Esri JSON, not GeoJSON (the server ignored f=geojson)" if esri else \
            f"JSON but not a GeoJSON FeatureCollection (type {data.get('type')!r})"
        raise SourceError(f"{what}: the answer is {kind}.",
                          "Use an ArcGIS server that supports GeoJSON output (ArcGIS Online does).")
    for feature in features:
        if not isinstance(feature, dict) or feature.get("type") != "Feature" or "geometry" not in feature:
            raise SourceError(f"{what}: the answer holds something that is not a GeoJSON Feature.")
    return features


def _exceeded(page: dict) -> bool:
    # f=geojson puts the flag under "properties"; f=json puts it at the top level.
    return bool(page.get("exceededTransferLimit") or (page.get("properties") or {}).get("exceededTransferLimit"))


def _write_json(path: Path, data) -> None:
    """Write atomically: a page on disk is always a whole page, even after a crash."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def _prepare_cache(folder: Path, url: str, count: int) -> None:
    """Keep cached pages only if they come from this layer with this many features."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    wanted = {"url": url, "count": count}
    if manifest.exists():
        try:
            same = json.loads(manifest.read_text(encoding="utf-8")) == wanted
        except ValueError:
            same = False
        if not same:
            for page in folder.glob("page-*.geojson"):
                page.unlink()
    _write_json(manifest, wanted)


def _cached_page(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        path.unlink()  # unreadable leftovers are fetched again
        return None


def download_layer(url: str, cache_dir: str | Path, *, name: str, http: HttpClient | None = None,
                   page_size: int | None = None, progress: bool = False) -> LayerDownload:
    """Download every feature of the FeatureServer layer at ``url`` into ``<cache_dir>/<name>.geojson``.

    Pages are cached in ``cache_dir`` and reused by a later call for the same layer and count;
    ``page_size`` (default: the server's maxRecordCount) can only lower the server's limit.
    """
    http = http or HttpClient()
    cache_dir = Path(cache_dir)
    what = f"Downloading {name}"
    meta = http.get_json(url, {"f": "json"}, what=f"{what} (layer metadata)")
    if not isinstance(meta, dict) or meta.get("type") not in (None, "Feature Layer", "Table"):
        raise SourceError(f"{what}: {url} is not a FeatureServer layer.")
    oid = _object_id_field(meta, what)
    if (meta.get("advancedQueryCapabilities") or {}).get("supportsPagination") is False:
        raise SourceError(f"{what}: the layer does not support paged queries.")
    limit = int(meta.get("maxRecordCount") or 1000)
    size = min(page_size, limit) if page_size else limit
    counted = http.get_json(f"{url}/query", {"where": "1=1", "returnCountOnly": "true", "f": "json"},
                            what=f"{what} (feature count)")
    total = counted.get("count") if isinstance(counted, dict) else None
    if not isinstance(total, int) or total < 0:
        raise SourceError(f"{what}: the count query did not answer a count ({str(counted)[:80]!r}).")

    _prepare_cache(cache_dir, url, total)
    features: list[dict] = []
    fetched = reused = 0
    offset = 0
    with tqdm(total=total, desc=f"Downloading {name}", unit=" features", disable=not progress,
              leave=False) as bar:
        while offset < total:
            page_path = cache_dir / f"page-{offset:09d}.geojson"
            page = _cached_page(page_path)
            if page is not None:
                reused += 1
            else:
                page = http.get_json(f"{url}/query", {
                    "where": "1=1", "outFields": "*", "outSR": "4326", "f": "geojson",
                    "orderByFields": oid, "resultOffset": str(offset), "resultRecordCount": str(size),
                }, what=f"{what} (features {offset + 1}-{min(offset + size, total)} of {total})")
                _check_page(page, f"{what} (page at offset {offset})")
                _write_json(page_path, page)
                fetched += 1
            got = _check_page(page, f"{what} (page at offset {offset})")
            if not got:
                raise SourceError(f"{what}: the server returned no features at offset {offset}, "
                                  f"though it counts {total}.", _REFETCH_HINT)
            features.extend(got)
            offset += len(got)
            bar.update(len(got))
            if offset < total and not _exceeded(page):
                raise SourceError(f"{what}: the server says there are no more features after {offset}, "
                                  f"but it counts {total}.", _REFETCH_HINT)

    ids = [f.get("id", (f.get("properties") or {}).get(oid)) for f in features]
    if len(features) != total or (None not in ids and len(set(ids)) != len(ids)):
        shutil.rmtree(cache_dir)  # pages from two states of the layer: start afresh next time
        raise SourceError(f"{what}: the pages hold {len(features)} features ({len(set(ids))} distinct), "
                          f"but the layer counts {total}: it changed during the download.", _REFETCH_HINT)
    out = cache_dir / f"{name}.geojson"
    _write_json(out, {"type": "FeatureCollection", "features": features})
    return LayerDownload(out, url, total, fetched, reused)
