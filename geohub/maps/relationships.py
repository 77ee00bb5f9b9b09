"""The relationship every map, export, API answer, area page and ``geohub aggregate`` uses between
two stored boundary sets, taken from the store, official first:

1. an imported official lookup (method ``lookup``), also through the LAD code history when the
   lookup is on newer codes than the values (LAD21 values, LAD24 -> CAUTH24 lookup);
2. else best fit by population-weighted centroids, when the store has them (``best-fit``);
3. else geometry (``area``).

Between LADs and geographies made of whole LADs (combined authorities, LEPs, LSIP areas, counties,
regions, countries) the result is a membership: share 1 in every target a LAD belongs to, decided
by ``geohub.overlaps.membership``. Elsewhere shares stay fractional, with slivers resolved.

What geohub derives (2, 3) is computed once and kept in the store's relationships table, without
changing the store's revision (it changes no figure): every worker and request after the first
reads it back. Importing boundaries drops what was derived from them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from geohub.errors import GeohubError
from geohub.geography.levels import get_level, nests_lads
from geohub.indicators.bridging import build_bridge
from geohub.overlaps import relate, resolve_slivers
from geohub.overlaps.membership import RULE, memberships
from geohub.overlaps.relate import METHODS
from geohub.overlaps.slivers import DEFAULT_TOLERANCE
from geohub.store import Store
from geohub.store.schema import DERIVED_METHODS

log = logging.getLogger(__name__)
COLUMNS = ["source_code", "target_code", "share", "method"]


def _finish(table: pd.DataFrame, method: str, nested: bool, notes: list[str], **attrs) -> pd.DataFrame:
    out = pd.DataFrame(table[COLUMNS]).sort_values(["source_code", "target_code"]).reset_index(drop=True)
    out.attrs = {}
    out.attrs.update({k: v for k, v in attrs.items() if v is not None})
    out.attrs.update({"method": method, "membership": nested, "notes": notes})
    if nested and "rule" not in out.attrs:
        out.attrs["rule"] = ("official lookup: each LAD is a member of the areas it lists"
                             if method == "lookup" else
                             RULE.format(what="by population-weighted centroids" if method == "best-fit"
                                         else "by area"))
    return out


def _official(store: Store, source: tuple[str, int], target: tuple[str, int],
              source_codes: set[str], target_codes: set[str]):
    """(table, notes, (lookup source vintage, lookup target vintage)) of the official lookup that
    answers for (source, target), composed with the code history when the lookup's codes are newer
    than the source's; None if there is none."""
    (sl, sy), (tl, ty) = source, target
    rels = store.relationships(source_level=sl, target_level=tl, method="lookup")
    if rels.empty:
        return None
    families = []
    for (sv, tv), family in rels.groupby(["source_vintage", "target_vintage"]):
        # The lookup's targets must be areas of the target set (same codes): a lookup of 2021
        # answers for a 2025 set whose areas kept their codes.
        same_targets = int(tv) == ty or set(family["target_code"]) <= target_codes
        if same_targets:
            # Exact years first, then the lookup whose source codes are all live in the source
            # set, then the nearest newer lookup reached through the code history.
            rank = (int(sv) != sy, not set(family["source_code"]) <= source_codes, abs(int(sv) - sy),
                    int(tv) != ty)
            families.append((rank, int(sv), int(tv), family))
    notes = []
    for _, sv, tv, family in sorted(families, key=lambda f: f[0]):
        pairs = family[["source_code", "target_code", "share"]]
        if tv != ty:
            notes.append(f"lookup to {tl} {tv}, whose areas have the same codes as {tl} {ty}")
        if sv == sy or set(pairs["source_code"]) <= source_codes:
            if sv != sy:
                notes.append(f"lookup on {sl} {sv} codes, all live in {sl} {sy}")
            table = pairs[pairs["source_code"].isin(source_codes)]
            return table.assign(method="lookup"), notes, (sv, tv)
        if sv > sy:
            try:
                bridge = build_bridge(store, sl, sy, sv, sorted(source_codes))
            except GeohubError:
                continue
            composed = bridge.table.merge(pairs, left_on="target_code", right_on="source_code",
                                          suffixes=("", "_lookup"))
            composed = composed.assign(share=composed["share"] * composed["share_lookup"])
            table = pd.DataFrame({"source_code": composed["source_code"],
                                  "target_code": composed["target_code_lookup"],
                                  "share": composed["share"], "method": "lookup"})
            table = table.groupby(["source_code", "target_code", "method"], as_index=False)["share"].sum()
            notes.append(f"lookup on {sl} {sv} codes, reached from {sl} {sy} through the code history")
            return table, notes, (sv, tv)
    return None


