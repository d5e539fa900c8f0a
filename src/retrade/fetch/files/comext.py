"""Eurostat Comext SDMX-CSV (dataset DS-045409, EU trade by CN8), long format.

Header: ``DATAFLOW, LAST UPDATE, freq, reporter, partner, product, flow,
indicators, TIME_PERIOD, OBS_VALUE``; one observation per row. ``flow`` is 1
(imports) or 2 (exports); ``indicators`` is ``VALUE_IN_EUROS`` or
``QUANTITY_IN_100KG`` (quantities are in units of 100 kg); ``TIME_PERIOD`` is
``YYYY-MM`` (or ``YYYY`` for annual data); reporters and partners are ISO2
codes plus aggregates such as ``WORLD`` and ``EU27_2020``.

Rows are stored under source ``comext`` as they are, typed (``flow`` integer,
``OBS_VALUE`` float, ``product`` text so leading zeros survive), with
``year`` added for the store partition. Conversion to kg and USD happens in
the panel adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    catalog_note,
    check_options,
    check_unique,
    first_true,
    head_text,
    numbers,
    read_csv_text,
    read_text,
    require_columns,
    sorted_unique,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

FORMAT = "comext"
SOURCE = "comext"

COLUMNS = (
    "DATAFLOW",
    "LAST UPDATE",
    "freq",
    "reporter",
    "partner",
    "product",
    "flow",
    "indicators",
    "TIME_PERIOD",
    "OBS_VALUE",
)
KEY = ("freq", "reporter", "partner", "product", "flow", "indicators", "TIME_PERIOD")
INDICATORS = ("VALUE_IN_EUROS", "QUANTITY_IN_100KG", "SUPPLEMENTARY_QUANTITY")
FLOW_CODES = (1, 2)


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is an SDMX-CSV export of a Comext dataset."""
    text = head_text(path)
    if not text:
        return False
    header = [h.strip() for h in text.splitlines()[0].split(",")]
    return {"DATAFLOW", "TIME_PERIOD", "OBS_VALUE", "indicators", "flow"} <= set(header)


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read a Comext SDMX-CSV file.

    Returns
    -------
    ImportedTable
        Source ``comext``; one row per reporter, partner, product, flow,
        indicator and period.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    raw = read_csv_text(read_text(path), path=path)
    require_columns(raw.columns, COLUMNS, path=path, what="Comext SDMX-CSV file")
    table = _typed(raw[list(COLUMNS)], path=path)
    check_unique(table, KEY, path=path)
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("freq", "year"),
        key=KEY,
        summary=_summary(table),
    )


def _typed(raw: pd.DataFrame, *, path: Path) -> pd.DataFrame:
    out = raw.apply(lambda col: col.str.strip()).astype("string")
    for column in KEY:
        empty = out[column] == ""
        if empty.any():
            raise ImportFormatError(
                f"{path.name}: {column} is empty at data row {first_true(empty) + 1}"
            )
    period = out["TIME_PERIOD"].str.fullmatch(r"(19|20)\d{2}(-(0[1-9]|1[0-2]))?")
    if not period.all():
        raise ImportFormatError(
            f"{path.name}: TIME_PERIOD {out['TIME_PERIOD'][~period].iloc[0]!r} "
            "is not YYYY or YYYY-MM"
        )
    unknown = sorted(set(out["indicators"]) - set(INDICATORS))
    if unknown:
        raise ImportFormatError(
            f"{path.name}: unknown indicator(s) {unknown}; known: {list(INDICATORS)}"
        )
    flows = numbers(out["flow"], column="flow", path=path)
    if not flows.isin(FLOW_CODES).all():
        raise ImportFormatError(
            f"{path.name}: flow {out['flow'][~flows.isin(FLOW_CODES)].iloc[0]!r} is not 1 or 2"
        )
    out["flow"] = flows.astype("Int64")
    out["OBS_VALUE"] = numbers(out["OBS_VALUE"], column="OBS_VALUE", path=path)
    out["year"] = out["TIME_PERIOD"].str[:4].astype("Int64")
    return out


def _summary(table: pd.DataFrame) -> ReadSummary:
    by_indicator = table.groupby("indicators")["OBS_VALUE"].sum()
    products = ", ".join(sorted_unique(table["product"])[:10])
    notes = [
        f"reporters {', '.join(sorted_unique(table['reporter']))}; products {products}",
        catalog_note(table["product"]),
        "quantities are in units of 100 kg and values in EUR; the panel converts kg, and USD only "
        "with a EUR/USD rate table",
    ]
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["TIME_PERIOD"]),
        partners=sorted_unique(table["partner"]),
        totals={str(k): float(v) for k, v in by_indicator.items()},
        notes=tuple(notes),
    )
