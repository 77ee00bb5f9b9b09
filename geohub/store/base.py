"""The store interface: what geohub keeps, independent of where (GeoPackage file or PostGIS).

A store holds boundary sets (areas of one level and vintage), relationships between areas, indicators
with their values, and a record of every import. Reads return pandas/GeoPandas frames; every write
happens inside ``with store.transaction() as tx:`` so that it lands whole or not at all.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geohub.errors import NotFound


@dataclass(frozen=True)
class BoundarySet:
    """The areas of one level imported as one vintage.

    A multi-year set (from a file whose areas carry ``start``/``end`` years, such as the ONS
    multi-year TopoJSON) answers for every year from ``first_year`` to ``vintage``: the areas live in
    that year.
    """

    level: str
    vintage: int
    count: int
    first_year: int | None = None
    import_id: int | None = None

    @property
    def multi_year(self) -> bool:
        return self.first_year is not None

    @property
    def years(self) -> list[int]:
        """Every vintage this set can answer for."""
        return list(range(self.first_year, self.vintage + 1)) if self.multi_year else [self.vintage]

    def label(self) -> str:
        return f"{self.level} {self.vintage}" + (
            f" (multi-year {self.first_year}-{self.vintage})" if self.multi_year else "")


@dataclass
class Changes:
    """What replacing a boundary set changed: codes added, removed and renamed (code, old, new)."""

    level: str
    vintage: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    replaced: bool = False
    count: int = 0

    def summary(self) -> str:
        if not self.replaced:
            return f"{self.level} {self.vintage}: {self.count} areas added (new boundary set)."
        if not (self.added or self.removed or self.renamed):
            return f"{self.level} {self.vintage}: replaced {self.count} areas, no codes or names changed."
        parts = [f"{self.level} {self.vintage}: replaced, {self.count} areas;"]
        if self.added:
            parts.append(f"added {len(self.added)} ({', '.join(self.added[:10])}"
                         f"{' ...' if len(self.added) > 10 else ''});")
        if self.removed:
            parts.append(f"removed {len(self.removed)} ({', '.join(self.removed[:10])}"
                         f"{' ...' if len(self.removed) > 10 else ''});")
        if self.renamed:
            parts.append(f"renamed {len(self.renamed)} ("
                         + ", ".join(f"{c}: {a!r} -> {b!r}" for c, a, b in self.renamed[:5])
                         + (" ..." if len(self.renamed) > 5 else "") + ")")
        return " ".join(parts).rstrip(";")

    @classmethod
    def between(cls, level: str, vintage: int, old: dict[str, str | None],
                new: dict[str, str | None]) -> "Changes":
        """The difference between two {code: name} mappings of one boundary set."""
        return cls(level=level, vintage=vintage,
                   added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)),
                   renamed=sorted((c, old[c], new[c]) for c in set(old) & set(new) if old[c] != new[c]),
                   replaced=bool(old), count=len(new))


class StoreWriter(ABC):
    """Writes inside one transaction. Obtained from ``Store.transaction()`` only."""

    @abstractmethod
    def record_import(self, kind: str, source: str, checksum: str | None, attribution: str | None,
                      details: dict) -> int:
        """Record an import and return its id (referenced by what it wrote)."""

    @abstractmethod
    def replace_areas(self, level: str, vintage: int, areas: gpd.GeoDataFrame,
                      import_id: int) -> Changes:
        """Replace the boundary set (level, vintage) with ``areas`` (code, name, start_year, end_year,
        geometry in EPSG:27700) and report what changed."""

    @abstractmethod
    def replace_relationships(self, source_level: str, source_vintage: int, target_level: str,
                              target_vintage: int, method: str, table: pd.DataFrame,
                              import_id: int | None) -> int:
        """Replace the relationships of one (source, target, method) family with ``table``
        (source_code, target_code, share); returns the row count."""

    @abstractmethod
    def replace_indicator(self, meta: dict, values: pd.DataFrame, import_id: int) -> int:
        """Replace indicator ``meta['id']`` and all its values (level, vintage, area_code, period,
        value, flag); returns the number of values written."""

    @abstractmethod
    def delete_indicator(self, indicator_id: str) -> None:
        """Remove an indicator and its values."""

    @abstractmethod
    def update_indicator(self, indicator_id: str, meta: dict) -> int:
        """Rewrite the metadata of indicator ``indicator_id`` as ``meta`` (whose id may differ:
        the indicator and its values are renamed, keeping its import); returns the number of
        values that moved with a new id (0 when the id stays). The caller checks that a new id is
        free and a slug."""


class Store(ABC):
    """Read access plus ``transaction()``. Implementations: GeoPackageStore, PostGISStore."""

    url: str

    # -- lifecycle ---------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @abstractmethod
    def transaction(self, *, revise: bool = True) -> AbstractContextManager[StoreWriter]:
        """A writer whose changes are committed together on success and discarded on error.
        The revision grows unless ``revise`` is false (memos of what the store already holds)."""

    @abstractmethod
    def revision(self) -> int:
        """A number that grows with every committed write (for caches and ETags)."""

    @abstractmethod
    def identity(self) -> str:
        """What caches key on: changes with every write, and differs between two stores (even at
        the same path or revision)."""

    # -- boundaries --------------------------------------------------------------------------
    @abstractmethod
    def boundary_sets(self) -> list[BoundarySet]:
        """Every boundary set in the store, ordered by level and vintage."""

    @abstractmethod
    def _read_areas(self, level: str, vintage: int, codes: list[str] | None,
                    geometry: bool) -> pd.DataFrame | gpd.GeoDataFrame:
        """Rows of one stored set as code, name, level, vintage, start_year, end_year[, geometry]."""

    def read_boundary_set(self, level: str, vintage: int, *, geometry: bool = True
                          ) -> gpd.GeoDataFrame | pd.DataFrame:
        """Every row of the stored set (level, vintage) as it was imported: code, name, level,
        vintage (the set's), start_year, end_year[, geometry in EPSG:27700], ordered by code. A
        multi-year set gives all its years' areas (``areas()`` gives those live in one year); a
        set that is not stored gives no rows."""
        return self._read_areas(level, int(vintage), None, geometry)

    def resolve_set(self, level: str, vintage: int | None = None) -> tuple[BoundarySet, int]:
        """The boundary set that answers for (level, vintage), and the year it answers for.

        With no vintage, the newest set. A vintage with no set of its own is answered by a multi-year
        set that covers it. NotFound says which vintages there are.
        """
        level = str(level).strip().lower()  # callers check level names (geography is above us)
        sets = [s for s in self.boundary_sets() if s.level == level]
        if not sets:
            raise NotFound(f"There are no {level} boundaries in the store.",
                           "Load some with 'geohub import-boundaries FILE' or 'geohub fetch'.")
        if vintage is None:
            newest = max(sets, key=lambda s: (s.vintage, not s.multi_year))
            return newest, newest.vintage
        vintage = int(vintage)
        exact = [s for s in sets if s.vintage == vintage and not s.multi_year]
        covering = sorted((s for s in sets if vintage in s.years), key=lambda s: s.vintage)
        chosen = exact[0] if exact else covering[0] if covering else None
        if chosen is None:
            years = sorted({y for s in sets for y in s.years})
            raise NotFound(f"There are no {level} boundaries for {vintage}.",
                           f"Vintages in the store: {', '.join(map(str, years))}.")
        return chosen, vintage

    def areas(self, level: str, vintage: int | None = None, *, codes=None,
              geometry: bool = True) -> gpd.GeoDataFrame | pd.DataFrame:
        """Areas of ``level`` live in ``vintage`` (newest if None), geometry in EPSG:27700.

        Columns: code, name, level, vintage (the year asked for), start_year, end_year[, geometry].
        """
        bset, year = self.resolve_set(level, vintage)
        frame = self._read_areas(bset.level, bset.vintage, list(codes) if codes is not None else None,
                                 geometry)
        if bset.multi_year:
            live = (frame["start_year"].isna() | (frame["start_year"] <= year)) & (
                frame["end_year"].isna() | (frame["end_year"] >= year))
            frame = frame[live]
        frame = frame.assign(vintage=year).sort_values("code").reset_index(drop=True)
        return frame

    # -- relationships, indicators, imports ----------------------------------------------------
    @abstractmethod
    def relationships(self, *, source_level=None, source_vintage=None, target_level=None,
                      target_vintage=None, method=None) -> pd.DataFrame:
        """Relationship rows matching every filter given (None = any)."""

    @abstractmethod
    def indicators(self) -> list[dict]:
        """Metadata of every indicator, ordered by id."""

    def indicator(self, indicator_id: str) -> dict:
        """Metadata of one indicator; NotFound lists the ids there are."""
        for meta in self.indicators():
            if meta["id"] == indicator_id:
                return meta
        ids = [m["id"] for m in self.indicators()]
        raise NotFound(f"There is no indicator {indicator_id!r}.",
                       f"Indicators in the store: {', '.join(ids) if ids else 'none; import one with geohub import-indicator'}.")

    @abstractmethod
    def indicator_values(self, indicator_id: str, *, level=None, vintage=None,
                         period=None) -> pd.DataFrame:
        """Values (level, vintage, area_code, period, value, flag, ci95) of one indicator."""

    @abstractmethod
    def area_values(self, area_code: str) -> pd.DataFrame:
        """Every indicator value stored for one area (indicator, level, vintage, period, value,
        flag)."""

    @abstractmethod
    def imports(self) -> pd.DataFrame:
        """Every import, newest last."""
