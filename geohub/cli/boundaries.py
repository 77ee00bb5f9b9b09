"""Commands for boundaries: import-boundaries, info, areas, serve."""
from __future__ import annotations

import json
import sys

import click

from geohub.cli.group import cli, level_type, progress_enabled
from geohub.geography.levels import get_level, parse_vintage
from geohub.cli.context import config as cli_config
from geohub.cli.context import existing_store, get_store, store_url
from geohub.io.csv import write_csv


@cli.command("import-boundaries")
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option("--level", type=level_type(), help="Level of the areas (default: from the codes).")
@click.option("--vintage", help="Boundary year, e.g. 2021 (default: from the field or file name).")
@click.option("--code-field", help="Field holding the GSS codes (default: detected, e.g. LAD21CD).")
@click.option("--name-field", help="Field holding the names (default: detected, e.g. LAD21NM).")
@click.option("--crs", help="Coordinate system of the file as an EPSG number, overriding the file's.")
@click.option("--layer", help="Only this TopoJSON object / GeoPackage layer / zipped Shapefile.")
@click.option("--attribution", help="Attribution line (default: the ONS/OS line for the vintage).")
def import_boundaries_command(path, level, vintage, code_field, name_field, crs, layer, attribution):
    """Import boundaries from GeoJSON, TopoJSON, a zipped Shapefile or a GeoPackage.

    Every layer of the file becomes a boundary set (level + vintage), replacing any set with the
    same level and vintage in one step. A file that fails a check leaves the store unchanged.
    """
    from geohub.geography.boundaries import import_boundaries
    report = import_boundaries(get_store, path, level=level, vintage=vintage, code_field=code_field,
                               name_field=name_field, crs=crs, layer=layer, attribution=attribution,
                               progress=progress_enabled())
    for line in report.lines():
        click.echo(line)
    click.echo(f"Imported into {store_url()} (import {report.import_id}).")


@cli.command("info")
def info_command():
    """What the store holds: boundary sets, relationships, indicators and imports."""
    store = existing_store()
    click.echo(f"Store: {store.url} (revision {store.revision()})")
    sets = store.boundary_sets()
    if not sets:
        click.echo("No boundaries yet: run 'geohub fetch' or 'geohub import-boundaries FILE'.")
    else:
        click.echo("Boundary sets:")
        for s in sets:
            span = f" multi-year {s.first_year}-{s.vintage}" if s.multi_year else ""
            click.echo(f"  {s.level:<8} {s.vintage}{span:<22} {s.count:>6} areas")
    rels = store.relationships()
    if len(rels):
        click.echo("Relationships:")
        families = rels.groupby(["source_level", "source_vintage", "target_level", "target_vintage",
                                 "method"]).size()
        for (sl, sv, tl, tv, method), n in families.items():
            click.echo(f"  {sl} {sv} -> {tl} {tv} ({method}): {n} rows")
    indicators = store.indicators()
    click.echo(f"Indicators: {len(indicators)}" + (" (list them with 'geohub indicators')"
                                                     if indicators else ""))
    imports = store.imports()
    if len(imports):
        click.echo("Recent imports:")
        for row in imports.tail(5).itertuples():
            click.echo(f"  #{row.id} {row.imported_at} {row.kind}: {row.source}")


@cli.command("areas")
@click.argument("level", type=level_type())
@click.option("--vintage", help="Boundary year (default: the newest in the store).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def areas_command(level, vintage, fmt):
    """List the areas of LEVEL as CSV (code,name) or JSON."""
    frame = existing_store().areas(get_level(level).name, parse_vintage(vintage) if vintage else None,
                              geometry=False)
    if fmt == "csv":
        write_csv(frame[["code", "name"]], sys.stdout, lineterminator="\n")
    else:
        records = [{"code": r.code, "name": r.name, "level": r.level, "vintage": int(r.vintage)}
                   for r in frame.itertuples()]
        click.echo(json.dumps(records, ensure_ascii=False, indent=1))


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False, help="Flask debug mode (reloader, tracebacks).")
def serve_command(host, port, debug):
    """Serve the web app (for production use gunicorn with wsgi:app, see README).

    On an empty store it loads the default catalogue datasets from GEOHUB_SOURCE when that is set,
    and otherwise says how to load data.
    """
    source = cli_config().get("GEOHUB_SOURCE")
    store = get_store() if source else existing_store()   # only a fetch may create the store
    if not store.boundary_sets():
        if source:
            from geohub.geography.fetch import fetch_and_import
            click.echo(f"The store is empty: loading the default datasets from {source} ...")
            for line in fetch_and_import(get_store, [], source, progress=True):
                click.echo(line)
        else:
            click.echo("The store is empty. Load data first, e.g.\n"
                       "  geohub fetch --source ../shared/data        (a local mirror)\n"
                       "  geohub fetch                                (the ONS Open Geography Portal)\n"
                       "  geohub import-boundaries FILE\n"
                       "or set GEOHUB_SOURCE and run 'geohub serve' again to load the defaults.")
    from geohub import create_app
    from geohub.cli.group import configure_logging
    from geohub.web import warm_up
    # A server says what it does (imports, cache rebuilds, refusals) unless asked to be quiet.
    verbosity = click.get_current_context().meta.get("geohub.verbosity", 0)
    configure_logging(-1 if verbosity < 0 else max(verbosity, 1))
    app = create_app()
    warm_up()
    # Flask's app.run() refuses to run inside its own CLI; werkzeug's server is what it would start.
    from werkzeug.serving import run_simple
    click.echo(f"Serving geohub on http://{host}:{port}/ (production: gunicorn wsgi:app, see README).")
    run_simple(host, port, app, use_reloader=debug,
               use_debugger=debug, threaded=True)
