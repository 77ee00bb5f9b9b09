"""What a CLI command works on: the settings and the store, without building the Flask app.

The CLI sits beside ``web/`` at the top of the layers; it opens the store through ``geohub.store``
with the same settings and defaults the app uses (``GEOHUB_STORE`` defaults to ``geohub.gpkg`` in
Flask's instance folder), so commands that draw no map never import Flask, folium or matplotlib.
"""
from __future__ import annotations

import os

import click

from geohub import settings
from geohub.store import Store, open_store


def config() -> dict:
    """The settings as the app would see them: defaults, then the environment, then derived
    defaults (the store file in the instance folder)."""
    values = settings.defaults() | settings.from_environment()
    if not values.get("GEOHUB_STORE"):
        instance = settings.instance_dir()
        os.makedirs(instance, exist_ok=True)  # as create_app does
        values["GEOHUB_STORE"] = os.path.join(instance, "geohub.gpkg")
    return values


def store_url(values: dict | None = None) -> str:
    """The store the settings name: the PostGIS URL when set, else the GeoPackage file."""
    values = config() if values is None else values
    return values.get("GEOHUB_DATABASE_URL") or values["GEOHUB_STORE"]


def get_store() -> Store:
    """The store for this command, opened on first use and closed when the command ends."""
    ctx = click.get_current_context().find_root()
    store = ctx.meta.get("geohub.store")
    if store is None:
        store = ctx.meta["geohub.store"] = open_store(store_url())
        ctx.call_on_close(store.close)
    return store


def existing_store() -> Store:
    """The configured store for a command that only reads it: a GeoPackage path with no file
    behind it (a mistyped GEOHUB_STORE) is refused instead of silently created empty."""
    from geohub.errors import NotFound
    from geohub.store import store_exists
    url = store_url()
    if not store_exists(url):
        raise NotFound(f"There is no store at {url}.",
                       "Check GEOHUB_STORE; a new store is created only by an import "
                       "('geohub fetch' or 'geohub import-boundaries FILE').")
    return get_store()
