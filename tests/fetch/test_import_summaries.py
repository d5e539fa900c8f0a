"""Reference tables that are not panel flows: BACI world summaries, the supply JSON, Census answers.

Reference: the files read here with pandas and json; values compared exactly
(parsed from the same text).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from retrade.errors import ImportFormatError
from retrade.fetch.files import import_file, read_file
from retrade.store import RawStore

ATLAS = "materials-atlas"
CENSUS = "census-samples"


@pytest.mark.parametrize(
    "name",
    [
        "TRANSCRIBED_baci_re_world_summary_2002_2024.csv",
        "TRANSCRIBED_baci_850511_world_series_2002_2024.csv",
    ],
)
def test_baci_summaries(shared, tmp_path, name):
    path = shared(ATLAS, name)
    raw = pd.read_csv(path, dtype={"hs6": str})
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    stored = store.read("baci_summary", key=["hs6", "year"]).sort_values(["hs6", "year"])
    assert len(stored) == len(raw) == report.summary.rows
    assert list(stored.columns) == list(raw.columns)
    assert (
        stored["world_usd"].to_numpy() == raw.sort_values(["hs6", "year"])["world_usd"].to_numpy()
    ).all()
    assert any("HS02 for 2002-2016" in n for n in report.summary.notes)
    assert any("not part of the trade panel" in n for n in report.summary.notes)


def test_baci_china_share_is_kept_as_published(shared):
    table = read_file(shared(ATLAS, "TRANSCRIBED_baci_850511_world_series_2002_2024.csv")).table
    share = table.set_index("year")["china_export_share"]
    assert share[2002] == 0.1834 and share[2024] == 0.6266  # PROVENANCE: 0.18 to 0.63


def test_supply_json(shared, tmp_path):
    path = shared(ATLAS, "china_ree_supply.json")
    body = json.loads(path.read_text(encoding="utf-8"))
    report = import_file(path, store=RawStore(tmp_path / "raw"))
    table = RawStore(tmp_path / "raw").read("atlas_supply")
    numbers = 3 * len(body["factors"]) + sum(
        len(v) if isinstance(v, dict) else 1
        for y in body["years"]
        for k, v in y.items()
        if k != "year"
    )
    assert len(table) == numbers == report.summary.rows
    rows = table.set_index(["year", "measure", "item", "bound"])
    for entry in body["years"]:
        year = entry["year"]
        assert rows.loc[(year, "mine_reo_t", pd.NA, pd.NA), "value"] == entry["mine_reo_t"]
        for bound, value in entry["imports_reo_t"].items():
            assert rows.loc[(year, "imports_reo_t", pd.NA, bound), "value"] == value
        for partner, value in entry["imports_reo_by_partner_central_t"].items():
            assert (
                rows.loc[(year, "imports_reo_by_partner_central_t", partner, pd.NA), "value"]
                == value
            )
    assert rows.loc[(pd.NA, "reo_factor", "metal", "high"), "value"] == body["factors"]["metal"][2]
    assert sum(n.startswith("caveat:") for n in report.summary.notes) == len(body["caveats"])


@pytest.mark.parametrize(
    ("name", "endpoint"),
    [
        ("porths_imports_hs2-28_2024-12_ytd_Rwritecsv.csv", "imports_porths"),
        ("porths_exports_hs2-28_2024-12_ytd_Rwritecsv.csv", "exports_porths"),
        ("DERIVED_porths_imports_hs2-28_2024-12_selected_rows_as_api_json.json", "imports_porths"),
    ],
)
def test_census_answers(shared, tmp_path, name, endpoint):
    path = shared(CENSUS, name)
    if path.suffix == ".json":
        body = json.loads(path.read_text(encoding="utf-8"))
        header, rows = body[0], body[1:]
    else:  # R write.csv: V1..Vn header, the API header as first row, bare NA for null
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
        header, rows = list(frame.iloc[0, 1:]), frame.iloc[1:, 1:].values.tolist()
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    stored = store.read("census_files")
    assert len(stored) == len(rows) == report.summary.rows
    assert list(stored.columns) == ["endpoint", *header]
    assert set(stored["endpoint"]) == {endpoint}
    value = next(c for c in header if c.endswith("_VAL_YR"))
    assert sorted(stored[value]) == sorted(r[header.index(value)] for r in rows)  # text, as sent
    cty = [r[header.index("CTY_CODE")] for r in rows]
    aggregates = sum(c == "-" or c.startswith("0") or c.endswith("XXX") for c in cty)
    assert any(f"{aggregates} row(s) are all-countries totals" in n for n in report.summary.notes)


def test_census_nulls_stay_missing(shared):
    """PROVENANCE: 23 import rows at port 1791 have a null PORT_NAME (a bare NA in R's CSV)."""
    for name in (
        "porths_imports_hs2-28_2024-12_ytd_Rwritecsv.csv",
        "DERIVED_porths_imports_hs2-28_2024-12_selected_rows_as_api_json.json",
    ):
        table = read_file(shared(CENSUS, name)).table
        missing = table[table["PORT_NAME"].isna()]
        assert len(missing) == 23 and set(missing["PORT"]) == {"1791"}


def test_truncated_census_csv_is_refused(shared, tmp_path):
    lines = (
        shared(CENSUS, "porths_exports_hs2-28_2024-12_ytd_Rwritecsv.csv").read_text().splitlines()
    )
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(lines[:50] + [lines[50][:30]]) + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="has .* values, the header 12"):
        read_file(cut)
