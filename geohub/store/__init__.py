"""One store interface, chosen by configuration: a GeoPackage file (default) or PostGIS."""
from __future__ import annotations

from geohub.store.base import BoundarySet, Changes, Store, StoreWriter

__all__ = ["BoundarySet", "Changes", "Store", "StoreWriter", "open_store", "resolve_store"]


def resolve_store(store_or_factory) -> Store:
    """A store, or a callable opening one: importers take either, so a file that fails its checks
    never opens (or creates) the store."""
    return store_or_factory() if callable(store_or_factory) else store_or_factory


def open_store(url: str) -> Store:
    """Open the store at ``url``: ``postgresql://...`` for PostGIS, otherwise a GeoPackage path."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from geohub.store.postgis import PostGISStore
        return PostGISStore(text)
    from geohub.store.gpkg import GeoPackageStore
    return GeoPackageStore(text.removeprefix("gpkg://"))
