"""A consistent copy of a GeoPackage store while it is in use, by SQLite's online backup API.

Why not ``cp``: while an import runs, the store is its file *plus* its ``-journal``; the file alone
may hold the import's uncommitted pages (and after a crash, until a writer rolls it back). The
backup API copies only committed data, page by page, and restarts if a writer commits meanwhile.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from geohub.errors import Conflict, NotFound


def backup_gpkg(source: str | Path, target: str | Path, *, replace: bool = False) -> int:
    """Copy the store at ``source`` to ``target`` (written atomically); returns its size."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise NotFound(f"There is no store at {source}.", "Check GEOHUB_STORE.")
    if target.exists() and not replace:
        raise Conflict(f"{target} already exists.", "Give a new file name, or pass «replace».")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # Opening the source for writing lets SQLite roll back a crashed import's hot journal first.
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst, pages=1024)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target.stat().st_size
