"""``geohub migrate``: copy a store to another (GeoPackage <-> PostGIS); ``geohub backup``;
``geohub cache prune``."""
from __future__ import annotations

import click

from geohub.cli.group import cli


@cli.command("migrate")
@click.option("--from", "source", required=True, help="Source store: a GeoPackage file or postgresql://...")
@click.option("--to", "target", required=True, help="Target store: postgresql://... or a GeoPackage file.")
@click.option("--replace", is_flag=True, help="Overwrite a target that already holds data.")
def migrate_command(source, target, replace):
    """Copy every boundary, relationship, indicator and import record from one store to another,
    losslessly and in one transaction (a failure leaves the target unchanged)."""
    from geohub.errors import NotFound
    from geohub.store import open_store, store_exists
    from geohub.store.copy import copy_store
    if not store_exists(source):
        raise NotFound(f"There is no store at {source}.", "Give the path of an existing GeoPackage store.")
    with open_store(source) as src, open_store(target) as dst:
        counts = copy_store(src, dst, replace=replace)
    for table, n in counts.items():
        click.echo(f"{table}: {n} rows")
    click.echo(f"Copied {source} to {target}.")


@cli.group("cache")
def cache_group():
    """The artifact folder (GEOHUB_CACHE_DIR) shared by the server's workers."""


@cache_group.command("prune")
@click.option("--max-mb", type=float, default=None,
              help="Keep at most this many megabytes (default: GEOHUB_CACHE_MAX_MB; 0 empties it).")
def cache_prune_command(max_mb):
    """Remove the least recently used artifacts until the folder fits its bound. Safe while
    serving: what a page still needs is made again on its next request."""
    import os

    from geohub import settings
    from geohub.cli.context import config
    from geohub.web.artifact_cache import ArtifactCache
    values = config()
    cache = ArtifactCache(values.get("GEOHUB_CACHE_DIR") or os.path.join(settings.instance_dir(), "cache"))
    if max_mb is None:
        max_mb = float(values.get("GEOHUB_CACHE_MAX_MB") or 0)
    removed, freed = cache.prune(int(max_mb * 1024 * 1024))
    click.echo(f"Removed {removed} artifacts ({freed / 1e6:.1f} MB); {cache.size() / 1e6:.1f} MB "
               f"left in {cache.root}.")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite PATH if it exists.")
def backup_command(path, replace):
    """Copy the GeoPackage store to PATH consistently, even while it is served or imported into
    (SQLite's online backup API). Copying the .gpkg file alone is not safe while a writer is
    active: the store is then its file plus its -journal. For PostGIS use pg_dump."""
    from geohub.cli.context import store_url
    from geohub.errors import InputError
    from geohub.store import gpkg_path, is_database_url
    from geohub.store.backup import backup_gpkg
    url = store_url()
    if is_database_url(url):
        raise InputError("geohub backup copies GeoPackage stores.",
                         "Back up a PostGIS store with pg_dump, or 'geohub migrate --to FILE.gpkg'.")
    size = backup_gpkg(gpkg_path(url), path, replace=replace)
    click.echo(f"Backed up {gpkg_path(url)} to {path} ({size / 1e6:.1f} MB).")
