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
            "Space-separated partner origins allowed to embed maps in iframes, besides 'self'."),
    Setting("GEOHUB_CACHE_DIR", None,
            "Folder for content-addressed artifacts shared by all workers (default: instance/cache)."),
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
            "503 with Retry-After."),
    Setting("GEOHUB_RENDER_WAIT", "5",
            "Seconds a render waits for a free slot before the 503."),
    Setting("GEOHUB_PROXIES", "0",
            "How many reverse proxies (load balancer, CDN) sit in front: their X-Forwarded-* headers "
            "are trusted, so absolute URLs (embed code, oEmbed) use the public host and scheme."),
)


def from_environment() -> dict:
    """Settings given in the environment (unset ones are left out)."""
    return {s.name: os.environ[s.env] for s in SETTINGS if os.environ.get(s.env)}


def defaults() -> dict:
    return {s.name: s.default for s in SETTINGS}


def help_text() -> str:
    return "\n".join(f"  {s.name}: {s.help}" for s in SETTINGS)
