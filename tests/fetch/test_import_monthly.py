"""Monthly series tables (qennis) through import_file.

Reference: the CSVs read here with pandas. Sums of the same float values are
compared at a relative 1e-12 (summation order differs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.errors import ImportFormatError
from retrade.fetch.files import import_file, read_file
from retrade.store import RawStore

RTOL = 1e-12
FOLDER = "qennis-china-critical-minerals"
TABLES = {
    "overview_monthly.csv": ("total_value", "no partner column"),
    "strategic_premium_hs6.csv": ("val", "split by bloc (Adversary, Intermediary)"),
    "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv": (
        "val",
        "the file name says it sums blocs",
    ),
    "country_monthly_stats.csv": ("val", "partner(s) only"),
    "composition_subgroup.csv": ("val", "share columns are fractions"),
    "geopolitics_qty.csv": ("qty", "split by bloc"),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_rows_totals_and_caveats(shared, tmp_path, name):
    path = shared(FOLDER, name)
    measure, caveat = TABLES[name]
    raw = pd.read_csv(path)
    store = RawStore(tmp_path / "raw")
    report = import_file(path, store=store)
    stored = store.read("monthly_table", where={"table": path.stem})
    assert len(stored) == len(raw) == report.summary.rows
    np.testing.assert_allclose(stored[measure].sum(), raw[measure].sum(), rtol=RTOL)
    assert stored["period"].min() == "2017-01" and stored["period"].max() == "2024-12"
    assert any(caveat in n for n in report.summary.notes), report.summary.notes
    assert any("values taken as USD, quantities as kg" in n for n in report.summary.notes)


def test_rare_earth_monthly_totals_by_year(shared, tmp_path):
    """Stored Rare Earths totals per year equal the file's; the bloc sums stay below them."""
    store = RawStore(tmp_path / "raw")
    for name in ("overview_monthly.csv", "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv"):
        import_file(shared(FOLDER, name), store=store)
    overview = store.read("monthly_table", where={"table": "overview_monthly"})
    re_rows = overview[overview["broad_group"] == "Rare Earths"]
    assert len(re_rows) == 96
    raw = pd.read_csv(shared(FOLDER, "overview_monthly.csv"))
    raw = raw[raw["broad_group"] == "Rare Earths"]
    expected = raw.groupby(raw["period_dt"].str[:4])["total_value"].sum()
    got = re_rows.groupby(re_rows["period"].str[:4])["total_value"].sum()
    np.testing.assert_allclose(got.to_numpy(dtype=float), expected.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(re_rows["total_qty"].sum(), raw["total_qty"].sum(), rtol=RTOL)

    blocs = store.read(
        "monthly_table", where={"table": "DERIVED_china_re_exports_monthly_by_hs6_blocsum"}
    )
    ratio = blocs.groupby("period")["val"].sum() / re_rows.set_index("period")["total_value"]
    assert ratio.max() <= 1.0 + 1e-9  # two blocs are at most the world
    assert ratio.median() == pytest.approx(1.0, abs=0.01) and ratio.min() == pytest.approx(
        0.78, abs=0.01
    )
    assert set(blocs["hs6"]) == {"280530", "284690", "850511"}  # codes stay text


def test_missing_months_are_reported(shared):
    report = read_file(shared(FOLDER, "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv"))
    assert any("280530 (84 months), 284690 (84 months)" in n for n in report.summary.notes)


def test_code_map_is_not_a_table(shared):
    with pytest.raises(ImportFormatError, match="does not recognize hs_map.csv"):
        read_file(shared(FOLDER, "hs_map.csv"))


def test_bad_month_and_repeated_rows_are_refused(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text(
        "period_dt,broad_group,val\n2020-01-01,RE,1\n2020-13-01,RE,2\n", encoding="utf-8"
    )
    with pytest.raises(ImportFormatError, match="'2020-13-01' is not a month"):
        read_file(bad, format="monthly_table")
    twice = tmp_path / "u.csv"
    twice.write_text(
        "period_dt,broad_group,val\n2020-01-01,RE,1\n2020-01-01,RE,2\n", encoding="utf-8"
    )
    with pytest.raises(ImportFormatError, match="repeat the same month"):
        read_file(twice)


def test_units_can_be_stated(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("period_dt,broad_group,val,qty\n2020-01-01,RE,1,2\n", encoding="utf-8")
    report = read_file(path, value_unit="CNY", quantity_unit="t")
    assert report.options == {"value_unit": "CNY", "quantity_unit": "t"}
    assert report.summary.totals == {"val (CNY)": 1.0, "qty (t)": 2.0}
