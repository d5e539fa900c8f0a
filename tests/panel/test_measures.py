"""Panel measures against hand computations on small tables.

Tolerance: 1e-12 (pure arithmetic on a few floats; only rounding differs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.panel import measures

TOL = 1e-12


def _panel():
    rows = [
        # reporter, partner, stage, period, value, kg
        ("JPN", "CHN", "metals", "2020", 60.0, 6.0),
        ("JPN", "VNM", "metals", "2020", 30.0, 2.0),
        ("JPN", "XNS", "metals", "2020", 10.0, 1.0),
        ("JPN", "WLD", "metals", "2020", 100.0, 9.0),  # total row: never double counted
        ("JPN", "EUN", "metals", "2020", 5.0, 1.0),  # group row: excluded
        ("JPN", "CHN", "metals", "2021", 20.0, 2.0),
        ("JPN", "MYS", "metals", "2021", 20.0, 0.0),
    ]
    df = pd.DataFrame(
        rows, columns=["reporter", "partner", "stage", "period", "value_usd", "net_weight_kg"]
    )
    df["flow"] = "import"
    return df


def test_partner_shares_and_hhi_by_hand():
    shares = measures.partner_shares(_panel())
    y2020 = shares[shares["period"] == "2020"].set_index("partner")["share"]
    assert y2020.to_dict() == pytest.approx({"CHN": 0.6, "VNM": 0.3, "XNS": 0.1}, abs=TOL)
    h = measures.hhi(shares).set_index("period")["hhi"]
    assert h["2020"] == pytest.approx(0.6**2 + 0.3**2 + 0.1**2, abs=TOL)
    assert h["2021"] == pytest.approx(0.5, abs=TOL)
    china = measures.share_of(shares, "CHN").set_index("period")["share"]
    assert china.tolist() == pytest.approx([0.6, 0.5], abs=TOL)


def test_hhi_matches_closed_form_on_random_shares():
    rng = np.random.default_rng(7)
    values = rng.gamma(1.0, size=12)
    df = pd.DataFrame(
        {
            "reporter": "USA",
            "flow": "import",
            "stage": "magnets",
            "period": "2024",
            "partner": [f"P{i:02d}" for i in range(12)],
            "value_usd": values,
            "net_weight_kg": 1.0,
        }
    )
    df["partner"] = [
        "CHN",
        "JPN",
        "DEU",
        "VNM",
        "THA",
        "MYS",
        "KOR",
        "PHL",
        "MEX",
        "IND",
        "FRA",
        "ITA",
    ]
    got = measures.hhi(measures.partner_shares(df))["hhi"].iloc[0]
    assert got == pytest.approx(float(((values / values.sum()) ** 2).sum()), abs=TOL)


def test_totals_exclude_world_and_groups_and_unit_values():
    t = measures.totals(_panel()).set_index("period")
    assert t.loc["2020", "value_usd"] == pytest.approx(100.0)
    assert t.loc["2020", "unit_value_usd_per_kg"] == pytest.approx(100.0 / 9.0)
    assert np.isnan(measures.unit_values(_panel()).iloc[6])


def test_bad_measure_names_the_value():
    with pytest.raises(ValueError, match="'qty'"):
        measures.partner_shares(_panel(), measure="qty")


def test_world_row_is_the_denominator_when_partners_are_partial():
    # a query for China and World only (as in the PNNL Comtrade download): China is not 100%
    df = pd.DataFrame({"reporter": "USA", "flow": "import", "stage": "metals", "period": "2022",
                       "partner": ["CHN", "WLD"], "value_usd": [30.0, 120.0],
                       "net_weight_kg": 1.0})
    shares = measures.partner_shares(df)
    assert shares["share"].tolist() == pytest.approx([0.25], abs=TOL)
    assert shares["total_basis"].tolist() == ["world_row"]
    assert shares["coverage"].tolist() == pytest.approx([0.25], abs=TOL)
    partners_only = measures.partner_shares(df, total="partners")
    assert partners_only["share"].tolist() == pytest.approx([1.0], abs=TOL)
    h = measures.hhi(shares)
    assert h["hhi"].tolist() == pytest.approx([1.0], abs=TOL)  # among reported partners
    assert h["coverage"].tolist() == pytest.approx([0.25], abs=TOL)  # ... which hold a quarter


def test_hhi_is_over_partner_shares_whatever_the_denominator():
    df = pd.DataFrame({"reporter": "JPN", "flow": "import", "stage": "metals", "period": "2020",
                       "partner": ["CHN", "VNM", "WLD"], "value_usd": [60.0, 20.0, 100.0],
                       "net_weight_kg": 1.0})
    world = measures.hhi(measures.partner_shares(df))["hhi"].iloc[0]
    partners = measures.hhi(measures.partner_shares(df, total="partners"))["hhi"].iloc[0]
    assert world == pytest.approx(partners, abs=TOL) == pytest.approx(0.75**2 + 0.25**2, abs=TOL)
