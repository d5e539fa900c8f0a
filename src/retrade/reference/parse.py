"""Parse published values and dates as they are written in reference tables and USGS files.

Published numbers come with marks: ``">95"``, ``"<60"``, ``"~80"``, ``"60-70"``,
``"7,900"``, ``"E"`` (estimated) or ``"W"`` (withheld). These functions keep the
mark as data instead of dropping the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*(?:-|–|to)\s*({_NUMBER})\s*$")
_QUALIFIED = re.compile(rf"^\s*(>=|<=|>|<|~|≈|≥|≤)?\s*({_NUMBER})\s*(%)?\s*$")


@dataclass(frozen=True)
class ParsedValue:
    """A published value: point (or midpoint), bounds, and the qualifier as written."""

    num: float
    low: float
    high: float
    qualifier: str


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


def parse_value(text: object) -> ParsedValue:
    """Parse one published value.

    Examples
    --------
    >>> parse_value(">95")
    ParsedValue(num=95.0, low=95.0, high=inf, qualifier='>')
    >>> parse_value("60-70")
    ParsedValue(num=65.0, low=60.0, high=70.0, qualifier='range')
    >>> parse_value("7,900").num
    7900.0
    >>> parse_value("US$250m").qualifier
    'text'
    """
    nan = float("nan")
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ParsedValue(nan, nan, nan, "missing")
    s = str(text).strip()
    if not s:
        return ParsedValue(nan, nan, nan, "missing")
    if match := _RANGE.match(s):
        low, high = _to_float(match.group(1)), _to_float(match.group(2))
        return ParsedValue((low + high) / 2, low, high, "range")
    if match := _QUALIFIED.match(s):
        mark = {"≥": ">=", "≤": "<=", "≈": "~"}.get(match.group(1) or "", match.group(1) or "")
        value = _to_float(match.group(2))
        low = value if mark in ("", "~", ">", ">=") else -np.inf
        high = value if mark in ("", "~", "<", "<=") else np.inf
        return ParsedValue(value, low, high, mark or "exact")
    return ParsedValue(nan, nan, nan, "text")


def parse_value_column(values: pd.Series) -> pd.DataFrame:
    """Parse published values into ``value_num, value_low, value_high, value_qualifier``."""
    parsed = [parse_value(v) for v in values]
    return pd.DataFrame(
        {
            "value_num": [p.num for p in parsed],
            "value_low": [p.low for p in parsed],
            "value_high": [p.high for p in parsed],
            "value_qualifier": [p.qualifier for p in parsed],
        },
        index=values.index,
    )


def parse_date(text: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """Start, end and precision of a date written as a year, month, half-year, day or year range.

    Examples
    --------
    >>> [str(x.date()) if hasattr(x, "date") else x for x in parse_date("2009-H2")]
    ['2009-07-01', '2009-12-31', 'half']
    >>> parse_date("2025-04-04")[2]
    'day'
    """
    s = str(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        day = pd.Timestamp(s)
        return day, day, "day"
    if re.fullmatch(r"\d{4}-\d{2}", s):
        start = pd.Timestamp(f"{s}-01")
        return start, start + pd.offsets.MonthEnd(0), "month"
    if match := re.fullmatch(r"(\d{4})-H([12])", s):
        year, half = int(match.group(1)), int(match.group(2))
        start = pd.Timestamp(year=year, month=1 if half == 1 else 7, day=1)
        return start, start + pd.offsets.MonthEnd(6), "half"
    if re.fullmatch(r"\d{4}", s):
        return pd.Timestamp(f"{s}-01-01"), pd.Timestamp(f"{s}-12-31"), "year"
    if match := re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", s):
        return (
            pd.Timestamp(f"{match.group(1)}-01-01"),
            pd.Timestamp(f"{match.group(2)}-12-31"),
            "years",
        )
    raise ValueError(
        f"cannot read {text!r} as a date (expected YYYY, YYYY-MM, YYYY-H1, YYYY-MM-DD)"
    )


def parse_date_column(values: pd.Series) -> pd.DataFrame:
    """Parse a column of dates into ``date_start, date_end, date_precision`` (ISO text)."""
    parsed = [parse_date(v) for v in values]
    return pd.DataFrame(
        {
            "date_start": [p[0].date().isoformat() for p in parsed],
            "date_end": [p[1].date().isoformat() for p in parsed],
            "date_precision": [p[2] for p in parsed],
        },
        index=values.index,
    )
