"""Combine values of source areas into target areas through a share table. Pure: no I/O.

Counts are summed as ``value * share``; rates and ratios are weighted means with weights
``weight * share``. A target with a missing source value is missing (a partial sum would
under-count without saying so); the missing sources are reported.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geohub.errors import InputError
from geohub.indicators.kinds import KINDS


def combine(values: pd.Series, table: pd.DataFrame, kind: str,
            weights: pd.Series | None = None, *, every_weight: bool = False) -> pd.DataFrame:
    """Target values from source ``values`` (indexed by source code) through ``table``
    (source_code, target_code, share).

    Returns one row per target: target_code, value, sources (codes), shares, missing (codes whose
    value was missing). Rates need ``weights`` (indexed by source code) wherever a target has more
    than one source; InputError says so otherwise. With ``every_weight`` a source without a
    weight makes its targets missing even when it is their only source.
    """
    if kind not in KINDS:
        raise InputError(f"Unknown kind {kind!r}.", f"Use one of: {', '.join(KINDS)}.")
    links = table[["source_code", "target_code", "share"]].copy()
    links["value"] = links["source_code"].map(values)
    links["present"] = links["source_code"].isin(values.index)
    if kind == "count":
        links["part"] = links["value"] * links["share"]
        links["w"] = 1.0
    else:
        several = links.groupby("target_code")["source_code"].transform("nunique") > 1
        if weights is None:
            if several.any():
                example = links.loc[several, "target_code"].iloc[0]
                raise InputError(
                    f"Combining a {kind} needs a weight: {example} is made of several areas, and a "
                    f"{kind} must be averaged, weighted by its denominator, never summed.",
                    "Give a weight indicator (a count such as population) for the source areas.")
            links["w"] = 1.0
        else:
            links["w"] = links["source_code"].map(weights).astype(float)
            if not every_weight:  # one source: its weight cancels out
                links.loc[~several & links["w"].isna(), "w"] = 1.0
        links["w"] = links["w"] * links["share"]
        links["part"] = links["value"] * links["w"]
    links["missing"] = links["value"].isna() | links["w"].isna()
    rows = []
    for target, group in links.groupby("target_code", sort=True):
        missing = group.loc[group["missing"], "source_code"].tolist()
        if missing:
            value = np.nan
        elif kind == "count":
            value = float(group["part"].sum())
        else:
            total = group["w"].sum()
            value = float(group["part"].sum() / total) if total > 0 else np.nan
        rows.append({"target_code": target, "value": value, "sources": group["source_code"].tolist(),
                     "shares": group["share"].round(12).tolist(), "missing": missing})
    return pd.DataFrame(rows, columns=["target_code", "value", "sources", "shares", "missing"])
