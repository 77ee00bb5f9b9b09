"""The hardening scenarios of bench/load_test.py (issue 16), each against a real server:

* ``distinct-params``: clients ask for map pages that differ only in parameters that change
  nothing (``breaks`` on a non-user scheme, ``weight`` on a count, the Host header) and in ones
  that do (palette, k): the artifact folder must stay within GEOHUB_CACHE_MAX_MB and worker memory
  must level off (GEOHUB_MEMORY_CACHE_ITEMS);
* ``distinct-dpi``: clients ask for PNG exports that are all cache misses (every palette x dpi
  preset x size); worker memory must stay within 1.5x of its idle size and ``/api/health`` p99
  under 1 s while they do;
* ``slowloris``: on the documented production setup (deploy/serve-production: nginx in front of
  gunicorn), 10 connections drip their headers while normal clients walk the URL mix: zero failed
  normal requests, and ``/api/health`` answering throughout.

Each returns a dict with its figures and ``passed``. Called by load_test.py ``--scenario NAME``.
"""
from __future__ import annotations

import http.client
import itertools
import os
import random
import signal
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _get(port: int, path: str, host: str | None = None, timeout: float = 120) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


class Probe(threading.Thread):
    """Asks /api/health every ``every`` seconds, and samples the server's memory: ``server_pids``
    (the workers and the processes under them) and, apart, ``worker_pids`` alone."""

    def __init__(self, port: int, server_pids, rss, every: float = 0.25, worker_pids=None):
        super().__init__(daemon=True)
        self.port, self.server_pids, self.rss, self.every = port, server_pids, rss, every
        self.worker_pids = worker_pids or server_pids
        self.latencies, self.failures, self.memory, self.worker_memory = [], 0, [], []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                status, seconds = _get(self.port, "/api/health", timeout=10)
                self.latencies.append(seconds)
                self.failures += status != 200
            except OSError:
                self.failures += 1
            self.memory.append(sum(self.rss(p) or 0 for p in self.server_pids()))
            self.worker_memory.append(sum(self.rss(p) or 0 for p in self.worker_pids()))
            self.stop.wait(self.every)

    def summary(self) -> dict:
        lat = sorted(self.latencies) or [float("nan")]
        return {"health_requests": len(self.latencies), "health_failures": self.failures,
                "health_p50_ms": round(statistics.median(lat) * 1000, 1),
                "health_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
                "health_max_ms": round(lat[-1] * 1000, 1),
                "workers_rss_mb_max": round(max(self.memory or [0]), 1),
                "workers_alone_rss_mb_max": round(max(self.worker_memory or [0]), 1)}


def _clients(n: int, duration: float, urls, port: int) -> dict:
    """``n`` threads taking (path, host) from the shared iterator ``urls`` for ``duration`` s."""
    lock, deadline = threading.Lock(), time.perf_counter() + duration
    counts = {"requests": 0, "failed": 0, "statuses": {}}

    def client():
        while time.perf_counter() < deadline:
            with lock:
                path, host = next(urls)
            try:
                status, _ = _get(port, path, host)
            except OSError:
                status = "error"
            with lock:
                counts["requests"] += 1
                counts["statuses"][str(status)] = counts["statuses"].get(str(status), 0) + 1
                counts["failed"] += status not in (200, 503)   # 503 + Retry-After is the designed answer
    threads = [threading.Thread(target=client) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def _folder(cache: Path) -> dict:
    files = [p for p in cache.rglob("*") if p.is_file()]
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 1e6, 2)}


def _measured(server, clients: int, duration: float, urls, rss) -> tuple[float, dict, "Probe"]:
    """(workers' idle RSS in MB, the clients' counts, the stopped probe) of one load run. The
    workers' memory counts the processes under them (their drawing processes)."""
    idle = sum(rss(p) or 0 for p in server.server_pids())
    probe = Probe(server.port, server.server_pids, rss, worker_pids=server.workers_pids)
    probe.start()
    counts = _clients(clients, duration, urls, server.port)
    probe.stop.set()
    probe.join()
    return idle, counts, probe


def distinct_params(server, cache: Path, clients: int, duration: float, rss) -> dict:
    """Cache misses made of parameters: the folder and worker memory stay within bounds."""
    port, bound_mb = server.port, float(server.env["GEOHUB_CACHE_MAX_MB"])
    counter = itertools.count()
    palettes = ("YlGnBu", "Blues", "Greens", "Reds", "Purples", "Oranges", "Greys", "BuPu")

    def urls():
        for i in counter:
            ignored = f"&breaks={i},{i + 1}&weight=w{i}"
            useful = f"&palette={palettes[i % len(palettes)]}&k={3 + (i // len(palettes)) % 7}"
            yield f"/maps/pop?level=lad&vintage=2021&period=2020{ignored}{useful}", f"h{i}.example"
    _get(port, "/maps/pop?level=lad&vintage=2021&period=2020")
    idle, counts, probe = _measured(server, clients, duration, urls(), rss)
    folder = _folder(cache)
    out = {"scenario": "distinct-params", "clients": clients, "seconds": duration, **counts,
           "distinct_urls_asked": next(counter), "cache_folder": folder,
           "cache_max_mb": bound_mb, "workers_rss_mb_idle": round(idle, 1), **probe.summary()}
    # the bound, plus at most one prune step (a tenth) written between two prunes
    out["passed"] = counts["failed"] == 0 and folder["mb"] <= bound_mb * 1.1 + 1
    return out


