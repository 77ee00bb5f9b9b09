"""Print maps drawn in a child process: one low-priority drawing process per server process, a
fresh one for every render. No Flask.

Why: drawing a page (matplotlib's Agg, then PNG encoding) is 0.5-10 s of CPU, most of it in C++
code that holds the GIL. In a threaded server worker that stalls every other request of the worker
- ``/api/health`` included - for as long as the drawing runs, and with more drawing workers than
cores the health probe also waits for a core. Drawn in a child process instead, the request thread
waits on a pipe without holding the GIL; the child runs at a lower CPU priority (``NICENESS``), so
when cores are short the kernel runs the serving processes first; and the child's memory goes back
to the system when it exits after its render (``RENDERS_PER_CHILD``), however much a 600 dpi page
took (about 300 MB at A4).

The children are forked from a forkserver that has imported the drawing stack once (a fresh child
is ready in milliseconds, with nothing inherited from a threaded parent). The map (``MapData``) and
its context go to the child pickled; the file's bytes come back. An exception raised in the child
(``InputError`` ...) is raised again here as the same class, with its message and hint; a child
that dies mid-render (killed, out of memory) gives ``RenderFailed``, and the next render gets a new
child.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from geohub.errors import Busy

if TYPE_CHECKING:
    from geohub.maps.context import MapContext
    from geohub.maps.model import MapData
    from geohub.maps.static_render import PrintOptions

log = logging.getLogger(__name__)

# Nice 10 against the server's 0: the kernel's CFS weights are 110 to 1024, so a busy server process
# gets about nine tenths of a shared core and the drawing the rest (it still gets every idle cycle).
NICENESS = 10
# A child returns the memory of its renders to the system when it exits, and a child that drew
# one 600 dpi page keeps ~100 MB of heap after it: one render each. Its successor is forked from
# the forkserver while the server sends the file, ready before the next render (no measurable
# cost: a 96 dpi screen map took the same time in fresh and in reused children).
RENDERS_PER_CHILD = 1
# Imported once by the forkserver, so every child starts with them: what unpickling a MapData and
# drawing it needs.
PRELOAD = ["geohub.maps.render_process", "geohub.maps.static_render", "geohub.maps.model",
           "geohub.maps.context", "geopandas"]


class RenderFailed(Busy):
    """The drawing process ended before the map was finished (killed, or out of memory): 503 with
    Retry-After, as for a busy server; the next render gets a new process."""


class _Pool:
    """This process's drawing pool (a pool is not shared across a fork: each process makes its own)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._pid: int | None = None

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                                     initializer=_child_setup,
                                                     max_tasks_per_child=RENDERS_PER_CHILD)
                self._pid = os.getpid()
            return self._executor

    def discard(self, executor: ProcessPoolExecutor) -> None:
        """Drop a broken executor, so the next render starts a new child."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None and self._pid == os.getpid():
            executor.shutdown(wait=True, cancel_futures=True)

    def started(self) -> bool:
        with self._lock:
            return self._executor is not None and self._pid == os.getpid()

    def child_pids(self) -> list[int]:
        with self._lock:
            executor = self._executor
        return sorted((getattr(executor, "_processes", None) or {}).keys()) if executor else []


_POOL = _Pool()


def _child_setup() -> None:
    """Run in each new child: below the serving processes in the kernel's eyes, and gone when
    the server process is. A child waits for work on a pipe it also holds the writing end of, so
    it would outlive a server killed without its exit handlers (SIGKILL, the OOM killer, a plain
    SIGTERM to ``geohub serve``) and keep the forkserver alive with it."""
    os.nice(NICENESS)
    server = multiprocessing.parent_process()   # the server process, not the forkserver
    if server is not None:
        threading.Thread(target=_exit_with, args=(server,), daemon=True,
                         name="geohub-exit-with-server").start()


def _exit_with(server) -> None:
    server.join()   # returns when the server process has ended
    os._exit(1)


def run_in_child(fn, *args):
    """``fn(*args)`` in this process's drawing child (``fn`` and the arguments must pickle; the
    result too). Exceptions come back as their own class; ``RenderFailed`` if the child dies."""
    executor = _POOL.executor()
    try:
        try:
            future = executor.submit(fn, *args)
        except RuntimeError:   # another thread discarded this executor just now: take the new one
            executor = _POOL.executor()
            future = executor.submit(fn, *args)
        return future.result()
    except BrokenProcessPool as exc:
        _POOL.discard(executor)
        log.error("The drawing process ended mid-render: %s", exc)
        raise RenderFailed("The map could not be drawn: the drawing process stopped before it "
                           "was finished (it was killed, or ran out of memory).",
                           "Try again in a few seconds; if it fails again, ask for a smaller "
                           "size or dpi.") from exc


def _render(data: MapData, fmt: str, options: PrintOptions, context: MapContext | None) -> bytes:
    from geohub.maps.static_render import render
    return render(data, fmt, options, context)


def render_in_child(data: MapData, fmt: str, options: PrintOptions,
                    context: MapContext | None = None) -> bytes:
    """``static_render.render(data, fmt, options, context)``, the same bytes, drawn in the child."""
    return run_in_child(_render, data, fmt, options, context)


def start() -> None:
    """Start the forkserver and a first child now (imports: seconds), not on the first export."""
    run_in_child(os.getpid)


def child_pids() -> list[int]:
    """The process ids of this process's drawing children (none before the first render; for a
    moment none after each render, while the next child starts)."""
    return _POOL.child_pids()


def started() -> bool:
    """Whether this process has drawn in a child (or started one) since the last ``shutdown()``."""
    return _POOL.started()


def shutdown() -> None:
    """Stop this process's drawing children (a later render starts new ones)."""
    _POOL.shutdown()
