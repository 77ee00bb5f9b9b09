"""The overlaps page counts only where the target level exists, and fills the councils in two
targets in a colour of their own with a legend entry."""
import re

import pytest

pytestmark = pytest.mark.real_data


def summary(client, url):
    page = client.get(url).get_data(as_text=True)
    return " ".join(re.search(r'<p class="overlap-summary">(.*?)</p>', page, re.S).group(1).split())


def test_lep_summary_counts_english_councils_only(client):
    text = summary(client, "/overlaps/lad/lep")
    assert text.startswith("7 of 309 English local authority districts lie in two or more local "
                           "enterprise partnerships (")
    assert "in none" not in text                      # Wales, Scotland, NI are not "none"


def test_overlap_map_fills_councils_in_two_leps_with_a_legend_entry(client):
    page = client.get("/overlaps/lad/lep").get_data(as_text=True)
    assert re.search(r'"fill": "#f6a800"', page)
    legend = page[page.index('class="geohub-legend"'):]
    assert 'data-colour="#f6a800"' in legend
    assert "Local authority districts in two or more Local Enterprise Partnerships" in legend
