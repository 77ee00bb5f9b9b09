"""Pages for people: home (with search), maps, areas, overlaps. Thin: parse the request, call the
core, render."""
from __future__ import annotations

import re

import pandas as pd
from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup

from geohub.errors import GeohubError, NotFound
from geohub.geography.levels import LEVELS, get_level
from geohub.io.geojson import feature_collection
from geohub.geography.search import group_point_hits, parse_point, search_names
from geohub.maps.choropleth import lonlat_bounds, render_area_map, render_map, render_overlap_map
from geohub.maps.charts import sparkline
from geohub.maps.classify import SCHEMES
from geohub.maps.model import MapRequest, display_decimals, format_value, level_choices
from geohub.maps.palettes import OVERLAY_ORDER, PALETTES
from geohub.overlaps import DEFAULT_TOLERANCE
from geohub.web.api import overlap_data, vintage_arg
from geohub.web.cached import NONCE_PLACEHOLDER, cached_page, canonical, topology_artifact
from geohub.web.resources import app_cache, directory, get_store, map_builder
from geohub.web.security import embed_partners, with_nonce

bp = Blueprint("pages", __name__)


def _tiles():
    url = current_app.config.get("GEOHUB_TILES")
    return (url, "Base map © its provider") if url else None


def topology_url(level, vintage):
    """The content-addressed URL of a level's display TopoJSON (built once for all workers)."""
    return url_for("artifacts.artifact", name=topology_artifact(level, vintage).name)


def static_url():
    return url_for("static", filename="")


# Folium's header declares the charset again and a viewport that forbids zooming
# (maximum-scale=1.0, user-scalable=no: WCAG 1.4.4); our pages declare both themselves.
_FOLIUM_METAS = re.compile(r"<meta\s+(?:http-equiv=\"content-type\"|name=\"viewport\")[^>]*>",
                           re.IGNORECASE)


def page_head(header: str) -> str:
    """Folium's header without its charset and viewport <meta> elements."""
    return _FOLIUM_METAS.sub("", header)


def page_parts(parts, nonce: str | None = None):
    """A rendered map's parts for a template, with CSP nonces on Folium's scripts and styles, and
    without Folium's own charset and (zoom-forbidding) viewport declarations."""
    return {"header": Markup(with_nonce(page_head(parts.header), nonce)), "html": Markup(parts.html),
            "script": Markup(with_nonce(parts.script, nonce)), "legend": Markup(parts.legend)}


def point_index():
    """The rtree index of every stored area (shared with the API's /lookup)."""
    from geohub.web.api import PointIndex
    return app_cache().get("point-index", lambda: PointIndex(get_store()))


def search(q: str) -> dict:
    """Search results for the home page: a point (coordinates) lists every area containing it;
    anything else is matched against names and codes."""
    point = parse_point(q)
    if point is not None:
        hits = group_point_hits(point_index().lookup(point.lon, point.lat))
        return {"point": point, "results": _labelled(hits)}
    found = search_names(directory(), q)
    return {"point": None, "results": _labelled(found.to_dict("records"))}


