"""Serving under several threads and behind proxies: artifacts are immutable, cached pages keep
the host they are for, a pruned cache folder is rebuilt, and relate is safe from many threads."""
import threading

import pytest

pytestmark = pytest.mark.real_data


def test_artifacts_are_immutable(client):
    page = client.get("/maps/pop?level=lad&vintage=2021").get_data(as_text=True)
    import re
    url = re.search(r'"url": "(/artifacts/[0-9a-f]{64}\.json)"', page).group(1)
    response = client.get(url)
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "no-cache" not in cache
    digest = url.split("/")[-1].split(".")[0]
    import hashlib
    assert hashlib.sha256(response.data).hexdigest() == digest        # named by its content
    assert client.get(url, headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    assert client.get("/artifacts/" + "0" * 64 + ".json").status_code == 404


def test_cached_pages_keep_their_host(client):
    first = client.get("/maps/pop?level=lad&vintage=2021", base_url="http://127.0.0.1:8000")
    second = client.get("/maps/pop?level=lad&vintage=2021", base_url="https://maps.example.org")
    assert "http://127.0.0.1:8000/embed/maps/pop" in first.get_data(as_text=True)
    page = second.get_data(as_text=True)
    assert "https://maps.example.org/embed/maps/pop" in page and "127.0.0.1:8000" not in page


def test_forwarded_host_and_scheme_behind_a_proxy(web_template, tmp_path):
    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_CACHE_DIR": str(tmp_path),
                      "GEOHUB_DATABASE_URL": "", "GEOHUB_PROXIES": "1"})
    page = app.test_client().get("/maps/pop", headers={"X-Forwarded-Proto": "https",
                                                       "X-Forwarded-Host": "maps.example.org"})
    assert "https://maps.example.org/embed/maps/pop" in page.get_data(as_text=True)


def test_a_pruned_cache_folder_is_rebuilt(web_template, tmp_path):
    import re
    import shutil

    from geohub import create_app
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_CACHE_DIR": str(tmp_path / "c"),
                      "GEOHUB_DATABASE_URL": ""})
    client = app.test_client()
    url = re.search(r'(/artifacts/[0-9a-f]{64}\.json)', client.get("/maps/pop").get_data(as_text=True)).group(1)
    shutil.rmtree(tmp_path / "c")
    again = re.search(r'(/artifacts/[0-9a-f]{64}\.json)', client.get("/maps/pop").get_data(as_text=True)).group(1)
    assert again == url and client.get(again).status_code == 200   # same content, file made again
    export = client.get("/maps/pop.csv")
    shutil.rmtree(tmp_path / "c")
    exported = client.get("/maps/pop.csv")
    assert exported.status_code == 200 and exported.data == export.data
    assert exported.headers["Content-Disposition"] == export.headers["Content-Disposition"]


def test_health(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok" and isinstance(body["revision"], int)


def test_relate_is_safe_from_many_threads(web_template):
    """Threads sharing one pair of frames (as a worker's threads share cached boundaries) used to
    crash GEOS's prepared geometries; relate now gives every thread the same, right answer."""
    from geohub.overlaps import relate
    from geohub.store import open_store
    with open_store(web_template) as store:
        lads, leps = store.areas("lad", 2021), store.areas("lep", 2021)
    expected = relate(lads.copy(), leps.copy())["share"].round(12).tolist()
    results, errors = [], []

    def work(a, b):
        try:
            results.append(relate(a, b)["share"].round(12).tolist())
        except Exception as exc:  # noqa: BLE001 (any failure fails the test below)
            errors.append(exc)
    for _ in range(3):
        a, b = lads.copy(), leps.copy()
        threads = [threading.Thread(target=work, args=(a, b)) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    assert errors == [] and len(results) == 12 and all(r == expected for r in results)
