"""Turn a published table into indicator drafts: metadata plus clean (code, period, value, flag) rows.

Handles long tables (one row per area, period and variable: Nomis), wide tables (one row per area,
a column per variable: mid-year estimates) and multi-indicator tables (``--indicator-column``: one
indicator per distinct value, each with its own unit and periods). Nothing here reads the store.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geohub.errors import InputError, option
from geohub.geography.levels import level_for_code
from geohub.indicators.columns import Columns, detect_columns, find_column, row_vintages
from geohub.indicators.kinds import KINDS
from geohub.indicators.values import clean_values, source_decimals

_RATE_WORDS = re.compile(r"%|percent|\bper\b|\brate\b|ratio|average|median|\bmean\b|score|index|"
                         r"\byrs\b|years|mins|minutes|expectancy", re.IGNORECASE)
_COUNT_WORDS = re.compile(r"number|count|population|people|persons|enterprises|businesses|jobs|"
                          r"households|million|total", re.IGNORECASE)
_PERIOD_IN_NAME = re.compile(r"mid-?(\d{4})", re.IGNORECASE)


@dataclass
class ImportOptions:
    """What the user said on the command line (None = detect)."""

    id: str | None = None
    title: str | None = None
    unit: str | None = None
    kind: str | None = None
    code_column: str | None = None
    value_column: str | None = None
    period_column: str | None = None
    period: str | None = None
    indicator_column: str | None = None
    where: list[tuple[str, str]] = field(default_factory=list)
    source: str | None = None
    licence: str | None = None
    vintage: int | None = None
    drop_duplicates: bool = False
    ci_column: str | None = None


@dataclass
class IndicatorDraft:
    """One indicator ready for matching: metadata and rows (area_code, period, value, flag,
    declared_vintage)."""

    meta: dict
    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """An indicator id from a title: at most 64 characters (a long one keeps a hash of the rest,
    so two titles that differ late still get different ids)."""
    full = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "indicator"
    if len(full) <= 64:
        return full
    return full[:55].strip("-") + "-" + hashlib.sha1(full.encode()).hexdigest()[:8]


def parse_where(items) -> list[tuple[str, str]]:
    """``COL=VALUE`` strings as pairs; InputError for anything else."""
    pairs = []
    for item in items or ():
        if "=" not in item:
            raise InputError(f"«where» {item!r} is not COLUMN=VALUE.",
                             f'Write it as {option("where", "variable=Total")} (quote values with spaces).')
        column, value = item.split("=", 1)
        pairs.append((column.strip(), value.strip()))
    return pairs


def apply_filters(frame: pd.DataFrame, where: list[tuple[str, str]]) -> pd.DataFrame:
    """Rows matching every filter (several values for one column are alternatives)."""
    wanted: dict[str, list[str]] = {}
    for column, value in where:
        wanted.setdefault(find_column(frame, column, (), "«where»"), []).append(value)
    mask = pd.Series(True, index=frame.index)
    for column, values in wanted.items():
        cells = frame[column].astype("string").str.strip()
        hit = cells.isin(values)
        if not hit.any():
            present = cells.dropna().unique().tolist()
            raise InputError(f"The filter {column}={' or '.join(map(repr, values))} matched no rows.",
                             f"Values of {column} include: "
                             + ", ".join(map(repr, present[:8])) + (" ..." if len(present) > 8 else ""))
        mask &= hit
    result = frame[mask]
    if result.empty:
        raise InputError("The filters together matched no rows (each matches some on its own).",
                         "Check that the «where» values can occur in the same rows.")
    return result


def infer_kind(*texts) -> str | None:
    """count or rate from the words of a title, unit or column name; None if they do not say."""
    joined = " ".join(t for t in texts if t).replace("_", " ")
    if _RATE_WORDS.search(joined):
        return "rate"
    if _COUNT_WORDS.search(joined):
        return "count"
    return None


def _periods(frame: pd.DataFrame, cols: Columns, options: ImportOptions, path: Path) -> pd.Series:
    if options.period is not None:
        return pd.Series(str(options.period), index=frame.index)
    if cols.period is not None:
        periods = frame[cols.period].astype("string").str.strip()
        if periods.isna().any():
            rows = (periods.index[periods.isna()] + 2).tolist()[:10]
            raise InputError(f"Rows without a period in {cols.period} (lines {rows}).",
                             "Fill them in or filter them out with «where».")
        return periods
    m = _PERIOD_IN_NAME.search(path.name)
    if m:
        return pd.Series(m[1], index=frame.index)
    raise InputError("No period column found (looked for DATE, period, Period, year ...).",
                     "Pass «period-column» COLUMN, or «period» VALUE for a single-period table.")


def _resolve_duplicates(rows: pd.DataFrame, source: pd.DataFrame, cols: Columns, title: str,
                        drop: bool, notes: list[str]) -> pd.DataFrame:
    """Rows with each (code, period) once. Identical repeats collapse; conflicting ones are an
    error naming them (or, with ``drop``, are all left out and reported). Codes of no geohub level
    are never matched, so their repeats are left for the unmatched report."""
    exact = source.duplicated().to_numpy()
    if exact.any():
        notes.append(f"{int(exact.sum())} rows repeated another row exactly and were counted once.")
        rows, source = rows[~exact], source[~exact]
    dup = rows.duplicated(["area_code", "period"], keep=False) & rows["area_code"].map(
        lambda c: level_for_code(c) is not None)
    if not dup.any():
        return rows
    pairs = rows[dup].drop_duplicates(["area_code", "period"])
    shown = ", ".join(f"{r.area_code} {r.period}" for r in pairs.head(5).itertuples())
    if drop:
        notes.append(f"left out {int(dup.sum())} rows that give different values for the same area "
                     f"and period ({shown}{' ...' if len(pairs) > 5 else ''}).")
        return rows[~dup]
    repeated = source[dup.to_numpy()]
    keys = [rows.loc[dup, "area_code"], rows.loc[dup, "period"]]
    ignore = {cols.value, cols.flag, cols.code, cols.period}
    # Columns that differ between rows of the same (code, period): what the user must choose by.
    varying = [c for c in source.columns if c not in ignore
               and repeated.groupby(keys)[c].nunique(dropna=False).max() > 1]
    if varying and source[varying[0]].nunique() < len(source) / 2:
        first = varying[0]
        hint = (f"Rows for one area and period differ in {first} ({source[first].nunique()} values): "
                f"pick one with «where» {first}=VALUE, or make one indicator per value with "
                f"«indicator-column» {first}.")
    else:
        hint = ("The file gives one code to different values; fix it, or pass «drop-duplicates» to "
                "leave those rows out (they are listed in the report).")
    raise InputError(f"{title}: {int(dup.sum())} rows repeat an (area code, period) pair "
                     f"(e.g. {shown}).", hint)


def _unit_of(frame: pd.DataFrame, cols: Columns, options: ImportOptions) -> str | None:
    if options.unit:
        return options.unit
    if cols.unit is None:
        return None
    units = frame[cols.unit].dropna().astype(str).str.strip().unique().tolist()
    return units[0] if len(units) == 1 else (", ".join(units) if units else None)


# A Nomis variable label: a cell code and its dimensions, 'T01:28 (Aged 16-64 - In employment : All People )'.
_NOMIS_LABEL = re.compile(r"^\s*[A-Z]{1,4}\d{1,3}[a-z]?:\d+\s*\((?P<label>.*)\)\s*$")
# Categories that select everything: they add nothing to a title.
_EVERYTHING = {"all", "total", "all people", "all persons", "persons"}
# A dataset's own filters, '(industry=Total, legal status=Total)'.
_DATASET_FILTERS = re.compile(r"\s*\((?P<filters>[^()]*=[^()]*)\)\s*$")


def _lower(text: str) -> str:
    """A label part inside a sentence: words lower-cased except acronyms ('UK', 'NVQ4+')."""
    return " ".join(w if sum(c.isupper() for c in w) > 1 or any(c.isdigit() for c in w) else w.lower()
                    for w in text.split())


def readable_label(label: str) -> str:
    """A Nomis variable label as words: 'T01:28 (Aged 16-64 - In employment : All People )' ->
    'Aged 16-64, in employment' (the cell code goes; 'All' and 'All People' go unless nothing
    narrower is left: 'T01:22 (Aged 16-64 - All : All People )' -> 'Aged 16-64, all people').
    Any other label comes back stripped."""
    match = _NOMIS_LABEL.match(str(label))
    if not match:
        return str(label).strip()
    parts = [p.strip() for p in re.split(r"\s+[-:]\s+", match["label"]) if p.strip()]
    parts = [p for p in parts if p.lower() != "all"] or parts
    narrower = [p for p in parts if p.lower() not in _EVERYTHING]
    if len(narrower) >= 2:
        parts = narrower
    if not parts:
        return str(label).strip()
    return ", ".join([parts[0]] + [_lower(p) for p in parts[1:]])


def readable_dataset(name: str, category: str | None = None) -> str:
    """A dataset name with a category chosen from it as a title: 'UK Business Counts - enterprises by
    employment size band (industry=Total, legal status=Total)' with 'Total' -> 'UK Business Counts:
    enterprises', with 'Micro (0 to 9)' -> 'UK Business Counts: enterprises, micro (0 to 9)'.
    Filters that select everything are dropped, and so is the 'by ...' breakdown the category is
    one value (or the total) of."""
    name = str(name).strip()
    kept = []
    match = _DATASET_FILTERS.search(name)
    if match:
        name = name[:match.start()].strip()
        for item in match["filters"].split(","):
            key, _, value = item.partition("=")
            if value.strip().lower() not in _EVERYTHING:
                kept.append(f"{key.strip()} {value.strip()}")
    series, dash, subject = name.partition(" - ")
    text = f"{series.strip()}: {subject.strip()}" if dash else name
    total = category is None or category.strip().lower() in _EVERYTHING
    # The breakdown ('by employment size band') is what the category is taken from: it goes.
    text = re.sub(r"\s+by\s+[^,:()]+$", "", text)
    extra = ([] if total else [_lower(category.strip())]) + kept
    return ", ".join([text] + extra)


def _default_source(frame: pd.DataFrame, path: Path) -> str:
    """The publication a table names in its dataset column ('Annual Population Survey ...',
    plus where it came from, for Nomis downloads), else the file's name."""
    dataset = find_column(frame, None, ("dataset", "dataset_name"), "dataset")
    if dataset is not None and frame[dataset].nunique() == 1:
        name = str(frame[dataset].iloc[0]).strip()
        nomis = find_column(frame, None, ("nomis_geography_type",), "nomis") is not None or \
            "nomis" in path.name.lower()
        return f"{name}, ONS via Nomis" if nomis else name
    return path.name


