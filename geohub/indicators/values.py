"""Clean published values: numbers become floats, ONS/Nomis markers become missing values with the
marker kept as a flag (never zero), anything else is an error naming the rows."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geohub.errors import InputError

# ONS and Nomis markers for values that are suppressed, unavailable or not applicable.
MARKERS = {"*", "!", "..", "-", "x", "c", ":", "z", "u", "~", "low", "na", "n/a"}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")


def _marker(text: str) -> str | None:
    t = text.strip().lower()
    if t.startswith("[") and t.endswith("]"):  # ONS's newer style: [x], [c], [z], [low]
        t = t[1:-1]
    return text.strip() if t in MARKERS else None


def clean_values(raw: pd.Series, flags: pd.Series | None = None,
                 *, what: str = "value") -> tuple[pd.Series, pd.Series]:
    """(values as float, flags) for ``raw`` strings; InputError listing rows (by index + 2, the line
    number in a file with one header line) whose text is neither a number nor a known marker."""
    text = raw.astype("string").str.replace("\ufeff", "", regex=False).str.strip()
    text = text.str.replace(_THOUSANDS, "", regex=True)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    flag = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    if flags is not None:
        given = flags.astype("string").str.strip()
        flag = pd.Series([None if pd.isna(f) or f == "" else str(f) for f in given],
                         index=raw.index, dtype=object)
    unparsed = numbers.isna() & text.notna() & (text != "")
    bad = []
    for index, value in text[unparsed].items():
        marker = _marker(value)
        if marker is None:
            bad.append((index, value))
        elif flag[index] is None:
            flag[index] = marker
    if bad:
        shown = ", ".join(f"line {i + 2}: {v!r}" for i, v in bad[:10])
        raise InputError(f"{len(bad)} {what}s are neither numbers nor known ONS/Nomis markers "
                         f"({shown}{' ...' if len(bad) > 10 else ''}).",
                         "Fix those cells, or filter the rows out with --where. Known markers: "
                         + ", ".join(sorted(MARKERS)) + ".")
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers, flag
