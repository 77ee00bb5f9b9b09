"""Load test: geohub under gunicorn on loopback, 64 concurrent clients for 30 s, driven by wrk.

For each store (the GeoPackage built by ``map_bench.build_store`` and a PostGIS copy of it, in a
throwaway cluster started by ``tests/postgres.py``) and each cache state:

* ``cold``  a new, empty GEOHUB_CACHE_DIR and freshly started gunicorn workers (app imported,
            nothing requested but one static file); measured from the first request, so the
            workers' in-memory caches and the shared artifacts are built under load;
* ``warm``  the same server right after, every cache filled.

The load generator is wrk (Debian's package; C, event-driven, keep-alive connections): a Lua script
rotates every connection through a fixed URL mix of map pages, embeds, API GETs, the TopoJSON
artifacts the pages reference (discovered from the pages' bodies, as a browser would) and the home
page; any response that is not 2xx/3xx, and any socket error or timeout, is an error. Afterwards
every URL is fetched once more (status, headers, single-client latency). See bench/README.md.

    .venv/bin/python bench/load_test.py [--quick] [--duration S] [--clients N] [--output PATH]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # benchmark the working tree's geohub
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from common import git, package_version, shared_data  # noqa: E402
from map_bench import build_store, machine_info  # noqa: E402

from geohub.store import open_store  # noqa: E402
from geohub.store.copy import copy_store  # noqa: E402
from tests.postgres import free_port, postgis_server  # noqa: E402

DEFAULT_OUTPUT = REPO / "bench" / "results" / "load.json"
GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
SCHEMA = "loadtest"
READY_PATH = "/static/geohub-map.js"   # answered by Flask without touching the store or any cache
MAP_QUERY = "level=lad&vintage=2021&period=2020"

# The URL mix: every connection walks this list in turn (each starting at its own offset), so each
# entry gets 1/len of the requests. "artifact" entries are the content-addressed TopoJSON files the
# map pages reference: not known before a page has been rendered, they are taken from the bodies of
# the pages as they come back (sorted by digest; slot n takes the n-th); until a connection's thread
# has seen one, the slot requests the first map page instead, as a browser would.
URL_MIX = [
    ("page", f"/maps/pop?{MAP_QUERY}"),
    ("page", f"/maps/pop?{MAP_QUERY}&scheme=equal_interval&k=7"),
    ("page", f"/maps/pop?{MAP_QUERY}&scheme=natural_breaks&k=6&overlay=lep"),
    ("page", f"/maps/pop?{MAP_QUERY}&overlay=cauth"),
    ("page", "/maps/pop?level=cauth&vintage=2021&period=2020"),   # LADs aggregated to CAUTHs
    ("embed", f"/embed/maps/pop?{MAP_QUERY}"),
    ("embed", f"/embed/maps/pop?{MAP_QUERY}&overlay=lep"),
    ("api", "/api/levels"),
    ("api", "/api/indicators"),
    ("api", "/api/indicators/pop?level=lad&vintage=2021"),
    ("api", "/api/lookup?lat=53.4808&lon=-2.2426"),   # Manchester
    ("api", "/api/lookup?lat=53.7997&lon=-1.5492"),   # Leeds
    ("api", "/api/lookup?lat=51.4545&lon=-2.5879"),   # Bristol
    ("api", "/api/lookup?lat=51.5072&lon=-0.1276"),   # Westminster
    ("artifact", 1),
    ("artifact", 2),
    ("artifact", 3),
    ("home", "/"),
]

# Workers and threads: see bench/README.md. In short, on 2 cores: 3 workers (cores + 1, so that a
# worker waiting on the store or the disk leaves no core idle; 2 to 4 gave the same warm throughput,
# and every extra worker repeats the cold work of filling its in-memory caches) and ONE thread each:
# the work is CPU-bound and spatial work runs one call at a time per process (SPATIAL_LOCK in
# geohub/overlaps/relate.py), so more threads add no throughput.
DEFAULT_WORKERS, DEFAULT_THREADS, DEFAULT_WORKER_CLASS = 3, 1, "gthread"

GUNICORN_CONF = '''\
# written by bench/load_test.py: only marks when a worker has imported the app
def post_worker_init(worker):
    worker.log.info("load_test: worker %s ready", worker.pid)
'''

LUA = r'''
-- written by bench/load_test.py: rotate through the URL mix, count statuses, discover artifacts
local entries = __ENTRIES__
local fallback = entries[1].path
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  i = tid * 5                 -- each thread starts elsewhere in the list
  statuses, sent, found, seen = {}, {}, {}, {}
end

function request()
  i = i + 1
  local e = entries[(i % #entries) + 1]
  local path, kind = e.path, e.kind
  if kind == "artifact" then
    if #found > 0 then
      path = found[((e.slot - 1) % #found) + 1]
    else
      path, kind = fallback, "artifact_pending_page"
    end
  end
  sent[path] = (sent[path] or 0) + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if #found < __MAX_ARTIFACTS__ and body and string.find(body, "/artifacts/", 1, true) then
    local added = false
    for p in string.gmatch(body, "/artifacts/%x+%.json") do
      if not seen[p] then seen[p] = true; table.insert(found, p); added = true end
    end
    if added then table.sort(found) end
  end
end

local function encode(v)
  local t = type(v)
  if t == "table" then
    local parts = {}
    if #v > 0 then
      for _, x in ipairs(v) do parts[#parts + 1] = encode(x) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do parts[#parts + 1] = encode(tostring(k)) .. ":" .. encode(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" then
    return string.format("%.17g", v)
  elseif t == "boolean" then
    return tostring(v)
  end
  return "null"
end

local function add(into, from)
  for k, v in pairs(from) do into[k] = (into[k] or 0) + v end
end

function done(summary, latency, requests)
  local statuses_all, sent_all, found_all, union = {}, {}, {}, {}
  for _, t in ipairs(threads) do
    add(statuses_all, t:get("statuses"))
    add(sent_all, t:get("sent"))
    for _, p in ipairs(t:get("found")) do
      if not union[p] then union[p] = true; table.insert(found_all, p) end
    end
  end
  table.sort(found_all)
  local pct = {}
  for _, p in ipairs({50, 75, 90, 99, 99.9}) do pct[tostring(p)] = latency:percentile(p) end
  io.write("LOAD_TEST_JSON ", encode({
    duration_us = summary.duration, requests = summary.requests, bytes = summary.bytes,
    errors = summary.errors, statuses = statuses_all, sent = sent_all, artifacts = found_all,
    latency_us = {min = latency.min, max = latency.max, mean = latency.mean,
                  stdev = latency.stdev, percentiles = pct},
  }), "\n")
end
'''


# ------------------------------------------------------------------------------------------ helpers

def lua_script(max_artifacts: int) -> str:
    rows = []
    for kind, value in URL_MIX:
        if kind == "artifact":
            rows.append(f'{{kind="artifact", slot={int(value)}}}')
        else:
            rows.append(f'{{kind="{kind}", path={json.dumps(value)}}}')
    return (LUA.replace("__ENTRIES__", "{\n  " + ",\n  ".join(rows) + "\n}")
               .replace("__MAX_ARTIFACTS__", str(max_artifacts)))


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def machine_cpu() -> tuple[float, float, float]:
    """(busy, total, steal) CPU seconds of the whole machine so far, from /proc/stat (steal: time
    the hypervisor gave to other machines; counted in busy)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick, values[7] / tick


