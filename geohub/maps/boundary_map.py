"""A Folium map of one boundary set's outlines, with escaped name/code tooltips."""
from __future__ import annotations

import html

import folium
import geopandas as gpd


def boundary_map(areas: gpd.GeoDataFrame, title: str) -> folium.Map:
    """Outlines of ``areas`` (any CRS) on a Folium map with no base tiles."""
    shown = areas[["code", "name", "geometry"]].to_crs(4326)
    # Folium inserts tooltip values as raw HTML: escape every stored string first.
    shown = shown.assign(name=shown["name"].fillna("").map(html.escape),
                         code=shown["code"].map(html.escape))
    minx, miny, maxx, maxy = shown.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(shown, name=html.escape(title),
                   style_function=lambda _: {"color": "#1d70b8", "weight": 1, "fillOpacity": 0.1},
                   tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["Name", "Code"])
                   ).add_to(fmap)
    return fmap
