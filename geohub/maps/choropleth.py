"""Interactive choropleths with Folium: the map object, its layers and its legend.

Boundaries are not embedded: the browser fetches each level's TopoJSON once (cacheable by URL and
ETag) and ``static/geohub-map.js`` draws it. The page carries only the values, classes and
memberships, as JSON (Jinja's ``tojson`` escapes it for a script). Tooltips are built with DOM
text nodes, so no stored string is ever parsed as HTML; the legend is rendered by Jinja with
autoescaping.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import folium
from branca.element import MacroElement
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from geohub.attribution import boundary_attribution
from geohub.geography.levels import get_level
from geohub.maps.assets import UPSTREAM_URLS, MissingAssetError, localise, remote_asset_urls
from geohub.maps.model import MapData
from geohub.maps.palettes import MISSING_COLOUR, OUTLINE_COLOUR, OVERLAY_STYLES

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]))
# The only front-end assets these maps use, by folium's names: Leaflet and topojson (folium's
# jQuery/Bootstrap/Font Awesome are not). Pages link them, HTML exports inline them (MAP_ASSETS).
MAP_JS_NAMES = ("leaflet", "topojson")
MAP_CSS_NAMES = ("leaflet_css",)
MAP_ASSETS = MAP_JS_NAMES + MAP_CSS_NAMES
MAP_JS = [(name, UPSTREAM_URLS[name]) for name in MAP_JS_NAMES]  # localise() points them at our copies
MAP_CSS = [(name, UPSTREAM_URLS[name]) for name in MAP_CSS_NAMES]


class TopoLayer(folium.map.Layer):
    """A Leaflet layer drawn by ``geohub.<kind>(map, options)`` from static/geohub-map.js."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geohub.{{ this.kind }}({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
    """)

    def __init__(self, kind: str, name: str, options: dict, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeohubLayer"
        self.kind = kind
        self.options = options


class Attribution(MacroElement):
    """Attribution lines in the map's own attribution control (escaped: Leaflet inserts HTML)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {% for line in this.lines %}{{ this._parent.get_name() }}.attributionControl.addAttribution({{ line|tojson }});
        {% endfor %}
        {% endmacro %}
    """)

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = [html.escape(line) for line in lines]


@dataclass
class RenderedMap:
    """The parts a page places: header (links and styles), the map's div, its script, legend."""

    header: str
    html: str
    script: str
    legend: str


def build_folium_map(data: MapData, *, topology_url=None, topology_data=None,
                     static_url: str = "/static", tiles=None) -> folium.Map:
    """The Folium map for ``data``. Each level's TopoJSON is either fetched from
    ``topology_url(level, vintage)`` or embedded from ``topology_data(level, vintage)`` (a dict,
    for self-contained files); ``tiles`` is an optional (url template, attribution) base map."""
    def boundaries(level, vintage) -> dict:
        if topology_data is not None:
            return {"data": topology_data(level, vintage)}
        return {"url": topology_url(level, vintage)}

    fmap = _bare_map(lonlat_bounds(data.table))
    if tiles:
        folium.TileLayer(tiles=tiles[0], attr=html.escape(tiles[1]), name="Base map").add_to(fmap)
    legend_id = f"legend-{fmap.get_name()}"
    TopoLayer("choropleth", html.escape(data.title), {
        **boundaries(data.level, data.vintage), "areas": data.area_payload(),
        "colours": data.colours, "missing": MISSING_COLOUR, "outline": OUTLINE_COLOUR,
        "legend": legend_id, "level": data.level,
        "labels": data.label_points() if data.show_labels else None,
    }).add_to(fmap)
    for overlay in data.request.overlays:
        if overlay not in data.overlay_vintages:
            continue
        style = OVERLAY_STYLES[overlay]
        label = get_level(overlay).plural
        TopoLayer("overlay", html.escape(label), {
            **boundaries(overlay, data.overlay_vintages[overlay]), "level": overlay,
            "style": style, "label": label, "legend": legend_id,
        }).add_to(fmap)
        several = [code for code, _, _ in data.multi.get(overlay, [])]
        if several:
            TopoLayer("marked", html.escape(f"In two or more {label}"), {
                **boundaries(data.level, data.vintage), "codes": several,
                "style": {**style, "weight": style["weight"] + 2}, "level": overlay,
            }).add_to(fmap)
    Attribution(data.attribution).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    localise(fmap, static_url)
    return fmap


def render_map(data: MapData, *, topology_url=None, topology_data=None, static_url: str = "/static",
               tiles=None) -> RenderedMap:
    """Render the map into page parts (Folium's header, body and script, plus the legend)."""
    fmap = build_folium_map(data, topology_url=topology_url, topology_data=topology_data,
                            static_url=static_url, tiles=tiles)
    overlays = [{"level": o, "label": get_level(o).plural, "color": OVERLAY_STYLES[o]["color"],
                 "dash": OVERLAY_STYLES[o]["dashArray"], "weight": OVERLAY_STYLES[o]["weight"]}
                for o in data.request.overlays if o in data.overlay_vintages]
    legend = _TEMPLATES.get_template("legend.html").render(
        legend_id=f"legend-{fmap.get_name()}", title=data.title,
        unit=data.unit, rows=data.legend(), overlays=overlays, flags=data.flag_key())
    return _page_parts(fmap, legend)


