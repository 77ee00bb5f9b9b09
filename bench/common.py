"""What every benchmark records about the machine and the code it measured."""
from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """The shared real data folder (``../shared/data`` beside the repository, or GEOHUB_SHARED_DATA)."""
    return Path(os.environ.get("GEOHUB_SHARED_DATA", REPO.parent / "shared" / "data"))


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def git(*args) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info(packages: tuple[str, ...], watched: tuple[str, ...] = ("geohub",)) -> dict:
    """CPU, Python, the versions of ``packages``, the commit, and whether ``watched`` paths had
    uncommitted changes (the numbers are for the working tree as it was)."""
    cpu_model = None
    try:
        with open("/proc/cpuinfo") as fh:
            cpu_model = next((line.split(":", 1)[1].strip() for line in fh
                              if line.startswith("model name")), None)
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model, "platform": platform.platform(), "python": platform.python_version(),
        **{name: package_version(name) for name in packages},
        "geohub_commit": git("rev-parse", "HEAD"),
        "modified": {path: bool(git("status", "--porcelain", "--", path)) for path in watched},
    }
