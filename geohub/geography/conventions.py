"""ONS naming conventions: which fields hold codes and names, and what vintage a field or file names.

ONS boundary files name their fields ``<STEM><YY>CD`` / ``<STEM><YY>NM`` (``LAD21CD``, ``CAUTH24NM``);
lookups may number a repeated parent (``LEP17CD1``, ``LEP17CD2``); re-packagers such as geographr
write ``<stem><yy>_code`` (``ltla21_code``); some lookups have bare ``<stem>cd`` (``ladcd``); the ONS
Data Vis team's files use ``areacd`` / ``areanm``. These spellings are recognised here, once, for
boundary files, lookups and indicator tables (``ons_field``); which level a stem names comes from
the levels' own ``field_prefixes`` (``geography/levels.py``), so a new level needs no change here.
Detection is case-insensitive and never guesses between two plausible code fields: it asks for
``«code-field»`` instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geohub.errors import InputError
from geohub.geography import levels
from geohub.geography.levels import Level, level_for_field_prefix, parse_vintage

_ONS_FIELD = re.compile(r"^(?P<stem>[A-Za-z]+?)(?P<yy>\d{2})(?P<kind>CD|NMW|NM)(?P<n>\d?)$", re.IGNORECASE)
_SNAKE_CODE = re.compile(r"^(?P<stem>[a-z]+?)(?P<yy>\d{2})_code$", re.IGNORECASE)
_BARE_CODE = re.compile(r"^(?P<stem>[a-z]+?)cd$", re.IGNORECASE)
_GENERIC_CODE = ("areacd", "area_code", "code", "gss_code", "geography_code")
_GENERIC_NAME = ("areanm", "area_name", "name", "geography_name")
_FILE_MONTH_YEAR = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[_ -]?((?:19|20)\d{2})", re.IGNORECASE)


@dataclass(frozen=True)
class OnsField:
    """What a column's name says in the ONS conventions: the stem (``LAD``), the level geohub knows
    by that stem (None for a stem it does not know, e.g. ``WD``), the vintage its two-digit year
    names, whether it holds codes or names, and how it was spelt."""

    column: str
    stem: str             # upper case
    level: Level | None
    vintage: int | None   # None for a bare ``ladcd``
    kind: str             # "CD" (codes), "NM" (names) or "NMW" (Welsh names)
    form: str             # "ons" (LAD21CD, LEP17CD1), "snake" (ltla21_code) or "bare" (ladcd)
    number: str = ""      # the 1 of LEP17CD1: an area listed under several parents


def ons_field(column: str) -> OnsField | None:
    """The ONS reading of a column name (``LAD21CD`` -> stem LAD, lad, 2021, codes), or None."""
    name = str(column)
    if m := _ONS_FIELD.match(name):
        return OnsField(name, m["stem"].upper(), level_for_field_prefix(m["stem"]), parse_vintage(m["yy"]),
                        m["kind"].upper(), "ons", m["n"])
    if m := _SNAKE_CODE.match(name):
        return OnsField(name, m["stem"].upper(), level_for_field_prefix(m["stem"]), parse_vintage(m["yy"]),
                        "CD", "snake")
    if (m := _BARE_CODE.match(name)) and name.lower() not in _GENERIC_CODE:
        return OnsField(name, m["stem"].upper(), level_for_field_prefix(m["stem"]), None, "CD", "bare")
    return None


def ons_code_column(column: str) -> OnsField | None:
    """``ons_field`` for the dated code columns of a table of values: ``LAD21CD`` or
    ``ltla21_code`` (not numbered, not bare, not names)."""
    field = ons_field(column)
    return field if field and field.kind == "CD" and field.form != "bare" and not field.number else None


@lru_cache(maxsize=8)
def _file_stem_year(stems: tuple[str, ...]) -> re.Pattern:
    # Longest first, so that CAUTH21 is read as CAUTH, not CA.
    alternatives = "|".join(sorted(map(re.escape, stems), key=len, reverse=True))
    return re.compile(rf"(?:^|[^A-Za-z])(?:{alternatives})(\d{{2}})(?!\d)", re.IGNORECASE)


def file_stem_pattern() -> re.Pattern:
    """``<STEM><YY>`` in a file name, for the stems of every level (``LAD16_...`` -> 16)."""
    return _file_stem_year(tuple(p for level in levels.LEVELS for p in level.field_prefixes))


@dataclass(frozen=True)
class Fields:
    """The code and name fields of a boundary table, and what their spelling says about it."""

    code: str
    name: str | None
    level: Level | None   # from the field stem (LAD21CD -> lad)
    vintage: int | None   # from the field's year (LAD21CD -> 2021)


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if c != "geometry" and pd.api.types.is_string_dtype(frame[c].dtype)]


def detect_fields(frame: pd.DataFrame, code_field: str | None = None,
                  name_field: str | None = None) -> Fields:
    """Find the code and name fields (flags win); InputError naming the candidates if unsure."""
    columns = [c for c in frame.columns if c != "geometry"]
    lookup = {c.lower(): c for c in columns}

    def resolve(flag: str | None, what: str) -> str | None:
        if flag is None:
            return None
        if flag in columns:
            return flag
        if flag.lower() in lookup:
            return lookup[flag.lower()]
        raise InputError(f"There is no field {flag!r} to use as the {what} field.",
                         f"Fields in this file: {', '.join(columns)}.")

    code = resolve(code_field, "code")
    name = resolve(name_field, "name")
    fields = {c: f for c in columns if (f := ons_field(c)) and f.form == "ons" and not f.number}
    if code is None:
        ons = [c for c, f in fields.items() if f.kind == "CD"]
        generic = [lookup[g] for g in _GENERIC_CODE if g in lookup]
        candidates = ons or generic[:1]
        if not candidates:
            raise InputError(
                "No code field found (looked for ONS fields like LAD21CD or areacd).",
                f"Candidate fields: {', '.join(_text_columns(frame)) or 'none'}; pass «code-field».")
        if len(candidates) > 1:
            raise InputError(f"Several fields look like codes: {', '.join(candidates)}.",
                             "Pass «code-field» to say which one identifies the areas.")
        code = candidates[0]

    field = fields.get(code)
    level = field.level if field else None
    vintage = field.vintage if field else None
    if name is None:
        if field:
            name = lookup.get(f"{code[:-len(field.kind)]}NM".lower())   # LAD21CD -> LAD21NM
        if name is None:
            ons_names = [c for c, f in fields.items() if f.kind == "NM"]
            generic = [lookup[g] for g in _GENERIC_NAME if g in lookup]
            names = ons_names or generic
            name = names[0] if len(names) == 1 else None
    return Fields(code=code, name=name, level=level, vintage=vintage)


def vintage_from_filename(path: str | Path) -> int | None:
    """The year a file name states (``LAD16_...`` -> 2016, ``..._May2021_...`` -> 2021), if any."""
    stem = Path(path).name
    m = file_stem_pattern().search(stem)
    if m:
        return parse_vintage(m[1])
    m = _FILE_MONTH_YEAR.search(stem)
    return int(m[1]) if m else None
