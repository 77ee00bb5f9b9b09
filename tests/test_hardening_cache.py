"""Hardening of the artifact cache (issue 16, findings 1, 2 and 5): artifacts are served only as
what they are, cache keys hold only what changes the output (no Host, no ignored parameters),
and they key on the store's identity, so a re-created store never serves another's pages."""
import re

import pytest

from factories import THREE_LADS, lonlat_boxes

pytestmark = pytest.mark.real_data


def _objects(root):
    return sorted(p.name for p in (root / "objects").glob("*/*"))


@pytest.fixture
def fresh(web_template, tmp_path):
    """An app over the web store with its own, empty artifact folder."""
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "", "TESTING": True,
                      "GEOHUB_CACHE_DIR": str(tmp_path / "cache")})
    return app, app.test_client(), tmp_path / "cache"


def test_an_artifact_is_served_only_under_its_own_type(client):
    page = client.get("/maps/pop?level=lad&vintage=2021").get_data(as_text=True)
    url = re.search(r'"url": "(/artifacts/[0-9a-f]{64})\.json"', page).group(1)
    ok = client.get(url + ".json")
    assert ok.status_code == 200 and ok.mimetype == "application/json"
    assert "sandbox" in ok.headers["Content-Security-Policy"]
    for ext in ("html", "svg", "png", "csv", "geojson", "exe"):
        assert client.get(f"{url}.{ext}").status_code == 404, ext


def test_html_artifacts_are_downloads_not_pages(fresh):
    _, client, root = fresh
    assert client.get("/maps/pop?level=lad").status_code == 200
    html = [n for n in _objects(root) if n.endswith(".html")]
    assert html
    response = client.get(f"/artifacts/{html[0]}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_a_weight_on_a_count_is_not_copied_into_the_cache(fresh):
    _, client, root = fresh
    plain = client.get("/api/indicators/pop?level=lep")
    attack = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    hostile = client.get("/api/indicators/pop", query_string={"level": "lep", "weight": attack})
    assert hostile.status_code == 200 and b"evil.example" not in hostile.data
    assert hostile.headers["Link"] == plain.headers["Link"]          # one artifact, one key
    assert all(b"evil.example" not in p.read_bytes() for p in (root / "objects").glob("*/*"))


def test_a_weight_that_names_no_indicator_is_refused(client):
    # employed is a count too; a rate would take a weight, which must then be a stored indicator.
    from geohub.web.caching import canonical
    from geohub.maps.model import MapRequest
    from geohub.errors import NotFound
    with client.application.test_request_context():
        req = MapRequest("pop", weight="x")
        assert canonical(req).weight is None
        with pytest.raises(NotFound, match="no indicator"):
            canonical(MapRequest("rate-free", weight="../../x"))


def test_parameters_that_change_nothing_make_no_new_artifacts(fresh):
    _, client, root = fresh
    assert client.get("/maps/pop?level=lad").status_code == 200
    before = _objects(root)
    for i in range(5):
        assert client.get(f"/maps/pop?level=lad&breaks={i},{i + 1}").status_code == 200
        assert client.get(f"/maps/pop?level=lad&weight=w{i}").status_code == 200
        assert client.get("/maps/pop?level=lad", base_url=f"http://h{i}.example").status_code == 200
    assert _objects(root) == before


def test_the_host_comes_from_configuration_when_set(web_template, tmp_path):
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path), "GEOHUB_PUBLIC_URL": "https://maps.example.org"})
    client = app.test_client()
    page = client.get("/maps/pop", base_url="http://evil.example").get_data(as_text=True)
    assert "https://maps.example.org/embed/maps/pop" in page and "evil.example" not in page
    url = "https://maps.example.org/maps/pop?level=lad"
    oembed = client.get("/oembed", query_string={"url": url}, base_url="http://evil.example")
    assert oembed.status_code == 200 and "evil.example" not in oembed.get_data(as_text=True)
    assert client.get("/oembed", query_string={"url": "http://evil.example/maps/pop"}).status_code == 404


def test_user_breaks_are_bounded(client):
    breaks = ",".join(str(i) for i in range(13))
    response = client.get(f"/api/indicators/pop?level=lad&scheme=user&breaks={breaks}")
    assert response.status_code == 400 and "at most 12" in response.get_json()["hint"]
    many = ",".join(str(i) for i in range(300))
    assert client.get(f"/maps/pop?level=lad&scheme=user&breaks={many}").status_code == 400


