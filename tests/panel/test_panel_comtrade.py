"""Comtrade v1 rows into the panel: the real PNNL rows, fetched and stored, satisfy the schema.

Reference: the PNNL CSV itself, read independently with pandas; values must
match exactly (they are copied, not computed).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from replay import ComtradeReplay, pnnl_rows, recorded, v1_types
from retrade.catalog.comtrade_v1 import v1_table
from retrade.config import load_settings
from retrade.errors import DataQualityWarning, HarmonizeError
from retrade.fetch.comtrade import fetch_comtrade, read_comtrade
from retrade.panel.adapters.comtrade import to_panel
from retrade.panel.schema import conform, validate_panel
from retrade.store import RawStore

PNNL = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")


@pytest.fixture
def rows(shared):
    body = recorded(shared("comtradr-fixtures"),
                    "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    return pnnl_rows(shared(*PNNL), v1_types(body))


def test_fetched_pnnl_rows_become_a_valid_panel(rows, shared, httpserver, tmp_path):
    ComtradeReplay(rows).install(httpserver)
    settings = load_settings(data_dir=tmp_path, min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    fetch_comtrade(reporters="CHN,USA", partners="WLD,CHN,USA", flows="M,X", hs="2846,280530",
                   periods="2020-2024", settings=settings, progress=False, availability=False)
    raw = read_comtrade(RawStore(tmp_path / "raw"))
    with pytest.warns(DataQualityWarning, match=r"40 row\(s\) kept out.*2846"):
        panel = to_panel(raw, source="comtrade_api")
    validate_panel(conform(panel))
    csv = pd.read_csv(shared(*PNNL))
    metals = csv[csv["cmdCode"] == 280530]
    assert len(panel) == len(metals) == 40
    assert set(panel["stage"]) == {"metals"} and set(panel["reporter"]) == {"CHN", "USA"}
    assert set(panel["partner"]) == {"WLD", "CHN", "USA"}
    assert panel["value_usd"].sum() == metals["primaryValue"].sum()
    assert panel["net_weight_kg"].sum() == metals["netWgt"].sum()
    assert set(panel["hs_vintage"]) == {"H5", "H6"} and set(panel["quantity_unit"]) == {"kg"}
    exports = panel.query("reporter == 'CHN' and partner == 'USA' and flow == 'export'")
    assert sorted(exports["period"]) == ["2020", "2021", "2022", "2023", "2024"]


def test_monthly_rows_breakdowns_and_unknown_codes():
    base = {"typeCode": "C", "freqCode": "M", "period": "202403", "refYear": 2024,
            "reporterCode": 392,
            "partnerCode": 156, "flowCode": "M", "cmdCode": "850511", "classificationCode": "H6",
            "primaryValue": 10.0, "motCode": 0, "customsCode": "C00", "partner2Code": 0}
    table = v1_table([base, {**base, "motCode": 1000}, {**base, "flowCode": "DX"}])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = validate_panel(conform(to_panel(table.to_pandas(), source="comtrade_api")))
    assert len(panel) == 1 and panel.loc[0, "period"] == "2024-03" and panel.loc[0, "month"] == 3
    assert len(caught) == 2
    with pytest.raises(HarmonizeError, match="98765"):
        to_panel(v1_table([{**base, "partnerCode": 98765}]).to_pandas(), source="comtrade_api")
