"""China customs (GACC) platform downloads through import_file and the china_customs adapter.

Reference: each file parsed here independently with pandas (GB18030 text,
thousands separators removed by hand). Quantities and values are whole
numbers in the files and compared exactly; USD conversions at a relative
1e-12 (one division each).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from retrade.errors import DataQualityWarning, HarmonizeError, ImportFormatError
from retrade.fetch.files import import_file, read_file
from retrade.panel.adapters import china_customs as adapter
from retrade.store import RawStore

FOLDER = "china-customs-samples"
# file -> (flow, flow given on the command line?)
FILES = {
    "gacc_zh_soybean_imports_by_partner_2024_cny_GBK.csv": ("import", False),
    "gacc_zh_soybean_imports_by_partner_2025-01_to_10_cny_GBK.csv": ("import", False),
    "gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv": ("export", False),
    "gacc_zh_soybean_exports_to_us_2025-01_to_10_cny_GBK.csv": ("export", False),
    "gacc_zh_soybean_mixed_2023_cny_GBK.csv": ("import", True),
    "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_cny_UTF8.csv": ("import", False),
    "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_usd_UTF8.csv": ("import", False),
}
ZH_HEADER = (
    '"数据年月","贸易伙伴编码","贸易伙伴名称","商品编码","商品名称",'
    '"第一数量","第一计量单位","第二数量","第二计量单位","人民币",\n'
)


def _independent(path) -> pd.DataFrame:
    """The file read with pandas alone: text cells, the trailing empty column dropped."""
    encoding = "utf-8" if path.name.endswith("_UTF8.csv") else "gb18030"  # PROVENANCE §8a
    frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    return frame.loc[:, ~frame.columns.str.startswith("Unnamed")]


def _number(values: pd.Series) -> pd.Series:
    return values.str.replace(",", "", regex=False).astype(float)


@pytest.mark.parametrize("name", sorted(FILES))
def test_platform_downloads(shared, tmp_path, name):
    path = shared(FOLDER, name)
    flow, given = FILES[name]
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store, **({"flow": flow} if given else {}))
    stored = store.read("china_customs")
    raw = _independent(path)

    assert len(stored) == len(raw) == report.summary.rows
    assert set(stored["flow"]) == {flow}
    value_col, stored_col = ("人民币", "value_cny") if "人民币" in raw else ("美元", "value_usd")
    assert stored[stored_col].sum() == _number(raw[value_col]).sum()
    assert stored["quantity_1"].sum() == _number(raw["第一数量"]).sum()
    assert set(stored["unit_1"]) == set(raw["第一计量单位"])
    assert stored["unit_2"].isna().sum() == (raw["第二计量单位"] == "?").sum()  # '?' = no unit
    assert sorted(stored["yearmonth"].unique()) == sorted(raw["数据年月"].unique())
    assert set(stored["commodity"]) == set(raw["商品编码"])
    if "贸易伙伴名称" in raw:
        assert set(stored["partner_name"]) == set(raw["贸易伙伴名称"])
        assert set(stored["partner"]) == set(raw["贸易伙伴编码"])
    # soybeans and crude oil are outside the rare-earth catalog: stored, said, not in the panel
    assert any(
        f"0 rare-earth catalog row(s); {len(raw)} row(s) outside" in n for n in report.summary.notes
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to convert, so no currency warning either
        assert adapter.to_panel(stored).empty


def test_crude_oil_in_cny_and_usd_agree(shared, tmp_path):
    cny = read_file(shared(FOLDER, "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_cny_UTF8.csv")).table
    usd = read_file(shared(FOLDER, "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_usd_UTF8.csv")).table
    assert (cny["quantity_1"] == usd["quantity_1"]).all()
    assert (cny["quantity_2"] == usd["quantity_2"]).all() and set(cny["unit_2"]) == {"桶"}
    rate = cny["value_cny"].sum() / usd["value_usd"].sum()
    assert 7.0 < rate < 7.2  # PROVENANCE: implied rate about 7.10
    assert "partner" not in cny  # no partner breakdown: totals over all partners


def test_flow_must_be_known(shared):
    mixed = shared(FOLDER, "gacc_zh_soybean_mixed_2023_cny_GBK.csv")
    with pytest.raises(ImportFormatError, match="does not say whether it holds imports or exports"):
        read_file(mixed)
    assert read_file(mixed, flow="export").options == {"flow": "export"}
    named = shared(FOLDER, "gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv")
    assert any("taken from the file name" in n for n in read_file(named).summary.notes)
    assert read_file(named, flow="import").table["flow"].unique().tolist() == ["import"]


@pytest.fixture
def rare_earth_download(tmp_path):
    """A small platform-style file for rare-earth lines: GBK, trailing commas, separators."""
    lines = [
        '"202401","143","中国台湾","28053011","钕","12","吨","0","?","1,200,000",',
        '"202401","312","西班牙","28469019","其他稀土化合物","500","千克","0","?","35,000",',
        '"202401","207","加那利群岛","28469019","其他稀土化合物","100","千克","0","?","7,000",',
        '"202401","199","亚洲其他国家(地区)","85051110","稀土永磁铁","2,000","千克","0","?","710,000",',
        '"202402","502","美国","85051110","稀土永磁铁","3000","千克","150","个","1,065,000",',
        '"202402","502","美国","12019019","转基因黄大豆","9","千克","0","?","9",',
    ]
    path = tmp_path / "稀土出口_2024.csv"
    path.write_bytes((ZH_HEADER + "\n".join(lines) + "\n").encode("gbk"))
    return path


def test_rare_earth_rows_reach_the_panel(rare_earth_download, tmp_path):
    store = RawStore(tmp_path / "raw")
    report = import_file(rare_earth_download, store=store)
    assert any("flow 'export' taken from the file name" in n for n in report.summary.notes)
    assert any("5 rare-earth catalog row(s); 1 row(s) outside" in n for n in report.summary.notes)
    raw = store.read("china_customs")

    with pytest.warns(DataQualityWarning, match="5 value.*CNY"):
        plain = adapter.to_panel(raw)
    assert plain["value_usd"].isna().all()

    panel = adapter.to_panel(raw, cny_per_usd={"2024-01": 7.1, "2024": 7.2})
    assert len(panel) == 4  # Spain and the Canary Islands are one ESP row; soybeans left out
    rows = panel.set_index(["period", "partner", "hs6"])
    assert rows.loc[("2024-01", "TWN", "280530"), "net_weight_kg"] == 12_000  # 12 吨
    assert rows.loc[("2024-01", "TWN", "280530"), "value_usd"] == pytest.approx(
        1_200_000 / 7.1, rel=1e-12
    )
    spain = rows.loc[("2024-01", "ESP", "284690")]
    assert spain["net_weight_kg"] == 600 and spain["value_usd"] == pytest.approx(
        42_000 / 7.1, rel=1e-12
    )
    assert spain["partner_original"] == "西班牙; 加那利群岛"
    assert rows.loc[("2024-01", "XOA", "850511"), "net_weight_kg"] == 2000
    us = rows.loc[("2024-02", "USA", "850511")]
    assert us["value_usd"] == pytest.approx(1_065_000 / 7.2, rel=1e-12)  # the year's rate
    assert us["quantity"] == 150 and us["quantity_unit"] == "个"
    assert set(panel["reporter"]) == {"CHN"} and set(panel["flow"]) == {"export"}
    assert set(panel["frequency"]) == {"M"} and panel["month"].notna().all()
    assert set(panel["hs_original"]) == {"28053011", "28469019", "85051110"}

    with pytest.raises(HarmonizeError, match=r"no CNY-per-USD rate for period\(s\) \['2024-02'\]"):
        adapter.to_panel(raw, cny_per_usd={"2024-01": 7.1})


def test_english_download_in_usd_with_regimes(tmp_path):
    header = (
        '"Date of data","Trading partner code","Trading partner","Customs Regime code",'
        '"Customs Regime","Commodity code","Commodity","Quantity","Unit",'
        '"Supplementary Quantity","Supplementary Unit","US dollar",\n'
    )
    dy, kg = '"28053012","Dysprosium"', '"Kilogram","0","?"'
    lines = [
        f'"202312","133","Korea, Rep.","10","Ordinary Trade",{dy},"40",{kg},"12,000",',
        f'"202312","133","Korea, Rep.","14","Processing",{dy},"60",{kg},"18,000",',
        f'"202312","110","Hong Kong，China","10","Ordinary Trade",{dy},"5",{kg},"1,500",',
    ]
    path = tmp_path / "export_dy.csv"
    path.write_bytes((header + "\n".join(lines) + "\n").encode("gb18030"))
    store = RawStore(tmp_path / "raw")
    import_file(path, store=store)
    raw = store.read("china_customs")
    assert set(raw["regime_name"]) == {"Ordinary Trade", "Processing"}
    panel = adapter.to_panel(raw).set_index("partner")
    assert panel.loc["KOR", "value_usd"] == 30_000 and panel.loc["KOR", "net_weight_kg"] == 100
    assert panel.loc["HKG", "value_usd"] == 1_500


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('"202401","502","美国","28053011","钕","12","吨","0","?"', "has 9 field"),
        ('"202413","502","美国","28053011","钕","12","吨","0","?","1",', "202413"),
        ('"202401","502","美国","2805301X","钕","12","吨","0","?","1",', "2805301X"),
        ('"202401","502","美国","28053011","钕","12","吨","0","?","1,2x0",', "1,2x0"),
    ],
    ids=["truncated", "bad-month", "bad-code", "bad-value"],
)
def test_damaged_downloads_are_refused(tmp_path, line, message):
    path = tmp_path / "export.csv"
    good = '"202401","502","美国","28053011","钕","12","吨","0","?","1",'
    path.write_bytes((ZH_HEADER + good + "\n" + line + "\n").encode("gbk"))
    store = RawStore(tmp_path / "raw")
    with pytest.raises(ImportFormatError, match=message):
        import_file(path, store=store)
    assert store.sources() == []


def test_partner_codes_without_names_are_an_error(tmp_path):
    header = '"数据年月","贸易伙伴编码","商品编码","第一数量","第一计量单位","人民币",\n'
    path = tmp_path / "export.csv"
    path.write_bytes((header + '"202401","502","28053011","12","千克","1",\n').encode("gbk"))
    raw = read_file(path).table
    with pytest.raises(HarmonizeError, match="贸易伙伴名称"):
        adapter.to_panel(raw, cny_per_usd={"2024": 7.1})


def test_totals_and_partner_rows_from_two_downloads_share_a_store(rare_earth_download, tmp_path):
    header = '"数据年月","商品编码","商品名称","第一数量","第一计量单位","美元",\n'
    totals = tmp_path / "export_totals.csv"
    totals.write_bytes(
        (header + '"202401","28053011","钕","15000","千克","2,000,000",\n').encode("gbk")
    )
    store = RawStore(tmp_path / "raw")
    import_file(rare_earth_download, store=store)
    import_file(totals, store=store)
    panel = adapter.to_panel(store.read("china_customs"), cny_per_usd={"2024": 7.1})
    world = panel[panel["partner"] == "WLD"]
    assert len(world) == 1 and world["value_usd"].iloc[0] == 2_000_000
    assert world["partner_original"].isna().all()
    assert {"TWN", "ESP", "XOA", "USA"} <= set(panel["partner"])
