"""Monthly series tables: one row per month and breakdown, with values and quantities.

The layout is the one research repositories publish from monthly Comtrade pulls
(for example ``qennis/ChinaCriticalMineralComtrade``: China's monthly exports by
product group, HS6, bloc or partner): a CSV whose first column is the month
(``period_dt`` = ``2017-01-01``, or ``period``/``month``/``date`` as ``YYYY-MM``),
then breakdown columns (``broad_group``, ``bloc``, ``hs6``, ``partner_name``,
``subgroup`` ...) and measures (``val``, ``qty``, ``total_value``, ``uv``,
``share`` ...).

Rows are stored under source ``monthly_table`` with the file's own columns
(breakdowns as text, measures as numbers), plus ``period`` (``YYYY-MM``) and
``table`` (the file name's stem, the store partition). These tables are
aggregates, not bilateral HS6 flows, so they do not enter the trade panel; the
summary says what each one covers (a table split by bloc or by a few partners is
partial: its sum is not the world total).

The files do not state units. The defaults are the convention of monthly
Comtrade pulls: values in USD and quantities in kg; say otherwise with
``value_unit``/``quantity_unit``. Nor do they state whose trade they hold:
pass ``reporter`` (e.g. ``CHN``) and ``flow`` (e.g. ``export``) so that the
monthly series table (:mod:`retrade.panel.monthly`) can say it; both are kept
as columns, missing when not given.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from retrade import choices
from retrade.errors import ImportFormatError, check_choice
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

FORMAT = "monthly_table"
SOURCE = "monthly_table"

PERIOD_COLUMNS = ("period_dt", "period", "month", "date")
DIMENSIONS = (
    "broad_group",
    "group",
    "subgroup",
    "bloc",
    "hs6",
    "hs",
    "hs_code",
    "product",
    "partner",
    "partner_name",
    "country",
    "material",
)
_MONTH = re.compile(r"^(?P<y>(19|20)\d{2})-(?P<m>0[1-9]|1[0-2])(-01)?$")
_VALUE_NAMES = ("val", "value", "total_value", "val_tot")
_QTY_NAMES = ("qty", "quantity", "total_qty")


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is a CSV whose first column holds months and that has measures."""
    lines = head_text(path).splitlines()
    if len(lines) < 2:
        return False
    header = [h.strip().strip('"') for h in lines[0].split(",")]
    first = lines[1].split(",")[0].strip().strip('"')
    measures = set(header) & set(_VALUE_NAMES + _QTY_NAMES + ("share", "uv", "unit_price"))
    return header[0] in PERIOD_COLUMNS and bool(_MONTH.match(first)) and bool(measures)


