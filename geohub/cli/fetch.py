"""The ``fetch`` command: download catalogue datasets from the ONS portal (or a mirror) and import them."""
from __future__ import annotations


import click

from geohub.cli.group import cli, progress_enabled
from geohub.cli.context import config as cli_config
from geohub.cli.context import get_store, store_url


def _print_catalogue() -> None:
    from geohub.geography.catalogue import load_catalogue
    catalogue = load_catalogue()
    width = max(len(d.id) for d in catalogue)
    for d in catalogue:
        marker = "*" if d.default else " "
        click.echo(f"{marker} {d.id:<{width}}  {d.level or 'several':<8} {d.vintage}  "
                   f"{d.generalisation or '':<3}  {d.title}")
    click.echo("* = default: loaded by 'geohub fetch' without DATASET, and by 'geohub serve' on an "
               "empty store.")


@cli.command("fetch")
@click.argument("datasets", nargs=-1, metavar="[DATASET]...")
@click.option("--source", metavar="URL|DIR",
              help="ArcGIS REST services URL, or a mirror folder such as ../shared/data "
                   "(default: GEOHUB_SOURCE, else the ONS Open Geography Portal).")
@click.option("--list", "list_only", is_flag=True, help="List the catalogue's datasets and exit.")
def fetch_command(datasets, source, list_only):
    """Download ONS boundary datasets and import them (default: the catalogue's default set).

    From the portal, layers are fetched page by page in EPSG:4326 with retries; pages are kept in
    GEOHUB_FETCH_CACHE, so an interrupted fetch resumes where it stopped. Each dataset is imported in
    one step: one that fails leaves the store unchanged and the error says which and why.
    """
    if list_only:
        _print_catalogue()
        return
    from geohub.geography.fetch import fetch_and_import
    from geohub.geography.fetch import default_cache_dir
    config = cli_config()
    source = source or config.get("GEOHUB_SOURCE")
    cache = default_cache_dir()
    fetch_and_import(get_store, list(datasets), source, cache_dir=cache, progress=progress_enabled(),
                     on_line=click.echo)
    click.echo(f"Store: {store_url(config)}")
