"""WCAG 2.2 AA on every page, in Debian's chromium: axe-core finds no violation at 1280x800 or at
320 CSS px wide, nothing scrolls sideways at 320 px (reflow), and screenshots of each page at
1440x900 and 390x844 go to test-artifacts/."""
import pytest

from a11y import axe_violations, describe, horizontal_overflow
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

PAGES = {
    "home": "/",
    "search": "/?q=Manchester",
    "search-point": "/?q=53.4808%2C+-2.2426",
    "search-place": "/?q=Hebden+Bridge",
    "map": "/maps/pop?level=lad&vintage=2021&overlay=lep",
    "map-aggregated": "/maps/pop?level=lep&vintage=2021",
    "area": "/areas/E08000035",
    "area-lep": "/areas/E37000062",
    "area-lep-built": "/areas/E37000012",
    "area-place": "/areas/E02002247",
    "overlaps": "/overlaps/lad/lep",
    "compare": "/compare?areas=E08000035,E08000003&indicator=employed",
    "embed": "/embed/maps/pop?level=lad&vintage=2021",
    "not-found": "/areas/E99999999",
    "refused-map": "/maps/pop?level=lad&vintage=2017",
}


def open_page(chromium, url, width, height):
    # bypass_csp only so that axe can be injected; the pages themselves run under the strict CSP
    context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    if page.locator(".folium-map").count():  # geohub's layers flag when drawn; the area map has a path
        page.wait_for_function("document.documentElement.dataset.geohubReady === 'true' || "
                               "(!window.geohub && !!document.querySelector('.folium-map path'))",
                               timeout=60_000)
    return context, page


@pytest.mark.parametrize("name", list(PAGES))
def test_page_meets_wcag_22_aa(chromium, base_url, name):
    problems = []
    for width, height in ((1280, 800), (320, 640)):
        context, page = open_page(chromium, base_url + PAGES[name], width, height)
        try:
            violations = axe_violations(page)
            if violations:
                problems.append(f"{name} at {width}px:\n" + describe(violations))
            if width == 320 and horizontal_overflow(page) > 0:
                problems.append(f"{name} scrolls {horizontal_overflow(page)} px sideways at 320 px")
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshots(chromium, base_url, name):
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        context, page = open_page(chromium, base_url + PAGES[name], width, height)
        try:
            page.screenshot(path=str(ARTIFACTS / f"page-{name}-{width}x{height}.png"), full_page=False)
        finally:
            context.close()


@pytest.mark.parametrize("name", ["map", "area", "overlaps", "embed"])
def test_one_charset_and_a_zoomable_viewport(chromium, base_url, name):
    context, page = open_page(chromium, base_url + PAGES[name], 1280, 800)
    try:
        assert page.locator("meta[charset], meta[http-equiv=content-type i]").count() == 1
        viewports = page.locator("meta[name=viewport]")
        assert viewports.count() == 1
        content = viewports.get_attribute("content")
        assert "maximum-scale" not in content and "user-scalable" not in content
    finally:
        context.close()


def test_keyboard_reaches_the_map_its_areas_the_table_and_downloads(chromium, base_url):
    context, page = open_page(chromium, base_url + PAGES["map"], 1280, 800)
    try:
        page.keyboard.press("Tab")                         # first stop: the skip links
        skip = page.locator(":focus")
        assert skip.inner_text() == "Skip to the map" and skip.is_visible()
        page.keyboard.press("Tab")
        assert page.locator(":focus").inner_text() == "Skip to the table of values"
        page.keyboard.press("Enter")                       # jumps to the table
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")                         # past the scrolling region, its first sort button
        assert page.locator(":focus").inner_text() == "Area"
        # skip to the map, then into its areas: each is a link named with its name, value and unit
        page.goto(base_url + PAGES["map"])
        page.wait_for_selector("html[data-geohub-ready=true]")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        for _ in range(12):                                # zoom buttons and layer choices, then areas
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('path.geohub-area')"):
                break
        focused = page.locator(":focus")
        assert focused.get_attribute("role") == "link"
        label = focused.get_attribute("aria-label")
        assert label and ": " in label
        page.locator(".leaflet-tooltip").wait_for(state="visible")  # focus shows its tooltip
        code = focused.get_attribute("class").split("area-")[1].split()[0]
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/areas/{code}")
        # downloads have their own skip link
        page.go_back()
        page.wait_for_selector("html[data-geohub-ready=true]")
        for _ in range(3):
            page.keyboard.press("Tab")
        assert page.locator(":focus").inner_text() == "Skip to the downloads"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.locator(":focus").get_attribute("href").startswith("/maps/pop.png")
    finally:
        context.close()


