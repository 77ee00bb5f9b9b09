"""The Nu HTML checker (npm ``vnu-jar`` in Debian's Java, installed by ``.ci/setup test``) finds no
error on any page a person opens: home, search, map, area, compare, overlaps, embed and the error
pages (the same pages as the axe-core tests), rendered from the real data by the app."""
import pytest

from test_browser_a11y import PAGES
from validators import vnu_messages

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def checked(web_app, tmp_path_factory):
    client = web_app.test_client()
    pages = {name: client.get(url).get_data(as_text=True) for name, url in PAGES.items()}
    return vnu_messages(pages, tmp_path_factory.mktemp("vnu"))


@pytest.mark.parametrize("name", list(PAGES))
def test_no_html_errors(checked, name):
    errors = [f"line {m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()[:100]}]"
              for m in checked[name] if m["type"] in ("error", "non-document-error")]
    assert not errors, f"{name} ({PAGES[name]}):\n" + "\n".join(errors)


def test_the_checker_finds_errors():
    """The checker is really run: a page with a second charset declaration (what folium's header
    once added) is an error."""
    import tempfile
    from pathlib import Path
    bad = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta charset="utf-8">'
           '<title>x</title></head><body><p>x</p></body></html>')
    [messages] = vnu_messages({"bad": bad}, Path(tempfile.mkdtemp())).values()
    assert any(m["type"] == "error" and "charset" in m["message"] for m in messages)
