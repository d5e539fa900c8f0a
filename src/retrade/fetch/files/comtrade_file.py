"""UN Comtrade v1 downloads saved by hand: the API's CSV and JSON, stored as the API answers.

Accepted files:

* a v1 data answer as JSON (``{"elapsedTime", "count", "data": [...], "error"}``),
  also when a client wrapped it with extra keys (``url``, ``status_code`` ...);
* a CSV of v1 rows, as written by the Comtrade web download or by a client
  that saved the API's DataFrame (extra columns a collector added are dropped
  and named in the summary).

Rows are stored under source ``comtrade_files`` with the v1 field names and
JSON types (integers for codes, floats for values, booleans for flags), which
is the shape the Comtrade API fetcher stores, so one panel adapter serves both.
Codes are kept as the API gives them: an HS4 row (``cmdCode`` ``2846``) stays
an HS4 row, and the summary counts rows that are not six-digit codes.

An API error body (``{"statusCode": 401, ...}``) and a bulk file list are
refused with a message saying what they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from retrade.catalog.comtrade_v1 import V1_FIELDS as V1_ARROW_FIELDS
from retrade.catalog.comtrade_v1 import V1_KEY
from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    ImportedTable,
    ReadSummary,
    check_options,
    check_unique,
    head_text,
    is_missing,
    numbers,
    parse_json,
    read_csv_text,
    read_text,
    sorted_unique,
    totals,
)

FORMAT = "comtrade"
SOURCE = "comtrade_files"

_S, _I, _F, _B = "string", "Int64", "Float64", "boolean"
_PANDAS_TYPE = {pa.string(): _S, pa.int64(): _I, pa.float64(): _F, pa.bool_(): _B}
# the v1 data items of goods answers, in API order, as pandas nullable types: the one field
# table lives in retrade.catalog.comtrade_v1, shared with the API fetcher and the adapter
V1_FIELDS: dict[str, str] = {name: _PANDAS_TYPE[kind] for name, kind in V1_ARROW_FIELDS.items()}
REQUIRED = (
    "freqCode",
    "period",
    "reporterCode",
    "flowCode",
    "partnerCode",
    "cmdCode",
    "primaryValue",
)
KEY = V1_KEY
_ENVELOPE = {"elapsedTime", "count", "data", "error"}


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is a Comtrade v1 answer (JSON) or a CSV of v1 rows."""
    text = head_text(path).lstrip()
    if text.startswith("{"):
        return _looks_like_api_json(text)
    header = {h.strip().strip('"') for h in text.splitlines()[0].split(",")} if text else set()
    return set(REQUIRED) <= header


def _looks_like_api_json(head: str) -> bool:
    keys = ('"elapsedTime"', '"count"', '"data"', '"statusCode"')
    return sum(k in head for k in keys) >= 2 or ('"statusCode"' in head and '"message"' in head)


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read a Comtrade v1 CSV or JSON download.

    Returns
    -------
    ImportedTable
        Source ``comtrade_files``; columns are the v1 data items, typed as the API's JSON.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    text = read_text(path)
    notes: list[str] = []
    if text.lstrip().startswith("{"):
        raw, notes = _json_rows(text, path=path)
    else:
        raw = _csv_rows(text, path=path)
    extra = [c for c in raw.columns if c not in V1_FIELDS]
    if extra:
        notes.append(f"dropped column(s) that are not v1 data items: {extra}")
    table = _typed(raw, path=path)
    check_unique(table, KEY, path=path, what="flow")
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("freqCode", "reporterCode", "refYear"),
        key=KEY,
        summary=_summary(table, notes),
    )


