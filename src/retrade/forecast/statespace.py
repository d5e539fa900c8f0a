"""SARIMAX, fitted with statsmodels on the model scale: the model with policy-event regressors.

It picks its specification from a small, fixed candidate set by AICc, so a
forecast is reproducible and quick enough for rolling-origin backtests
(ETS moved to statsforecast, :mod:`retrade.forecast.engine`; ``ets`` stays
importable from here):

- SARIMAX (regression with ARIMA errors): orders (0,1,1) and (1,1,0), each
  with and without drift; monthly series with three years or more add a
  seasonal (0,1,1)_12 part and then have no drift (after both differences a
  constant would be a quadratic trend in levels). Policy-event step dummies enter as exogenous
  regressors; their future values come from the events' dates.

The model is Gaussian on the model scale, so the median equals the mean.
"""

from __future__ import annotations

import warnings

import numpy as np

from retrade.errors import SpecificationError
from retrade.forecast.draft import Draft, ModelInput, z_quantile
from retrade.forecast.engine import ets

__all__ = ["ets", "sarimax"]


def sarimax(inp: ModelInput) -> Draft:
    """SARIMAX (regression on event steps with ARIMA errors), chosen by AICc."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    exog = inp.design.train if not inp.design.empty else None
    seasonal = (0, 1, 1, 12) if inp.season_length > 1 and len(inp.z) >= 36 else (0, 0, 0, 0)
    best, label = None, ""
    for order in ((0, 1, 1), (1, 1, 0)):
        # with d=1 statsmodels applies "c" to the differences: a drift; with seasonal
        # differencing as well it would be a quadratic trend in levels, so none then
        for trend in ("n", "c") if not seasonal[3] else ("n",):
            model = SARIMAX(inp.z, exog=exog, order=order, seasonal_order=seasonal, trend=trend)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = model.fit(disp=False, cov_type="none")  # no parameter SEs needed
            if np.isfinite(res.aicc) and (best is None or res.aicc < best.aicc):
                best, label = res, _sarimax_label(order, seasonal, trend, inp.design.names)
    best = _fitted(best, "SARIMAX", inp)
    fc = best.get_forecast(inp.horizon, exog=inp.design.future if exog is not None else None)
    mean = np.asarray(fc.predicted_mean, dtype=float)
    sd = np.sqrt(np.asarray(fc.var_pred_mean, dtype=float))
    bounds = {lv: (mean - z_quantile(lv) * sd, mean + z_quantile(lv) * sd) for lv in inp.levels}
    k_trend = best.model.k_trend
    coefs = np.asarray(best.params)[k_trend : k_trend + len(inp.design.names)]
    return Draft(mean, bounds, label, dict(zip(inp.design.names, map(float, coefs), strict=True)))


def _sarimax_label(order, seasonal, trend, names) -> str:
    text = f"SARIMAX{order}"
    if seasonal[3]:
        text += f"x{seasonal}"
    if trend == "c":
        text += " with drift"
    if names:
        text += f" + steps {list(names)}"
    return text


def _fitted(best, label: str, inp: ModelInput):
    if best is None:
        raise SpecificationError(
            f"no {label} candidate could be fitted to {len(inp.z)} observations (AICc undefined); "
            "use a longer series or model='naive'"
        )
    return best
