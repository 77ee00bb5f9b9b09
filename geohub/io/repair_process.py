"""Check and repair geometries in a separate Python process that can be stopped (issue 16).

GEOS cannot be interrupted: one crafted polygon (a TopoJSON arc referenced a thousand times, a
star whose edges all cross) keeps ``make_valid`` (and, when it is big, ``is_valid``) busy for
minutes while its memory grows into gigabytes, and ends in ``std::bad_alloc``. So an import hands
such geometries, as WKB, to a child process whose address space is capped (``setrlimit``) and
which is killed when the import's time budget runs out.

``RepairProcess`` starts the child on its first use and keeps it for the rest of one import (so
an import pays for at most one start, about 0.1-0.3 s, and none when nothing needs it). Run as
``python -m geohub.io.repair_process MEGABYTES`` it is that child: it reads WKB geometries from
stdin and answers each on stdout, one at a time.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import shapely

from geohub.io.geometry import repair

# The child does no linear algebra: one BLAS thread keeps its start-up address space small and
# the same on every machine (each OpenBLAS thread reserves memory that counts against the cap).
_CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class RepairStopped(Exception):
    """The child stopped on geometry ``index`` of a ``fix`` call. ``why`` is ``"seconds"`` (the
    deadline passed and it was killed), ``"memory"`` (it reached its memory cap), ``"geos"``
    (GEOS refused the geometry; ``detail`` says why) or ``"died"`` (it ended unexpectedly)."""

    def __init__(self, index: int, why: str, detail: str = ""):
        super().__init__(f"{why}: {detail}" if detail else why)
        self.index = index
        self.why = why
        self.detail = detail


def check_and_repair(geom) -> tuple[object, str | None]:
    """``(None, None)`` for a valid geometry, else ``(repaired, GEOS's reason it was invalid)``."""
    if shapely.is_valid(geom):
        return None, None
    return repair(geom), shapely.is_valid_reason(geom)


class RepairProcess:
    """A child process that runs ``check_and_repair`` on geometries, with its memory capped at
    ``memory_mb`` megabytes beyond what it needs to start (0: no cap). Use it as a context
    manager: the child is killed on exit, whatever happened."""

    def __init__(self, memory_mb: float):
        self.memory_mb = memory_mb
        self.pid: int | None = None          # of the child, once started
        self._proc: subprocess.Popen | None = None
        self._reader: Connection | None = None
        self._writer: Connection | None = None
        self._stderr = None

    def __enter__(self) -> RepairProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fix(self, geoms, deadline: float) -> list[tuple[object, str | None]]:
        """``check_and_repair`` of each geometry, done in the child, before ``deadline`` (a
        ``time.monotonic()`` value). RepairStopped (the child killed) if it cannot."""
        geoms = list(geoms)
        if not geoms:
            return []
        self._start(deadline)
        out = []
        for index, geom in enumerate(geoms):
            try:
                self._writer.send_bytes(shapely.to_wkb(geom))
            except (BrokenPipeError, ConnectionResetError, OSError):
                raise self._stopped(index, "died", self._exit_detail()) from None
            status, *rest = self._receive(index, deadline)
            if status != "ok":
                raise self._stopped(index, status, rest[0] if rest else "")
            wkb, reason = rest
            out.append((None if wkb is None else shapely.from_wkb(wkb), reason))
        return out

    def close(self) -> None:
        """Kill the child (if any) and wait for it: nothing outlives an import."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._reader = self._writer = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _start(self, deadline: float) -> None:
        if self._proc is not None:
            return
        env = {**os.environ, **_CHILD_ENV}
        # The child imports the same geohub as this process, wherever that comes from.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "geohub.io.repair_process", str(self.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        self.pid = self._proc.pid
        self._writer = Connection(os.dup(self._proc.stdin.fileno()), readable=False)
        self._reader = Connection(os.dup(self._proc.stdout.fileno()), writable=False)
        self._proc.stdin.close()
        self._proc.stdout.close()
        status, *_ = self._receive(0, deadline)
        if status != "ready":
            raise self._stopped(0, "died", self._exit_detail())

    def _receive(self, index: int, deadline: float):
        if not self._reader.poll(max(0.0, deadline - time.monotonic())):
            raise self._stopped(index, "seconds")
        try:
            return self._reader.recv()
        except (EOFError, OSError):
            raise self._stopped(index, "died", self._exit_detail()) from None

    def _stopped(self, index: int, why: str, detail: str = "") -> RepairStopped:
        self.close()
        return RepairStopped(index, why, detail)

    def _exit_detail(self) -> str:
        """How the child ended: its exit status and the last line it wrote to stderr."""
        proc = self._proc
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return f"{how}{': ' + lines[-1][:200] if lines else ''}"


# --- the child ---------------------------------------------------------------------------------

def _address_space() -> int:
    """This process's virtual memory size in bytes (0 where /proc does not say)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cap_memory(memory_mb: float) -> None:
    """Cap the address space at what the process uses now plus ``memory_mb``: past it, GEOS's
    allocations fail (std::bad_alloc) instead of the machine running out of memory."""
    import resource
    if memory_mb <= 0:
        return
    soft = _address_space() + int(memory_mb * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _exit_with_parent() -> None:
    """End this process when its parent is gone (``kill -9`` of an import): GEOS releases the
    GIL, so this thread runs even while a repair is busy."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _serve(memory_mb: float) -> None:
    reader = Connection(os.dup(0), writable=False)
    writer = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)   # a stray print must not corrupt the channel
    _exit_with_parent()   # before the cap: a thread's stack counts against it
    _cap_memory(memory_mb)
    writer.send(("ready",))
    while True:
        try:
            wkb = reader.recv_bytes()
        except EOFError:
            return
        try:
            fixed, reason = check_and_repair(shapely.from_wkb(wkb))
            writer.send(("ok", None if fixed is None else shapely.to_wkb(fixed), reason))
        except MemoryError:
            writer.send(("memory", "MemoryError"))
            return
        except shapely.errors.GEOSException as exc:
            text = str(exc)
            writer.send(("memory" if "bad_alloc" in text else "geos", text[:200]))
            return


if __name__ == "__main__":
    _serve(float(sys.argv[1]))
