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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retrade.catalog.comtrade_v1 import V1_FIELDS as V1_ARROW_FIELDS
from retrade.catalog.comtrade_v1 import V1_KEY
from retrade.errors import ImportFormatError
from retrade.fetch.files.arrow_rows import check_unique_arrow
from retrade.fetch.files.base import (
    HEAD_BYTES,
    arrow_numbers,
    check_options,
    check_unique,
    csv_strings,
    csv_table,
    has_nul,
    head_text,
    is_missing,
    nullable_frame,
    numbers,
    parse_json,
    read_csv_text,
    read_text,
    sorted_unique,
    strip_text,
    totals,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

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
WORLD_CODE = 0  # partnerCode of the World rows (totals over all partners)


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
    notes: list[str] = []
    fast = _csv_arrow(path)
    if fast is not None:
        columns, table = fast
    else:
        text = read_text(path)
        if text.lstrip().startswith("{"):
            raw, notes = _json_rows(text, path=path)
        else:
            raw = _csv_rows(text, path=path)
        columns, table = list(raw.columns), _typed(raw, path=path)
    extra = [c for c in columns if c not in V1_FIELDS]
    if extra:
        notes.append(f"dropped column(s) that are not v1 data items: {extra}")
    if isinstance(table, pa.Table):  # the pyarrow path: the parsed table goes to the store
        check_unique_arrow(table, KEY, path=path, what="flow")
        summary = _summary_arrow(table, notes)
    else:
        check_unique(table, KEY, path=path, what="flow")
        summary = _summary(table, notes)
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("freqCode", "reporterCode", "refYear"),
        key=KEY,
        summary=summary,
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


def _csv_arrow(path: Path) -> tuple[list[str], pa.Table] | None:
    """A CSV download read and typed by pyarrow, or None for JSON and the files the slow path reads.

    pyarrow parses the file straight from disk and types the v1 fields as it
    goes; a file with a cell it does not convert (thousands separators, "1.0"
    in a code, "Yes " in a flag ...) is read again as text and typed column by
    column (:func:`_typed_arrow`). The :mod:`csv` path in :func:`_csv_rows`
    stays for what pyarrow does not read the same way (other encodings, ragged
    rows, NUL bytes, missing fields), and words the errors. The table comes back
    as Arrow, typed as :func:`_typed` types the slow path's pandas frame
    (:func:`~retrade.fetch.files.base.nullable_frame` gives that frame).
    """
    head = head_text(path)
    if not head or head.lstrip().startswith("{") or has_nul(path):
        return None
    whole = path.stat().st_size <= HEAD_BYTES
    typed = csv_table(str(path), head=head, whole=whole, types=V1_ARROW_FIELDS,
                      true_values=_TRUE_CELLS, false_values=_FALSE_CELLS)
    if typed is not None and set(REQUIRED) <= set(typed.column_names):
        names, table = typed.column_names, _finished(typed)
        if table is not None:
            return names, table
    raw = csv_strings(str(path), head=head, whole=whole)
    if raw is None or not set(REQUIRED) <= set(raw.column_names):
        return None
    return raw.column_names, _typed_arrow(raw, path=path)


def _finished(typed: pa.Table) -> pa.Table | None:
    """The v1 fields of a table pyarrow typed: text stripped, missing fields empty; None if a
    value reads differently in pandas (NaN, infinities)."""
    columns = {}
    for field, kind in V1_ARROW_FIELDS.items():
        if field not in typed.column_names:
            columns[field] = pa.nulls(typed.num_rows, kind)
            continue
        column = typed.column(field)
        if kind == pa.string():
            column = strip_text(column)
        elif kind == pa.float64() and pc.any(pc.invert(pc.is_finite(column))).as_py():
            return None
        columns[field] = column
    return pa.table(columns)


def _typed_arrow(raw: pa.Table, *, path: Path) -> pa.Table:
    """:func:`_typed` on Arrow strings, column by column; a column pyarrow cannot type goes
    through :func:`_typed_column`, which types it the same way or names the bad value."""
    columns = {}
    for field, dtype in V1_FIELDS.items():
        kind = V1_ARROW_FIELDS[field]
        if field not in raw.column_names:
            columns[field] = pa.nulls(raw.num_rows, kind)
            continue
        text = raw.column(field)
        typed = _arrow_column(text, dtype, field, path)
        if typed is None:
            series = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
            typed = pa.array(_typed_column(series, dtype, field, path), type=kind)
        columns[field] = typed
    return pa.table(columns)


def _arrow_column(text: pa.ChunkedArray, dtype: str, field: str, path: Path):
    if dtype == _S:
        return strip_text(text)
    if dtype == _B:
        lower = pc.utf8_lower(strip_text(text))
        true = pc.is_in(lower, pa.array(sorted(_TRUE)))
        known = pc.or_(true, pc.is_in(lower, pa.array(sorted(_FALSE))))
        if pc.any(pc.and_(pc.is_valid(lower), pc.invert(known))).as_py():
            return None
        return pc.if_else(pc.is_null(lower), pa.scalar(None, pa.bool_()), true)
    parsed = arrow_numbers(text)
    if parsed is None or dtype == _F:
        return parsed
    if pc.all(pc.equal(pc.floor(parsed), parsed)).as_py() is False:
        raise ImportFormatError(f"{path.name}: {field} must hold whole numbers")
    return pc.cast(parsed, pa.int64())


def _typed(raw: pd.DataFrame, *, path: Path) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    for field, dtype in V1_FIELDS.items():
        if field not in raw.columns:
            out[field] = pd.Series(pd.NA, index=raw.index, dtype=dtype)
        else:
            out[field] = _typed_column(raw[field], dtype, field, path)
    return out.reset_index(drop=True)


def _typed_column(values: pd.Series, dtype: str, field: str, path: Path) -> pd.Series:
    if dtype == _S:
        return _strings(values)
    if dtype == _B:
        return _booleans(values, column=field, path=path)
    parsed = numbers(values, column=field, path=path.name)
    if dtype == _I and ((parsed.dropna() % 1) != 0).any():
        raise ImportFormatError(f"{path.name}: {field} must hold whole numbers")
    return parsed.astype(pd.api.types.pandas_dtype(dtype))


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
# the spellings pyarrow converts while parsing; others go through _booleans
_TRUE_CELLS = ("true", "True", "TRUE", "1", "yes", "Yes", "YES")
_FALSE_CELLS = ("false", "False", "FALSE", "0", "no", "No", "NO")


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
    named = table["partnerDesc"].notna()
    partners = sorted_unique(
        [*sorted_unique(table.loc[named, "partnerDesc"]),
         *sorted_unique(table.loc[~named, "partnerCode"].dropna().unique().astype(str))]
    )
    world = (table["partnerCode"] == WORLD_CODE).fillna(False).to_numpy(dtype=bool)
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["period"]),
        partners=partners,
        totals=_totals(table, world),
        notes=tuple(notes),
    )


