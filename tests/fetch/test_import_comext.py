"""Eurostat Comext SDMX-CSV through import_file and the comext adapter.

Reference: the CSVs read here with pandas. Quantities in 100 kg become kg by
x100, compared at a relative 1e-12 (one float multiplication each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.errors import DataQualityWarning, HarmonizeError, ImportFormatError
from retrade.fetch.files import import_file, read_file
from retrade.panel.adapters import comext as adapter
from retrade.store import RawStore

RTOL = 1e-12
FOLDER = "eurostat-comext-samples"
DATAFLOW = "ESTAT:DS-045409(1.0),13/02/26 11:00:00,"
FILES = (
    "comext_ds045409_sdmxcsv_cn8-39201081_monthly_2023-2025_HEAD200.csv",
    "DERIVED_comext_ds045409_cn8-39201081_partner_CN_rows.csv",
)


@pytest.mark.parametrize("name", FILES)
def test_sdmx_csv_rows_and_totals(shared, tmp_path, name):
    path = shared(FOLDER, name)
    raw = pd.read_csv(path, dtype={"product": str})
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    stored = store.read("comext")
    assert len(stored) == len(raw) == report.summary.rows
    for indicator, value in raw.groupby("indicators")["OBS_VALUE"].sum().items():
        np.testing.assert_allclose(report.summary.totals[indicator], value, rtol=RTOL)
    assert set(stored["flow"]) == set(raw["flow"]) and stored["flow"].dtype == "Int64"
    assert set(stored["product"]) == {"39201081"}
    assert any("0 rare-earth catalog row(s)" in n for n in report.summary.notes)
    assert adapter.to_panel(stored).empty  # plastic film is not a rare-earth line


def test_panel_units_flows_and_countries(shared, tmp_path):
    """The sample's layout with its product code set to a rare-earth line (28053010)."""
    path = shared(FOLDER, "DERIVED_comext_ds045409_cn8-39201081_partner_CN_rows.csv")
    text = path.read_text(encoding="utf-8").replace(",39201081,", ",28053010,")
    relabelled = tmp_path / "comext_re.csv"
    relabelled.write_text(text, encoding="utf-8")
    raw = pd.read_csv(relabelled, dtype={"product": str})
    stored = read_file(relabelled).table

    with pytest.warns(DataQualityWarning, match="in EUR"):
        panel = adapter.to_panel(stored)
    quantity = raw[raw["indicators"] == "QUANTITY_IN_100KG"]
    assert len(panel) == len(raw[["reporter", "flow", "TIME_PERIOD"]].drop_duplicates())
    np.testing.assert_allclose(
        panel["net_weight_kg"].sum(), quantity["OBS_VALUE"].sum() * 100, rtol=RTOL
    )
    assert set(panel["partner"]) == {"CHN"} and set(panel["stage"]) == {"metals"}
    assert "GRC" in set(panel["reporter"]) and "GR" in set(panel["reporter_original"])
    assert set(panel["flow"]) == set(raw["flow"].map({1: "import", 2: "export"}))
    assert set(panel["frequency"]) == {"M"} and panel["month"].between(1, 12).all()

    rates = {"2023": 0.92, "2024": 0.93, "2025": 0.88}
    converted = adapter.to_panel(stored, eur_per_usd=rates)
    value = raw[raw["indicators"] == "VALUE_IN_EUROS"]
    expected = (value["OBS_VALUE"] / value["TIME_PERIOD"].str[:4].map(rates)).sum()
    np.testing.assert_allclose(converted["value_usd"].sum(), expected, rtol=RTOL)


def test_aggregate_partners(tmp_path):
    header = (
        "DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE\n"
    )
    row = DATAFLOW + "M,{r},{p},28469090,1,QUANTITY_IN_100KG,2024-01,2.5\n"
    path = tmp_path / "agg.csv"
    path.write_text(
        header + row.format(r="EL", p="WORLD") + row.format(r="UK", p="QU"), encoding="utf-8"
    )
    panel = adapter.to_panel(read_file(path).table)
    assert sorted(zip(panel["reporter"], panel["partner"], strict=True)) == [
        ("GBR", "XNS"),
        ("GRC", "WLD"),
    ]
    assert (panel["net_weight_kg"] == 250).all()

    path.write_text(header + row.format(r="DE", p="EXT_EU27_2020"), encoding="utf-8")
    with pytest.raises(HarmonizeError, match="EXT_EU27_2020"):
        adapter.to_panel(read_file(path).table)
    path.write_text(header + row.format(r="DE", p="ZZ"), encoding="utf-8")
    with pytest.raises(HarmonizeError, match="ZZ"):
        adapter.to_panel(read_file(path).table)


def test_bad_rows_are_refused(tmp_path):
    header = (
        "DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE\n"
    )
    base = DATAFLOW + "M,DE,CN,28469090,{flow},{ind},2024-01,2.5\n"
    path = tmp_path / "bad.csv"
    for flow, ind, words in (
        (3, "VALUE_IN_EUROS", "not 1 or 2"),
        (1, "WEIGHT", "unknown indicator"),
    ):
        path.write_text(header + base.format(flow=flow, ind=ind), encoding="utf-8")
        with pytest.raises(ImportFormatError, match=words):
            read_file(path)
