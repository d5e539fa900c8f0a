"""The Comtrade adapter with its distinct values spread by numpy, against the adapter before.

The previous adapter (``tests/_previous_comtrade_adapter.py``) computed each
text column on distinct values too, but spread every result back to the rows
through a frame's ``iloc`` and typed the columns row by row in ``conform``;
the new one types the distinct values and takes them by code (a fixed cost of
some 10 ms a build, issue 14). Compared exactly (tolerance: none): the rows
(values, dtypes, index), the warnings and the errors, on

* the real PNNL Comtrade rows, fetched from a stand-in server and read back
  from the store, and the Comtrade preview rows of ``un-comtrade-sdk-preview``;
* a synthetic download imported and read as the build reads it (text as
  categoricals) and as plain text;
* hand-made awkward rows: breakdowns, other flows, HS4 and ``TOTAL`` codes,
  monthly periods, missing optional fields, unit codes without an
  abbreviation, missing values in every column, unknown country numbers,
  object columns as a JSON answer gives them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import _previous_comtrade_adapter as previous
from _outcome import outcome
from retrade.catalog.comtrade_v1 import v1_table
from retrade.panel.adapters import comtrade, comtrade_files


def _same(raw: pd.DataFrame, source: str = "comtrade_api") -> pd.DataFrame | str:
    new = outcome(comtrade.to_panel, raw, source=source)
    old = outcome(previous.to_panel, raw, source=source)
    assert new[1] == old[1]  # the same warnings, in order
    if isinstance(old[0], str):  # an error: the same type and message
        assert new[0] == old[0]
    else:
        pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)
        assert new[0].index.equals(old[0].index)
    return new[0]


BASE = {"typeCode": "C", "freqCode": "A", "period": "2021", "refYear": 2021,
        "reporterCode": 156, "partnerCode": 392, "flowCode": "X", "cmdCode": "280530",
        "classificationCode": "H5", "primaryValue": 1.5e6, "cifvalue": None, "fobvalue": 1.5e6,
        "netWgt": 2.0e4, "qty": 2.0e4, "qtyUnitAbbr": "kg", "qtyUnitCode": 8,
        "isNetWgtEstimated": False, "motCode": 0, "customsCode": "C00", "partner2Code": 0}


def _awkward() -> list[dict]:
    rows = [BASE,
            {**BASE, "partnerCode": 0, "primaryValue": 0.0, "netWgt": None},
            {**BASE, "motCode": 1000}, {**BASE, "customsCode": "C01"},
            {**BASE, "partner2Code": 842}, {**BASE, "flowCode": "DX"},
            {**BASE, "flowCode": "RX", "partnerCode": 490}, {**BASE, "flowCode": "M"},
            {**BASE, "cmdCode": "2846"}, {**BASE, "cmdCode": "TOTAL"},
            {**BASE, "freqCode": "M", "period": "202403", "refYear": 2024},
            {**BASE, "freqCode": "M", "period": "202412", "flowCode": "RM"},
            {**BASE, "qtyUnitAbbr": None, "qtyUnitCode": 8},
            {**BASE, "qtyUnitAbbr": "N/A", "qtyUnitCode": 5},
            {**BASE, "qtyUnitAbbr": "", "qtyUnitCode": None},
            {**BASE, "classificationCode": "H7"}, {**BASE, "classificationCode": "HS"},
            {**BASE, "isNetWgtEstimated": None, "cmdCode": "850511"},
            {**BASE, "cmdCode": "253090", "reporterCode": 842, "partnerCode": 156}]
    return rows * 3 + [{**r, "period": "2019", "refYear": 2019} for r in rows
                       if r["freqCode"] == "A"]


@pytest.mark.parametrize("codes", [False, True], ids=["text", "categorical text"])
def test_awkward_rows_as_before(codes):
    raw = v1_table(_awkward()).to_pandas()
    if codes:
        raw = raw.astype({c: "category" for c in raw.columns if raw[c].dtype == "string"})
    panel = _same(raw)
    assert len(panel) and panel["month"].notna().any()
    _same(raw.iloc[::-1])  # another first-appearance order
    _same(raw.set_index(pd.Index(np.arange(len(raw)) * 7 + 3)), source="comtrade_files")
    _same(raw[raw["flowCode"] == "DX"])  # no row kept
    _same(raw.iloc[:0])


def test_json_shaped_and_incomplete_rows_as_before():
    frame = pd.DataFrame(_awkward())  # object and float columns, as a JSON answer gives them
    _same(frame)
    _same(frame.drop(columns=["classificationCode", "qtyUnitAbbr", "qtyUnitCode", "cifvalue",
                              "isNetWgtEstimated", "motCode", "customsCode", "partner2Code"]))
    _same(frame.assign(partnerCode=frame["partnerCode"].where(frame.index != 4, 98765)))
    _same(frame.assign(period=frame["period"].where(frame.index != 2, "20x1")))
    _same(frame.assign(freqCode="M"))  # monthly rows with a year for period: an error
    _same(frame.assign(reporterCode=frame["reporterCode"].astype(float)))
    _same(frame.assign(classificationCode=frame["classificationCode"].where(frame.index % 3 > 0)))
    _same(frame.drop(columns=["cmdCode"]))


def test_real_comtrade_rows_as_before(shared):
    from replay import pnnl_rows, recorded, v1_types

    body = recorded(shared("comtradr-fixtures"),
                    "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    rows = pnnl_rows(shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv"),
                     v1_types(body))
    for raw in (v1_table(rows).to_pandas(), pd.DataFrame(rows)):
        assert len(_same(raw)) == 40


def test_a_synthetic_download_read_as_the_build_reads_it_as_before(tmp_path):
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.panel.build import _adapter_for, _raw_columns
    from retrade.store import RawStore
    from retrade.testing import synthetic_comtrade_download

    settings = load_settings(data_dir=tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import_file(synthetic_comtrade_download(tmp_path / "s.csv", rows=6000, seed=4),
                    settings=settings)
    store = RawStore(settings.raw_dir)
    adapter = _adapter_for("comtrade_files", None)
    assert adapter.text_codes  # the build reads these rows' text as categoricals
    for text_codes in (True, False):
        raw = store.read("comtrade_files", key=list(comtrade_files.RAW_KEY),
                         columns=_raw_columns(adapter), missing_ok=True,
                         text_codes=text_codes)
        panel = _same(raw, source="comtrade_files")
        assert len(panel) > 1000 and panel["partner"].nunique() > 50
