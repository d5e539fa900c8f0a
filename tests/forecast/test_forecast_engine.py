"""statsforecast as the engine, checked against statsmodels on the same models.

The engine (:mod:`retrade.forecast.engine`) estimates with statsforecast; here
the parameters it estimated are handed to statsmodels, which evaluates the same
model with its own recursions, and the forecasts must agree. Tolerances:

* MEAN_RTOL = 1e-8: ETS point forecasts from the same parameters and initial
  states (both run the same recursion; only rounding separates them). This is
  the check that caught statsforecast 2.1.1 summing the damped trend as
  phi + phi + phi^2 + ... instead of phi + phi^2 + ...; the engine corrects it.
* VAR_RTOL = 1e-8: ETS h-step variance factors (sigma_h^2 / sigma^2), statsforecast's
  closed forms (Hyndman et al. 2008, table 6.1) against statsmodels' own.
* SEASONAL_RTOL = 1e-8: ETS(A,N,A) interval widths against the closed form
  sigma^2 (1 + alpha^2 (h-1) + gamma k (2 alpha + gamma)), k = floor((h-1)/m), over
  30 months (statsforecast 2.1.1 uses the last step's k for every step; the engine
  predicts season by season).
* ARIMA_RTOL = 1e-6: ARIMA forecasts and their standard errors from the same
  coefficients, statsforecast against statsmodels' Kalman filter (both exact;
  the diffuse start of the filter leaves differences far below this).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from retrade.forecast import engine
from retrade.forecast.draft import ModelInput
from retrade.forecast.events import design

MEAN_RTOL = 1e-8
VAR_RTOL = 1e-8
SEASONAL_RTOL = 1e-8
ARIMA_RTOL = 1e-6
LEVELS = (0.8, 0.95)


def _inp(z, frequency="A", horizon=6):
    freq = "YS" if frequency == "A" else "MS"
    periods = pd.date_range("2000", periods=len(z), freq=freq)
    future = pd.date_range(periods[-1], periods=horizon + 1, freq=freq)[1:]
    return ModelInput(np.asarray(z, float), periods, future, frequency, LEVELS,
                      design(None, periods, future, frequency))


def _trend_series(n=24, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 2.5 - 0.15 * t + 0.004 * t**2 + np.cumsum(rng.normal(0, 0.1, n))


def _engine_fit(z, spec, damped, horizon):
    """The engine's own path for one specification: AutoETS, its draft, the damped fix."""
    from statsforecast.models import AutoETS

    fit = AutoETS(model=spec, damped=damped).fit(z)
    inp = _inp(z, horizon=horizon)
    draft = engine._draft(fit.predict(horizon, level=engine._percent(LEVELS)), inp, spec)
    return fit.model_, draft.shifted(engine._damped_correction(fit.model_, horizon))


@pytest.mark.parametrize(("spec", "damped"), [("ANN", False), ("AAN", True)])
def test_ets_forecasts_equal_statsmodels_on_the_same_model(spec, damped):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    z, h = _trend_series(), 8
    model, draft = _engine_fit(z, spec, damped, h)
    alpha, beta, _, phi = model["par"][:4]
    start = model["states"][0]
    kwargs = {"trend": "add", "damped_trend": True} if damped else {}
    params = [alpha, beta, phi, start[0], start[1]] if damped else [alpha, start[0]]
    index = pd.date_range("2000", periods=len(z), freq="YS")
    res = ETSModel(pd.Series(z, index=index), error="add", **kwargs).smooth(params)
    pred = res.get_prediction(start=len(z), end=len(z) + h - 1)
    np.testing.assert_allclose(draft.median, pred.predicted_mean.to_numpy(), rtol=MEAN_RTOL)
    frame = pred.summary_frame(alpha=0.05)
    sm_factor = ((frame["pi_upper"] - frame["mean"]).to_numpy() / norm.ppf(0.975)) ** 2 / res.mse
    lo, hi = draft.bounds[0.95]
    sf_factor = ((hi - lo) / 2 / norm.ppf(0.975)) ** 2 / model["sigma2"]
    np.testing.assert_allclose(sf_factor, sm_factor, rtol=VAR_RTOL)


def test_the_damped_trend_sum_is_corrected_where_statsforecast_is_off():
    z, h = _trend_series(), 5
    model, draft = _engine_fit(z, "AAN", True, h)
    level, slope = model["states"][-1][:2]
    phi = model["par"][3]
    textbook = level + slope * np.cumsum(phi ** np.arange(1, h + 1))
    np.testing.assert_allclose(draft.median, textbook, rtol=MEAN_RTOL)
    lo, hi = draft.bounds[0.8]
    np.testing.assert_allclose((lo + hi) / 2, textbook, rtol=MEAN_RTOL)


