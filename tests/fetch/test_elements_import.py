"""GACC downloads with province and HS8 columns -> import -> the element panel and province table.

No real rare-earth GACC download with a province breakdown exists in the shared data. So
each test input is BUILT AT RUN TIME from real material only, and nothing of it is
committed:

* the layout, encoding, quoting, trailing commas, number formats, months and partners of
  a real platform download (``gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv``, GBK);
* the registered-location column names of the platform (注册地编码/注册地名称, or in an
  English download "Locations of importers and exporters code"/"... exporters"), read
  from ``DERIVED_gacc_download_column_names_en_zh.csv``;
* real province codes and names from ``gacc_codes_provinces_china_customs_provinces.csv``;
* real rare-earth HS8 codes and their Chinese names from the official code list.

Each real row becomes two rows (two provinces, 70% and 30% of its quantity and value) on a
rare-earth line. Reference: the same numbers summed with pandas directly from the rows
written. Quantities and values are whole numbers: compared exactly; element content at
rel 1e-12 (one multiplication by a factor computed here from the atomic weights).
"""

from __future__ import annotations

import pandas as pd
import pytest

from _gacc_input import LINES, PROVINCES, _line_names, build_input
from retrade.catalog import elements as E
from retrade.config import load_settings
from retrade.fetch.files import import_file
from retrade.panel.build import build_panel
from retrade.panel.elements import province_shares
from retrade.panel.query import load_elements, load_panel, load_provinces


@pytest.fixture(params=["zh", "en"])
def built(request, shared, tmp_path):
    path, expected = build_input(shared, tmp_path, request.param)
    settings = load_settings(data_dir=tmp_path / "data")
    report = import_file(path, settings=settings)
    with pytest.warns(Warning):  # CNY without a rate table, soybean-free rows: all noted
        build_panel(settings=settings)
    return settings, expected, report


def test_the_download_imports_with_its_province_and_hs8_columns(built):
    settings, expected, report = built
    assert report.summary.rows == len(expected)
    from retrade.store import RawStore

    raw = RawStore(settings.raw_dir).read("china_customs")
    assert {"province", "province_name", "commodity"} <= set(raw.columns)
    assert sorted(raw["province"].unique()) == sorted(PROVINCES)
    assert set(raw["commodity"]) == set(LINES)


def test_element_panel_sums_provinces_and_carries_element_content(built):
    settings, expected, _ = built
    elements = load_elements(settings=settings)
    got = elements.groupby("hs_original")[["net_weight_kg", "value_cny"]].sum()
    want = expected.groupby("code")[["kg", "cny"]].sum()
    assert got["net_weight_kg"].to_dict() == want["kg"].to_dict()
    assert got["value_cny"].to_dict() == want["cny"].to_dict()
    assert elements["value_usd"].isna().all()  # CNY download, no rate table: never invented
    dy_oxide = elements[elements["hs_original"] == "28469015"]
    factor = 2 * 162.500 / (2 * 162.500 + 3 * 15.999)  # Dy2O3, atomic weights by hand
    pd.testing.assert_series_equal(
        dy_oxide["element_kg"].astype(float),
        (dy_oxide["net_weight_kg"] * factor).astype(float), rtol=1e-12, check_names=False)
    pooled = elements[elements["hs_original"] == "28469019"]
    assert pooled["element"].isna().all() and pooled["element_kg"].isna().all()
    assert set(pooled["scope"]) == {"other"} and set(pooled["april_2025"]) == {"part"}
    assert set(elements["partner"]) == {"USA", "BRA"}


def test_province_table_keeps_what_the_panel_sums_away(built):
    settings, expected, _ = built
    provinces = load_provinces(settings=settings)
    got = provinces.groupby(["province", "hs_original"])["net_weight_kg"].sum()
    want = expected.groupby(["province", "code"])["kg"].sum()
    assert got.to_dict() == want.to_dict()
    assert set(provinces["province_en"]) == {"Inner Mongolia", "Jiangxi"}
    panel = load_panel(settings=settings)
    assert panel["net_weight_kg"].sum() == expected["kg"].sum()  # panel: provinces summed
    shares = province_shares(provinces, measure="value_cny")
    assert shares.groupby("period")["share"].sum().round(12).eq(1).all()
    inner = shares.set_index(["period", "province"])["share"].loc[("2024", "15")]
    want_share = (expected.loc[expected["province"] == "15", "cny"].sum()
                  / expected["cny"].sum())
    assert inner == pytest.approx(want_share, rel=1e-12)


def test_catalog_codes_used_here_exist_in_the_official_list(shared):
    names = _line_names(shared)
    assert set(LINES) <= set(names) and set(LINES) <= set(E.element_lines()["code"])


def test_us_rows_take_the_element_of_the_hts10_lines_read():
    """Census HS10 rows already in the panel: a line the US table names gives its element;
    one it does not is pooled (never assigned to an element)."""
    from retrade.panel import schema as S
    from retrade.panel.elements import element_panel

    panel = S.conform(pd.DataFrame({
        "source": "census", "frequency": "M", "period": "2025-06", "year": 2025, "month": 6,
        "reporter": "USA", "partner": ["CHN", "CHN"], "flow": "import",
        "hs6": ["280530", "284690"], "hs_original": ["2805300015", "2846908090"],
        "stage": ["metals", "compounds"], "value_usd": [1000.0, 50.0],
        "net_weight_kg": [10.0, 2.0]}))
    out = element_panel(None, panel).set_index("hs_original")
    assert out.loc["2805300015", ["scope", "element", "form"]].tolist() == [
        "element", "Pr", "metal"]
    assert out.loc["2805300015", "element_kg"] == 10.0
    assert out.loc["2846908090", "scope"] == "other"
    assert pd.isna(out.loc["2846908090", "element"])
