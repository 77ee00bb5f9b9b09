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
from geohub.errors import InputError, NotFound, option
from geohub.geography.levels import LEVELS, get_level, parse_vintage
from geohub.indicators.query import indicator_table
from geohub.maps.classify import DEFAULT_K, DEFAULT_SCHEME, Classification, classify, parse_breaks
from geohub.indicators.values import flag_meaning
from geohub.maps.palettes import DEFAULT_PALETTE, MISSING_COLOUR, OVERLAY_ORDER, colours
from geohub.maps.print_choices import AUTO_LABELS_MAX, parse_labels
from geohub.maps.relationships import resolve_relationship
from geohub.overlaps import aggregate
from geohub.overlaps.aggregate import MODES, aggregate_ratio
from geohub.overlaps.relate import METHODS
from geohub.overlaps.membership import counted_in_several
from geohub.overlaps.slivers import DEFAULT_TOLERANCE
from geohub.store import Store




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
    mode: str | None = None      # None: full for areas made of whole LADs, else split
    weight: str | None = None
    labels: str = "auto"         # area names on the map: auto (<= AUTO_LABELS_MAX areas), all, none

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
            raise InputError(f"{option('k', repr(args.get('k')))} is not a whole number.",
                             f"Use e.g. {option('k', DEFAULT_K)}.") from exc
        overlays = tuple(o for o in (text("overlay") or "").replace(" ", "").split(",") if o)
        for overlay in overlays:
            if overlay not in OVERLAY_ORDER:
                raise InputError(f"Unknown overlay {overlay!r}.", f"Overlays: {', '.join(OVERLAY_ORDER)}.")
        mode = text("mode")
        if mode is not None and mode not in MODES:
            raise InputError(f"Unknown mode {mode!r}.",
                             f"Use {' or '.join(option('mode', m) for m in MODES)}.")
        breaks = parse_breaks(text("breaks"))
        labels = parse_labels(text("labels"))
        return cls(indicator=indicator, level=level,
                   vintage=parse_vintage(text("vintage")) if text("vintage") else None,
                   period=text("period"), scheme=text("scheme") or DEFAULT_SCHEME, k=k,
                   breaks=tuple(breaks) if breaks else None, palette=text("palette") or DEFAULT_PALETTE,
                   overlays=overlays, mode=mode, weight=text("weight"), labels=labels)

    def query(self, **changes) -> dict[str, str]:
        """The URL query that reproduces this map (with ``changes`` applied)."""
        r = replace(self, **changes) if changes else self
        q = {"level": r.level, "vintage": r.vintage, "period": r.period, "scheme": r.scheme,
             "k": r.k, "palette": r.palette}
        if r.breaks:
            q["breaks"] = ",".join(f"{b:g}" for b in r.breaks)
        if r.overlays:
            q["overlay"] = ",".join(r.overlays)
        if r.mode:
            q["mode"] = r.mode
        if r.weight:
            q["weight"] = r.weight
        if r.labels != "auto":
            q["labels"] = r.labels
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
    def source_line(self) -> str:
        parts = [f"Source: {self.indicator.get('source') or 'unknown'}"]
        if self.indicator.get("licence"):
            parts.append(f"Licence: {self.indicator['licence']}")
        return ". ".join(parts)

    @property
    def level_label(self) -> str:
        return get_level(self.level).plural

    @property
    def kind(self) -> str:
        return self.indicator.get("kind", "count")

    @property
    def decimals(self) -> int | None:
        """Decimals a person reads: a rate's source precision (one for percentages); None for
        counts (whole ones as integers)."""
        return display_decimals(self.indicator)

    @property
    def source_label(self) -> str:
        """What the aggregated figures are made of, in words: 'councils' for LADs."""
        a = self.aggregation or {}
        return "councils" if a.get("from_level") == "lad" else get_level(a.get("from_level", self.level)).plural.lower()

    def how_built(self) -> str | None:
        """How an aggregated figure was built, in plain English (None for stored values): what
        was summed or averaged, by which relationship, the weight or the ratio's parts, and which
        councils count twice."""
        a = self.aggregation
        if not a:
            return None
        members = f"member {self.source_label}"
        if a.get("parts"):
            p = a["parts"]
            what = (f"{p['scale']:g} × {p['numerator_title']} ÷ {p['denominator_title']}, each summed "
                    f"over {members}")
        elif self.kind == "count":
            what = f"sum of {members}"
        else:
            what = (f"{members}' values averaged, weighted by {a['weight_title']}"
                    + (f" ({a['weight_period']})" if a.get("weight_period") else ""))
        text = f"{what[0].upper()}{what[1:]}, by {METHODS.get(a['method'], a['method'])}"
        shared = a.get("shared") or []
        if shared:
            n = len(shared)
            plural = get_level(self.level).plural
            verb = MODES[a["mode"]].verb
            text += (f"; {n} {self.source_label if n > 1 else self.source_label.rstrip('s')} "
                     f"{verb} two or more {plural}")
        return text + "."

    def subtitle(self) -> str:
        text = f"{self.level_label} ({self.vintage} boundaries), {self.period}."
        how = self.how_built()
        return f"{text} {how}" if how else text

    def format_value(self, value, flag=None, ci=None) -> str:
        return format_value(value, self.unit, flag, decimals=self.decimals, ci=ci)

    def flag_key(self) -> list[dict]:
        """The markers present among the values, with their published meaning and count."""
        flags = self.table["flag"].dropna()
        flags = flags[flags.astype(str).str.strip() != ""]
        return [{"flag": f, "meaning": flag_meaning(f), "count": int(n)}
                for f, n in flags.value_counts().sort_index().items()]

    def legend_title(self) -> str:
        """The legend's title: indicator, unit and period."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.title}{unit}, {self.period}"

    def legend(self) -> list[dict]:
        """Legend rows: colour, label (class range), count of areas; then the missing class."""
        rows = []
        classes = self.classification.classes
        for i, (lo, hi) in enumerate(self.classification.ranges()):
            rows.append({"colour": self.colours[i],
                         "label": f"{format_number(lo, self.decimals)} – {format_number(hi, self.decimals)}",
                         "count": int((classes == i).sum())})
        rows.append({"colour": MISSING_COLOUR, "label": "No data", "count": int((classes == -1).sum()),
                     "missing": True})
        return rows

    def area_text(self, row) -> str:
        """An area's figure as a person reads it: value with unit and interval, or why there is none."""
        note = getattr(row, "note", None)
        if isinstance(note, str) and note and (row.value is None or math.isnan(row.value)):
            return f"No data: {note}"
        ci = getattr(row, "ci95", None)
        return self.format_value(row.value, row.flag, ci)

    @property
    def show_labels(self) -> bool:
        """Whether the map names its areas (labels=all, or auto and few enough areas)."""
        labels = self.request.labels
        return labels == "all" or (labels == "auto" and len(self.table) <= AUTO_LABELS_MAX)

    def label_points(self) -> dict:
        """code -> [lat, lon] of a point inside each area, largest areas first (they are labelled
        first when labels collide)."""
        import shapely
        shown = self.table[["code", "geometry"]].assign(size=self.table.geometry.area)
        shown = shown.sort_values("size", ascending=False).to_crs(4326)
        points = shapely.point_on_surface(shown.geometry.values)
        return {code: [round(p.y, 5), round(p.x, 5)] for code, p in zip(shown["code"], points)}

    def area_payload(self) -> dict:
        """Per-area data for the browser: name, class, formatted value, flag, memberships."""
        out = {}
        for row, cls in zip(self.table.itertuples(), self.classification.classes):
            out[row.code] = {"n": row.name or row.code, "c": int(cls), "t": self.area_text(row),
                             "m": self.memberships.get(row.code, [])}
        return out


