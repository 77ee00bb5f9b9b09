"""The JSON API. Errors come back as JSON with a status and a message."""
from __future__ import annotations

from flask import Blueprint, jsonify

from geohub.geography.levels import LEVELS
from geohub.web.resources import get_store

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/levels")
def levels():
    sets = get_store().boundary_sets()
    out = []
    for level in LEVELS:
        mine = [s for s in sets if s.level == level.name]
        if mine:
            out.append({"level": level.name, "label": level.label,
                        "vintages": sorted({y for s in mine for y in s.years}),
                        "sets": [{"vintage": s.vintage, "count": s.count, "multi_year": s.multi_year,
                                  "first_year": s.first_year} for s in mine]})
    return jsonify(out)
