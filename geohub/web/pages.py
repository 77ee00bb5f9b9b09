"""Pages for people: home (with search), maps, areas, overlaps. Thin: parse the request, call the
core, render."""
from __future__ import annotations

import pandas as pd
from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup

from geohub.errors import GeohubError, NotFound
from geohub.geography.levels import LEVELS, get_level
from geohub.io.geojson import feature_collection
from geohub.geography.search import (PLACE_LEVELS, group_point_hits, parse_point, search_names,
                                     split_places)
from geohub.maps.choropleth import lonlat_bounds, render_area_map, render_overlap_map
from geohub.maps.charts import sparkline
from geohub.maps.classify import SCHEMES
from geohub.maps.memberships import area_memberships, coverage, overlap_data
from geohub.maps.model import MapRequest, display_decimals, format_value, level_choices
from geohub.maps.palettes import OVERLAY_ORDER, PALETTES
from geohub.maps.print_choices import LABELS, SIZES
from geohub.overlaps import DEFAULT_TOLERANCE
from geohub.overlaps.aggregate import MODES
from geohub.web.api import vintage_arg
from geohub.web.caching import NONCE_PLACEHOLDER, cached_page, canonical
from geohub.web.compare import ENGLAND, area_level, level_values
from geohub.web.embeds import embed_code, oembed_link
from geohub.web.exports import download_formats
from geohub.web.rendering import page_parts, rendered_map, static_url, topology_url
from geohub.web.resources import app_cache, directory, get_store, map_builder, point_index
from geohub.web.security import embed_partners

bp = Blueprint("pages", __name__)

PLACE_DOT_M, PLACE_VIEW_M = 150, 3000   # a place's dot and the surroundings its map shows, metres
PLACES_SHOWN = 5   # places listed with every area containing them; more ask for a longer name


def gazetteer_line() -> str | None:
    """The licence line of the place names (the gazetteer import's attribution), once per revision."""
    from geohub.geography.gazetteer import gazetteer_attribution
    return app_cache().get("gazetteer-attribution", lambda: gazetteer_attribution(get_store()))


def places(found: pd.DataFrame) -> list[dict]:
    """Each place (a named point) with its coordinates and every area containing it."""
    out = []
    for row in found.head(PLACES_SHOWN).itertuples():
        year = max(row.vintages)
        point = get_store().areas(row.level, year, codes=[row.code]).to_crs(4326).geometry.iloc[0]
        hits = group_point_hits(point_index().lookup(point.x, point.y))
        out.append({"name": row.name, "code": row.code, "level_label": get_level(row.level).label,
                    "lat": point.y, "lon": point.x, "results": _labelled(hits)})
    return out


def search(q: str) -> dict:
    """Search results for the home page: a point (coordinates) lists every area containing it;
    anything else is matched against names and codes of areas, and against place names (each
    place with every area containing its point)."""
    point = parse_point(q)
    if point is not None:
        hits = group_point_hits(point_index().lookup(point.lon, point.lat))
        return {"point": point, "results": _labelled(hits), "places": [], "more_places": 0}
    areas, found = split_places(search_names(directory(), q))
    return {"point": None, "results": _labelled(areas.to_dict("records")), "places": places(found),
            "more_places": max(0, len(found) - PLACES_SHOWN),
            "place_licence": gazetteer_line() if len(found) else None}


