"""One time series as the break and trend models see it, and their least-squares pieces.

:func:`series_parts` reads a series through :func:`retrade.panel.series.as_series`
(a ``pandas.Series`` indexed by years, period text, a ``PeriodIndex`` or a
``DatetimeIndex``; a ``ds``/``y`` or ``period``/``value`` DataFrame; a retrade
Series) and refuses missing values. Its ``t`` is decimal time,
``year + (month - 1) / 12``, so slopes are per year whatever the frequency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retrade.errors import SpecificationError
from retrade.panel.periods import decimal_time
from retrade.panel.series import Series, as_series

__all__ = ["decimal_time", "design", "ols_ssr", "series_parts"]


def series_parts(series: object) -> Series:
    """The series as a checked :class:`~retrade.panel.series.Series` (gaps allowed).

    Dates without a frequency (a ``DatetimeIndex`` that carries none) are read
    as months. Raises :class:`~retrade.errors.SpecificationError` naming missing
    values.

    Examples
    --------
    >>> parts = series_parts(pd.Series([1.0, 2.0, 4.0], index=["2020-01", "2020-02", "2020-04"]))
    >>> parts.labels, parts.t.round(3).tolist()
    (('2020-01', '2020-02', '2020-04'), [2020.0, 2020.083, 2020.25])
    """
    if isinstance(series, pd.Series) and isinstance(series.index, pd.DatetimeIndex) \
            and series.index.freq is None:
        series = as_series(series, frequency="M")
    parts = as_series(series)
    bad = ~np.isfinite(parts.y)
    if bad.any():
        raise SpecificationError(
            f"series {parts.name!r} has missing or non-numeric values at "
            f"{[parts.labels[i] for i in np.nonzero(bad)[0][:10]]}; drop or fill them first")
    return parts


def design(t: np.ndarray, model: str) -> np.ndarray:
    """Regressors of one regime: a constant (``mean``) or a constant and time (``trend``)."""
    if model == "mean":
        return np.ones((len(t), 1))
    return np.column_stack([np.ones(len(t)), t - t[0] if len(t) else t])


def ols_ssr(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares coefficients and the sum of squared residuals."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    return beta, float(resid @ resid)