def display_decimals(meta: dict) -> int | None:
    """Decimals figures of an indicator are shown with: None for counts; for rates and ratios one
    for percentages, else the precision of the source."""
    if meta.get("kind", "count") == "count":
        return None
    unit = (meta.get("unit") or "").lower()
    if "%" in unit or "percent" in unit:
        return 1
    decimals = meta.get("decimals")
    return int(decimals) if decimals is not None else None


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_number(value, decimals: int | None = None) -> str:
    """A number as published: whole numbers as integers, ``decimals`` when given."""
    if _is_missing(value):
        return ""
    value = float(value)
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")


def format_value(value, unit: str | None, flag=None, *, decimals: int | None = None, ci=None) -> str:
    """'1,234 people', '£31.85', '65.2% (± 3.1)', or 'No data (suppressed: ...)' for a missing
    value with the meaning of its marker."""
    if _is_missing(value):
        meaning = flag_meaning(flag)
        return "No data" + (f" ({flag}: {meaning})" if meaning else "")
    number = format_number(value, decimals)
    interval = "" if _is_missing(ci) else f" (± {format_number(ci, decimals)})"
    if not unit or unit.lower() in ("number", "count"):
        return number + interval
    if unit in ("£", "$", "€"):
        return f"{unit}{number}{interval}"
    if unit == "%":
        return f"{number}%{interval}"
    return f"{number} {unit}{interval}"


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
        """The stored relationship of two sets, official lookup first (``maps.relationships``):
        memberships (share 1) for targets made of whole LADs, resolved area shares otherwise."""
        return self.cache(("relationship", tuple(source), tuple(target)), lambda: resolve_relationship(
            self.store, source, target, areas=self.areas, points=self.points))

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
        for column in ("ci95", "note"):
            if column not in table.columns:
                table[column] = float("nan") if column == "ci95" else None
        values = table["value"].to_numpy(dtype=float)
        classification = classify(values, request.scheme, request.k, list(request.breaks or []) or None)
        members, multi, used = self.memberships(level, year)
        chosen = {o: multi.get(o, []) for o in request.overlays if o in used}
        overlay_areas = {o: self.areas(o, used[o]) for o in chosen}
        attribution = [boundary_attribution(year)]
        return MapData(request=request, indicator=meta, level=level, vintage=year, period=period,
                       periods=table.attrs["periods"], vintages=self.vintages(level),
                       table=table[["code", "name", "value", "flag", "ci95", "note", "geometry"]],
                       classification=classification,
                       colours=colours(request.palette, max(classification.k, 1)),
                       aggregation=aggregation, bridged=bridged, memberships=members, multi=chosen,
                       overlay_vintages=used, overlay_areas=overlay_areas, attribution=attribution)

    def weight_choices(self, level: str, vintage: int) -> list[dict]:
        """Indicators a rate on (level, vintage) may be weighted by: counts matched to those areas."""
        return [m for m in self.store.indicators()
                if m.get("kind") == "count" and m.get("levels", {}).get(level) == vintage]

    def weight_picker(self, meta: dict, chosen: str | None) -> tuple[list[dict], str | None] | None:
        """(count indicators a stored rate may be weighted by, the one to preselect) for the
        map's controls; None for counts and ratios built from counts (they need no weight)."""
        if meta.get("kind", "count") == "count" or meta.get("numerator"):
            return None
        levels = meta.get("levels", {})
        source = "lad" if "lad" in levels else (sorted(levels)[0] if levels else None)
        if source is None:
            return None
        choices = self.weight_choices(source, levels[source])
        ids = [m["id"] for m in choices]
        # Most rates are of people: a population count, if there is one, is the usual weight.
        default = chosen if chosen in ids else next(
            (m["id"] for m in choices if m["id"].lower().startswith("pop")
             or m["title"].lower().startswith("population")), ids[0] if ids else None)
        return [{"id": m["id"], "title": m["title"]} for m in choices], default

    def _weight(self, meta: dict, weight_id: str | None, source: str, year: int, period: str,
                target_level: str) -> tuple[dict, pd.Series]:
        """(what the weight is, its values per source code) for averaging a rate; InputError
        naming the counts that would do when none, or an unfit one, is given."""
        choices = self.weight_choices(source, year)
        listing = (", ".join(f"{m['id']} ({m['title']})" for m in choices)
                   or f"none yet: import a count (such as population) for {source} {year} areas")
        if not weight_id:
            raise InputError(
                f"{meta['title']!r} is a {meta['kind']}: showing it for "
                f"{get_level(target_level).plural} means averaging the {source} values, weighted "
                "by a count, and no weight was chosen.", f"Choose a weight: {listing}.")
        wmeta = self.store.indicator(weight_id)
        if wmeta.get("kind") != "count":
            raise InputError(
                f"{wmeta['title']!r} is a {wmeta.get('kind')}, not a count, so it cannot weight an "
                "average: a rate is averaged weighted by how many people or businesses it is a "
                "rate of.", f"Choose a count: {listing}.")
        if wmeta.get("levels", {}).get(source) != year:
            raise InputError(
                f"{wmeta['title']!r} has no values for {source} {year}, the areas {meta['title']!r} "
                "is published for.", f"Choose a count matched to the same areas: {listing}.")
        periods = wmeta.get("periods") or []
        chosen = period if period in periods else (periods[-1] if periods else None)
        w = indicator_table(self.store, weight_id, source, year, chosen, geometry=False)
        info = {"weight": weight_id, "weight_title": wmeta["title"], "weight_period": w.attrs["period"],
                "warnings": []}
        if w.attrs["period"] != period:
            info["warnings"].append(f"The weight {wmeta['title']!r} is for {w.attrs['period']}, not "
                                    f"{period}: no value of it exists for {period}.")
        return info, w.set_index("code")["value"]

    def _aggregated(self, meta: dict, level: str, request: MapRequest):
        """Values of a level the indicator does not have, aggregated through the stored
        relationship (official lookup first) from the level it has (LADs first)."""
        levels = meta["levels"]
        source = "lad" if "lad" in levels else sorted(levels)[0]
        src = indicator_table(self.store, request.indicator, source, None, request.period,
                              geometry=False)
        src_year, period = int(src.attrs["vintage"]), src.attrs["period"]
        target_areas = self.areas(level, request.vintage)
        year = int(target_areas["vintage"].iloc[0])
        table = self.relationship((source, src_year), (level, year))
        membership = bool(table.attrs.get("membership"))
        mode = request.mode or ("full" if membership else "split")
        by_code = src.set_index("code")
        info = {"weight": None, "weight_title": None, "weight_period": None, "warnings": [],
                "parts": None, "ci_note": None}
        if meta.get("numerator") and meta.get("denominator"):
            parts = {}
            for role in ("numerator", "denominator"):
                part = indicator_table(self.store, meta[role], source, src_year, period, geometry=False)
                parts[role] = part.set_index("code")["value"]
                parts[f"{role}_title"] = self.store.indicator(meta[role])["title"]
            result = aggregate_ratio(parts["numerator"], parts["denominator"], table, mode,
                                     float(meta.get("scale", 100.0)))
            info["parts"] = {"numerator": meta["numerator"], "denominator": meta["denominator"],
                             "numerator_title": parts["numerator_title"],
                             "denominator_title": parts["denominator_title"],
                             "scale": float(meta.get("scale", 100.0))}
            info["ci_note"] = "No interval: the published intervals of the two counts are not combined."
        elif meta["kind"] != "count":
            winfo, weights = self._weight(meta, request.weight, source, src_year, period, level)
            info.update(winfo)
            result = aggregate(by_code["value"], table, meta["kind"], mode, weights)
            if by_code["ci95"].notna().any():
                info["ci_note"] = "No interval: the published intervals of averaged rates are not combined."
        else:
            has_ci = by_code["ci95"].notna().any()
            result = aggregate(by_code["value"], table, "count", mode,
                               ci=by_code["ci95"] if has_ci else None)
            if has_ci:
                info["ci_note"] = ("Intervals of sums are the root sum of squares of the published ones, "
                                   "assuming independent estimates.")
        names = dict(zip(src["code"], src["name"]))
        flags = dict(zip(src["code"], src["flag"]))
        notes = {}
        for row in result.itertuples():
            if row.missing:
                shown = ", ".join(f"{names.get(c) or c}" + (f" ({flag_meaning(flags.get(c))})"
                                                            if flag_meaning(flags.get(c)) else "")
                                  for c in row.missing[:5])
                n = len(row.missing)
                word = "councils" if source == "lad" else get_level(source).plural.lower()
                notes[row.code] = (f"{n} of {row.sources} {word} {'has' if n == 1 else 'have'} no value: "
                                   f"{shown}{' ...' if n > 5 else ''}")
        joined = target_areas.merge(result[["code", "value", "ci95"]], on="code", how="left")
        joined["flag"] = None
        joined["note"] = joined["code"].map(notes).astype(object)
        no_members = ~joined["code"].isin(set(table["target_code"]))
        joined.loc[no_members, "note"] = (f"no {get_level(source).label.lower()} of the "
                                          f"{src_year} data lies in it")
        joined.attrs.update({"vintage": year, "period": period, "periods": src.attrs["periods"]})
        several = counted_in_several(table)
        target_names = dict(zip(target_areas["code"], target_areas["name"]))
        shared = [(code, names.get(code) or code, [target_names.get(t) or t for t in targets])
                  for code, targets in several.items() if code in names]
        aggregation = {"from_level": source, "from_vintage": src_year, "mode": mode,
                       "method": table.attrs.get("method", "area"), "rule": table.attrs.get("rule"),
                       "membership": membership, "notes": table.attrs.get("notes", []),
                       "tolerance": DEFAULT_TOLERANCE, "trace": result.attrs["trace"],
                       "slivers": table.attrs.get("changes"), "shared": shared, **info}
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

