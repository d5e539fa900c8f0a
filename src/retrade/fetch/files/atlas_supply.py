"""China's rare-earth supply and import-dependency summary (``china_ree_supply.json``).

The JSON published by ``materials-atlas/critical-materials-atlas``: a ``unit``,
REO conversion ``factors`` per product kind (low, central, high), and per
``years`` entry the USGS mine output, China customs net imports in total, by
kind and by partner, the imports converted to REO (low/central/high) and the
import share; plus a ``definition`` and ``caveats``.

Stored under source ``atlas_supply`` in long form, one row per number:
``year`` (missing for the factors), ``measure`` (the JSON key), ``item`` (product
kind or partner ISO2, where the key breaks down), ``bound`` (``low``,
``central``, ``high`` where given), ``value`` and ``unit``. The definition and
caveats go into the import summary. Not trade flows; not part of the panel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    check_options,
    head_text,
    load_json,
    sorted_unique,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

FORMAT = "atlas_supply"
SOURCE = "atlas_supply"
BOUNDS = ("low", "central", "high")
COLUMNS = ("year", "measure", "item", "bound", "value", "unit")
_DTYPES = {
    "year": "Int64",
    "measure": "string",
    "item": "string",
    "bound": "string",
    "value": "Float64",
    "unit": "string",
}


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is the supply JSON (``factors`` and ``years`` with ``mine_reo_t``)."""
    text = head_text(path).lstrip()
    return text.startswith("{") and '"factors"' in text and '"mine_reo_t"' in text


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read the supply JSON into long rows.

    Returns
    -------
    ImportedTable
        Source ``atlas_supply``; one row per year, measure, item and bound.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    body = load_json(path)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("years"), list)
        or "factors" not in body
    ):
        raise ImportFormatError(
            f"{path.name}: expected an object with 'factors' and a 'years' list"
        )
    rows = _factor_rows(body["factors"], path=path)
    for entry in body["years"]:
        if not isinstance(entry, dict) or "year" not in entry:
            raise ImportFormatError(f"{path.name}: a 'years' entry lacks 'year': {entry!r:.80}")
        rows += _year_rows(entry, path=path)
    table = pd.DataFrame(rows, columns=list(COLUMNS)).astype(_DTYPES)
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table,
        partition=(),
        key=("year", "measure", "item", "bound"),
        summary=_summary(table, body),
    )


def _summary(table: pd.DataFrame, body: dict) -> ReadSummary:
    notes = [f"definition: {body.get('definition', 'not given')}"]
    notes += [f"caveat: {c}" for c in body.get("caveats", [])]
    notes.append(f"unit: {body.get('unit', 'not given')}; not trade flows, not in the trade panel")
    mine = table[table["measure"] == "mine_reo_t"]
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["year"]),
        partners=sorted_unique(table.loc[table["measure"].str.contains("partner"), "item"]),
        totals={
            f"mine_reo_t {y}": float(v) for y, v in zip(mine["year"], mine["value"], strict=True)
        },
        notes=tuple(notes),
    )


def _unit(measure: str) -> str:
    if measure.endswith("_pct"):
        return "percent"
    if "reo" in measure:
        return "t REO"
    return "t" if measure.endswith("_t") else ""


def _number(value: object, *, where: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ImportFormatError(f"{path.name}: {where} is {value!r}, not a number")
    return float(value)


def _factor_rows(factors: object, *, path: Path) -> list[tuple]:
    if not isinstance(factors, dict):
        raise ImportFormatError(f"{path.name}: 'factors' must map kinds to [low, central, high]")
    rows = []
    for kind, values in factors.items():
        if not isinstance(values, list) or len(values) != len(BOUNDS):
            raise ImportFormatError(f"{path.name}: factor {kind!r} must be [low, central, high]")
        rows += [
            (
                pd.NA,
                "reo_factor",
                kind,
                bound,
                _number(v, where=f"factor {kind}", path=path),
                "t REO per t",
            )
            for bound, v in zip(BOUNDS, values, strict=True)
        ]
    return rows


def _year_rows(entry: dict, *, path: Path) -> list[tuple]:
    year, rows = entry["year"], []
    for measure, value in entry.items():
        if measure == "year":
            continue
        where = f"{measure} of {year}"
        if isinstance(value, dict):
            is_bound = set(value) <= set(BOUNDS)
            rows += [
                (
                    year,
                    measure,
                    pd.NA if is_bound else key,
                    key if is_bound else pd.NA,
                    _number(v, where=f"{where}.{key}", path=path),
                    _unit(measure),
                )
                for key, v in value.items()
            ]
        else:
            rows.append(
                (
                    year,
                    measure,
                    pd.NA,
                    pd.NA,
                    _number(value, where=where, path=path),
                    _unit(measure),
                )
            )
    return rows
