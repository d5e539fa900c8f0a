"""Forecasts of rare-earth trade shares and volumes with honest prediction intervals.

>>> import pandas as pd
>>> from retrade import forecast as fc
>>> df = pd.DataFrame({"period": pd.date_range("2012", periods=12, freq="YS"),
...                    "y": [.9, .88, .9, .85, .86, .8, .82, .79, .8, .76, .75, .74]})
>>> s = fc.Series(df, frequency="A", kind="share", name="JPN compounds", role="china_share")
>>> res = fc.forecast_series(s, model="ets", horizon=4)
>>> list(res.tidy().columns)
['period', 'yhat', 'yhat_lower', 'yhat_upper', 'level', 'model', 'series']

The series type is :class:`retrade.panel.series.Series` (re-exported here).
Modules: :mod:`~retrade.forecast.core`
(``forecast_series``), :mod:`~retrade.forecast.backtest` and :mod:`~retrade.forecast.selection`
(rolling-origin scores and the model choice), :mod:`~retrade.forecast.scenarios`,
:mod:`retrade.panel.china` (the builders ``china_import_share`` and ``china_exports``,
re-exported here).
"""

from retrade.forecast.backtest import BacktestResult, backtest, rolling_origins
from retrade.forecast.core import MODELS, forecast_series
from retrade.forecast.results import ForecastResult
from retrade.forecast.scenarios import (
    DEFAULT_SCENARIOS,
    Adjustment,
    Scenario,
    ScenarioResult,
    apply_scenarios,
)
from retrade.forecast.selection import ModelChoice, select_model
from retrade.forecast.transform import SHARE_EPS
from retrade.panel.china import china_exports, china_import_share
from retrade.panel.series import Series, as_series

__all__ = [
    "DEFAULT_SCENARIOS",
    "MODELS",
    "SHARE_EPS",
    "Adjustment",
    "BacktestResult",
    "ForecastResult",
    "ModelChoice",
    "Scenario",
    "ScenarioResult",
    "Series",
    "apply_scenarios",
    "as_series",
    "backtest",
    "china_exports",
    "china_import_share",
    "forecast_series",
    "rolling_origins",
    "select_model",
]
