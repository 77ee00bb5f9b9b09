"""What lies in what, with names and paired boundary years, as the pages and the API show it: the
overlap report of two stored levels (which sources lie in several targets, or in none) and the
governance areas one area is a member of. Read through a ``MapBuilder``, so both use the same
stored relationships (official lookups first) as the maps; no Flask."""
from __future__ import annotations

from geohub.errors import InputError
from geohub.geography.levels import LEVELS, get_level
from geohub.maps.model import MapBuilder, nearest_year
from geohub.overlaps import overlap_report
from geohub.overlaps.report import report_table

# Councils are profiled beside their region as well as England (ELS does the same).
COUNCIL_LEVELS = ("lad", "utla", "county")


def overlap_data(builder: MapBuilder, level_a: str, level_b: str, vintage_a=None,
                 vintage_b=None) -> dict:
    """The overlap report of two stored levels, with names (``overlaps.overlap_report``), its
    table, and the levels and years compared. With no ``vintage_a``, the source's boundaries in
    force in ``vintage_b``'s year (as map overlays pair levels). InputError for one level twice."""
    a, b = get_level(level_a).name, get_level(level_b).name
    if a == b:
        raise InputError("An overlap needs two different levels.",
                         "Choose two levels, e.g. lad and lep.")
    store = builder.store
    _, yb = store.resolve_set(b, vintage_b)
    if vintage_a is None:
        years = builder.vintages(a)
        vintage_a = nearest_year(years, yb) if years else None
    _, ya = store.resolve_set(a, vintage_a)
    table = builder.relationship((a, ya), (b, yb))
    names_a = dict(zip(*builder.codes_names(a, ya)))
    names_b = dict(zip(*builder.codes_names(b, yb)))
    report = overlap_report(table, names_a, names_b, sources=list(names_a))
    report["levels"] = {"source": {"level": a, "vintage": ya}, "target": {"level": b, "vintage": yb}}
    report["table"] = report_table(report).to_dict("records")
    return report


def area_memberships(builder: MapBuilder, code: str, level: str,
                     vintage: int) -> tuple[list[dict], tuple | None]:
    """(the governance areas an area lies in, each level and year once, with its shares; its
    region as (code, name) when it is a council)."""
    store = builder.store
    memberships, seen, region = [], set(), None
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
            if len(targets) and other == "region" and region is None and level in COUNCIL_LEVELS:
                region = (targets["target_code"].iloc[0], names.get(targets["target_code"].iloc[0]))
            if len(targets):
                memberships.append({"level": get_level(other).label, "vintage": at,
                                    "areas": [(t, names.get(t) or t, s) for t, s in
                                              zip(targets["target_code"], targets["share"])]})
    return memberships, region


_NATIONS = {"E": "English", "W": "Welsh", "S": "Scottish", "N": "Northern Irish"}


def coverage(builder: MapBuilder, report: dict) -> dict:
    """The summary of an ``overlap_data`` report counted only where the target level exists
    (LEPs: England), so that Welsh, Scottish and Northern Irish councils are not counted as lying
    in no LEP: how many sources there are, the nations in words, how many lie in several targets
    and how many in none."""
    source, target = report["levels"]["source"], get_level(report["levels"]["target"]["level"])
    nations = {prefix[:1] for prefix in target.entities}
    codes = builder.codes_names(source["level"], source["vintage"])[0]
    scope = [c for c in codes if c[:1] in nations]
    adjective = " and ".join(_NATIONS[n] for n in sorted(nations) if n in _NATIONS)
    return {"sources": len(scope), "nations": adjective,
            "several": sum(1 for m in report["multi"] if m["code"][:1] in nations),
            "none": sum(1 for c in report["unassigned"] if c[:1] in nations)}
