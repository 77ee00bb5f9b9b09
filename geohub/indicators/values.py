"""Clean published values: numbers become floats, ONS/Nomis markers become missing values with the
marker kept as a flag (never zero), anything else is an error naming the rows."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geohub.errors import InputError

# ONS and Nomis markers for values that are suppressed, unavailable or not applicable.
MARKERS = {"*", "!", "..", "-", "x", "c", ":", "z", "u", "~", "low", "na", "n/a"}
# What each marker means, as Nomis (APS) and ONS publish them: shown in legends, tooltips and CSVs.
FLAG_MEANINGS = {
    "!": "suppressed: sample size zero or disclosive",
    "*": "unreliable: small sample",
    "-": "sample too small for a reliable estimate",
    "~": "estimate below 500",
    "#": "sample too small for a reliable estimate",
    "..": "not available",
    ":": "not available",
    "x": "not available",
    "c": "confidential",
    "z": "not applicable",
    "u": "low reliability",
    "low": "low reliability",
    "na": "not available",
    "n/a": "not available",
    "incomplete": "a part of this area has no value",
}


def flag_meaning(flag) -> str | None:
    """The published meaning of an ONS/Nomis marker (``"!"`` -> suppressed ...), or None."""
    if not isinstance(flag, str) or not flag.strip():
        return None
    text = flag.strip()
    key = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    return FLAG_MEANINGS.get(key.lower(), f"marked {text!r} by the publisher")


def source_decimals(raw: pd.Series) -> int | None:
    """How many decimals the published values carry (the most any value has, at most 3): the
    precision figures are shown at. None when no value is a number."""
    text = raw.dropna().astype(str).str.strip()
    numeric = text[pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").notna()]
    if numeric.empty:
        return None
    decimals = numeric.str.extract(r"\.(\d+)$")[0].str.rstrip("0").str.len().fillna(0)
    return int(min(decimals.max(), 3))
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
                         "Fix those cells, or filter the rows out with «where». Known markers: "
                         + ", ".join(sorted(MARKERS)) + ".")
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers, flag
