"""China customs (GACC) statistics platform downloads (http://stats.customs.gov.cn).

The platform's CSV, as real downloads show it:

* GBK (GB18030) text without BOM; every field quoted; every line ends with a
  comma (an empty last column);
* headers in Chinese (``数据年月, 贸易伙伴编码, 贸易伙伴名称, 商品编码, 商品名称,
  第一数量, 第一计量单位, 第二数量, 第二计量单位, 人民币``) or English
  (``Date of data, Trading partner code, ... Renminbi Yuan``), with only the
  breakdowns chosen in the query (partner, customs regime, province are optional);
* ``数据年月`` is ``YYYYMM``, commodity codes are HS8, partner codes are GACC's own
  three-digit codes; the value column (``人民币`` or ``美元``) has thousands
  separators; an absent unit is ``?``.

**The file does not say whether it holds imports or exports**: that was chosen
in the query. Pass ``flow="import"`` or ``flow="export"``; without it the flow
is taken from the file name when the name says so (``import``/``进口`` or
``export``/``出口``), and the file is refused otherwise.

Rows are stored under source ``china_customs`` with these columns: ``yearmonth``
(``YYYYMM``), ``year``, ``flow``, ``commodity`` (HS8), ``commodity_name``,
``partner`` (GACC code), ``partner_name``, ``regime``/``regime_name``,
``province``/``province_name`` where present, ``quantity_1``, ``unit_1``,
``quantity_2``, ``unit_2``, ``value_cny`` and ``value_usd`` (the one the file
has; values stay in the file's currency, never converted here).

Every row is stored, also codes outside the rare-earth catalog (a soybean
download imports fine); the summary says how many rows are rare-earth
catalog lines and how many are not, and the panel keeps only catalog lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from retrade import choices
from retrade.errors import ImportFormatError, check_choice
from retrade.fetch.files.base import (
    CHINESE,
    catalog_note,
    check_options,
    check_unique,
    first_true,
    head_text,
    numbers,
    read_csv_text,
    read_text,
    sorted_unique,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary
from retrade.fetch.files.registry import DECLARED_FLOWS

FORMAT = "china_customs"
SOURCE = "china_customs"
Flow = choices.DeclaredFlow
FLOWS: tuple[str, ...] = DECLARED_FLOWS

# platform headers (Chinese and English spellings) -> stored column
HEADERS: dict[str, str] = {
    "数据年月": "yearmonth",
    "Date of data": "yearmonth",
    "商品编码": "commodity",
    "Commodity code": "commodity",
    "商品名称": "commodity_name",
    "Commodity": "commodity_name",
    "贸易伙伴编码": "partner",
    "Trading partner code": "partner",
    "贸易伙伴名称": "partner_name",
    "Trading partner": "partner_name",
    "贸易方式编码": "regime",
    "Customs Regime code": "regime",
    "贸易方式名称": "regime_name",
    "Customs Regime": "regime_name",
    "注册地编码": "province",
    "Locations of importers and exporters code": "province",
    "注册地名称": "province_name",
    "Locations of importers and exporters": "province_name",
    "第一数量": "quantity_1",
    "Quantity": "quantity_1",
    "第一计量单位": "unit_1",
    "Unit": "unit_1",
    "第二数量": "quantity_2",
    "Supplimentary Quantity": "quantity_2",
    "Supplementary Quantity": "quantity_2",
    "第二计量单位": "unit_2",
    "Supplimentary Unit": "unit_2",
    "Supplementary Unit": "unit_2",
    "人民币": "value_cny",
    "Renminbi Yuan": "value_cny",
    "美元": "value_usd",
    "US dollar": "value_usd",
}
COLUMNS = (
    "yearmonth",
    "year",
    "flow",
    "commodity",
    "commodity_name",
    "partner",
    "partner_name",
    "regime",
    "regime_name",
    "province",
    "province_name",
    "quantity_1",
    "unit_1",
    "quantity_2",
    "unit_2",
    "value_cny",
    "value_usd",
)
_CODES = ("partner", "regime", "province")
_ABSENT_UNIT = "?"


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is a GACC platform download (Chinese or English header)."""
    text = head_text(path)
    if not text:
        return False
    header = {h.strip().strip('"') for h in text.splitlines()[0].split(",")}
    return bool({"数据年月", "Date of data"} & header) and bool(
        {"商品编码", "Commodity code"} & header
    )


