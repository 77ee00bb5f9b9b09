"""Slivers: the few-percent overlaps that appear where two boundary files of different vintages or
generalisations do not share their edges exactly, and how geohub resolves them deliberately.

The documented treatment, for a tolerance ``tol`` (default 5%):

1. a share below ``tol`` is a sliver: the pair is dropped;
2. a share above ``1 - tol`` is the source's whole membership clipped by a sliver: it becomes 1.0;
3. a source left with a share between the two is ambiguous (a coastline generalised differently,
   or a real partial overlap): with population-weighted centroids (best fit) it takes its
   best-fit shares instead; without them it keeps its area shares.

Every change is reported, row by row, with the action taken. Real overlaps survive: a LAD inside
two overlapping LEPs has share 1.0 in both.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geohub.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE = 0.05


def resolve_slivers(table: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE,
                    best_fit: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(resolved table, report). The report has one row per changed pair: source_code,
    target_code, share (before), new_share, action (dropped | snapped | best-fit) and
    intersection_area (m², when the table has it)."""
    if not 0.0 <= tolerance < 0.5:
        raise InputError(f"The sliver tolerance must be in [0, 0.5), not {tolerance}.",
                         "Use e.g. 0.05 for 5%.")
    t = table.copy()
    if "intersection_area" not in t:
        t["intersection_area"] = np.nan
    report = []
    sliver = t["share"] < tolerance
    for row in t[sliver].itertuples():
        report.append((row.source_code, row.target_code, row.share, 0.0, "dropped", row.intersection_area))
    t = t[~sliver]
    snap = t["share"] > 1 - tolerance
    for row in t[snap & (t["share"] < 1.0)].itertuples():
        report.append((row.source_code, row.target_code, row.share, 1.0, "snapped", row.intersection_area))
    t.loc[snap, "share"] = 1.0
    ambiguous = sorted(set(t.loc[~snap, "source_code"]))
    if ambiguous and best_fit is not None:
        fit = best_fit[best_fit["source_code"].isin(ambiguous)]
        fit = fit[fit["share"] >= tolerance]
        resolved = set(fit["source_code"])
        for row in t[t["source_code"].isin(resolved)].itertuples():
            new = fit[(fit["source_code"] == row.source_code) & (fit["target_code"] == row.target_code)]
            report.append((row.source_code, row.target_code, row.share,
                           float(new["share"].iloc[0]) if len(new) else 0.0, "best-fit",
                           row.intersection_area))
        t = pd.concat([t[~t["source_code"].isin(resolved)], fit], ignore_index=True)
    t = t.sort_values(["source_code", "target_code"]).reset_index(drop=True)
    rep = pd.DataFrame(report, columns=["source_code", "target_code", "share", "new_share", "action",
                                        "intersection_area"])
    t.attrs.update(table.attrs)
    t.attrs["slivers"] = rep
    t.attrs["tolerance"] = tolerance
    if len(rep):
        # Never silently: say what moved, so a changed figure can be traced from the log too.
        counts = rep["action"].value_counts()
        log.info("Slivers at tolerance %s: %s of %s pairs changed (%s)", tolerance, len(rep), len(table),
                 ", ".join(f"{n} {action}" for action, n in counts.items()))
    return t, rep


def sliver_statistics(report: pd.DataFrame) -> dict:
    """Counts of each action, the largest share dropped, and the area dropped (m²) if known."""
    stats = {action: int((report["action"] == action).sum())
             for action in ("dropped", "snapped", "best-fit")}
    dropped = report[report["action"] == "dropped"]
    stats["largest_dropped_share"] = float(dropped["share"].max()) if len(dropped) else 0.0
    stats["dropped_area_m2"] = float(np.nansum(dropped["intersection_area"])) if len(dropped) else 0.0
    return stats
