"""Commands for overlaps: ``geohub overlaps`` (the relationship table) and ``geohub aggregate``."""
from __future__ import annotations

import sys

import click
import pandas as pd

from geohub.cli.group import Vocabulary, cli
from geohub.errors import InputError
from geohub.io.csv import write_csv
from geohub.overlaps.slivers import DEFAULT_TOLERANCE
from geohub.cli.context import get_store



def _points(path):
    if path is None:
        return None
    from geohub.geography.specs import resolve_areas
    return resolve_areas(path, get_store).areas


def _lookup_table(path, source, target):
    """The lookup family relating the two levels (any vintage if only one fits)."""
    from geohub.geography.lookups import read_lookup
    lookup = read_lookup(path)
    fits = [f for f in lookup.families
            if (source.level in (None, f.source_level)) and (target.level in (None, f.target_level))]
    exact = [f for f in fits if f.source_vintage == source.vintage and f.target_vintage == target.vintage]
    chosen = exact or fits
    if not chosen:
        raise InputError(f"The lookup relates {', '.join(f.label() for f in lookup.families)}, "
                         f"not {source.label} to {target.label}.", "Pass a lookup between these levels.")
    return pd.concat([f.table() for f in chosen], ignore_index=True)


def relationship_table(source, target, method, points, lookup, min_share, engine="python"):
    """relate() for the CLI: exact table, then the documented sliver treatment at min_share.
    With engine 'postgis' the area method runs inside the PostGIS store."""
    from geohub.overlaps import relate, resolve_slivers
    pts = _points(points)
    lk = _lookup_table(lookup, source, target) if method == "lookup" else None
    if engine == "postgis":
        from geohub.store.postgis import PostGISStore, relate_in_database
        store = get_store()
        if method != "area" or not (source.stored and target.stored) or not isinstance(store, PostGISStore):
            raise InputError("--engine postgis relates two stored levels by area in a PostGIS store.",
                             "Set GEOHUB_DATABASE_URL, use --method area and LEVEL:VINTAGE for both sides.")
        table = relate_in_database(store, (source.level, source.vintage), (target.level, target.vintage))
        table.attrs["method"] = "area"
    else:
        table = relate(source.areas, target.areas, method=method, points=pts, lookup=lk)
    if min_share > 0:
        fit = None
        if method == "area" and pts is not None:
            fit = relate(source.areas, target.areas, method="best-fit", points=pts)
        table, _ = resolve_slivers(table, min_share, fit)
    return table


def _named(table, source, target):
    names_s = dict(zip(source.areas["code"], source.areas["name"]))
    names_t = dict(zip(target.areas["code"], target.areas["name"]))
    out = table.assign(source_name=table["source_code"].map(names_s),
                       target_name=table["target_code"].map(names_t))
    return out[["source_code", "source_name", "target_code", "target_name", "share", "method",
                "intersection_area"]]


@cli.command("overlaps")
@click.argument("source")
@click.argument("target")
@click.option("--method", type=Vocabulary("geohub.overlaps.relate:METHODS"), default="area",
              show_default=True,
              help="area: exact intersections (EPSG:27700); best-fit: population-weighted centroids "
                   "(--points); lookup: an official lookup (--lookup).")
@click.option("--points", help="Centroids for best-fit (a file, or a stored level such as msoa:2021).")
@click.option("--lookup", "lookup", type=click.Path(exists=True, dir_okay=False),
              help="Lookup file for --method lookup.")
@click.option("--min-share", type=float, default=0.0, show_default=True,
              help="Sliver tolerance: shares below it are dropped, above 1 - it become 1, and with "
                   "--points ambiguous sources take their best-fit shares. 0 = the exact table.")
@click.option("--output", type=click.Path(dir_okay=False), help="CSV file (default: standard output).")
@click.option("--slivers", type=click.Path(dir_okay=False), help="CSV file for every sliver dropped or changed.")
@click.option("--save", is_flag=True, help="Also store the table as relationships (both sides stored levels).")
@click.option("--engine", type=click.Choice(["python", "postgis"]), default="python", show_default=True,
              help="Where the area method runs: geohub's engine, or inside the PostGIS store (large inputs).")
def overlaps_command(source, target, method, points, lookup, min_share, output, slivers, save, engine):
    """How every area of SOURCE lies in the areas of TARGET.

    SOURCE and TARGET are stored levels (LEVEL or LEVEL:VINTAGE, e.g. lad:2021) or boundary files
    (FILE or FILE#LAYER). Writes CSV with source_code, source_name, target_code, target_name, share
    (the fraction of the source inside the target), method and intersection_area (m²).
    """
    from geohub.geography.specs import resolve_areas
    from geohub.overlaps import overlap_report
    src, tgt = resolve_areas(source, get_store), resolve_areas(target, get_store)
    if save and not (src.stored and tgt.stored):  # before any output is written
        raise InputError("--save needs two stored levels.", "Write both as LEVEL:VINTAGE.")
    table = relationship_table(src, tgt, method, points, lookup, min_share, engine)
    out = _named(table, src, tgt)
    if output:
        write_csv(out, output)
    else:
        write_csv(out, sys.stdout, lineterminator="\n")
    report = overlap_report(table, sources=list(src.areas["code"]))
    stats = report["stats"]
    changed = table.attrs.get("slivers")
    if slivers and changed is not None:
        write_csv(changed, slivers)
    click.echo(f"{src.label} -> {tgt.label} ({method}): {stats['pairs']} rows; "
               f"{stats['sources_in_several_targets']} sources in several targets; "
               f"{stats['unassigned']} in none; slivers: {stats.get('slivers', {})}.", err=True)
    if save:
        with get_store().transaction() as tx:
            tx.replace_relationships(src.level, src.vintage, tgt.level, tgt.vintage, method, table, None)
        click.echo(f"Saved as relationships {src.level} {src.vintage} -> {tgt.level} {tgt.vintage} "
                   f"({method}).", err=True)


