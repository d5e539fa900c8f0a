"""The data-quality table on hand-made panels (hand-computed ratios) and on the real WITS panel.

Tolerance: 1e-12 for ratios and medians (a division of a few floats).
The WITS check is against the published problem (PROVENANCE-trade.md, §4):
China's 2016 export quantities are a fraction of neighbouring years for all
three codes.
"""

from __future__ import annotations

import pandas as pd
import pytest

from retrade.catalog import to_iso3
from retrade.panel import schema as S
from retrade.panel.quality import QUALITY_COLUMNS, period_ordinal, quality_table

TOL = 1e-12


def panel_rows(records: list[dict], **common) -> pd.DataFrame:
    """A conformed panel from partial records (shared fields in ``common``)."""
    base = {
        "source": "demo",
        "frequency": "A",
        "reporter": "CHN",
        "partner": "JPN",
        "flow": "export",
        "hs6": "280530",
        "stage": "metals",
    }
    frame = pd.DataFrame([{**base, **common, **r} for r in records])
    frame["year"] = frame["period"].str.slice(0, 4).astype(int)
    if (frame["frequency"] == "M").any():
        frame["month"] = pd.to_numeric(frame["period"].str.slice(5, 7), errors="coerce")
    return S.validate_panel(S.conform(frame))


def annual(kg: dict[int, float], **common) -> list[dict]:
    return [
        {"period": str(y), "net_weight_kg": w, "value_usd": w * 50.0, **common}
        for y, w in kg.items()
    ]


def test_a_collapsing_year_is_flagged_with_its_hand_computed_ratio():
    kg = {2012: 4.0, 2013: 6.0, 2014: 5.0, 2015: 1.0, 2016: 7.0, 2017: 5.5}
    q = quality_table(panel_rows(annual(kg)), levels=["partner"])
    weight = q[q["measure"] == "net_weight_kg"]
    assert weight[["check", "period"]].values.tolist() == [["collapse", "2015"]]
    # neighbours within ±2 of 2015: 2013, 2014, 2016, 2017 -> median (5.5 + 6) / 2
    row = weight.iloc[0]
    assert row["reference"] == pytest.approx(5.75, abs=TOL)
    assert row["ratio"] == pytest.approx(1.0 / 5.75, abs=TOL)
    assert list(q.columns) == list(QUALITY_COLUMNS)


@pytest.mark.parametrize(
    ("threshold", "window", "flagged"),
    [
        (0.4, 2, {"2015": "collapse"}),
        (0.1, 2, {}),  # 1/5.75 = 0.174 is not below 0.1
        (0.4, 1, {"2015": "collapse"}),  # neighbours 5, 7: ratio 1/6
        # 2012 and 2017 have one neighbour only; 2013: 6 / median(4, 5) = 1.33 > 1 / 0.8
        (0.8, 1, {"2013": "spike", "2014": "spike", "2015": "collapse", "2016": "spike"}),
    ],
)
def test_threshold_and_window_decide_what_is_an_outlier(threshold, window, flagged):
    kg = {2012: 4.0, 2013: 6.0, 2014: 5.0, 2015: 1.0, 2016: 7.0, 2017: 5.5}
    q = quality_table(
        panel_rows(annual(kg)), levels=["partner"], threshold=threshold, window=window
    )
    weight = q[q["measure"] == "net_weight_kg"]
    assert dict(zip(weight["period"], weight["check"], strict=True)) == flagged


def test_gaps_inside_bilateral_and_reporter_series_but_not_at_the_ends():
    rows = [
        *annual({2010: 1.0, 2011: 1.0, 2014: 1.0}),  # 2012, 2013 missing in CHN->JPN
        *annual({2011: 1.0, 2012: 1.0, 2013: 1.0}, partner="USA"),  # no gap, starts late
    ]
    q = quality_table(panel_rows(rows))
    g = q[q["check"] == "gap"]
    partner = g[g["level"] == "partner"]
    assert partner[["partner", "period"]].values.tolist() == [["JPN", "2012"], ["JPN", "2013"]]
    # CHN has rows for every year 2010-2014 over its partners: no reporter-level gap
    assert g[g["level"] == "reporter"].empty


def test_missing_months_of_a_reporter_are_gaps_in_monthly_series():
    months = ["2023-11", "2023-12", "2024-03", "2024-04"]
    rows = [{"period": m, "net_weight_kg": 1.0, "value_usd": 9.0} for m in months]
    q = quality_table(panel_rows(rows, frequency="M"))
    g = q[(q["check"] == "gap") & (q["level"] == "reporter")]
    assert g["period"].tolist() == ["2024-01", "2024-02"]
    assert g["partner"].isna().all()
    assert period_ordinal(pd.Series(["2024-01", "2023-12"])).diff().iloc[1] == -1