def _default_title(frame: pd.DataFrame, cols: Columns, options: ImportOptions, path: Path) -> str:
    """A title from what the table says about itself: a Nomis variable label chosen with --where
    reads as words ('Aged 16-64, in employment'); a category of a named dataset joins the dataset
    ('UK Business Counts: enterprises'); otherwise the value column (if it is more than 'value')
    and the file name: 'Total population (file)'."""
    dataset = find_column(frame, None, ("dataset", "dataset_name"), "dataset")
    name = str(frame[dataset].iloc[0]).strip() if dataset is not None and frame[dataset].nunique() == 1 else None
    values = [value for _, value in options.where]
    labelled = [readable_label(v) for v in values if _NOMIS_LABEL.match(v)]
    others = [v for v in values if not _NOMIS_LABEL.match(v)]
    if labelled:    # Nomis labels say what they count: the dataset would only repeat it
        return ", ".join(labelled + [_lower(v) for v in others])
    if name is not None:
        if len(others) <= 1:
            return readable_dataset(name, others[0] if others else None)
        return ", ".join([readable_dataset(name)] + [_lower(v) for v in others])
    if others:
        return ", ".join([others[0]] + [_lower(v) for v in others[1:]])
    if cols.value.lower() in ("value", "obs_value", "observation"):
        return path.stem
    return f"{cols.value.replace('_', ' ').capitalize()} ({path.stem})"


