"""Embeds for partner sites: the embed page, copy-ready embed code, oEmbed, framing policy (any
site by default, or only the listed origins), no cookies, CORS on read-only API GETs; and in
chromium, a partner page on a second loopback origin with the oEmbed html pasted in: the map draws
by default and where the partner is listed, not where another origin is; a non-embed page is
always refused."""
import re

import pytest

from conftest import ARTIFACTS
from live import browser, serve

pytestmark = pytest.mark.real_data
QUERY = "level=lad&vintage=2021&period=2020"


def test_embed_page_is_bare_and_frameable_by_partners(web_app):
    web_app.config["GEOHUB_FRAME_ANCESTORS"] = "https://partner.example http://localhost:8765"
    try:
        response = web_app.test_client().get(f"/embed/maps/pop?{QUERY}")
    finally:
        web_app.config["GEOHUB_FRAME_ANCESTORS"] = ""
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="site"' not in page and "geohub-legend" in page and "Open Government Licence" in page
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://partner.example http://localhost:8765" in csp
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "X-Geohub-Embed" not in response.headers


def test_embeds_are_frameable_by_any_site_by_default(client):
    response = client.get(f"/embed/maps/pop?{QUERY}")
    assert response.status_code == 200
    assert re.search(r"frame-ancestors \*(;|$)", response.headers["Content-Security-Policy"])
    panel = client.get(f"/maps/pop?{QUERY}").get_data(as_text=True)
    assert "Any website may show this map in a frame" in panel


def test_embed_panel_names_the_sites_that_may_embed(web_app):
    web_app.config["GEOHUB_FRAME_ANCESTORS"] = "https://partner.example"
    try:
        page = web_app.test_client().get(f"/maps/pop?{QUERY}").get_data(as_text=True)
    finally:
        web_app.config["GEOHUB_FRAME_ANCESTORS"] = ""
    who = re.search(r'<p class="embed-who"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "Only these sites" in who and "https://partner.example" in who


def test_other_pages_are_not_frameable(client):
    csp = client.get(f"/maps/pop?{QUERY}").headers["Content-Security-Policy"]
    assert re.search(r"frame-ancestors 'self'(;|$)", csp)


def test_map_page_offers_embed_code_and_oembed_discovery(client):
    page = client.get(f"/maps/pop?{QUERY}").get_data(as_text=True)
    iframe = re.search(r'<textarea id="embed-iframe"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "&lt;iframe src=" in iframe and 'title=&#34;Population mid-2020 (geohub map)&#34;' in iframe
    assert 'loading=&#34;lazy&#34;' in iframe and "/embed/maps/pop?" in iframe
    assert "geohub-embed.js" in page
    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page)
    assert link and "/oembed?url=" in link.group(1)


def test_oembed_response_has_the_required_fields(client):
    response = client.get(f"/oembed?url=http://localhost/maps/pop%3F{QUERY.replace('&', '%26')}&format=json&maxwidth=640")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    # oembed.com section 2.3.4: type and version always; html, width and height for type rich
    assert body["type"] == "rich" and body["version"] == "1.0"
    assert body["html"].startswith("<iframe") and 'src="http://localhost/embed/maps/pop?' in body["html"]
    assert isinstance(body["width"], int) and body["width"] == 640 and isinstance(body["height"], int)
    assert body["provider_name"] == "geohub" and body["title"] == "Population mid-2020"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def oembed(client, **params):
    url = f"http://localhost/maps/pop%3F{QUERY.replace('&', '%26')}"
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return client.get(f"/oembed?url={url}&format=json{extra}")


@pytest.mark.parametrize("params,size", [({}, (800, 600)),
                                         ({"maxwidth": "640"}, (640, 480)),
                                         ({"maxheight": "300"}, (400, 300)),
                                         ({"maxwidth": "1000", "maxheight": "300"}, (400, 300)),
                                         ({"maxwidth": "5"}, (200, 150)),          # clamped up
                                         ({"maxwidth": "90000"}, (2000, 1500)),    # clamped down
                                         ({"maxwidth": "500.7"}, (500, 375))])
def test_oembed_size_keeps_the_aspect_ratio_within_bounds(client, params, size):
    body = oembed(client, **params).get_json()
    assert (body["width"], body["height"]) == size
    assert f'width="{size[0]}" height="{size[1]}"' in body["html"]


@pytest.mark.parametrize("params", [{"maxwidth": "-5"}, {"maxwidth": "0"}, {"maxheight": "abc"},
                                    {"maxheight": "nan"}, {"maxwidth": "inf"}])
def test_oembed_refuses_sizes_that_are_not_positive_numbers(client, params):
    response = oembed(client, **params)
    assert response.status_code == 400
    body = response.get_json()
    assert "positive number" in body["message"] and "=600" in body["hint"]


@pytest.mark.parametrize("url,status", [("/oembed?url=http://localhost/maps/pop&format=xml", 501),
                                        ("/oembed?url=http://elsewhere.example/maps/pop", 404),
                                        ("/oembed?url=http://localhost/about", 404),
                                        ("/oembed", 400)])
def test_oembed_errors(client, url, status):
    response = client.get(url)
    assert response.status_code == status and response.get_json()["status"] == status


def test_cors_on_read_only_api(client):
    assert client.get("/api/levels").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


PARTNER = """<!doctype html><html><head><title>Partner</title></head><body>
<h1>Partner site</h1>
<div id="pasted">{pasted}</div>
<iframe id="page" src="{page}" title="Not an embed" width="600" height="300"></iframe>
<script src="{script}" async></script>
</body></html>"""


def _frame_refused(frame) -> bool:
    """chromium shows a frame refused by frame-ancestors as its own error page."""
    return frame.url.startswith("chrome-error://")


@pytest.mark.browser
@pytest.mark.parametrize("policy", ["default", "listed", "other"])
def test_oembed_html_pasted_on_a_partner_origin(web_app, policy):
    """The oEmbed html, pasted as is into a page of another loopback origin (another host name and
    port): the map draws unless GEOHUB_FRAME_ANCESTORS lists only other origins; the map page
    itself (not an embed) is refused framing whatever the setting."""
    import json
    import urllib.parse
    import urllib.request

    from flask import Flask
    partner = Flask("partner")
    with serve(web_app, host="127.0.0.1") as geohub_url:
        page_url = f"{geohub_url}/maps/pop?{QUERY}"
        with urllib.request.urlopen(f"{geohub_url}/oembed?" + urllib.parse.urlencode(
                {"url": page_url, "format": "json", "maxwidth": "900"})) as answer:
            pasted = json.load(answer)["html"]
        assert pasted.startswith("<iframe") and f"{geohub_url}/embed/maps/pop?" in pasted
        partner.add_url_rule("/", "home", lambda: PARTNER.format(
            pasted=pasted, page=page_url, script=f"{geohub_url}/static/geohub-embed.js"))
        with serve(partner, host="localhost") as partner_url:
            web_app.config["GEOHUB_FRAME_ANCESTORS"] = {
                "default": "", "listed": partner_url, "other": "https://other.example"}[policy]
            try:
                with browser() as b:
                    page = b.new_page(viewport={"width": 1000, "height": 1100})
                    page.goto(partner_url + "/")
                    embed = page.frame_locator("#pasted iframe")
                    if policy != "other":
                        embed.locator("html[data-geohub-ready=true]").wait_for(timeout=30_000)
                        assert embed.locator("path.geohub-area").count() == 374
                        assert embed.locator(".geohub-legend").is_visible()
                        page.wait_for_function(
                            "document.querySelector('#pasted iframe').style.height !== ''")
                    else:
                        page.wait_for_timeout(2_000)
                        frame = page.locator("#pasted iframe").element_handle().content_frame()
                        assert _frame_refused(frame)
                        assert frame.locator("path.geohub-area").count() == 0
                    page.wait_for_timeout(500)
                    other = page.locator("#page").element_handle().content_frame()
                    assert _frame_refused(other), other.url      # not an embed: refused always
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"partner-{policy}.png"))
            finally:
                web_app.config["GEOHUB_FRAME_ANCESTORS"] = ""