def distinct_dpi(server, cache: Path, clients: int, duration: float, rss) -> dict:
    """PNG exports that are all cache misses: flat worker memory, health answering."""
    port = server.port
    combos = [(p, d, s) for s in ("screen", "a4-landscape", "a4-portrait", "slide")
              for d in (96, 150, 300, 600)
              for p in ("YlGnBu", "Blues", "Greens", "Reds", "Purples", "Oranges", "Greys", "BuPu",
                        "PuBu", "GnBu", "OrRd", "YlGn", "RdBu", "PuOr")]
    random.Random(16).shuffle(combos)
    it = iter(combos)

    def urls():
        for palette, dpi, size in it:
            yield f"/maps/pop.png?level=lad&vintage=2021&period=2020&palette={palette}&dpi={dpi}&size={size}", None
        while True:   # every combination asked: keep the clients busy with the cheapest
            yield "/api/health", None
    _get(port, "/maps/pop.png?level=lad&vintage=2021&period=2020&palette=PRGn&dpi=96")
    time.sleep(1)
    alone_idle = sum(rss(p) or 0 for p in server.workers_pids())
    drawing = len(server.server_pids()) - len(server.workers_pids())
    idle, counts, probe = _measured(server, clients, duration, urls(), rss)
    summary = probe.summary()
    out = {"scenario": "distinct-dpi", "clients": clients, "seconds": duration, **counts,
           "workers_rss_mb_idle": round(idle, 1), "workers_alone_rss_mb_idle": round(alone_idle, 1),
           "processes_under_workers_idle": drawing, **summary,
           "rss_ratio": round(summary["workers_rss_mb_max"] / idle, 2) if idle else None,
           "cache_folder": _folder(cache)}
    out["passed"] = (counts["failed"] == 0 and out["rss_ratio"] is not None and out["rss_ratio"] <= 1.5
                     and summary["health_p99_ms"] < 1000 and summary["health_failures"] == 0)
    return out


def slowloris(env: dict, folder: Path, clients: int, duration: float, url_mix) -> dict:
    """deploy/serve-production with 10 dripping connections plus normal traffic."""
    from tests.postgres import free_port
    port, upstream = free_port(), free_port()
    env = {**env, "GEOHUB_LISTEN": f"127.0.0.1:{port}", "GEOHUB_UPSTREAM_PORT": str(upstream),
           "GEOHUB_RUN_DIR": str(folder / "production"), "GEOHUB_THREADS": env.get("GEOHUB_THREADS", "1")}
    log = open(folder / "production.log", "ab")
    proc = subprocess.Popen([str(REPO / "deploy" / "serve-production")], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 180
        while True:
            try:
                if _get(port, "/api/health", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("deploy/serve-production did not start; see " + str(folder / "production.log"))
            time.sleep(0.5)
        for _, path in url_mix:     # warm: this scenario is about slow clients, not cache misses
            _get(port, path)
        dripping, stop = [], threading.Event()
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
            dripping.append(s)
        reconnects = [0]

        def drip():
            while not stop.is_set():
                for i, s in enumerate(dripping):
                    try:
                        s.sendall(b"X")
                    except OSError:       # nginx dropped it (header timeout): a new one drips on
                        reconnects[0] += 1
                        s = socket.create_connection(("127.0.0.1", port))
                        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
                        dripping[i] = s
                stop.wait(1.0)
        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        probe = Probe(port, lambda: [], lambda p: 0)
        probe.start()
        counts = _clients(clients, duration, itertools.cycle([(p, None) for _, p in url_mix]), port)
        probe.stop.set()
        stop.set()
        probe.join()
        dripper.join()
        for s in dripping:
            s.close()
        summary = probe.summary()
        summary.pop("workers_rss_mb_max")
        summary.pop("workers_alone_rss_mb_max")
        out = {"scenario": "slowloris", "setup": "deploy/serve-production (nginx -> gunicorn gthread "
               f"-w {env.get('GEOHUB_WORKERS', '3')} --threads {env['GEOHUB_THREADS']} "
               f"--worker-connections {env['GEOHUB_THREADS']})",
               "dripping_connections": 10, "dripping_reconnects": reconnects[0],
               "normal_clients": clients, "seconds": duration, **counts, **summary}
        out["passed"] = counts["failed"] == 0 and summary["health_failures"] == 0
        return out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        log.close()
