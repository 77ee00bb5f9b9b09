"""Comparison of 2-8 areas of any levels on one indicator: ``/compare?areas=A,B&indicator=ID``
(a side-by-side table, a server-side SVG time-series chart with England as the reference line,
the chart's data as a table) and ``/compare.csv`` with the same arguments. The URL holds the
whole state; areas a level does not store values for are aggregated as their maps are."""
from __future__ import annotations

import csv
import io
import math

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup

from geohub.errors import GeohubError, InputError
from geohub.geography.levels import LEVELS, get_level
from geohub.maps.charts import legend_entries, line_chart
from geohub.maps.model import MapRequest, format_value
from geohub.web.resources import app_cache, directory, get_store, map_builder

bp = Blueprint("compare", __name__)

MIN_AREAS, MAX_AREAS = 2, 8
ENGLAND = ("E92000001", "country")
_RANK = {lv.name: i for i, lv in enumerate(LEVELS)}


def parse_areas(text: str) -> list[str]:
    """Area codes from a comma-separated list, upper-cased, in order, without repeats."""
    seen: list[str] = []
    for part in (text or "").replace(";", ",").split(","):
        code = part.strip().upper()
        if code and code not in seen:
            seen.append(code)
    return seen


def area_level(code: str, stored_levels) -> tuple[str, str]:
    """(level, name) of a stored area: the level the indicator has values for when the code is
    in several (a unitary authority is both a LAD and an upper-tier authority)."""
    rows = directory()
    rows = rows[rows["code"] == code]
    if rows.empty:
        raise InputError(f"There is no area with code {code!r} in the store.",
                         "Search for the area by name and copy its code, e.g. E08000035 for Leeds.")
    levels = sorted(set(rows["level"]), key=lambda lv: (lv not in stored_levels, _RANK.get(lv, 99)))
    name = rows.sort_values("vintage").iloc[-1]["name"]
    return levels[0], name or code


def level_values(indicator: str, level: str, period: str) -> dict:
    """code -> (value, flag) for one level and period, as the map of that level shows them."""
    def build():
        data = map_builder().build(MapRequest.from_args(indicator, {"level": level, "period": period}))
        return {r.code: (r.value, r.flag) for r in data.table.itertuples()}
    return app_cache().get(("compare-values", indicator, level, period), build)


def comparison(indicator: str, codes: list[str]) -> dict:
    """Every period's value for each area and for England (None where there is none)."""
    if not (MIN_AREAS <= len(codes) <= MAX_AREAS):
        raise InputError(f"A comparison takes {MIN_AREAS} to {MAX_AREAS} areas; {len(codes)} given.",
                         "List the area codes separated by commas in the Areas box.")
    meta = get_store().indicator(indicator)
    periods = list(meta.get("periods") or [])
    stored = set((meta.get("levels") or {}).keys())
    areas = []
    for code in codes:
        level, name = area_level(code, stored)
        areas.append({"code": code, "name": name, "level": level,
                      "level_label": get_level(level).label, "values": {}})
    england = None
    try:
        level_values(indicator, ENGLAND[1], periods[-1])
        england = {"code": ENGLAND[0], "name": "England", "level": ENGLAND[1],
                   "level_label": get_level(ENGLAND[1]).label, "values": {}}
    except GeohubError:
        pass  # no England boundary, or a rate without a weight: no reference line
    for period in periods:
        for area in areas + ([england] if england else []):
            try:
                value, flag = level_values(indicator, area["level"], period).get(area["code"], (None, None))
            except GeohubError:
                value, flag = None, None
            if isinstance(value, float) and math.isnan(value):
                value = None
            area["values"][period] = {"value": value, "flag": flag,
                                      "text": format_value(value, meta.get("unit"), flag)}
    return {"meta": meta, "periods": periods, "areas": areas, "england": england}


@bp.get("/compare")
def compare_page():
    store = get_store()
    codes = parse_areas(request.args.get("areas", ""))
    indicators = store.indicators()
    indicator = request.args.get("indicator") or (indicators[0]["id"] if indicators else None)
    result, refused = None, None
    if indicator and len(codes) >= MIN_AREAS:
        try:
            result = comparison(indicator, codes)
        except GeohubError as error:
            refused = {"message": error.message, "hint": error.hint, "status": error.status}
    chart = keys = None
    if result:
        meta = result["meta"]
        series = [(a["name"], {p: v["value"] for p, v in a["values"].items()}) for a in result["areas"]]
        ref = result["england"]
        # A count for England dwarfs any area's: England is then in the table, not on the chart.
        on_chart = ref is not None and meta.get("kind") != "count"
        reference = ("England", {p: v["value"] for p, v in ref["values"].items()}) if on_chart else None
        title = f"{meta['title']}" + (f" ({meta['unit']})" if meta.get("unit") else "") + \
            ", " + ", ".join(a["name"] for a in result["areas"]) + (" and England" if on_chart else "")
        chart = Markup(line_chart(series, result["periods"], title=title, reference=reference))
        keys = legend_entries([a["name"] for a in result["areas"]], "England" if on_chart else None)
    page = render_template("compare.html", indicators=indicators, indicator=indicator,
                           areas_text=", ".join(codes), result=result, refused=refused,
                           chart=chart, keys=keys, codes=codes,
                           england_off_chart=bool(result and result["england"] and not reference))
    return page, (refused["status"] if refused else 200)


@bp.get("/compare.csv")
def compare_csv():
    codes = parse_areas(request.args.get("areas", ""))
    indicator = request.args.get("indicator")
    if not indicator:
        raise InputError("A comparison needs an indicator.", "Add indicator=ID, e.g. indicator=pop.")
    result = comparison(indicator, codes)
    out = io.StringIO()
    writer = csv.writer(out)
    rows = result["areas"] + ([result["england"]] if result["england"] else [])
    writer.writerow(["period", *[f"{a['name']} ({a['code']})" for a in rows]])
    for p in result["periods"]:
        writer.writerow([p, *["" if a["values"][p]["value"] is None else a["values"][p]["value"]
                              for a in rows]])
    name = f"compare-{indicator}-{'-'.join(codes)}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
