"""The scales models work on, and the way back.

Shares are modelled on the logit scale, levels on the log (or log1p) scale, so
that every back-transformed forecast respects its bounds: a share stays in
[0, 1], a level stays non-negative.

Back-transformation maps quantiles, not means. The transformations are
monotone increasing, so the q-quantile of the back-transformed forecast is
the back-transform of the q-quantile on the model scale. Interval bounds map
exactly; the point forecast returned (``yhat``) is the back-transformed
median of the model-scale forecast, i.e. the **median** on the original scale,
not the mean (which would need a bias adjustment and is not reported).

Shares of exactly 0 or 1 have no logit; they are clipped to
``[SHARE_EPS, 1 - SHARE_EPS]`` (``SHARE_EPS = 1e-4``, a hundredth of a
percentage point) before the transform. log1p back-transforms are floored at 0
(``max(expm1(z), 0)``, still monotone, so quantiles still map).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from retrade.errors import ConfigError

SHARE_EPS = 1e-4


def forward(y: np.ndarray, name: str) -> np.ndarray:
    """Original scale -> model scale.

    Examples
    --------
    >>> forward(np.array([0.5, 0.0]), "logit").round(3).tolist()
    [0.0, -9.21]
    """
    y = np.asarray(y, dtype=float)
    if name == "logit":
        return logit(np.clip(y, SHARE_EPS, 1.0 - SHARE_EPS))
    if name == "log":
        return np.log(y)
    if name == "log1p":
        return np.log1p(y)
    raise ConfigError(f"unknown transform {name!r}; allowed: ['logit', 'log', 'log1p']")


def inverse(z: np.ndarray, name: str) -> np.ndarray:
    """Model scale -> original scale (monotone, so quantiles map to quantiles).

    Examples
    --------
    >>> inverse(forward(np.array([0.2, 0.9]), "logit"), "logit").round(12).tolist()
    [0.2, 0.9]
    """
    z = np.asarray(z, dtype=float)
    if name == "logit":
        return expit(z)
    if name == "log":
        return np.exp(z)
    if name == "log1p":
        return np.maximum(np.expm1(z), 0.0)
    raise ConfigError(f"unknown transform {name!r}; allowed: ['logit', 'log', 'log1p']")


def describe(name: str) -> str:
    """A short label such as ``logit(y)`` for summaries."""
    return f"{name}(y)"
