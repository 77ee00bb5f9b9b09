"""Fetch catalogue datasets from the ONS Open Geography Portal (or a mirror folder) and import them.

``fetch_and_import`` is what ``geohub fetch`` and ``geohub serve`` (on an empty store) run. Each dataset
is obtained, checked and written in its own transaction: one that fails leaves the store as it was
for that dataset, the others still load, and the error names every dataset that failed and why.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from geohub.errors import GeohubError, InputError, NotFound, SourceError
from geohub.geography.boundaries import prepare_boundary_sets, write_boundary_sets
from geohub.io.files import file_checksum
from geohub.geography.catalogue import Dataset, load_catalogue
from geohub.io.arcgis import download_layer, layer_url
from geohub.io.download import HttpClient
from geohub.store import resolve_store

ONS_PORTAL = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
CACHE_ENV = "GEOHUB_FETCH_CACHE"


@dataclass(frozen=True)
class Source:
    """Where datasets come from: an ArcGIS REST services root URL, or a mirror folder."""

    url: str | None = None
    mirror: Path | None = None

    def __str__(self) -> str:
        return self.url or str(self.mirror)


def resolve_source(source: str | os.PathLike | None) -> Source:
    """None: the ONS portal; an http(s) URL: that services root; anything else: a mirror folder,
    which must exist (InputError otherwise)."""
    if source is None or str(source).strip() == "":
        return Source(url=ONS_PORTAL)
    text = str(source).strip()
    if text.lower().startswith(("http://", "https://")):
        return Source(url=text.rstrip("/"))
    folder = Path(text).expanduser()
    if not folder.is_dir():
        raise InputError(f"The mirror folder {folder} does not exist"
                         f"{' (it is a file)' if folder.exists() else ''}.",
                         "Give «source» an ArcGIS REST services URL or a folder laid out like "
                         "../shared/data (boundaries/lad/..., boundaries/lep/...).")
    return Source(mirror=folder.resolve())


def default_cache_dir() -> Path:
    """The GEOHUB_FETCH_CACHE setting, else ``fetch/`` in Flask's instance folder."""
    from geohub import settings
    return Path(settings.get(CACHE_ENV) or settings.instance_dir() / "fetch")


class _Skip(Exception):
    """A default dataset this source cannot provide; reported, not an error."""


@dataclass
class _Obtained:
    path: Path
    source: str       # recorded with the import: the layer/file URL or the mirror file
    note: str
    cache: Path | None = None


def _from_mirror(entry: Dataset, src: Source) -> _Obtained:
    if entry.mirror is None:
        raise InputError(f"No mirror copy of {entry.id} is known.",
                         "Fetch it from the portal: run 'geohub fetch' without «source», or with a URL.")
    path = src.mirror / entry.mirror
    if not path.is_file():
        raise NotFound(f"{entry.mirror} is not in the mirror folder {src.mirror}.",
                       "Check the folder is a complete mirror (like ../shared/data).")
    return _Obtained(path, str(path), f"from the mirror {path}")


def _from_server(entry: Dataset, src: Source, cache_dir: Path, http: HttpClient, chosen: bool,
                 progress: bool) -> _Obtained:
    cache = cache_dir / entry.id
    if entry.kind in ("file", "lookup", "gazetteer"):
        if entry.url is None:
            raise _Skip(f"{entry.id}: skipped, no download URL is known (it is in mirrors only).")
        cache.mkdir(parents=True, exist_ok=True)
        name = Path(entry.mirror).name if entry.mirror else entry.url.rsplit("/", 1)[-1]
        path = cache / name
        if not path.exists():  # a complete earlier download is reused (.part files are not)
            http.get_file(entry.url, path, what=f"Downloading {entry.id}")
        if entry.kind in ("lookup", "gazetteer"):  # a CSV table; its reader checks it
            return _Obtained(path, entry.url, f"downloaded from {entry.url}", cache)
        try:
            kind = json.loads(path.read_text(encoding="utf-8")).get("type")
        except (ValueError, UnicodeDecodeError, AttributeError):
            kind = None
        if kind not in ("Topology", "FeatureCollection"):
            path.unlink()
            raise SourceError(f"Downloading {entry.id}: {entry.url} is not GeoJSON or TopoJSON.",
                              "Check the dataset's url in the catalogue.")
        return _Obtained(path, entry.url, f"downloaded from {entry.url}", cache)
    if entry.service is None:
        if not chosen:
            raise _Skip(f"{entry.id}: skipped: no FeatureServer service is known for it (it comes from "
                        "a mirror only; load it with «source» DIR).")
        raise InputError(f"No FeatureServer service is known for {entry.id}: it comes from a mirror only.",
                         "Use «source» DIR with a mirror folder such as ../shared/data.")
    url = layer_url(src.url, entry.service, entry.layer)
    got = download_layer(url, cache, name=entry.id, http=http, progress=progress)
    reused = f", {got.pages_reused} reused from an interrupted run" if got.pages_reused else ""
    pages = got.pages_fetched + got.pages_reused
    return _Obtained(got.path, url, f"downloaded {got.count} features in {pages} "
                                    f"page{'s' if pages != 1 else ''}{reused} from {url}", cache)


