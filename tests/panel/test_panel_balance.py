"""Balanced bilateral panels and quantity-quality flags.

Tolerance: exact (1e-12) for hand-built tables, which are sums of a few floats;
1e-6 relative on the real WITS file, whose balanced sheet was written by another
tool from the same numbers (float round trip through CSV).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import WITS_LONG
from retrade.errors import DataQualityWarning, SpecificationError
from retrade.panel.balance import balanced_panel
from retrade.panel.known_issues import quantity_breaks


def _rows(records, source="comtrade_api"):
    df = pd.DataFrame(records, columns=["period", "partner", "hs6", "value_usd", "net_weight_kg"])
    df["source"] = source
    df["frequency"] = "A"
    df["year"] = df["period"].astype(int)
    df["reporter"] = "CHN"
    df["flow"] = "export"
    return df


BASIC = [
    ("2014", "JPN", "280530", 5.0, 1.0),
    ("2014", "WLD", "280530", 9.0, 2.0),  # world total: never a partner
    ("2015", "JPN", "280530", 6.0, 1.0),
    ("2015", "JPN", "284690", 1.0, np.nan),  # second line: summed when pooled
    ("2015", "USA", "280530", 2.0, 1.0),
    ("2017", "USA", "280530", 3.0, 1.0),  # 2016 absent for everyone: a gap
]


def test_zero_fill_pooling_and_gaps():
    with pytest.warns(DataQualityWarning, match=r"\['2016'\]"):
        bal = balanced_panel(_rows(BASIC))
    got = bal.set_index(["partner", "year"])
    assert len(bal) == 2 * 3 and "WLD" not in set(bal["partner"])
    assert got.loc[("JPN", 2015), "value_usd"] == pytest.approx(7.0, abs=1e-12)
    assert got.loc[("JPN", 2015), "net_weight_kg"] == pytest.approx(1.0, abs=1e-12)
    assert got.loc[("USA", 2014), "filled"] and got.loc[("USA", 2014), "value_usd"] == 0.0
    assert not got.loc[("USA", 2015), "filled"]
    assert 2016 not in set(bal["year"])


def test_by_hs6_keeps_lines_apart_and_input_is_not_mutated():
    rows = _rows(BASIC)
    before = rows.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        bal = balanced_panel(rows, by_hs6=True, partners=["JPN", "USA", "DEU"])
    pd.testing.assert_frame_equal(rows, before)
    line = bal[bal["hs6"] == "284690"]
    assert set(line["partner"]) == {"JPN", "USA", "DEU"} and set(line["year"]) == {2015}
    assert np.isnan(line.set_index("partner").loc["JPN", "net_weight_kg"])


COLLAPSE = [(str(y), p, "280530", v, w) for y, v, w in
            [(2014, 80.0, 5.0), (2015, 82.0, 5.6), (2016, 58.0, 1.4), (2017, 80.0, 5.5)]
            for p in ("JPN", "USA")]


@pytest.mark.parametrize("source, note", [("wits", "WITS"), ("comtrade_api", "quantity collapse")])
def test_broken_quantities_are_flagged_and_can_be_dropped(source, note):
    with pytest.warns(DataQualityWarning, match=note):
        bal = balanced_panel(_rows(COLLAPSE, source=source))
    assert bal.loc[bal["quantity_suspect"], "year"].unique().tolist() == [2016]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # dropped on purpose: no warning
        dropped = balanced_panel(_rows(COLLAPSE, source=source), drop_years=[2016])
    assert 2016 not in set(dropped["year"]) and not dropped["quantity_suspect"].any()


def test_quantity_breaks_leaves_ordinary_swings_alone():
    t = pd.DataFrame({"reporter": "CHN", "year": range(2010, 2015),
                      "value_usd": [179.0, 604.0, 187.0, 112.0, 78.0],
                      "net_weight_kg": [6.3, 3.2, 2.8, 3.1, 3.7]})  # 280530 2010-2014, real
    assert quantity_breaks(t).empty


@pytest.mark.parametrize("kwargs, message", [
    ({"hs6": "999999"}, "999999"),
    ({"reporter": "USA"}, "USA"),
    ({"flow": "import"}, "no A import rows"),
])
def test_bad_selections_name_the_value(kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        balanced_panel(_rows(BASIC[:1]), **kwargs)


def test_real_wits_balancing_reproduces_the_published_balanced_sheet(shared, china_exports_panel):
    path = shared(*WITS_LONG)
    with pytest.warns(DataQualityWarning, match="2016"):
        bal = balanced_panel(china_exports_panel, hs6="284690")
    published = pd.read_csv(path, dtype={"hs_code": str})
    published = published[published["hs_code"] == "284690"]
    assert len(bal) == len(published) == 80 * 15
    by_year = bal.groupby("year")["value_usd"].sum()
    expected = published.groupby("year")["export_value_usd"].sum()
    np.testing.assert_allclose(by_year.to_numpy(), expected.to_numpy(), rtol=1e-6)
    assert bal["filled"].sum() == (published["observed_in_wits"] == 0).sum()
    assert bal.loc[bal["quantity_suspect"], "year"].unique().tolist() == [2016]
