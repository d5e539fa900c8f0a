"""Dependency metrics and the dual-chain report against hand computations on small tables,
and the mirror shares on the shared real data against a direct pandas computation.

Tolerance: 1e-12 (sums and ratios of a few floats; only rounding differs). The
BACI column check uses 5e-4 because the file rounds shares to four decimals.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import BACI_RE, WITS_LONG
from retrade.errors import SpecificationError
from retrade.models import dependency as dep
from retrade.models.dual_chain import dual_chain

TOL = 1e-12


def _panel():
    rows = [
        # reporter, flow, partner, stage, period, value
        ("JPN", "import", "CHN", "metals", "2010", 80.0),
        ("JPN", "import", "VNM", "metals", "2010", 10.0),
        ("JPN", "import", "AUS", "metals", "2010", 10.0),
        ("JPN", "import", "WLD", "metals", "2010", 100.0),  # total row, never counted
        ("JPN", "import", "CHN", "metals", "2020", 40.0),
        ("JPN", "import", "VNM", "metals", "2020", 40.0),
        ("JPN", "import", "THA", "metals", "2020", 20.0),
        ("DEU", "import", "CHN", "metals", "2020", 30.0),
        ("DEU", "import", "FRA", "metals", "2020", 50.0),  # intra-EU: not EU supply
        ("FRA", "import", "USA", "metals", "2020", 10.0),
        ("VNM", "import", "CHN", "metals", "2020", 90.0),  # VNM: 90% from China -> conduit
        ("VNM", "import", "AUS", "metals", "2020", 10.0),
        ("CHN", "export", "USA", "metals", "2020", 25.0),
        ("CHN", "export", "THA", "metals", "2020", 15.0),
        ("CHN", "export", "JPN", "metals", "2020", 40.0),
        ("CHN", "export", "IND", "metals", "2020", 20.0),
    ]
    frame = pd.DataFrame(rows, columns=["reporter", "flow", "partner", "stage", "period",
                                        "value_usd"])
    return frame.assign(net_weight_kg=1.0)


def _totals():
    return pd.DataFrame({"importer": ["USA", "THA"], "stage": "metals", "period": "2020",
                         "total": [100.0, 60.0]})


def test_china_share_direct_mirror_and_eu_extra_trade():
    panel = _panel()
    before = panel.copy()
    out = dep.china_share(panel, importers=["JPN", "USA", "EU27"], importer_totals=_totals())
    got = out.set_index(["importer", "period"])
    assert got.loc[("JPN", "2010"), "share"] == pytest.approx(0.8, abs=TOL)
    assert got.loc[("JPN", "2020"), "share"] == pytest.approx(0.4, abs=TOL)
    assert got.loc[("USA", "2020"), "share"] == pytest.approx(25 / 100, abs=TOL)
    assert got.loc[("USA", "2020"), "basis"] == "mirror"
    # EU27: DEU's import from FRA is intra-EU and dropped; FRA's from USA stays
    assert got.loc[("EU27", "2020"), "share"] == pytest.approx(30 / 40, abs=TOL)
    pd.testing.assert_frame_equal(panel, before)  # input not mutated


def test_auto_prefers_direct_and_flags_mirror_above_one():
    totals = pd.DataFrame({"importer": ["JPN", "USA"], "stage": "metals", "period": "2020",
                           "total": [1000.0, 20.0]})
    out = dep.china_share(_panel(), importers=["JPN", "USA"], importer_totals=totals)
    got = out.set_index(["importer", "period"])
    assert got.loc[("JPN", "2020"), "basis"] == "direct"
    assert got.loc[("USA", "2020"), "share"] == pytest.approx(1.25, abs=TOL)
    assert got.loc[("USA", "2020"), "flag"] == "mirror exceeds importer total"


def test_hhi_routing_and_threshold_conduits():
    panel = _panel()
    hhi = dep.supplier_hhi(panel, importers=["JPN"]).set_index("period")["hhi"]
    assert hhi["2020"] == pytest.approx(0.4**2 + 0.4**2 + 0.2**2, abs=TOL)
    # VNM imports 90% from China (direct); THA 15/60 = 25% (mirror) -> only VNM is a conduit
    routed = dep.third_country_routing(panel, importers=["JPN"], candidates=["VNM", "THA"],
                                       threshold=0.5, importer_totals=_totals())
    got = routed.set_index("period")
    assert got.loc["2020", "share"] == pytest.approx(0.4, abs=TOL)
    assert got.loc["2020", "conduits"] == "VNM"
    assert got.loc["2010", "share"] == 0.0  # no conduit evidence for 2010
    fixed = dep.third_country_routing(panel, importers=["JPN"], conduits=["VNM", "THA"])
    assert fixed.set_index("period").loc["2020", "share"] == pytest.approx(0.6, abs=TOL)
    with pytest.raises(SpecificationError, match="1.5"):
        dep.conduits_by_period(panel, threshold=1.5)


def test_dual_chain_split_and_mirror_upper_bound():
    panel = _panel()
    out = dep.dual_chain_share(panel, bloc=["JPN", "EU27"], conduits=["VNM"])
    got = out.set_index("period").loc["2020"]
    # JPN 40 CHN / 40 VNM / 20 THA; EU27 30 CHN / 10 USA  -> total 140
    assert got["china"] == pytest.approx(70 / 140, abs=TOL)
    assert got["conduit"] == pytest.approx(40 / 140, abs=TOL)
    assert got["network"] == pytest.approx(30 / 140, abs=TOL)
    assert got["reporting"] == "EU27,JPN"
    bound = dep.dual_chain_share(panel, bloc=["USA"], importer_totals=_totals())
    assert bound["network"].iloc[0] == pytest.approx(1 - 0.25, abs=TOL)
    assert bound["basis"].iloc[0] == "mirror_upper_bound"


def test_destinations_decoupling_and_windows():
    dest = dep.china_export_destinations(_panel(), bloc=["JPN", "USA"], conduits=["THA"])
    got = dest.set_index("group")["share"]
    assert got.to_dict() == pytest.approx({"bloc": 0.65, "conduits": 0.15, "rest": 0.2}, abs=TOL)
    shares = dep.china_share(_panel(), importers=["JPN"])
    di = dep.decoupling_index(shares, baseline=(2010, 2010)).set_index("period")
    assert di.loc["2020", "decoupling_index"] == pytest.approx(1 - 0.4 / 0.8, abs=TOL)
    win = dep.window_means(shares, value="share", by=["importer"]).set_index("window")
    assert win.loc["2020-2022", "change"] == pytest.approx(0.4 - 0.8, abs=TOL)


def test_availability_says_what_china_only_data_support():
    china_only = _panel()[lambda d: d["reporter"] == "CHN"]
    res = dual_chain(china_only, importers=["USA", "JPN"], bloc=["USA", "JPN"],
                     importer_totals=_totals())
    av = res.availability.set_index(["metric", "importer"])
    assert av.loc[("china_share_mirror", "USA"), "available"]
    assert not av.loc[("china_share_mirror", "JPN"), "available"]
    assert "JPN's total imports" in av.loc[("china_share_mirror", "JPN"), "reason"]
    assert not av.loc[("supplier_hhi", "USA"), "available"]
    assert "no import rows reported by USA" in av.loc[("supplier_hhi", "USA"), "reason"]
    assert av.loc[("china_export_destinations", "CHN"), "available"]
    tidy = res.tidy()
    assert "china_share[USA|metals|2020]" in set(tidy["term"])
    assert "not computable" in res.summary()


def test_mirror_shares_on_shared_real_data(shared, china_exports_panel, importer_totals):
    exports = shared(*WITS_LONG)
    baci = shared(*BACI_RE)
    res = dual_chain(china_exports_panel, importers=["JPN", "USA"], bloc=["JPN", "USA"],
                     level="hs6", importer_totals=importer_totals)
    # independent computation straight from the two files
    raw = pd.read_csv(exports)
    world = pd.read_csv(baci)
    china_to_jpn = raw[(raw.partner == "Japan") & (raw.hs_code == 280530) & (raw.year == 2010)]
    jpn_total = world[(world.hs6 == 280530) & (world.year == 2010)]["japan_import_usd"]
    expected = china_to_jpn["export_value_usd"].sum() / jpn_total.iloc[0]
    got = res.china_share.set_index(["importer", "hs6", "period"])
    assert got.loc[("JPN", "280530", "2010"), "share"] == pytest.approx(expected, abs=TOL)
    assert set(got["basis"]) == {"mirror"}
    # the BACI *_import_share columns are shares of world trade, not China's share
    of_world = world["japan_import_usd"] / world["world_usd"]
    assert (world["japan_import_share"] - of_world).abs().max() < 5e-4
    av = res.availability.set_index(["metric", "importer"])["available"]
    assert not av[("china_share_direct", "USA")] and av[("china_share_mirror", "USA")]


def test_direct_share_uses_the_importers_world_row():
    """A download holding only China and World rows gives China's true share, not 1."""
    from retrade.models.dependency import china_share

    panel = pd.DataFrame({"reporter": "USA", "flow": "import", "partner": ["CHN", "WLD"],
                          "hs6": "280530", "stage": "metals", "period": "2022",
                          "value_usd": [30.0, 120.0], "net_weight_kg": 1.0})
    out = china_share(panel, importers=["USA"], level="hs6", basis="direct")
    assert out["share"].tolist() == pytest.approx([0.25])


