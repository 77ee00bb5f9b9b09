"""ONS naming conventions: which fields hold codes and names, and what vintage a field or file names.

ONS boundary files name their fields ``<STEM><YY>CD`` / ``<STEM><YY>NM`` (``LAD21CD``, ``CAUTH24NM``);
the ONS Data Vis team's files use ``areacd`` / ``areanm``. Detection is case-insensitive and never
guesses between two plausible code fields: it asks for ``--code-field`` instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geohub.errors import InputError
from geohub.geography.levels import Level, level_for_field_prefix, parse_vintage

_ONS_FIELD = re.compile(r"^(?P<stem>[A-Za-z]+?)(?P<yy>\d{2})(?P<kind>CD|NM|NMW)$", re.IGNORECASE)
_GENERIC_CODE = ("areacd", "area_code", "code", "gss_code", "geography_code")
_GENERIC_NAME = ("areanm", "area_name", "name", "geography_name")
_STEMS = "LAD|LTLA|UTLA|CTYUA|CTY|MCTY|LEP|CAUTH|LSIP|RGN|CTRY|MSOA|LSOA"
_FILE_STEM_YEAR = re.compile(rf"(?:^|[^A-Za-z])(?:{_STEMS})(\d{{2}})(?!\d)", re.IGNORECASE)
_FILE_MONTH_YEAR = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[_ -]?((?:19|20)\d{2})", re.IGNORECASE)


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
    if code is None:
        ons = [c for c in columns if (m := _ONS_FIELD.match(c)) and m["kind"].upper() == "CD"]
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

    level = vintage = None
    m = _ONS_FIELD.match(code)
    if m:
        level = level_for_field_prefix(m["stem"])
        vintage = parse_vintage(m["yy"])
    if name is None:
        if m:
            wanted = f"{m['stem']}{m['yy']}NM".lower()
            name = lookup.get(wanted)
        if name is None:
            ons_names = [c for c in columns if (n := _ONS_FIELD.match(c)) and n["kind"].upper() == "NM"]
            generic = [lookup[g] for g in _GENERIC_NAME if g in lookup]
            names = ons_names or generic
            name = names[0] if len(names) == 1 else None
    return Fields(code=code, name=name, level=level, vintage=vintage)


def vintage_from_filename(path: str | Path) -> int | None:
    """The year a file name states (``LAD16_...`` -> 2016, ``..._May2021_...`` -> 2021), if any."""
    stem = Path(path).name
    m = _FILE_STEM_YEAR.search(stem)
    if m:
        return parse_vintage(m[1])
    m = _FILE_MONTH_YEAR.search(stem)
    return int(m[1]) if m else None
