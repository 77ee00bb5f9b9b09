"""The one data function behind every map, export and embed: ``MapBuilder.build``.

A ``MapRequest`` is the whole state of a map (it round-trips through the URL query); ``MapData``
is everything a renderer needs: the values joined to the areas, their classes and colours, how
they were reached (stored, bridged, or aggregated through the overlap engine, with the trace), each
area's memberships of the overlapping governance geographies, and the attribution lines. No Flask:
renderers (HTML, PNG, CSV, GeoJSON ...) and the web layer call this.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from geohub.attribution import boundary_attribution
from geohub.errors import InputError, NotFound
from geohub.geography.levels import LEVELS, get_level, parse_vintage
from geohub.indicators.query import indicator_table
from geohub.maps.classify import DEFAULT_K, DEFAULT_SCHEME, Classification, classify, parse_breaks
from geohub.maps.palettes import DEFAULT_PALETTE, MISSING_COLOUR, OVERLAY_ORDER, colours
from geohub.overlaps import aggregate, relate, resolve_slivers
from geohub.overlaps.slivers import DEFAULT_TOLERANCE
from geohub.store import Store

MODES = ("split", "full")


@dataclass(frozen=True)
class MapRequest:
    """Everything that decides what a map shows; ``query()`` is its canonical URL query."""

    indicator: str
    level: str | None = None
    vintage: int | None = None
    period: str | None = None
    scheme: str = DEFAULT_SCHEME
    k: int = DEFAULT_K
    breaks: tuple[float, ...] | None = None
    palette: str = DEFAULT_PALETTE
    overlays: tuple[str, ...] = ()
    mode: str = "split"
    weight: str | None = None

    @classmethod
    def from_args(cls, indicator: str, args) -> "MapRequest":
        """Parse and check URL query arguments (a mapping of strings)."""
        def text(name):
            value = args.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        level = get_level(text("level")).name if text("level") else None
        k = text("k")
        try:
            k = int(k) if k else DEFAULT_K
        except ValueError as exc:
            raise InputError(f"k={args.get('k')!r} is not a whole number.", "Use e.g. k=5.") from exc
        overlays = tuple(o for o in (text("overlay") or "").replace(" ", "").split(",") if o)
        for overlay in overlays:
            if overlay not in OVERLAY_ORDER:
                raise InputError(f"Unknown overlay {overlay!r}.", f"Overlays: {', '.join(OVERLAY_ORDER)}.")
        mode = text("mode") or "split"
        if mode not in MODES:
            raise InputError(f"Unknown mode {mode!r}.", "Use mode=split or mode=full.")
        breaks = parse_breaks(text("breaks"))
        return cls(indicator=indicator, level=level,
                   vintage=parse_vintage(text("vintage")) if text("vintage") else None,
                   period=text("period"), scheme=text("scheme") or DEFAULT_SCHEME, k=k,
                   breaks=tuple(breaks) if breaks else None, palette=text("palette") or DEFAULT_PALETTE,
                   overlays=overlays, mode=mode, weight=text("weight"))

    def query(self, **changes) -> dict[str, str]:
        """The URL query that reproduces this map (with ``changes`` applied)."""
        r = replace(self, **changes) if changes else self
        q = {"level": r.level, "vintage": r.vintage, "period": r.period, "scheme": r.scheme,
             "k": r.k, "palette": r.palette}
        if r.breaks:
            q["breaks"] = ",".join(f"{b:g}" for b in r.breaks)
        if r.overlays:
            q["overlay"] = ",".join(r.overlays)
        if r.mode != "split":
            q["mode"] = r.mode
        if r.weight:
            q["weight"] = r.weight
        return {k: str(v) for k, v in q.items() if v is not None}


@dataclass
class MapData:
    request: MapRequest
    indicator: dict
    level: str
    vintage: int
    period: str
    periods: list[str]
    vintages: list[int]
    table: gpd.GeoDataFrame          # code, name, value, flag, geometry (EPSG:27700)
    classification: Classification
    colours: list[str]
    aggregation: dict | None = None  # from, to, mode, method, tolerance, trace, slivers
    bridged: dict | None = None
    memberships: dict = field(default_factory=dict)   # code -> [(label, [names])]
    multi: dict = field(default_factory=dict)         # overlay level -> [(code, name, [names])]
    overlay_vintages: dict = field(default_factory=dict)
    overlay_areas: dict = field(default_factory=dict)  # requested overlay level -> areas
    attribution: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.indicator["title"]

    @property
    def unit(self) -> str | None:
        return self.indicator.get("unit")

    @property
    def legend_title(self) -> str:
        """What the legend's colours stand for: indicator, unit and period."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.title}{unit}, {self.period}"

    @property
    def source_line(self) -> str:
        parts = [f"Source: {self.indicator.get('source') or 'unknown'}"]
        if self.indicator.get("licence"):
            parts.append(f"Licence: {self.indicator['licence']}")
        return ". ".join(parts)

    @property
    def level_label(self) -> str:
        return get_level(self.level).plural

    def subtitle(self) -> str:
        text = f"{self.level_label}, {self.vintage} boundaries, period {self.period}"
        if self.aggregation:
            a = self.aggregation
            text += (f" (aggregated from {a['from_level']} {a['from_vintage']}, mode {a['mode']}, "
                     f"method {a['method']})")
        return text

    def format_value(self, value, flag=None) -> str:
        return format_value(value, self.unit, flag)

    def legend(self) -> list[dict]:
        """Legend rows: colour, label (class range), count of areas; then the missing class."""
        rows = []
        classes = self.classification.classes
        for i, (lo, hi) in enumerate(self.classification.ranges()):
            rows.append({"colour": self.colours[i], "label": f"{format_number(lo)} – {format_number(hi)}",
                         "count": int((classes == i).sum())})
        rows.append({"colour": MISSING_COLOUR, "label": "No data", "count": int((classes == -1).sum()),
                     "missing": True})
        return rows

    def area_payload(self) -> dict:
        """Per-area data for the browser: name, class, formatted value, flag, memberships."""
        out = {}
        for row, cls in zip(self.table.itertuples(), self.classification.classes):
            out[row.code] = {"n": row.name or row.code, "c": int(cls),
                             "t": self.format_value(row.value, row.flag),
                             "m": self.memberships.get(row.code, [])}
        return out


