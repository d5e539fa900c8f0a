"""Break and trend models against independent computations and simulated series.

Tolerances and why:
* Chow F vs a closed-form SSR computation with ``numpy.polyfit``: 1e-9 relative
  (the same least-squares problem solved two ways; only rounding differs).
* HAC trend standard errors vs a hand-written Newey-West (1987) sandwich
  (Bartlett weights, small-sample factor n/(n-k)): 1e-8 relative.
* Bai (1997) quantile vs the published 97.5% value 11.03: 0.01 (two decimals).
* Break dates on simulated series with a known break (seeded): the estimate
  within 3 observations of the truth and the 95% interval covering it; on
  series without a break, BIC chooses no break (5 seeds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.errors import SpecificationError
from retrade.models import breaks, trend


def _ssr_polyfit(t, y, deg):
    coef = np.polyfit(t, y, deg)
    return float(((y - np.polyval(coef, t)) ** 2).sum())


@pytest.mark.parametrize(("model", "deg", "k"), [("mean", 0, 1), ("trend", 1, 2)])
def test_chow_f_matches_closed_form_ssr(model, deg, k):
    rng = np.random.default_rng(5)
    years = np.arange(2005, 2025)
    y = 0.8 - 0.01 * (years - 2005) - 0.1 * (years >= 2015) + rng.normal(0, 0.03, years.size)
    res = breaks.chow_test(pd.Series(y, index=years), 2015, model=model)
    b = int(np.argmax(years >= 2015))
    t = years.astype(float)
    ssr_r = _ssr_polyfit(t, y, deg)
    ssr_u = _ssr_polyfit(t[:b], y[:b], deg) + _ssr_polyfit(t[b:], y[b:], deg)
    expected = ((ssr_r - ssr_u) / k) / (ssr_u / (years.size - 2 * k))
    assert res.statistic == pytest.approx(expected, rel=1e-9)
    assert (res.df_num, res.df_den, res.n_before) == (k, years.size - 2 * k, b)
    tidy = res.tidy()
    assert tidy["term"].iloc[-1] == "chow_F@2015" and tidy["p_value"].iloc[-1] < 0.01


def _newey_west_se(x, resid, lags):
    n, k = x.shape
    scores = x * resid[:, None]
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        gamma = scores[lag:].T @ scores[:-lag]
        meat += w * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    cov = bread @ meat @ bread * n / (n - k)
    return np.sqrt(np.diag(cov))


def test_hac_trend_se_matches_hand_newey_west():
    rng = np.random.default_rng(9)
    n = 40
    e = np.zeros(n)
    for i in range(1, n):  # AR(1) errors, where HAC matters
        e[i] = 0.6 * e[i - 1] + rng.normal(0, 0.02)
    years = np.arange(1985, 1985 + n)
    y = 0.9 - 0.01 * (years - years[0]) + e
    res = trend.hac_trend(pd.Series(y, index=years), maxlags=3)
    x = np.column_stack([np.ones(n), years - years[0]])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    se = _newey_west_se(x, y - x @ beta, 3)
    got = res.coefficients.set_index("term")
    assert got.loc["slope", "estimate"] == pytest.approx(beta[1], rel=1e-10)
    assert got.loc["slope", "std_error"] == pytest.approx(se[1], rel=1e-8)
    assert got.loc["const", "std_error"] == pytest.approx(se[0], rel=1e-8)


def test_broken_trend_regime_slopes_add_up():
    years = np.arange(2000, 2020)
    y = np.where(years < 2010, 0.5 + 0.02 * (years - 2000), 0.7 - 0.03 * (years - 2010))
    y = y + np.tile([0.004, -0.004], 10)
    res = trend.hac_trend(pd.Series(y, index=years), breaks=(2010,))
    slopes = res.regime_slopes["estimate"].to_numpy()
    coef = res.coefficients.set_index("term")["estimate"]
    assert slopes[1] == pytest.approx(coef["slope"] + coef["slope_change@2010"], abs=1e-12)
    assert slopes == pytest.approx([0.02, -0.03], abs=2e-3)


def test_bai_1997_quantile_matches_published_value():
    assert breaks.argmax_quantile(0.975) == pytest.approx(11.03, abs=0.01)
    assert breaks.argmax_cdf(3.0) == pytest.approx(1 - breaks.argmax_cdf(-3.0), abs=1e-12)


def test_bai_perron_recovers_a_known_mean_shift():
    rng = np.random.default_rng(3)
    n, true = 120, 60
    y = np.where(np.arange(n) >= true, 1.5, 0.0) + rng.normal(0, 1, n)
    index = pd.period_range("2015-01", periods=n, freq="M").strftime("%Y-%m")
    res = breaks.bai_perron(pd.Series(y, index=index), model="mean")
    assert res.n_breaks == 1
    assert abs(res.break_index[0] - true) <= 3
    labels = list(index)
    assert labels.index(res.conf_low[0]) <= true <= labels.index(res.conf_high[0])


def test_bai_perron_recovers_a_slope_change_with_bootstrap_interval():
    rng = np.random.default_rng(4)
    n, true = 60, 30
    t = np.arange(n)
    y = np.where(t < true, 0.02 * t, 0.6 - 0.04 * (t - true)) + rng.normal(0, 0.05, n)
    res = breaks.bai_perron(pd.Series(y, index=range(1960, 1960 + n)), model="trend",
                            n_boot=29, seed=1)
    assert res.n_breaks == 1 and res.interval == "bootstrap"
    assert abs(res.break_index[0] - true) <= 3
    assert int(res.conf_low[0]) <= 1960 + true <= int(res.conf_high[0])


@pytest.mark.parametrize("seed", range(5))
def test_bai_perron_finds_no_break_in_white_noise(seed):
    y = np.random.default_rng(seed).normal(0, 1, 80)
    res = breaks.bai_perron(pd.Series(y, index=range(1940, 2020)), model="mean")
    assert res.n_breaks == 0
    assert res.selection.loc[0, "bic"] == res.selection["bic"].min()


def test_bad_inputs_name_the_value():
    s = pd.Series([1.0, np.nan, 2.0, 3.0], index=range(2000, 2004))
    with pytest.raises(SpecificationError, match="2001"):
        breaks.bai_perron(s)
    with pytest.raises(ValueError, match="'level'"):
        breaks.chow_test(pd.Series(range(8), index=range(2000, 2008)), 2004, model="level")
    with pytest.raises(SpecificationError, match="2006"):
        breaks.chow_test(pd.Series(range(8), index=range(2000, 2008)), 2006)
    with pytest.raises(SpecificationError, match="asymptotic"):
        breaks.bai_perron(pd.Series(range(30), index=range(1990, 2020)), model="trend",
                          interval="asymptotic")
