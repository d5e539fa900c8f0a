"""Linear trend regressions with Newey-West (1987) HAC standard errors.

``y_t = a + b (t - t_0) + sum_j [c_j D_j(t) + d_j D_j(t) (t - s_j)] + e_t`` where
``D_j`` is 1 from break date ``s_j`` on: with no dates it is a plain trend; with
dates, a broken trend whose level and slope may change at each date (the slope
in regime ``j`` is ``b + d_1 + ... + d_j``). Time is in decimal years, so slopes
are per year at any frequency. Errors: Bartlett-kernel HAC with the small-sample
correction, lags ``floor(4 (n/100)^(2/9))`` (Newey and West 1994) unless given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from retrade.errors import SpecificationError, require
from retrade.models.breaks import _axes, _hac_lags
from retrade.models.timeseries import series_parts
from retrade.panel.series import Series
from retrade.results import COEFFICIENT_COLUMNS, Result, Summary, tidy_frame


@dataclass(frozen=True)
class TrendResult(Result):
    """A (broken) linear trend with HAC inference; regime slopes as linear combinations.

    ``tidy()`` has the coefficient columns: ``const``, ``slope``, then
    ``shift@<date>`` and ``slope_change@<date>`` per break, then the slope of
    each regime (``slope[<start>..<end>]``, per year).
    """

    series: Series
    breaks: tuple[str, ...]
    maxlags: int
    level: float
    coefficients: pd.DataFrame  # tidy rows: const, slope, shift@s, slope_change@s
    regime_slopes: pd.DataFrame  # tidy rows: slope[<start>..<end>]
    fitted: pd.Series
    n: int

    tidy_columns: ClassVar[tuple[str, ...]] = COEFFICIENT_COLUMNS

    def tidy(self) -> pd.DataFrame:
        """Coefficients, then the slope of each regime (per year)."""
        return tidy_frame([*self.coefficients.to_dict("records"),
                           *self.regime_slopes.to_dict("records")])

    def metadata(self) -> dict[str, object]:
        """The series, N, break dates, HAC lags and interval level."""
        return {"model": "linear trend, Newey-West (1987) HAC errors", "outcome": self.series.name,
                "n_obs": self.n, "breaks": self.breaks, "maxlags": self.maxlags,
                "level": self.level, "vcov": f"HAC (Bartlett kernel, {self.maxlags} lags)",
                "sample": f"{self.series.labels[0]}..{self.series.labels[-1]}"}

    def summary(self) -> Summary:
        """The coefficients and regime slopes with the HAC lags and break dates."""
        cols = ["term", "estimate", "std_error", "p_value", "conf_low", "conf_high"]
        meta = [("series", self.series.name), ("N", self.n),
                ("periods", self.metadata()["sample"]), ("HAC lags", self.maxlags),
                ("breaks", ", ".join(self.breaks) or "none"),
                ("intervals", f"{self.level:.0%}")]
        return Summary("Linear trend with Newey-West HAC errors", meta, self.tidy()[cols])

    def _describe(self) -> str:
        return (f"linear trend of {self.series.name!r}, n={self.n}"
                + (f", breaks at {', '.join(self.breaks)}" if self.breaks else ""))

    def plot(self, ax=None):
        """Series and fitted (broken) trend; returns the Axes."""
        ax = _axes(ax)
        parts = self.series
        ax.plot(parts.t, parts.y, marker="o", ms=3, color="0.2", label=parts.name)
        ax.plot(parts.t, self.fitted.to_numpy(), color="C0", lw=2, label="trend (HAC)")
        for lab in self.breaks:
            ax.axvline(parts.t[parts.locate(lab)], color="0.5", ls=":")
        ax.legend(fontsize=8)
        ax.set_title("Trend regression, Newey-West (1987) errors")
        return ax


def _trend_design(t: np.ndarray, starts: list[int]) -> tuple[np.ndarray, list[str]]:
    labels_t = t - t[0]
    columns, names = [np.ones_like(t), labels_t], ["const", "slope"]
    for i in starts:
        step = (np.arange(len(t)) >= i).astype(float)
        columns += [step, step * (t - t[i])]
        names += ["shift", "slope_change"]
    return np.column_stack(columns), names


def hac_trend(
    series: pd.Series | pd.DataFrame | Series, *, breaks: tuple[object, ...] = (),
    maxlags: int | None = None, level: float = 0.95,
) -> TrendResult:
    """Fit a (broken) linear trend with Newey-West (1987) HAC errors.

    Parameters
    ----------
    series : pandas.Series, DataFrame or Series
        Values indexed by year or ``YYYY-MM`` period (any form
        :func:`retrade.models.timeseries.series_parts` reads).
    breaks : tuple
        Dates where level and slope may change (first period of each new regime).
    maxlags : int, optional
        Bartlett kernel lags; default ``floor(4 (n/100)^(2/9))``.
    level : float
        Confidence level of the intervals.

    Examples
    --------
    >>> s = pd.Series([0.9, 0.8, 0.72, 0.61, 0.5, 0.41, 0.3], index=range(2018, 2025))
    >>> res = hac_trend(s)
    >>> round(float(res.tidy().set_index("term").loc["slope", "estimate"]), 3)
    -0.1
    """
    sm = require("statsmodels.api", "models")
    parts = series_parts(series)
    starts = sorted({parts.locate(b) for b in breaks})
    if any(i < 2 for i in starts) or any(np.diff([*starts, parts.n]) < 2):
        raise SpecificationError(f"breaks {list(breaks)} leave a regime shorter than 2 "
                                 f"observations in a series of {parts.n}")
    x, names = _trend_design(parts.t, starts)
    if parts.n <= x.shape[1]:
        raise SpecificationError(f"{parts.n} observations cannot identify {x.shape[1]} trend "
                                 "coefficients")
    lags = _hac_lags(parts.n, maxlags)
    fit = sm.OLS(parts.y, x).fit(cov_type="HAC", use_t=True,
                                 cov_kwds={"maxlags": lags, "use_correction": True})
    labels = [parts.labels[i] for i in starts]
    terms = names[:2] + [f"{nm}@{labels[j // 2]}" for j, nm in enumerate(names[2:])]
    return TrendResult(parts, tuple(labels), lags, level, _coef_rows(fit, terms, level),
                       _regime_slopes(fit, parts, starts, level),
                       pd.Series(fit.fittedvalues, index=parts.period_index), parts.n)


def _coef_rows(fit, terms: list[str], level: float) -> pd.DataFrame:
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    return tidy_frame({"term": term, "estimate": fit.params[j], "std_error": fit.bse[j],
                       "statistic": fit.tvalues[j], "p_value": fit.pvalues[j],
                       "conf_low": ci[j, 0], "conf_high": ci[j, 1]}
                      for j, term in enumerate(terms))


def _regime_slopes(fit, parts, starts: list[int], level: float) -> pd.DataFrame:
    edges = [0, *starts, parts.n]
    rows = []
    for r in range(len(edges) - 1):
        weights = np.zeros(len(fit.params))
        weights[1] = 1.0
        for j in range(r):
            weights[3 + 2 * j] = 1.0
        test = fit.t_test(weights)
        ci = np.asarray(test.conf_int(alpha=1 - level)).ravel()
        rows.append({"term": f"slope[{parts.labels[edges[r]]}..{parts.labels[edges[r + 1] - 1]}]",
                     "estimate": float(np.squeeze(test.effect)),
                     "std_error": float(np.squeeze(test.sd)),
                     "statistic": float(np.squeeze(test.tvalue)),
                     "p_value": float(np.squeeze(test.pvalue)),
                     "conf_low": ci[0], "conf_high": ci[1]})
    return tidy_frame(rows)
