"""WITS workbooks and CSVs through import_file and the wits panel adapter.

Reference: the workbooks' own sheets read here with pandas (observed rows,
``raw_world_rows``, ``year_summary``) and the collector's DERIVED CSVs.
Tolerance: values are compared at a relative 1e-9, because the panel's USD
values are the files' thousands of USD times 1000 (binary floating point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.errors import HarmonizeError, ImportFormatError
from retrade.fetch.files import import_file
from retrade.panel.adapters import wits as adapter
from retrade.store import RawStore

RTOL = 1e-9
FOLDER = "semenko-china-ree-wits"
KEY = ["Reporter", "Partner", "ProductCode", "Year", "TradeFlow"]
# workbook -> (sheet of observed partner rows or None, balanced sheet, HS code)
WORKBOOKS = {
    "clean_china_ree_exports_284690_2010_2024.xlsx": (
        "final_panel_observed",
        "final_panel_balanced",
        "284690",
    ),
    "china_ree_exports_280530_with_controls.xlsx": (
        "final_panel_observed",
        "final_panel_balanced",
        "280530",
    ),
    "china_ree_exports_850511_with_controls.xlsx": (
        "raw_observed_partner_year",
        "panel_with_controls",
        "850511",
    ),
    "china_ree_exports_with_controls.xlsx": (None, "panel_with_controls", "284690"),
}


BOOKS = (
    "clean_china_ree_exports_284690_2010_2024.xlsx",
    "china_ree_exports_280530_with_controls.xlsx",
    "china_ree_exports_850511_with_controls.xlsx",
)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The WITS rows of the three single-code workbooks, imported once into one store."""
    from conftest import shared_path

    store = RawStore(tmp_path_factory.mktemp("books") / "raw")
    for name in BOOKS:
        import_file(shared_path(FOLDER, name), store=store)
    return store.read("wits", key=KEY)


def _stored(path, tmp_path):
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    return report, store.read("wits", key=KEY)


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_workbook_rows_and_totals(shared, tmp_path, name):
    path = shared(FOLDER, name)
    observed_sheet, balanced_sheet, code = WORKBOOKS[name]
    names = pd.ExcelFile(path).sheet_names
    wanted = [s for s in (observed_sheet, balanced_sheet, "raw_world_rows") if s in names]
    sheets = pd.read_excel(path, sheet_name=wanted)
    balanced = sheets[balanced_sheet]
    observed = (
        sheets[observed_sheet] if observed_sheet else balanced[balanced["observed_in_wits"] == 1]
    )
    world = sheets.get("raw_world_rows", pd.DataFrame())

    report, rows = _stored(path, tmp_path)
    assert report.written and report.source == "wits"
    assert len(rows) == len(observed) + len(world) == report.summary.rows
    assert set(rows["ProductCode"]) == {code}
    zero_filled = int((balanced["observed_in_wits"] == 0).sum())
    assert zero_filled > 0
    assert (
        sum(n for reason, n in report.summary.skipped.items() if "zero-filled" in reason)
        == zero_filled
    )

    partners = rows[rows["Partner"] != "World"]
    assert len(partners) == len(observed)
    np.testing.assert_allclose(
        partners["Trade Value 1000USD"].sum(), observed["export_value_1000usd"].sum(), rtol=RTOL
    )
    np.testing.assert_allclose(partners["Quantity"].sum(), observed["quantity_kg"].sum(), rtol=RTOL)
    assert set(rows["Quantity Unit"]) == {"Kg"}