def _import_lookup(entry: Dataset, obtained: "_Obtained", store) -> list[str]:
    from geohub.geography.lookups import import_lookup
    lookup, import_id = import_lookup(store(), obtained.path, vintage=entry.vintage)
    return ([f"{entry.id} ({entry.title}): {obtained.note}"]
            + [f"  {family.label()}" for family in lookup.families]
            + [f"  {note}" for note in lookup.notes] + [f"  import {import_id}."])


def _import_gazetteer(entry: Dataset, obtained: "_Obtained", store) -> list[str]:
    from geohub.geography.gazetteer import import_gazetteer
    report = import_gazetteer(store(), obtained.path, level=entry.level, vintage=entry.vintage,
                              code_field=entry.code_field, name_field=entry.name_field,
                              attribution=entry.attribution, source=obtained.source)
    return ([f"{entry.id} ({entry.title}): {obtained.note}"]
            + [f"  {line}" for line in report.lines()] + [f"  import {report.import_id}."])


def _import_one(entry: Dataset, src: Source, store, cache_dir: Path, http: HttpClient, chosen: bool,
                progress: bool) -> list[str]:
    obtained = (_from_mirror(entry, src) if src.mirror is not None
                else _from_server(entry, src, cache_dir, http, chosen, progress))
    if entry.is_lookup:
        return _import_lookup(entry, obtained, store)
    if entry.kind == "gazetteer":
        return _import_gazetteer(entry, obtained, store)
    drafts = prepare_boundary_sets(obtained.path, level=entry.level, vintage=entry.vintage,
                                   code_field=entry.code_field, name_field=entry.name_field,
                                   progress=progress)
    report = write_boundary_sets(store(), drafts, source=obtained.source,
                                 checksum=file_checksum(obtained.path), attribution=entry.attribution,
                                 progress=progress)
    if obtained.cache is not None:
        # Imported: the pages have served their purpose, and a later fetch should see fresh data.
        shutil.rmtree(obtained.cache, ignore_errors=True)
    return ([f"{entry.id} ({entry.title}): {obtained.note}"]
            + [f"  {line}" for line in report.lines()]
            + [f"  import {report.import_id}."])


def _failure(failures: list[tuple[str, GeohubError]], loaded: list[str]) -> GeohubError:
    kinds = {type(error) for _, error in failures}
    cls = kinds.pop() if len(kinds) == 1 else SourceError
    if len(failures) == 1:
        dataset, error = failures[0]
        message = f"{dataset}: {error.raw_message}"
        hint = error.raw_hint
    else:
        message = f"{len(failures)} datasets failed: " + " ".join(
            f"{dataset}: {error.raw_message}" for dataset, error in failures)
        hint = "Fix the problems above and run the command again."
    if loaded:
        message += f" (Loaded meanwhile: {', '.join(loaded)}.)"
    return cls(message, hint)


def fetch_and_import(store_factory, datasets: list[str], source: str | None, *, cache_dir=None,
                     progress: bool = False, on_line: Callable[[str], None] | None = None) -> list[str]:
    """Fetch ``datasets`` (catalogue ids; empty: the catalogue's defaults) from ``source`` (None: the
    ONS portal; an http(s) URL: an ArcGIS REST services root; else a mirror folder) and import each in
    its own transaction. Returns the report lines (also passed to ``on_line`` as they happen).

    Unknown ids and a missing mirror folder raise InputError before anything is fetched. A dataset that
    fails does not stop the others; afterwards the error names each failed dataset and why. The store
    is opened (``store_factory()``) only when the first dataset is ready to be written.
    """
    catalogue = load_catalogue()
    entries = catalogue.select(list(datasets))
    src = resolve_source(source)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    http = HttpClient()
    opened = []

    def store():
        if not opened:
            opened.append(resolve_store(store_factory))
        return opened[0]

    lines: list[str] = []

    def emit(new: list[str]) -> None:
        lines.extend(new)
        for line in new:
            if on_line:
                on_line(line)

    failures: list[tuple[str, GeohubError]] = []
    loaded: list[str] = []
    for entry in tqdm(entries, desc="Datasets", unit=" dataset", disable=not progress or len(entries) < 2):
        try:
            emit(_import_one(entry, src, store, cache_dir, http, bool(datasets), progress))
            loaded.append(entry.id)
        except _Skip as skip:
            emit([str(skip)])
        except GeohubError as error:
            # Reported once, in the error raised at the end, after the other datasets had their turn.
            failures.append((entry.id, error))
    if failures:
        raise _failure(failures, loaded)
    return lines