# ------------------------------------------------------------------------------------------ server

class Gunicorn:
    """``gunicorn -w W --threads T -b 127.0.0.1:PORT wsgi:app`` in the repository, with ``env``."""

    def __init__(self, env: dict, workers: int, threads: int, worker_class: str, folder: Path,
                 production: bool = False):
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.log = folder / "gunicorn.log"
        conf = folder / "gunicorn_conf.py"
        conf.write_text(GUNICORN_CONF)
        # production: as deploy/serve-production runs gunicorn, a worker takes no more connections
        # than it has threads (clients here, like nginx there, use a connection per request).
        limit = ["--worker-connections", str(threads)] if production else []
        self.args = [str(GUNICORN), "-c", str(conf), "-k", worker_class, "-w", str(workers),
                     "--threads", str(threads), *limit, "-b", f"127.0.0.1:{self.port}",
                     "--no-control-socket", "wsgi:app"]
        self.env = env
        self.proc = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> float:
        started = time.perf_counter()
        self._log = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see its log:\n"
                                   + self.log.read_text()[-3000:])
            ready = self.log.read_text(errors="replace").count("load_test: worker")
            if ready >= self.workers and self._answers():
                return time.perf_counter() - started
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not get ready within {timeout} s; log:\n"
                           + self.log.read_text()[-3000:])

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", READY_PATH)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def workers_pids(self) -> list[int]:
        return children(self.proc.pid)

    def server_pids(self) -> list[int]:
        """The workers and every process under them (each worker's drawing processes,
        geohub/maps/render_process.py): the memory the server takes."""
        parents = {}   # one pass over /proc, not one per process
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        out, todo = [], [pid for pid, parent in parents.items() if parent == self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(p for p, parent in parents.items() if parent == pid)
        return sorted(out)

    def stop(self, timeout: float = 40) -> dict:
        """SIGTERM (gunicorn's graceful shutdown), SIGKILL only if it has not ended in time."""
        if self.proc is None or self.proc.poll() is not None:
            return {"returncode": None if self.proc is None else self.proc.returncode}
        started = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        killed = False
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            killed = True
        self._log.close()
        return {"returncode": self.proc.returncode, "killed": killed,
                "seconds": round(time.perf_counter() - started, 2)}

    def log_problems(self) -> list[str]:
        """Lines of the server's log that say something went wrong (errors, tracebacks, timeouts)."""
        bad = re.compile(r"\[(ERROR|CRITICAL)\]|Traceback|Fatal Python error|WORKER TIMEOUT|Exception|Worker \(pid:\d+\) "
                         r"(was sent|exited)", re.IGNORECASE)
        return [line for line in self.log.read_text(errors="replace").splitlines() if bad.search(line)]


# ------------------------------------------------------------------------------------------ load

def run_wrk(base: str, script: Path, clients: int, duration: int, threads: int,
            timeout: int) -> dict:
    args = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{duration}s", "--latency",
            "--timeout", f"{timeout}s", "-s", str(script), base]
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=duration + timeout + 60)
    wall = time.perf_counter() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("LOAD_TEST_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.split(" ", 1)[1])
    text = "\n".join(ln for ln in done.stdout.splitlines() if not ln.startswith("LOAD_TEST_JSON "))
    client_cpu = (after_children.ru_utime - before_children.ru_utime
                  + after_children.ru_stime - before_children.ru_stime)
    return {"command": " ".join(args), "raw": raw, "output": text, "wall_seconds": round(wall, 2),
            "client_cpu_seconds": round(client_cpu, 2)}


def summarise(wrk: dict) -> dict:
    raw = wrk["raw"]
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    pct = lat["percentiles"]
    ms = lambda us: round(us / 1000, 2)  # noqa: E731
    statuses = {k: int(v) for k, v in sorted(raw["statuses"].items())}
    errors = {f"socket_{k}": int(v) for k, v in raw["errors"].items() if k != "status" and v}
    for status, n in statuses.items():
        if not 200 <= int(status) < 400:
            errors[f"http_{status}"] = n
    return {
        "seconds": round(seconds, 2), "requests": int(raw["requests"]),
        "requests_per_second": round(raw["requests"] / seconds, 1),
        "bytes": int(raw["bytes"]), "megabytes_per_second": round(raw["bytes"] / seconds / 1e6, 2),
        "latency_ms": {"p50": ms(pct["50"]), "p75": ms(pct["75"]), "p90": ms(pct["90"]),
                       "p99": ms(pct["99"]), "p99_9": ms(pct["99.9"]), "mean": ms(lat["mean"]),
                       "min": ms(lat["min"]), "max": ms(lat["max"])},
        "statuses": statuses, "errors": errors, "error_count": sum(errors.values()),
        # wrk counts status >= 400 itself; it must agree with the Lua count above
        "wrk_status_errors": int(raw["errors"].get("status", 0)),
        "artifacts_discovered": raw["artifacts"],
        "requests_sent_per_url": dict(sorted(raw["sent"].items(), key=lambda kv: -kv[1])),
    }


def check_urls(port: int, urls: list[tuple[str, str]], repeats: int = 5) -> list[dict]:
    """Every URL of the mix once more, one client, after the warm run: status, type, size, cache
    headers, single-client latency (median of ``repeats``) and, where there is an ETag, whether
    revalidating answers 304."""
    conn = None

    def get(url, headers=None):
        nonlocal conn
        for attempt in (1, 2):   # the server may have closed an idle keep-alive connection
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                conn.request("GET", url, headers=headers or {})
                response = conn.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                conn.close()
                conn = None
                if attempt == 2:
                    raise

    out = []
    for kind, url in urls:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            response, body = get(url)
            times.append(time.perf_counter() - start)
        headers = dict(response.getheaders())
        row = {"kind": kind, "url": url, "status": response.status,
               "content_type": headers.get("Content-Type"), "bytes": len(body),
               "etag": headers.get("ETag"), "cache_control": headers.get("Cache-Control"),
               "single_client_ms_median": round(statistics.median(times) * 1000, 2),
               "single_client_ms_best": round(min(times) * 1000, 2)}
        if headers.get("ETag"):
            row["revalidation_status"] = get(url, {"If-None-Match": headers["ETag"]})[0].status
        out.append(row)
    if conn is not None:
        conn.close()
    return out


# ------------------------------------------------------------------------------------------ run

def postgis_url_with_schema(url: str) -> str:
    return url + ("&" if "?" in url else "?") + f"schema={SCHEMA}"


def server_env(store: str, gpkg: Path, pg_url: str | None, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOHUB_")}
    env["GEOHUB_STORE"] = str(gpkg)
    env["GEOHUB_CACHE_DIR"] = str(cache)
    if store == "postgis":
        env["GEOHUB_DATABASE_URL"] = pg_url
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONFAULTHANDLER"] = "1"   # a worker that crashes in C writes every thread's stack to the log
    return env


def measure_store(store: str, args, gpkg: Path, pg_url: str | None, folder: Path, script: Path,
                  artifact_urls: list) -> dict:
    cache = folder / f"cache-{store}"
    cache.mkdir()   # new and empty: the cold run starts with no artifact
    server_dir = folder / f"server-{store}"
    server_dir.mkdir()
    server = Gunicorn(server_env(store, gpkg, pg_url, cache), args.workers, args.threads,
                      args.worker_class, server_dir)
    result = {"store": store, "gunicorn_command": " ".join(
        ["GEOHUB_STORE=…" if store == "gpkg" else "GEOHUB_DATABASE_URL=…", "GEOHUB_CACHE_DIR=…",
         ".venv/bin/gunicorn", *server.args[3:]])}
    print(f"[{store}] starting gunicorn ({args.workers} workers x {args.threads} threads) ...",
          flush=True)
    result["startup_seconds"] = round(server.start(), 2)
    try:
        runs = {}
        for state in ("cold", "warm"):
            pids = server.workers_pids()
            cpu0 = {p: proc_cpu_seconds(p) for p in [server.proc.pid, *pids]}
            busy0, total0, steal0 = machine_cpu()
            print(f"[{store}] {state}: {args.clients} clients for {args.duration} s ...", flush=True)
            wrk = run_wrk(server.base, script, args.clients, args.duration, args.wrk_threads,
                          args.timeout)
            busy1, total1, steal1 = machine_cpu()
            pids_after = server.workers_pids()
            server_cpu = sum(proc_cpu_seconds(p) - cpu0.get(p, 0.0)
                             for p in [server.proc.pid, *pids_after])
            summary = summarise(wrk)
            wall = total1 - total0
            summary["cpu"] = {
                "machine_busy_share": round((busy1 - busy0) / wall, 3) if wall else None,
                "machine_cpu_seconds": round(busy1 - busy0, 1),
                "steal_cpu_seconds": round(steal1 - steal0, 1),
                "gunicorn_cpu_seconds": round(server_cpu, 1),
                "wrk_cpu_seconds": wrk["client_cpu_seconds"],
                "note": "machine = all processes (gunicorn, wrk, PostgreSQL, the rest); "
                        "busy share = busy / (cores x wall time); steal = CPU time the "
                        "hypervisor gave to other machines",
            }
            summary["worker_pids_changed"] = pids != pids_after
            summary["worker_rss_mb"] = [proc_rss_mb(p) for p in pids_after]
            summary["wrk"] = {"command": wrk["command"], "wall_seconds": wrk["wall_seconds"],
                              "output": wrk["output"]}
            runs[state] = summary
            print(f"[{store}] {state}: {summary['requests_per_second']} req/s, p50 "
                  f"{summary['latency_ms']['p50']} ms, p99 {summary['latency_ms']['p99']} ms, "
                  f"errors {summary['error_count']}", flush=True)
        found = runs["warm"]["artifacts_discovered"] or runs["cold"]["artifacts_discovered"]
        urls = [(k, v) for k, v in URL_MIX if k != "artifact"] + [("artifact", u) for u in found]
        result["url_check"] = check_urls(server.port, urls)
        artifact_urls.extend(found)
        result["runs"] = runs
    finally:
        result["stop"] = server.stop()
        problems = server.log_problems()
        result["server_log_problems"] = problems[:50]
        result["server_log_problem_count"] = len(problems)
    cache_files = [p for p in cache.rglob("*") if p.is_file()]
    result["cache_dir_after"] = {"files": len(cache_files),
                                 "objects": sum(1 for p in cache_files if "objects" in p.parts),
                                 "bytes": sum(p.stat().st_size for p in cache_files)}
    return result


def database_info(url: str) -> dict:
    import psycopg
    from geohub.store.postgis import split_url
    conninfo, _ = split_url(url)
    with psycopg.connect(conninfo) as conn:
        return {"server_version": conn.execute("SHOW server_version").fetchone()[0],
                "postgis": conn.execute("SELECT postgis_lib_version()").fetchone()[0],
                "max_connections": int(conn.execute("SHOW max_connections").fetchone()[0])}


def working_tree() -> dict:
    """Which geohub is measured: the commit and any uncommitted change under geohub/ and static/
    (another developer may be editing them; workers import the code when they start)."""
    import hashlib
    paths = ("geohub", "static", "wsgi.py")
    diff = git("diff", "HEAD", "--", *paths)
    return {"commit": git("rev-parse", "HEAD"),
            "modified": (git("status", "--porcelain", "--", *paths) or "").splitlines(),
            "diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None}


def run_scenario(args) -> dict:
    """One of the hardening scenarios (bench/hardening_scenarios.py) on the GeoPackage store."""
    import hardening_scenarios as hs
    started = time.perf_counter()
    report = {"benchmark": f"geohub hardening scenario {args.scenario}", "machine": machine_info(),
              "code_at_start": working_tree()}
    with tempfile.TemporaryDirectory(prefix="geohub-load-test-") as tmp:
        folder = Path(tmp)
        gpkg = folder / "store.gpkg"
        print("building the GeoPackage store ...", flush=True)
        report["store"] = build_store(gpkg, args.data)
        cache = folder / "cache"
        cache.mkdir()
        env = server_env("gpkg", gpkg, None, cache)
        env.update({"GEOHUB_CACHE_MAX_MB": str(args.cache_max_mb),
                    "GEOHUB_MEMORY_CACHE_ITEMS": str(args.memory_items),
                    "GEOHUB_RENDER_CONCURRENCY": str(args.render_concurrency),
                    "MALLOC_ARENA_MAX": "2"})   # as deploy/serve-production sets it
        if args.scenario == "slowloris":
            env.update({"GEOHUB_WORKERS": str(args.workers), "GEOHUB_THREADS": str(args.threads)})
            mix = [(k, v) for k, v in URL_MIX if k != "artifact"]
            print(f"slowloris: 10 dripping connections + {args.clients} clients for {args.duration} s",
                  flush=True)
            result = hs.slowloris(env, folder, args.clients, args.duration, mix)
        else:
            server_dir = folder / "server"
            server_dir.mkdir()
            server = Gunicorn(env, args.workers, args.threads, args.worker_class, server_dir,
                              production=True)
            server.start()
            try:
                fn = hs.distinct_params if args.scenario == "distinct-params" else hs.distinct_dpi
                print(f"{args.scenario}: {args.clients} clients for {args.duration} s", flush=True)
                result = fn(server, cache, args.clients, args.duration, proc_rss_mb)
            finally:
                result_stop = server.stop()
            result["server_stop"] = result_stop
            result["gunicorn_command"] = " ".join([".venv/bin/gunicorn", *server.args[3:]])
            result["settings"] = {"GEOHUB_CACHE_MAX_MB": args.cache_max_mb,
                                  "GEOHUB_MEMORY_CACHE_ITEMS": args.memory_items,
                                  "GEOHUB_RENDER_CONCURRENCY": args.render_concurrency}
    report["result"] = result
    report["summary"] = {"zero_errors": bool(result["passed"]),
                         "benchmark_seconds": round(time.perf_counter() - started, 1)}
    return report


def run(args) -> dict:
    started = time.perf_counter()
    report = {
        "benchmark": "geohub under gunicorn on loopback: wrk, concurrent keep-alive clients",
        "duration_seconds": args.duration, "clients": args.clients,
        "load_generator": {"tool": "wrk", "version": wrk_version(), "threads": args.wrk_threads,
                           "timeout_seconds": args.timeout,
                           "why": "C, event-driven, keep-alive connections: its own CPU time is reported "
                                  "per run (cpu.wrk_cpu_seconds), a few percent of the machine"},
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": args.worker_class,
                     "keepalive_seconds": 2, "timeout_seconds": 30, "preload": False,
                     "version": package_version("gunicorn")},
        "url_mix": [{"kind": k, "url": v if k != "artifact" else f"TopoJSON artifact #{v} referenced "
                     "by the pages"} for k, v in URL_MIX],
        "machine": machine_info(),
    }
    report["machine"]["memory_mb"] = memory_mb()
    report["code_at_start"] = working_tree()
    with tempfile.TemporaryDirectory(prefix="geohub-load-test-") as tmp:
        folder = Path(tmp)
        gpkg = folder / "store.gpkg"
        print("building the GeoPackage store ...", flush=True)
        t0 = time.perf_counter()
        report["store"] = build_store(gpkg, args.data)
        report["store"]["build_seconds"] = round(time.perf_counter() - t0, 1)
        script = folder / "mix.lua"
        script.write_text(lua_script(sum(1 for k, _ in URL_MIX if k == "artifact")))
        artifact_urls: list = []
        results = {}
        stores = args.stores
        with (postgis_server() if "postgis" in stores else nullcontext()) as base_url:
            pg_url = None
            if base_url:
                pg_url = postgis_url_with_schema(base_url)
                print("copying the store into PostGIS ...", flush=True)
                t0 = time.perf_counter()
                with open_store(gpkg) as src, open_store(pg_url) as dst:
                    counts = copy_store(src, dst, replace=True)
                report["postgis"] = {"schema": SCHEMA, "copy_seconds": round(time.perf_counter() - t0, 1),
                                     "rows_copied": counts, **database_info(pg_url)}
            for store in stores:
                results[store] = measure_store(store, args, gpkg, pg_url, folder, script, artifact_urls)
    report["results"] = results
    report["code_at_end"] = working_tree()
    report["code_changed_during_run"] = report["code_at_end"] != report["code_at_start"]
    report["artifact_urls"] = sorted(set(artifact_urls))
    table = []
    for store, res in results.items():
        for state, run_ in res["runs"].items():
            table.append({"store": store, "cache": state, "requests": run_["requests"],
                          "requests_per_second": run_["requests_per_second"],
                          **{k: run_["latency_ms"][k] for k in ("p50", "p90", "p99", "max")},
                          "errors": run_["error_count"], "errors_by_kind": run_["errors"]})
    url_failures = [{"store": s, "url": r["url"], "status": r["status"]}
                    for s, res in results.items() for r in res["url_check"] if r["status"] != 200]
    report["summary"] = {
        "table": table,
        "total_errors": sum(r["errors"] for r in table),
        "url_check_failures": url_failures,
        "server_log_problems": sum(res["server_log_problem_count"] for res in results.values()),
        "code_changed_during_run": report["code_changed_during_run"],
        "zero_errors": sum(r["errors"] for r in table) == 0 and not url_failures,
        "benchmark_seconds": round(time.perf_counter() - started, 1),
    }
    return report


def wrk_version() -> str | None:
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def print_table(report: dict) -> None:
    s = report["summary"]
    print(f"\n{report['clients']} clients x {report['duration_seconds']} s per row, wrk "
          f"({report['load_generator']['threads']} threads), gunicorn {report['gunicorn']['workers']} "
          f"workers x {report['gunicorn']['threads']} threads, {report['machine']['cpus_usable']} CPUs")
    print(f"{'store':<8} {'cache':<5} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    for r in s["table"]:
        print(f"{r['store']:<8} {r['cache']:<5} {r['requests']:>9,} {r['requests_per_second']:>8.1f} "
              f"{r['p50']:>8.1f} {r['p90']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>7}")
    for r in s["table"]:
        if r["errors"]:
            print(f"  errors {r['store']} {r['cache']}: {r['errors_by_kind']}")
    if s["url_check_failures"]:
        print(f"  URL check failures: {s['url_check_failures']}")
    if s["server_log_problems"]:
        print(f"  gunicorn logged {s['server_log_problems']} problem line(s): see server_log_problems")
    if s["code_changed_during_run"]:
        print("  NOTE: geohub's working tree changed during the run (see code_at_start/_end)")
    print(f"zero errors: {s['zero_errors']}; total {s['benchmark_seconds']:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Defaults: gunicorn -k gthread -w 3 --threads 1 (why: bench/README.md).")
    parser.add_argument("--duration", type=int, default=30, help="seconds per run (default 30)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections (default 64)")
    parser.add_argument("--quick", action="store_true", help="5 s per run (a smoke run)")
    parser.add_argument("--stores", default="gpkg,postgis", help="comma-separated: gpkg,postgis")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"gunicorn workers (default {DEFAULT_WORKERS})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"threads per worker (default {DEFAULT_THREADS}: the work is CPU-bound, see bench/README.md)")
    parser.add_argument("--worker-class", default=DEFAULT_WORKER_CLASS,
                        help=f"gunicorn worker class (default {DEFAULT_WORKER_CLASS}: keep-alive)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=int, default=60,
                        help="seconds after which wrk counts a request as timed out (default 60)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON report path")
    parser.add_argument("--data", type=Path, default=shared_data(), help=argparse.SUPPRESS)
    parser.add_argument("--scenario", default="mix",
                        choices=["mix", "distinct-params", "distinct-dpi", "slowloris"],
                        help="mix (default: the URL mix, cold and warm), or a hardening scenario "
                             "(bench/hardening_scenarios.py) on the GeoPackage store")
    parser.add_argument("--cache-max-mb", type=float, default=20,
                        help="GEOHUB_CACHE_MAX_MB for the scenarios (default 20)")
    parser.add_argument("--memory-items", type=int, default=64,
                        help="GEOHUB_MEMORY_CACHE_ITEMS for the scenarios (default 64)")
    parser.add_argument("--render-concurrency", type=int, default=1,
                        help="GEOHUB_RENDER_CONCURRENCY for the scenarios (default 1)")
    args = parser.parse_args(argv)
    if args.quick and args.duration == parser.get_default("duration"):
        args.duration = 5
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if not set(args.stores) <= {"gpkg", "postgis"} or not args.stores:
        parser.error("--stores takes gpkg and/or postgis")
    if not args.data.is_dir():
        parser.error(f"no shared data folder at {args.data}: set GEOHUB_SHARED_DATA")
    if shutil.which("wrk") is None and args.scenario == "mix":
        parser.error("wrk is not installed: apt-get install wrk (or .ci/setup bench)")
    if not GUNICORN.exists():
        parser.error(f"no {GUNICORN}: pip install -e '.[serve]' (or .ci/setup bench)")
    if args.scenario != "mix":
        report = run_scenario(args)
        report["command"] = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else None
        output = args.output if args.output != DEFAULT_OUTPUT else DEFAULT_OUTPUT.with_name(
            f"load-{args.scenario}.json")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report["result"], indent=2))
        print(f"passed: {report['result']['passed']}; wrote {output}")
        return 0 if report["result"]["passed"] else 1
    report = run(args)
    report["command"] = " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else None
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"wrote {args.output}")
    return 0 if report["summary"]["zero_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