def test_china_284690_world_rows_and_partner_sums_per_year(shared, tmp_path):
    """China's 284690 exports per year in the panel equal the workbook's world and partner sums."""
    path = shared(FOLDER, "clean_china_ree_exports_284690_2010_2024.xlsx")
    _, rows = _stored(path, tmp_path)
    panel = adapter.to_panel(rows)

    assert set(panel["reporter"]) == {"CHN"} and set(panel["flow"]) == {"export"}
    assert set(panel["hs6"]) == {"284690"} and set(panel["stage"]) == {"compounds"}
    world = panel[panel["partner"] == "WLD"].set_index("year").sort_index()
    sheet = pd.read_excel(path, sheet_name="raw_world_rows").set_index("year").sort_index()
    assert list(world.index) == list(range(2010, 2025))
    np.testing.assert_allclose(
        world["value_usd"].astype(float), sheet["export_value_usd"], rtol=RTOL
    )
    np.testing.assert_allclose(
        world["net_weight_kg"].astype(float), sheet["quantity_kg"], rtol=RTOL
    )

    summary = pd.read_excel(path, sheet_name="year_summary").set_index("year")
    by_year = panel[panel["partner"] != "WLD"].groupby("year")
    np.testing.assert_allclose(
        by_year["value_usd"].sum().astype(float), summary["partner_sum_export_value_usd"], rtol=RTOL
    )
    np.testing.assert_allclose(
        by_year["net_weight_kg"].sum().astype(float), summary["partner_sum_quantity_kg"], rtol=RTOL
    )
    # the broken 2016 quantity is carried as reported (PROVENANCE: 5.06 kt), not repaired
    assert world.loc[2016, "net_weight_kg"] == pytest.approx(sheet.loc[2016, "quantity_kg"])
    assert world.loc[2016, "net_weight_kg"] < 0.5 * world.loc[2015, "net_weight_kg"]


def test_world_rows_match_the_derived_world_annual(shared, books):
    panel = adapter.to_panel(books)
    world = panel[panel["partner"] == "WLD"].set_index(["hs6", "year"]).sort_index()
    derived = pd.read_csv(
        shared(FOLDER, "DERIVED_china_ree_exports_world_annual.csv"), dtype={"hs_code": str}
    )
    derived = derived.set_index(["hs_code", "year"]).sort_index()
    assert len(world) == len(derived) == 45
    np.testing.assert_allclose(
        world["value_usd"].astype(float), derived["export_value_usd"], rtol=RTOL
    )
    np.testing.assert_allclose(
        world["net_weight_kg"].astype(float), derived["quantity_kg"], rtol=RTOL
    )


def test_derived_world_annual_is_refused_for_lack_of_reporter_and_partner(shared, tmp_path):
    with pytest.raises(ImportFormatError, match="does not recognize"):
        import_file(
            shared(FOLDER, "DERIVED_china_ree_exports_world_annual.csv"), store=RawStore(tmp_path)
        )


def test_derived_long_csv_equals_the_workbooks(shared, tmp_path, books):
    long_path = shared(FOLDER, "DERIVED_china_ree_exports_bilateral_panel_long.csv")
    report, rows = _stored(long_path, tmp_path)
    raw = pd.read_csv(long_path, dtype={"hs_code": str})
    observed = raw[raw["observed_in_wits"] == 1]
    assert len(rows) == len(observed) == report.summary.rows
    assert sum(report.summary.skipped.values()) == int((raw["observed_in_wits"] == 0).sum())
    np.testing.assert_allclose(
        rows["Trade Value 1000USD"].sum() * 1000, observed["export_value_usd"].sum(), rtol=RTOL
    )

    books = books[books["Partner"] != "World"].set_index(KEY).sort_index()
    rows = rows.set_index(KEY).sort_index()
    assert list(rows.index) == list(books.index)
    np.testing.assert_allclose(rows["Trade Value 1000USD"], books["Trade Value 1000USD"], rtol=RTOL)
    np.testing.assert_allclose(rows["Quantity"], books["Quantity"], rtol=RTOL)


def test_every_wits_partner_name_maps(shared, tmp_path):
    _, rows = _stored(
        shared(FOLDER, "DERIVED_china_ree_exports_bilateral_panel_long.csv"), tmp_path
    )
    panel = adapter.to_panel(rows)
    pairs = dict(zip(panel["partner_original"], panel["partner"], strict=True))
    assert pairs["Other Asia, nes"] == "XOA"
    assert pairs["Hong Kong, China"] == "HKG"
    assert pairs["Occ.Pal.Terr"] == "PSE"
    assert pairs["Unspecified"] == "XNS"
    assert len(panel) == len(rows)


