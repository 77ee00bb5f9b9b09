"""Serving from the artifact cache: pages, boundary payloads and exports built once per store
revision and shared by all workers; ``/artifacts/<digest>.<ext>`` served as immutable."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, request, send_file

from geohub.web.artifacts import SUFFIXES, Artifact, ArtifactCache
from geohub.web.resources import app_cache, get_store, map_builder, store_revision, store_url

bp = Blueprint("artifacts", __name__)
NONCE_PLACEHOLDER = "__geohub_csp_nonce__"
IMMUTABLE = 365 * 24 * 3600


def artifacts() -> ArtifactCache:
    root = current_app.config.get("GEOHUB_CACHE_DIR") or os.path.join(current_app.instance_path, "cache")
    return current_app.extensions.setdefault(("geohub_artifacts", root), ArtifactCache(root))


def store_key() -> str:
    """What every cached artifact depends on: which store, at which revision."""
    return f"{store_url(current_app.config)}|rev{store_revision()}"


def cached(kind: str, params, suffix: str, build) -> Artifact:
    """The artifact for (store revision, kind, params), from this worker's memory, the shared
    folder, or ``build()`` (bytes), in that order."""
    key = f"{store_key()}|{kind}|{params!r}"
    # Re-made if its file went (a pruned cache folder), so pages never name a missing artifact.
    return app_cache().get(("artifact", key), lambda: artifacts().fetch(key, suffix, build),
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
    """An HTML page rendered once (with a placeholder nonce) and served with this response's."""
    from geohub.web.security import csp_nonce
    # The host is part of the key: pages carry absolute URLs (embed code, oEmbed discovery).
    artifact = cached(kind, (params, request.host_url, request.script_root), ".html",
                      lambda: render().encode())
    body = app_cache().get(("page-text", artifact.digest), lambda: artifact.read().decode())
    return Response(body.replace(NONCE_PLACEHOLDER, csp_nonce()), mimetype="text/html")


def serve_artifact(artifact: Artifact, max_age: int = 300, **headers) -> Response:
    response = send_file(artifact.path, mimetype=SUFFIXES[artifact.suffix], conditional=False,
                         etag=artifact.digest, max_age=max_age)
    response.headers["Link"] = f'</artifacts/{artifact.name}>; rel="canonical"'
    response.headers.update(headers)
    return response.make_conditional(request)


@bp.get("/artifacts/<name>")
def artifact(name):
    """A content-addressed file: its URL names its content, so it may be cached forever."""
    digest, dot, ext = name.partition(".")
    path = artifacts().find(digest)
    if path is None or f".{ext}" not in SUFFIXES:
        abort(404)
    response = send_file(path, mimetype=SUFFIXES[f".{ext}"], conditional=False, etag=digest,
                         max_age=IMMUTABLE)
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response.make_conditional(request)
