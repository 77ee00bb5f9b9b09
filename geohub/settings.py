"""Every setting geohub reads, declared once with its environment variable, default and help text.

The Flask app copies these into ``app.config`` (``create_app`` overrides win); the CLI's ``--help``
and the README quote the same help texts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def env(self) -> str:
        return self.name


SETTINGS: tuple[Setting, ...] = (
    Setting("GEOHUB_STORE", None,
            "GeoPackage file of the embedded store (default: geohub.gpkg in the Flask instance folder)."),
    Setting("GEOHUB_DATABASE_URL", None,
            "postgresql://... URL of a PostGIS store; when set it is used instead of GEOHUB_STORE."),
    Setting("GEOHUB_SOURCE", None,
            "Where 'geohub fetch' downloads boundaries: an ArcGIS REST services URL (default: the ONS "
            "Open Geography Portal) or a local mirror folder such as ../shared/data."),
    Setting("GEOHUB_FETCH_CACHE", None,
            "Folder for partial downloads, so an interrupted fetch resumes (default: instance/fetch)."),
    Setting("GEOHUB_CATALOGUE", None,
            "The boundary dataset catalogue 'geohub fetch' reads (default: the catalogue.toml shipped "
            "in the package, from the repository's boundaries/ folder)."),
    Setting("GEOHUB_TILES", None,
            "Base map tiles: a Leaflet tile URL template, or unset for none (works offline)."),
    Setting("GEOHUB_FRAME_ANCESTORS", "",
            "Optional: space-separated origins that alone may embed maps in iframes (besides 'self'); "
            "unset, any site may embed /embed/... pages (they are read-only)."),
    Setting("GEOHUB_CACHE_DIR", None,
            "Folder for content-addressed artifacts shared by all workers (default: instance/cache)."),
    Setting("GEOHUB_GEOJSON_PRECISION", "6",
            "Decimals of a degree in the GeoJSON geohub writes (exports, /api/areas): 6 is about 10 cm "
            "(RFC 7946 section 11.2); fewer make smaller files."),
    Setting("GEOHUB_PUBLIC_URL", None,
            "The public base URL (e.g. https://maps.example.org) used in embed code, oEmbed and export "
            "links. Unset: the request's own host is written into each response, never into caches."),
    Setting("GEOHUB_CACHE_MAX_MB", "512",
            "Most megabytes the artifact folder may hold; least recently used artifacts are removed "
            "beyond it ('geohub cache prune' does the same on demand). 0: unbounded."),
    Setting("GEOHUB_MEMORY_CACHE_ITEMS", "256",
            "Most entries each worker keeps in memory (boundaries, pages, tables); least recently used "
            "ones are dropped beyond it."),
    Setting("GEOHUB_RENDER_CONCURRENCY", "2",
            "Most map renders (cache misses) one worker runs at once; others wait briefly, then get "
            "503 with Retry-After. Image exports are drawn in a low-priority child process."),
    Setting("GEOHUB_RENDER_WAIT", "5",
            "Seconds a render waits for a free slot before the 503."),
    Setting("GEOHUB_IMPORT_MAX_VERTICES", "2000000",
            "Most vertices one boundary feature may have; an import with a bigger one is refused."),
    Setting("GEOHUB_IMPORT_MAX_MB", "1024",
            "Largest boundary file (unzipped) an import reads, in megabytes; 0: no limit."),
    Setting("GEOHUB_IMPORT_SECONDS", "300",
            "Time budget, in seconds, for checking and repairing a file's geometries at import; a "
            "repair still running then is stopped."),
    Setting("GEOHUB_IMPORT_REPAIR_MB", "2048",
            "Most megabytes of memory repairing one invalid geometry may take at import (the "
            "repair runs in a separate process with this cap); 0: no cap."),
    Setting("GEOHUB_PROXIES", "0",
            "How many reverse proxies (load balancer, CDN) sit in front: their X-Forwarded-* headers "
            "are trusted, so absolute URLs (embed code, oEmbed) use the public host and scheme."),
)


_BY_NAME = {s.name: s for s in SETTINGS}


def from_environment() -> dict:
    """Settings given in the environment (unset ones are left out)."""
    return {s.name: os.environ[s.env] for s in SETTINGS if os.environ.get(s.env)}


def geojson_precision(config) -> int:
    """GEOHUB_GEOJSON_PRECISION from a config mapping (app.config, or the environment's settings)
    as decimals between 0 and 15; InputError saying what to set otherwise."""
    from geohub.errors import InputError
    raw = config.get("GEOHUB_GEOJSON_PRECISION") or "6"
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 15:
        raise InputError(f"GEOHUB_GEOJSON_PRECISION is {raw!r}, not a number of decimals.",
                         "Set it to a whole number from 0 to 15 (6 by default).")
    return value


def get(name: str):
    """One setting's value from the environment (an empty value counts as unset), else its default.

    For code outside a Flask app (the core, the CLI); the app reads ``app.config``, filled from here.
    """
    setting = _BY_NAME.get(name)
    if setting is None:
        raise KeyError(f"{name} is not a geohub setting (declare it in SETTINGS first).")
    return os.environ.get(setting.env) or setting.default


_INSTANCE = "geohub.web-instance"  # Flask names it "<app import name>-instance"


def instance_dir() -> Path:
    """Flask's instance folder for geohub, by Flask's own rule (``Flask.auto_find_instance_path``)
    without importing Flask: ``instance/`` beside the package in a checkout, else
    ``<prefix>/var/geohub.web-instance`` (named after the app, ``geohub.web``) when installed. A test checks it equals the app's."""
    import sys
    package_path = Path(os.path.abspath(__file__)).parent.parent  # not resolved: as Flask does
    prefix = Path(os.path.abspath(sys.prefix))
    if package_path.is_relative_to(prefix):
        return prefix / "var" / _INSTANCE
    if package_path.name.lower() == "site-packages":
        lib = package_path.parent
        if lib.name.lower() == "lib":
            return lib.parent / "var" / _INSTANCE
        if lib.parent.name.lower() == "lib":
            return lib.parent.parent / "var" / _INSTANCE
        return lib / "var" / _INSTANCE
    return package_path / "instance"


def defaults() -> dict:
    return {s.name: s.default for s in SETTINGS}


def help_text() -> str:
    return "\n".join(f"  {s.name}: {s.help}" for s in SETTINGS)
