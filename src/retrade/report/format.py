"""How each table column reads: one format per column, used by the HTML, Markdown and PDF alike.

A table names a format for each column it cares about (``"percent"``,
``"usd_m"``, ``"p"`` ...); the other columns get one inferred from their name
and type. Every format is fixed-point with a set number of decimals, so the
same numbers always give the same text, and none prints ``9.6e-11``.

=============  ====================================  ===============
format         for                                   0.2894 reads
=============  ====================================  ===============
``text``       names, codes, periods (left-aligned)  ``0.2894``
``int``        counts                                ``0``
``number:d``   anything else, ``d`` decimals         ``0.289`` (3)
``percent:d``  a share or ratio in [0, 1]            ``28.9%``
``change:d``   a relative change (fraction)          ``+28.9%``
``pp:d``       a difference of two shares            ``+28.9 pp``
``coef:d``     a model coefficient (signed)          ``+0.289``
``p``          a p-value                             ``0.289``
``usd_m:d``    US dollars, shown in millions         ``0.0``
``tonnes``     metric tonnes                         ``0``
``kt:d``       tonnes shown in thousands             ``0.0``
``yesno``      booleans                              ``yes``
=============  ====================================  ===============
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from retrade.errors import check_choice

TEXT_FORMATS = ("text",)
# a column whose name says what it holds gets that format unless the table says otherwise
_BY_NAME: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda c: c in {"p_value", "pvalue"} or c.endswith("_p"), "p"),
    (lambda c: c in {"hs6", "period", "year", "first_period", "last_period", "event_time",
                     "break", "date", "end", "first", "last"}, "text"),
    (lambda c: c.endswith("_pct"), "pct"),
    (lambda c: "share" in c, "percent"),
    (lambda c: c in {"rows", "n", "n_obs", "calls", "issues", "months", "n_forecasts"}, "int"),
)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _split(spec: str) -> tuple[str, int | None]:
    kind, _, digits = spec.partition(":")
    return kind, int(digits) if digits else None


def _signed(text: str, value: float) -> str:
    return ("+" + text) if value > 0 and not text.startswith("-") else text


def format_value(value: object, spec: str = "number") -> str:
    """One cell as text under format ``spec`` (see the module docstring); missing is ``""``.

    Examples
    --------
    >>> fv = format_value
    >>> fv(0.28947, "percent"), fv(-0.5886, "change"), fv(9.6e-11, "p")
    ('28.9%', '-58.9%', '<0.001')
    >>> fv(295_300_000.0, "usd_m"), fv(-2.5227, "coef"), fv(3433, "int")
    ('295.3', '-2.523', '3,433')
    >>> fv(float("nan"), "percent"), fv(0.031, "pp:1"), fv(True, "yesno")
    ('', '+3.1 pp', 'yes')
    """
    if _missing(value):
        return ""
    kind, digits = _split(spec)
    if kind == "text" or isinstance(value, str):
        return str(value)
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no") if kind == "yesno" else str(bool(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    v = float(value)  # type: ignore[arg-type]
    return _NUMERIC[kind](v, digits)


def _number(v: float, digits: int | None) -> str:
    if digits is None:
        digits = 0 if abs(v) >= 1000 else 2 if abs(v) >= 1 else 3
    return f"{v:,.{digits}f}"


def _p(v: float, digits: int | None) -> str:
    return "<0.001" if v < 0.001 else f"{v:.3f}"


_NUMERIC: dict[str, Callable[[float, int | None], str]] = {
    "number": _number,
    "int": lambda v, d: f"{v:,.0f}",
    "percent": lambda v, d: f"{100 * v:,.{1 if d is None else d}f}%",
    "pct": lambda v, d: _signed(f"{v:,.{1 if d is None else d}f}%", v),
    "change": lambda v, d: _signed(f"{100 * v:,.{1 if d is None else d}f}%", v),
    "pp": lambda v, d: _signed(f"{100 * v:,.{1 if d is None else d}f} pp", v),
    "coef": lambda v, d: _signed(f"{v:.{3 if d is None else d}f}", v),
    "p": _p,
    "usd_m": lambda v, d: f"{v / 1e6:,.{1 if d is None else d}f}",
    "tonnes": lambda v, d: f"{v:,.0f}",
    "kt": lambda v, d: f"{v / 1e3:,.{1 if d is None else d}f}",
    "yesno": lambda v, d: "yes" if v else "no",
}
FORMATS: tuple[str, ...] = ("text", *_NUMERIC)


def check_format(spec: str) -> str:
    """``spec`` if it names a known format (with optional ``:decimals``), else ``ValueError``.

    Examples
    --------
    >>> check_format("percent:0")
    'percent:0'
    """
    check_choice("column format", _split(spec)[0], FORMATS)
    return spec


def infer_format(name: str, column: pd.Series) -> str:
    """The format of a column the table did not describe: by its name, then by its type.

    Examples
    --------
    >>> infer_format("p_value", pd.Series([0.5])), infer_format("rows", pd.Series([3]))
    ('p', 'int')
    >>> infer_format("source", pd.Series(["wits"])), infer_format("estimate", pd.Series([0.1]))
    ('text', 'number')
    """
    lowered = str(name).lower()
    if pd.api.types.is_bool_dtype(column):
        return "yesno"
    if not pd.api.types.is_numeric_dtype(column):
        return "text"
    for test, spec in _BY_NAME:
        if test(lowered):
            return spec
    return "int" if pd.api.types.is_integer_dtype(column) else "number"


def column_formats(frame: pd.DataFrame, given: Mapping[str, str]) -> dict[str, str]:
    """The format of every column of ``frame``: ``given`` where it says, inferred elsewhere."""
    return {c: check_format(given[c]) if c in given else infer_format(c, frame[c])
            for c in frame.columns}


def format_frame(frame: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """Every cell as text under its column's format (:func:`column_formats`).

    Examples
    --------
    >>> f = pd.DataFrame({"hs6": ["284690"], "share": [0.6925], "value_usd": [2.95e8]})
    >>> format_frame(f, {"value_usd": "usd_m"}).iloc[0].tolist()
    ['284690', '69.2%', '295.0']
    """
    specs = column_formats(frame, formats)
    return pd.DataFrame({c: [format_value(v, specs[c]) for v in frame[c].tolist()]
                         for c in frame.columns}, index=range(len(frame)), dtype=object)


def is_text(spec: str) -> bool:
    """Whether a column of this format is text (aligned left) rather than a number (right)."""
    return _split(spec)[0] in TEXT_FORMATS


UNIT_SUFFIX = {"usd_m": "USD m", "kt": "kt", "tonnes": "t", "pp": "pp"}


def column_label(name: str, spec: str, labels: Mapping[str, str]) -> str:
    """The header shown for a column: its label, else its name in words, with the unit.

    Examples
    --------
    >>> column_label("value_usd", "usd_m", {}), column_label("hs6", "text", {"hs6": "HS code"})
    ('value usd (USD m)', 'HS code')
    """
    if name in labels:
        return labels[name]
    unit = UNIT_SUFFIX.get(_split(spec)[0])
    words = str(name).replace("_", " ")
    return f"{words} ({unit})" if unit else words
