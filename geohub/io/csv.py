"""Every CSV geohub writes goes through ``write_csv``: cells that a spreadsheet would run as a
formula (text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading
``'``, as OWASP recommends against CSV injection. Numbers, negative ones included, stay numbers:
numeric columns are untouched, and a text cell that is a plain number is left as it is.
"""
from __future__ import annotations

import re

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value):
    """``value`` made safe to open in a spreadsheet (text only; anything else as it is)."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(neutralise, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, target=None, **options):
    """``frame.to_csv(target, index=False, **options)`` with formula-looking cells neutralised."""
    options.setdefault("index", False)
    return safe_frame(frame).to_csv(target, **options)