def _draft(frame: pd.DataFrame, cols: Columns, options: ImportOptions, path: Path, *,
           indicator_id: str, title: str) -> IndicatorDraft:
    values, flags = clean_values(frame[cols.value], frame[cols.flag] if cols.flag else None)
    rows = pd.DataFrame({
        "area_code": frame[cols.code].astype("string").str.strip(),
        "period": _periods(frame, cols, options, path),
        "value": values, "flag": flags,
    })
    if cols.ci is not None:
        # Kept as published: plus or minus the value, at 95%; a marker leaves it missing.
        rows["ci95"], _ = clean_values(frame[cols.ci], what="confidence interval")
    if options.vintage is not None:
        rows["declared_vintage"] = pd.array([options.vintage] * len(rows), dtype="Int64")
    elif cols.code_vintage is not None:
        rows["declared_vintage"] = pd.array([cols.code_vintage] * len(rows), dtype="Int64")
    elif cols.vintage_column is not None:
        rows["declared_vintage"] = row_vintages(frame[cols.vintage_column])
    else:
        rows["declared_vintage"] = pd.array([pd.NA] * len(rows), dtype="Int64")
    no_code = rows["area_code"].isna() | (rows["area_code"] == "")
    if no_code.any():
        lines = (rows.index[no_code] + 2).tolist()[:10]
        raise InputError(f"{title}: rows without an area code in {cols.code} (lines {lines}).",
                         "Fill them in or filter them out with «where».")
    notes: list[str] = []
    rows = _resolve_duplicates(rows, frame, cols, title, options.drop_duplicates, notes)
    unit = _unit_of(frame, cols, options)
    kind = options.kind or infer_kind(title, unit, cols.value)
    if kind is None:
        raise InputError(f"geohub cannot tell whether {title!r} is a count or a rate.",
                         "Say so with «kind» count (summed when areas are combined) or «kind» rate "
                         "(averaged with a weight).")
    if kind not in KINDS:
        raise InputError(f"Unknown kind {kind!r}.", f"Use one of: {', '.join(KINDS)}.")
    if kind == "count" and unit and re.search(r"%|percent|per ", unit, re.IGNORECASE):
        raise InputError(f"{title!r} has unit {unit!r}, which is a rate, but was given «kind» count.",
                         "Counts are summed when areas are combined and rates must not be: use "
                         "«kind» rate (or ratio).")
    meta = {"id": indicator_id, "title": title, "unit": unit, "kind": kind,
            "source": options.source or _default_source(frame, path), "licence": options.licence,
            "periods": sorted(rows["period"].unique().tolist()),
            "decimals": source_decimals(frame[cols.value])}
    if cols.ci is not None:
        meta["ci"] = {"column": cols.ci, "level": 95}
    return IndicatorDraft(meta, rows, notes)


def build_drafts(frame: pd.DataFrame, options: ImportOptions, path: Path) -> list[IndicatorDraft]:
    """Indicator drafts from a table; InputError naming the first problem found."""
    if options.where:
        frame = apply_filters(frame, options.where)
    cols = detect_columns(frame, code=options.code_column, value=options.value_column,
                          period=options.period_column, ci=options.ci_column)
    if options.indicator_column is None:
        title = options.title or _default_title(frame, cols, options, path)
        return [_draft(frame, cols, options, path, indicator_id=options.id or slug(title), title=title)]
    column = find_column(frame, options.indicator_column, (), "indicator")
    drafts = []
    for name, group in frame.groupby(frame[column].astype("string").str.strip(), sort=True):
        title = readable_label(name)
        indicator_id = slug(f"{options.id}-{title}") if options.id else slug(title)
        drafts.append(_draft(group, cols, options, path, indicator_id=indicator_id, title=title))
    ids = [d.meta["id"] for d in drafts]
    clashes = sorted({i for i in ids if ids.count(i) > 1})
    if clashes:
        raise InputError(f"Several indicators would get the same id: {', '.join(clashes)}.",
                         "Their names differ only in punctuation; import them separately with «where».")
    return drafts