WITS_HEADER = (
    "Reporter,TradeFlow,ProductCode,Product Description,Year,Partner,"
    "Trade Value 1000USD,Quantity,Quantity Unit\n"
)


def test_plain_wits_export_layout(tmp_path):
    path = tmp_path / "WITS-By-HS6Product.csv"
    path.write_text(
        WITS_HEADER
        + "Japan,Import,280530,Rare-earth metals,2019,China,2500.125,12000,Kg\n"
        + "Japan,Import,280530,Rare-earth metals,2019,Viet Nam,800,4000,Kg\n"
        + "Japan,Import,280530,Rare-earth metals,2019,World,3300.125,16000,Kg\n"
        + "Japan,Import,030211,Fish,2019,World,10,5,Kg\n",
        encoding="utf-8",
    )
    _, rows = _stored(path, tmp_path)
    assert "030211" in set(rows["ProductCode"])  # leading zero kept
    panel = adapter.to_panel(rows)
    assert len(panel) == 3  # fish is not in the catalog
    assert set(panel["reporter"]) == {"JPN"} and set(panel["flow"]) == {"import"}
    assert panel.set_index("partner").loc["CHN", "value_usd"] == 2500125.0
    assert panel["stage"].unique().tolist() == ["metals"]


def test_windows_1252_export_is_not_read_as_chinese(tmp_path):
    path = tmp_path / "wits_latin.csv"
    path.write_bytes((WITS_HEADER + "China,Export,284690,X,2020,Curaçao,1,1,Kg\n").encode("cp1252"))
    _, rows = _stored(path, tmp_path)
    assert rows["Partner"].tolist() == ["Curaçao"]
    assert adapter.to_panel(rows)["partner"].tolist() == ["CUW"]


def test_world_and_groups_are_handled_explicitly(tmp_path):
    path = tmp_path / "w.csv"
    lines = [f"China,Export,284690,X,2020,{p},1,1,Kg\n" for p in ("World", "EU27", "ASEAN")]
    path.write_text(WITS_HEADER + "".join(lines), encoding="utf-8")
    _, rows = _stored(path, tmp_path / "a")
    assert sorted(adapter.to_panel(rows)["partner"]) == ["ASN", "EUN", "WLD"]
    path.write_text(WITS_HEADER + "China,Export,284690,X,2020,G7,1,1,Kg\n", encoding="utf-8")
    _, rows = _stored(path, tmp_path / "b")
    with pytest.raises(HarmonizeError, match=r"\['G7'\] are country groups"):
        adapter.to_panel(rows)


def test_unknown_partner_and_flow_are_errors(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(WITS_HEADER + "China,Export,284690,X,2020,Atlantis,1,1,Kg\n", encoding="utf-8")
    _, rows = _stored(path, tmp_path)
    with pytest.raises(HarmonizeError, match="Atlantis"):
        adapter.to_panel(rows)
    odd = rows.assign(TradeFlow="Transit")
    with pytest.raises(HarmonizeError, match="Transit"):
        adapter.to_panel(odd.assign(Partner="Japan"))


def test_sheets_that_disagree_are_refused(tmp_path):
    path = tmp_path / "book.xlsx"
    row = {
        "partner": "Japan",
        "year": 2020,
        "reporter": "China",
        "trade_flow": "Export",
        "hs_code": "284690",
        "export_value_1000usd": 10.0,
        "quantity_kg": 5,
    }
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([row]).to_excel(writer, sheet_name="observed", index=False)
        pd.DataFrame([{**row, "export_value_1000usd": 11.0}]).to_excel(
            writer, sheet_name="copy", index=False
        )
    store = RawStore(tmp_path / "raw")
    with pytest.raises(ImportFormatError, match="disagree"):
        import_file(path, store=store)
    assert store.sources() == []
