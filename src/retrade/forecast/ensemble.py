"""Combining member forecasts: a weighted mean of their quantiles on the model scale.

The ensemble's median and each interval bound are the weighted means of the
members' medians and bounds on the model scale (quantile averaging, also
called Vincentization; Lichtendahl, Grushka-Cockayne and Winkler 2013,
"Is it better to average probabilities or quantiles?"). Then they are
back-transformed like any other forecast. This is not the quantile function
of the mixture of the members' distributions: when members disagree about the
centre, averaged quantiles are narrower than the mixture's, and the ensemble's
coverage should be read from a backtest, not assumed.

Weights are equal unless given (for example from a backtest, see
:func:`retrade.forecast.backtest.ModelChoice.weights`); they are normalised
to sum to one. An event's estimated effect on the ensemble is the weighted sum
of the members' effects (zero for members without regressors), which is
exactly how far the averaged quantiles move when the step is switched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrade.errors import SpecificationError
from retrade.forecast.draft import Draft


def normalised_weights(members: Sequence[str], weights: Sequence[float] | None) -> np.ndarray:
    """Weights as an array summing to one; equal when ``weights`` is None.

    Examples
    --------
    >>> normalised_weights(["naive", "ets"], [1, 3]).tolist()
    [0.25, 0.75]
    """
    if weights is None:
        return np.full(len(members), 1.0 / len(members))
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(members),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise SpecificationError(
            f"weights={list(weights)} must be {len(members)} non-negative numbers, not all zero, "
            f"one per member {list(members)}"
        )
    return w / w.sum()


def combine(drafts: Sequence[Draft], weights: np.ndarray, members: Sequence[str]) -> Draft:
    """Weighted mean of the members' model-scale quantiles."""
    median = sum(w * d.median for w, d in zip(weights, drafts, strict=True))
    bounds = {}
    for lv in drafts[0].bounds:
        lo = sum(w * d.bounds[lv][0] for w, d in zip(weights, drafts, strict=True))
        hi = sum(w * d.bounds[lv][1] for w, d in zip(weights, drafts, strict=True))
        bounds[lv] = (lo, hi)
    names = {name for d in drafts for name in d.effects}
    effects = {
        name: float(sum(w * d.effects.get(name, 0.0) for w, d in zip(weights, drafts, strict=True)))
        for name in sorted(names)
    }
    parts = ", ".join(f"{m} {w:.2f}" for m, w in zip(members, weights, strict=True))
    return Draft(np.asarray(median), bounds, f"ensemble (quantile average: {parts})", effects)
