"""Read statistical tables (CSV, XLSX) as text, exactly as published: no value is parsed here.

Every cell comes back as a string (or missing), so that ONS/Nomis markers such as ``..`` or ``x``
survive to the indicator layer, which decides what they mean.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from geohub.errors import InputError, UnsupportedFormat
from geohub.io.files import existing_file

TABLE_FORMATS = "CSV (.csv, .txt, .tsv) or Excel (.xlsx)"


def read_table(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """A table of strings with trimmed column names (a UTF-8 byte-order mark is removed)."""
    path = existing_file(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            with path.open("r", encoding="utf-8-sig", newline="") as fh:
                sample = fh.read(64 * 1024)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
                sep = dialect.delimiter
            except csv.Error:
                sep = ","
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                                encoding="utf-8-sig", sep=sep)
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        else:
            raise UnsupportedFormat(f"geohub cannot read {path.name} as a table.",
                                    f"Supported formats: {TABLE_FORMATS}.")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text.",
                         "Save it as CSV UTF-8 (Excel: 'CSV UTF-8'), or as .xlsx.") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"{path.name} cannot be read as a table: {exc}.",
                         "Check the file is a complete CSV or XLSX.") from exc
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        raise InputError(f"{path.name} has a header but no rows.", "Check the file is complete.")
    return frame