def test_seasonal_ets_interval_widths_follow_the_closed_form():
    from statsforecast.models import AutoETS

    rng = np.random.default_rng(4)
    t = np.arange(72)
    z = 10 + 0.3 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 0.05, 72))
    h, m = 30, 12
    fit = AutoETS(season_length=m, model="ANA", damped=False).fit(z)
    inp = _inp(z, frequency="M", horizon=h)
    out = engine._seasonal_blocks(fit, ModelInput(inp.z, inp.periods, inp.future, "M", (0.95,),
                                                  inp.design))
    out = {"mean": out["mean"], "hi-95": out["hi-95.0"]}
    alpha, _, gamma = fit.model_["par"][:3]
    k = np.floor((np.arange(1, h + 1) - 1) / m)
    var = fit.model_["sigma2"] * (1 + alpha**2 * (np.arange(1, h + 1) - 1)
                                  + gamma * k * (2 * alpha + gamma))
    np.testing.assert_allclose((out["hi-95"] - out["mean"]) / norm.ppf(0.975), np.sqrt(var),
                               rtol=SEASONAL_RTOL)


def test_arima_forecasts_equal_statsmodels_with_the_same_coefficients():
    from statsforecast.models import AutoARIMA
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    rng = np.random.default_rng(7)
    e = rng.normal(0, 0.2, 61)
    z = 1.0 + np.cumsum(e[1:] - 0.6 * e[:-1])  # ARIMA(0,1,1), theta = -0.6
    h = 6
    fit = AutoARIMA(d=1, max_p=0, max_q=1, allowdrift=False).fit(z)
    p, q, _, _, _, d, _ = fit.model_["arma"]
    assert (p, d, q) == (0, 1, 1)
    draft = engine._draft(fit.predict(h, level=engine._percent(LEVELS)), _inp(z, horizon=h),
                          "arima")
    theta, sigma2 = fit.model_["coef"]["ma1"], fit.model_["sigma2"]
    ref = SARIMAX(z, order=(0, 1, 1)).smooth([theta, sigma2]).get_forecast(h)
    np.testing.assert_allclose(draft.median, ref.predicted_mean, rtol=ARIMA_RTOL)
    lo, hi = draft.bounds[0.95]
    np.testing.assert_allclose((hi - lo) / 2 / norm.ppf(0.975), np.sqrt(ref.var_pred_mean),
                               rtol=ARIMA_RTOL)


@pytest.mark.parametrize("model", ["autoarima", "autotheta"])
@pytest.mark.parametrize("frequency", ["A", "M"])
def test_automatic_models_forecast_in_bounds_with_widening_intervals(model, frequency):
    from retrade.forecast import Series
    from retrade.forecast import forecast_series as forecast

    rng = np.random.default_rng(2)
    n = 20 if frequency == "A" else 60
    z = 2.0 + np.cumsum(rng.normal(-0.03, 0.2, n))
    y = 1 / (1 + np.exp(-z)) if frequency == "A" else np.exp(5 + z)
    s = Series(pd.DataFrame({"period": pd.date_range(
        "2000", periods=n, freq="YS" if frequency == "A" else "MS"), "y": y}), frequency,
        "share" if frequency == "A" else "level")
    res = forecast(s, model=model, horizon=6)
    tidy = res.tidy()
    assert ((tidy["yhat_lower"] <= tidy["yhat"]) & (tidy["yhat"] <= tidy["yhat_upper"])).all()
    lo, hi = res.draft.bounds[0.95]
    assert (np.diff(hi - lo) >= -1e-9).all() and res.spec


def test_backtest_rows_equal_one_forecast_per_origin_and_model():
    """The backtest fits each model once per origin (an ensemble reuses its members' fits);
    its rows must be what a separate forecast() per origin and model gives (exactly)."""
    from retrade.forecast import Series, backtest, rolling_origins
    from retrade.forecast import forecast_series as forecast

    rng = np.random.default_rng(5)
    y = 1 / (1 + np.exp(-(1.0 + np.cumsum(rng.normal(-0.05, 0.2, 18)))))
    s = Series(pd.DataFrame({"period": pd.date_range("2000", periods=18, freq="YS"), "y": y}),
               "A", "share", name="s")
    models = ["naive", "ets", "autotheta", "ensemble"]
    bt = backtest(s, models=models, initial=12, step=2, horizon=3)
    frames = []
    for split in rolling_origins(s.periods, initial=12, step=2, horizon=3):
        for model in models:
            rows = forecast(s.head(split.n_train), model=model, horizon=3).tidy()
            rows.insert(0, "origin", split.origin)
            frames.append(rows)
    expected = pd.concat(frames, ignore_index=True)
    got = bt.tidy()
    for column in ("origin", "model", "period", "yhat", "yhat_lower", "yhat_upper", "level",
                   "series"):
        pd.testing.assert_series_equal(got[column], expected[column], check_exact=True)
