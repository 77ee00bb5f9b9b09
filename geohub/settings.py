"""Every setting geohub reads, declared once with its environment variable, default and help text.

The Flask app copies these into ``app.config`` (``create_app`` overrides win); the CLI's ``--help``
and the README quote the same help texts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


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
    Setting("GEOHUB_PROXIES", "0",
            "How many reverse proxies (load balancer, CDN) sit in front: their X-Forwarded-* headers "
            "are trusted, so absolute URLs (embed code, oEmbed) use the public host and scheme."),
)


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


def defaults() -> dict:
    return {s.name: s.default for s in SETTINGS}


def help_text() -> str:
    return "\n".join(f"  {s.name}: {s.help}" for s in SETTINGS)
