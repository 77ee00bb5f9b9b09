"""Memberships: relationships to geographies made of whole LADs (combined authorities, LEPs, LSIP
areas, counties, regions, countries). Pure: a share table in, a membership table out.

A LAD is a member (share 1.0) of every such area it belongs to, never 0.93 of one. Where no
official lookup says so, membership is decided from a share table (best fit by population-weighted
centroids, or area) by one documented rule: a LAD belongs to each target holding at least
``MEMBERSHIP_THRESHOLD`` (one half) of it. Overlapping targets (a LAD inside two LEPs) hold all of
it each, so it is a member of both. Shares between the threshold and 1 are generalisation slivers
(an estuary drawn differently in two files), not real partial membership; every change is
reported.
"""
from __future__ import annotations

import pandas as pd

MEMBERSHIP_THRESHOLD = 0.5
RULE = ("a LAD is a member of each area holding at least half of it "
        "({what}); smaller shares are boundary slivers and are dropped")


def memberships(table: pd.DataFrame, threshold: float = MEMBERSHIP_THRESHOLD) -> pd.DataFrame:
    """The membership table of a share table: rows with ``share >= threshold`` kept with share 1.0,
    the rest dropped. ``attrs['changes']`` lists every row changed (source_code, target_code,
    share, new_share, action: member | dropped); ``attrs['rule']`` states the rule."""
    attrs = dict(table.attrs)
    table = table.copy()
    table.attrs = {}  # pandas compares attrs when concatenating: frames in them cannot be compared
    kept = table[table["share"] >= threshold].copy()
    dropped = table[table["share"] < threshold]
    rounded = kept[kept["share"] < 1.0]
    changes = pd.concat([
        rounded[["source_code", "target_code", "share"]].assign(new_share=1.0, action="member"),
        dropped[["source_code", "target_code", "share"]].assign(new_share=0.0, action="dropped"),
    ], ignore_index=True).sort_values(["source_code", "target_code"]).reset_index(drop=True)
    kept["share"] = 1.0
    kept = kept.reset_index(drop=True)
    kept.attrs.update({k: v for k, v in attrs.items() if k not in ("slivers",)})
    method = attrs.get("method") or (kept["method"].iloc[0] if len(kept) else "area")
    what = "by population-weighted centroids" if method == "best-fit" else "by area"
    kept.attrs.update({"changes": changes, "rule": RULE.format(what=what), "membership": True})
    return kept


def counted_in_several(table: pd.DataFrame) -> dict[str, list[str]]:
    """Sources that count in more than one target: source code -> sorted target codes."""
    grouped = table.groupby("source_code")["target_code"].apply(lambda t: sorted(set(t)))
    return {code: targets for code, targets in grouped.items() if len(targets) > 1}