def _page_parts(fmap: folium.Map, legend: str) -> RenderedMap:
    """The rendered parts, checked like ``assets.render_html``: no asset may load from elsewhere."""
    root = fmap.get_root()
    root.render()
    # Folium's figure template wraps its script part in a <script> element: so do we.
    parts = RenderedMap(header=root.header.render(), html=root.html.render(),
                        script=f"<script>{root.script.render()}</script>", legend=legend)
    remote = remote_asset_urls(parts.header + parts.html)
    if remote:
        raise MissingAssetError(None, ", ".join(remote))
    return parts


def lonlat_bounds(frame) -> tuple[float, float, float, float]:
    """Lon/lat bounds of a frame by reprojecting its bounding box (densified), not every vertex."""
    import geopandas as gpd
    import shapely
    box = gpd.GeoSeries([shapely.box(*frame.total_bounds)], crs=frame.crs)
    return tuple(box.segmentize(box.length.iloc[0] / 400).to_crs(4326).total_bounds)


def _bare_map(bounds) -> folium.Map:
    """An empty map fitted to lon/lat ``bounds`` (minx, miny, maxx, maxy) that asks only for
    MAP_JS and MAP_CSS (``localise`` points them at our copies)."""
    minx, miny, maxx, maxy = bounds
    fmap = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    fmap.default_js, fmap.default_css = list(MAP_JS), list(MAP_CSS)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def boundary_lines(*vintages) -> list[str]:
    """The ONS/OS attribution of boundaries of these vintages (one line each, no repeats)."""
    return list(dict.fromkeys(boundary_attribution(int(v) if v else None) for v in vintages))


# The overlap map's fill for sources in two or more targets: amber, apart from every outline colour.
SEVERAL_FILL = "#f6a800"


def render_overlap_map(source, target, marked: list[str], *, topology_url,
                       static_url: str = "/static") -> RenderedMap:
    """Outlines of two levels, ``(level, vintage, bounds_4326)`` each, with the sources that lie in
    several targets marked, and the ONS/OS attribution of both boundary sets."""
    fmap = _bare_map(source[2])
    Attribution(boundary_lines(source[1], target[1])).add_to(fmap)
    legend_id = f"legend-{fmap.get_name()}"
    plain = {"color": OUTLINE_COLOUR, "weight": 1, "dashArray": None}
    TopoLayer("overlay", html.escape(get_level(source[0]).plural), {
        "url": topology_url(source[0], source[1]), "level": source[0], "style": plain,
        "legend": legend_id}).add_to(fmap)
    style = OVERLAY_STYLES.get(target[0], OVERLAY_STYLES["lep"])  # a level with no style: as LEPs
    TopoLayer("overlay", html.escape(get_level(target[0]).plural), {
        "url": topology_url(target[0], target[1]), "level": target[0], "style": style,
        "legend": legend_id}).add_to(fmap)
    several = f"{get_level(source[0]).plural} in two or more {get_level(target[0]).plural}"
    if marked:  # filled in a colour of their own, beneath the outlines (the choropleth's marks stay lines)
        TopoLayer("marked", html.escape(several), {
            "url": topology_url(source[0], source[1]), "codes": marked,
            "style": {**style, "weight": 1.5, "color": OUTLINE_COLOUR, "fill": SEVERAL_FILL},
            "level": target[0]}).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    localise(fmap, static_url)
    overlays = [{"level": lv, "label": get_level(lv).plural, "color": st["color"], "dash": st["dashArray"],
                 "weight": st["weight"]} for lv, st in ((source[0], plain), (target[0], style))]
    legend = _TEMPLATES.get_template("legend.html").render(
        legend_id=legend_id, title="Boundaries", unit=None,
        rows=[{"colour": SEVERAL_FILL, "label": several, "count": len(marked)}] if marked else [],
        overlays=overlays)
    return _page_parts(fmap, legend)


def render_area_map(area_geojson: dict, bounds, *, static_url: str = "/static",
                    vintage: int | None = None) -> RenderedMap:
    """A small map of one area (its GeoJSON carries only its code), with the ONS/OS attribution
    of its boundaries (of ``vintage``)."""
    fmap = _bare_map(bounds)
    Attribution(boundary_lines(vintage)).add_to(fmap)
    folium.GeoJson(area_geojson, name="Area",
                   style_function=lambda _: {"color": "#1d70b8", "weight": 2, "fillOpacity": 0.2}
                   ).add_to(fmap)
    localise(fmap, static_url)
    return _page_parts(fmap, "")