def test_direct_us_share_on_the_real_comtrade_download(shared, tmp_path):
    """US-reported imports of 280530 from China over the US world row, recomputed with pandas.

    The PNNL download holds only partners China and World: the share must use the
    world row (a partner-sum denominator would make China 100%).
    Tolerance: 1e-12 (the same two numbers divided).
    """
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.models.dependency import china_share
    from retrade.panel.build import build_panel
    from retrade.panel.query import load_panel

    path = shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
    settings = load_settings(data_dir=tmp_path / "data")
    import_file(path, settings=settings)
    build_panel(settings=settings)
    out = china_share(load_panel(settings=settings), importers=["USA"], level="hs6",
                      basis="direct")
    got = out.set_index("period")["share"]
    raw = pd.read_csv(path, dtype={"cmdCode": str})
    rows = raw[(raw.reporterCode == 842) & (raw.flowCode == "M") & (raw.cmdCode == "280530")]
    china = rows[rows.partnerCode == 156].set_index("refYear")["primaryValue"]
    world = rows[rows.partnerCode == 0].set_index("refYear")["primaryValue"]
    expected = (china / world).rename(index=str)
    assert len(expected) == 5
    for period, share in expected.items():
        assert got[period] == pytest.approx(share, abs=1e-12)
    assert (got < 1).any()
