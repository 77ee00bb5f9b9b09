"""Carry values published on older codes to a newer boundary vintage through the code history.

The history is the store's same-level relationships with method ``history`` (imported with
``geohub import-lookup``). Steps are applied in year order; a code a step does not mention carries
on unchanged. Counts of merged areas are summed; rates are re-weighted with a weight indicator and
refused without one. The result says what it was bridged from.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geohub.errors import InputError, NotFound
from geohub.indicators.combine import combine
from geohub.store import Store


@dataclass
class Bridge:
    """A composed history: source codes at ``from_vintage`` to target codes at ``to_vintage``."""

    level: str
    from_vintage: int
    to_vintage: int
    steps: list[tuple[int, int]]
    table: pd.DataFrame  # source_code, target_code, share

    def merged(self) -> dict[str, list[str]]:
        """Targets made of more than one source, or of a source with another code."""
        out = {}
        for target, group in self.table.groupby("target_code"):
            sources = sorted(group["source_code"])
            if sources != [target]:
                out[target] = sources
        return out


def _steps(store: Store, level: str, start: int, end: int) -> list[tuple[int, int, pd.DataFrame]]:
    history = store.relationships(source_level=level, target_level=level, method="history")
    history = history[(history["source_vintage"] >= start) & (history["target_vintage"] <= end)]
    steps, year = [], start
    while year < end:
        here = history[history["source_vintage"] == year]
        if here.empty:
            year += 1  # no recorded change from this year: codes carry on
            continue
        # Several families from one year (a chain and a change list): follow the longest jump that
        # stays within the target, and merge families that agree on it.
        reach = int(here["target_vintage"].max())
        step = here[here["target_vintage"] == reach].drop_duplicates(["source_code", "target_code"])
        steps.append((year, reach, step[["source_code", "target_code", "share"]]))
        year = reach
    return steps


def build_bridge(store: Store, level: str, from_vintage: int, to_vintage: int,
                 codes: list[str]) -> Bridge:
    """The composed history for ``codes`` from one vintage to a later one."""
    if to_vintage < from_vintage:
        raise InputError(f"Cannot bridge {level} values back from {from_vintage} to {to_vintage}.",
                         "Bridging carries older codes forward; use boundaries of the data's vintage.")
    table = pd.DataFrame({"source_code": sorted(set(codes))})
    table["target_code"], table["share"] = table["source_code"], 1.0
    steps = _steps(store, level, from_vintage, to_vintage)
    for _, _, step in steps:
        mapped = table.merge(step, left_on="target_code", right_on="source_code", how="left",
                             suffixes=("", "_step"))
        changed = mapped["target_code_step"].notna()
        mapped.loc[changed, "target_code"] = mapped.loc[changed, "target_code_step"]
        mapped.loc[changed, "share"] = mapped.loc[changed, "share"] * mapped.loc[changed, "share_step"]
        table = mapped[["source_code", "target_code", "share"]]
    if not steps and from_vintage != to_vintage:
        raise NotFound(f"There is no {level} code history from {from_vintage} to {to_vintage} in the store.",
                       "Import one with 'geohub import-lookup', e.g. "
                       "../shared/data/lookups/compiled/geographr_lookup_ltla_ltla.csv.")
    return Bridge(level, from_vintage, to_vintage, [(a, b) for a, b, _ in steps],
                  table.reset_index(drop=True))


def bridge_values(rows: pd.DataFrame, bridge: Bridge, kind: str,
                  weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows (area_code, period, value, flag) carried through ``bridge``, one period at a time.

    ``weights`` (area_code, period, value) at the source vintage are used for rates; the weight's
    own period is taken when it has the same one, otherwise its latest period.
    """
    out = []
    merged = bridge.merged()
    several = {t for t, s in merged.items() if len(s) > 1}
    if kind != "count" and weights is None and several & set(bridge.table.loc[
            bridge.table["source_code"].isin(rows["area_code"]), "target_code"]):
        example = sorted(several)[0]
        raise InputError(
            f"Bridging this {kind} from {bridge.level} {bridge.from_vintage} to {bridge.to_vintage} "
            f"merges areas (e.g. {example} = {', '.join(merged[example])}), and a {kind} cannot be "
            "summed.",
            f"Pass «weight» ID with a count on {bridge.level} {bridge.from_vintage} codes to weight "
            "by (for most rates: the population of the denominator, e.g. mid-year population).")
    for period, group in rows.groupby("period", sort=True):
        values = group.set_index("area_code")["value"]
        w = None
        if weights is not None:
            chosen = period if period in set(weights["period"]) else max(weights["period"])
            w = weights[weights["period"] == chosen].set_index("area_code")["value"]
        table = bridge.table[bridge.table["source_code"].isin(values.index)]
        result = combine(values, table, kind, w)
        flags = group.set_index("area_code")["flag"]
        for row in result.itertuples():
            if row.missing:
                flag = "incomplete"
            elif len(row.sources) == 1:
                flag = flags.get(row.sources[0])
            else:
                flag = None
            out.append({"area_code": row.target_code, "period": period, "value": row.value,
                        "flag": flag})
    return pd.DataFrame(out, columns=["area_code", "period", "value", "flag"])
