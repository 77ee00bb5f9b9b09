"""Folium maps load every script and stylesheet from our static folder, never from a CDN."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import branca.colormap as cm
import folium
import folium.plugins
import pytest
from branca.element import Element, JavascriptLink
from folium.elements import JSCSSMixin

from geohub.maps import assets
from geohub.maps.assets import (ASSETS, STATIC_DIR, UPSTREAM_URLS, MissingAssetError, asset_urls,
                                inline_assets, localise, remote_asset_urls, render_html)

REPO = Path(__file__).resolve().parents[1]
VENDOR = REPO / "static" / "vendor"

# Two squares side by side, as GeoJSON and as TopoJSON (arcs in plain lon/lat, no transform).
GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": n, "code": c, "value": v},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 51], [x + 1, 51], [x + 1, 52], [x, 52], [x, 51]]]}}
    for n, c, v, x in [("Alpha", "E1", 1.0, 0), ("Beta", "E2", 2.0, 1)]]}
TOPOJSON = {"type": "Topology", "objects": {"areas": {"type": "GeometryCollection", "geometries": [
    {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Gamma"}},
    {"type": "Polygon", "arcs": [[1]], "properties": {"name": "Delta"}}]}},
    "arcs": [[[0, 53], [1, 53], [1, 54], [0, 54], [0, 53]], [[1, 53], [2, 53], [2, 54], [1, 54], [1, 53]]]}

# Every src= / href= attribute value in a page (any tag), and the script/stylesheet ones.
ATTR_URL = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
ASSET_URL = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


COLOURS = {1.0: "#6baed6", 2.0: "#08306b"}


def sample_map() -> folium.Map:
    """A map with the folium features geohub's maps use: GeoJSON areas with tooltip and popup,
    TopoJSON, and a layer control (geohub draws its legends in HTML, not with branca's d3)."""
    fmap = folium.Map(location=[52.5, 1], zoom_start=7, tiles=None)
    folium.GeoJson(GEOJSON, name="areas",
                   style_function=lambda f: {"fillColor": COLOURS[f["properties"]["value"]], "weight": 1},
                   tooltip=folium.GeoJsonTooltip(fields=["name", "code"]),
                   popup=folium.GeoJsonPopup(fields=["value"])).add_to(fmap)
    folium.TopoJson(TOPOJSON, "objects.areas", name="topo").add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return fmap


def local_file(url: str, static_url: str = "/static") -> Path:
    assert url.startswith(static_url + "/"), url
    return STATIC_DIR / url[len(static_url) + 1:]


def test_unlocalised_map_uses_cdns():
    """The premise: without localise, folium's own page loads from CDNs (so the tests below can fail)."""
    html = sample_map().get_root().render()
    remote = remote_asset_urls(html)
    assert any("leaflet" in u for u in remote) and any("jquery" in u for u in remote)
    assert any("topojson" in u for u in remote)


def test_localised_map_has_no_remote_asset_url_and_every_local_one_exists():
    fmap = sample_map()
    localise(fmap)
    html = fmap.get_root().render()

    attr_urls = ATTR_URL.findall(html)
    assert not [u for u in attr_urls if re.match(r"(?i)(https?:)?//", u)], "remote src=/href= left"
    urls = ASSET_URL.findall(html)
    assert urls, "no script or stylesheet at all?"
    for url in urls:
        assert local_file(url).is_file(), f"{url} is not a file under static/"
    # the three assets geohub's maps load are served; folium's other defaults are dropped
    assert sorted(urls) == sorted(f"/static/{ASSETS[name]}" for name in ("leaflet", "leaflet_css", "topojson"))
    for dropped in ("jquery", "bootstrap", "awesome", "fontawesome", "glyphicons"):
        assert dropped not in html, dropped


@pytest.mark.parametrize("element", [
    lambda: cm.LinearColormap(["#ffffff", "#000000"], vmin=0, vmax=1, caption="Linear"),  # adds d3
    lambda: folium.plugins.Fullscreen()])
def test_an_asset_we_do_not_vendor_is_an_error_not_a_cdn_link(element):
    """branca's d3 legends and folium's plugins are not vendored: using one says how to vendor it."""
    fmap = sample_map()
    element().add_to(fmap)
    with pytest.raises(MissingAssetError, match="static/vendor"):
        render_html(fmap)


def test_render_html_and_the_map_repr_are_local():
    fmap = sample_map()
    html = render_html(fmap)
    assert remote_asset_urls(html) == [] and "/static/vendor/leaflet/leaflet.js" in html
    # the web pages embed fmap.get_root()._repr_html_(): an iframe whose srcdoc is the page
    assert "cdn" not in fmap.get_root()._repr_html_().lower()


def test_static_url_prefix_and_class_defaults_untouched():
    fmap = sample_map()
    html = render_html(fmap, static_url="/app/static/")
    urls = ASSET_URL.findall(html)
    assert urls and all(u.startswith("/app/static/vendor/") for u in urls)
    # only this map's elements were changed: folium's class-level defaults still name the CDNs
    assert folium.Map.default_js[0][1].startswith("https://")
    assert "https://" in sample_map().get_root().render()


def test_localise_a_figure_rendered_before_and_elements_added_after():
    fmap = folium.Map(tiles=None)
    fmap.get_root().render()  # the header now holds folium's CDN links
    localise(fmap.get_root())
    folium.TopoJson(TOPOJSON, "objects.areas").add_to(fmap)  # after localise: header rewrites it
    html = fmap.get_root().render()
    assert remote_asset_urls(html) == []
    assert "/static/vendor/topojson/topojson.min.js" in html
    localise(fmap)  # idempotent
    assert fmap.get_root().render().count("/static/vendor/leaflet/leaflet.js") == 1


class LeftPad(JSCSSMixin):
    default_js = [("left-pad", "https://cdn.example.org/left-pad@1.3.0/index.js")]


class RenderTimeLink(Element):
    """Adds a script to the figure's header while rendering, as branca's colormaps do with d3."""

    def render(self, **kwargs):
        self.get_root().header.add_child(JavascriptLink("https://cdn.example.org/spin.js"), name="spin")
        return super().render(**kwargs)


def test_unknown_asset_raises_a_clear_error():
    fmap = folium.Map(tiles=None)
    LeftPad().add_to(fmap)
    with pytest.raises(MissingAssetError) as caught:
        localise(fmap)
    message = str(caught.value)
    assert "'left-pad'" in message and "https://cdn.example.org/left-pad@1.3.0/index.js" in message
    assert "static/vendor" in message and "geohub/maps/assets.py" in message
    assert caught.value.name == "left-pad" and caught.value.status == 500


def test_unknown_asset_added_while_rendering_raises():
    fmap = folium.Map(tiles=None)
    fmap.add_child(RenderTimeLink())
    localise(fmap)
    with pytest.raises(MissingAssetError, match="'spin'"):
        fmap.get_root().render()


def test_render_html_refuses_a_remote_url_hidden_in_raw_html():
    fmap = folium.Map(tiles=None)
    fmap.get_root().header.add_child(Element('<script src="https://cdn.example.org/x.js"></script>'),
                                     name="raw")
    with pytest.raises(MissingAssetError, match="https://cdn.example.org/x.js"):
        render_html(fmap)


def test_localise_needs_a_figure():
    with pytest.raises(TypeError, match="Figure"):
        localise(folium.GeoJson(GEOJSON))


def test_folium_asks_for_the_versions_we_vendored():
    """Fails when an upgraded folium/branca asks for other assets or versions: re-run fetch.sh."""
    figure = sample_map().get_root()
    figure.render()
    asked = {name: child.url for name, child in figure.header._children.items()
             if hasattr(child, "url")}
    asked.update(folium.Map.default_js + folium.Map.default_css)
    assert set(asked) == set(ASSETS) == set(UPSTREAM_URLS)
    assert asked == UPSTREAM_URLS


def test_every_served_file_and_everything_its_css_references_exists():
    urls = asset_urls()
    assert len(urls) == len([p for p in ASSETS.values() if p]) and len(set(urls)) == len(urls)
    for url in urls:
        file = local_file(url)
        assert file.is_file() and file.stat().st_size > 0, url
        if file.suffix == ".css":
            for ref in re.findall(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", file.read_text()):
                if ref.startswith(("data:", "#")):
                    continue
                assert not re.match(r"(?i)(https?:)?//", ref), f"{file.name} loads {ref}"
                assert (file.parent / ref.split("?")[0]).is_file(), f"{file.name} references missing {ref}"


def test_vendor_folder_is_documented_licensed_and_lean():
    readme = (VENDOR / "README.md").read_text()
    packages = sorted(p.name for p in VENDOR.iterdir() if p.is_dir())
    assert packages
    for package in packages:
        assert f"`{package}/`" in readme, f"{package} missing from static/vendor/README.md"
        assert list((VENDOR / package).glob("LICENSE*")), f"{package} has no licence file"
    assert not list(VENDOR.rglob("*.map")), "source maps are not served"
    served = {local_file(u) for u in asset_urls()}
    assert all(p in served for p in VENDOR.rglob("*.js")), "an unused script build is vendored"
    assert sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file()) < 300_000  # Leaflet, topojson
    assert (VENDOR / "fetch.sh").is_file()


def test_inline_assets_are_the_static_files_with_css_urls_embedded():
    items = inline_assets()
    assert [i.name for i in items] == [n for n, p in ASSETS.items() if p]
    by_name = {i.name: i for i in items}
    assert by_name["leaflet"].kind == "js" and by_name["leaflet"].text.startswith("/* @preserve")
    assert by_name["topojson"].text == assets.asset_path("topojson").read_text()
    for item in items:
        assert item.text.strip(), item.name
        if item.kind == "css":
            refs = re.findall(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", item.text)
            assert all(r.startswith(("data:", "#")) for r in refs), item.name
    assert 'url("data:image/png;base64,' in by_name["leaflet_css"].text
    raw = inline_assets(["leaflet_css"], embed_urls=False)
    assert raw == [("leaflet_css", "css", (STATIC_DIR / ASSETS["leaflet_css"]).read_text())]
    with pytest.raises(MissingAssetError, match="glyphicons_css"):
        inline_assets(["glyphicons_css"])


def test_flask_serves_the_vendored_files(store_path):
    from geohub import create_app
    client = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
                         "TESTING": True}).test_client()
    for url in asset_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data == local_file(url).read_bytes()
        response.close()


