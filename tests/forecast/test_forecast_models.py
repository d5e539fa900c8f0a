"""Forecast models: bounds, widening intervals, and intervals against independent references.

Tolerances (and why):
- EXACT = 1e-9: the naive / seasonal-naive closed forms and the logit/log back-transform
  are recomputed here with numpy/scipy; only floating-point rounding separates them.
- SES_RTOL = 1e-6: ETS(A,N,N) interval half-widths against the closed form
  q * sigma * sqrt(1 + (h-1) alpha^2) (Hyndman et al. 2008, table 6.1) from the fitted
  parameters (statsforecast's, the engine's); both are exact formulas.
- ARIMA_RTOL = 1e-3: ARIMA(0,1,1) half-widths against q * sigma * sqrt(1 + (h-1)(1+theta)^2);
  the Kalman filter's state variance at the sample end is within this of its steady state.
- SIM_ATOL = 0.06 (on the model scale, half-widths ~0.5-1): damped-trend ETS bounds against
  quantiles of 4,000 statsmodels ``simulate`` paths of the same model (statsforecast's
  estimates and residual variance); a tail quantile's Monte Carlo standard error there is
  ~0.02, so 3 standard errors.
- COVERAGE_ATOL = 0.04: empirical coverage of naive/seasonal-naive 80% and 95% intervals
  over 1,500 simulated random walks (binomial SE <= 0.011; plus ~0.01 of small-sample
  undercoverage from estimating sigma on 40 observations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import norm

from retrade.forecast import Series
from retrade.forecast import forecast_series as forecast
from retrade.forecast.baselines import naive, snaive
from retrade.forecast.core import model_input
from retrade.forecast.draft import ModelInput
from retrade.forecast.events import design

EXACT = 1e-9
SES_RTOL = 1e-6
ARIMA_RTOL = 1e-3
SIM_ATOL = 0.06
COVERAGE_ATOL = 0.04


def share_series(n: int = 20, seed: int = 1) -> Series:
    rng = np.random.default_rng(seed)
    z = 1.5 + np.cumsum(rng.normal(-0.05, 0.25, n))
    df = pd.DataFrame({"period": pd.date_range("2002", periods=n, freq="YS"), "y": expit(z)})
    return Series(df, frequency="A", kind="share", name="share", role="china_share")


def level_series(n: int = 60, seed: int = 2) -> Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    z = 10 + 0.01 * t + 0.3 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 0.08, n))
    df = pd.DataFrame({"period": pd.date_range("2019-01", periods=n, freq="MS"), "y": np.exp(z)})
    return Series(df, frequency="M", kind="level", name="exports", unit="kg")


CASES = [
    ("naive", "share"),
    ("ets", "share"),
    ("sarimax", "share"),
    ("prophet", "share"),
    ("ensemble", "share"),
    ("snaive", "level"),
    ("ets", "level"),
    ("sarimax", "level"),
    ("prophet", "level"),
    ("ensemble", "level"),
]


@pytest.mark.parametrize(("model", "kind"), CASES)
def test_forecasts_stay_in_bounds_and_intervals_widen(model, kind):
    series = share_series() if kind == "share" else level_series()
    horizon = 6 if kind == "share" else 18
    res = forecast(series, model=model, horizon=horizon, seed=3)
    tidy = res.tidy()
    assert len(tidy) == 2 * horizon and set(tidy["level"]) == {0.8, 0.95}
    assert (tidy["period"].unique() == series.future_periods(horizon)).all()
    assert ((tidy["yhat_lower"] <= tidy["yhat"]) & (tidy["yhat"] <= tidy["yhat_upper"])).all()
    if kind == "share":
        assert ((tidy["yhat_lower"] > 0) & (tidy["yhat_upper"] < 1)).all()
    else:
        assert (tidy["yhat_lower"] >= 0).all()
    lo80, hi80 = res.draft.bounds[0.8]
    lo95, hi95 = res.draft.bounds[0.95]
    assert (lo95 <= lo80).all() and (hi80 <= hi95).all()
    width = hi95 - lo95
    # analytic intervals never narrow; prophet's come from 1,000 draws, so allow MC noise
    slack = 0.05 * width[0] if model in ("prophet", "ensemble") else 1e-12
    assert (np.diff(width) >= -slack).all()
    assert width[-1] > width[0]


def test_back_transform_maps_quantiles_and_yhat_is_the_median():
    res = forecast(share_series(), model="sarimax", horizon=4)
    tidy = res.tidy()
    for level, (lo, hi) in res.draft.bounds.items():
        rows = tidy[tidy["level"] == level]
        np.testing.assert_allclose(rows["yhat_lower"], expit(lo), atol=EXACT)
        np.testing.assert_allclose(rows["yhat_upper"], expit(hi), atol=EXACT)
        np.testing.assert_allclose(rows["yhat"], expit(res.draft.median), atol=EXACT)
    # Gaussian on the logit scale: the median sits at the middle of the logit interval
    lo, hi = res.draft.bounds[0.95]
    np.testing.assert_allclose((lo + hi) / 2, res.draft.median, atol=1e-8)


def test_naive_and_snaive_match_closed_forms():
    s = level_series(n=40)
    inp = model_input(s, 15, (0.8, 0.95), None, 0)
    z, h = np.log(s.y), np.arange(1, 16)
    sigma = np.sqrt(np.mean(np.diff(z) ** 2))
    d = naive(inp)
    np.testing.assert_allclose(
        d.bounds[0.95][1], z[-1] + norm.ppf(0.975) * sigma * np.sqrt(h), atol=EXACT
    )
    sigma_s = np.sqrt(np.mean((z[12:] - z[:-12]) ** 2))
    k = (h - 1) // 12
    d = snaive(inp)
    np.testing.assert_allclose(d.median, z[len(z) - 12 + (h - 1) % 12], atol=EXACT)
    np.testing.assert_allclose(
        d.bounds[0.8][0] - d.median, -norm.ppf(0.9) * sigma_s * np.sqrt(k + 1), atol=EXACT
    )


def test_ets_simple_exponential_smoothing_matches_closed_form():
    from statsforecast.models import AutoETS

    s = share_series(n=9)  # below 10 observations the candidate set is ETS(A,N,N) only
    res = forecast(s, model="ets", horizon=5)
    assert res.spec == "ETS(A,N,N)"
    z = np.log(s.y / (1 - s.y))
    fit = AutoETS(model="ANN").fit(z)  # the engine's estimates (statsforecast)
    alpha, sigma = fit.model_["par"][0], np.sqrt(fit.model_["sigma2"])
    h = np.arange(1, 6)
    half = norm.ppf(0.975) * sigma * np.sqrt(1 + (h - 1) * alpha**2)
    lo, hi = res.draft.bounds[0.95]
    np.testing.assert_allclose((hi - lo) / 2, half, rtol=SES_RTOL)


def test_ets_damped_intervals_match_simulated_quantiles():
    from statsforecast.models import AutoETS
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    from retrade.forecast.statespace import ets

    rng = np.random.default_rng(0)
    t = np.arange(24)  # a flattening decline: AICc picks the damped trend
    z = 2.5 - 0.15 * t + 0.004 * t**2 + np.cumsum(rng.normal(0, 0.1, 24))
    s = Series(
        pd.DataFrame({"period": pd.date_range("2000", periods=24, freq="YS"), "y": expit(z)}),
        "A",
        "share",
    )
    inp = model_input(s, 6, (0.8, 0.95), None, 0)
    draft = ets(inp)
    assert draft.spec == "ETS(A,Ad,N)"
    # the engine's estimates (statsforecast), simulated by statsmodels' own recursion
    est = AutoETS(model="AAN", damped=True).fit(inp.z).model_
    alpha, beta, _, phi = est["par"][:4]
    zs = pd.Series(inp.z, index=pd.DatetimeIndex(s.periods, freq="YS"))
    fit = ETSModel(zs, error="add", trend="add", damped_trend=True).smooth(
        [alpha, beta, phi, *est["states"][0][:2]])
    errors = np.random.default_rng(0).normal(0, np.sqrt(est["sigma2"]), (6, 4000))
    sims = fit.simulate(6, repetitions=4000, anchor="end", random_errors=errors).to_numpy()
    for level, (lo, hi) in draft.bounds.items():
        np.testing.assert_allclose(lo, np.quantile(sims, 0.5 - level / 2, axis=1), atol=SIM_ATOL)
        np.testing.assert_allclose(hi, np.quantile(sims, 0.5 + level / 2, axis=1), atol=SIM_ATOL)


def test_arima_011_intervals_match_closed_form():
    s = share_series(n=30, seed=7)
    inp = model_input(s, 5, (0.95,), None, 0)
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    fit = SARIMAX(inp.z, order=(0, 1, 1), trend="n").fit(disp=False)
    theta, sigma2 = fit.params[0], fit.params[1]
    fc = fit.get_forecast(5)
    h = np.arange(1, 6)
    closed = np.sqrt(sigma2 * (1 + (h - 1) * (1 + theta) ** 2))
    np.testing.assert_allclose(np.sqrt(fc.var_pred_mean), closed, rtol=ARIMA_RTOL)


@pytest.mark.parametrize(("frequency", "model", "m"), [("A", "naive", 1), ("M", "snaive", 12)])
def test_baseline_coverage_on_simulated_random_walks(frequency, model, m):
    rng = np.random.default_rng(11)
    n, reps, horizon = 40, 1500, m
    hits = {0.8: 0, 0.95: 0}
    freq = "YS" if frequency == "A" else "MS"
    periods = pd.date_range("1980-01", periods=n, freq=freq)
    future = pd.date_range(periods[-1], periods=horizon + 1, freq=freq)[1:]
    none = design(None, periods, future, frequency)
    for _ in range(reps):
        steps = rng.normal(0, 0.3, n + horizon)
        z = np.zeros(n + horizon)
        for t in range(n + horizon):  # seasonal random walk z_t = z_{t-m} + e_t
            z[t] = (z[t - m] if t >= m else 5.0) + steps[t]
        inp = ModelInput(z[:n], periods, future, frequency, (0.8, 0.95), none)
        draft = naive(inp) if model == "naive" else snaive(inp)
        actual = z[n + horizon - 1]
        for level, (lo, hi) in draft.bounds.items():
            hits[level] += lo[-1] <= actual <= hi[-1]
    for level, count in hits.items():
        assert abs(count / reps - level) < COVERAGE_ATOL


def test_real_monthly_exports_forecast_and_scenarios_stay_in_bounds(shared):
    from retrade.forecast import apply_scenarios

    path = shared(
        "qennis-china-critical-minerals", "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv"
    )
    raw = pd.read_csv(path)
    rows = raw[raw["hs6"] == 850511]
    df = pd.DataFrame({"period": pd.to_datetime(rows["period_dt"]), "y": rows["qty"]})
    s = Series(df, "M", "level", name="CHN magnet exports", unit="kg", role="china_exports")
    res = forecast(s, model="ets", horizon=12)
    tidy = apply_scenarios(res).tidy()
    assert (tidy["yhat_lower"] > 0).all() and np.isfinite(tidy["yhat_upper"]).all()
    # a year ahead, the 95% band brackets the last year's range of monthly exports
    band = tidy[(tidy["scenario"] == "base") & (tidy["level"] == 0.95)]
    assert band["yhat_lower"].min() < s.y[-12:].min() and band["yhat_upper"].max() > s.y[-12:].max()