def format_number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def format_value(value, unit: str | None, flag=None) -> str:
    """'1,234 people', '£31.85', '65.2%', or 'No data (x)' for a missing value with its marker."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "No data" + (f" ({flag})" if isinstance(flag, str) and flag else "")
    number = format_number(value)
    if not unit or unit.lower() in ("number", "count"):
        return number
    if unit in ("£", "$", "€"):
        return f"{unit}{number}"
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}"


def nearest_year(years: list[int], wanted: int) -> int:
    before = [y for y in years if y <= wanted]
    return max(before) if before else min(years)


class MapBuilder:
    """Builds MapData from a store, with a cache for the expensive, reusable pieces.

    ``cache(key, build)`` returns ``build()`` once per key (the web app's per-app cache, or a dict
    for one-off use); keys include the store revision so a new import is never hidden.
    """

    def __init__(self, store: Store, cache=None):
        self.store = store
        self.cache = cache or dict_cache()

    # -- cached pieces -------------------------------------------------------------------------
    def areas(self, level: str, vintage: int | None) -> gpd.GeoDataFrame:
        bset, year = self.store.resolve_set(level, vintage)
        return self.cache(("areas", level, year), lambda: self.store.areas(level, year))

    def vintages(self, level: str) -> list[int]:
        return sorted({y for s in self.store.boundary_sets() if s.level == level for y in s.years})

    def points(self) -> gpd.GeoDataFrame | None:
        """Population-weighted centroids (the newest msoa set of points), for best-fit."""
        if not self.vintages("msoa"):
            return None
        pts = self.areas("msoa", None)
        return pts if pts.geom_type.eq("Point").all() else None

    def relationship(self, source: tuple[str, int], target: tuple[str, int]) -> pd.DataFrame:
        """Area relationships with slivers resolved (best fit where centroids are stored)."""
        def build():
            src, tgt = self.areas(*source), self.areas(*target)
            table = relate(src, tgt)
            points = self.points()
            fit = relate(src, tgt, method="best-fit", points=points) if points is not None else None
            resolved, _ = resolve_slivers(table, DEFAULT_TOLERANCE, fit)
            return resolved
        return self.cache(("relationship", source, target), build)

    def memberships(self, level: str, vintage: int) -> tuple[dict, dict, dict]:
        """(code -> [(label, names)], overlay -> [(code, name, names)] for codes in several,
        overlay -> vintage used) for every governance level in the store."""
        def build():
            members: dict[str, list] = {}
            multi, used = {}, {}
            names_here = dict(zip(*self.codes_names(level, vintage)))
            for other in OVERLAY_ORDER:
                years = self.vintages(other)
                if other == level or not years:
                    continue
                year = nearest_year(years, vintage)
                used[other] = year
                table = self.relationship((level, vintage), (other, year))
                names = dict(zip(*self.codes_names(other, year)))
                label = get_level(other).label
                grouped = table.groupby("source_code")["target_code"].apply(list)
                multi[other] = []
                for code, targets in grouped.items():
                    target_names = [names.get(t) or t for t in targets]
                    members.setdefault(code, []).append((label, target_names))
                    if len(targets) > 1:
                        multi[other].append((code, names_here.get(code) or code, target_names))
            return members, multi, used
        return self.cache(("memberships", level, vintage), build)

    def codes_names(self, level, vintage) -> tuple[list, list]:
        """(codes, names) of a level's areas in a vintage."""
        areas = self.areas(level, vintage)
        return list(areas["code"]), list(areas["name"])

    # -- the data function -----------------------------------------------------------------------
    def build(self, request: MapRequest) -> MapData:
        meta = self.store.indicator(request.indicator)
        levels = meta.get("levels", {})
        if not levels:
            raise NotFound(f"{meta['title']!r} has no values matched to any area.",
                           "Import the boundaries its codes belong to, then the indicator again.")
        level = request.level or ("lad" if "lad" in levels else sorted(levels)[0])
        if level in levels:
            table = indicator_table(self.store, request.indicator, level, request.vintage,
                                    request.period)
            aggregation, bridged = None, table.attrs.get("bridged")
        else:
            table, aggregation = self._aggregated(meta, level, request)
            bridged = None
        year, period = int(table.attrs["vintage"]), table.attrs["period"]
        values = table["value"].to_numpy(dtype=float)
        classification = classify(values, request.scheme, request.k, list(request.breaks or []) or None)
        members, multi, used = self.memberships(level, year)
        chosen = {o: multi.get(o, []) for o in request.overlays if o in used}
        overlay_areas = {o: self.areas(o, used[o]) for o in chosen}
        attribution = [boundary_attribution(year)]
        return MapData(request=request, indicator=meta, level=level, vintage=year, period=period,
                       periods=table.attrs["periods"], vintages=self.vintages(level),
                       table=table[["code", "name", "value", "flag", "geometry"]],
                       classification=classification,
                       colours=colours(request.palette, max(classification.k, 1)),
                       aggregation=aggregation, bridged=bridged, memberships=members, multi=chosen,
                       overlay_vintages=used, overlay_areas=overlay_areas, attribution=attribution)

    def _aggregated(self, meta: dict, level: str, request: MapRequest):
        """Values of a level the indicator does not have, aggregated through the overlap engine
        from the level it has (LADs first)."""
        levels = meta["levels"]
        source = "lad" if "lad" in levels else sorted(levels)[0]
        src = indicator_table(self.store, request.indicator, source, None, request.period,
                              geometry=False)
        src_year = int(src.attrs["vintage"])
        target_areas = self.areas(level, request.vintage)
        year = int(target_areas["vintage"].iloc[0])
        weights = None
        if meta["kind"] != "count":
            if not request.weight:
                raise InputError(
                    f"{meta['title']!r} is a {meta['kind']}: showing it for {get_level(level).plural} "
                    f"means averaging {source} values weighted by their denominator.",
                    "Add weight=INDICATOR (a count on the same areas, e.g. population) to the URL.")
            w = indicator_table(self.store, request.weight, source, src_year, None, geometry=False)
            weights = w.set_index("code")["value"]
        table = self.relationship((source, src_year), (level, year))
        values = src.set_index("code")["value"]
        result = aggregate(values, table, meta["kind"], request.mode, weights)
        joined = target_areas.merge(result[["code", "value"]], on="code", how="left")
        joined["flag"] = None
        joined.attrs.update({"vintage": year, "period": src.attrs["period"],
                             "periods": src.attrs["periods"]})
        aggregation = {"from_level": source, "from_vintage": src_year, "mode": request.mode,
                       "method": "area" if self.points() is None else "area + best-fit",
                       "tolerance": DEFAULT_TOLERANCE, "trace": result.attrs["trace"],
                       "slivers": table.attrs.get("slivers"), "weight": request.weight}
        return joined, aggregation


def dict_cache():
    """A cache(key, build) for one-off use (the CLI, exports): a plain dict."""
    values: dict = {}

    def cache(key, build):
        if key not in values:
            values[key] = build()
        return values[key]
    return cache


def level_choices(store: Store) -> list[dict]:
    """Levels in the store with their vintages, in the registry's order."""
    sets = store.boundary_sets()
    return [{"level": lv.name, "label": lv.plural,
             "vintages": sorted({y for s in sets if s.level == lv.name for y in s.years})}
            for lv in LEVELS if any(s.level == lv.name for s in sets)]