def test_every_area_is_named_and_tabled_with_its_value(chromium, base_url):
    context, page = open_page(chromium, base_url + PAGES["map"], 1280, 800)
    try:
        labels = page.locator("path.geohub-area").evaluate_all("ps => ps.map(p => p.getAttribute('aria-label'))")
        assert len(labels) == 374 and all(labels)
        assert "Leeds: 798,786 people" in labels
        rows = page.locator("#values-table tbody tr")
        assert rows.count() == 374
        assert rows.first.locator("td").nth(0).inner_text() == "Birmingham"      # highest first
        leeds = page.locator("#values-table tbody tr", has_text="E08000035")
        assert leeds.locator("td").nth(2).inner_text() == "798,786 people"
        # the same class as the map: Leeds's swatch colour is its path's fill
        fill = page.locator("path.area-E08000035").get_attribute("fill")
        assert leeds.locator(".class-swatch").get_attribute("data-colour").lower() == fill.lower()
        # sortable: by name ascending
        page.get_by_role("button", name="Area").click()
        assert rows.first.locator("td").nth(0).inner_text() == "Aberdeen City"
    finally:
        context.close()


def test_settings_apply_with_the_button_not_on_change(chromium, base_url):
    context, page = open_page(chromium, base_url + PAGES["map"], 1280, 800)
    try:
        before = page.url
        page.locator("select[name=scheme]").focus()
        page.keyboard.press("ArrowDown")                   # changing a select keeps the page
        page.wait_for_timeout(500)
        assert page.url == before
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**scheme=**")
        assert "scheme=" in page.url and page.url != before
    finally:
        context.close()


def test_refused_map_form_still_works(chromium, base_url):
    context, page = open_page(chromium, base_url + PAGES["refused-map"], 1280, 800)
    try:
        assert "Cannot bridge lad values back" in page.get_by_role("alert").inner_text()
        assert page.locator("select[name=vintage] option[value='2017']").is_disabled()
        page.locator("select[name=vintage]").select_option("2025")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**vintage=2025**")
        page.wait_for_selector("html[data-geohub-ready=true]")
        assert page.get_by_role("alert").count() == 0
        assert "2025 boundaries" in page.locator(".map-subtitle").inner_text()
    finally:
        context.close()


def test_comparison_chart_in_the_browser(chromium, base_url):
    context, page = open_page(chromium, base_url + PAGES["compare"], 1280, 800)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.reload()
        assert page.locator("svg.chart polyline").count() == 2     # a count: England in the table only
        assert "England's total is in the table only" in page.locator("figcaption").inner_text()
        assert page.locator("table.data thead th").last.inner_text() == "England"
        assert page.locator("table.data tbody tr").count() == 5                   # five APS years
        assert [u for u in requests if not u.startswith(base_url)] == []
    finally:
        context.close()


def test_overlap_map_fills_the_councils_in_two_leps(chromium, base_url):
    context, page = open_page(chromium, base_url + PAGES["overlaps"], 1280, 800)
    try:
        several = page.locator("path.geohub-several")
        assert several.count() == 7
        assert {several.nth(i).get_attribute("fill").lower() for i in range(7)} == {"#f6a800"}
        assert page.locator(".leaflet-control-container .geohub-legend", has_text="in two or more").is_visible()
    finally:
        context.close()


def test_a_place_search_in_the_browser(chromium, base_url):
    """Typing a place name in the search box lists its LAD, LEP, CA and LSIP (by level name) with
    the gazetteer's licence, and no request leaves the server."""
    context, page = open_page(chromium, base_url + "/", 1280, 800)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.fill("#site-search", "Hebden Bridge")
        page.press("#site-search", "Enter")
        page.wait_for_selector("#places-title")
        places = page.locator("section.places")
        assert places.locator("h3").first.inner_text() == "Hebden Bridge"
        rows = places.locator("tbody tr").evaluate_all(
            "rs => rs.map(r => [...r.cells].slice(0, 3).map(c => c.innerText.trim()))")
        for expected in (["Calderdale", "E08000033", "Local authority district"],
                         ["Leeds City Region", "E37000062", "Local Enterprise Partnership"],
                         ["West Yorkshire", "E47000003", "Combined authority"],
                         ["West Yorkshire", "E69000037", "Local Skills Improvement Plan area"]):
            assert expected in rows
        assert "Open Parliament Licence v3.0" in places.locator(".place-licence").inner_text()
        page.locator('section.places a[href="/areas/E47000003"]').first.click()
        page.wait_for_url("**/areas/E47000003")
        assert [u for u in requests if not u.startswith(base_url) and not u.startswith("data:")] == []
    finally:
        context.close()


def test_built_from_table_in_the_browser(chromium, base_url):
    context, page = open_page(chromium, base_url + "/areas/E37000012", 1280, 800)
    try:
        page.get_by_role("link", name="built from 9 members").first.click()
        table = page.locator("#built-pop ~ div table")
        assert table.locator("tbody tr").count() == 9
        assert table.locator("tfoot").inner_text().startswith("Total (9 members)")
    finally:
        context.close()
