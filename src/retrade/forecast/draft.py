"""What every model receives and returns, on the model (transformed) scale.

A model is a function ``(ModelInput) -> Draft``. It sees only the training
window (``z`` and ``periods``) and the periods to forecast, never the rest of
the series; :mod:`retrade.forecast.core` builds the input and turns the draft
into a :class:`~retrade.forecast.results.ForecastResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from retrade.forecast.events import Design


@dataclass(frozen=True)
class ModelInput:
    """The training window on the model scale and what to forecast."""

    z: np.ndarray
    periods: pd.DatetimeIndex
    future: pd.DatetimeIndex
    frequency: str
    levels: tuple[float, ...]
    design: Design
    seed: int = 0

    @property
    def horizon(self) -> int:
        """Number of periods to forecast."""
        return len(self.future)

    @property
    def season_length(self) -> int:
        """Periods per year."""
        return 12 if self.frequency == "M" else 1


@dataclass(frozen=True)
class Draft:
    """A forecast on the model scale: median and interval bounds per level.

    ``bounds[level] = (lower, upper)``, arrays of length horizon.
    ``effects`` maps event names to estimated step coefficients (model scale).
    """

    median: np.ndarray
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]
    spec: str
    effects: dict[str, float] = field(default_factory=dict)

    def shifted(self, shift: np.ndarray) -> Draft:
        """The same draft moved by ``shift`` (per horizon step) on the model scale."""
        bounds = {lv: (lo + shift, hi + shift) for lv, (lo, hi) in self.bounds.items()}
        return Draft(self.median + shift, bounds, self.spec, dict(self.effects))


def z_quantile(level: float) -> float:
    """Standard normal quantile for a central interval of coverage ``level``.

    Examples
    --------
    >>> round(z_quantile(0.95), 4)
    1.96
    """
    return float(norm.ppf(0.5 + level / 2.0))


def gaussian_draft(mean: np.ndarray, sd: np.ndarray, levels, spec: str, effects=None) -> Draft:
    """A draft from Gaussian forecast means and standard deviations."""
    bounds = {lv: (mean - z_quantile(lv) * sd, mean + z_quantile(lv) * sd) for lv in levels}
    return Draft(np.asarray(mean, dtype=float), bounds, spec, dict(effects or {}))


def draws_draft(draws: np.ndarray, levels, spec: str, effects=None) -> Draft:
    """A draft from simulated paths ``draws`` of shape (horizon, n_draws)."""
    bounds = {
        lv: (np.quantile(draws, 0.5 - lv / 2, axis=1), np.quantile(draws, 0.5 + lv / 2, axis=1))
        for lv in levels
    }
    return Draft(np.median(draws, axis=1), bounds, spec, dict(effects or {}))
