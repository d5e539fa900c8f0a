"""One time series as the break and trend models see it: values, period labels, decimal time.

Accepted inputs are a numeric :class:`pandas.Series` indexed by years (``2015``),
period strings (``"2015"``, ``"2015-03"``), a ``PeriodIndex`` or a
``DatetimeIndex``. Decimal time is ``year + (month - 1) / 12``, so slopes are
per year whatever the frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade.errors import SpecificationError


@dataclass(frozen=True)
class SeriesParts:
    """A validated series: ``y`` values, ``labels`` (period text) and ``t`` (decimal years)."""

    y: np.ndarray
    labels: tuple[str, ...]
    t: np.ndarray
    name: str

    @property
    def n(self) -> int:
        return len(self.y)

    def locate(self, period: object) -> int:
        """Position of the first observation at or after ``period`` (a year or period label)."""
        when = decimal_time(period)
        later = np.nonzero(self.t >= when - 1e-9)[0]
        if len(later) == 0:
            raise SpecificationError(
                f"period {period!r} is after the series ends ({self.labels[-1]})"
            )
        return int(later[0])


def decimal_time(period: object) -> float:
    """Decimal year of a period: ``2015`` -> 2015.0, ``"2015-04"`` -> 2015.25.

    Examples
    --------
    >>> decimal_time("2015-04"), decimal_time(2010)
    (2015.25, 2010.0)
    """
    if isinstance(period, pd.Period):
        period = period.to_timestamp()
    if isinstance(period, pd.Timestamp):
        return period.year + (period.month - 1) / 12
    text = str(period).strip()
    try:
        if len(text) == 4:
            return float(int(text))
        if len(text) == 7 and text[4] == "-":
            return int(text[:4]) + (int(text[5:7]) - 1) / 12
    except ValueError:
        pass
    raise SpecificationError(f"cannot read period {period!r} (expected YYYY or YYYY-MM)")


def _label(period: object) -> str:
    if isinstance(period, pd.Period):
        return str(period.asfreq("M") if period.freqstr != "Y" else period)[:7]
    if isinstance(period, pd.Timestamp):
        return period.strftime("%Y-%m")
    return str(period)


def series_parts(series: pd.Series) -> SeriesParts:
    """Validate a series and split it into values, labels and decimal time.

    Raises :class:`~retrade.errors.SpecificationError` naming missing values or
    an unordered index.

    Examples
    --------
    >>> parts = series_parts(pd.Series([1.0, 2.0], index=["2020-01", "2020-02"]))
    >>> parts.labels, parts.t.round(3).tolist()
    (('2020-01', '2020-02'), [2020.0, 2020.083])
    """
    if not isinstance(series, pd.Series):
        raise SpecificationError(f"expected a pandas Series, got {type(series).__name__}")
    values = pd.to_numeric(series, errors="coerce").astype(float)
    labels = tuple(_label(p) for p in series.index)
    missing = [lab for lab, v in zip(labels, values, strict=True) if not np.isfinite(v)]
    if missing:
        raise SpecificationError(
            f"series {series.name!r} has missing or non-numeric values at {missing[:10]}; "
            "drop or fill them first"
        )
    t = np.array([decimal_time(p) for p in series.index], dtype=float)
    if len(t) > 1 and not np.all(np.diff(t) > 0):
        raise SpecificationError("series index must be strictly increasing periods")
    return SeriesParts(values.to_numpy(), labels, t, str(series.name or "y"))


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
