"""Commands for indicators and lookups: import-indicator, derive, import-lookup, indicators, and
``indicator`` (show, edit, delete)."""
from __future__ import annotations

import click

from geohub.cli.group import Vocabulary, cli
from geohub.geography.levels import parse_vintage
from geohub.cli.context import existing_store, get_store, store_url


@cli.command("import-indicator")
@click.argument("file", type=click.Path(path_type=str))
@click.option("--id", "indicator_id", help="Indicator id (default: from the title). With "
              "--indicator-column, a prefix for each indicator's id.")
@click.option("--title", help="Title (default: the dataset name and filters, or the file name).")
@click.option("--unit", help="Unit, e.g. 'people' or '%' (default: the table's unit column).")
@click.option("--kind", type=Vocabulary("geohub.indicators.kinds:KINDS"),
              help="count (summed when areas combine) or rate/ratio (weighted mean); default: "
                   "inferred from the title and unit, or asked for.")
@click.option("--code-column", help="Column of GSS codes (default: detected: area_code, AREACD, "
              "GEOGRAPHY_CODE, ltla21_code ...).")
@click.option("--value-column", help="Column of values (default: OBS_VALUE, value, total_population ...).")
@click.option("--period-column", help="Column of periods (default: DATE, period, Period ...).")
@click.option("--period", help="The period of every row, for tables without a period column.")
@click.option("--indicator-column", help="Make one indicator per distinct value of this column.")
@click.option("--where", multiple=True, metavar="COL=VALUE",
              help="Keep only rows where COL equals VALUE (repeatable; repeated columns are alternatives).")
@click.option("--source", help="Source line shown with maps (default: the file name).")
@click.option("--licence", help="Licence of the data, e.g. 'Open Government Licence v3.0'.")
@click.option("--vintage", help="Boundary year of the codes (default: from the code column, or the "
              "stored vintage matching most codes).")
@click.option("--strict", is_flag=True, help="Refuse the file if any code matches no area.")
@click.option("--bridge-to", help="Carry values on older codes to this boundary year through the "
              "code history (see import-lookup).")
@click.option("--weight", help="Indicator id of a count to weight rates by when bridging merges areas.")
@click.option("--drop-duplicates", is_flag=True,
              help="Leave out rows that give different values for one area and period (reported).")
@click.option("--sheet", help="Sheet of an .xlsx file (default: the first).")
@click.option("--ci-column", help="Column of 95% confidence intervals (plus or minus the value; "
              "default: detected, e.g. Nomis conf95).")
def import_indicator_command(file, indicator_id, title, unit, kind, code_column, value_column,
                             period_column, period, indicator_column, where, source, licence, vintage,
                             strict, bridge_to, weight, drop_duplicates, sheet, ci_column):
    """Import indicator values from an ONS or Nomis table (CSV or XLSX).

    Long (one row per area, period and variable), wide (a column per variable) and multi-indicator
    tables are read as published: suppression markers (*, !, .., -, x, c, :) become missing values
    with the marker kept as a flag. Codes are matched to the stored areas of their level; codes that
    do not match are listed. A refused file leaves the store unchanged.
    """
    from geohub.errors import InputError
    from geohub.indicators.drafts import ImportOptions, parse_where
    from geohub.indicators.importer import import_indicator
    if period and period_column:
        raise InputError("--period and --period-column exclude each other.",
                         "Use --period for a table without a period column, --period-column otherwise.")
    options = ImportOptions(id=indicator_id, title=title, unit=unit, kind=kind, code_column=code_column,
                            value_column=value_column, period_column=period_column, period=period,
                            indicator_column=indicator_column, where=parse_where(where), source=source,
                            licence=licence, vintage=parse_vintage(vintage) if vintage else None,
                            drop_duplicates=drop_duplicates, ci_column=ci_column)
    report = import_indicator(get_store, file, options, strict=strict,
                              bridge_to=parse_vintage(bridge_to) if bridge_to else None, weight=weight,
                              sheet=sheet)
    for line in report.lines():
        click.echo(line)
    click.echo(f"Imported {len(report.results)} indicator(s) into {store_url()} "
               f"(import {report.import_id}).")


@cli.command("derive")
@click.argument("indicator_id", required=False)
@click.option("--numerator", required=True, help="Count indicator id on top, e.g. in employment.")
@click.option("--denominator", required=True, help="Count indicator id below, e.g. all people 16-64.")
@click.option("--scale", type=float, default=100.0, show_default=True,
              help="Multiplier: 100 for a percentage, 1000 for a rate per thousand.")