def test_a_recreated_store_never_serves_the_old_ones_pages(store_path, geohub, tmp_path):
    """Delete the store and import other data at the same path: the revision counts up from 1
    again, but the running app serves the new store, not the old one's cached pages."""
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(store_path), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path / "cache")})
    client = app.test_client()
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "a.geojson", THREE_LADS)).exit_code == 0
    assert b"E06000001" in client.get("/api/topology/lad").data
    store_path.unlink()
    other = [("E07000001", "Elsewhere"), ("E07000002", "Nowhere"), ("E07000003", "Anywhere")]
    assert geohub("import-boundaries", lonlat_boxes(tmp_path / "b.geojson", other)).exit_code == 0
    body = client.get("/api/topology/lad").data
    assert b"E07000001" in body and b"E06000001" not in body


def test_a_restored_backup_then_written_gets_a_new_identity(store_path, tmp_path):
    import shutil

    from geohub.geography.boundaries import import_boundaries
    from geohub.store import open_store
    with open_store(store_path) as store:
        first = store.identity()
        import_boundaries(store, lonlat_boxes(tmp_path / "a.geojson", THREE_LADS))
        shutil.copyfile(store_path, tmp_path / "backup.gpkg")
        import_boundaries(store, lonlat_boxes(tmp_path / "b.geojson", THREE_LADS[:2]), vintage=2022)
        later = store.identity()
    shutil.copyfile(tmp_path / "backup.gpkg", store_path)
    with open_store(store_path) as store:
        import_boundaries(store, lonlat_boxes(tmp_path / "c.geojson", THREE_LADS[:1]), vintage=2022)
        assert store.revision() == 2 and store.identity() not in (first, later)
    with open_store(tmp_path / "other.gpkg") as other:
        assert other.identity().split("|")[0] != first.split("|")[0]


def test_the_artifact_folder_is_bounded(web_template, tmp_path):
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path / "c"), "GEOHUB_CACHE_MAX_MB": "0.3",
                      "GEOHUB_MEMORY_CACHE_ITEMS": "8"})
    client = app.test_client()
    for palette in ("Blues", "Greens", "Reds", "Purples", "Oranges", "Greys"):
        for k in (3, 4, 5, 6):
            assert client.get(f"/maps/pop?level=lad&k={k}&palette={palette}").status_code == 200
    size = sum(p.stat().st_size for p in (tmp_path / "c" / "objects").glob("*/*"))
    assert size <= 0.3 * 1024 * 1024 * 1.1 + 300_000     # the bound, plus at most one prune step
    assert len(app.extensions["geohub_cache"]) <= 8
    assert client.get("/maps/pop?level=lad").status_code == 200   # pruned artifacts are rebuilt


def test_cache_prune_command(fresh, geohub, tmp_path):
    from geohub.web.artifact_cache import ArtifactCache
    cache = ArtifactCache(tmp_path / "artifacts")       # the folder the geohub fixture uses
    import os
    for i in range(5):
        art = cache.put(f"k{i}", bytes([i]) * 100_000, ".json")
        os.utime(art.path, (1000 + i, 1000 + i))          # k0 least recently used
    result = geohub("cache", "prune", "--max-mb", "0.25")
    assert result.exit_code == 0 and "Removed 3 artifacts" in result.output
    assert [cache.get(f"k{i}", ".json") is not None for i in range(5)] == [False] * 3 + [True] * 2
    assert geohub("cache", "prune", "--max-mb", "0").exit_code == 0 and cache.size() == 0


def test_dpi_is_one_of_a_few_presets(client):
    assert client.get("/maps/pop.png?level=lep&dpi=97").status_code == 400
    assert client.get("/maps/pop.png?level=lep&dpi=96").status_code == 200


def test_renders_free_their_figures(web_template):
    """With automatic collection off (as between two full collections), a render loop leaves no
    matplotlib figure behind: memory stays flat however many distinct renders are asked for."""
    import gc

    from matplotlib.figure import Figure

    from geohub.maps.model import MapBuilder, MapRequest
    from geohub.maps.static_render import PrintOptions, render
    from geohub.store import open_store
    with open_store(web_template) as store:
        data = MapBuilder(store).build(MapRequest("pop", level="lep"))

    def figures():
        return sum(isinstance(o, Figure) for o in gc.get_objects())
    gc.collect()
    before = figures()
    gc.disable()
    try:
        for dpi in (72, 80, 96):
            assert render(data, "png", PrintOptions("screen", dpi))[:4] == b"\x89PNG"
        assert figures() == before
    finally:
        gc.enable()


def test_a_render_over_the_concurrency_limit_gets_503(web_template, tmp_path):
    import threading

    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path), "GEOHUB_RENDER_CONCURRENCY": "1",
                      "GEOHUB_RENDER_WAIT": "0.05"})
    from geohub.web.caching import render_slot
    held, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context(), render_slot():
            held.set()
            release.wait(30)
    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(30)
    try:
        busy = app.test_client().get("/maps/pop.png?level=lep&palette=Reds")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    finally:
        release.set()
        worker.join()
    assert app.test_client().get("/maps/pop.png?level=lep&palette=Reds").status_code == 200
