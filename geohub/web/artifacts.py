"""``/artifacts/<digest>.<ext>``: content-addressed files (rendered pages, boundary payloads,
exports) served as immutable, and only as the type they were stored as; and the app's artifact
cache (web/artifact_cache.py keeps the files)."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, request, send_file

from geohub.web.artifact_cache import Artifact, ArtifactCache

bp = Blueprint("artifacts", __name__)
IMMUTABLE = 365 * 24 * 3600
# Artifacts are data, not pages: a browser opening one directly runs nothing and loads nothing.
ARTIFACT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def artifacts() -> ArtifactCache:
    """This app's artifact cache (GEOHUB_CACHE_DIR, bounded by GEOHUB_CACHE_MAX_MB)."""
    root = current_app.config.get("GEOHUB_CACHE_DIR") or os.path.join(current_app.instance_path, "cache")
    max_bytes = int(float(current_app.config.get("GEOHUB_CACHE_MAX_MB") or 0) * 1024 * 1024)
    return current_app.extensions.setdefault(("geohub_artifacts", root),
                                             ArtifactCache(root, max_bytes))


def serve_artifact(artifact: Artifact, max_age: int = 300, **headers) -> Response:
    """``artifact`` under its own URL (short-lived, revalidated by ETag), naming its
    content-addressed URL as canonical; ``headers`` added."""
    response = send_file(artifact.path, mimetype=artifact.mimetype, conditional=False,
                         etag=artifact.digest, max_age=max_age)
    response.headers["Link"] = f'</artifacts/{artifact.name}>; rel="canonical"'
    response.headers.update(headers)
    return response.make_conditional(request)


@bp.get("/artifacts/<name>")
def artifact(name):
    """A content-addressed file: its URL names its content, so it may be cached forever. Served
    only under the type it was stored as; HTML only as a download."""
    found = artifacts().find(name)
    if found is None:
        abort(404)
    response = send_file(found.path, mimetype=found.mimetype, conditional=False, etag=found.digest,
                         max_age=IMMUTABLE)
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.immutable = True
    if found.suffix == ".html":
        response.headers["Content-Disposition"] = f'attachment; filename="{found.name}"'
    else:
        response.headers["Content-Security-Policy"] = ARTIFACT_CSP
    return response.make_conditional(request)
