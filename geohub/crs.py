"""The coordinate reference systems geohub uses, declared once.

A leaf module with no imports, so every layer can use it without an upward arrow: the store writes
geometry in STORAGE_SRID, and ``geohub.geography`` (where areas are defined) re-exports both.
"""
from __future__ import annotations

STORAGE_SRID = 27700  # British National Grid: areas and intersections measured in metres
DISPLAY_SRID = 4326   # WGS 84 longitude/latitude: GeoJSON (RFC 7946) and web maps only
