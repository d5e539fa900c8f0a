"""Yearly world summary tables computed from CEPII BACI (one row per HS6 code and year).

Layout: ``hs6, year, hs_vintage, world_usd, world_tonnes`` and further summary
columns (``n_flows``, ``china_export_usd``, ``china_export_share``,
``export_hhi``, ``top_exporter_iso``, ``japan_import_usd`` ...), as published by
``materials-atlas/critical-materials-atlas``.

These are **summaries, not flows**: world totals, one country's share and
concentration indices per year. They are stored under source
``baci_summary`` with their own columns typed (codes as text, counts as
integers, money and shares as floats) and do not enter the trade panel; use
them to check the panel's world totals and China's share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    blank_to_missing,
    check_options,
    check_unique,
    head_text,
    numbers,
    read_csv_text,
    read_text,
    sorted_unique,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

FORMAT = "baci_summary"
SOURCE = "baci_summary"
REQUIRED = ("hs6", "year", "world_usd", "world_tonnes")
_TEXT = ("hs6", "hs_vintage")
_INTEGER = ("year", "n_flows")


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is a BACI world summary CSV."""
    text = head_text(path)
    header = {h.strip() for h in text.splitlines()[0].split(",")} if text else set()
    return set(REQUIRED) <= header


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read a BACI world summary table.

    Returns
    -------
    ImportedTable
        Source ``baci_summary``; one row per HS6 code and year.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    raw = read_csv_text(read_text(path), path=path)
    table = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        if column in _TEXT or column.endswith("_iso"):
            table[column] = blank_to_missing(raw[column])
        else:
            parsed = numbers(raw[column], column=column, path=path)
            table[column] = parsed.astype("Int64") if column in _INTEGER else parsed
    bad = ~table["hs6"].fillna("").str.fullmatch(r"\d{6}")
    if bad.any():
        raise ImportFormatError(
            f"{path.name}: hs6 {table['hs6'][bad].iloc[0]!r} is not a six-digit code"
        )
    check_unique(table, ("hs6", "year"), path=path)
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("hs6",),
        key=("hs6", "year"),
        summary=_summary(table),
    )


def _summary(table: pd.DataFrame) -> ReadSummary:
    notes = ["world summaries, not flows: stored for checks, not part of the trade panel"]
    if "hs_vintage" in table:
        for vintage, years in table.groupby("hs_vintage")["year"]:
            notes.append(f"{vintage} for {years.min()}-{years.max()}")
    if any(c.endswith("_iso") for c in table.columns):
        notes.append("*_iso columns hold ISO2 codes as the source wrote them")
    totals = {
        f"world_usd {code}": float(group["world_usd"].sum()) for code, group in table.groupby("hs6")
    }
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["year"]),
        partners=(),
        totals=totals,
        notes=tuple(notes),
    )
