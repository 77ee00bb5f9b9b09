"""Place names from a gazetteer: a table of area codes and place names (such as the House of
Commons Library's MSOA names) that names the stored points of one level (population-weighted
centroids), so that a search for a place finds its point and every area containing it.

``import_gazetteer`` sets the ``name`` of the stored areas whose codes the table lists, in one
transaction recorded as an import (kind "gazetteer", with the gazetteer's licence as its
attribution); no table is added. Codes it lists that the store does not hold are reported, not
imported. A refused gazetteer leaves the store as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geohub.errors import InputError, NotFound
from geohub.io.files import file_checksum


@dataclass
class GazetteerImport:
    """What a gazetteer import did: how many stored areas it named, and the codes it lists that
    the store does not hold."""

    level: str
    vintage: int
    listed: int
    named: int
    renamed: int
    unknown: list[str] = field(default_factory=list)
    import_id: int | None = None

    def lines(self) -> list[str]:
        lines = [f"{self.level} {self.vintage}: {self.named} of {self.listed} listed places named "
                 f"({self.renamed} names changed)."]
        if self.unknown:
            shown = ", ".join(self.unknown[:10]) + (" ..." if len(self.unknown) > 10 else "")
            lines.append(f"{len(self.unknown)} listed codes are not stored {self.level} {self.vintage} "
                         f"areas, so they were not named: {shown}")
        return lines


def read_gazetteer(path: str | Path, code_field: str, name_field: str) -> pd.Series:
    """code -> place name from a CSV file; InputError for missing columns, repeated codes or a
    table with no names."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"The gazetteer {path} cannot be read as a CSV table: {exc}.",
                         "Give a UTF-8 CSV file with a header row.") from exc
    missing = [c for c in (code_field, name_field) if c not in frame.columns]
    if missing:
        raise InputError(f"The gazetteer {path.name} has no column {', '.join(missing)}; its columns "
                         f"are {', '.join(frame.columns) or 'none'}.",
                         "Give the gazetteer's code and name columns (code_field and name_field in "
                         "the catalogue).")
    codes = frame[code_field].str.strip().str.upper()
    names = frame[name_field].str.strip()
    keep = (codes != "") & (names != "")
    codes, names = codes[keep], names[keep]
    repeated = sorted(set(codes[codes.duplicated()]))
    if repeated:
        raise InputError(f"The gazetteer {path.name} lists {len(repeated)} codes twice: "
                         f"{', '.join(repeated[:5])}{' ...' if len(repeated) > 5 else ''}.",
                         "Give each code one name.")
    if codes.empty:
        raise InputError(f"The gazetteer {path.name} has no rows with both a code and a name.",
                         f"Fill the {code_field} and {name_field} columns.")
    return pd.Series(names.to_numpy(), index=codes.to_numpy())


def import_gazetteer(store, path: str | Path, *, level: str, vintage: int, code_field: str,
                     name_field: str, attribution: str, source: str | None = None) -> GazetteerImport:
    """Name the stored ``level`` ``vintage`` areas with the gazetteer at ``path``, in one transaction.
    NotFound (store unchanged) when the store has no such boundary set."""
    names = read_gazetteer(path, code_field, name_field)
    try:
        bset, _ = store.resolve_set(level, vintage)
    except NotFound as exc:
        raise NotFound(f"The gazetteer names {level} {vintage} areas, and the store has none: "
                       f"{exc.raw_message}", f"Load the {level} {vintage} points first (for MSOAs, the "
                       "dataset msoa-2021-pwc), then the gazetteer.") from exc
    areas = store.read_boundary_set(bset.level, bset.vintage)
    stored = set(areas["code"])
    unknown = sorted(set(names.index) - stored)
    listed = names[names.index.isin(stored)]
    areas["name"] = [listed.get(c, n) for c, n in zip(areas["code"], areas["name"])]
    details = {"level": bset.level, "vintage": bset.vintage, "listed": len(names),
               "named": len(listed), "unknown": unknown}
    with store.transaction() as tx:
        import_id = tx.record_import("gazetteer", source or str(Path(path).resolve()),
                                     file_checksum(path), attribution, details)
        # The same points with their names: replacing the set is the store's one way to write areas.
        changes = tx.replace_areas(bset.level, bset.vintage, areas, import_id)
    return GazetteerImport(bset.level, bset.vintage, len(names), len(listed), len(changes.renamed),
                           unknown, import_id)


def gazetteer_attribution(store) -> str | None:
    """The licence line of the newest gazetteer import (shown wherever its place names show)."""
    imports = store.imports()
    found = imports[imports["kind"] == "gazetteer"]
    if found.empty:
        return None
    return found.iloc[-1]["attribution"] or None
