"""USGS Mineral Commodity Summaries (MCS) data-release CSVs: salient statistics and world tables.

Two layouts, both UTF-8 with a byte-order mark and CRLF line ends:

* **salient** (``mcs2024-raree_salient.csv``): ``DataSource, Commodity, Year``
  then one column per statistic (``USprod_Concentrate_t``, ``Imports_Compounds_t``,
  ``Price_Nd2O3_dkg``, ``NIR_Compounds-Metals_pct`` ...), one row per year;
* **world** (``mcs2024-raree_world.csv``): ``Source, Country, Type`` then
  production by year (``Prod_t_2022``, ``Prod_t_est_2023``), reserves and
  footnote columns (``Prod_notes``, ``Reserves_notes``).

These are not trade flows. They are stored under source ``usgs`` in long form,
one row per cell: ``edition`` (``MCS2024``), ``table``, ``commodity``,
``country``, ``description``, ``measure``, ``year``, ``unit``, ``value``,
``qualifier``, ``mark``, ``mark_meaning``, ``estimated``, ``note`` and ``text``
(the cell as written). Nothing is dropped: ``7,900`` is 7900; ``>95`` is value
95 with qualifier ``>``; a symbol is kept as a mark with its meaning from the
MCS explanation of symbols:

=====  ====================================================
E      net exporter (in net import reliance columns)
e      estimated (also set by ``Est``/``est`` in a header)
NA     not available
W      withheld to avoid disclosing company proprietary data
XX     not applicable
—      zero
=====  ====================================================

Note the case: ``E`` is *net exporter*, not *estimated*.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from retrade.errors import ImportFormatError
from retrade.fetch.files.base import (
    blank_to_missing,
    check_options,
    head_text,
    is_missing,
    read_csv_text,
    read_text,
    sorted_unique,
    without_empty_columns,
    without_empty_rows,
)
from retrade.fetch.files.imported import ImportedTable, ReadSummary

FORMAT = "usgs_mcs"
SOURCE = "usgs"

MARKS: dict[str, str] = {
    "E": "net exporter",
    "e": "estimated",
    "NA": "not available",
    "W": "withheld to avoid disclosing company proprietary data",
    "XX": "not applicable",
    "—": "zero",
    "--": "zero",
}
COLUMNS = (
    "edition",
    "table",
    "commodity",
    "country",
    "description",
    "measure",
    "year",
    "unit",
    "value",
    "qualifier",
    "mark",
    "mark_meaning",
    "estimated",
    "note",
    "text",
)
KEY = ("edition", "table", "country", "measure", "year")
_UNITS = {"t": "t", "dkg": "USD/kg", "pct": "percent", "num": "number", "kt": "kt"}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_CELL = re.compile(rf"^(?P<q>[<>]=?|≤|≥)?\s*(?P<n>{_NUMBER})\s*(?P<m>e)?$")
_YEAR_COLUMN = re.compile(r"^(?P<measure>.+?)_(?P<est>[Ee]st_)?(?P<year>(19|20)\d{2})$")


def _layout(text: str) -> str | None:
    lines = text.splitlines()
    if len(lines) < 2 or not lines[1].startswith("MCS"):
        return None
    header = [h.strip() for h in lines[0].split(",")]
    if header[:3] == ["DataSource", "Commodity", "Year"]:
        return "salient"
    if header[:3] == ["Source", "Country", "Type"]:
        return "world"
    return None


def sniff(path: str | Path) -> bool:
    """Whether ``path`` is an MCS salient-statistics or world-production CSV."""
    return _layout(head_text(path)) is not None


def read(path: str | Path, **options: Any) -> ImportedTable:
    """Read an MCS CSV into one row per statistic, year and country.

    Returns
    -------
    ImportedTable
        Source ``usgs``; ``value`` with ``qualifier`` and ``mark`` beside it.
    """
    check_options(FORMAT, options, ())
    path = Path(path)
    text = read_text(path)
    layout = _layout(text)
    if layout is None:
        raise ImportFormatError(f"{path.name} is not an MCS salient or world CSV")
    raw = read_csv_text(text, path=path)
    raw, empty_rows = without_empty_rows(raw)
    raw, empty_columns = without_empty_columns(raw)
    long = _salient(raw) if layout == "salient" else _world(raw)
    table = _parse_cells(long, path=path)
    editions = sorted_unique(table["edition"])
    if len(editions) != 1:
        raise ImportFormatError(f"{path.name}: expected one MCS edition, found {list(editions)}")
    skipped = {"empty rows": empty_rows} if empty_rows else {}
    notes = [f"{len(empty_columns)} empty unnamed column(s) ignored"] if empty_columns else []
    return ImportedTable(
        source=SOURCE,
        format=FORMAT,
        table=table[list(COLUMNS)],
        partition=("edition", "table"),
        key=KEY,
        summary=_summary(table, skipped, notes),
    )


def _unit(measure: str) -> str:
    if measure.startswith("NIR_"):
        # net import reliance is a share of apparent consumption, whatever the header says
        return "percent"
    if measure.startswith("Employment"):
        return "number"
    return _UNITS.get(measure.rsplit("_", 1)[-1], "")


def _salient(raw: pd.DataFrame) -> pd.DataFrame:
    long = raw.melt(
        id_vars=["DataSource", "Commodity", "Year"], var_name="measure", value_name="text"
    )
    return pd.DataFrame(
        {
            "edition": long["DataSource"],
            "table": "salient",
            "commodity": long["Commodity"],
            "country": "United States",
            "description": pd.NA,
            "measure": long["measure"],
            "year": long["Year"],
            "unit": long["measure"].map(_unit),
            "estimated": False,
            "note": pd.NA,
            "text": long["text"],
        }
    )


def _world(raw: pd.DataFrame) -> pd.DataFrame:
    notes = {c[: -len("_notes")]: c for c in raw.columns if c.endswith("_notes")}
    measures = [
        c for c in raw.columns if c not in ("Source", "Country", "Type") and c not in notes.values()
    ]
    frames = []
    for column in measures:
        match = _YEAR_COLUMN.match(column)
        measure = match["measure"] if match else column
        prefix = measure.split("_", 1)[0]
        frames.append(
            pd.DataFrame(
                {
                    "edition": raw["Source"],
                    "table": "world",
                    "commodity": pd.NA,
                    "country": raw["Country"],
                    "description": raw["Type"].str.strip(),
                    "measure": measure,
                    "year": match["year"] if match else pd.NA,
                    "unit": _unit(measure),
                    "estimated": bool(match and match["est"]),
                    "note": raw[notes[prefix]] if prefix in notes else pd.NA,
                    "text": raw[column],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


_TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in ("year", "value", "estimated"))


def _parse_cells(long: pd.DataFrame, *, path: Path) -> pd.DataFrame:
    parsed = [
        _cell(text, where=(path.name, m, c))
        for text, m, c in zip(long["text"], long["measure"], long["country"], strict=True)
    ]
    cells = pd.DataFrame(parsed, columns=["value", "qualifier", "mark"], index=long.index)
    out = long.assign(
        value=cells["value"].astype("Float64"),
        qualifier=cells["qualifier"].astype("string"),
        mark=cells["mark"].astype("string"),
        mark_meaning=cells["mark"].map(MARKS).astype("string"),
        year=pd.to_numeric(long["year"], errors="raise").astype("Int64"),
        note=blank_to_missing(long["note"]),
    )
    out["estimated"] = _estimated(out)
    return out.astype({c: "string" for c in _TEXT_COLUMNS})


def _estimated(cells: pd.DataFrame) -> pd.Series:
    """Estimated: an ``est`` header, an ``e`` mark, or a footnote "Estimated in <year> also."."""
    noted = (
        cells["note"]
        .astype("string")
        .str.extract(r"[Ee]stimated in ((?:19|20)\d{2})", expand=False)
    )
    noted_year = pd.to_numeric(noted, errors="coerce").astype("Int64")
    return (
        cells["estimated"].astype("boolean")
        | (cells["mark"] == "e").fillna(False)
        | (noted_year == cells["year"]).fillna(False)
    )


def _cell(text: object, *, where: tuple[str, str, str]) -> tuple[object, object, object]:
    """``(value, qualifier, mark)`` for one cell; raise for text that is neither."""
    cell = "" if is_missing(text) else str(text).strip()
    if cell == "":
        return (pd.NA, pd.NA, pd.NA)
    if cell in MARKS:
        return (0.0 if MARKS[cell] == "zero" else pd.NA, pd.NA, cell)
    match = _CELL.match(cell)
    if match is None:
        name, measure, country = where
        raise ImportFormatError(
            f"{name}: {measure} for {country} is {cell!r}, neither a number nor a USGS symbol "
            f"({', '.join(MARKS)})"
        )
    value = float(match["n"].replace(",", ""))
    return (value, match["q"] or pd.NA, match["m"] or pd.NA)


def _summary(table: pd.DataFrame, skipped: dict[str, int], notes: list[str]) -> ReadSummary:
    marks = table["mark"].value_counts()
    qualifiers = table["qualifier"].value_counts()
    notes = list(notes)
    notes += [f"{n} cell(s) marked {m!r} ({MARKS[str(m)]})" for m, n in marks.items()]
    notes += [f"{n} cell(s) with qualifier {q!r} (value is a bound)" for q, n in qualifiers.items()]
    notes.append("not trade flows: stored for reference, not part of the trade panel")
    world = table[
        table["country"].str.startswith("World", na=False) & (table["measure"] == "Prod_t")
    ]
    totals = {
        f"world production {int(y)}, t": float(v)
        for y, v in zip(world["year"], world["value"], strict=True)
        if not is_missing(y) and not is_missing(v)
    }
    return ReadSummary(
        rows=len(table),
        periods=sorted_unique(table["year"]),
        partners=sorted_unique(table["country"]),
        totals=totals,
        skipped=skipped,
        notes=tuple(notes),
    )
