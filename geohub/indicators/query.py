"""An indicator's values for one level, vintage and period, joined to the areas: the table maps,
exports and the API are drawn from. Areas without a value are present, with a missing value."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geohub.errors import NotFound
from geohub.geography.levels import get_level
from geohub.indicators.bridging import build_bridge, bridge_values
from geohub.store import Store


def _periods_of(values: pd.DataFrame) -> list[str]:
    return sorted(values["period"].unique().tolist())


def indicator_table(store: Store, indicator_id: str, level: str, vintage: int | None = None,
                    period: str | None = None, *, geometry: bool = True) -> gpd.GeoDataFrame | pd.DataFrame:
    """Areas of ``level`` (at ``vintage``, default: the indicator's) with ``value``, ``flag`` and
    ``period`` (default: the latest). Values on an older vintage are bridged through the code
    history when a newer vintage is asked for and its codes changed. ``attrs`` carries the metadata and any bridging."""
    meta = store.indicator(indicator_id)
    level = get_level(level).name
    levels = meta.get("levels", {})
    if level not in levels:
        raise NotFound(f"{meta['title']!r} has no values for {level}.",
                       f"It has values for: {', '.join(sorted(levels)) or 'no level'}. Other levels "
                       "are reached by aggregation through the overlap engine.")
    stored_vintage = levels[level]
    values = store.indicator_values(indicator_id, level=level, vintage=stored_vintage)
    periods = _periods_of(values)
    chosen = period if period is not None else periods[-1]
    if chosen not in periods:
        raise NotFound(f"{meta['title']!r} has no values for period {chosen!r} at {level}.",
                       f"Periods: {', '.join(periods)}.")
    values = values[values["period"] == chosen]
    areas = store.areas(level, vintage if vintage is not None else stored_vintage, geometry=geometry)
    year = int(areas["vintage"].iloc[0]) if len(areas) else (vintage or stored_vintage)
    bridged = None
    # The same codes can be live in several vintages: no bridging is needed when they all are.
    if year != stored_vintage and not set(values["area_code"]) <= set(areas["code"]):
        # A rate whose areas merged is refused here (no weight is known for the stored vintage):
        # bridge it at import with a weight indicator instead.
        bridge = build_bridge(store, level, stored_vintage, year, values["area_code"].tolist())
        values = bridge_values(values, bridge, meta["kind"])
        bridged = {"from": stored_vintage, "to": year, "steps": bridge.steps, "merged": bridge.merged()}
    if "ci95" not in values:
        values = values.assign(ci95=float("nan"))
    joined = areas.merge(values[["area_code", "value", "flag", "ci95"]], how="left", left_on="code",
                         right_on="area_code").drop(columns=["area_code"])
    joined["period"] = chosen
    joined["value"] = joined["value"].astype(float)
    joined["ci95"] = joined["ci95"].astype(float)
    joined.attrs.update({"indicator": meta, "level": level, "vintage": year, "period": chosen,
                         "periods": periods, "bridged": bridged,
                         "unmatched": sorted(set(values["area_code"]) - set(areas["code"]))})
    return joined