def _derive(source_areas: gpd.GeoDataFrame, target_areas: gpd.GeoDataFrame,
            points: gpd.GeoDataFrame | None, nested: bool) -> tuple[pd.DataFrame, str, list[str]]:
    """(table, method, notes) from geometry: memberships for whole-LAD targets, resolved area
    shares otherwise."""
    notes: list[str] = []
    if nested:
        if points is not None:
            fit = relate(source_areas, target_areas, method="best-fit", points=points)
            unassigned = fit.attrs.get("unassigned", [])
            table = memberships(fit)
            if unassigned:
                # LADs with no centroid inside them (outside the centroids' coverage): by area.
                few = source_areas[source_areas["code"].isin(unassigned)]
                by_area = memberships(relate(few, target_areas))
                changes = pd.concat([table.attrs["changes"], by_area.attrs["changes"]], ignore_index=True)
                table.attrs, by_area.attrs = {}, {}
                table = pd.concat([table, by_area], ignore_index=True)
                table.attrs["changes"] = changes
                notes.append(f"{len(unassigned)} LADs with no centroid inside were placed by area")
            return table, "best-fit", notes
        return memberships(relate(source_areas, target_areas)), "area", notes
    area = relate(source_areas, target_areas)
    fit = (relate(source_areas, target_areas, method="best-fit", points=points)
           if points is not None else None)
    resolved, report = resolve_slivers(area, DEFAULT_TOLERANCE, fit)
    if len(report):
        notes.append(f"{len(report)} sliver shares resolved at {DEFAULT_TOLERANCE:.0%}")
    return resolved, "area", notes


def resolve_relationship(store: Store, source: tuple[str, int], target: tuple[str, int], *,
                         areas: Callable[[str, int], gpd.GeoDataFrame],
                         points: Callable[[], gpd.GeoDataFrame | None]) -> pd.DataFrame:
    """source_code, target_code, share, method for two stored sets (level, year), by the order in
    the module docstring; ``attrs``: method, membership (bool), rule, notes.

    ``areas(level, year)`` and ``points()`` give the boundaries and centroids (cached by callers).
    """
    (sl, sy), (tl, ty) = (get_level(source[0]).name, int(source[1])), (get_level(target[0]).name,
                                                                       int(target[1]))
    nested = nests_lads(sl, tl)
    source_codes = set(areas(sl, sy)["code"])
    target_codes = set(areas(tl, ty)["code"])
    official = _official(store, (sl, sy), (tl, ty), source_codes, target_codes)
    if official is not None:
        table, notes, (sv, tv) = official
        table = table[table["target_code"].isin(target_codes)]
        # Areas the lookup does not cover (Welsh, Scottish and Northern Irish regions beside an
        # English lookup) take the LADs it does not list, by the derived rule.
        others = source_codes - set(table["source_code"])
        uncovered = target_codes - set(table["target_code"])
        if others and uncovered:
            src, tgt = areas(sl, sy), areas(tl, ty)
            extra, method, _ = _derive(src[src["code"].isin(others)], tgt[tgt["code"].isin(uncovered)],
                                       points(), nested)
            if len(extra):
                extra = pd.DataFrame(extra.assign(method=method)[COLUMNS])
                extra.attrs = {}
                table = pd.concat([pd.DataFrame(table), extra], ignore_index=True)
                notes.append(f"{extra['source_code'].nunique()} {sl} areas the lookup does not list "
                             f"were placed in {len(set(extra['target_code']))} other areas by "
                             f"{METHODS[method]}")
        return _finish(table, "lookup", nested, notes, lookup_vintages=(sv, tv))
    stored = store.relationships(source_level=sl, source_vintage=sy, target_level=tl, target_vintage=ty)
    stored = stored[stored["method"].isin(DERIVED_METHODS)]
    if len(stored):
        method = stored["method"].iloc[0]
        return _finish(stored[stored["method"] == method], method, nested, [])
    table, method, notes = _derive(areas(sl, sy), areas(tl, ty), points(), nested)
    table = table.assign(method=method)
    try:
        with store.transaction(revise=False) as tx:
            tx.replace_relationships(sl, sy, tl, ty, method, table, None)
        log.info("derived %s %s -> %s %s (%s, %d rows) and kept it in the store", sl, sy, tl, ty,
                 method, len(table))
    except Exception as exc:  # a read-only store still serves: it derives again next time
        log.warning("could not keep the derived relationship %s %s -> %s %s: %s", sl, sy, tl, ty, exc)
    return _finish(table, method, nested, notes, changes=table.attrs.get("changes"))
