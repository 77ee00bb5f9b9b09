"""Match indicator codes to the areas in the store: the level their prefix names, at the vintage the
file declares or, failing that, the stored vintage that matches most codes. Nothing is dropped
silently: every code that did not match is listed, with the reason."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from geohub.geography.levels import level_for_code
from geohub.store import Store


@dataclass
class LevelMatch:
    """How one level's codes matched: the vintage used, counts and the codes that did not match."""

    level: str
    vintage: int | None
    codes: int
    matched: int
    unmatched: list[str] = field(default_factory=list)
    declared: bool = False
    reason: str | None = None

    def line(self) -> str:
        how = "declared" if self.declared else "best match"
        text = (f"{self.level} {self.vintage if self.vintage is not None else '?'} ({how}): matched "
                f"{self.matched} of {self.codes} codes")
        if self.unmatched:
            text += (f"; unmatched {len(self.unmatched)}: {', '.join(self.unmatched[:10])}"
                     f"{' ...' if len(self.unmatched) > 10 else ''}")
        return text + (f" ({self.reason})" if self.reason else "")


class CodeIndex:
    """Stored area codes per (level, year), read once per import."""

    def __init__(self, store: Store):
        self.store = store
        self._sets = store.boundary_sets()
        self._codes: dict = {}

    def years(self, level: str) -> list[int]:
        return sorted({y for s in self._sets if s.level == level for y in s.years})

    def is_exact(self, level: str, year: int) -> bool:
        return any(s.level == level and s.vintage == year and not s.multi_year for s in self._sets)

    def codes(self, level: str, year: int) -> set[str]:
        key = (level, year)
        if key not in self._codes:
            self._codes[key] = set(self.store.areas(level, year, geometry=False)["code"]) \
                if year in self.years(level) else set()
        return self._codes[key]


def match_rows(index: CodeIndex, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[LevelMatch], list[str]]:
    """Rows with ``level`` and ``vintage`` assigned; the match report per level; codes of no level.

    Rows whose code has no geohub level, or whose level has no boundaries to tell the vintage by,
    are left out of the returned rows and listed in the report.
    """
    levels = rows["area_code"].map(lambda c: (lvl.name if (lvl := level_for_code(c)) else None))
    no_level = sorted(rows.loc[levels.isna(), "area_code"].unique().tolist())
    out, report = [], []
    rows = rows.assign(level=levels)
    for (level, declared), group in rows[levels.notna()].groupby(
            ["level", rows["declared_vintage"].fillna(-1)], sort=True):
        codes = set(group["area_code"])
        if declared != -1:
            vintage, is_declared = int(declared), True
        else:
            # Most codes matched wins; on a tie, a set imported as that very vintage beats a year
            # answered by a multi-year set, then the newer year.
            scores = [(len(codes & index.codes(level, y)), index.is_exact(level, y), y)
                      for y in index.years(level)]
            vintage, is_declared = (max(scores)[2] if scores else None), False
        if vintage is None:
            report.append(LevelMatch(level, None, len(codes), 0, sorted(codes),
                                     reason=f"no {level} boundaries in the store: import them, "
                                            "then import this file again"))
            continue
        known = index.codes(level, vintage)
        unmatched = sorted(codes - known)
        reason = None
        if not known:
            reason = f"no {level} boundaries for {vintage} in the store"
        report.append(LevelMatch(level, vintage, len(codes), len(codes) - len(unmatched), unmatched,
                                 declared=is_declared, reason=reason))
        out.append(group.assign(vintage=vintage))
    matched = pd.concat(out) if out else rows.iloc[0:0].assign(vintage=pd.Series(dtype="Int64"))
    return matched, report, no_level
