"""WITS "By HS6 Product" downloads: one reporter's trade with each partner, by year.

A WITS export (https://wits.worldbank.org, Trade Stats > By HS6 Product) has the columns
``Reporter, TradeFlow, ProductCode, Product Description, Year, Partner,
Trade Value 1000USD, Quantity, Quantity Unit``, as an Excel workbook (sheet
``By-HS6Product``) or CSV. Workbooks people build from those downloads often
rename the columns in snake case (``reporter, trade_flow, hs_code,
export_value_1000usd, quantity_kg ...``) and add balanced, zero-filled panels
and derived columns; both spellings are read here.

What is stored (source ``wits``) is the observed WITS rows only, under the
WITS column names above plus ``source_file`` (the WITS file a row came from,
where the workbook records it):

* every sheet whose header carries reporter, partner, product and year is read;
* rows a balanced panel filled in (``observed_in_wits`` = 0) are left out and
  counted in the summary;
* a row that appears in several sheets is kept once if the copies agree, and
  the file is refused if they disagree;
* derived columns (logs, shares, exposure dummies, WDI controls) are not stored:
  they are computed from the panel, not observed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    check_options,
    head_text,
    is_xlsx,
    numbers,
    read_csv_text,
    read_text,
    sorted_unique,
    totals,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

FORMAT = "wits"
SOURCE = "wits"

REPORTER, FLOW, PRODUCT, DESCRIPTION = "Reporter", "TradeFlow", "ProductCode", "Product Description"
YEAR, PARTNER, VALUE, QUANTITY, UNIT = (
    "Year",
    "Partner",
    "Trade Value 1000USD",
    "Quantity",
    "Quantity Unit",
)
SOURCE_FILE = "source_file"
COLUMNS = (REPORTER, FLOW, PRODUCT, DESCRIPTION, YEAR, PARTNER, VALUE, QUANTITY, UNIT, SOURCE_FILE)
KEY = (REPORTER, PARTNER, PRODUCT, YEAR, FLOW)

# header spellings (lower case, letters and digits only) -> WITS column
_ALIASES: dict[str, str] = {
    "reporter": REPORTER,
    "reportername": REPORTER,
    "tradeflow": FLOW,
    "productcode": PRODUCT,
    "hscode": PRODUCT,
    "hs6": PRODUCT,
    "productdescription": DESCRIPTION,
    "year": YEAR,
    "partner": PARTNER,
    "partnername": PARTNER,
    "tradevalue1000usd": VALUE,
    "exportvalue1000usd": VALUE,
    "importvalue1000usd": VALUE,
    "quantity": QUANTITY,
    "quantitykg": QUANTITY,
    "quantityunit": UNIT,
    "sourcefile": SOURCE_FILE,
}
_VALUE_USD = {"exportvalueusd", "importvalueusd", "tradevalueusd"}
_OBSERVED = "observedinwits"
_REQUIRED = (REPORTER, PARTNER, PRODUCT, YEAR)


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _is_wits_header(names: list[object]) -> bool:
    mapped = {_ALIASES.get(_norm(n)) for n in names}
    has_value = any(_norm(n) in _VALUE_USD for n in names) or VALUE in mapped
    return all(col in mapped for col in _REQUIRED) and has_value


def _xlsx_headers(path: Path) -> dict[str, list[object]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {
            ws.title: list(next(ws.iter_rows(max_row=1, values_only=True), ()))
            for ws in workbook.worksheets
        }
    finally:
        workbook.close()


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is a WITS By-HS6-Product export (xlsx or CSV), in either spelling."""
    path = Path(path)
    if is_xlsx(path):
        try:
            return any(_is_wits_header(h) for h in _xlsx_headers(path).values())
        except Exception:  # noqa: BLE001 - a sniffer never raises
            return False
    text = head_text(path)
    if not text:
        return False
    header = text.splitlines()[0].split(",")
    return _is_wits_header([h.strip().strip('"') for h in header])


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read the observed WITS rows of a workbook or CSV.

    Parameters
    ----------
    path : path
        A WITS export or a workbook/CSV built from WITS exports.

    Returns
    -------
    ImportedTable
        Source ``wits``, one row per reporter, partner, product, year and flow.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    sheets = _read_sheets(path)
    frames, skipped, notes = [], {}, []
    for name, raw in sheets.items():
        if not _is_wits_header(list(raw.columns)):
            continue
        frame, zero_filled = _standardize(raw, name=name, path=path)
        frames.append(frame.assign(_sheet=name))
        if zero_filled:
            skipped[f"zero-filled balanced-panel rows (observed_in_wits = 0) in {name!r}"] = (
                zero_filled
            )
            notes.append(
                f"sheet {name!r} is a balanced panel: {len(raw)} rows, {zero_filled} zero-filled"
            )
    if not frames:
        raise ImportFormatError(f"{path.name}: no sheet has WITS columns {list(_REQUIRED)}")
    table, duplicates = _merge_sheets(pd.concat(frames, ignore_index=True), path=path)
    if duplicates:
        skipped["rows repeated in another sheet with the same values (kept once)"] = duplicates
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=(PRODUCT,),
        key=KEY,
        summary=_summary(table, skipped, notes),
    )


