"""No dead ends: the map controls disable what cannot be drawn (with the reason beside it), and a
refused map says why in words for web users above a form that still works."""
import re

import pytest

pytestmark = pytest.mark.real_data


def test_boundary_years_that_cannot_be_drawn_are_disabled_with_the_reason(client):
    page = client.get("/maps/pop?level=lad&vintage=2021").get_data(as_text=True)
    disabled = re.findall(r'<option value="(\d{4})" disabled>\d{4} \(unavailable: ([^)]*)\)', page)
    years = [int(y) for y, _ in disabled]
    assert 2017 in years and 2019 in years and all(y < 2021 for y in years)
    assert disabled[0][1] == "values are on 2021 codes and are not carried back"
    assert '<option value="2021" selected>2021</option>' in page


@pytest.mark.parametrize("url, said", [
    ("/maps/pop?level=lad&vintage=2017", "Cannot bridge lad values back from 2021 to 2017."),
    ("/maps/pop?k=99", "k=99 classes is out of range."),
    ("/maps/pop?period=1999", "has no values for period"),
])
def test_a_refused_map_keeps_the_form(client, url, said):
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 404)
    alert = re.search(r'<div class="refused" role="alert">(.*?)</div>', page, re.S).group(1)
    assert said in alert.replace("&#39;", "'")
    assert "Shown instead: Local authority districts" in alert
    assert " --" not in alert                                  # parameter words, no CLI flags
    assert page.index('class="refused"') < page.index('<form class="map-controls"')
    assert '<button type="submit">Show</button>' in page


def test_an_unknown_indicator_is_still_an_error_page(client):
    response = client.get("/maps/nope")
    assert response.status_code == 404 and "There is no indicator" in response.get_data(as_text=True)


def test_web_reachable_vintage_errors_name_no_cli_flag(client):
    response = client.get("/overlaps/lad/lep?vintage_b=20x1")
    assert response.status_code == 400 and "--vintage" not in response.get_data(as_text=True)
