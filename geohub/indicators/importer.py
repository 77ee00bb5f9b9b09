"""Import indicator tables: read, build drafts, match codes to areas, optionally bridge vintages,
and write every indicator of the file in one transaction (a refused file changes nothing)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geohub.errors import InputError
from geohub.geography.validation import check_indicator_meta
from geohub.indicators.bridging import build_bridge, bridge_values
from geohub.indicators.drafts import ImportOptions, IndicatorDraft, build_drafts
from geohub.indicators.matching import CodeIndex, LevelMatch, match_rows
from geohub.io.files import file_checksum
from geohub.io.tables import read_table
from geohub.store import Store, resolve_store

log = logging.getLogger(__name__)


@dataclass
class IndicatorResult:
    meta: dict
    values: pd.DataFrame            # level, vintage, area_code, period, value, flag
    matches: list[LevelMatch]
    no_level: list[str]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        m = self.meta
        out = [f"{m['id']}: {len(self.values)} values ({m['kind']}"
               f"{', ' + m['unit'] if m.get('unit') else ''}), periods {', '.join(m['periods'])}."]
        out += [f"  {match.line()}" for match in self.matches]
        if self.no_level:
            out.append(f"  unmatched {len(self.no_level)} codes with no geohub level: "
                       f"{', '.join(self.no_level[:10])}{' ...' if len(self.no_level) > 10 else ''}")
        out += [f"  {note}" for note in self.notes]
        return out

    def unmatched(self) -> list[str]:
        return self.no_level + [c for match in self.matches for c in match.unmatched]


@dataclass
class IndicatorImport:
    source: str
    import_id: int
    results: list[IndicatorResult]

    def lines(self) -> list[str]:
        return [line for r in self.results for line in r.lines()]


def _bridge(store: Store, result: IndicatorResult, to_vintage: int, weight: str | None) -> None:
    """Carry each level's values from an older vintage to ``to_vintage`` (in place)."""
    frames, bridged = [], {}
    for (level, vintage), group in result.values.groupby(["level", "vintage"]):
        if vintage >= to_vintage:
            frames.append(group)
            continue
        bridge = build_bridge(store, level, int(vintage), to_vintage, group["area_code"].tolist())
        weights = None
        if weight:
            weights = store.indicator_values(weight, level=level, vintage=int(vintage))
            if weights.empty:
                raise InputError(f"The weight indicator {weight!r} has no values for {level} {vintage}.",
                                 f"Import a count on {level} {vintage} codes to weight by.")
        carried = bridge_values(group, bridge, result.meta["kind"], weights)
        frames.append(carried.assign(level=level, vintage=to_vintage))
        bridged[level] = {"from": int(vintage), "to": to_vintage, "steps": bridge.steps,
                          "merged": bridge.merged(), "weight": weight}
        result.notes.append(f"bridged {level} {vintage} -> {to_vintage} through the code history "
                            f"({len(bridge.merged())} areas changed or merged).")
    result.values = pd.concat(frames, ignore_index=True)
    if bridged:
        result.meta["bridged_from"] = bridged


def resolve(store: Store, drafts: list[IndicatorDraft], *, strict: bool = False,
            bridge_to: int | None = None, weight: str | None = None) -> list[IndicatorResult]:
    """Match drafts to the store's areas (and bridge them); InputError under strict matching if any code
    does not match."""
    index = CodeIndex(store)
    results = []
    for draft in drafts:
        matched, report, no_level = match_rows(index, draft.rows)
        keep = ["level", "vintage", "area_code", "period", "value", "flag"]
        keep += ["ci95"] if "ci95" in matched else []
        values = matched[keep].reset_index(drop=True)
        result = IndicatorResult(dict(draft.meta), values, report, no_level, list(draft.notes))
        if strict and result.unmatched():
            raise InputError(f"{draft.meta['id']}: {len(result.unmatched())} codes did not match an area "
                             f"in the store: {', '.join(result.unmatched()[:15])}.",
                             "Import the boundaries they belong to, filter them out with «where», or "
                             "drop «strict» to import the rest and list them in the report.")
        if bridge_to is not None:
            _bridge(store, result, bridge_to, weight)
        result.meta["levels"] = {lvl: int(vin) for (lvl, vin), _ in result.values.groupby(["level", "vintage"])}
        result.meta["periods"] = sorted(result.values["period"].unique().tolist()) or result.meta["periods"]
        result.meta["matching"] = [m.line() for m in report] + (
            [f"no geohub level: {', '.join(no_level)}"] if no_level else [])
        results.append(result)
    return results


def import_indicator(store_factory, path, options: ImportOptions, *, strict: bool = False,
                     bridge_to: int | None = None, weight: str | None = None,
                     sheet: str | None = None) -> IndicatorImport:
    """Import every indicator a table holds; the store changes only if all of them are fine."""
    path = Path(path)
    drafts = build_drafts(read_table(path, sheet=sheet), options, path)
    for draft in drafts:   # before the store opens: a bad id or text never creates it
        check_indicator_meta(draft.meta)
    store = resolve_store(store_factory)
    results = resolve(store, drafts, strict=strict, bridge_to=bridge_to, weight=weight)
    with store.transaction() as tx:
        import_id = tx.record_import("indicator", str(path.resolve()), file_checksum(path),
                                     options.source, {"indicators": [r.meta["id"] for r in results]})
        for result in results:
            tx.replace_indicator(result.meta, result.values, import_id)
    log.info("Imported indicators from %s (import %s): %s", path, import_id,
             ", ".join(f"{r.meta['id']} ({len(r.values)} values)" for r in results))
    return IndicatorImport(str(path), import_id, results)