@pytest.mark.browser
def test_the_map_works_in_chromium_with_nothing_but_our_server(tmp_path):
    """Serve a localised map and the static folder on loopback; Chromium may reach nothing else."""
    from live import chromium_path
    chromium = chromium_path()  # fails, naming the fix, when Debian's chromium is missing
    from flask import Flask
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    page_html = render_html(sample_map())
    app.add_url_rule("/map", "map", lambda: page_html)
    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    outside, failed = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            try:
                page = browser.new_page()

                def only_ours(route):
                    if route.request.url.startswith((origin + "/", "data:")):
                        route.continue_()
                    else:
                        outside.append(route.request.url)
                        route.abort()

                page.route("**/*", only_ours)
                page.on("requestfailed", lambda r: failed.append(r.url))
                page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(origin + "/map", wait_until="networkidle", timeout=30_000)
                state = page.evaluate("""() => ({
                    libs: [typeof L, typeof topojson, typeof jQuery, typeof bootstrap],
                    paths: document.querySelectorAll('path.leaflet-interactive').length,
                    layers: document.querySelectorAll('.leaflet-control-layers-overlays label').length,
                })""")
                page.click("path.leaflet-interactive >> nth=0")  # folium's popup works without jQuery
                popup = page.locator(".leaflet-popup-content").inner_text(timeout=5_000)
            finally:
                browser.close()
    finally:
        server.shutdown()
    assert outside == [] and failed == [] and errors == []
    assert state["libs"] == ["object", "object", "undefined", "undefined"]
    assert state["paths"] == 4  # two GeoJSON areas + two TopoJSON areas
    assert state["layers"] == 2
    assert "value" in popup and errors == []


def test_geohub_pages_refuse_a_remote_asset():
    """The page renderer applies the same check as render_html to what it serves."""
    import geopandas as gpd
    import shapely

    from geohub.maps import choropleth
    areas = gpd.GeoDataFrame({"code": ["E1"]}, geometry=[shapely.box(-1, 52, 0, 53)], crs=4326)
    fmap = choropleth._bare_map(areas.total_bounds)
    fmap.get_root().header.add_child(
        folium.Element('<script src="https://cdn.example/evil.js"></script>'), name="evil")
    with pytest.raises(MissingAssetError):
        choropleth._page_parts(fmap, "")
