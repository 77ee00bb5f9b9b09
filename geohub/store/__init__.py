"""One store interface, chosen by configuration: a GeoPackage file (default) or PostGIS."""
from __future__ import annotations

from geohub.store.base import BoundarySet, Changes, Store, StoreWriter

__all__ = ["BoundarySet", "Changes", "Store", "StoreWriter", "gpkg_path", "is_database_url", "open_store",
           "resolve_store"]


def resolve_store(store_or_factory) -> Store:
    """A store, or a callable opening one: importers take either, so a file that fails its checks
    never opens (or creates) the store."""
    return store_or_factory() if callable(store_or_factory) else store_or_factory


def is_database_url(url) -> bool:
    """Does ``url`` name a PostGIS store (``postgresql://...``) rather than a GeoPackage file?"""
    return str(url).startswith(("postgresql://", "postgres://"))


def gpkg_path(url) -> str:
    """The file of a GeoPackage store given as a path or as ``gpkg://PATH``."""
    return str(url).removeprefix("gpkg://")


def open_store(url: str) -> Store:
    """Open the store at ``url``: ``postgresql://...`` for PostGIS, otherwise a GeoPackage path
    (or ``gpkg://PATH``)."""
    if is_database_url(url):
        from geohub.store.postgis import PostGISStore
        return PostGISStore(str(url))
    from geohub.store.gpkg import GeoPackageStore
    return GeoPackageStore(gpkg_path(url))
