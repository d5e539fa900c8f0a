"""The series a forecast is made of: a tidy ``period, y`` table plus what the numbers are.

A :class:`Series` is explicit about everything a model needs to know and
nothing else: the frequency (annual or monthly), the kind of quantity (a share
in [0, 1] or a non-negative level), the transformation models work in, a name,
a unit and the series' role in the scenarios (China's share of an importer's
imports, China's exports, the overseas share of supply). It checks its data on
construction and never changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice

Frequency = choices.Frequency
Kind = choices.SeriesKind
TransformName = choices.SeriesTransform
Role = choices.Role

FREQUENCIES: tuple[str, ...] = choices.values(Frequency)
KINDS: tuple[str, ...] = choices.values(Kind)
TRANSFORMS: tuple[str, ...] = choices.values(TransformName)
ROLES: tuple[str, ...] = choices.values(Role)

_OFFSETS = {"A": pd.offsets.YearBegin(1), "M": pd.offsets.MonthBegin(1)}
PERIODS_PER_YEAR = {"A": 1, "M": 12}


@dataclass(frozen=True)
class Series:
    """One regular time series to forecast.

    Parameters
    ----------
    data : DataFrame
        Columns ``period`` (Timestamps at period start: 1 January for annual
        data, the first of the month for monthly data) and ``y``; one row per
        period, no gaps, no missing values. Stored as a sorted copy.
    frequency : {"A", "M"}
        Annual or monthly.
    kind : {"share", "level"}
        ``"share"``: a proportion in [0, 1]; ``"level"``: a non-negative amount.
    name : str
        Label carried into every output table (the ``series`` column).
    unit : str
        Unit of ``y`` (``"share"``, ``"kg"``, ``"USD"`` ...).
    role : {"china_share", "china_exports", "overseas_share", "other"}
        Which scenario adjustments apply to the series (see
        :mod:`retrade.forecast.scenarios`).
    transform : {"auto", "logit", "log", "log1p"}
        Scale the models work on; ``"auto"`` is ``logit`` for shares, ``log``
        for levels that are all positive and ``log1p`` otherwise.
    note : str
        Free text carried into summaries (e.g. "mirror data").

    Examples
    --------
    >>> import pandas as pd
    >>> s = Series(pd.DataFrame({"period": pd.date_range("2019", periods=3, freq="YS"),
    ...                          "y": [0.8, 0.75, 0.7]}), frequency="A", kind="share",
    ...            name="JPN compounds", unit="share")
    >>> s.n, s.resolved_transform, str(s.end.date())
    (3, 'logit', '2021-01-01')
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
        check_choice("frequency", self.frequency, FREQUENCIES)
        check_choice("kind", self.kind, KINDS)
        check_choice("role", self.role, ROLES)
        check_choice("transform", self.transform, TRANSFORMS)
        object.__setattr__(self, "data", _checked_data(self.data, self.frequency, self.name))
        _check_values(self.y, self.kind, self.resolved_transform, self.name)

    @property
    def periods(self) -> pd.DatetimeIndex:
        """The periods as a DatetimeIndex."""
        return pd.DatetimeIndex(self.data["period"])

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
        return "log" if bool((self.data["y"] > 0).all()) else "log1p"

    def future_periods(self, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` periods after the last observation."""
        return future_periods(self.end, horizon, self.frequency)

    def head(self, n: int) -> Series:
        """The series cut to its first ``n`` observations (same metadata)."""
        return self.replace_data(self.data.iloc[:n])

    def replace_data(self, data: pd.DataFrame) -> Series:
        """A series with other data and the same metadata."""
        return Series(
            data,
            self.frequency,
            self.kind,
            self.name,
            self.unit,
            self.role,
            self.transform,
            self.note,
        )


def future_periods(last: pd.Timestamp, horizon: int, frequency: str) -> pd.DatetimeIndex:
    """``horizon`` period starts following ``last``."""
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise SpecificationError(f"horizon={horizon!r} must be a positive integer")
    offset = _OFFSETS[frequency]
    return pd.DatetimeIndex([last + offset * (i + 1) for i in range(int(horizon))])


def _checked_data(data: pd.DataFrame, frequency: str, name: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame) or not {"period", "y"} <= set(data.columns):
        raise SpecificationError(f"series {name!r} needs a DataFrame with columns 'period' and 'y'")
    out = pd.DataFrame({"period": pd.to_datetime(data["period"]), "y": data["y"].astype(float)})
    out = out.sort_values("period").reset_index(drop=True)
    if out["period"].duplicated().any():
        dup = out.loc[out["period"].duplicated(), "period"].dt.date.tolist()
        raise SpecificationError(f"series {name!r} has duplicate periods {dup}")
    if len(out) < 3:
        raise SpecificationError(f"series {name!r} has {len(out)} observations; at least 3 needed")
    expected = pd.date_range(
        out["period"].iloc[0], periods=len(out), freq="YS" if frequency == "A" else "MS"
    )
    if not (pd.DatetimeIndex(out["period"]) == expected).all():
        odd = sorted(set(out["period"]) ^ set(expected))[:5]
        raise SpecificationError(
            f"series {name!r} is not a regular {frequency!r} series of period starts without gaps; "
            f"first mismatching periods: {[str(p.date()) for p in odd]}"
        )
    return out


def _check_values(y: np.ndarray, kind: str, transform: str, name: str) -> None:
    bad = ~np.isfinite(y)
    if bad.any():
        raise SpecificationError(
            f"series {name!r} has {int(bad.sum())} missing or infinite value(s)"
        )
    if kind == "share" and ((y < 0) | (y > 1)).any():
        raise SpecificationError(
            f"series {name!r} is a share but has values outside [0, 1]: "
            f"{y[(y < 0) | (y > 1)][:5].tolist()}"
        )
    if kind == "level" and (y < 0).any():
        raise SpecificationError(
            f"series {name!r} is a level but has negative values {y[y < 0][:5].tolist()}"
        )
    if (kind == "share") != (transform == "logit"):
        raise SpecificationError(
            f"transform {transform!r} does not suit a {kind!r} series "
            f"({name!r}): shares use 'logit', levels 'log' or 'log1p'"
        )
    if transform == "log" and (y <= 0).any():
        raise SpecificationError(f"series {name!r} has zeros; use transform='log1p'")


def as_series(data: pd.DataFrame | Series, **meta) -> Series:
    """A :class:`Series` from a Series (returned as is) or a DataFrame plus keywords.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"period": ["2020-01-01", "2020-02-01", "2020-03-01"], "y": [1, 2, 3]})
    >>> as_series(df, frequency="M", kind="level").resolved_transform
    'log'
    """
    if isinstance(data, Series):
        if meta:
            raise SpecificationError(f"got a Series and metadata keywords {sorted(meta)}; pass one")
        return data
    missing = [k for k in ("frequency", "kind") if k not in meta]
    if missing:
        raise SpecificationError(f"a DataFrame series needs the keyword(s) {missing}")
    return Series(data, **meta)
