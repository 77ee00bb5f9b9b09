"""Embeds for partner sites: the embed page, copy-ready embed code, oEmbed, framing policy,
no cookies, CORS on read-only API GETs; and in chromium, a partner page on a second loopback
origin that may (allowlisted) or may not frame the map."""
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
<iframe id="map" src="{src}" title="Map" loading="lazy" width="900" height="600"></iframe>
<script src="{script}" async></script>
</body></html>"""


@pytest.mark.browser
@pytest.mark.parametrize("allowed", [True, False])
def test_partner_origin_embeds_only_when_allowlisted(web_app, allowed):
    from flask import Flask
    partner = Flask("partner")
    with serve(web_app, host="127.0.0.1") as geohub_url:
        src = f"{geohub_url}/embed/maps/pop?{QUERY}"
        partner.add_url_rule("/", "home", lambda: PARTNER.format(
            src=src, script=f"{geohub_url}/static/geohub-embed.js"))
        with serve(partner, host="localhost") as partner_url:   # another origin: other host, port
            web_app.config["GEOHUB_FRAME_ANCESTORS"] = partner_url if allowed else "https://other.example"
            try:
                with browser() as b:
                    page = b.new_page()
                    page.goto(partner_url + "/")
                    frame_element = page.locator("#map")
                    frame_element.wait_for()
                    frame = page.frame_locator("#map")
                    if allowed:
                        frame.locator("html[data-geohub-ready=true]").wait_for(timeout=30_000)
                        assert frame.locator("path.geohub-area").count() == 374
                        assert frame.locator(".geohub-legend").is_visible()
                        page.wait_for_function("document.getElementById('map').style.height !== ''")
                    else:
                        page.wait_for_timeout(2_000)
                        content = page.frames[1]
                        assert content.url.startswith("chrome-error://")   # refused by frame-ancestors
                        assert content.locator("path.geohub-area").count() == 0
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"partner-{'allowed' if allowed else 'refused'}.png"))
            finally:
                web_app.config["GEOHUB_FRAME_ANCESTORS"] = ""
