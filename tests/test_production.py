"""The supported production setup (issue 16, finding 7): deploy/serve-production runs gunicorn
behind nginx, and ten slowloris connections (headers dripped a byte at a time) do not stop
/api/health or pages from answering."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import REPO

pytestmark = pytest.mark.real_data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def production(web_template, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    port, upstream = free_port(), free_port()
    env = {**os.environ, "GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
           "GEOHUB_CACHE_DIR": str(tmp_path / "cache"), "GEOHUB_LISTEN": f"127.0.0.1:{port}",
           "GEOHUB_UPSTREAM_PORT": str(upstream), "GEOHUB_RUN_DIR": str(tmp_path / "run"),
           "GEOHUB_WORKERS": "2", "GEOHUB_THREADS": "2"}
    process = subprocess.Popen([str(REPO / "deploy" / "serve-production")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if get(base + "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stdout.read().decode()
            assert time.time() < deadline, "the production setup did not answer within 120 s"
            time.sleep(0.5)
        yield base, port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_slowloris_does_not_stop_the_service(production):
    base, port = production
    dripping = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        dripping.append(s)
    try:
        for i in range(20):
            for s in dripping:
                s.sendall(b"X-a: b\r\n"[i % 8:i % 8 + 1])    # a byte per connection per round
            status, body = get(base + "/api/health")
            assert status == 200 and b'"status"' in body
            if i % 5 == 0:
                status, page = get(base + "/maps/pop?level=lep", timeout=60)
                assert status == 200 and b"<html" in page.lower()
            time.sleep(0.1)
    finally:
        for s in dripping:
            s.close()


def test_behind_nginx_urls_use_the_forwarded_host(production):
    base, _ = production
    request = urllib.request.Request(base + "/maps/pop?level=lep", headers={"Host": "maps.example.org"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert b"http://maps.example.org/embed/maps/pop" in response.read()
