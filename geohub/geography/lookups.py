"""Official lookups as relationships: which area of one level and vintage lies in which of another.

``read_lookup`` understands the shapes ONS and its re-packagers publish:

* pair lookups: ``LAD21CD, CAUTH21CD`` (ONS) or ``ltla21_code, cauth21_code`` (geographr); several
  target columns make several families; ``LEP17CD1, LEP17CD2`` list an area under two parents;
* chains: ``ltla16_code ... ltla24_code`` (one column per year) become year-to-year steps;
* change lists: ``oldcd, newcd, type, start`` (ONS Data Vis): same-level rows are code changes from
  ``start - 1`` to ``start``; cross-level rows are memberships from ``start``.

Relationships between two vintages of the same level are recorded with method ``history`` (what
vintage bridging follows); between levels, with method ``lookup``. Shares are 1.0: an official
lookup says the whole source lies in the target.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from geohub.errors import InputError, NotFound
from geohub.geography.conventions import OnsField, ons_field
from geohub.geography.levels import level_for_code, parse_vintage
from geohub.io.files import file_checksum
from geohub.io.tables import read_table
from geohub.store import resolve_store



@dataclass
class Family:
    """Relationships from one (level, vintage) to another, by one method."""

    source_level: str
    source_vintage: int
    target_level: str
    target_vintage: int
    method: str
    pairs: set[tuple[str, str]] = field(default_factory=set)

    @property
    def key(self):
        return (self.source_level, self.source_vintage, self.target_level, self.target_vintage,
                self.method)

    def table(self) -> pd.DataFrame:
        rows = sorted(self.pairs)
        return pd.DataFrame({"source_code": [s for s, _ in rows], "target_code": [t for _, t in rows],
                             "share": [1.0] * len(rows)})

    def label(self) -> str:
        return (f"{self.source_level} {self.source_vintage} -> {self.target_level} "
                f"{self.target_vintage} ({self.method}): {len(self.pairs)} rows")


@dataclass
class Lookup:
    families: list[Family]
    notes: list[str]


def _code_columns(frame: pd.DataFrame, vintage: int | None) -> list[OnsField]:
    """The code columns of a lookup (LAD21CD, LEP17CD1, ltla21_code, ladcd); a bare ``ladcd``
    takes ``vintage``."""
    fields = [f for c in frame.columns if (f := ons_field(c)) and f.kind == "CD"]
    return [replace(f, vintage=vintage) if f.form == "bare" else f for f in fields]


def _add(families: dict, src: OnsField, tgt: OnsField, pairs) -> None:
    method = "history" if src.level.name == tgt.level.name else "lookup"
    key = (src.level.name, src.vintage, tgt.level.name, tgt.vintage, method)
    family = families.setdefault(key, Family(*key))
    family.pairs.update((s, t) for s, t in pairs if s and t)


def _changes(frame: pd.DataFrame) -> Lookup:
    families: dict = {}
    notes, skipped = [], 0
    for row in frame.itertuples(index=False):
        old, new = ("" if pd.isna(v) else str(v).strip() for v in (row.oldcd, row.newcd))
        start = row.start
        if not new:
            skipped += 1  # a termination: the area ended with no successor
            continue
        old_level, new_level = level_for_code(old), level_for_code(new)
        if old_level is None or new_level is None:
            notes.append(f"skipped {old} -> {new}: no geohub level for its code prefix.")
            continue
        year = parse_vintage(start)
        if old_level.name == new_level.name:
            key = (old_level.name, year - 1, new_level.name, year, "history")
        else:
            key = (old_level.name, year, new_level.name, year, "lookup")
        families.setdefault(key, Family(*key)).pairs.add((old, new))
    if skipped:
        notes.append(f"{skipped} terminations (areas with no successor) need no relationship.")
    return Lookup(sorted(families.values(), key=lambda f: f.key), notes)


def read_lookup(path: str | Path, *, vintage=None, source_column: str | None = None) -> Lookup:
    """Relationship families in a lookup file; InputError if it is not a lookup geohub understands."""
    frame = read_table(path)
    lowered = {c.lower(): c for c in frame.columns}
    if {"oldcd", "newcd", "start"} <= set(lowered):
        return _changes(frame.rename(columns={lowered[k]: k for k in ("oldcd", "newcd", "start")}))
    if {"entity", "code", "start_date"} <= set(lowered):
        raise InputError(
            f"{Path(path).name} is a list of codes with their dates (the ONS Code History Database), "
            "not a lookup: it does not say which code replaced which.",
            "Import a change list or a chain instead, e.g. onsvisual_ltla_changes_2014_2025.csv or "
            "geographr_lookup_ltla_ltla.csv.")
    year = parse_vintage(vintage) if vintage is not None else None
    columns = _code_columns(frame, year)
    if len(columns) < 2:
        raise InputError(f"{Path(path).name} does not look like a lookup: it needs two code columns "
                         "such as LAD21CD and CAUTH21CD, or ltla21_code and cauth21_code.",
                         f"Its columns are: {', '.join(frame.columns)}.")
    notes = [f"column {c.column} skipped: no geohub level called {c.stem}." for c in columns
             if c.level is None]
    columns = [c for c in columns if c.level is not None]
    if len(columns) < 2:
        raise InputError(f"{Path(path).name} relates fewer than two geographies geohub knows.",
                         " ".join(notes) or "Check its code columns.")
    undated = [c.column for c in columns if c.vintage is None]
    if undated:
        raise InputError(f"The columns {', '.join(undated)} do not say which year their codes are.",
                         "Pass «vintage» YEAR.")
    families: dict = {}
    stems = defaultdict(list)
    for c in columns:
        stems[(c.level.name, c.vintage)].append(c)
    levels = {c.level.name for c in columns}
    if source_column is None and len(levels) == 1 and len({c.vintage for c in columns}) > 2:
        # A chain: one column per year; relate each year to the next.
        ordered = sorted(columns, key=lambda c: c.vintage)
        for a, b in zip(ordered, ordered[1:]):
            _add(families, a, b, zip(frame[a.column], frame[b.column]))
        return Lookup(sorted(families.values(), key=lambda f: f.key), notes)
    if source_column is not None:
        matches = [c for c in columns if c.column.lower() == source_column.lower()]
        if not matches:
            raise NotFound(f"There is no code column {source_column!r} in {Path(path).name}.",
                           f"Code columns: {', '.join(c.column for c in columns)}.")
        source = matches[0]
    else:
        source = columns[0]
    for (level, vin), group in stems.items():
        if (level, vin) == (source.level.name, source.vintage):
            continue
        for target in group:  # CD1, CD2 ...: an area listed under several parents
            _add(families, source, target, zip(frame[source.column], frame[target.column]))
    return Lookup(sorted(families.values(), key=lambda f: f.key), notes)


def import_lookup(store_factory, path, *, vintage=None, source_column=None) -> tuple[Lookup, int]:
    """Read a lookup and replace its relationship families in the store, in one transaction."""
    lookup = read_lookup(path, vintage=vintage, source_column=source_column)
    if not lookup.families:
        raise InputError(f"{Path(path).name} holds no relationship geohub can use.",
                         " ".join(lookup.notes) or "Check the file's code columns.")
    store = resolve_store(store_factory)
    with store.transaction() as tx:
        import_id = tx.record_import("lookup", str(Path(path).resolve()), file_checksum(path), None,
                                     {"families": [f.label() for f in lookup.families]})
        for family in lookup.families:
            tx.replace_relationships(*family.key, family.table(), import_id)
    return lookup, import_id