def test_reporter_totals_exclude_world_rows_and_sum_partners():
    # each partner dips a little in 2015; together they collapse; the WLD row must not be added
    jpn = {2013: 5.0, 2014: 5.0, 2015: 1.0, 2016: 5.0, 2017: 5.0}
    usa = {2013: 5.0, 2014: 5.0, 2015: 1.5, 2016: 5.0, 2017: 5.0}
    wld = {y: 1e9 for y in jpn}
    rows = [*annual(jpn), *annual(usa, partner="USA"), *annual(wld, partner="WLD")]
    q = quality_table(panel_rows(rows), levels=["reporter"])
    row = q[(q["measure"] == "net_weight_kg")].iloc[0]
    assert (row["check"], row["period"], row["value"]) == ("collapse", "2015", 2.5)
    assert row["ratio"] == pytest.approx(2.5 / 10.0, abs=TOL)


def test_unit_value_outliers_estimated_flags_and_value_without_weight():
    rows = [
        {"period": "2020", "partner": p, "value_usd": v, "net_weight_kg": w}
        for p, v, w in [
            ("JPN", 100.0, 1.0),
            ("USA", 120.0, 1.0),
            ("KOR", 90.0, 1.0),
            ("VNM", 5000.0, 1.0),
            ("DEU", 80.0, None),
        ]
    ]
    rows[1]["value_estimated"] = True
    rows[2]["weight_estimated"] = True
    q = quality_table(panel_rows(rows), levels=["partner"])
    uv = q[q["check"] == "unit_value"]
    # unit values 100, 120, 90, 5000 (DEU has none): median 110; 5000 / 110 > 10
    assert uv[["partner", "value"]].values.tolist() == [["VNM", 5000.0]]
    assert uv["ratio"].iloc[0] == pytest.approx(5000.0 / 110.0, abs=TOL)
    flags = q[q["check"].isin(["estimated", "value_no_weight"])]
    assert sorted(zip(flags["check"], flags["partner"], flags["measure"], strict=True)) == [
        ("estimated", "KOR", "net_weight_kg"),
        ("estimated", "USA", "value_usd"),
        ("value_no_weight", "DEU", "net_weight_kg"),
    ]


def test_bad_options_are_refused_naming_the_allowed_values():
    panel = panel_rows(annual({2020: 1.0}))
    with pytest.raises(ValueError, match="levels must be among"):
        quality_table(panel, levels=["country"])
    with pytest.raises(ValueError, match="threshold must be in"):
        quality_table(panel, threshold=2.0)


def wits_panel(path) -> pd.DataFrame:
    """The WITS long CSV (China's exports by partner) as panel rows; unobserved zeros dropped."""
    raw = pd.read_csv(path, dtype={"hs_code": str})
    raw = raw[raw["observed_in_wits"] == 1]
    stage = {"280530": "metals", "284690": "compounds", "850511": "magnets"}
    frame = pd.DataFrame(
        {
            "source": "wits",
            "frequency": "A",
            "period": raw["year"].astype(str),
            "year": raw["year"],
            "reporter": to_iso3(raw["reporter"]),
            "reporter_original": raw["reporter"],
            "partner": to_iso3(raw["partner"]),
            "partner_original": raw["partner"],
            "flow": raw["trade_flow"].str.lower(),
            "hs6": raw["hs_code"],
            "hs_original": raw["hs_code"],
            "stage": raw["hs_code"].map(stage),
            "value_usd": raw["export_value_usd"],
            "net_weight_kg": raw["quantity_kg"],
        }
    )
    return S.validate_panel(S.conform(frame))


def test_wits_2016_quantity_collapse_is_flagged_for_each_code_and_no_other_year(shared):
    path = shared("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
    q = quality_table(wits_panel(path), levels=["reporter"])
    weight = q[(q["measure"] == "net_weight_kg") & q["check"].isin(["collapse", "spike"])]
    assert sorted(zip(weight["hs6"], weight["period"], weight["check"], strict=True)) == [
        ("280530", "2016", "collapse"),
        ("284690", "2016", "collapse"),
        ("850511", "2016", "collapse"),
    ]
    # China -> World 2016 for 280530 is 1.43 kt (PROVENANCE §4)
    metals = weight[weight["hs6"] == "280530"].iloc[0]
    assert metals["value"] == pytest.approx(1.43e6, rel=0.01)
    assert metals["ratio"] < 0.3
