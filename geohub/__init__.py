"""geohub: overlap-aware maps of England's governance geographies.

Boundaries and indicators go into a store (a GeoPackage file, or PostGIS); overlaps between
geographies are resolved explicitly; Flask serves Folium choropleths, exports and embeds.
"""
from __future__ import annotations

__version__ = "0.1.0"


def create_app(config=None):
    """The Flask application (imported lazily so that the core never imports Flask)."""
    from geohub.web import create_app as _create_app
    return _create_app(config)
