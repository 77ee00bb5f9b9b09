"""The renderer registry is the one home of export formats: a format registered only there (here a
plain-text table) is served by the web's export route with its type, stored and served as an
artifact, offered by ``geohub export --format`` and listed in the map page's download links."""
from __future__ import annotations

import re

import pytest


QUERY = "level=lad"


@pytest.fixture
def client(small_store, tmp_path):
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(small_store), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path / "web-artifacts")})
    return app.test_client()


@pytest.fixture
def text_format(monkeypatch):
    """A new export format, registered in the registry and nowhere else: the CSV as plain text."""
    from geohub.maps.exports import to_csv
    from geohub.maps.renderers import RENDERERS, Renderer
    monkeypatch.setitem(RENDERERS, "txt", Renderer("txt", "text/plain", lambda data, inputs: to_csv(data),
                                                   "Plain text", classes=False))
    return "txt"


def download_links(client) -> dict[str, str]:
    page = client.get(f"/maps/jobs?{QUERY}").get_data(as_text=True)
    section = page[page.index('id="downloads"'):page.index('class="embed-code"')]
    return {text: href.replace("&amp;", "&")
            for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)}


def test_unregistered_format_is_refused_everywhere(client, geohub, small_store, tmp_path):
    """What the walk-through below adds is not there without the registry entry."""
    assert client.get(f"/maps/jobs.txt?{QUERY}").status_code == 404
    result = geohub("export", "jobs", "--format", "txt", "--output", tmp_path)
    assert result.exit_code == 2 and "'txt' is not one of" in result.output
    assert "Plain text" not in download_links(client)


def test_a_format_registered_only_in_the_registry_is_served_offered_and_listed(
        text_format, client, geohub, small_store, tmp_path):
    csv = client.get(f"/maps/jobs.csv?{QUERY}").data
    # The web's export route serves it with its mimetype, named for what it shows.
    response = client.get(f"/maps/jobs.txt?{QUERY}")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.data == csv
    assert response.headers["Content-Disposition"] == 'attachment; filename="jobs_lad_2021_2020.txt"'
    # ... and its content-addressed artifact, under the same type.
    [canonical] = re.findall(r"</artifacts/([0-9a-f]{64}\.txt)>", response.headers["Link"])
    artifact = client.get(f"/artifacts/{canonical}")
    assert artifact.status_code == 200 and artifact.mimetype == "text/plain" and artifact.data == csv

    # geohub export --format offers it, lists it in its help, and writes it.
    assert "txt" in geohub("export", "--help").output
    result = geohub("export", "jobs", "--format", "txt", "--output", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "jobs_lad_2021_2020.txt").read_bytes() == csv

    # The map page links to it with its label, beside the built-in formats.
    links = download_links(client)
    assert links["Plain text"].startswith(f"/maps/jobs.txt?{QUERY}&vintage=2021&period=2020")
    assert client.get(links["Plain text"]).data == csv
    assert {"CSV", "GeoJSON", "HTML (works offline)"} <= set(links)


def test_unknown_format_names_the_registered_ones():
    from geohub.errors import InputError
    from geohub.maps.renderers import RENDERERS, renderer
    with pytest.raises(InputError) as err:
        renderer("bmp")
    assert "'bmp'" in err.value.message and err.value.hint == f"Formats: {', '.join(RENDERERS)}."
    assert renderer("png").image and renderer("png").raster and not renderer("svg").raster
    assert [r.disposition for r in RENDERERS.values()] == ["inline"] * 3 + ["attachment"] * 3
