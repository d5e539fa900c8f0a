"""One time series: values by period plus what the numbers are, the input of every model.

A :class:`Series` holds a sorted ``period, y`` table (``period``: the
Timestamp at the start of each period) and says what it needs to be read
right: the frequency (annual or monthly), the kind of quantity (a ``share`` in
[0, 1], a non-negative ``level``, or any real ``value``), the scale models work
on, a name, a unit, its role in forecast scenarios and a note. It checks its
data on construction and never changes them.

:func:`as_series` makes one from what users have, and every function that
takes a series (forecasts, backtests, intervention analysis, break and trend
tests) goes through it:

* a ``pandas.Series`` indexed by a ``PeriodIndex``, a ``DatetimeIndex``, years
  or period text (``"2015"``, ``"2015-03"``);
* a ``DataFrame`` with ``ds`` and ``y`` (prophet's convention), ``period`` and
  ``value``, or ``period`` and ``y``;
* a :class:`Series` (returned as it is).

Periods are read by :mod:`retrade.panel.periods`: dates need ``frequency=``
unless a ``DatetimeIndex`` carries one. Without ``kind=`` the kind is read off
the values (all within [0, 1]: ``share``; all non-negative: ``level``;
otherwise ``value``) and the ``note`` says so.

A series may have gaps and missing values (the intervention analysis models
them as missing); :meth:`Series.require_regular` refuses both, for the
forecasts and the break tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.panel import periods as P

Frequency = choices.Frequency
Kind = choices.SeriesKind
TransformName = choices.SeriesTransform
Role = choices.Role

FREQUENCIES: tuple[str, ...] = choices.values(Frequency)
KINDS: tuple[str, ...] = choices.values(Kind)
TRANSFORMS: tuple[str, ...] = choices.values(TransformName)
ROLES: tuple[str, ...] = choices.values(Role)
PERIODS_PER_YEAR = {"A": 1, "M": 12}
_OFFSETS = {"A": pd.offsets.YearBegin(1), "M": pd.offsets.MonthBegin(1)}
MIN_OBS = 3
# the input layouts as_series reads: (period column, value column)
FRAME_LAYOUTS: tuple[tuple[str, str], ...] = (("ds", "y"), ("period", "value"), ("period", "y"))


@dataclass(frozen=True)
class Series:
    """One time series with what it measures.

    Parameters
    ----------
    data : DataFrame
        Columns ``period`` (any form :func:`retrade.panel.periods.parse_periods`
        reads; dates are taken as the period they fall in) and ``y``; one row
        per period. Stored as a sorted copy with period-start Timestamps.
    frequency : {"A", "M"}
        Annual or monthly.
    kind : {"share", "level", "value"}
        ``share``: a proportion in [0, 1]; ``level``: a non-negative amount;
        ``value``: any real number (an index, a change).
    name : str
        Label carried into every output table (the ``series`` column).
    unit : str
        Unit of ``y`` (``"share"``, ``"kg"``, ``"USD"`` ...).
    role : {"china_share", "china_exports", "overseas_share", "other"}
        Which scenario adjustments apply to the series (see
        :mod:`retrade.forecast.scenarios`).
    transform : {"auto", "logit", "log", "log1p", "none"}
        Scale the forecast models work on; ``"auto"`` is ``logit`` for shares,
        ``log`` for levels that are all positive, ``log1p`` for other levels and
        ``none`` for values.
    note : str
        Free text carried into summaries (e.g. "mirror data").

    Examples
    --------
    >>> s = Series(pd.DataFrame({"period": ["2019", "2020", "2021"], "y": [0.8, 0.75, 0.7]}),
    ...            frequency="A", kind="share", name="JPN compounds", unit="share")
    >>> s.n, s.resolved_transform, str(s.end.date()), s.labels
    (3, 'logit', '2021-01-01', ('2019', '2020', '2021'))
    """

    data: pd.DataFrame = field(repr=False)
    frequency: Frequency
    kind: Kind
    name: str = "y"
    unit: str = ""
    role: Role = "other"
    transform: TransformName = "auto"
    note: str = ""

    def __post_init__(self) -> None:
        check_choice("frequency", self.frequency, Frequency)
        check_choice("kind", self.kind, Kind)
        check_choice("role", self.role, Role)
        check_choice("transform", self.transform, TransformName)
        object.__setattr__(self, "data", _checked_data(self.data, self.frequency, self.name))
        _check_values(self.y, self.kind, self.resolved_transform, self.name)

    def __repr__(self) -> str:
        return (f"<Series {self.name!r}: {self.kind}, {self.n} {self.frequency} periods "
                f"{self.labels[0]}..{self.labels[-1]}>")

    @property
    def periods(self) -> pd.DatetimeIndex:
        """The periods as a DatetimeIndex of period starts."""
        return pd.DatetimeIndex(self.data["period"])

    @property
    def period_index(self) -> pd.PeriodIndex:
        """The periods as a PeriodIndex (frequency ``Y`` or ``M``)."""
        return self.periods.to_period(P.PANDAS_FREQ[self.frequency])

    @property
    def labels(self) -> tuple[str, ...]:
        """The periods as the panel writes them: ``2015`` or ``2015-03``."""
        return P.period_labels(self.period_index)

    @property
    def t(self) -> np.ndarray:
        """Decimal years ``year + (month - 1) / 12`` (slopes per year at any frequency)."""
        return P.decimal_years(self.period_index)

    @property
    def y(self) -> np.ndarray:
        """The values as a float array (a copy)."""
        return self.data["y"].to_numpy(dtype=float).copy()

    @property
    def n(self) -> int:
        """Number of observations."""
        return len(self.data)

    @property
    def start(self) -> pd.Timestamp:
        """First period."""
        return self.periods[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last period."""
        return self.periods[-1]

    @property
    def season_length(self) -> int:
        """Periods per year (1 annual, 12 monthly)."""
        return PERIODS_PER_YEAR[self.frequency]

    @property
    def resolved_transform(self) -> str:
        """The transformation actually used (``"auto"`` resolved)."""
        if self.transform != "auto":
            return self.transform
        if self.kind == "share":
            return "logit"
        if self.kind == "value":
            return "none"
        return "log" if bool((self.data["y"] > 0).all()) else "log1p"

    @property
    def gaps(self) -> pd.DatetimeIndex:
        """Periods missing between the first and the last one."""
        full = pd.date_range(self.start, self.end, freq="YS" if self.frequency == "A" else "MS")
        return full.difference(self.periods)

    def to_pandas(self) -> pd.Series:
        """The values as a ``pandas.Series`` on a PeriodIndex, named :attr:`name`."""
        return pd.Series(self.y, index=self.period_index, name=self.name)

    def require_regular(self) -> Series:
        """This series if it has no gap and no missing value; else a ``SpecificationError``.

        Forecasts and the break and trend tests need both.
        """
        bad = ~np.isfinite(self.y)
        if bad.any():
            where = [self.labels[i] for i in np.nonzero(bad)[0][:10]]
            raise SpecificationError(
                f"series {self.name!r} has {int(bad.sum())} missing or infinite value(s), at "
                f"{where}; drop or fill them first")
        if len(self.gaps):
            raise SpecificationError(
                f"series {self.name!r} is not a regular {self.frequency!r} series of period "
                f"starts without gaps; first mismatching periods: "
                f"{[str(p.date()) for p in self.gaps[:5]]}")
        return self

    def locate(self, period: object) -> int:
        """Position of the first observation at or after ``period`` (a year or period label)."""
        when = P.decimal_time(period)
        later = np.nonzero(self.t >= when - 1e-9)[0]
        if len(later) == 0:
            raise SpecificationError(
                f"period {period!r} is after the series ends ({self.labels[-1]})")
        return int(later[0])

    def future_periods(self, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` periods after the last observation."""
        return future_periods(self.end, horizon, self.frequency)

    def head(self, n: int) -> Series:
        """The series cut to its first ``n`` observations (same metadata)."""
        return self.replace_data(self.data.iloc[:n])

    def replace_data(self, data: pd.DataFrame) -> Series:
        """A series with other data and the same metadata."""
        return Series(data, self.frequency, self.kind, self.name, self.unit, self.role,
                      self.transform, self.note)


def future_periods(last: pd.Timestamp, horizon: int, frequency: str) -> pd.DatetimeIndex:
    """``horizon`` period starts following ``last``."""
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise SpecificationError(f"horizon={horizon!r} must be a positive integer")
    offset = _OFFSETS[frequency]
    return pd.DatetimeIndex([last + offset * (i + 1) for i in range(int(horizon))])


def _checked_data(data: pd.DataFrame, frequency: str, name: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame) or not {"period", "y"} <= set(data.columns):
        raise SpecificationError(f"series {name!r} needs a DataFrame with columns 'period' and 'y'")
    index = P.parse_periods(data["period"], frequency)
    out = pd.DataFrame({"period": index.to_timestamp(),
                        "y": _numbers(data["y"], name)}).sort_values("period")
    out = out.reset_index(drop=True)
    if out["period"].duplicated().any():
        dup = out.loc[out["period"].duplicated(), "period"].dt.date.tolist()
        raise SpecificationError(f"series {name!r} has duplicate periods {dup}")
    if len(out) < MIN_OBS:
        raise SpecificationError(
            f"series {name!r} has {len(out)} observations; at least {MIN_OBS} needed")
    return out


def _numbers(values: pd.Series, name: str) -> np.ndarray:
    """Values as floats; text that is not a number is an error naming it (blanks are missing)."""
    numbers = pd.to_numeric(values, errors="coerce")
    junk = values[numbers.isna() & values.notna()]
    junk = junk[junk.astype(str).str.strip() != ""]
    if len(junk):
        raise SpecificationError(
            f"series {name!r} has values that are not numbers: {junk.astype(str).tolist()[:5]}")
    return numbers.to_numpy(dtype=float)


def _check_values(y: np.ndarray, kind: str, transform: str, name: str) -> None:
    finite = y[np.isfinite(y)]
    if kind == "share" and ((finite < 0) | (finite > 1)).any():
        raise SpecificationError(
            f"series {name!r} is a share but has values outside [0, 1]: "
            f"{finite[(finite < 0) | (finite > 1)][:5].tolist()}")
    if kind == "level" and (finite < 0).any():
        raise SpecificationError(
            f"series {name!r} is a level but has negative values {finite[finite < 0][:5].tolist()}")
    suits = {"share": ("logit",), "level": ("log", "log1p"), "value": ("none",)}[kind]
    if transform not in suits:
        raise SpecificationError(
            f"transform {transform!r} does not suit a {kind!r} series ({name!r}): shares use "
            "'logit', levels 'log' or 'log1p', values 'none'")
    if transform == "log" and (finite <= 0).any():
        raise SpecificationError(f"series {name!r} has zeros; use transform='log1p'")


_META = ("frequency", "kind", "name", "unit", "role", "transform", "note")


def as_series(data: object, **meta) -> Series:
    """A :class:`Series` from what users have (see the module docstring), plus metadata.

    Keywords are those of :class:`Series`; ``frequency`` and ``kind`` are read
    off the data when they can be.

    Examples
    --------
    >>> s = as_series(pd.Series([1.0, 2, 3], index=pd.period_range("2020-01", periods=3,
    ...                                                            freq="M"), name="exports"))
    >>> s.frequency, s.kind, s.name, s.resolved_transform
    ('M', 'level', 'exports', 'log')
    >>> as_series(pd.DataFrame({"ds": pd.date_range("2020", periods=3, freq="YS"),
    ...                         "y": [.5, .4, .3]}), frequency="A").kind
    'share'
    """
    unknown = sorted(set(meta) - set(_META))
    if unknown:
        raise TypeError(f"as_series() got unexpected keyword(s) {unknown}")
    if isinstance(data, Series):
        if meta:
            raise SpecificationError(f"got a Series and metadata keywords {sorted(meta)}; pass one")
        return data
    periods, values, label = _columns(data)
    index = P.parse_periods(periods, meta.get("frequency"))
    frequency = meta.pop("frequency", None) or P.frequency_of(index)
    name = meta.pop("name", None) or label or "y"
    y = _numbers(pd.Series(values), str(name))
    if meta.get("kind") is None:
        meta["kind"], said = _kind_of(y)
        meta["note"] = "; ".join(n for n in (meta.get("note", ""), said) if n)
    frame = pd.DataFrame({"period": index.to_timestamp(), "y": y})
    return Series(frame, frequency, name=str(name), **meta)


def _columns(data: object) -> tuple[object, object, object]:
    """``(periods, values, name)`` of a pandas Series or of a DataFrame in one of the layouts."""
    if isinstance(data, pd.Series):
        return data.index, data.to_numpy(), data.name
    if isinstance(data, pd.DataFrame):
        for period, value in FRAME_LAYOUTS:
            if {period, value} <= set(data.columns):
                column = data[period]
                periods = (pd.PeriodIndex(column) if isinstance(column.dtype, pd.PeriodDtype)
                           else column.to_numpy(dtype=object))
                return periods, data[value].to_numpy(), None
        raise SpecificationError(
            f"a DataFrame series needs the columns ds and y, period and value, or period and y; "
            f"it has {list(data.columns)[:8]}")
    raise SpecificationError(
        f"expected a pandas Series, a DataFrame or a retrade Series, got {type(data).__name__}")


def _kind_of(y: np.ndarray) -> tuple[str, str]:
    finite = y[np.isfinite(y)]
    if len(finite) and ((finite >= 0) & (finite <= 1)).all():
        return "share", "kind 'share' read off the values (all within [0, 1]); pass kind= to choose"
    return ("level" if (finite >= 0).all() else "value"), ""
