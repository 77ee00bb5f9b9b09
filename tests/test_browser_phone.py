"""The map page on phones and small screens, and a map a person can read (issue 12, items 2, 6
and 7), in Debian's chromium on the real shared data: at 390x844 and 320 px the map comes before
the settings, the settings and the legend fold behind buttons that work from the keyboard,
nothing scrolls sideways and touch targets are 24x24 px or more; on every size the legend folds,
the attribution keeps clear of the scale bar, tooltips stay inside the map, and a click on an area
opens a panel that links to its profile and to a comparison. Screenshots go to test-artifacts/."""
from contextlib import contextmanager

import pytest

from a11y import horizontal_overflow
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.real_data]

MAP = "/maps/pop?level=lad&vintage=2021&overlay=lep"
LEP_MAP = "/maps/pop?level=lep"
GBS = "E37000012"          # Greater Birmingham and Solihull LEP
LEEDS = "E08000035"
PHONES = [(390, 844), (320, 640)]


@contextmanager
def open_map(chromium, url, width, height):
    """A page of its own browser context at ``url``, drawn; the context closes afterwards."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("html[data-geohub-ready=true]", timeout=60_000)
        yield page
    finally:
        context.close()


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def overlaps(a, b):
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def inside(inner, outer, slack=0.5):
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


@pytest.mark.parametrize("width,height", PHONES)
def test_on_a_phone_the_map_comes_first_and_nothing_scrolls_sideways(chromium, base_url, width, height):
    with open_map(chromium, base_url + MAP, width, height) as page:
        toggle = page.locator("button.controls-toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("form.map-controls").is_visible()
        frame = box(page, "#map-view")
        assert frame["y"] < 0.5 * height, f"the map starts {frame['y']} px down a {height} px screen"
        assert frame["height"] >= 0.4 * height
        legend = page.locator(".geohub-legend")
        assert legend.locator("button.geohub-legend-toggle").get_attribute("aria-expanded") == "false"
        assert not legend.locator(".geohub-legend-classes").is_visible()
        assert legend.bounding_box()["height"] < 0.15 * frame["height"]
        layers = page.locator(".leaflet-control-layers")        # folded to its button too
        assert not page.locator(".leaflet-control-layers-list").is_visible()
        assert layers.bounding_box()["height"] <= 48
        assert horizontal_overflow(page) == 0
        toggle.click()                                    # settings open: still no sideways scroll
        assert page.locator("form.map-controls").is_visible()
        assert horizontal_overflow(page) == 0
        if width == 390:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "map-phone-settings-open-390x844.png"))


def test_settings_and_legend_toggle_from_the_keyboard(chromium, base_url):
    with open_map(chromium, base_url + MAP, 390, 844) as page:
        for _ in range(15):                               # skip links, the header, then the button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('button.controls-toggle')"):
                break
        toggle = page.locator("button.controls-toggle")
        assert page.evaluate("document.activeElement.matches('button.controls-toggle')")
        assert toggle.get_attribute("aria-controls") == "map-controls"
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Tab")                        # next stop: the first setting
        assert page.evaluate("document.activeElement.name") == "level"
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Space")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("form.map-controls").is_visible()

        legend_button = page.locator("button.geohub-legend-toggle")
        legend_button.focus()
        page.keyboard.press("Enter")
        assert legend_button.get_attribute("aria-expanded") == "true"
        assert page.locator(".geohub-legend-classes").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-phone-legend-open-390x844.png"))
        page.keyboard.press("Space")
        assert legend_button.get_attribute("aria-expanded") == "false"
        assert not page.locator(".geohub-legend-classes").is_visible()


@pytest.mark.parametrize("width,height", PHONES)
def test_touch_targets_are_at_least_24_px(chromium, base_url, width, height):
    with open_map(chromium, base_url + MAP, width, height) as page:
        page.locator("button.controls-toggle").click()
        page.locator("button.geohub-legend-toggle").click()
        small = page.evaluate("""() => {
          const out = [];
          const targets = document.querySelectorAll(
            "button, select, input:not([type=hidden]), textarea, summary, .leaflet-control a, " +
            ".downloads a, .leaflet-control-layers-toggle");
          for (const t of targets) {
            const r = t.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) continue;          // not shown
            if (r.width < 24 || r.height < 24) {
              out.push(`${t.tagName}.${t.className} "${(t.textContent || t.name || '').trim().slice(0, 30)}" ` +
                       `${r.width.toFixed(1)}x${r.height.toFixed(1)}`);
            }
          }
          return out;
        }""")
        # The attribution's links sit in a line of text (an exception in WCAG 2.5.8).
        small = [s for s in small if "Leaflet" not in s and "OpenStreetMap" not in s]
        assert small == []


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_attribution_is_compact_and_clear_of_the_scale_bar(chromium, base_url, width, height):
    with open_map(chromium, base_url + MAP, width, height) as page:
        attribution = box(page, ".leaflet-control-attribution")
        scale = box(page, ".leaflet-control-scale")
        frame = box(page, "#map-view")
        assert not overlaps(attribution, scale), (attribution, scale)
        assert inside(attribution, frame) and inside(scale, frame)
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                             "'.leaflet-control-attribution')).lineHeight) || 16")
        assert attribution["height"] <= line * (3.5 if width > 600 else 1.5)
        assert attribution["height"] < 0.1 * frame["height"]
        assert "Contains OS data" in (page.locator(".leaflet-control-attribution").get_attribute("title") or
                                      page.locator(".leaflet-control-attribution").inner_text())
        assert "Contains OS data" in page.locator(".map-notes").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-{width}x{height}.png"))
        page.locator("#map-view").screenshot(path=str(ARTIFACTS / f"map-frame-{width}x{height}.png"))


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_the_legend_folds_on_every_screen(chromium, base_url, width, height):
    with open_map(chromium, base_url + MAP, width, height) as page:
        button = page.locator(".geohub-legend button.geohub-legend-toggle")
        classes = page.locator(".geohub-legend-classes")
        wide = width > 480
        assert button.is_visible() and button.get_attribute("aria-expanded") == str(wide).lower()
        assert classes.is_visible() == wide
        button.click()
        assert button.get_attribute("aria-expanded") == str(not wide).lower()
        assert classes.is_visible() == (not wide)


def _tooltip_inside(page, frame):
    tip = page.locator(".leaflet-tooltip")
    tip.first.wait_for(state="visible", timeout=5_000)
    return tip.first.bounding_box(), tip.first.inner_text()


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_tooltips_stay_inside_the_map(chromium, base_url, width, height):
    with open_map(chromium, base_url + LEP_MAP, width, height) as page:
        frame = box(page, "#map-view")
        # a point where the LEP itself is on top (LEPs overlap: Stoke-on-Trent and Staffordshire
        # covers the middle of its bounding box)
        point = page.evaluate("""(code) => {
          const path = document.querySelector('path.area-' + code);
          const r = path.getBoundingClientRect();
          for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
            const x = r.left + r.width * i / 20, y = r.top + r.height * j / 20;
            if (document.elementFromPoint(x, y) === path) return [x, y];
          }
          return null;
        }""", GBS)
        assert point, "no visible point of Greater Birmingham and Solihull"
        page.mouse.move(*point)   # one jump: passing over a neighbour would bring it to the front
        tip, text = _tooltip_inside(page, frame)
        assert "Greater Birmingham and Solihull" in text
        assert inside(tip, frame), f"tooltip {tip} outside the map {frame}"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"map-lep-tooltip-{width}x{height}.png"))
        # Everywhere on the map, near its edges too: every tooltip inside the frame.
        seen = 0
        for fx in (0.05, 0.3, 0.45, 0.49, 0.7, 0.95):
            for fy in (0.05, 0.3, 0.5, 0.7, 0.95):
                x, y = frame["x"] + fx * frame["width"], frame["y"] + fy * frame["height"]
                page.mouse.move(x, y)
                page.mouse.move(x + 1, y + 1)
                tip = page.evaluate("""() => {
                  const t = document.querySelector('.leaflet-tooltip');
                  if (!t) return null;
                  const r = t.getBoundingClientRect();
                  return {x: r.x, y: r.y, width: r.width, height: r.height};
                }""")
                if tip:
                    seen += 1
                    assert inside(tip, frame), f"at ({fx}, {fy}): tooltip {tip} outside the map {frame}"
        assert seen >= 8, f"only {seen} of 30 points showed a tooltip"


def test_a_click_on_an_area_offers_its_profile_and_a_comparison(chromium, base_url):
    with open_map(chromium, base_url + MAP, 1440, 900) as page:
        page.locator(f"path.area-{LEEDS}").click()
        panel = page.locator(".leaflet-popup .geohub-panel")
        panel.wait_for(state="visible", timeout=5_000)
        assert "Leeds" in panel.inner_text()
        assert panel.locator("a.profile").get_attribute("href") == f"/areas/{LEEDS}"
        compare = panel.locator("a.compare")
        assert compare.inner_text() == "Add to comparison"
        assert compare.get_attribute("href") == f"/compare?indicator=pop&areas={LEEDS}"
        page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#map-view").screenshot(path=str(ARTIFACTS / "map-area-panel-1440x900.png"))
        with page.expect_navigation():
            compare.click()
        assert page.url.endswith(f"/compare?indicator=pop&areas={LEEDS}")
        assert LEEDS in page.locator("form input[name=areas], form textarea[name=areas]").first.input_value()


def test_the_embed_still_works_at_320_px(chromium, base_url):
    with open_map(chromium, base_url + "/embed/maps/pop?level=lad&vintage=2021", 320, 480) as page:
        assert page.locator("path.geohub-area").count() == 374
        assert horizontal_overflow(page) == 0
        button = page.locator("button.geohub-legend-toggle")
        assert button.get_attribute("aria-expanded") == "false"
        button.focus()
        page.keyboard.press("Enter")
        assert page.locator(".geohub-legend-classes").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "embed-320-legend-open-keyboard.png"))
