"""Monthly aggregate tables: imported with whose trade they are, tidied beside the panel.

Tolerance: 1e-9 relative (the same numbers read two ways; only float parsing differs).
"""

from __future__ import annotations

import pandas as pd
import pytest

from retrade.config import load_settings
from retrade.errors import CatalogError, HarmonizeError
from retrade.fetch.files import import_file
from retrade.panel.build import build_panel
from retrade.panel.monthly import china_monthly_exports, monthly_series
from retrade.panel.query import query

REL = 1e-9


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


def test_overview_table_gives_chinas_monthly_totals(shared, settings):
    path = shared("qennis-china-critical-minerals", "overview_monthly.csv")
    import_file(path, settings=settings, reporter="CHN", flow="export")
    built = build_panel(settings=settings)
    assert [r.status for r in built.sources] == ["series"]
    monthly = query("SELECT * FROM monthly", settings=settings)
    series = china_monthly_exports(monthly)
    expected = pd.read_csv(path)
    expected = expected[expected["broad_group"] == "Rare Earths"].sort_values("period_dt")
    assert len(series) == len(expected) == 96
    assert series["value_usd"].to_numpy() == pytest.approx(
        expected["total_value"].to_numpy(), rel=REL
    )
    assert series["quantity_kg"].to_numpy() == pytest.approx(
        expected["total_qty"].to_numpy(), rel=REL
    )
    assert series["period"].iloc[0] == pd.Timestamp("2017-01-01")


def test_partner_names_map_and_hs6_gets_a_stage(shared, settings):
    for name in ("country_monthly_stats.csv", "strategic_premium_hs6.csv"):
        import_file(
            shared("qennis-china-critical-minerals", name),
            settings=settings,
            reporter="China",
            flow="export",
        )
    build_panel(settings=settings)
    monthly = query("SELECT * FROM monthly", settings=settings)
    partners = set(monthly["partner"].dropna())
    assert {"USA", "JPN", "KOR", "VNM", "THA", "DEU", "ITA", "TWN"} <= partners
    hs = monthly[monthly["hs6"].isin(["280530", "284690", "850511"])]
    assert set(hs["stage"]) == {"metals", "compounds", "magnets"}
    assert (monthly["reporter"] == "CHN").all()
    with pytest.raises(CatalogError, match="overview_monthly"):
        china_monthly_exports(
            monthly
        )  # no world-total table imported: the error says which to import


def test_bad_reporter_or_flow_is_refused_before_anything_is_stored(shared, settings):
    path = shared("qennis-china-critical-minerals", "overview_monthly.csv")
    with pytest.raises(ValueError, match="'outbound'"):
        import_file(path, settings=settings, reporter="CHN", flow="outbound")
    with pytest.raises(HarmonizeError, match="Atlantis"):
        import_file(path, settings=settings, reporter="Atlantis", flow="export")
    assert not (settings.raw_dir / "monthly_table").exists()


def test_values_in_other_units_are_not_passed_off_as_usd():
    raw = pd.DataFrame(
        {
            "table": ["t", "t"],
            "period": ["2024-01", "2024-02"],
            "val": [1.0, 2.0],
            "qty": [3.0, 4.0],
            "value_unit": ["CNY", "CNY"],
            "quantity_unit": ["t", "t"],
        }
    )
    with pytest.warns(Warning, match="CNY"):
        tidy = monthly_series(raw)
    assert tidy["value_usd"].isna().all()
    assert tidy["quantity_kg"].tolist() == [3000.0, 4000.0]
