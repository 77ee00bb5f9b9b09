"""Indicators built from two count indicators: a ratio ``scale * numerator / denominator``, the way
Nomis computes rates for larger areas (the APS employment rate = 100 x in employment / all 16-64).

The derived indicator keeps its parts: wherever areas are combined, geohub sums the numerator and
the denominator separately and divides, so a combined authority's rate equals the published one
(never an average of council rates). Its values per stored area are computed once, here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geohub.errors import InputError
from geohub.indicators.drafts import slug
from geohub.store import Store, resolve_store


@dataclass
class DerivedImport:
    meta: dict
    values: int
    import_id: int

    def lines(self) -> list[str]:
        m = self.meta
        return [f"{m['id']}: {self.values} values ({m['kind']}{', ' + m['unit'] if m.get('unit') else ''})"
                f" = {m['scale']:g} x {m['numerator']} / {m['denominator']}, periods "
                f"{', '.join(m['periods'])}."]


def _count(store: Store, indicator_id: str, role: str) -> dict:
    meta = store.indicator(indicator_id)
    if meta["kind"] != "count":
        raise InputError(f"The {role} {indicator_id!r} ({meta['title']}) is a {meta['kind']}, not a count.",
                         f"A ratio's {role} must be a count, so that it can be summed when areas combine.")
    return meta


def ratio_values(numerator: pd.DataFrame, denominator: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Rows (level, vintage, area_code, period, value, flag) of ``scale * n / d`` for every area and
    period both parts have; a missing part (or a zero denominator) leaves the value missing with
    the part's flag."""
    keys = ["level", "vintage", "area_code", "period"]
    both = numerator.merge(denominator, on=keys, how="inner", suffixes=("_n", "_d"))
    value = np.where(both["value_d"] > 0, scale * both["value_n"] / both["value_d"], np.nan)
    flag = both["flag_n"].where(both["flag_n"].notna(), both["flag_d"])
    return both[keys].assign(value=value, flag=flag.where(pd.notna(flag), None))


def derive_ratio(store_factory, indicator_id: str | None, numerator: str, denominator: str, *,
                 scale: float = 100.0, title: str | None = None, unit: str | None = None) -> DerivedImport:
    """Make (or replace) indicator ``indicator_id`` = ``scale * numerator / denominator`` from two
    count indicators in the store; InputError if either is not a count or they share no areas."""
    if indicator_id is not None and indicator_id in (numerator, denominator):
        raise InputError(f"The ratio cannot replace its own part {indicator_id!r}.",
                         "Give the ratio an id of its own.")
    store = resolve_store(store_factory)
    n_meta, d_meta = _count(store, numerator, "numerator"), _count(store, denominator, "denominator")
    common = {lvl: vin for lvl, vin in n_meta.get("levels", {}).items()
              if d_meta.get("levels", {}).get(lvl) == vin}
    if not common:
        raise InputError(f"{numerator!r} and {denominator!r} have no level and vintage in common.",
                         "Import both counts for the same areas (e.g. both on LAD 2021 codes).")
    frames = []
    for level, vintage in common.items():
        n = store.indicator_values(numerator, level=level, vintage=vintage)
        d = store.indicator_values(denominator, level=level, vintage=vintage)
        frames.append(ratio_values(n, d, scale))
    values = pd.concat(frames, ignore_index=True)
    if values.empty:
        raise InputError(f"{numerator!r} and {denominator!r} share no area and period.",
                         "Check that both were imported for the same periods.")
    if not np.isfinite(scale) or scale <= 0:
        raise InputError(f"The scale {scale!r} must be a positive number.", "E.g. 100 for a percentage.")
    title = title or f"{n_meta['title']} per {d_meta['title']}"
    meta = {"id": indicator_id or slug(title)[:64].strip("-"), "title": title,
            "unit": unit if unit is not None else ("%" if scale == 100 else None), "kind": "ratio",
            "numerator": numerator, "denominator": denominator, "scale": float(scale),
            "source": n_meta.get("source"), "licence": n_meta.get("licence"),
            "periods": sorted(values["period"].unique().tolist()),
            "levels": {lvl: int(vin) for lvl, vin in common.items()}, "decimals": 1}
    with store.transaction() as tx:
        import_id = tx.record_import("derived", f"{numerator} / {denominator}", None, None,
                                     {"indicators": [meta["id"]], "numerator": numerator,
                                      "denominator": denominator, "scale": float(scale)})
        written = tx.replace_indicator(meta, values, import_id)
    return DerivedImport(meta, written, import_id)