def read(path: str | Path, *, flow: Flow | None = None, **options: Any) -> ImportedTable:
    """Read a GACC download.

    Parameters
    ----------
    path : path
        The CSV as the platform gave it.
    flow : {"import", "export"}, optional
        What the query asked for. Required unless the file name says it.

    Returns
    -------
    ImportedTable
        Source ``china_customs``; one row per month, partner, commodity (and
        regime/province where the query broke them out).
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    chosen, flow_note = _flow(path, flow)
    rows = _rows(read_text(path, encodings=CHINESE), path=path)
    table = _typed(rows, path=path)
    table["flow"] = pd.Series(chosen, index=table.index, dtype="string")
    table = table[[c for c in COLUMNS if c in table.columns]]
    key = tuple(
        c for c in ("yearmonth", "flow", "partner", "commodity", "regime", "province") if c in table
    )
    check_unique(table, key, path=path)
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("flow", "year"),
        key=key,
        summary=_summary(table, flow_note),
        options={"flow": chosen},
    )


def _flow(path: Path, flow: str | None) -> tuple[str, str]:
    if flow is not None:
        check_choice("flow", flow, FLOWS)
        return flow, f"flow {flow!r} as given"
    name = path.name.lower()
    said = {
        f
        for f, pattern in (("import", r"import|进口"), ("export", r"export|出口"))
        if re.search(pattern, name)
    }
    if len(said) == 1:
        found = said.pop()
        return found, f"flow {found!r} taken from the file name (the file itself does not say)"
    raise ImportFormatError(
        f"{path.name}: a China customs download does not say whether it holds imports or exports, "
        "and the file name does not either"
        + (" (it names both)" if said else "")
        + "; pass --flow import or --flow export (flow='import'/'export'). If the file mixes "
        "both, download each flow separately"
    )


def _rows(text: str, *, path: Path) -> pd.DataFrame:
    frame = read_csv_text(text, path=path)
    names = list(frame.columns)
    if names and names[-1].startswith("Unnamed"):  # the platform ends every line with a comma
        trailing = frame[names[-1]].astype(str).str.strip()
        if (trailing != "").any():
            raise ImportFormatError(
                f"{path.name}: a value after the last column at data row "
                f"{first_true(trailing != '') + 1}; the file is damaged"
            )
        frame = frame.drop(columns=names[-1])
    unknown = [h for h in frame.columns if h not in HEADERS]
    if unknown:
        raise ImportFormatError(f"{path.name}: unknown China customs column(s) {unknown}")
    return frame.rename(columns=HEADERS).astype("string")


def _typed(rows: pd.DataFrame, *, path: Path) -> pd.DataFrame:
    out = rows.apply(lambda col: col.str.strip())
    _require(out, ("yearmonth", "commodity", "quantity_1"), path=path)
    if "value_cny" not in out and "value_usd" not in out:
        raise ImportFormatError(f"{path.name}: no value column (人民币 / 美元)")
    month = out["yearmonth"].str.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])")
    if not month.all():
        raise ImportFormatError(
            f"{path.name}: 数据年月 {out['yearmonth'][~month].iloc[0]!r} is not YYYYMM"
        )
    codes = out["commodity"].str.fullmatch(r"\d{2}(\d{2}){0,4}")
    if not codes.all():
        raise ImportFormatError(
            f"{path.name}: 商品编码 {out['commodity'][~codes].iloc[0]!r} is not an HS code"
        )
    out["year"] = out["yearmonth"].str[:4].astype("Int64")
    for column in ("quantity_1", "quantity_2", "value_cny", "value_usd"):
        if column in out:
            out[column] = numbers(out[column], column=column, path=path)
    for column in ("unit_1", "unit_2"):
        if column in out:
            out[column] = out[column].mask(out[column].isin([_ABSENT_UNIT, ""]))
    return out


def _require(frame: pd.DataFrame, columns: tuple[str, ...], *, path: Path) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ImportFormatError(f"{path.name}: the download lacks column(s) {missing}")
    for column in columns:
        empty = frame[column].fillna("") == ""
        if empty.any():
            raise ImportFormatError(
                f"{path.name}: column {column!r} is empty at data row {first_true(empty) + 1}"
            )


def _summary(table: pd.DataFrame, flow_note: str) -> ReadSummary:
    notes = [flow_note, catalog_note(table["commodity"])]
    if "value_cny" in table:
        notes.append(
            "values in CNY (人民币): the panel leaves value_usd empty unless given a "
            "CNY/USD rate table"
        )
    if "partner" not in table:
        notes.append("no partner breakdown: rows are totals over all partners")
    totals = {
        f"value {c[-3:].upper()}": float(table[c].sum())
        for c in ("value_cny", "value_usd")
        if c in table
    }
    for unit, group in table.groupby(table["unit_1"].fillna("?")):
        totals[f"quantity_1 ({unit})"] = float(group["quantity_1"].sum())
    periods = table["yearmonth"].str[:4] + "-" + table["yearmonth"].str[4:]
    partners = (
        table["partner_name"]
        if "partner_name" in table
        else table.get("partner", pd.Series(dtype=str))
    )
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(periods),
        partners=sorted_unique(partners),
        totals=totals,
        notes=tuple(notes),
    )