def _summary_arrow(table: pa.Table, notes: list[str]) -> ReadSummary:
    """:func:`_summary` on the Arrow table of the pyarrow path: the distinct values are found
    in Arrow, and only the two measures become pandas (for :func:`_totals`' sums)."""
    codes = table["cmdCode"]
    odd = pc.filter(codes, pc.not_equal(pc.utf8_length(codes), 6))  # missing codes drop out
    if len(odd):
        kinds = ", ".join(sorted_unique(pc.unique(odd).to_pylist()))
        notes = notes + [
            f"{len(odd)} row(s) are not six-digit HS codes ({kinds}); kept as the API gave them"
        ]
    unnamed = pc.is_null(table["partnerDesc"])
    coded = pc.unique(pc.filter(table["partnerCode"], unnamed)).to_pylist()
    partners = sorted_unique([*pc.unique(table["partnerDesc"]).to_pylist(),
                              *(str(code) for code in coded if code is not None)])
    world = pc.fill_null(pc.equal(table["partnerCode"], WORLD_CODE), False).to_numpy()
    return ReadSummary(
        rows=table.num_rows,
        periods=sorted_unique(pc.unique(table["period"]).to_pylist()),
        partners=partners,
        totals=_totals_arrow(table, np.asarray(world, dtype=bool)),
        notes=tuple(notes),
    )


def _totals_arrow(table: pa.Table, world: np.ndarray) -> dict[str, float]:
    """:func:`_totals` one measure at a time: the same pandas sums, with one measure's
    pandas copies held at a time instead of both measures' (some 40 MB at 10^6 rows)."""
    merged: dict[str, float] = {}
    for label, column in _MEASURES.items():
        merged.update(_totals(nullable_frame(table.select([column])), world, {label: column}))
    order = ([f"{rows} rows, {label}" for rows in ("partner", "World") for label in _MEASURES]
             if world.any() else list(_MEASURES))
    return {key: merged[key] for key in order}


_MEASURES = {"primaryValue (USD)": "primaryValue", "netWgt (kg)": "netWgt"}


def _totals(table: pd.DataFrame, world: np.ndarray,
            measures: dict[str, str] = _MEASURES) -> dict[str, float]:
    """Totals of partner rows and of World rows apart: a World row (partner 0) is the sum of
    the partner rows of its flow, so adding both would count every flow twice."""
    values = table[list(measures.values())]
    if not world.any():
        return totals(values, measures)
    partner_rows = totals(values.loc[~world], measures)
    world_rows = totals(values.loc[world], measures)
    return {**{f"partner rows, {k}": v for k, v in partner_rows.items()},
            **{f"World rows, {k}": v for k, v in world_rows.items()}}
