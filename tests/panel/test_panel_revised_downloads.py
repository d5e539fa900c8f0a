"""Two downloads holding the same observations: the panel keeps the newer one, never their sum.

A user imports a WITS workbook and the long CSV built from it, or a revised
Comtrade/GACC/Comext download (different bytes, so a new manifest entry). The
import docs promise that "readers see its rows in place of the old ones"; the
panel build does that through each adapter's ``RAW_KEY``. Without one, the
adapter's duplicate-collapse summed the two copies and doubled the flows.

Reference: the panel built from the revised file alone (same code path, one
entry). Measures are copied through unchanged, so they compare exactly.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from retrade.config import load_settings
from retrade.fetch.files import import_file, read_file
from retrade.panel.build import build_panel, load_adapter
from retrade.panel.query import load_panel

ZH_HEADER = (
    '"数据年月","贸易伙伴编码","贸易伙伴名称","商品编码","商品名称",'
    '"第一数量","第一计量单位","第二数量","第二计量单位","美元",\n'
)
GACC_LINES = [
    '"202401","143","中国台湾","28053011","钕","12","吨","0","?","1,200,000",',
    '"202401","312","西班牙","28469019","其他稀土化合物","500","千克","0","?","35,000",',
    '"202402","502","美国","85051110","稀土永磁铁","3000","千克","0","?","1,065,000",',
]


def _csv_revision(text_in: str, *, column: str, row: int) -> str:
    """The same table with rows reversed and ``column`` of data row ``row`` doubled."""
    import io

    table = pd.read_csv(io.StringIO(text_in), dtype=str, keep_default_na=False)
    table.loc[row, column] = str(float(table.loc[row, column]) * 2)
    return table.iloc[::-1].to_csv(index=False)


def _wits(shared, tmp_path):
    path = shared("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
    text = path.read_text(encoding="utf-8")
    observed = pd.read_csv(path)["observed_in_wits"].eq(1).idxmax()
    return path, _csv_revision(text, column="quantity_kg", row=observed), {}


def _comtrade(shared, tmp_path):
    path = shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
    text = path.read_text(encoding="utf-8")
    row = pd.read_csv(path, dtype=str)["cmdCode"].eq("280530").idxmax()
    return path, _csv_revision(text, column="netWgt", row=row), {}


def _comext(shared, tmp_path):
    path = shared("eurostat-comext-samples",
                  "DERIVED_comext_ds045409_cn8-39201081_partner_CN_rows.csv")
    text = path.read_text(encoding="utf-8").replace(",39201081,", ",28053010,")
    first = tmp_path / "comext_first.csv"
    first.write_text(text, encoding="utf-8")
    row = pd.read_csv(first, dtype=str)["indicators"].eq("QUANTITY_IN_100KG").idxmax()
    return first, _csv_revision(text, column="OBS_VALUE", row=row), {}


def _china_customs(shared, tmp_path):
    first = tmp_path / "gacc_first.csv"
    first.write_bytes((ZH_HEADER + "\n".join(GACC_LINES) + "\n").encode("gbk"))
    revised = [GACC_LINES[0].replace('"12","吨"', '"24","吨"'), *GACC_LINES[1:]][::-1]
    return first, ZH_HEADER + "\n".join(revised) + "\n", {"flow": "export"}


CASES = {"wits": _wits, "comtrade_files": _comtrade, "comext": _comext,
         "china_customs": _china_customs}


def _build(tmp_path, name, files, options):
    settings = load_settings(data_dir=tmp_path / name)
    for path in files:
        import_file(path, settings=settings, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no currency rates, HS4 rows left out: not the point
        build_panel(settings=settings)
    return load_panel(settings=settings).drop(columns=["batch"])


@pytest.mark.parametrize("source", sorted(CASES))
def test_a_revised_download_replaces_the_rows_it_repeats(source, shared, tmp_path):
    first, revised_text, options = CASES[source](shared, tmp_path)
    revised = tmp_path / f"revised{first.suffix}"
    encoding = "gbk" if source == "china_customs" else "utf-8"
    revised.write_bytes(revised_text.encode(encoding))
    assert read_file(revised, **options).source == source

    once = _build(tmp_path, "once", [first], options)
    both = _build(tmp_path, "both", [first, revised], options)
    newer = _build(tmp_path, "newer", [revised], options)

    assert len(both) == len(once) == len(newer)
    pd.testing.assert_frame_equal(both, newer)
    changed = (once["net_weight_kg"] != newer["net_weight_kg"]).fillna(False)
    assert changed.sum() == 1  # the revision is visible, not averaged or summed away


def test_file_adapters_key_raw_rows_as_their_importers_do():
    from retrade.fetch.files import comext, comtrade_file, wits

    assert load_adapter("wits").raw_key == wits.KEY
    assert load_adapter("comtrade_files").raw_key == load_adapter("comtrade").raw_key
    assert set(comtrade_file.KEY) == set(load_adapter("comtrade_files").raw_key)
    assert load_adapter("comext").raw_key == comext.KEY
    assert set(load_adapter("china_customs").raw_key) == {
        "yearmonth", "flow", "partner", "commodity", "regime", "province"}
