"""Area names on the interactive map and the embed (labels=auto|all|none), as on print maps: in
chromium, the names of a map with few areas are shown and overlap neither each other nor the
legend; a map of many areas shows none unless asked."""
import pytest

from live import browser, serve

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


@pytest.fixture(scope="module")
def page(web_app):
    with serve(web_app) as base, browser() as chromium:
        tab = chromium.new_page(viewport={"width": 1280, "height": 900})

        def open_(path):
            tab.goto(base + path)
            tab.wait_for_selector("html[data-geohub-ready=true]", timeout=60_000)
            return tab
        yield open_


def shown_boxes(tab):
    return tab.evaluate("""() => [...document.querySelectorAll('.geohub-label')]
        .filter(n => n.style.visibility !== 'hidden')
        .map(n => { const r = n.firstChild.getBoundingClientRect();
                    return {text: n.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom}; })""")


def overlap(a, b):
    return a["l"] < b["r"] and a["r"] > b["l"] and a["t"] < b["b"] and a["b"] > b["t"]


@pytest.mark.parametrize("path", ["/maps/pop?level=cauth&vintage=2021",
                                  "/embed/maps/pop?level=cauth&vintage=2021"])
def test_few_areas_are_named_without_overlaps(page, path):
    tab = page(path)
    boxes = shown_boxes(tab)
    assert len(boxes) >= 5 and "Greater Manchester" in {b["text"] for b in boxes}
    legend = tab.evaluate("""() => { const r = document.querySelector('.geohub-legend')
        .getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; }""")
    for i, a in enumerate(boxes):
        assert not overlap(a, legend), a["text"]
        for b in boxes[i + 1:]:
            assert not overlap(a, b), (a["text"], b["text"])
    assert tab.locator(".geohub-label[aria-hidden=true]").count() == tab.locator(".geohub-label").count()
    from conftest import ARTIFACTS
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"labels-{'embed' if 'embed' in path else 'map'}-1280x900.png"))


def test_labels_follow_the_option(page):
    assert page("/maps/pop?level=lad&vintage=2021").locator(".geohub-label").count() == 0
    assert page("/maps/pop?level=cauth&vintage=2021&labels=none").locator(".geohub-label").count() == 0
    tab = page("/maps/pop?level=lep&vintage=2021&labels=all")
    assert tab.locator(".geohub-label").count() == 38
    assert tab.locator("select[name=labels]").input_value() == "all"
