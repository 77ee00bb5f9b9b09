"""Which columns of a published table hold codes, values, periods, flags and units.

Common ONS/Nomis spellings are recognised case-insensitively; flags always win; when nothing fits,
the error lists the columns that could be meant.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from geohub.errors import InputError
from geohub.geography.conventions import ons_code_column
from geohub.geography.levels import is_gss_code, parse_vintage

CODE_NAMES = ("area_code", "areacd", "geography_code", "geogcode", "area code", "code", "gss_code")
VALUE_NAMES = ("obs_value", "value", "observation", "v4_0")
WIDE_TOTALS = ("total_population", "all_ages", "all ages", "all persons", "total")
PERIOD_NAMES = ("date", "date_name", "period", "time", "time period", "time_period", "year")
FLAG_NAMES = ("flag", "obs_status", "marker", "obs_status_code")
UNIT_NAMES = ("unit", "units", "unit_name", "measures_name")
# A published 95% confidence interval, as plus-or-minus the value (Nomis APS: conf95).
CI_NAMES = ("conf95", "ci95", "confidence_interval", "conf_95", "ci")
_VINTAGE_VALUE = re.compile(r"^[A-Za-z]+(?P<yy>\d{2})$")


@dataclass(frozen=True)
class Columns:
    code: str
    value: str
    period: str | None
    flag: str | None
    unit: str | None
    ci: str | None
    code_vintage: int | None          # from the code column's name (ltla21_code -> 2021)
    vintage_column: str | None        # a column naming each row's code vintage (LAD21, CTRY)


def find_column(frame: pd.DataFrame, given: str | None, names, what: str) -> str | None:
    """The column ``given`` names (case-insensitive), else the first of ``names`` present."""
    lookup = {c.lower(): c for c in frame.columns}
    if given is not None:
        if given in frame.columns:
            return given
        if given.lower() in lookup:
            return lookup[given.lower()]
        raise InputError(f"There is no column {given!r} to use as the {what} column.",
                         f"Columns in this table: {', '.join(frame.columns)}.")
    for name in names:
        if name in lookup:
            return lookup[name]
    return None


def _gss_like(frame: pd.DataFrame) -> list[str]:
    out = []
    for column in frame.columns:
        sample = frame[column].dropna().astype(str).head(200)
        if len(sample) and sample.map(is_gss_code).mean() > 0.5:
            out.append(column)
    return out


def detect_columns(frame: pd.DataFrame, *, code=None, value=None, period=None, ci=None) -> Columns:
    """Find the columns of a long or wide table; InputError listing candidates when unsure."""
    code_col = find_column(frame, code, CODE_NAMES, "code")
    if code_col is None:
        patterned = [c for c in frame.columns if ons_code_column(c)]
        if len(patterned) == 1:
            code_col = patterned[0]
        else:
            candidates = patterned or _gss_like(frame) or list(frame.columns)
            raise InputError("No code column found (looked for area_code, AREACD, GEOGRAPHY_CODE, "
                             "ltla21_code, LAD21CD ...).",
                             f"Candidate columns: {', '.join(candidates)}; pass «code-column».")
    value_col = find_column(frame, value, VALUE_NAMES, "value") or find_column(
        frame, None, WIDE_TOTALS, "value")
    if value_col is None:
        numeric = [c for c in frame.columns
                   if c != code_col and pd.to_numeric(frame[c].head(50).str.replace(",", ""),
                                                      errors="coerce").notna().mean() > 0.8]
        raise InputError("No value column found (looked for OBS_VALUE, value, total_population ...).",
                         f"Numeric columns: {', '.join(numeric[:20]) or 'none'}"
                         f"{' ...' if len(numeric) > 20 else ''}; pass «value-column».")
    period_col = find_column(frame, period, PERIOD_NAMES, "period")
    named = ons_code_column(code_col)
    vintage_col = find_column(frame, None, ("code_vintage",), "vintage")
    return Columns(code=code_col, value=value_col, period=period_col,
                   flag=find_column(frame, None, FLAG_NAMES, "flag"),
                   unit=find_column(frame, None, UNIT_NAMES, "unit"),
                   ci=find_column(frame, ci, CI_NAMES, "confidence interval"),
                   code_vintage=named.vintage if named else None,
                   vintage_column=vintage_col)


def row_vintages(series: pd.Series) -> pd.Series:
    """Vintages named per row (``LAD21`` -> 2021; ``CTRY`` -> missing)."""
    def one(text):
        m = _VINTAGE_VALUE.match(str(text).strip()) if isinstance(text, str) else None
        return parse_vintage(m["yy"]) if m else None
    return series.map(one).astype("Int64")
