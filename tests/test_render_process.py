"""Print maps drawn in the low-priority drawing process (geohub/maps/render_process.py): the same
bytes as drawn in-process, errors raised as their own classes, a killed child reported clearly
and replaced, and the web exports drawn there."""
import os
import re
import threading
from pathlib import Path

import pytest

from geohub.errors import Busy, InputError
from geohub.maps import render_process
from geohub.maps.render_process import NICENESS, RenderFailed, render_in_child, run_in_child
from geohub.maps.static_render import PrintOptions, render


@pytest.fixture(scope="module")
def lep_map(web_template):
    from geohub.maps.model import MapBuilder, MapRequest
    from geohub.store import open_store
    with open_store(web_template) as store:
        yield MapBuilder(store).build(MapRequest("pop", level="lep"))
    render_process.shutdown()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _undated(body: bytes) -> bytes:
    """A PDF without its creation time (matplotlib writes the current second)."""
    return re.sub(rb"/CreationDate \(D:[0-9Z+\-']+\)", b"", body)


def test_the_child_draws_the_same_bytes(lep_map):
    for fmt, options in (("png", PrintOptions("screen", 72)), ("svg", PrintOptions("a4-portrait")),
                         ("pdf", PrintOptions("a4-landscape"))):
        drawn = render_in_child(lep_map, fmt, options)
        assert _undated(drawn) == _undated(render(lep_map, fmt, options)), fmt
        assert drawn[:4] in (b"\x89PNG", b"<?xm", b"%PDF"), fmt


def test_the_child_runs_below_the_server_in_priority(lep_map):
    assert run_in_child(os.getpid) != os.getpid()
    assert run_in_child(os.getpriority, os.PRIO_PROCESS, 0) == min(os.nice(0) + NICENESS, 19)


def test_an_input_error_in_the_child_arrives_as_itself(lep_map):
    with pytest.raises(InputError) as raised:
        run_in_child(PrintOptions.from_args, {"dpi": "lots"})
    assert raised.value.message == "dpi='lots' is not a number."
    assert raised.value.hint == "Use e.g. dpi=150 or dpi=300." and raised.value.status == 400


def test_a_child_killed_mid_render_gives_a_clear_error_and_the_next_render_works(lep_map):
    render_process.shutdown()                 # no child until this render starts one
    outcome = {}

    def draw():                               # several seconds of drawing at 600 dpi
        try:
            outcome["bytes"] = render_in_child(lep_map, "png", PrintOptions("a4-landscape", 600))
        except Exception as exc:              # noqa: BLE001 - the test looks at what it was
            outcome["error"] = exc
    thread = threading.Thread(target=draw)
    thread.start()
    while not render_process.child_pids() or _cpu_seconds(render_process.child_pids()[0]) < 0.3:
        assert thread.is_alive(), outcome     # drawing, not yet finished
        threading.Event().wait(0.02)
    (child,) = render_process.child_pids()
    os.kill(child, 9)
    thread.join(60)
    error = outcome.get("error")
    assert isinstance(error, RenderFailed), outcome
    assert isinstance(error, Busy) and error.status == 503 and error.retry_after   # 503, Retry-After
    assert "drawing process stopped" in error.message and error.hint
    assert not render_process.started()       # the broken pool is gone ...
    small = PrintOptions("screen", 72)
    assert render_in_child(lep_map, "png", small) == render(lep_map, "png", small)   # ... and replaced
    assert run_in_child(os.getpid) != child


def test_web_exports_are_drawn_in_the_child(web_template, tmp_path):
    from geohub import create_app
    render_process.shutdown()
    app = create_app({"GEOHUB_STORE": str(web_template), "GEOHUB_DATABASE_URL": "",
                      "GEOHUB_CACHE_DIR": str(tmp_path)})
    response = app.test_client().get("/maps/pop.png?level=lep&palette=Greens&dpi=96")
    assert response.status_code == 200 and response.data[:4] == b"\x89PNG"
    assert render_process.started(), "the export was drawn in the request's thread"


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def test_the_drawing_processes_end_when_their_server_is_killed():
    """A server killed without its exit handlers (SIGKILL; SIGTERM to ``geohub serve``) leaves no
    drawing child nor forkserver behind."""
    import subprocess
    import sys
    server = subprocess.Popen(
        [sys.executable, "-c", "import os, sys\n"
         "from geohub.maps.render_process import run_in_child\n"
         "print(run_in_child(os.getppid), flush=True)\n"   # the forkserver, the children's parent
         "run_in_child(os.getpid)\n"                        # and a waiting child is forked after it
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        forkserver = int(server.stdout.readline())
        assert _running(forkserver)
        children = [int(p) for p in Path(f"/proc/{forkserver}/task/{forkserver}/children").read_text().split()]
        assert children, "no drawing child waiting for work"
    finally:
        server.kill()
        server.wait(30)
    left = [pid for pid in (forkserver, *children)]
    for _ in range(500):                      # ends within moments; fail after ~10 s
        left = [pid for pid in left if _running(pid)]
        if not left:
            break
        threading.Event().wait(0.02)
    assert not left, f"processes left behind by a killed server: {left}"
