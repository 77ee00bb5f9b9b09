"""Where the data folders that ship inside the package are: ``static/`` (front-end assets) and
``boundaries/`` (the dataset catalogue).

In the repository they are top-level source folders; the build maps them into the package as
``geohub.static`` and ``geohub.boundaries`` (see setup.py; each folder has an ``__init__.py`` so that
editable installs import it too), so ``importlib.resources`` finds them wherever geohub is installed.
"""
from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def _folder(package: str) -> Path:
    try:
        return Path(str(files(package)))
    except ModuleNotFoundError as exc:
        raise RuntimeError(f"geohub is installed without {package} (its data folder): reinstall "
                           "geohub (pip install .) from a checkout that has static/ and boundaries/.") from exc


def static_dir() -> Path:
    """The folder of scripts, stylesheets and vendored front-end assets served under /static."""
    return _folder("geohub.static")


def boundaries_dir() -> Path:
    """The folder holding the boundary dataset catalogue (catalogue.toml)."""
    return _folder("geohub.boundaries")
