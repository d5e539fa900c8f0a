"""Capacity model: the 28% arithmetic by hand, unit refusals, and the Monte Carlo identities.

Tolerances and why:
* Shares from bundled tables: 1e-12 (ratios of integers written in the table).
* Monte Carlo quantiles vs analytic quantiles (demand growth is the only random
  input, so the quantile of ``S0 / (D0 (1+g)^h)`` is a monotone map of the
  normal quantile of ``g``): 1.5% relative with 20,000 draws; the sampling
  error of a 5%/95% quantile at that size is about 0.3%.
* Failure frequency of a project with p_fail = 0.3: within 4 binomial standard
  errors (the chance of a false alarm is below 1e-4).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import retrade.reference as ref
from retrade.errors import SpecificationError
from retrade.models import capacity as cap
from retrade.models import capacity_scenarios as cs

TOL = 1e-12


def test_the_28_percent_and_its_sensitivity_by_hand():
    table = cap.overseas_share_sensitivity(2024).tidy().set_index("definition")
    head = table.loc["mine output / world mine output (USGS, preferred edition)"]
    assert head["nonchina_share"] == pytest.approx((380_000 - 270_000) / 380_000, abs=TOL)
    assert head["source"] == "USGS MCS2026"
    earlier = table.loc["mine output / world mine output (USGS, earlier edition)"]
    assert earlier["nonchina_share"] == pytest.approx((390_000 - 270_000) / 390_000, abs=TOL)
    refused = table.loc["mine output / demand estimate (investment_monitor)"]
    assert np.isnan(refused["nonchina_share"]) and "refused" in refused["note"]


def test_world_total_against_sum_of_countries():
    rows = ref.mine_production(preferred_only=True)
    y2024 = rows[rows["year"] == 2024]
    by_hand = y2024.loc[y2024["iso3"] != "WLD", "value"].sum()
    shares = cap.mine_shares().set_index("year")
    assert shares.loc[2024, "world_sum"] == pytest.approx(by_hand, abs=TOL)
    assert shares.loc[2024, "discrepancy"] == pytest.approx(by_hand - 380_000, abs=TOL)
    assert not shares.loc[2019, "complete"]  # China, US and World only: no country sum
    spread = cap.edition_spread().set_index("year")
    assert spread.loc[2023, "share_min"] == pytest.approx((350 - 240) / 350, abs=TOL)
    assert spread.loc[2023, "share_max"] == pytest.approx((376 - 255) / 376, abs=TOL)


def test_demand_units_and_interpolation():
    with pytest.raises(SpecificationError, match=r"\['t'\]"):
        cap.demand_series("investment_monitor", [2024])
    own = pd.DataFrame({"year": [2020, 2030], "value": [59_000.0, 131_000.0],
                        "unit": ["t magnet REE"] * 2})
    with pytest.raises(SpecificationError, match="magnet REE"):
        cap.demand_series(own, [2025])
    d = cap.demand_series("arafura", [2024, 2031]).set_index("year")
    assert d.loc[2024, "demand_t_reo"] == pytest.approx(137_000 * (196 / 137) ** 0.5, rel=TOL)
    assert np.isnan(d.loc[2031, "demand_t_reo"])
    assert cap.refining_shares().set_index("year").loc[2023, "nonchina_share"] == pytest.approx(
        0.08, abs=TOL)


def test_no_change_reproduces_the_base_year_every_year():
    res = cs.project_supply("no_change", n_draws=50, seed=0, horizon=2035)
    t = res.table.set_index(["metric", "year"])
    for year in range(2024, 2036):
        assert t.loc[("share_of_supply", year), "upper"] == pytest.approx(110 / 380, abs=TOL)
        assert t.loc[("share_of_supply", year), "lower"] == pytest.approx(110 / 380, abs=TOL)
        assert t.loc[("world_supply_t", year), "median"] == pytest.approx(380_000, abs=1e-6)


def test_identities_hold_in_every_draw_of_the_base_scenario():
    res = cs.project_supply("base", n_draws=500, seed=7)
    d = res.draws
    assert np.allclose(d["world_supply_t"], d["china_t"] + d["nonchina_t"], rtol=0, atol=1e-6)
    for metric in ("share_of_supply", "share_of_demand_met"):
        assert (d[metric] >= 0).all() and (d[metric] <= 1).all()
    again = cs.project_supply("base", n_draws=500, seed=7)
    assert np.array_equal(again.draws["nonchina_t"], d["nonchina_t"])  # the seed fixes draws
    assert list(res.forecast().columns) == ["period", "yhat", "yhat_lower", "yhat_upper"]


def test_monte_carlo_quantiles_match_analytic_ones():
    mu, sd, h = 0.04, 0.01, 11
    scen = cs.Scenario("demand_only", "only demand growth is random", demand_growth_mean=mu,
                       demand_growth_sd=sd, use_projects=False, edition_uncertainty=False)
    res = cs.project_supply(scen, n_draws=20_000, seed=11, horizon=2024 + h, level=0.9)
    row = res.table.set_index(["metric", "year"]).loc[("supply_demand_ratio", 2024 + h)]
    ratio = lambda g: 110_000 / (380_000 * (1 + g) ** h)  # noqa: E731
    z = stats.norm.ppf(0.95)
    assert row["lower"] == pytest.approx(ratio(mu + z * sd), rel=0.015)
    assert row["upper"] == pytest.approx(ratio(mu - z * sd), rel=0.015)
    assert row["median"] == pytest.approx(ratio(mu), rel=0.015)


def test_project_failure_frequency_and_ramp():
    one = pd.DataFrame([{"name": "P", "country": "AUS", "capacity_t_reo": 30_000,
                         "start_year": 2026, "ramp_years": 3, "utilization": 1.0,
                         "p_delay": 0.0, "mean_delay_years": 0.0, "p_fail": 0.3,
                         "basis": "test"}])
    scen = replace(cs.scenarios()["no_change"], use_projects=True)
    n = 4000
    res = cs.project_supply(scen, projects=one, n_draws=n, seed=3, horizon=2030)
    years = list(range(2024, 2031))
    extra = res.draws["nonchina_t"] - 110_000
    assert np.allclose(extra[:, years.index(2025)], 0.0)
    built = extra[:, years.index(2029)] > 0
    assert set(np.round(extra[built, years.index(2027)])) == {20_000.0}  # 2/3 of the ramp
    assert abs((~built).mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    bad = one.assign(p_fail=1.2)
    with pytest.raises(SpecificationError, match="p_fail"):
        cs.project_supply(scen, projects=bad, n_draws=5)
    with pytest.raises(ValueError, match="'nope'"):
        cs.project_supply("nope")
