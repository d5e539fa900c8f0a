"""Naive and seasonal-naive forecasts: the baselines every model must beat.

Intervals are the closed forms for random walks (Hyndman and Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., section 5.5): with residual
standard deviation ``sigma`` of the one-step (or one-season) differences,

- naive: ``z_T +/- q * sigma * sqrt(h)``;
- seasonal naive with season length ``m``: ``z_{T+h-m(k+1)} +/- q * sigma * sqrt(k+1)``
  with ``k = floor((h-1)/m)``.

``sigma`` is the root mean square of the differences (no parameters are
estimated, so no degrees-of-freedom correction). Events are ignored: these
baselines have no regressors.
"""

from __future__ import annotations

import numpy as np

from retrade.errors import SpecificationError
from retrade.forecast.draft import Draft, ModelInput, gaussian_draft


def naive(inp: ModelInput) -> Draft:
    """Random-walk forecast: the last value, with intervals growing like ``sqrt(h)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from retrade.forecast.events import design
    >>> p = pd.date_range("2000", periods=4, freq="YS")
    >>> f = pd.date_range("2004", periods=2, freq="YS")
    >>> inp = ModelInput(np.array([0.0, 1.0, 0.0, 1.0]), p, f, "A", (0.8,), design(None, p, f, "A"))
    >>> naive(inp).median.tolist()
    [1.0, 1.0]
    """
    sigma = _rms(np.diff(inp.z))
    h = np.arange(1, inp.horizon + 1)
    mean = np.full(inp.horizon, inp.z[-1])
    return gaussian_draft(mean, sigma * np.sqrt(h), inp.levels, "naive (random walk)")


def snaive(inp: ModelInput) -> Draft:
    """Seasonal random walk: the value one season earlier (monthly series only)."""
    m = inp.season_length
    if m == 1:
        raise SpecificationError(
            "model='snaive' needs a monthly series; use 'naive' for annual data"
        )
    if len(inp.z) < 2 * m:
        raise SpecificationError(
            f"model='snaive' needs at least {2 * m} observations, got {len(inp.z)}"
        )
    sigma = _rms(inp.z[m:] - inp.z[:-m])
    h = np.arange(1, inp.horizon + 1)
    k = (h - 1) // m
    mean = inp.z[len(inp.z) - m + (h - 1) % m]
    return gaussian_draft(mean, sigma * np.sqrt(k + 1), inp.levels, f"seasonal naive (m={m})")


def _rms(e: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(e))))
