"""Comtrade v1 CSV and JSON downloads through import_file.

Reference: the files themselves, read here with pandas and json. Values are
compared exactly: they are stored as parsed, never recomputed.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from retrade.errors import ImportFormatError
from retrade.fetch.files import import_file, read_file
from retrade.fetch.files.comtrade_file import KEY, V1_FIELDS
from retrade.store import RawStore

PNNL = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
JSON_FILES = [
    ("comtradr-fixtures", "data_v1_get_C_A_HS_chn_imports_2010_total_4partners.body.json"),
    ("comtradr-fixtures", "data_v1_get_C_A_HS_chn_2010_total_allflows.body.json"),
    ("comtradr-fixtures", "data_v1_get_C_A_HS_chn_2010_total_httptest_pretty.body.json"),
    ("un-comtrade-sdk-preview", "india_exports_2022_world_total.json"),
    ("un-comtrade-sdk-preview", "india_exports_2022_single_partner.json"),
]
ARROW_TYPES = {"string": "string", "Int64": "int64", "Float64": "double", "boolean": "bool"}


def test_pnnl_csv_is_stored_in_v1_shape(shared, tmp_path):
    path = shared(*PNNL)
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    raw = pd.read_csv(path, dtype={"cmdCode": str, "period": str})

    stored = store.read("comtrade_files", key=list(KEY))
    assert (
        report.source == "comtrade_files" and report.summary.rows == len(raw) == len(stored) == 80
    )
    assert list(stored.columns) == list(V1_FIELDS)  # collector columns dropped ...
    assert any(
        "commodity_name" in n and "hs_code" in n for n in report.summary.notes
    )  # ... and named
    assert sorted(stored["cmdCode"].unique()) == ["280530", "2846"]
    assert any("40 row(s) are not six-digit" in n for n in report.summary.notes)

    # JSON types, as the API answers
    import pyarrow.parquet as pq

    schema = pq.read_schema(next((tmp_path / "raw" / "comtrade_files").rglob("*.parquet")))
    for field, dtype in V1_FIELDS.items():
        assert str(schema.field(field).type) == ARROW_TYPES[dtype], field

    # values and flags equal the file's
    merged = stored.merge(raw, on=["reporterCode", "partnerCode", "flowCode", "cmdCode", "period"])
    assert len(merged) == 80
    assert (merged["primaryValue_x"] == merged["primaryValue_y"]).all()
    assert (merged["netWgt_x"] == merged["netWgt_y"]).all()
    assert (merged["isQtyEstimated_x"] == merged["isQtyEstimated_y"]).all()
    assert merged["cifvalue_x"].isna().sum() == merged["cifvalue_y"].isna().sum() > 0
    totals = stored.groupby(["reporterCode", "flowCode"])["primaryValue"].sum()
    expected = raw.groupby(["reporterCode", "flowCode"])["primaryValue"].sum()
    assert totals.to_dict() == expected.to_dict()


@pytest.mark.parametrize("parts", JSON_FILES, ids=lambda p: p[1])
def test_json_answers(shared, tmp_path, parts):
    path = shared(*parts)
    body = json.loads(path.read_text(encoding="utf-8"))
    report = import_file(path, store=RawStore(tmp_path / "raw"))
    table = RawStore(tmp_path / "raw").read("comtrade_files")
    assert len(table) == len(body["data"]) == body["count"] == report.summary.rows
    assert table["primaryValue"].sum() == pytest.approx(
        sum(r["primaryValue"] for r in body["data"])
    )
    assert set(table["reporterISO"]) == {r["reporterISO"] for r in body["data"]}
    assert table["fobvalue"].isna().sum() == sum(r["fobvalue"] is None for r in body["data"])
    if "url" in body:
        assert any("url" in n for n in report.summary.notes)


def test_truncated_preview_is_flagged(tmp_path, shared):
    body = json.loads(shared(*JSON_FILES[0]).read_text(encoding="utf-8"))
    body["count"] = 500
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    report = read_file(path)
    assert any("count=500 but holds 4" in n for n in report.summary.notes)


@pytest.mark.parametrize(
    "name", ["data_v1_get_S_A_EB_empty.body.json", "bulk_v1_get_C_A_HS_empty.body.json"]
)
def test_empty_answers_import_nothing(shared, tmp_path, name):
    store = RawStore(tmp_path / "raw")
    report = import_file(shared("comtradr-fixtures", name), store=store)
    assert report.summary.rows == 0 and not report.written and "no rows" in report.message
    assert store.sources() == []


def test_damaged_json_and_csv_are_refused(shared, tmp_path):
    text = shared(*JSON_FILES[0]).read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ImportFormatError, match="not valid JSON"):
        read_file(cut, format="comtrade")
    csv = shared(*PNNL).read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join(csv[:5] + [csv[5].replace("True", "maybe", 1)]) + "\n", encoding="utf-8"
    )
    with pytest.raises(ImportFormatError, match="'maybe' is not true/false"):
        read_file(bad)
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("\n".join(csv[:3] + [csv[2]]) + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="repeat the same flow"):
        read_file(repeated)


def test_comtrade_files_adapter_relabels_the_api_adapter(shared, tmp_path):
    """Runs once the Comtrade API adapter (panel/adapters/comtrade.py) is on the branch."""
    pytest.importorskip("retrade.panel.adapters.comtrade")
    from retrade.panel.adapters import comtrade_files

    import_file(shared(*PNNL), store=RawStore(tmp_path / "raw"))
    raw = RawStore(tmp_path / "raw").read("comtrade_files", key=list(KEY))
    panel = comtrade_files.to_panel(raw)
    assert set(panel["source"]) == {"comtrade_files"}
    six = raw[raw["cmdCode"] == "280530"]
    assert panel.loc[panel["hs6"] == "280530", "value_usd"].sum() == pytest.approx(
        six["primaryValue"].sum()
    )
