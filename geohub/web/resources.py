"""Per-app resources, opened lazily: the store (per app context, like Flask's ``get_db``) and caches
of spatial data shared by every request of one app (rebuilt when the store's revision changes)."""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

import numpy as np
from flask import current_app, g, has_request_context

from geohub.errors import InputError, NotFound, StoreError
from geohub.store import Store, open_store

log = logging.getLogger(__name__)


def store_url(config) -> str:
    return config.get("GEOHUB_DATABASE_URL") or config["GEOHUB_STORE"]


def get_store() -> Store:
    """The store for this app context, opened on first use and closed at teardown.

    In a request its ``boundary_sets()`` answers from the app cache: read once per store revision.
    """
    if "store" not in g:
        store = open_store(store_url(current_app.config))
        if has_request_context():
            _share_boundary_sets(store)
        g.store = store
    return g.store


def _share_boundary_sets(store: Store) -> None:
    # boundary_sets() is a GROUP BY over every area, asked for many times a request (resolve_set,
    # MapBuilder, the pages) and changed only by a write. Requests only read, so the revision read
    # at their start is current; CLI commands write and read in one context, so they keep asking.
    # Set on the instance so the store's own resolve_set and areas use it too.
    # A set that fails the import checks (stored by an older geohub, or written around them) is
    # left out, so pages that do not use it keep working; asking for it is a BrokenBoundarySet.
    read, resolve = store.boundary_sets, store.resolve_set

    def sets():
        broken = broken_sets(store, read)
        return [s for s in app_cache().get("boundary-sets", read) if (s.level, s.vintage) not in broken]

    def resolve_set(level, vintage=None):
        try:
            return resolve(level, vintage)
        except NotFound:
            _raise_if_broken(store, read, level, vintage)
            raise
    store.boundary_sets = sets
    store.resolve_set = resolve_set
    store.all_boundary_sets = read


class BrokenBoundarySet(StoreError):
    """A stored boundary set that fails the import checks: a data error of the server (500)."""


def broken_sets(store: Store, read=None) -> dict[tuple[str, int], str]:
    """{(level, vintage): problem} for every stored set that fails the import checks (geometry
    types, years), found once per store identity."""
    from geohub.geography import validation

    def build():
        problems = {}
        for s in (read or getattr(store, "all_boundary_sets", store.boundary_sets))():
            frame = store.read_boundary_set(s.level, s.vintage)
            try:
                years = frame.rename(columns={"start_year": "start", "end_year": "end"})
                validation.check_years(f"{s.level} {s.vintage}", years, frame["code"].to_numpy())
                validation.check_geometry_types(f"{s.level} {s.vintage}",
                                                np.asarray(frame.geometry.values, dtype=object),
                                                frame["code"].to_numpy())
            except InputError as exc:
                problems[(s.level, s.vintage)] = exc.message
                log.error("Boundary set %s %s is broken and is not served: %s", s.level, s.vintage,
                          exc.message)
        return problems
    # Kept beside the LRU cache, not in it: /api/health asks on every probe and must stay cheap.
    known = current_app.extensions.setdefault("geohub_broken_sets", {})
    identity = store_identity()
    if identity not in known:
        found = build()
        known.clear()
        known[identity] = found
    return known[identity]


def _raise_if_broken(store, read, level, vintage) -> None:
    from geohub.geography.levels import get_level
    name = get_level(level).name
    for (lvl, year), problem in broken_sets(store, read).items():
        if lvl == name and (vintage is None or int(vintage) == year):
            raise BrokenBoundarySet(
                f"The stored {lvl} {year} boundaries are broken, so this cannot be shown: {problem}",
                f"An administrator should re-import the {lvl} {year} boundaries with 'geohub "
                "import-boundaries', which checks every feature.")


def store_revision() -> int:
    """The store's revision, read once per request."""
    if "store_revision" not in g:
        g.store_revision = get_store().revision()
    return g.store_revision


def store_identity() -> str:
    """The store's identity (id, revision, last write), read once per request: every cache
    lookup keys on it, so a re-created or restored store never meets another's cached data."""
    if "store_identity" not in g:
        g.store_identity = get_store().identity()
    return g.store_identity


def close_store(exc=None) -> None:
    store = g.pop("store", None)
    if store is not None:
        store.close()


class AppCache:
    """Values computed from the store, kept per app and dropped when the store's identity
    changes; at most ``max_items`` of them, the least recently used dropped first.

    Threads asking for the same key wait for one build instead of all building it.
    """

    def __init__(self, max_items: int = 256):
        self.max_items = max(int(max_items), 1)
        self._lock = threading.Lock()
        self._revision = None
        self._values: OrderedDict = OrderedDict()
        self._building: dict = {}

    def __len__(self) -> int:
        return len(self._values)

    def _hit(self, key, valid):
        if key in self._values and (valid is None or valid(self._values[key])):
            self._values.move_to_end(key)
            return True
        return False

    def get(self, key, build, valid=None):
        """``build()`` once per key and store identity (again if ``valid(value)`` is false)."""
        revision = store_identity()
        with self._lock:
            if revision != self._revision:
                if self._revision is not None:
                    log.info("Store identity %s -> %s: dropping %s cached values", self._revision,
                             revision, len(self._values))
                self._values, self._building, self._revision = OrderedDict(), {}, revision
            if self._hit(key, valid):
                return self._values[key]
            key_lock = self._building.setdefault(key, threading.RLock())
        with key_lock:
            with self._lock:
                if self._hit(key, valid):
                    return self._values[key]
            started = time.perf_counter()
            value = build()
            log.info("Built %s for store revision %s in %.2f s", key, revision,
                     time.perf_counter() - started)
            with self._lock:
                if revision == self._revision:
                    self._values[key] = value
                    self._values.move_to_end(key)
                    while len(self._values) > self.max_items:
                        old, _ = self._values.popitem(last=False)
                        self._building.pop(old, None)
                self._building.pop(key, None)
            return value


def app_cache() -> AppCache:
    cache = current_app.extensions.get("geohub_cache")
    if cache is None:
        limit = int(current_app.config.get("GEOHUB_MEMORY_CACHE_ITEMS") or 256)
        cache = current_app.extensions.setdefault("geohub_cache", AppCache(limit))
    return cache


def map_builder():
    """The map data builder for this request, sharing the app's cache of boundaries,
    relationships and memberships (dropped when the store's revision changes)."""
    from geohub.maps.model import MapBuilder
    return MapBuilder(get_store(), app_cache().get)


def directory():
    """Every stored area (code, name, level, set vintage) for search and comparisons, built once
    per store revision."""
    import pandas as pd

    def build():
        store = get_store()
        frames = [store.read_boundary_set(s.level, s.vintage, geometry=False)
                  for s in store.boundary_sets()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["code", "name", "level", "vintage", "start_year", "end_year"])
    return app_cache().get("directory", build)


def point_index():
    """The rtree index of every stored area (geohub.overlaps.point_index), built once per store
    revision and shared by the API's /lookup, the home page's search and place pages."""
    from geohub.overlaps.point_index import PointIndex

    def build():
        store = get_store()
        return PointIndex((s.level, s.vintage, store.read_boundary_set(s.level, s.vintage))
                          for s in store.boundary_sets())
    return app_cache().get("point-index", build)