def _json_rows(text: str, *, path: Path) -> tuple[pd.DataFrame, list[str]]:
    body = parse_json(text, path=path)
    if not isinstance(body, dict):
        raise ImportFormatError(f"{path.name}: expected a JSON object with a 'data' list")
    rows = _data_rows(body, path=path)
    notes = []
    count = body.get("count")
    if isinstance(count, int) and count != len(rows):
        notes.append(
            f"the answer says count={count} but holds {len(rows)} row(s): a truncated preview "
            "or a capped query; fetch the rest before relying on totals"
        )
    wrapper = sorted(set(body) - _ENVELOPE)
    if wrapper:
        notes.append(f"ignored keys around the API answer: {wrapper}")
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(V1_FIELDS))
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportFormatError(f"{path.name}: the data rows lack v1 field(s) {missing}")
    return frame, notes


def _data_rows(body: dict[str, Any], *, path: Path) -> list[Any]:
    """The ``data`` list of an answer; refuse error answers and bulk file lists, saying so."""
    if "statusCode" in body and "data" not in body:
        raise ImportFormatError(
            f"{path.name} is a Comtrade API error answer, not data: "
            f"statusCode {body.get('statusCode')}: {body.get('message', '')!s}"
        )
    if body.get("error"):
        raise ImportFormatError(f"{path.name}: the API reported an error: {body['error']!r}")
    rows = body.get("data")
    if not isinstance(rows, list):
        raise ImportFormatError(f"{path.name}: expected a 'data' list in a Comtrade answer")
    if rows and isinstance(rows[0], dict) and "fileUrl" in rows[0]:
        raise ImportFormatError(
            f"{path.name} is a Comtrade bulk file list ({len(rows)} file(s)), not trade data; "
            "download the files it lists and import those"
        )
    return rows


def _csv_rows(text: str, *, path: Path) -> pd.DataFrame:
    frame = read_csv_text(text, path=path)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportFormatError(f"{path.name} is not a Comtrade v1 CSV: it lacks {missing}")
    return frame


def _typed(raw: pd.DataFrame, *, path: Path) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    for field, dtype in V1_FIELDS.items():
        if field not in raw.columns:
            out[field] = pd.Series(pd.NA, index=raw.index, dtype=dtype)
        elif dtype == _S:
            out[field] = _strings(raw[field])
        elif dtype == _B:
            out[field] = _booleans(raw[field], column=field, path=path)
        else:
            parsed = numbers(raw[field], column=field, path=path.name)
            if dtype == _I and ((parsed.dropna() % 1) != 0).any():
                raise ImportFormatError(f"{path.name}: {field} must hold whole numbers")
            out[field] = parsed.astype(pd.api.types.pandas_dtype(dtype))
    return out.reset_index(drop=True)


def _strings(values: pd.Series) -> pd.Series:
    def one(v: object) -> object:
        if is_missing(v):
            return pd.NA
        if isinstance(v, float) and v.is_integer():  # a code a spreadsheet turned into 0.0
            v = int(v)
        text = str(v).strip()
        return text if text else pd.NA

    return values.map(one).astype("string")


_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def _booleans(values: pd.Series, *, column: str, path: Path) -> pd.Series:
    def one(v: object) -> object:
        if is_missing(v):
            return pd.NA
        if isinstance(v, bool):
            return v
        text = str(v).strip().lower()
        if text == "":
            return pd.NA
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ImportFormatError(f"{path.name}: {column} value {v!r} is not true/false")

    return values.map(one).astype("boolean")


def _summary(table: pd.DataFrame, notes: list[str]) -> ReadSummary:
    codes = table["cmdCode"].dropna()
    not_hs6 = int((codes.str.len() != 6).sum())
    if not_hs6:
        kinds = ", ".join(sorted_unique(codes[codes.str.len() != 6]))
        notes = notes + [
            f"{not_hs6} row(s) are not six-digit HS codes ({kinds}); kept as the API gave them"
        ]
    partners = table["partnerDesc"].fillna(table["partnerCode"].astype("string"))
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["period"]),
        partners=sorted_unique(partners),
        totals=totals(table, {"primaryValue (USD)": "primaryValue", "netWgt (kg)": "netWgt"}),
        notes=tuple(notes),
    )
