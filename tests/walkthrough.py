"""Walk-throughs of the extension points (issue 15, "Done when"): run geohub in a fresh process in
which named modules are imported with an edit applied to their source, exactly as a developer would
edit those files, and nothing else changed. Whatever the edit does not reach stays as it is, so a
test that passes shows the extension takes those files only."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

HOOK = """
import importlib.abc, importlib.machinery, json, pathlib, sys

EDITS = json.loads({edits!r})   # module -> [[anchor, text inserted after it], ...]


class EditedSource(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        source = pathlib.Path(self.path).read_text(encoding="utf-8")
        for anchor, insert in EDITS[fullname]:
            if source.count(anchor) != 1:
                raise SystemExit(f"walk-through: {{anchor!r}} is not once in {{self.path}}")
            source = source.replace(anchor, anchor + insert)
        return compile(source, self.path, "exec")


class Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in EDITS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        spec.loader = EditedSource(name, spec.origin)
        return spec


sys.meta_path.insert(0, Finder())
"""


# With ``store=``: ``geohub(*args)`` runs a CLI command on that store (a GeoPackage, cache in ``c``
# beside it) and returns its output, asserting it succeeded.
CLI = """
from click.testing import CliRunner
from geohub.cli import cli

runner, env = CliRunner(), {{"GEOHUB_STORE": {store!r}, "GEOHUB_DATABASE_URL": "",
                            "GEOHUB_CACHE_DIR": {cache!r}}}


def geohub(*args):
    result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output
"""


def run_edited(edits: dict[str, list[tuple[str, str]]], script: str, *, env: dict | None = None,
               cwd=None, timeout: int = 300, store=None):
    """Run ``script`` (Python source printing one JSON line last) with ``edits`` applied to the
    named modules' sources; returns the decoded JSON. With ``store`` (a path), the script may call
    ``geohub(*args)`` (see CLI above)."""
    code = HOOK.format(edits=json.dumps(edits))
    if store is not None:
        code += CLI.format(store=str(store), cache=str(os.path.join(os.path.dirname(store), "c")))
    code += textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
