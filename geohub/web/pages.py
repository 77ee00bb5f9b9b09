"""Pages for people: home and maps. Thin: parse the request, call the core, render."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from geohub.attribution import boundary_attribution
from geohub.geography.levels import get_level, parse_vintage
from geohub.maps.boundary_map import boundary_map
from geohub.web.resources import get_store

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("home.html", sets=get_store().boundary_sets())


@bp.get("/boundaries/<level>")
def boundaries(level):
    lvl = get_level(level)
    vintage = request.args.get("vintage")
    areas = get_store().areas(lvl.name, parse_vintage(vintage) if vintage else None)
    year = int(areas["vintage"].iloc[0]) if len(areas) else vintage
    fmap = boundary_map(areas, title=f"{lvl.plural} {year}")
    return render_template("boundaries.html", level=lvl.name, label=lvl.plural, vintage=year,
                           map_html=fmap.get_root()._repr_html_(),
                           attribution=boundary_attribution(year))
