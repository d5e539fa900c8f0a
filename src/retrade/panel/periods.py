"""Periods: one parser for every way retrade's users and tables write a period.

The panel writes periods as text, ``YYYY`` (annual) or ``YYYY-MM`` (monthly).
Users also have years as integers, pandas ``Period`` objects, and dates
(``Timestamp``, ``datetime64``, ``"2015-03-01"``). Everything is read here:

* :func:`parse_periods` gives a ``PeriodIndex`` of one frequency (annual
  periods have pandas frequency ``Y``, monthly ``M``), for series;
* :func:`period_ordinal` gives consecutive integers per period (annual: the
  year; monthly: ``12 * year + month - 1``) for whole panel columns, where
  annual and monthly rows may sit side by side;
* :func:`year_of`, :func:`decimal_time` and :func:`period_labels` are the other
  views the models need.

A date does not say whether it stands for a month or a year, so dates need a
``frequency`` ("A" or "M"), unless they come as a ``DatetimeIndex`` that
carries one (``pd.date_range(..., freq="MS")``). Text, integers and ``Period``
objects say their frequency themselves.

Parsing works on the distinct values of a column, so a panel of a million rows
with a few hundred periods costs a few hundred parses.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice

PANDAS_FREQ: dict[str, str] = {"A": "Y", "M": "M"}
_TEXT = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T].*)?$")


def _one(value: object) -> tuple[int, int, str]:
    """``(year, month, kind)`` of one period; kind is ``A`` (month 1), ``M`` or ``D`` (a date)."""
    if isinstance(value, pd.Period):
        kind = _kind_of_freq(value.freqstr)
        if kind == "A":
            return value.year, 1, "A"
        if kind == "M":
            return value.year, value.month, "M"
    elif isinstance(value, datetime | date | np.datetime64):
        stamp = pd.Timestamp(value)
        return stamp.year, stamp.month, "D"
    elif isinstance(value, int | np.integer | float | np.floating) and not isinstance(value, bool):
        if float(value).is_integer() and 1000 <= int(value) <= 9999:  # a year, maybe read as float
            return int(value), 1, "A"
    elif isinstance(value, str):
        text = value.strip()
        match = _TEXT.match(text)
        if match and (match.group(2) is None or 1 <= int(match.group(2)) <= 12):
            month = match.group(2)
            return int(match.group(1)), int(month or 1), "M" if month else "A"
        if _DATE.match(text):
            stamp = pd.Timestamp(text)
            return stamp.year, stamp.month, "D"
    raise SpecificationError(
        f"cannot read period {value!r}: expected YYYY or YYYY-MM text, a year, a pandas "
        "Period (annual or monthly) or a date")


def _kind_of_freq(freqstr: str | None) -> str | None:
    """``A`` or ``M`` for a pandas frequency string (``Y-DEC``, ``YS-JAN``, ``MS`` ...)."""
    base = (freqstr or "").split("-")[0].upper().rstrip("S").lstrip("0123456789")
    if base in ("Y", "A", "BY", "BA", "BYS", "BAS"):
        return "A"
    if base in ("M", "ME", "BM", "BME", "SM"):
        return "M"
    return None


def _parsed_uniques(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``codes`` (row -> distinct value) and the year, month and kind of each distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        raise SpecificationError(f"{int((codes < 0).sum())} period(s) are missing")
    parts = [_one(u) for u in np.asarray(uniques, dtype=object)]
    year = np.array([p[0] for p in parts], dtype=np.int64)
    month = np.array([p[1] for p in parts], dtype=np.int64)
    kind = np.array([p[2] for p in parts], dtype=object)
    return codes, year, month, kind


def period_ordinal(periods: pd.Series) -> pd.Series:
    """Consecutive integers for periods: ``YYYY`` -> year, ``YYYY-MM`` -> ``12*year + month-1``.

    Annual and monthly periods may be mixed (each row keeps its own frequency);
    dates count as months.

    Examples
    --------
    >>> period_ordinal(pd.Series(["2020", "2021-01", "2020-12"])).tolist()
    [2020, 24252, 24251]
    """
    series = periods if isinstance(periods, pd.Series) else pd.Series(periods)
    codes, year, month, kind = _parsed_uniques(series)
    ordinal = np.where(kind == "A", year, year * 12 + month - 1)
    return pd.Series(ordinal[codes], index=series.index, dtype="int64")


def ordinal_label(ordinal: pd.Series, frequency: pd.Series) -> pd.Series:
    """Period text of :func:`period_ordinal` values, row by row: ``A`` -> ``YYYY``, else
    ``YYYY-MM`` (the inverse of :func:`period_ordinal` on the panel's own text).

    Examples
    --------
    >>> ordinal_label(pd.Series([2020, 24252]), pd.Series(["A", "M"])).tolist()
    ['2020', '2021-01']
    """
    annual = ordinal.astype(str)
    monthly = (ordinal // 12).astype(str) + "-" + (ordinal % 12 + 1).astype(str).str.zfill(2)
    return annual.where(frequency == "A", monthly)


def ordinal_of(period: object) -> int:
    """:func:`period_ordinal` of one period (a year, a ``Period``, period text).

    Examples
    --------
    >>> ordinal_of(2015), ordinal_of(pd.Period("2015-03", "M"))
    (2015, 24182)
    """
    return int(period_ordinal(pd.Series([period], dtype=object)).iloc[0])


def year_of(periods: pd.Series) -> pd.Series:
    """Calendar year of each period (text, integers, ``Period`` objects or dates).

    Examples
    --------
    >>> year_of(pd.Series(["2020", "2021-03", 2022])).tolist()
    [2020, 2021, 2022]
    """
    series = periods if isinstance(periods, pd.Series) else pd.Series(periods)
    codes, year, _, _ = _parsed_uniques(series.astype(object))
    return pd.Series(year[codes], index=series.index, dtype="int64")


def parse_periods(values: object, frequency: choices.Frequency | None = None) -> pd.PeriodIndex:
    """A ``PeriodIndex`` of one frequency from periods written any of the accepted ways.

    Parameters
    ----------
    values : PeriodIndex, DatetimeIndex, Index, Series, array or list
        The periods.
    frequency : {"A", "M"}, optional
        Required for dates unless a ``DatetimeIndex`` carries its frequency;
        otherwise it must agree with what the periods say.

    Examples
    --------
    >>> parse_periods(["2015-03", "2015-04"])
    PeriodIndex(['2015-03', '2015-04'], dtype='period[M]')
    >>> parse_periods([2015, 2016]).strftime("%Y").tolist()
    ['2015', '2016']
    >>> parse_periods(pd.to_datetime(["2015-01-01", "2016-01-01"]), "A").year.tolist()
    [2015, 2016]
    """
    if frequency is not None:
        check_choice("frequency", frequency, choices.Frequency)
    if isinstance(values, pd.DatetimeIndex) and frequency is None:
        frequency = _kind_of_freq(values.freqstr)  # type: ignore[assignment]
    if isinstance(values, pd.PeriodIndex):
        said = _kind_of_freq(values.freqstr)
        if said is None:
            raise SpecificationError(f"periods of frequency {values.freqstr!r} are neither annual "
                                     "nor monthly")
        _check_agrees(said, frequency, values[0] if len(values) else None)
        return values.asfreq(PANDAS_FREQ[said])
    items = np.asarray(values, dtype=object)
    codes, year, month, kind = _parsed_uniques(pd.Series(items))
    said = set(kind.tolist())
    if "D" in said:
        if frequency is None:
            raise SpecificationError(
                "the periods are dates, which do not say whether they stand for months or "
                "years: pass frequency='A' or frequency='M'")
        kind = np.where(kind == "D", frequency, kind)
        said = set(kind.tolist())
    if len(said) > 1:
        raise SpecificationError("the periods mix annual (YYYY) and monthly (YYYY-MM) ones")
    found = said.pop() if said else (frequency or "A")
    _check_agrees(found, frequency, items[0] if len(items) else None)
    freq = PANDAS_FREQ[found]
    distinct = pd.PeriodIndex([pd.Period(year=int(y), month=int(m) if found == "M" else 1,
                                         freq=freq) for y, m in zip(year, month, strict=True)],
                              dtype=f"period[{freq}]")
    return distinct[codes]


def _check_agrees(found: str, frequency: str | None, example: object) -> None:
    if frequency is not None and found != frequency:
        word = {"A": "annual", "M": "monthly"}
        raise SpecificationError(
            f"period {example!r} is {word[found]}, but a {word[frequency]} series was asked for "
            f"(frequency={frequency!r})")


def frequency_of(index: pd.PeriodIndex) -> str:
    """``"A"`` or ``"M"`` for a PeriodIndex of :func:`parse_periods`."""
    kind = _kind_of_freq(index.freqstr)
    if kind is None:
        raise SpecificationError(f"periods of frequency {index.freqstr!r} are neither annual "
                                 "nor monthly")
    return kind


def period_labels(index: pd.PeriodIndex) -> tuple[str, ...]:
    """Period text as the panel writes it: ``2015`` or ``2015-03``.

    Examples
    --------
    >>> period_labels(parse_periods(["2015-03"]))
    ('2015-03',)
    """
    return tuple(index.strftime("%Y" if frequency_of(index) == "A" else "%Y-%m"))


def decimal_time(period: object) -> float:
    """Decimal year of a period: ``2015`` -> 2015.0, ``"2015-04"`` -> 2015.25 (a date: its month).

    Examples
    --------
    >>> decimal_time("2015-04"), decimal_time(2010)
    (2015.25, 2010.0)
    """
    year, month, _ = _one(period)
    return year + (month - 1) / 12


def decimal_years(index: pd.PeriodIndex) -> np.ndarray:
    """Decimal years of a PeriodIndex: ``year + (month - 1) / 12``."""
    return (index.year + (index.month - 1) / 12).to_numpy(dtype=float)


def consecutive_tail(values: pd.Series) -> pd.Series:
    """The longest run of consecutive periods that ends at the last one (index: periods).

    Examples
    --------
    >>> consecutive_tail(pd.Series([1.0, 2, 3, 4], index=["2004", "2010", "2011", "2012"])).size
    3
    """
    ordinal = period_ordinal(pd.Series(values.index, dtype=object)).to_numpy()
    breaks = np.nonzero(np.diff(ordinal) != 1)[0]
    start = int(breaks[-1]) + 1 if len(breaks) else 0
    return values.iloc[start:]