def _read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    if is_xlsx(path):  # read only the sheets with WITS columns; the rest are derived tables
        wanted = [name for name, header in _xlsx_headers(path).items() if _is_wits_header(header)]
        return pd.read_excel(path, sheet_name=wanted, dtype=object) if wanted else {}
    text = read_text(path)
    return {path.stem: read_csv_text(text, path=path)}


def _standardize(raw: pd.DataFrame, *, name: str, path: Path) -> tuple[pd.DataFrame, int]:
    """One sheet in WITS columns, typed, with zero-filled rows removed."""
    by_norm = {_norm(c): c for c in raw.columns}
    out = pd.DataFrame(index=raw.index)
    for norm, original in by_norm.items():
        if norm in _ALIASES and _ALIASES[norm] not in out.columns:
            out[_ALIASES[norm]] = raw[original]
    where = f"{path.name} sheet {name!r}"
    if VALUE in out.columns:
        out[VALUE] = numbers(out[VALUE], column=VALUE, path=where)
    else:  # only a USD column: WITS's unit is thousands of USD
        usd = next(by_norm[n] for n in by_norm if n in _VALUE_USD)
        out[VALUE] = numbers(raw[usd], column=usd, path=where) / 1000
    if QUANTITY in out.columns:
        out[QUANTITY] = numbers(out[QUANTITY], column=QUANTITY, path=where)
    if UNIT not in out.columns and "quantitykg" in by_norm:
        out[UNIT] = "Kg"
    out[YEAR] = _years(out[YEAR], where=where)
    out[PRODUCT] = _products(out[PRODUCT], where=where)
    for column in COLUMNS:
        if column not in out.columns:
            out[column] = pd.NA
    out = out[list(COLUMNS)].astype(
        {c: "string" for c in (REPORTER, FLOW, DESCRIPTION, PARTNER, UNIT, SOURCE_FILE)}
    )
    if _OBSERVED in by_norm:
        observed = numbers(raw[by_norm[_OBSERVED]], column=by_norm[_OBSERVED], path=where)
        keep = observed.fillna(1) != 0
        return out.loc[keep].reset_index(drop=True), int((~keep).sum())
    return out.reset_index(drop=True), 0


def _years(values: pd.Series, *, where: str) -> pd.Series:
    years = numbers(values, column=YEAR, path=where)
    bad = years.isna() | (years % 1 != 0) | (years < 1962) | (years > 2100)
    if bad.any():
        raise ImportFormatError(f"{where}: {YEAR} {values[bad].iloc[0]!r} is not a year")
    return years.astype("Int64")


def _products(values: pd.Series, *, where: str) -> pd.Series:
    codes = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    codes = codes.where(codes.str.len() != 5, codes.str.zfill(6))  # Excel drops a leading zero
    bad = ~codes.fillna("").str.fullmatch(r"\d{6}|TOTAL|Total")
    if bad.any():
        raise ImportFormatError(f"{where}: product code {values[bad].iloc[0]!r} is not an HS6 code")
    return codes


def _merge_sheets(frame: pd.DataFrame, *, path: Path) -> tuple[pd.DataFrame, int]:
    """Keep each key once; refuse the file if two sheets give it different numbers."""
    measures = [VALUE, QUANTITY]
    distinct = frame.drop_duplicates(list(KEY) + measures)
    clash = distinct[distinct.duplicated(list(KEY), keep=False)]
    if len(clash):
        first = clash.iloc[0]
        raise ImportFormatError(
            f"{path.name}: sheets {sorted(set(clash['_sheet']))} disagree on "
            f"{dict(zip(KEY, (first[k] for k in KEY), strict=True))}; "
            "refusing to guess which is right"
        )
    table = distinct.drop(columns="_sheet").sort_values(list(KEY)).reset_index(drop=True)
    return table, len(frame) - len(distinct)


def _summary(table: pd.DataFrame, skipped: Mapping[str, int], notes: list[str]) -> ReadSummary:
    units = sorted_unique(table[UNIT])
    world = table[PARTNER].str.lower() == "world"
    notes = list(notes) + [f"quantity unit(s): {', '.join(units) or 'none'}"]
    if not world.any():
        notes.append("no World rows: totals over partners are the sum of the partner rows")
    products = ", ".join(sorted_unique(table[PRODUCT]))
    notes.append(f"reporter(s) {', '.join(sorted_unique(table[REPORTER]))}; product(s) {products}")
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table[YEAR]),
        partners=sorted_unique(table.loc[~world, PARTNER]),
        totals={
            **totals(
                table.loc[~world],
                {"partner rows, 1000 USD": VALUE, "partner rows, quantity": QUANTITY},
            ),
            **(
                totals(
                    table.loc[world],
                    {"World rows, 1000 USD": VALUE, "World rows, quantity": QUANTITY},
                )
                if world.any()
                else {}
            ),
        },
        skipped=dict(skipped),
        notes=tuple(notes),
    )
