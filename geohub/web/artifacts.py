"""Content-addressed artifacts shared by every worker: rendered maps, boundary payloads, exports.

An artifact is stored once under the SHA-256 of its bytes (``objects/ab/abcdef...``); a key
(what was asked: store, revision, request) points at it (``keys/<sha256 of key>``). Files are
written atomically (temporary file, then rename), so gunicorn workers share the folder safely, and
``/artifacts/<digest>.<ext>`` can be cached forever by browsers and CDNs: its content never changes.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = {".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml",
            ".pdf": "application/pdf", ".html": "text/html", ".csv": "text/csv",
            ".geojson": "application/geo+json"}


@dataclass(frozen=True)
class Artifact:
    digest: str
    suffix: str
    path: Path

    @property
    def name(self) -> str:
        return f"{self.digest}{self.suffix}"

    def read(self) -> bytes:
        return self.path.read_bytes()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ArtifactCache:
    """A folder of content-addressed files with keys pointing at them."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _key_path(self, key: str) -> Path:
        h = hashlib.sha256(key.encode()).hexdigest()
        return self.root / "keys" / h[:2] / h

    def object_path(self, digest: str) -> Path:
        return self.root / "objects" / digest[:2] / digest

    def get(self, key: str, suffix: str) -> Artifact | None:
        try:
            digest = self._key_path(key).read_text().strip()
        except FileNotFoundError:
            return None
        path = self.object_path(digest)
        return Artifact(digest, suffix, path) if path.exists() else None

    def put(self, key: str, body: bytes, suffix: str) -> Artifact:
        digest = hashlib.sha256(body).hexdigest()
        path = self.object_path(digest)
        if not path.exists():
            _atomic_write(path, body)
        _atomic_write(self._key_path(key), digest.encode())
        return Artifact(digest, suffix, path)

    def fetch(self, key: str, suffix: str, build) -> Artifact:
        """The artifact for ``key``, made by ``build()`` (bytes) the first time any worker asks."""
        return self.get(key, suffix) or self.put(key, build(), suffix)

    def find(self, digest: str) -> Path | None:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return None
        path = self.object_path(digest)
        return path if path.exists() else None
