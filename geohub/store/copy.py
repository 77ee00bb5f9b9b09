"""Copy a whole store to another (GeoPackage to PostGIS or back), losslessly, in one transaction."""
from __future__ import annotations

from geohub.errors import Conflict
from geohub.store.base import Store
from geohub.store.schema import TABLES

COPIED = [t for t in TABLES if t != "geohub_meta"]  # the target keeps its own schema version


def is_empty(store: Store) -> bool:
    return not store.boundary_sets() and not store.indicators() and store.relationships().empty


def copy_store(source: Store, target: Store, *, replace: bool = False) -> dict[str, int]:
    """Every row of every table of ``source`` into ``target`` (ids, geometries and import records
    kept); returns rows copied per table. Refuses a non-empty target unless ``replace``."""
    if not replace and not is_empty(target):
        raise Conflict(f"The target store {target.url} already holds data.",
                       "Pass «replace» to overwrite it, or migrate into an empty store.")
    counts = {}
    with target.transaction() as tx:
        for table in COPIED:
            columns, rows = source.dump_table(table)
            tx.load_table(table, columns, rows)
            counts[table] = len(rows)
    return counts