def _values_csv(path, code_column, value_column):
    from geohub.indicators.values import clean_values
    from geohub.io.tables import read_table
    frame = read_table(path)
    for column in (code_column, value_column):
        if column not in frame.columns:
            raise InputError(f"{path} has no column {column!r}.", f"Columns: {', '.join(frame.columns)}.")
    values, _ = clean_values(frame[value_column])
    return pd.Series(values.to_numpy(), index=frame[code_column].astype(str).str.strip())


@cli.command("aggregate")
@click.argument("values_csv", type=click.Path(exists=True, dir_okay=False))
@click.option("--code-column", required=True, help="Column of source area codes.")
@click.option("--value-column", required=True, help="Column of values.")
@click.option("--from", "from_", required=True, help="Source areas: LEVEL:VINTAGE or a boundary file.")
@click.option("--to", "to", required=True, help="Target areas: LEVEL:VINTAGE or a boundary file.")
@click.option("--kind", type=Vocabulary("geohub.indicators.kinds:KINDS"), default="count",
              show_default=True,
              help="count: summed (value * share); rate or ratio: weighted mean (needs --weights).")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False),
              help="CSV of weights per source code (for rates), e.g. population.")
@click.option("--weight-column", help="Column of weights in --weights.")
@click.option("--weight-code-column", help="Column of codes in --weights (default: --code-column).")
@click.option("--mode", type=Vocabulary("geohub.overlaps.aggregate:MODES"),
              help="full: a source counts in every target it lies in (as Nomis publishes LEP totals; "
                   "the default for areas made of whole LADs); split: shares are normalised per "
                   "source so totals are conserved (the default otherwise).")
@click.option("--method", type=Vocabulary("geohub.overlaps.relate:METHODS", extra=("auto",)),
              default="auto", show_default=True,
              help="auto: for stored levels, the store's relationship (official lookup, else best fit "
                   "by stored centroids, else area); for files, memberships by area (at least half "
                   "of a LAD) when the targets are made of whole LADs, else area shares with slivers "
                   "resolved at --min-share.")
@click.option("--points", help="Centroids for best-fit and for resolving ambiguous slivers.")
@click.option("--lookup", type=click.Path(exists=True, dir_okay=False), help="Lookup file for --method lookup.")
@click.option("--min-share", type=float, default=DEFAULT_TOLERANCE, show_default=True,
              help="Sliver tolerance (see 'geohub overlaps --help'); 0 uses the exact table.")
@click.option("--trace", type=click.Path(dir_okay=False),
              help="CSV of every (target, source) link used: share, source value, weight.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
def aggregate_command(values_csv, code_column, value_column, from_, to, kind, weights, weight_column,
                      weight_code_column, mode, method, points, lookup, min_share, trace, output):
    """Aggregate VALUES_CSV from one geography to another through their overlaps.

    Writes CSV with code, name, value, sources (how many source areas contributed) and missing
    (sources without a value: such a target has no value rather than an undercount).
    """
    from geohub.geography.specs import resolve_areas
    from geohub.indicators.drafts import infer_kind
    from geohub.overlaps import aggregate
    if kind == "count" and infer_kind(value_column) == "rate":
        raise InputError(f"The column {value_column!r} looks like a rate, but --kind is count.",
                         "Counts are summed and rates must not be: pass --kind rate with --weights.")
    from geohub.geography.levels import nests_lads
    values = _values_csv(values_csv, code_column, value_column)
    w = None
    if kind != "count":
        if not (weights and weight_column):
            raise InputError(f"Aggregating a {kind} needs a weight.",
                             "Pass --weights CSV --weight-column W (e.g. population per source area).")
        w = _values_csv(weights, weight_code_column or code_column, weight_column)
    src, tgt = resolve_areas(from_, get_store), resolve_areas(to, get_store)
    nested = nests_lads(src.level, tgt.level)
    if method != "auto":
        table = relationship_table(src, tgt, method, points, lookup, min_share)
        if nested:
            from geohub.overlaps.membership import memberships
            table = memberships(table)
    elif src.stored and tgt.stored and points is None:
        from geohub.maps.model import MapBuilder
        table = MapBuilder(get_store()).relationship((src.level, src.vintage), (tgt.level, tgt.vintage))
    elif nested:
        from geohub.overlaps.membership import memberships
        table = memberships(relationship_table(src, tgt, "best-fit" if points else "area", points,
                                               None, 0.0))
    else:
        table = relationship_table(src, tgt, "area", points, None, min_share)
    method = table.attrs.get("method", method)
    mode = mode or ("full" if nested else "split")
    result = aggregate(values, table, kind, mode, w)
    names = dict(zip(tgt.areas["code"], tgt.areas["name"]))
    out = result.assign(name=result["code"].map(names), missing=result["missing"].map(" ".join))
    present = out["value"].dropna()
    if kind == "count" and (present == present.round()).all():  # whole counts as published
        out["value"] = out["value"].round().astype("Int64")
    out = out.assign(method=method, mode=mode, rule=table.attrs.get("rule"))
    write_csv(out[["code", "name", "value", "sources", "missing", "method", "mode", "rule"]], output)
    if trace:
        write_csv(result.attrs["trace"], trace)
    unused = result.attrs["unused"]
    click.echo(f"{len(out)} {tgt.label} values ({kind}, {mode}, {method}) written to {output}"
               + (f"; {len(unused)} source codes lie in no target: {', '.join(unused[:10])}" if unused else "")
               + ".", err=True)