def _labelled(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["level_label"] = get_level(r["level"]).label
    return rows


@bp.get("/")
def home():
    store = get_store()
    q = (request.args.get("q") or "").strip()
    found = search(q) if q else {"point": None, "results": [], "places": [], "more_places": 0}
    metas = store.indicators()
    return render_template("home.html", sets=store.boundary_sets(), levels=level_choices(store),
                           governance={lv.name for lv in LEVELS if lv.governance},
                           indicators=[m for m in metas if m.get("levels")],
                           unmatched=[m for m in metas if not m.get("levels")], q=q,
                           results=found["results"], point=found["point"],
                           places=found["places"], more_places=found["more_places"],
                           place_licence=found.get("place_licence"))


def value_rows(data) -> list[dict]:
    """The map's values as table rows (highest first, no data last), each with its colour class
    as the legend names it: the "Table" view of the map."""
    legend = data.legend()
    rows = []
    for row, cls in zip(data.table.itertuples(), data.classification.classes):
        missing = row.value is None or pd.isna(row.value)
        key = legend[-1] if cls < 0 else legend[int(cls)]
        rows.append({"code": row.code, "name": row.name or row.code, "value": row.value,
                     "sort": "" if missing else repr(float(row.value)),
                     "text": data.format_value(row.value, row.flag),
                     "colour": key["colour"], "label": key["label"]})
    return sorted(rows, key=lambda r: (r["sort"] == "", -(float(r["sort"]) if r["sort"] else 0),
                                       r["name"]))


def vintage_reasons(data) -> dict[int, str]:
    """Boundary years the map's controls offer but cannot draw, with the reason shown beside them:
    values stored on one year's codes are carried forward through the code history, never back."""
    stored = (data.indicator.get("levels") or {}).get(data.level)
    if data.aggregation or stored is None:
        return {}
    return {y: f"values are on {stored} codes and are not carried back" for y in data.vintages
            if y < int(stored)}


def render_map_page(req: MapRequest, refused=None) -> str:
    data, parts = rendered_map(req)
    picker = map_builder().weight_picker(data.indicator, data.request.weight)
    controls = {"levels": level_choices(get_store()), "schemes": SCHEMES, "palettes": PALETTES,
                "overlays": [(o, get_level(o).plural) for o in OVERLAY_ORDER],
                "modes": MODES, "sizes": SIZES, "labels": LABELS,
                "weights": picker[0] if picker else None, "weight": picker[1] if picker else None,
                "vintage_reasons": vintage_reasons(data)}
    query = data.request.query(level=data.level, vintage=data.vintage, period=data.period)
    return render_template("map.html", data=data, req=data.request,
                           map=page_parts(parts, NONCE_PLACEHOLDER), controls=controls,
                           downloads=download_formats(),
                           query=query, embed=embed_code(req.indicator, query, data.title),
                           table=value_rows(data), refused=refused,
                           oembed=oembed_link(req.indicator, query))


def fallback_request(indicator: str, args) -> MapRequest | None:
    """The nearest map that can be drawn when the asked-for one is refused: the same settings
    without the boundary year and period, then the same level, then the indicator's default."""
    keep = {k: v for k, v in args.items() if k not in ("vintage", "period", "k", "breaks")}
    for attempt in (keep, {"level": args.get("level")} if args.get("level") else None, {}):
        if attempt is None:
            continue
        try:
            req = MapRequest.from_args(indicator, attempt)
            map_builder().build(req)
            return req
        except GeohubError:
            continue
    return None


@bp.get("/maps/<indicator>")
def map_page(indicator):
    """The map page, rendered once per state and store revision for every worker (the cached
    HTML carries a placeholder nonce, replaced per response). A map that cannot be drawn is
    refused in words above a working form, with the nearest map that can be drawn below it."""
    # The embed panel says which sites may embed, so the policy is part of the cache key.
    partners = tuple(embed_partners(current_app))
    try:
        req = canonical(MapRequest.from_args(indicator, request.args))
        return cached_page("map-page", (req, partners), lambda: render_map_page(req))
    except GeohubError as error:
        failure = error  # the name 'error' is unbound once the except block ends
        refused = {"message": failure.message, "hint": failure.hint}

        def render_refused():
            fallback = fallback_request(indicator, request.args)
            if fallback is None:
                raise failure
            return render_map_page(fallback, refused)
        asked = (indicator, tuple(sorted(request.args.items(multi=True))), failure.message, partners)
        response = cached_page("map-page-refused", asked, render_refused)
        response.status_code = failure.status
        return response


def reference_value(meta: dict, level: str, code: str, period: str) -> str:
    """The formatted value of a reference area (England, a region) for one period; "" when the
    store cannot give one."""
    try:
        value, flag = level_values(meta["id"], level, period).get(code, (None, None))
    except GeohubError:
        return ""
    if value is None or pd.isna(value):
        return ""
    return format_value(value, meta.get("unit"), flag, decimals=display_decimals(meta))


def profile_row(meta: dict, code: str, region: tuple[str, str] | None = None) -> dict | None:
    """One indicator on an area's profile: its latest value with period and unit, England's value
    (and its region's, for a council), the area's rank among its level, and a small chart of its
    periods (None: no value here)."""
    try:
        level, _ = area_level(code, set(meta["levels"]))
    except GeohubError:
        return None
    periods = list(meta.get("periods") or [])
    series, latest, refused = {}, None, None
    for period in periods:
        try:
            table = level_values(meta["id"], level, period)
        except GeohubError as error:
            refused = error.message
            continue
        value, flag = table.get(code, (None, None))
        if value is not None and not pd.isna(value):
            series[period] = float(value)
            latest = (period, value, flag, table)
    if latest is None:
        return {"id": meta["id"], "title": meta["title"], "level": level, "period": None,
                "text": refused or "No value for this area", "england": "", "region": "",
                "rank": "", "chart": None}
    period, value, flag, table = latest
    decimals = display_decimals(meta)
    others = [v for v, _ in table.values() if v is not None and not pd.isna(v)]
    rank = 1 + sum(1 for v in others if v > value)
    england = reference_value(meta, ENGLAND[1], ENGLAND[0], period)
    region_text = reference_value(meta, "region", region[0], period) if region else ""
    chart = None
    if len(series) > 1:
        chart = Markup(sparkline([series.get(p) for p in periods],
                                 f"{meta['title']}: {periods[0]} to {periods[-1]}"))
    return {"id": meta["id"], "title": meta["title"], "level": level, "period": period,
            "text": format_value(value, meta.get("unit"), flag, decimals=decimals),
            "england": england, "region": region_text,
            "rank": f"{rank} of {len(others)} {get_level(level).plural.lower()}", "chart": chart}




def built_from(meta: dict, level: str, period: str, code: str) -> dict | None:
    """How an aggregated figure of one area was built: the members it was built from (name, code,
    share, value, weight and what each contributed), the total, and the method and mode in words.
    None when the level's values are stored rather than aggregated."""
    def build():
        data = map_builder().build(MapRequest.from_args(meta["id"], {"level": level, "period": period}))
        if not data.aggregation:
            return None
        agg = data.aggregation
        names = dict(zip(*map_builder().codes_names(agg["from_level"], agg["from_vintage"])))
        return {"data": data, "agg": agg, "names": names}
    try:
        found = app_cache().get(("built-from", meta["id"], level, period), build)
    except GeohubError:
        return None
    if found is None:
        return None
    data, agg, names = found["data"], found["agg"], found["names"]
    trace = agg["trace"]
    trace = trace[trace["target_code"] == code]
    fmt = data.format_value
    ratio, count = bool(agg.get("parts")), data.kind == "count"
    rows = []
    ordered = trace.assign(member=trace["source_code"].map(names)).sort_values(["member", "source_code"])
    for t in ordered.itertuples():
        row = {"name": names.get(t.source_code) or t.source_code, "code": t.source_code,
               "share": f"{t.share:.1%}" if t.share < 1 else "whole"}
        if ratio:
            row["cells"] = [format_value(t.numerator, None), format_value(t.denominator, None)]
        elif count:
            row["cells"] = [fmt(t.source_value), fmt(t.source_value * t.share)]
        else:
            row["cells"] = [fmt(t.source_value), format_value(t.weight, None)]
        rows.append(row)
    if ratio:
        p = agg["parts"]
        headings = [p["numerator_title"], p["denominator_title"]]
        totals = [format_value(trace["numerator"].mul(trace["share"]).sum(min_count=1), None),
                  format_value(trace["denominator"].mul(trace["share"]).sum(min_count=1), None)]
    elif count:
        headings = ["Value", "Counted (value × share)"]
        totals = ["", fmt(trace["source_value"].mul(trace["share"]).sum(min_count=1))]
    else:
        headings = ["Value", f"Weight: {agg['weight_title']}"
                    + (f" ({agg['weight_period']})" if agg.get("weight_period") else "")]
        totals = ["", format_value(trace["weight"].mul(trace["share"]).sum(min_count=1), None)]
    value = data.table.loc[data.table["code"] == code, "value"]
    plural = get_level(level).plural.lower()
    return {"how": data.how_built(), "rows": rows, "headings": headings, "totals": totals,
            "value": fmt(value.iloc[0] if len(value) else None), "period": data.period,
            "mode": agg["mode"],
            "mode_words": MODES[agg["mode"]].member.format(plural=plural),
            "members": f"{get_level(agg['from_level']).plural.lower()} ({agg['from_vintage']} boundaries)"}


def profile_values(code: str, region) -> list[dict]:
    """Every mappable indicator's profile row for an area, with how aggregated figures were built."""
    store = get_store()
    values = []
    for meta in store.indicators():
        if not meta.get("levels"):
            continue
        row = profile_row(meta, code, region)
        if row is None:
            continue
        if row["period"] and row["level"] not in meta["levels"]:
            row["built"] = built_from(meta, row["level"], row["period"], code)
        values.append(row)
    return values


@bp.get("/areas/<code>")
def area_page(code):
    store = get_store()
    found = directory()
    # pandas' string comparison stops at a NUL, so "E06000001\x00" would match E06000001.
    rows = found[found["code"] == code] if code.isprintable() else found.iloc[0:0]
    if rows.empty:
        raise NotFound(f"There is no area with code {code!r} in the store.",
                       "Search for it by name on the home page.")
    builder = map_builder()
    first = rows.sort_values("vintage").iloc[-1]
    level, vintage = first["level"], int(first["vintage"])
    area = store.areas(level, vintage, codes=[code])
    if area.empty:  # ended before its set's newest year: take the last year it was live
        live_to = int(first["end_year"]) if pd.notna(first["end_year"]) else vintage
        area = store.areas(level, live_to, codes=[code])
        vintage = live_to
    if level in PLACE_LEVELS:
        # A place is a point: it lies in the areas containing it (no shares, no figures of its own).
        point = area.to_crs(4326).geometry.iloc[0]
        memberships = [{"level": h["level_label"], "vintage": ", ".join(map(str, h["vintages"])),
                        "areas": [(h["code"], h["name"] or h["code"], 1.0)]}
                       for h in _labelled(group_point_hits(point_index().lookup(point.x, point.y)))]
        region, values = None, []
    else:
        memberships, region = area_memberships(builder, code, level, vintage)
        values = profile_values(code, region)
    bounds = area.to_crs(4326).total_bounds
    if level in PLACE_LEVELS:
        # A place is a point (its population-weighted centroid): drawn as a dot in its surroundings.
        bounds = area.buffer(PLACE_VIEW_M).to_crs(4326).total_bounds
        area = area.assign(geometry=area.buffer(PLACE_DOT_M))
    geo = area.to_crs(4326)
    shape = feature_collection(geo[["code", "geometry"]])
    parts = render_area_map(shape, bounds, static_url=static_url(), vintage=vintage)
    return render_template("area.html", code=code, name=first["name"], level=get_level(level),
                           vintage=vintage, sets=rows.to_dict("records"), memberships=memberships,
                           values=values, map=page_parts(parts), region=region,
                           place_levels=PLACE_LEVELS,
                           place_licence=gazetteer_line() if level in PLACE_LEVELS and first["name"]
                           else None)


@bp.get("/overlaps/<level_a>/<level_b>")
def overlaps_page(level_a, level_b):
    report = overlap_data(map_builder(), level_a, level_b, vintage_arg("vintage_a"),
                          vintage_arg("vintage_b"))
    src, tgt = report["levels"]["source"], report["levels"]["target"]
    bounds = lonlat_bounds(map_builder().areas(src["level"], src["vintage"]))
    parts = render_overlap_map((src["level"], src["vintage"], bounds), (tgt["level"], tgt["vintage"]),
                               [m["code"] for m in report["multi"]], topology_url=topology_url,
                               static_url=static_url())
    return render_template("overlaps.html", report=report, source=get_level(src["level"]),
                           coverage=coverage(map_builder(), report),
                           target=get_level(tgt["level"]), map=page_parts(parts),
                           tolerance=DEFAULT_TOLERANCE)
