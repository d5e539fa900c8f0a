"""USGS Mineral Commodity Summaries CSVs through import_file: every cell kept, marks parsed.

Reference: the CSVs read here with pandas as text; numbers compared exactly
(they are parsed from the same digits).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from retrade.errors import ImportFormatError
from retrade.fetch.files import import_file, read_file
from retrade.store import RawStore

FOLDER = ("pnnl-cmm-data", "usgs_mcs")
EDITIONS = ("2022", "2023", "2024")
ID_COLUMNS = {
    "salient": ["DataSource", "Commodity", "Year"],
    "world": ["Source", "Country", "Type"],
}


def _text_cells(path, table: str) -> pd.DataFrame:
    """Non-empty rows and named columns of the CSV, as text."""
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    raw = raw.loc[:, ~raw.columns.str.startswith("Unnamed")]
    raw = raw[(raw != "").any(axis=1)]
    keep = [c for c in raw.columns if c in ID_COLUMNS[table] or not c.endswith("_notes")]
    return raw[keep]


@pytest.mark.parametrize("table", ["salient", "world"])
@pytest.mark.parametrize("edition", EDITIONS)
def test_every_cell_is_kept(shared, tmp_path, edition, table):
    path = shared(*FOLDER, f"mcs{edition}-raree_{table}.csv")
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    stored = store.read("usgs")
    raw = _text_cells(path, table)
    measures = [c for c in raw.columns if c not in ID_COLUMNS[table]]

    assert report.source == "usgs"
    assert len(stored) == len(raw) * len(measures) == report.summary.rows
    assert set(stored["edition"]) == {f"MCS{edition}"} and set(stored["table"]) == {table}
    cells = raw.melt(id_vars=ID_COLUMNS[table], value_name="text")["text"]
    assert sorted(stored["text"].fillna("")) == sorted(cells)

    plain = stored[stored["text"].str.fullmatch(r"[\d,]+(\.\d+)?", na=False)]
    assert (plain["value"] == plain["text"].str.replace(",", "").astype(float)).all()
    bounds = stored[stored["text"].str.startswith(">", na=False)]
    assert (bounds["qualifier"] == ">").all()
    assert (bounds["value"] == bounds["text"].str[1:].astype(float)).all()
    assert (cells.str.startswith(">")).sum() == (stored["qualifier"] == ">").sum()
    for mark in ("E", "W", "NA", "XX"):
        marked = stored[stored["mark"] == mark]
        assert len(marked) == (cells == mark).sum()
        assert marked["value"].isna().all()


def test_salient_marks_mean_what_usgs_says(shared):
    table = read_file(shared(*FOLDER, "mcs2024-raree_salient.csv")).table.set_index(
        ["measure", "year"]
    )
    nir = table.loc[("NIR_Compounds-Metals_t", 2021)]
    assert (nir["value"], nir["qualifier"], nir["unit"]) == (95.0, ">", "percent")
    concentrate = table.loc[("NIR_Concentrate_t", 2023)]
    assert concentrate["mark"] == "E" and concentrate["mark_meaning"] == "net exporter"
    assert not concentrate["estimated"]  # upper-case E is net exporter, not estimated
    consumption = table.loc[("Consump_Compounds-Metals_t", 2021)]
    assert consumption["value"] == 7900 and consumption["text"] == "7,900"
    assert table.loc[("Price_Nd2O3_dkg", 2022), "unit"] == "USD/kg"

    older = read_file(shared(*FOLDER, "mcs2022-raree_salient.csv")).table.set_index(
        ["measure", "year"]
    )
    assert older.loc[("NIR_Concentrate_t", 2017), "mark_meaning"] == "not applicable"


def test_world_production_years_estimates_and_notes(shared):
    raw = pd.read_csv(shared(*FOLDER, "mcs2023-raree_world.csv"), encoding="utf-8-sig", dtype=str)
    table = read_file(shared(*FOLDER, "mcs2023-raree_world.csv")).table
    prod = table[table["measure"] == "Prod_t"].set_index(["country", "year"])
    assert prod.loc[("China", 2022), "value"] == float(
        raw.set_index("Country").loc["China", "Prod_t_est_2022"]
    )
    assert prod.loc[("China", 2022), "estimated"]  # 'est' in the header
    assert prod.loc[("Australia", 2021), "estimated"]  # "Estimated in 2021 also." footnote
    assert not prod.loc[("United States", 2021), "estimated"]
    assert "Production quota" in prod.loc[("China", 2021), "note"]
    reserves = table[table["measure"] == "Reserves_t"].set_index("country")
    assert reserves.loc["Burma", "mark"] == "NA" and pd.isna(reserves.loc["Burma", "value"])
    assert reserves["year"].isna().all()

    est = read_file(shared(*FOLDER, "mcs2022-raree_world.csv")).table
    assert est.loc[est["year"] == 2021, "estimated"].all()  # Prod_t_Est_2021
    assert not est.loc[est["year"] == 2020, "estimated"].any()


def test_trailing_empty_rows_and_columns_are_counted(shared):
    report = read_file(shared(*FOLDER, "mcs2024-raree_world.csv"))
    text = shared(*FOLDER, "mcs2024-raree_world.csv").read_text(encoding="utf-8-sig")
    empty_lines = sum(1 for line in text.splitlines() if re.fullmatch(r",*", line))
    assert report.summary.skipped == {"empty rows": empty_lines}
    assert any("36 empty unnamed column(s)" in n for n in report.summary.notes)


def test_unreadable_cell_is_named(shared, tmp_path):
    text = shared(*FOLDER, "mcs2024-raree_salient.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "mcs2024-raree_salient.csv"
    bad.write_text(text.replace(">95", "about 95", 1), encoding="utf-8-sig")
    store = RawStore(tmp_path / "raw")
    with pytest.raises(
        ImportFormatError, match="NIR_Compounds-Metals_t for United States is 'about 95'"
    ):
        import_file(bad, store=store)
    assert store.sources() == []