def _labelled(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["level_label"] = get_level(r["level"]).label
    return rows


@bp.get("/")
def home():
    store = get_store()
    q = (request.args.get("q") or "").strip()
    found = search(q) if q else {"point": None, "results": []}
    metas = store.indicators()
    return render_template("home.html", sets=store.boundary_sets(), levels=level_choices(store),
                           governance={lv.name for lv in LEVELS if lv.governance},
                           indicators=[m for m in metas if m.get("levels")],
                           unmatched=[m for m in metas if not m.get("levels")], q=q,
                           results=found["results"], point=found["point"])


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


def rendered_map(req: MapRequest):
    """(MapData, rendered map parts) for a request: the expensive part of a map page."""
    data = map_builder().build(req)
    return data, render_map(data, topology_url=topology_url, static_url=static_url(), tiles=_tiles())


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
                "weights": picker[0] if picker else None, "weight": picker[1] if picker else None,
                "vintage_reasons": vintage_reasons(data)}
    query = data.request.query(level=data.level, vintage=data.vintage, period=data.period)
    from geohub.web.embeds import embed_code, oembed_link  # embeds imports this module
    return render_template("map.html", data=data, req=data.request,
                           map=page_parts(parts, NONCE_PLACEHOLDER), controls=controls,
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


def profile_row(meta: dict, code: str) -> dict | None:
    """One indicator on an area's profile: its latest value with period and unit, England's value,
    the area's rank among its level, and a small chart of its periods (None: no value here)."""
    from geohub.web.compare import ENGLAND, area_level, level_values
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
                "text": refused or "No value for this area", "england": "", "rank": "",
                "chart": None}
    period, value, flag, table = latest
    decimals = display_decimals(meta)
    others = [v for v, _ in table.values() if v is not None and not pd.isna(v)]
    rank = 1 + sum(1 for v in others if v > value)
    england = ""
    try:
        e_value, e_flag = level_values(meta["id"], ENGLAND[1], period).get(ENGLAND[0], (None, None))
        if e_value is not None and not pd.isna(e_value):
            england = format_value(e_value, meta.get("unit"), e_flag, decimals=decimals)
    except GeohubError:
        pass
    chart = None
    if len(series) > 1:
        chart = Markup(sparkline([series.get(p) for p in periods],
                                 f"{meta['title']}: {periods[0]} to {periods[-1]}"))
    return {"id": meta["id"], "title": meta["title"], "level": level, "period": period,
            "text": format_value(value, meta.get("unit"), flag, decimals=decimals),
            "england": england, "rank": f"{rank} of {len(others)} {get_level(level).plural.lower()}",
            "chart": chart}


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
    memberships, seen = [], set()
    for other in [lv.name for lv in LEVELS if lv.governance and lv.name != level]:
        for year in sorted({s.vintage for s in store.boundary_sets() if s.level == other}):
            bset, _ = store.resolve_set(other, year)
            at = vintage if vintage in bset.years else year
            if (other, at) in seen:   # two sets answering for the same year: one row
                continue
            seen.add((other, at))
            table = builder.relationship((level, vintage), (other, at))
            targets = table[table["source_code"] == code]
            names = dict(zip(*builder.codes_names(other, at)))
            if len(targets):
                memberships.append({"level": get_level(other).label, "vintage": at,
                                    "areas": [(t, names.get(t) or t, s) for t, s in
                                              zip(targets["target_code"], targets["share"])]})
    values = [profile_row(meta, code) for meta in store.indicators() if meta.get("levels")]
    values = [v for v in values if v is not None]
    geo = area.to_crs(4326)
    shape = feature_collection(geo[["code", "geometry"]])
    parts = render_area_map(shape, geo.total_bounds, static_url=static_url(), vintage=vintage)
    return render_template("area.html", code=code, name=first["name"], level=get_level(level),
                           vintage=vintage, sets=rows.to_dict("records"), memberships=memberships,
                           values=values, map=page_parts(parts))


_NATIONS = {"E": "English", "W": "Welsh", "S": "Scottish", "N": "Northern Irish"}


def coverage(report: dict, source: dict, target) -> dict:
    """The overlap summary counted only where the target level exists (LEPs: England), so that
    Welsh, Scottish and Northern Irish councils are not counted as lying in no LEP."""
    nations = {prefix[:1] for prefix in target.entities}
    codes = map_builder().codes_names(source["level"], source["vintage"])[0]
    scope = [c for c in codes if c[:1] in nations]
    adjective = " and ".join(_NATIONS[n] for n in sorted(nations) if n in _NATIONS)
    return {"sources": len(scope), "nations": adjective,
            "several": sum(1 for m in report["multi"] if m["code"][:1] in nations),
            "none": sum(1 for c in report["unassigned"] if c[:1] in nations)}


@bp.get("/overlaps/<level_a>/<level_b>")
def overlaps_page(level_a, level_b):
    report = overlap_data(level_a, level_b, vintage_arg("vintage_a"), vintage_arg("vintage_b"))
    src, tgt = report["levels"]["source"], report["levels"]["target"]
    bounds = lonlat_bounds(map_builder().areas(src["level"], src["vintage"]))
    parts = render_overlap_map((src["level"], src["vintage"], bounds), (tgt["level"], tgt["vintage"]),
                               [m["code"] for m in report["multi"]], topology_url=topology_url,
                               static_url=static_url())
    return render_template("overlaps.html", report=report, source=get_level(src["level"]),
                           coverage=coverage(report, src, get_level(tgt["level"])),
                           target=get_level(tgt["level"]), map=page_parts(parts),
                           tolerance=DEFAULT_TOLERANCE)