def read(
    path: str | Path,
    *,
    value_unit: str = "USD",
    quantity_unit: str = "kg",
    reporter: str | None = None,
    flow: str | None = None,
    **options: Any,
) -> ImportedTable:
    """Read a monthly table.

    Parameters
    ----------
    path : path
        The CSV.
    value_unit, quantity_unit : str
        Units of the value and quantity columns (the files do not state them).
    reporter : str, optional
        Whose trade the table holds (ISO3 code or name), e.g. ``"CHN"``.
    flow : {"import", "export", "re-import", "re-export"}, optional
        The direction of the trade in the table.

    Returns
    -------
    ImportedTable
        Source ``monthly_table``, partitioned by ``table`` (the file's stem).
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    raw = read_csv_text(read_text(path), path=path)
    period_column = raw.columns[0]
    if period_column not in PERIOD_COLUMNS:
        raise ImportFormatError(f"{path.name}: the first column must be one of {PERIOD_COLUMNS}")
    table = _typed(raw, period_column=period_column, path=path)
    key = ("period", *[c for c in table.columns if c in DIMENSIONS])
    check_unique(table, key, path=path, what="month and breakdown")
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)
    table.insert(0, "table", pd.Series(stem, index=table.index, dtype="string"))
    reporter_code, flow = _who(reporter, flow)
    for column, value in (("reporter", reporter_code), ("flow", flow),
                          ("value_unit", value_unit), ("quantity_unit", quantity_unit)):
        table[column] = pd.Series(value, index=table.index, dtype="string")
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("table",),
        key=("table", *key),
        summary=_summary(table, path=path, units=(value_unit, quantity_unit)),
        options={"value_unit": value_unit, "quantity_unit": quantity_unit}
        | {k: v for k, v in (("reporter", reporter_code), ("flow", flow)) if v is not None},
    )


def _who(reporter: str | None, flow: str | None) -> tuple[str | None, str | None]:
    """Validate the ``reporter`` and ``flow`` options (a code for the reporter)."""
    from retrade.catalog.countries import to_iso3
    if flow is not None:
        check_choice("flow", flow, choices.Flow)
    if reporter is None:
        return None, flow
    if len(reporter.strip()) == 3 and reporter.strip().isalpha():
        return to_iso3([reporter], scheme="iso3")[0], flow
    return to_iso3([reporter], scheme="name")[0], flow


def _typed(raw: pd.DataFrame, *, period_column: str, path: Path) -> pd.DataFrame:
    months = raw[period_column].str.strip().str.match(_MONTH)
    if not months.all():
        bad = raw[period_column][~months].iloc[0]
        raise ImportFormatError(
            f"{path.name}: {period_column} {bad!r} is not a month (YYYY-MM or YYYY-MM-01)"
        )
    out = pd.DataFrame({"period": raw[period_column].str.strip().str[:7].astype("string")})
    for column in raw.columns:
        if column in DIMENSIONS or column == period_column:
            out[column] = blank_to_missing(raw[column])
        else:
            # values and quantities must be finite; derived ratios (uv = val/qty) may be inf
            measure = column in _VALUE_NAMES or column in _QTY_NAMES
            out[column] = numbers(raw[column], column=column, path=path, finite=measure)
    return out


def _summary(table: pd.DataFrame, *, path: Path, units: tuple[str, str]) -> ReadSummary:
    value_unit, quantity_unit = units
    notes = [
        f"units are not stated in the file: values taken as {value_unit}, "
        f"quantities as {quantity_unit}"
    ]
    notes += _coverage_notes(table, path=path)
    notes.append("an aggregate table, not bilateral HS6 flows: stored, not part of the trade panel")
    breakdown = next(
        (c for c in ("partner_name", "partner", "country", "bloc") if c in table), None
    )
    sums = {}
    for column in table.columns:
        if column in _VALUE_NAMES:
            sums[f"{column} ({value_unit})"] = float(table[column].sum())
        elif column in _QTY_NAMES:
            sums[f"{column} ({quantity_unit})"] = float(table[column].sum())
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["period"]),
        partners=sorted_unique(table[breakdown]) if breakdown else (),
        totals=sums,
        notes=tuple(notes),
    )


def _coverage_notes(table: pd.DataFrame, *, path: Path) -> list[str]:
    notes = []
    if "bloc" in table:
        notes.append(
            f"split by bloc ({', '.join(sorted_unique(table['bloc']))}): "
            "only the countries in these "
            "blocs, so sums are at most the world total"
        )
    for column in ("partner_name", "partner", "country"):
        if column in table:
            notes.append(
                f"covers {table[column].nunique()} partner(s) only; "
                "their sum is not the world total"
            )
    if not {"bloc", "partner_name", "partner", "country"} & set(table.columns):
        hint = " (the file name says it sums blocs)" if "bloc" in path.stem.lower() else ""
        notes.append(
            "no partner column: rows are totals over some set of partners "
            f"the file does not name{hint}"
        )
    if "share" in table:
        notes.append("share columns are fractions of a total and do not add across rows")
    gaps = _gap_note(table)
    if gaps:
        notes.append(gaps)
    return notes


def _gap_note(table: pd.DataFrame) -> str:
    """Which groups (first of broad_group, hs6, subgroup) lack some of the table's months."""
    group = next((c for c in ("broad_group", "hs6", "subgroup") if c in table), None)
    months = table["period"].nunique()
    if group is None or not months:
        return ""
    counts = table.groupby(group)["period"].nunique()
    gaps = counts[counts < months]
    if gaps.empty:
        return ""
    listed = ", ".join(f"{k} ({v} months)" for k, v in gaps.items())
    return f"months missing for {len(gaps)} {group} value(s): {listed}"
