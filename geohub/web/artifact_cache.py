"""The artifact cache: content-addressed files shared by every worker (rendered maps, boundary
payloads, exports).

An artifact is stored once per (content, type) under the SHA-256 of its bytes and its suffix
(``objects/ab/abcdef....png``); a key (what was asked: store identity, request) points at it
(``keys/<sha256 of key>`` holds ``<digest><suffix>``). An artifact is found only under its own
suffix, so ``/artifacts/<digest>.<ext>`` can never serve bytes as a type they were not made as.
Files are written atomically (temporary file, then rename), so gunicorn workers share the folder
safely, and the URLs can be cached forever by browsers and CDNs: their content never changes.

The folder is bounded: ``prune(max_bytes)`` removes least recently used objects (reads touch an
object's mtime at most once a minute) until it fits; ``put`` prunes when it has written about a
tenth of the bound since the last prune.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# The web's own artifacts (pages, API answers, display TopoJSON); exports add the registry's.
WEB_TYPES = {".html": "text/html", ".json": "application/json"}


def known_types() -> dict[str, str]:
    """suffix -> mimetype of every artifact there may be: each export format in
    geohub.maps.renderers (read when asked, so a format registered there is stored and served
    with no change here) and the web's own."""
    from geohub.maps.renderers import RENDERERS
    return {**{f".{r.extension}": r.mimetype for r in RENDERERS.values()}, **WEB_TYPES}

_NAME = re.compile(r"^([0-9a-f]{64})(\.[a-z0-9]+)$")
_TOUCH_EVERY = 60.0   # seconds: how stale an object's "last used" time may be


@dataclass(frozen=True)
class Artifact:
    digest: str
    suffix: str
    path: Path

    @property
    def name(self) -> str:
        return f"{self.digest}{self.suffix}"

    @property
    def mimetype(self) -> str:
        return known_types()[self.suffix]

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
    """A folder of typed, content-addressed files with keys pointing at them, at most
    ``max_bytes`` large (0: unbounded)."""

    def __init__(self, root: str | Path, max_bytes: int = 0):
        self.root = Path(root)
        self.max_bytes = int(max_bytes or 0)
        self._written = 0
        self._lock = threading.Lock()

    def _key_path(self, key: str) -> Path:
        h = hashlib.sha256(key.encode()).hexdigest()
        return self.root / "keys" / h[:2] / h

    def object_path(self, digest: str, suffix: str) -> Path:
        return self.root / "objects" / digest[:2] / f"{digest}{suffix}"

    def get(self, key: str, suffix: str) -> Artifact | None:
        try:
            name = self._key_path(key).read_text().strip()
        except FileNotFoundError:
            return None
        match = _NAME.match(name)
        if not match or match.group(2) != suffix:
            return None
        path = self.object_path(match.group(1), suffix)
        if not path.exists():
            return None
        self._touch(path)
        return Artifact(match.group(1), suffix, path)

    def put(self, key: str, body: bytes, suffix: str) -> Artifact:
        if suffix not in known_types():
            raise ValueError(f"Unknown artifact type {suffix!r}")
        digest = hashlib.sha256(body).hexdigest()
        path = self.object_path(digest, suffix)
        if not path.exists():
            _atomic_write(path, body)
            self._note_written(len(body))
        _atomic_write(self._key_path(key), f"{digest}{suffix}".encode())
        return Artifact(digest, suffix, path)

    def fetch(self, key: str, suffix: str, build) -> Artifact:
        """The artifact for ``key``, made by ``build()`` (bytes) the first time any worker asks."""
        return self.get(key, suffix) or self.put(key, build(), suffix)

    def find(self, name: str) -> Artifact | None:
        """The artifact called ``<digest><suffix>``, only if it was stored with that type."""
        match = _NAME.match(name)
        if not match or match.group(2) not in known_types():
            return None
        path = self.object_path(match.group(1), match.group(2))
        if not path.exists():
            return None
        self._touch(path)
        return Artifact(match.group(1), match.group(2), path)

    # -- bounds ---------------------------------------------------------------------------------
    @staticmethod
    def _touch(path: Path) -> None:
        # Least recently used is judged by mtime; touching at most once a minute keeps reads cheap.
        try:
            if time.time() - path.stat().st_mtime > _TOUCH_EVERY:
                os.utime(path)
        except OSError:
            pass

    def _note_written(self, n: int) -> None:
        if not self.max_bytes:
            return
        with self._lock:
            self._written += n
            due = self._written >= max(self.max_bytes // 10, 1)
            if due:
                self._written = 0
        if due:
            self.prune(self.max_bytes)

    def size(self) -> int:
        """Bytes held by objects."""
        return sum(p.stat().st_size for p in self._objects())

    def _objects(self):
        folder = self.root / "objects"
        return [p for p in folder.glob("*/*") if not p.name.startswith(".tmp-")] if folder.is_dir() else []

    def prune(self, max_bytes: int = 0) -> tuple[int, int]:
        """Remove least recently used objects until they total at most ``max_bytes`` (0: remove
        all), and key files pointing at nothing; returns (objects removed, bytes freed). Safe while
        serving: a key whose object went is rebuilt on its next request."""
        entries = []
        for p in self._objects():
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            entries.append((st.st_mtime, st.st_size, p))
        entries.sort()
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for _, size, path in entries:
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
            freed += size
        keys = self.root / "keys"
        if keys.is_dir():
            for key in keys.glob("*/*"):
                try:
                    match = _NAME.match(key.read_text().strip())
                except OSError:
                    continue
                if not match or not self.object_path(*match.groups()).exists():
                    key.unlink(missing_ok=True)
        return removed, freed
