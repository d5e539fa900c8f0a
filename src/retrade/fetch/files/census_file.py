"""US Census international trade API answers saved to disk (``timeseries/intltrade``).

Two shapes are read:

* the API's own JSON, an array of arrays whose first row is the header
  (``[["GEN_VAL_MO", "CTY_CODE", ..., "time"], ["1167461768", "5700", ...], ...]``);
* the same answer written by R (``jsonlite::fromJSON`` then ``write.csv``): a
  header ``"", "V1", ..., "Vn"``, the API header as the first data row, every
  value quoted, JSON ``null`` as a bare ``NA``.

Rows are stored under source ``census_files`` with the API's variable names
and values as the API gives them (all text; ``null`` stays missing), plus
``endpoint`` (``imports_hs``, ``exports_porths`` ...) for the store partition.
Country-group, continent and all-countries rows (``CTY_CODE`` ``0xxx``,
``nXXX`` and ``-``) are kept but counted in the summary: they must not be summed
with country rows.

There is no panel adapter for these answers yet: port-level answers
(``porths``) carry year-to-date values split by mode of transport (air,
containerized vessel), not total trade, so they cannot give a partner's total.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from retrade.catalog.countries import is_census_country_code
from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    catalog_note,
    check_options,
    check_unique,
    head_text,
    numbers,
    parse_json,
    read_text,
    sorted_unique,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

FORMAT = "census"
SOURCE = "census_files"
_MEASURE = re.compile(r"_(MO|YR)(_FLAG)?$")
_LABELS = re.compile(r"(_NAME|_LDESC|_SDESC)$")
_MARKERS = ("CTY_CODE", "I_COMMODITY", "E_COMMODITY", "time")


def _api_header(cells: list[str]) -> bool:
    return sum(marker in cells for marker in _MARKERS) >= 2


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is a Census trade API answer as JSON or as R's ``write.csv``."""
    lines = head_text(path).lstrip().splitlines()
    if len(lines) < 2:
        return False
    if lines[0].startswith("[["):
        return _api_header([c.strip(' "[]') for c in lines[0].split(",")])
    header = [c.strip('"') for c in lines[0].split(",")]
    return header[:2] == ["", "V1"] and _api_header([c.strip('"') for c in lines[1].split(",")])


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read a saved Census trade API answer.

    Returns
    -------
    ImportedTable
        Source ``census_files``; the API's variables as text, one row per
        answer row.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    text = read_text(path)
    header, rows = (
        _json_rows(text, path=path) if text.lstrip().startswith("[") else _r_rows(text, path=path)
    )
    if not _api_header(header):
        raise ImportFormatError(
            f"{path.name}: the first row {header[:6]} is not a Census API header"
        )
    table = pd.DataFrame(rows, columns=header, dtype="string")
    for column in (c for c in header if _MEASURE.search(c) and not c.endswith("_FLAG")):
        numbers(table[column], column=column, path=path)  # values stay text; only check them
    table.insert(0, "endpoint", pd.Series(_endpoint(header), index=table.index, dtype="string"))
    key = [c for c in header if not _MEASURE.search(c) and not _LABELS.search(c)]
    check_unique(table, key, path=path)
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=("endpoint", "time") if "time" in header else ("endpoint",),
        key=("endpoint", *key),
        summary=_summary(table),
    )


def _json_rows(text: str, *, path: Path) -> tuple[list[str], list[list[object]]]:
    body = parse_json(text, path=path)
    if not isinstance(body, list) or not body or not all(isinstance(r, list) for r in body):
        raise ImportFormatError(f"{path.name}: a Census answer is an array of arrays")
    header, rows = [str(h) for h in body[0]], body[1:]
    _check_widths(rows, len(header), path=path, first_line=2)
    return header, rows


_FIELD = re.compile(r'"((?:[^"]|"")*)"|([^,"]*)')


def _fields(line: str) -> list[object] | None:
    """One R ``write.csv`` line: quoted fields as text, bare ``NA`` missing; None if malformed."""
    out: list[object] = []
    pos = 0
    while True:
        match = _FIELD.match(line, pos)
        if match is None:
            return None
        quoted, bare = match.groups()
        out.append(
            quoted.replace('""', '"') if quoted is not None else (pd.NA if bare == "NA" else bare)
        )
        pos = match.end()
        if pos == len(line):
            return out
        if line[pos] != ",":
            return None
        pos += 1


def _r_rows(text: str, *, path: Path) -> tuple[list[str], list[list[object]]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [_fields(line) for line in lines]
    broken = [n for n, fields in enumerate(parsed, start=1) if fields is None]
    if broken:
        raise ImportFormatError(
            f"{path.name}: line {broken[0]} is not valid CSV (damaged or truncated?)"
        )
    good = [fields for fields in parsed if fields is not None]
    header = [str(h) for h in good[1][1:]]  # first line is R's V1..Vn, first column R's row names
    rows = [fields[1:] for fields in good[2:]]
    _check_widths(rows, len(header), path=path, first_line=3)
    return header, rows


def _check_widths(rows: list[list[object]], width: int, *, path: Path, first_line: int) -> None:
    for number, row in enumerate(rows, start=first_line):
        if len(row) != width:
            raise ImportFormatError(
                f"{path.name}: row {number} has {len(row)} values, the header {width}"
            )


def _endpoint(header: list[str]) -> str:
    direction = (
        "imports"
        if "I_COMMODITY" in header or any(h.startswith(("GEN_", "CON_")) for h in header)
        else "exports"
    )
    return f"{direction}_{'porths' if 'PORT' in header else 'hs'}"


def _summary(table: pd.DataFrame) -> ReadSummary:
    notes = []
    if "CTY_CODE" in table:
        code = table["CTY_CODE"].fillna("")
        aggregate = code.ne("") & ~is_census_country_code(code)
        notes.append(
            f"{int(aggregate.sum())} row(s) are all-countries totals, country groups or continents "
            "(CTY_CODE '-', 0xxx, nXXX): do not add them to country rows"
        )
    if any(c.endswith("_YR") for c in table.columns):
        notes.append("values are year-to-date (*_YR), not monthly")
    commodity = next((c for c in ("I_COMMODITY", "E_COMMODITY") if c in table), None)
    if commodity:
        notes.append(catalog_note(table[commodity], panel="there is no Census panel adapter yet"))
    partners = table["CTY_NAME"] if "CTY_NAME" in table else pd.Series(dtype="string")
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["time"]) if "time" in table else (),
        partners=sorted_unique(partners),
        totals={},
        notes=tuple(notes),
    )
