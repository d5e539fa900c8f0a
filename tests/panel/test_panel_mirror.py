"""Mirror flows on small hand-made tables, every figure computed by hand in the comments.

Tolerance: 1e-12 (sums and ratios of a few floats).
"""

from __future__ import annotations

import pandas as pd
import pytest

from retrade.errors import SpecificationError
from retrade.panel import schema as S
from retrade.panel.mirror import MIRROR_COLUMNS, mirror_flows
from retrade.panel.sources import select_sources

TOL = 1e-12


def flows(*records: tuple, source: str = "comtrade", **extra) -> pd.DataFrame:
    """Panel rows from ``(reporter, partner, flow, value, kg[, cif, fob])`` tuples."""
    rows = []
    for reporter, partner, flow, value, kg, *valuation in records:
        cif, fob = (valuation + [None, None])[:2]
        rows.append(
            {
                "source": source,
                "frequency": "A",
                "period": "2022",
                "year": 2022,
                "reporter": reporter,
                "partner": partner,
                "flow": flow,
                "hs6": "280530",
                "hs_original": "280530",
                "stage": "metals",
                "value_usd": value,
                "net_weight_kg": kg,
                "value_cif_usd": cif,
                "value_fob_usd": fob,
                **extra,
            }
        )
    return S.conform(pd.DataFrame(rows))


def pair(table: pd.DataFrame, exporter: str, importer: str) -> pd.Series:
    hit = table[(table["exporter"] == exporter) & (table["importer"] == importer)]
    assert len(hit) == 1, f"expected one {exporter}->{importer} pair, got {len(hit)}"
    return hit.iloc[0]


def test_both_sides_reported_hand_computed():
    panel = flows(
        ("CHN", "JPN", "export", 100.0, 10.0, None, 100.0),
        ("JPN", "CHN", "import", 112.0, 11.0, 112.0, 0.0),
    )  # a 0 FOB on an import
    m = mirror_flows(panel)
    assert list(m.columns) == list(MIRROR_COLUMNS)
    row = pair(m, "CHN", "JPN")
    assert (row["export_value_fob"], row["import_value_cif"]) == (100.0, 112.0)
    assert row["cif_fob_ratio"] == pytest.approx(1.12, abs=TOL)
    assert row["discrepancy_usd"] == pytest.approx(12.0, abs=TOL)
    assert row["discrepancy_rel"] == pytest.approx(12.0 / 106.0, abs=TOL)  # mean of 100, 112
    assert row["weight_discrepancy_kg"] == pytest.approx(1.0, abs=TOL)
    assert row["weight_discrepancy_rel"] == pytest.approx(1.0 / 10.5, abs=TOL)
    assert (row["sides"], row["trusted_side"]) == ("both", "import")
    assert row["trusted_value_fob_usd"] == pytest.approx(112.0 / 1.06, abs=TOL)
    assert row["trusted_weight_kg"] == 11.0
    assert pd.isna(row["note"])


@pytest.mark.parametrize(
    ("records", "kwargs", "side", "value", "reason"),
    [
        ([("CHN", "JPN", "export", 100.0, 10.0)], {}, "export", 100.0, "only the exporter"),
        (
            [("JPN", "CHN", "import", 110.0, 10.0)],
            {"cif_fob_factor": 1.1},
            "import",
            100.0,
            "only the importer",
        ),
        (
            [("CHN", "JPN", "export", 100.0, 10.0), ("JPN", "CHN", "import", 150.0, 10.0)],
            {"distrust": ["jpn"]},
            "export",
            100.0,
            "importer is on the distrust list",
        ),
        (
            [("CHN", "JPN", "export", 100.0, 10.0), ("JPN", "CHN", "import", 159.0, 10.0)],
            {"distrust": ["CHN"]},
            "import",
            150.0,
            "exporter is on the distrust list",
        ),
    ],
)
def test_which_side_is_trusted(records, kwargs, side, value, reason):
    row = pair(mirror_flows(flows(*records), **kwargs), "CHN", "JPN")
    assert row["trusted_side"] == side
    assert row["trusted_value_fob_usd"] == pytest.approx(value, abs=1e-9)
    assert reason in row["trust_reason"]


def test_an_estimated_import_value_yields_to_a_reported_export():
    panel = pd.concat(
        [
            flows(("CHN", "JPN", "export", 100.0, 10.0)),
            flows(("JPN", "CHN", "import", 140.0, 10.0), value_estimated=True),
        ],
        ignore_index=True,
    )
    row = pair(mirror_flows(panel), "CHN", "JPN")
    assert (row["trusted_side"], row["trusted_value_fob_usd"]) == ("export", 100.0)


def test_national_lines_add_up_and_world_nes_partners_have_no_mirror():
    panel = flows(
        ("CHN", "USA", "export", 30.0, 3.0),
        ("CHN", "WLD", "export", 999.0, 99.0),
        ("USA", "CHN", "import", 50.0, 4.0),
        ("USA", "XOA", "import", 7.0, 1.0),
    )
    second_line = flows(("CHN", "USA", "export", 20.0, 2.0))
    second_line["hs_original"] = "28053019"  # another China HS8 line of 280530
    m = mirror_flows(pd.concat([panel, second_line], ignore_index=True))
    assert m[["exporter", "importer"]].values.tolist() == [["CHN", "USA"]]
    row = m.iloc[0]
    assert (row["export_value_fob"], row["export_weight_kg"]) == (50.0, 5.0)  # 30 + 20, 3 + 2
    assert row["cif_fob_ratio"] == pytest.approx(1.0, abs=TOL)


def test_hong_kong_and_re_exports_are_noted_not_added():
    panel = flows(
        ("CHN", "HKG", "export", 80.0, 8.0),
        ("HKG", "CHN", "import", 85.0, 8.0),
        ("HKG", "JPN", "export", 5.0, 1.0),
        ("HKG", "JPN", "re-export", 60.0, 6.0),
        ("JPN", "HKG", "import", 66.0, 7.0),
    )
    m = mirror_flows(panel)
    hk_jp = pair(m, "HKG", "JPN")
    assert (hk_jp["export_value_fob"], hk_jp["reexport_value_usd"]) == (5.0, 60.0)
    assert "re-exports reported apart" in hk_jp["note"]
    assert "Hong Kong" in pair(m, "CHN", "HKG")["note"]


def test_two_sources_for_one_side_must_be_resolved_first():
    panel = pd.concat(
        [
            flows(("CHN", "JPN", "export", 100.0, 10.0)),
            flows(("CHN", "JPN", "export", 90.0, 9.0), source="wits"),
            flows(("JPN", "CHN", "import", 110.0, 11.0), source="wits"),
        ],
        ignore_index=True,
    )
    with pytest.raises(SpecificationError, match=r"several sources.*\['comtrade', 'wits'\]"):
        mirror_flows(panel)
    row = pair(mirror_flows(select_sources(panel)), "CHN", "JPN")
    assert (row["export_source"], row["import_source"]) == ("comtrade", "wits")
    assert row["export_value_fob"] == 100.0


def test_a_nonpositive_factor_is_refused():
    with pytest.raises(ValueError, match="cif_fob_factor"):
        mirror_flows(flows(("CHN", "JPN", "export", 1.0, 1.0)), cif_fob_factor=0)
