"""Series builders on small hand-made panels, checked against hand computations.

Tolerances (and why):
- HAND = 1e-12: shares and sums are recomputed by hand from the rows below.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import BACI_RE, WITS_LONG
from retrade.catalog import country_name
from retrade.errors import SpecificationError
from retrade.forecast import china_exports, china_import_share

HAND = 1e-12


def rows(records, frequency="A", source="comtrade_api") -> pd.DataFrame:
    cols = ["period", "reporter", "partner", "flow", "hs6", "value_usd", "net_weight_kg"]
    out = pd.DataFrame(records, columns=cols)
    return out.assign(source=source, frequency=frequency)


def japan_panel() -> pd.DataFrame:
    recs = []
    for year, chn, usa, wld, kg in (
        ("2020", 60, 20, 100, 6),
        ("2021", 45, 30, 90, 5),
        ("2022", 30, 30, 80, 4),
    ):
        recs += [
            (year, "JPN", "CHN", "import", "284690", chn, kg),
            (year, "JPN", "USA", "import", "284690", usa, 1),
            (year, "JPN", "WLD", "import", "284690", wld, 10),
            (year, "JPN", "CHN", "import", "850511", 999, 1),  # magnets: another stage
            (year, "JPN", "CHN", "import", "253090", 999, 1),  # broad ore line: not core
        ]
    return rows(recs)


def test_direct_share_uses_world_totals_and_the_stage():
    s = china_import_share(japan_panel(), "JPN", stage="compounds")
    assert s.y.tolist() == pytest.approx([60 / 100, 45 / 90, 30 / 80], abs=HAND)
    assert (s.kind, s.role, s.frequency) == ("share", "china_share", "A")
    assert "reported imports" in s.note
    by_weight = china_import_share(japan_panel(), "JPN", stage="compounds", measure="net_weight_kg")
    assert by_weight.y.tolist() == pytest.approx([0.6, 0.5, 0.4], abs=HAND)


def test_group_share_counts_only_imports_from_outside_the_group():
    recs = []
    for year, chn_de, fr_de, usa_fr in (
        ("2020", 10, 50, 30),
        ("2021", 20, 40, 20),
        ("2022", 15, 10, 15),
    ):
        recs += [
            (year, "DEU", "CHN", "import", "280530", chn_de, 1),
            (year, "DEU", "FRA", "import", "280530", fr_de, 1),  # intra-EU: excluded
            (year, "FRA", "USA", "import", "280530", usa_fr, 1),
            (year, "FRA", "WLD", "import", "280530", 1000, 1),  # totals incl. intra-EU: unused
        ]
    s = china_import_share(rows(recs), "EU27", stage="metals")
    assert s.y.tolist() == pytest.approx([10 / 40, 20 / 40, 15 / 30], abs=HAND)


def test_mirror_share_is_used_and_flagged_when_the_importer_reports_nothing():
    recs = []
    for year, chn, aus in (("2020", 30, 10), ("2021", 20, 20), ("2022", 10, 30)):
        recs += [
            (year, "CHN", "USA", "export", "850511", chn, 1),
            (year, "AUS", "USA", "export", "850511", aus, 1),
            (year, "CHN", "JPN", "export", "850511", 500, 1),  # another destination
        ]
    s = china_import_share(rows(recs), "USA", stage="magnets")
    assert s.y.tolist() == pytest.approx([0.75, 0.5, 0.25], abs=HAND)
    assert s.note.startswith("mirror data")
    with pytest.raises(SpecificationError, match="mirror='never'"):
        china_import_share(rows(recs), "USA", stage="magnets", mirror="never")


def test_china_exports_sums_partners_or_uses_world_rows():
    recs = [
        ("2024-01", "CHN", "JPN", "export", "284690", 5, 50),
        ("2024-01", "CHN", "USA", "export", "284610", 1, 10),
        ("2024-02", "CHN", "JPN", "export", "284690", 4, 40),
        ("2024-03", "CHN", "JPN", "export", "284690", 3, 30),
        ("2024-03", "CHN", "USA", "export", "280530", 7, 70),  # metals: another stage
    ]
    s = china_exports(rows(recs, frequency="M"), stage="compounds")
    assert s.y.tolist() == [60.0, 40.0, 30.0] and s.unit == "kg" and s.role == "china_exports"
    assert s.periods[0] == pd.Timestamp("2024-01-01")
    usa = china_exports(rows(recs, "M"), measure="value_usd", partner="JPN", stage="compounds")
    assert usa.y.tolist() == [5.0, 4.0, 3.0]
    world = rows(
        [
            (p, "CHN", "WLD", "export", "284690", v, v)
            for p, v in (("2024-01", 9), ("2024-02", 8), ("2024-03", 7))
        ],
        frequency="M",
    )
    both = pd.concat([rows(recs, "M"), world])
    assert china_exports(both, stage="compounds").y.tolist() == [9.0, 8.0, 7.0]


@pytest.mark.parametrize(
    ("panel", "kwargs", "match"),
    [
        (pd.concat([japan_panel(), japan_panel().assign(source="wits")]), {}, "pass source="),
        (japan_panel()[japan_panel()["period"] != "2021"], {}, r"no data in periods \['2021"),
        (japan_panel(), {"measure": "quantity"}, "measure='quantity'"),
        (japan_panel(), {"frequency": "Q"}, "frequency='Q'"),
        (japan_panel().drop(columns="value_usd"), {}, "lacks columns"),
    ],
)
def test_builders_reject_bad_panels(panel, kwargs, match):
    with pytest.raises(ValueError, match=match):
        china_import_share(panel, "JPN", stage="compounds", **kwargs)


def test_builders_do_not_mutate_the_panel():
    panel = japan_panel()
    before = panel.copy()
    every_stage = china_import_share(panel, "JPN")
    pd.testing.assert_frame_equal(panel, before)
    # 850511 has no WLD row: its total is the sum over partners (999, all from China)
    assert every_stage.y[0] == pytest.approx((60 + 999) / (100 + 999), abs=HAND)


@pytest.mark.parametrize(
    ("stage", "hs6"), [("metals", 280530), ("compounds", 284690), ("magnets", 850511)]
)
def test_china_exports_on_the_real_wits_panel_match_its_world_totals(shared, stage, hs6):
    folder = "semenko-china-ree-wits"
    bilateral = pd.read_csv(shared(folder, "DERIVED_china_ree_exports_bilateral_panel_long.csv"))
    world = pd.read_csv(shared(folder, "DERIVED_china_ree_exports_world_annual.csv"))
    panel = pd.DataFrame(
        {
            "source": "wits",
            "frequency": "A",
            "period": bilateral["year"].astype(str),
            "reporter": "CHN",
            "partner": bilateral["partner"],
            "flow": "export",
            "hs6": bilateral["hs_code"].astype(str),
            "value_usd": bilateral["export_value_usd"],
            "net_weight_kg": bilateral["quantity_kg"],
        }
    )
    s = china_exports(panel, stage=stage, frequency="A", measure="value_usd")
    expected = world[world["hs_code"] == hs6].set_index("year")["export_value_usd"]
    got = pd.Series(s.y, index=s.periods.year)
    # the derived world file is rounded to tens of dollars: relative 1e-6 is ample
    pd.testing.assert_series_equal(
        got, expected.astype(float), check_names=False, check_index_type=False, rtol=1e-6
    )


def test_china_only_mirror_data_need_importer_totals():
    years = (("2020", 3), ("2021", 4), ("2022", 2))
    recs = [(y, "CHN", "USA", "export", "280530", v, 1) for y, v in years]
    with pytest.raises(SpecificationError, match="1 by construction; pass importer_totals"):
        china_import_share(rows(recs), "USA", stage="metals")
    totals = pd.DataFrame({"importer": ["USA"] * 4 + ["JPN"], "hs6": "280530",
                           "period": ["2019", "2020", "2021", "2022", "2020"],
                           "total": [9, 6, 16, 8, 1]})
    s = china_import_share(rows(recs), "USA", stage="metals", importer_totals=totals)
    assert s.y.tolist() == pytest.approx([3 / 6, 4 / 16, 2 / 8], abs=HAND)  # China's years only
    assert "USA's total imports" in s.note
    with pytest.raises(SpecificationError, match=r"no totals for HS6 \['284690'\]"):
        china_import_share(rows([*recs, ("2020", "CHN", "USA", "export", "284690", 1, 1)]),
                           "USA", importer_totals=totals)
    with pytest.raises(SpecificationError, match="measure='value_usd'"):
        china_import_share(rows(recs), "USA", stage="metals", measure="net_weight_kg",
                           importer_totals=totals)


@pytest.mark.parametrize(("importer", "column"), [("JPN", "japan"), ("USA", "usa")])
def test_mirror_share_over_baci_totals_on_the_stored_real_data(
    importer, column, shared, china_exports_panel, importer_totals
):
    s = china_import_share(china_exports_panel, importer, stage="metals",
                           importer_totals=importer_totals)
    # straight from the two files: China-reported exports to the importer / BACI total
    raw = pd.read_csv(shared(*WITS_LONG))
    raw = raw[(raw["hs_code"] == 280530) & (raw["partner"] == country_name(importer))]
    baci = pd.read_csv(shared(*BACI_RE)).query("hs6 == 280530").set_index("year")
    expected = raw.groupby("year")["export_value_usd"].sum() / baci[f"{column}_import_usd"]
    got = pd.Series(s.y, index=s.periods.year)
    assert got.index.tolist() == list(range(2010, 2025))
    # WITS values are stored in thousands of dollars and multiplied back: relative 1e-9
    pd.testing.assert_series_equal(got, expected.dropna(), check_names=False,
                                   check_index_type=False, rtol=1e-9)
