"""The map in Debian's chromium (Playwright): loads with no console error and no request leaving
the server, draws one polygon per area, shows tooltips with values, toggles overlays, keeps its
legend, and shows a hostile area name as text. Screenshots go to test-artifacts/."""
import csv

import pytest

from conftest import ARTIFACTS, INDICATORS
from live import serve
from test_web_pages import EVIL, evil_app  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


class Watched:
    """A page whose console errors, page errors, dialogs and requests are recorded."""

    def __init__(self, chromium, base):
        self.base = base
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.requests, self.dialogs = [], [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path):
        self.page.goto(self.base + path)
        self.page.wait_for_selector("html[data-geohub-ready=true]", timeout=30_000)
        return self.page

    def outside(self):
        return [u for u in self.requests if not u.startswith(self.base) and not u.startswith("data:")]

    def shoot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def watched(chromium, base_url):
    w = Watched(chromium, base_url)
    yield w
    w.context.close()


def test_map_page_loads_cleanly_and_draws_every_area(watched):
    page = watched.open("/maps/pop?level=lad&vintage=2021&overlay=lep")
    watched.shoot("map-lad-2021-lep")
    assert watched.errors == [] and watched.outside() == []
    assert page.locator("path.geohub-area").count() == 374
    assert page.locator("path.geohub-missing").count() == 43          # Scotland and N. Ireland
    assert page.locator(".leaflet-control-container .geohub-legend").is_visible()
    assert page.locator(".geohub-legend .swatch").count() == 6


def test_tooltip_shows_name_value_and_memberships(watched):
    page = watched.open("/maps/pop?level=lad&vintage=2021")
    with open(INDICATORS / "ons_mye_mid2020_LAD21_EW_by_single_year_of_age.csv", newline="") as fh:
        pop = {r["ltla21_code"]: int(r["total_population"]) for r in csv.DictReader(fh)}
    page.locator("path.area-E06000057").hover()                      # Northumberland: large, clear of controls
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert "Northumberland" in text and "E06000057" in text
    assert f"{pop['E06000057']:,} people" in text
    assert "Local Enterprise Partnership: North East" in text and "Combined authority: North of Tyne" in text
    watched.shoot("tooltip-northumberland")


def test_toggling_an_overlay_hides_it(watched):
    page = watched.open("/maps/pop?level=lad&vintage=2021&overlay=lep,cauth")
    assert page.locator("path.geohub-overlay-lep").count() == 38
    assert page.locator("path.geohub-marked-lep").count() == 7        # the LADs in two LEPs
    # outlines sit in their own pane above the choropleth, whichever file arrived first
    assert page.locator(".leaflet-geohubOutlines-pane path.geohub-overlay-lep").count() == 38
    assert page.locator(".leaflet-geohubOutlines-pane path.geohub-area").count() == 0
    page.locator(".leaflet-control-layers").get_by_label("Local Enterprise Partnerships", exact=True).uncheck()
    assert page.locator("path.geohub-overlay-lep").count() == 0
    assert page.locator("path.geohub-overlay-cauth").count() == 10
    assert not page.locator(".geohub-legend [data-overlay=lep]").is_visible()
    watched.shoot("overlay-lep-off")


def test_aggregated_level_draws_its_areas(watched):
    page = watched.open("/maps/pop?level=lep&vintage=2021")
    assert page.locator("path.geohub-area").count() == 38 and watched.errors == []
    assert "Sum of member councils" in page.locator(".map-subtitle").inner_text()


def test_overlaps_page_in_the_browser(watched):
    page = watched.open("/overlaps/lad/cauth?vintage_b=2021")
    assert page.locator("path.geohub-overlay-cauth").count() == 10 and watched.outside() == []
    watched.shoot("overlaps-lad-cauth")


def test_hostile_area_name_is_text(chromium, evil_app):  # noqa: F811
    with serve(evil_app) as base:
        w = Watched(chromium, base)
        try:
            page = w.open("/maps/evil")
            page.locator("path.area-E06000001").hover()
            tooltip = page.locator(".leaflet-tooltip")
            tooltip.wait_for(state="visible")
            assert EVIL in tooltip.inner_text()
            assert tooltip.locator("img").count() == 0 and page.locator("main img").count() == 0
            assert "<b>bold</b> & co" in page.locator("h1").inner_text()
            page.wait_for_timeout(300)
            assert w.dialogs == [] and w.errors == []
            w.shoot("hostile-name")
        finally:
            w.context.close()