@click.option("--title", help="Title (default: '<numerator> per <denominator>').")
@click.option("--unit", help="Unit (default: %% when --scale is 100).")
def derive_command(indicator_id, numerator, denominator, scale, title, unit):
    """Make INDICATOR_ID, a ratio of two count indicators: SCALE x NUMERATOR / DENOMINATOR.

    Where areas are combined (combined authorities, LEPs ...), the numerator and the denominator are
    summed separately and then divided, as Nomis computes rates for larger areas; the ratio's parts
    are named on maps, exports and in the trace.
    """
    from geohub.indicators.derived import derive_ratio
    report = derive_ratio(get_store, indicator_id, numerator, denominator, scale=scale, title=title,
                          unit=unit)
    for line in report.lines():
        click.echo(line)
    click.echo(f"Imported 1 indicator into {store_url()} (import {report.import_id}).")


@cli.command("import-lookup")
@click.argument("file", type=click.Path(path_type=str))
@click.option("--vintage", help="Year of code columns that do not state one (e.g. ltlacd).")
@click.option("--source-column", help="Code column of the areas being looked up (default: the first).")
def import_lookup_command(file, vintage, source_column):
    """Import an official lookup or code history as relationships.

    Pair lookups (LAD21CD -> CAUTH21CD, areas under two parents in ...CD1/...CD2 columns), chains
    (ltla16_code ... ltla24_code) and change lists (oldcd, newcd, start) are understood. Same-level
    relationships between vintages are the code history that vintage bridging follows.
    """
    from geohub.geography.lookups import import_lookup
    lookup, import_id = import_lookup(get_store, file, vintage=vintage, source_column=source_column)
    for family in lookup.families:
        click.echo(family.label())
    for note in lookup.notes:
        click.echo(f"  {note}")
    click.echo(f"Imported {len(lookup.families)} relationship families (import {import_id}).")


@cli.command("indicators")
def indicators_command():
    """List the indicators in the store."""
    metas = get_store().indicators()
    if not metas:
        click.echo("No indicators yet: import one with 'geohub import-indicator FILE'.")
    for meta in metas:
        levels = ", ".join(f"{lvl} {vin}" for lvl, vin in sorted(meta.get("levels", {}).items()))
        click.echo(f"{meta['id']}\t{meta['kind']}\t{levels}\t{meta['title']}")


class _ShowByDefault(click.Group):
    """``geohub indicator ID`` means ``geohub indicator show ID``: an argument that names no
    subcommand is an id to show (an indicator called 'edit' is shown with 'show edit')."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@cli.group("indicator", cls=_ShowByDefault)
def indicator_group():
    """Show, edit or delete one indicator: 'geohub indicator ID' shows it."""


@indicator_group.command("show")
@click.argument("indicator_id")
def indicator_show_command(indicator_id):
    """Show one indicator's metadata: title, unit, kind, source, licence, levels, periods, matching."""
    meta = existing_store().indicator(indicator_id)
    for key in ("id", "title", "unit", "kind", "source", "licence"):
        click.echo(f"{key}: {meta.get(key) if meta.get(key) is not None else '-'}")
    for role in ("numerator", "denominator"):
        if meta.get(role):
            click.echo(f"{role}: {meta[role]}")
    click.echo("levels: " + ", ".join(f"{lvl} {vin}" for lvl, vin in sorted(meta.get("levels", {}).items())))
    click.echo("periods: " + ", ".join(meta.get("periods", [])))
    for line in meta.get("matching", []):
        click.echo(f"matching: {line}")
    for level, info in (meta.get("bridged_from") or {}).items():
        click.echo(f"bridged: {level} {info['from']} -> {info['to']} "
                   f"({len(info['merged'])} areas changed or merged)")


@indicator_group.command("edit")
@click.argument("indicator_id")
@click.option("--title", help="New title.")
@click.option("--unit", help="New unit, e.g. 'people' ('' clears it).")
@click.option("--source", help="New source line shown with maps ('' clears it).")
@click.option("--licence", help="New licence, e.g. 'Open Government Licence v3.0' ('' clears it).")
@click.option("--new-id", help="A new id (a slug: lower-case letters, digits, '-' and '_'). Its "
              "values follow, and ratios built from it (geohub derive) name the new id.")
def indicator_edit_command(indicator_id, title, unit, source, licence, new_id):
    """Change an indicator's title, unit, source, licence or id, in one transaction: a refused
    edit (a taken or malformed id, a text too long, nothing to change) leaves the store as it was."""
    from geohub.indicators.manage import edit_indicator
    change = edit_indicator(existing_store, indicator_id, title=title, unit=unit, source=source,
                            licence=licence, new_id=new_id)
    for line in change.lines():
        click.echo(line)
    click.echo(f"Edited 1 indicator in {store_url()} (import {change.import_id}).")


@indicator_group.command("delete")
@click.argument("indicator_id")
def indicator_delete_command(indicator_id):
    """Delete an indicator and its values. A part of a derived ratio is refused, naming the ratio:
    delete the ratio first."""
    from geohub.indicators.manage import delete_indicator
    change = delete_indicator(existing_store, indicator_id)
    for line in change.lines():
        click.echo(line)
    click.echo(f"Deleted 1 indicator from {store_url()} (import {change.import_id}).")
