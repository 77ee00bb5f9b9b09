"""A throwaway PostgreSQL + PostGIS cluster for the tests, on loopback, started by the tests.

If GEOHUB_TEST_DATABASE_URL is set (a server started elsewhere), it is used instead. Otherwise
initdb/pg_ctl from Debian's postgresql package start a private cluster in a temporary folder
(as the postgres user when running as root, since PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    if pg_config:
        path = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (path / "initdb").exists():
            return path
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if candidates:
        return candidates[-1].parent
    raise RuntimeError("PostgreSQL is needed for the PostGIS tests: apt-get install postgresql "
                       "postgresql-15-postgis-3 (.ci/setup test installs them).")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args, user: str | None):
    if user:
        args = ["runuser", "-u", user, "--", *args]
    subprocess.run(args, check=True, capture_output=True, text=True)


@contextmanager
def postgis_server():
    """Yield a postgresql:// URL of a database with PostGIS, on a server that lives as long."""
    given = os.environ.get("GEOHUB_TEST_DATABASE_URL")
    if given:
        yield given
        return
    bindir = _bindir()
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="geohub-pg-"))
    if user:
        shutil.chown(folder, user)
    data, port = folder / "data", free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"], user)
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-o",
          f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "-l",
          str(folder / "log"), "-w", "start"], user)
    try:
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "geohub"], None)
        yield f"postgresql://postgres@127.0.0.1:{port}/geohub"
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user)
        shutil.rmtree(folder, ignore_errors=True)