@pytest.mark.browser
def test_embed_is_usable_320_px_wide(web_app):
    """On a 320 px wide page the legend folds behind a button and the attribution keeps to one
    line, so England stays visible; the full notice is under the map."""
    with serve(web_app) as url, browser() as b:
        page = b.new_page(viewport={"width": 320, "height": 480})
        page.goto(f"{url}/embed/maps/pop?{QUERY}")
        page.wait_for_selector("html[data-geohub-ready=true]", timeout=30_000)
        assert page.locator("path.geohub-area").count() == 374
        legend = page.locator(".geohub-legend")
        button = legend.locator("button.geohub-legend-toggle")
        assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
        assert not legend.locator(".geohub-legend-classes").is_visible()
        map_box = page.locator(".embed-map").bounding_box()
        assert legend.bounding_box()["height"] < 0.15 * map_box["height"]
        attribution = page.locator(".leaflet-control-attribution")
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                             "'.leaflet-control-attribution')).lineHeight) || 16")
        assert attribution.bounding_box()["height"] <= line * 1.5          # one line
        assert "Contains OS data" in attribution.get_attribute("title")
        assert "Contains OS data" in page.locator(".embed-source").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "embed-320-collapsed.png"))
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert legend.locator(".geohub-legend-classes").is_visible()
        page.screenshot(path=str(ARTIFACTS / "embed-320-legend-open.png"))
        # Wide again: the legend is open, and its button still folds it (every size).
        page.set_viewport_size({"width": 900, "height": 600})
        page.wait_for_timeout(300)
        assert legend.locator(".geohub-legend-classes").is_visible()
        assert button.is_visible() and button.get_attribute("aria-expanded") == "true"


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/areas/E08000003", "/overlaps/lad/lep"])
def test_area_and_overlap_maps_carry_the_boundary_attribution(web_app, path):
    with serve(web_app) as url, browser() as b:
        page = b.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + path)
        attribution = page.locator(".leaflet-control-attribution")
        attribution.wait_for(timeout=30_000)
        text = attribution.inner_text()
        assert "Office for National Statistics" in text and "Contains OS data" in text, text
        assert "Open Government Licence" in text
