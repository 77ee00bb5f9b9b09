"""Caching what is expensive to make: pages, boundary payloads and exports built once per store
identity and shared by all workers (``cached``, ``cached_page``, ``topology_artifact``), the map
request reduced to what changes the map (``canonical``), and the few render slots a cache miss
waits for (``render_slot``). The files themselves are kept by web/artifact_cache.py and served by
web/artifacts.py.

Cache keys are made of what decides the output, never of what the requester adds: the store's
identity (not its path), the canonical map state (``canonical()``: parameters that change nothing
are dropped), and no Host header (absolute URLs in cached pages are a placeholder filled in per
response, or the configured ``GEOHUB_PUBLIC_URL``).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace

from flask import Response, current_app, request

from geohub.errors import Busy, InputError
from geohub.maps.classify import SCHEMES
from geohub.web.artifact_cache import Artifact
from geohub.web.artifacts import artifacts
from geohub.web.resources import app_cache, get_store, map_builder, store_identity
from geohub.web.urls import ORIGIN_PLACEHOLDER, request_origin

NONCE_PLACEHOLDER = "__geohub_csp_nonce__"
MAX_BREAKS = 12


def store_key() -> str:
    """What every cached artifact depends on: which store, in which state."""
    return store_identity()


def canonical(req):
    """The map request reduced to what changes the map, checked: ``breaks`` only for a scheme
    that takes them (``user``; at most 12), ``k`` only for the others, ``weight`` only for an indicator
    that is not a count (and it must name a stored indicator)."""
    changes = {}   # (scheme and palette are checked by the map builder, with its own messages)
    scheme = SCHEMES.get(req.scheme)
    if scheme is not None and scheme.user_breaks:
        if not req.breaks:
            raise InputError("The user scheme needs breaks.", "E.g. scheme=user&breaks=10,20,30.")
        if len(req.breaks) > MAX_BREAKS:
            raise InputError(f"{len(req.breaks)} breaks are too many.",
                             f"Give at most {MAX_BREAKS} breaks.")
        changes["k"] = len(req.breaks)
    elif req.breaks:
        changes["breaks"] = None
    if req.weight:
        kinds = {m["id"]: m.get("kind") for m in get_store().indicators()}
        if kinds.get(req.indicator) == "count":
            changes["weight"] = None
        elif req.weight not in kinds:
            get_store().indicator(req.weight[:80])   # NotFound, naming the indicators there are
    if len(set(req.overlays)) != len(req.overlays):
        changes["overlays"] = tuple(dict.fromkeys(req.overlays))
    return replace(req, **changes) if changes else req


# -- bounded rendering ----------------------------------------------------------------------------
_depth = threading.local()


@contextmanager
def render_slot():
    """One of the worker's few render slots (GEOHUB_RENDER_CONCURRENCY), for a cache miss; a
    request that cannot get one within GEOHUB_RENDER_WAIT seconds gets a 503 with Retry-After.
    Re-entrant: a render that needs another artifact (a page its topology) keeps its one slot."""
    if getattr(_depth, "n", 0):
        _depth.n += 1
        try:
            yield
        finally:
            _depth.n -= 1
        return
    slots = current_app.extensions.get("geohub_render_slots")
    if slots is None:
        n = int(current_app.config.get("GEOHUB_RENDER_CONCURRENCY") or 2)
        slots = current_app.extensions.setdefault("geohub_render_slots", threading.BoundedSemaphore(n))
    if not slots.acquire(timeout=float(current_app.config.get("GEOHUB_RENDER_WAIT") or 5)):
        raise Busy("The server is busy drawing other maps.", "Try again in a few seconds.")
    _depth.n = 1
    try:
        yield
    finally:
        _depth.n = 0
        slots.release()


def _built(build):
    def run():
        with render_slot():
            return build()
    return run


def cached(kind: str, params, suffix: str, build) -> Artifact:
    """The artifact for (store identity, kind, params), from this worker's memory, the shared
    folder, or ``build()`` (bytes, made in a render slot), in that order."""
    key = f"{store_key()}|{kind}|{params!r}"
    # Re-made if its file went (a pruned cache folder), so pages never name a missing artifact.
    return app_cache().get(("artifact", key), lambda: artifacts().fetch(key, suffix, _built(build)),
                           valid=lambda art: art.path.exists())


def topology_artifact(level: str, vintage: int | None) -> Artifact:
    """A level's display TopoJSON (simplified, shared edges, quantised), built once for all
    workers; pages, exports and the API all take it from here."""
    from geohub.maps.display import display_topology
    # Keyed by the year the store answers with, so no vintage and the newest one build it once.
    year = get_store().resolve_set(level, vintage)[1]
    return cached("topology", (level, year), ".json",
                  lambda: display_topology(map_builder().areas(level, year), level))


def cached_page(kind: str, params, render) -> Response:
    """An HTML page rendered once (with placeholder nonce and origin) and served with this
    response's."""
    from geohub.web.security import csp_nonce
    artifact = cached(kind, (params, request.script_root), ".html", lambda: render().encode())
    body = app_cache().get(("page-text", artifact.digest), lambda: artifact.read().decode())
    body = body.replace(NONCE_PLACEHOLDER, csp_nonce()).replace(ORIGIN_PLACEHOLDER, request_origin())
    return Response(body, mimetype="text/html")
