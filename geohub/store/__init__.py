"""One store interface, chosen by configuration: a GeoPackage file (default) or PostGIS.

A store is named by a URL whose scheme picks its backend (``BACKENDS``): ``gpkg://PATH`` or a
plain path for the GeoPackage file, ``postgresql://...`` (or ``postgres://``) for PostGIS. A
backend is a ``Store`` implementation (see ``store/base.py``; ``store/sql.py`` does most of the
work for SQL databases) plus one ``register_backend`` line below; its module is imported only
when a store of that scheme is opened. File backends get the path after ``scheme://`` and count
as absent until the file exists (read-only commands and the server never create a store);
server backends get the whole URL.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from geohub.errors import StoreError
from geohub.store.base import BoundarySet, Changes, Store, StoreWriter

__all__ = ["BACKENDS", "Backend", "BoundarySet", "Changes", "Store", "StoreWriter", "backend_for",
           "gpkg_path", "is_database_url", "open_store", "register_backend", "resolve_store",
           "store_exists"]


@dataclass(frozen=True)
class Backend:
    """How stores of one URL scheme are opened: the Store class (or ``"module:Class"``, imported
    on first use) and whether the URL names a file."""

    scheme: str
    store: type | str
    file: bool = False

    def store_class(self) -> type:
        if isinstance(self.store, str):
            module, name = self.store.split(":")
            return getattr(importlib.import_module(module), name)
        return self.store


BACKENDS: dict[str, Backend] = {}
DEFAULT_SCHEME = "gpkg"   # a URL with no scheme is a path to a GeoPackage file
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def register_backend(scheme: str, store: type | str, *, file: bool = False) -> Backend:
    """Make ``scheme://...`` URLs open ``store`` (a Store class or ``"module:Class"``)."""
    backend = BACKENDS[scheme.lower()] = Backend(scheme.lower(), store, file)
    return backend


register_backend("gpkg", "geohub.store.gpkg:GeoPackageStore", file=True)
register_backend("postgresql", "geohub.store.postgis:PostGISStore")
register_backend("postgres", "geohub.store.postgis:PostGISStore")


def backend_for(url) -> tuple[Backend, str]:
    """The backend ``url`` names and what its Store class is given: the path after
    ``scheme://`` for file backends, the whole URL otherwise. StoreError for an unknown scheme."""
    text = str(url)
    match = _SCHEME.match(text)
    if match is None:
        return BACKENDS[DEFAULT_SCHEME], text
    backend = BACKENDS.get(match.group(1).lower())
    if backend is None:
        raise StoreError(f"geohub has no store backend for {match.group(1)}:// ({text}).",
                         "Name a GeoPackage file (a path or gpkg://PATH) or a database: "
                         + ", ".join(f"{s}://" for s in BACKENDS) + ".")
    return backend, (text[match.end():] if backend.file else text)


def resolve_store(store_or_factory) -> Store:
    """A store, or a callable opening one: importers take either, so a file that fails its checks
    never opens (or creates) the store."""
    return store_or_factory() if callable(store_or_factory) else store_or_factory


def is_database_url(url) -> bool:
    """Does ``url`` name a database server (``postgresql://...``) rather than a store file?"""
    return not backend_for(url)[0].file


def gpkg_path(url) -> str:
    """The file of a file store given as a path or as ``scheme://PATH`` (``gpkg://PATH``)."""
    return backend_for(url)[1]


def store_exists(url) -> bool:
    """Whether the store at ``url`` is there to be read: a file store's file exists; a database
    server's store is taken to (opening it says otherwise)."""
    backend, target = backend_for(url)
    return Path(target).exists() if backend.file else True


def open_store(url) -> Store:
    """Open the store at ``url`` with the backend its scheme names (a GeoPackage path by default)."""
    backend, target = backend_for(url)
    return backend.store_class()(target)
