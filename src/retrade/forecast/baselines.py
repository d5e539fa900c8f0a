"""Naive and seasonal-naive forecasts: the baselines every model must beat.

Intervals are the closed forms for random walks (Hyndman and Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., section 5.5): with residual
standard deviation ``sigma`` of the one-step (or one-season) differences,

- naive: ``z_T +/- q * sigma * sqrt(h)``;
- seasonal naive with season length ``m``: ``z_{T+h-m(k+1)} +/- q * sigma * sqrt(k+1)``
  with ``k = floor((h-1)/m)``.

``sigma`` is the root mean square of the differences (no parameters are
estimated, so no degrees-of-freedom correction). Events are ignored: these
baselines have no regressors. statsforecast's ``Naive`` and ``SeasonalNaive``
compute exactly these (see :mod:`retrade.forecast.engine`).
"""

from __future__ import annotations

# statsforecast computes them (retrade.forecast.engine); the names stay importable from here
from retrade.forecast.engine import naive, snaive

__all__ = ["naive", "snaive"]
