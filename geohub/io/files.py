"""Small file helpers shared by every importer."""
from __future__ import annotations

import hashlib
from pathlib import Path

from geohub.errors import InputError, NotFound


def file_checksum(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded with every import)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def existing_file(path: str | Path) -> Path:
    """``path`` if it is a non-empty file; NotFound or InputError saying what to do otherwise."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"File not found: {path}.",
                       "Check the path (relative paths start from the current directory).")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file.", "Give the path of the file itself.")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes).", "Re-download or re-export it.")
    return path
