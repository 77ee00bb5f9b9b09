"""``geohub export``: a map in any format of the renderer registry (PNG, SVG, PDF, self-contained
HTML, CSV, GeoJSON ...)."""
from __future__ import annotations

from pathlib import Path

import click

from geohub.cli.context import existing_store
from geohub.cli.group import Vocabulary, cli, level_type
from geohub.maps.print_choices import AUTO_LABELS_MAX, DEFAULT_LABELS, DEFAULT_SIZE


@cli.command("export")
@click.argument("indicator")
@click.option("--level", type=level_type(), help="Level to map (default: the indicator's, LADs first).")
@click.option("--vintage", help="Boundary year (default: the indicator's).")
@click.option("--period", help="Period (default: the latest).")
@click.option("--format", "fmt", required=True, type=Vocabulary("geohub.maps.renderers:RENDERERS"),
              help="Any format of the renderer registry (geohub.maps.renderers).")
@click.option("--output", type=click.Path(dir_okay=True), help="File or folder to write (default: a "
              "file named for what the map shows (indicator, level, vintage, period, mode, weight, "
              "non-default classes ...) in the current folder).")
@click.option("--size", type=Vocabulary("geohub.maps.print_choices:SIZES"), default=DEFAULT_SIZE,
              show_default=True, help="Page size of PNG, SVG and PDF exports.")
@click.option("--dpi", help="Resolution of PNG exports: a number (72-600) or 'screen' (96). "
              "Default: 96 for --size screen, 150 for the print sizes.")
@click.option("--scheme", type=Vocabulary("geohub.maps.classify:SCHEMES"),
              help="How values are put into classes (default quantiles; user takes --breaks).")
@click.option("--k", type=int, help="Number of classes (2-9).")
@click.option("--breaks", help="User breaks, e.g. 10,20,30.")
@click.option("--palette", type=Vocabulary("geohub.maps.palettes:PALETTES"),
              help="ColorBrewer palette (default YlGnBu).")
@click.option("--overlay", help="Outline levels to draw, e.g. lep,cauth.")
@click.option("--mode", type=Vocabulary("geohub.overlaps.aggregate:MODES"),
              help="For levels reached by aggregation: how a council in two or more areas counts.")
@click.option("--weight", help="Weight indicator for rates reached by aggregation.")
@click.option("--labels", type=Vocabulary("geohub.maps.print_choices:LABELS"), default=DEFAULT_LABELS,
              show_default=True,
              help="Area names on PNG, SVG and PDF exports (auto: when the map has at most "
                   f"{AUTO_LABELS_MAX} areas).")
def export_command(indicator, level, vintage, period, fmt, output, size, dpi, scheme, k, breaks,
                   palette, overlay, mode, weight, labels):
    """Export INDICATOR's map, exactly as the web map shows it, to a file."""
    from geohub.maps.renderers import export, renderer
    from geohub.maps.model import MapBuilder, MapRequest
    args = {"level": level, "vintage": vintage, "period": period, "scheme": scheme,
            "k": str(k) if k else None, "breaks": breaks, "palette": palette, "overlay": overlay,
            "mode": mode, "weight": weight}
    req = MapRequest.from_args(indicator, {key: v for key, v in args.items() if v})
    builder = MapBuilder(existing_store())
    data = builder.build(req)
    options = context = None
    if renderer(fmt).image:  # only images import the drawing stack (matplotlib)
        from geohub.maps.context import map_context
        from geohub.maps.static_render import PrintOptions
        options = PrintOptions.from_args({"size": size, "dpi": dpi or "", "labels": labels})
        context = map_context(builder, data)
    from geohub import settings
    result = export(data, fmt, options, context=context,
                    precision=settings.geojson_precision(settings.from_environment()))
    target = Path(output) if output else Path(result.filename)
    if target.is_dir():
        target = target / result.filename
    target.write_bytes(result.body)
    click.echo(f"Wrote {target} ({len(result.body):,} bytes, {result.mimetype}).")
