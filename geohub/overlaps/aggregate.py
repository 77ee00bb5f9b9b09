"""Move values between geographies through a relationship table, never double counting by accident.

``aggregate`` carries source values up to targets: counts sum ``value * share``; rates and ratios
are weighted means with an explicit weight. ``mode='full'`` counts a source in every target it lies
in (how Nomis publishes LEP totals); ``mode='split'`` first scales down the shares of a source that
lies in overlapping targets so they sum to one, so a national total is conserved (for sources that
lie wholly within the targets, which the sliver treatment ensures). ``apportion`` goes the other way, from targets down to
sources, by area or by a weight. Every result carries its trace in ``attrs['trace']``: which
sources, which shares, which weights, which method, which values were missing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geohub.errors import InputError, option
from geohub.indicators.combine import combine
from geohub.indicators.kinds import KINDS


@dataclass(frozen=True)
class Mode:
    """How a source that lies in two or more overlapping targets counts, in words for each place
    that says it."""

    label: str     # the choice, as a form or --help offers it
    verb: str      # "<n> councils {verb} two or more LEPs"
    member: str    # of one member, in a "built from" table ({plural}: the targets' plural name)
    note: str = ""  # what follows for the targets' figures, if anything


# The overlap modes (DESIGN.md), declared once: the CLI's --mode choices, the map page's control
# and its words, the area pages' "built from" tables and the map model's check read this.
MODES = {
    "full": Mode("count in full in each (as Nomis publishes)", "count in full in",
                 "a member in two or more {plural} counts in full in each (as Nomis publishes LEP "
                 "totals)", "so the areas' figures add up to more than England's"),
    "split": Mode("split between them (totals add up)", "are split between",
                  "a member in two or more {plural} is split between them, so national totals are kept"),
}


def _series(values, what: str) -> pd.Series:
    """A float Series indexed by code from a Series or a (code, value) frame."""
    if isinstance(values, pd.DataFrame):
        if not {"code", "value"} <= set(values.columns):
            raise InputError(f"The {what} need columns code and value.",
                             f"Columns given: {', '.join(map(str, values.columns))}.")
        values = values.set_index("code")["value"]
    series = pd.to_numeric(values, errors="coerce").astype(float)
    series.index = series.index.astype(str)
    if series.index.duplicated().any():
        dup = series.index[series.index.duplicated()].unique().tolist()
        raise InputError(f"The {what} list some codes twice: {', '.join(dup[:10])}.",
                         "Give one value per area.")
    return series


def _check_kind(kind: str, values) -> None:
    if kind not in KINDS:
        raise InputError(f"Unknown kind {kind!r}.", f"Use one of: {', '.join(KINDS)}.")
    declared = getattr(values, "attrs", {}).get("kind")
    if declared and declared != kind and "count" in (declared, kind):
        raise InputError(f"These values are a {declared}, but were submitted as a {kind}.",
                         "Counts are summed and rates averaged with a weight: aggregate with "
                         f"{option('kind', declared)}" + (" and a weight." if declared != "count" else "."))


def _shares(table: pd.DataFrame, mode: str) -> pd.DataFrame:
    if mode not in MODES:
        raise InputError(f"Unknown mode {mode!r}.",
                         "Use " + " or ".join(f"{m} ({mode.label})" for m, mode in MODES.items()) + ".")
    links = table[["source_code", "target_code", "share"]].copy()
    links["source_code"] = links["source_code"].astype(str)
    links["target_code"] = links["target_code"].astype(str)
    if mode == "split":
        # A source in overlapping targets is shared out among them; one partly outside every
        # target keeps its shares (that is for the sliver treatment to settle, not for scaling).
        total = links.groupby("source_code")["share"].transform("sum")
        links["share"] = links["share"] / np.maximum(total, 1.0)
    return links


def aggregate(values, table: pd.DataFrame, kind: str, mode: str = "split",
              weights=None, ci=None) -> pd.DataFrame:
    """Target values from source values: a frame with code, value, sources (count), missing
    (source codes without a value) and ci95; ``attrs['trace']`` lists every (target, source) link
    used.

    Rates and ratios need ``weights`` (a count per source code, e.g. population): they are
    averaged weighted by ``weight * share``, never summed. For counts with published confidence
    intervals ``ci`` (plus or minus, per source code), a target's interval is the root sum of
    squares of its parts' (``share * ci``), which assumes the estimates are independent; a target
    with a part lacking an interval gets none. Rates get none.
    """
    _check_kind(kind, values)
    src = _series(values, "values")
    w = None
    if kind != "count":
        if weights is None:
            raise InputError(f"Aggregating a {kind} needs a weight indicator: a {kind} must be "
                             "averaged, weighted by its denominator, never summed.",
                             "Give weights (e.g. «weights» population.csv «weight-column» "
                             "total_population).")
        w = _series(weights, "weights")
    links = _shares(table, mode)
    result = combine(src, links, kind, w, every_weight=True)
    trace = links.assign(
        source_value=links["source_code"].map(src),
        weight=links["source_code"].map(w) if w is not None else np.nan,
        method=table.attrs.get("method", table["method"].iloc[0] if "method" in table and len(table) else None),
        mode=mode)
    out = pd.DataFrame({"code": result["target_code"], "value": result["value"],
                        "sources": result["sources"].map(len), "missing": result["missing"]})
    out["ci95"] = np.nan
    if ci is not None and kind == "count":
        c = _series(ci, "confidence intervals")
        parts = links.assign(part=(links["source_code"].map(c) * links["share"]) ** 2)
        rss = parts.groupby("target_code")["part"].agg(lambda p: np.sqrt(p.sum()) if p.notna().all()
                                                       else np.nan)
        out["ci95"] = out["code"].map(rss).where(out["value"].notna())
    out.attrs["trace"] = trace.sort_values(["target_code", "source_code"]).reset_index(drop=True)
    out.attrs.update({"kind": kind, "mode": mode,
                      "unused": sorted(set(src.index) - set(links["source_code"]))})
    return out


def aggregate_ratio(numerator, denominator, table: pd.DataFrame, mode: str = "split",
                    scale: float = 100.0) -> pd.DataFrame:
    """A ratio of two counts for targets: the numerator and the denominator are each summed
    through ``table`` (as counts), then divided: ``scale * sum(n) / sum(d)``. This is how Nomis
    computes a rate for a larger area; averaging the sources' ratios would not give it. Columns as
    ``aggregate`` (missing: sources lacking either part), plus numerator and denominator; the
    trace has both parts per link."""
    n = aggregate(numerator, table, "count", mode)
    d = aggregate(denominator, table, "count", mode)
    n_attrs, d_attrs = n.attrs, d.attrs
    n, d = n.copy(), d.copy()
    n.attrs, d.attrs = {}, {}  # pandas compares attrs when merging: frames in them cannot be compared
    both = n.merge(d[["code", "value", "missing"]], on="code", suffixes=("", "_d"))
    value = np.where(both["value_d"] > 0, scale * both["value"] / both["value_d"], np.nan)
    out = pd.DataFrame({"code": both["code"], "value": value, "sources": both["sources"],
                        "missing": [sorted(set(a) | set(b)) for a, b in zip(both["missing"], both["missing_d"])],
                        "ci95": np.nan, "numerator": both["value"], "denominator": both["value_d"]})
    trace = n_attrs["trace"].rename(columns={"source_value": "numerator"})
    trace["denominator"] = d_attrs["trace"]["source_value"].to_numpy()
    out.attrs.update(n_attrs)
    out.attrs["trace"] = trace
    out.attrs["kind"] = "ratio"
    return out


def apportion(values, table: pd.DataFrame, kind: str, by="area") -> pd.DataFrame:
    """Source values from target values (e.g. a LEP figure down to its LAs).

    Counts: each target's value is divided among its sources in proportion to ``by``: ``'area'``
    (the intersection areas in the table) or a Series of weights per source code (e.g.
    population), times the share. Rates: each source takes the mean of its targets' rates,
    weighted the same way. ``attrs['trace']`` lists every link.
    """
    _check_kind(kind, values)
    tgt = _series(values, "values")
    links = table[["source_code", "target_code", "share"]].copy()
    if isinstance(by, str):
        if by != "area":
            raise InputError(f"Apportion by {by!r}?", "Use by='area' or give weights per source.")
        if "intersection_area" not in table or table["intersection_area"].isna().any():
            raise InputError("Apportioning by area needs intersection areas (the area method).",
                             "Relate the areas by area, or apportion by a weight.")
        links["part"] = table["intersection_area"].to_numpy()
    else:
        w = _series(by, "weights")
        links["part"] = links["source_code"].map(w) * links["share"]
    links["target_value"] = links["target_code"].map(tgt)
    if kind == "count":
        total = links.groupby("target_code")["part"].transform("sum")
        links["value"] = links["target_value"] * links["part"] / total
        grouped = links.groupby("source_code")
        value = grouped["value"].sum(min_count=1)
        value[grouped["value"].apply(lambda s: s.isna().any())] = np.nan
    else:
        links["wv"] = links["target_value"] * links["part"]
        grouped = links.groupby("source_code")
        value = grouped["wv"].sum(min_count=1) / grouped["part"].sum()
        value[grouped["target_value"].apply(lambda s: s.isna().any())] = np.nan
    missing = grouped.apply(lambda g: sorted(g.loc[g["target_value"].isna(), "target_code"]),
                            include_groups=False)
    out = pd.DataFrame({"code": value.index, "value": value.to_numpy(),
                        "targets": grouped.size().to_numpy(), "missing": missing.to_numpy()})
    out.attrs["trace"] = links.sort_values(["source_code", "target_code"]).reset_index(drop=True)
    out.attrs["kind"] = kind
    return out
