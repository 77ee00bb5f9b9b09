"""The overlap report: where two geographies fail to nest, as a table and as data for map pages.

From a relationship table it lists the sources that lie in more than one target (a LAD in two
LEPs, a combined authority spanning several LEPs), the targets that cut across each other (two
LEPs sharing a LAD), the sources in no target, and the sliver statistics.
"""
from __future__ import annotations

from itertools import combinations

import pandas as pd

from geohub.overlaps.slivers import sliver_statistics


def overlap_report(table: pd.DataFrame, source_names: dict | None = None,
                   target_names: dict | None = None, sources: list[str] | None = None) -> dict:
    """A JSON-ready dict: ``multi`` (sources in several targets, with shares), ``crossing``
    (target pairs sharing sources), ``unassigned`` (``sources`` in no target) and ``stats``."""
    source_names, target_names = source_names or {}, target_names or {}
    multi = []
    for code, group in table.groupby("source_code", sort=True):
        if len(group) > 1:
            multi.append({"code": code, "name": source_names.get(code),
                          "targets": [{"code": t, "name": target_names.get(t), "share": round(float(s), 6)}
                                      for t, s in zip(group["target_code"], group["share"])]})
    shared: dict[tuple[str, str], list[str]] = {}
    for item in multi:
        for a, b in combinations(sorted(t["code"] for t in item["targets"]), 2):
            shared.setdefault((a, b), []).append(item["code"])
    crossing = [{"targets": [{"code": a, "name": target_names.get(a)},
                             {"code": b, "name": target_names.get(b)}], "shared_sources": codes}
                for (a, b), codes in sorted(shared.items())]
    unassigned = sorted(set(sources or []) - set(table["source_code"]))
    slivers = table.attrs.get("slivers")
    stats = {"sources": int(table["source_code"].nunique()), "targets": int(table["target_code"].nunique()),
             "pairs": int(len(table)), "sources_in_several_targets": len(multi),
             "crossing_target_pairs": len(crossing), "unassigned": len(unassigned),
             "method": table.attrs.get("method")}
    if isinstance(slivers, pd.DataFrame) and "action" in slivers:
        stats["slivers"] = sliver_statistics(slivers)
    elif isinstance(slivers, pd.DataFrame):
        stats["slivers"] = {"dropped": int(len(slivers)),
                            "largest_dropped_share": float(slivers["share"].max()) if len(slivers) else 0.0}
    return {"multi": multi, "crossing": crossing, "unassigned": unassigned, "stats": stats}


def report_table(report: dict) -> pd.DataFrame:
    """The report's sources-in-several-targets as one row per (source, target)."""
    rows = [(m["code"], m["name"], t["code"], t["name"], t["share"])
            for m in report["multi"] for t in m["targets"]]
    return pd.DataFrame(rows, columns=["source_code", "source_name", "target_code", "target_name", "share"])
