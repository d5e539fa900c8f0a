"""Work on distinct values, not rows: a row-by-row step computed once per distinct input.

A panel of 10^6 rows holds a few hundred countries, a few dozen periods and
eight HS lines. Text work on those columns (mapping codes to countries,
cutting periods apart, converting numbers to text) costs a Python call per
value, so it is done on the distinct values and spread back to the rows by
their integer codes (:func:`pandas.factorize`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

Frame = TypeVar("Frame", pd.DataFrame, pd.Series)


def row_codes(frame: pd.DataFrame | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row's values (missing values are a value) and each code's first row.

    Examples
    --------
    >>> codes, first = row_codes(pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 2, 1]}))
    >>> codes.tolist(), first.tolist()
    ([0, 1, 0], [0, 1])
    """
    columns = [frame] if isinstance(frame, pd.Series) else [frame[c] for c in frame.columns]
    if len(columns) == 1:  # one column's codes need no combining if numbered as they appear
        codes = column_codes(columns[0])
        first = _firsts_in_order(codes)
        if first is not None:
            return codes, first
    codes = combine_codes([column_codes(column) for column in columns])
    return codes, first_rows(codes)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code, in the order of the codes' values.

    ``np.unique(codes, return_index=True)[1]``; when the codes are numbered
    from 0 in order of appearance (as :func:`pandas.factorize` numbers them)
    without the sort: a code's first row is where the running maximum rises.

    Examples
    --------
    >>> first_rows(np.array([0, 1, 0, 2, 1])).tolist(), first_rows(np.array([2, 0, 2])).tolist()
    ([0, 1, 3], [1, 0])
    """
    first = _firsts_in_order(codes)
    return first if first is not None else np.unique(codes, return_index=True)[1]


def _firsts_in_order(codes: np.ndarray) -> np.ndarray | None:
    """The rows where the running maximum of ``codes`` rises, if that is each value's first row.

    It is when the codes are 0..k-1 and each first appears after the smaller
    ones: then the rises number k (each rise is a value seen for the first
    time, and no other row is). Otherwise ``None``.
    """
    if len(codes) == 0:
        return np.zeros(0, dtype=np.intp)
    rises = np.empty(len(codes), dtype=bool)
    rises[0] = True
    np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=rises[1:])
    first = np.flatnonzero(rises)
    return first if int(codes.min()) >= 0 and len(first) == int(codes.max()) + 1 else None


def column_codes(values: pd.Series) -> np.ndarray:
    """Integer code of each value of a column (missing values are a value), from 0."""
    codes, _ = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64)


def combine_codes(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One integer per distinct combination of the columns' codes, from 0 in order of appearance.

    Examples
    --------
    >>> combine_codes([np.array([0, 1, 0, 1]), np.array([2, 0, 2, 2])]).tolist()
    [0, 1, 0, 2]
    """
    combined = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for codes in columns:
        width = int(codes.max()) + 1 if len(codes) else 1
        if len(combined) and int(combined.max()) >= np.iinfo(np.int64).max // (2 * width):
            combined = column_codes(pd.Series(combined))  # re-number densely: no overflow
        combined = combined * width + codes
    return column_codes(pd.Series(combined))


def on_distinct(frame: pd.DataFrame | pd.Series, fn: Callable[..., Frame]) -> Frame:
    """``fn(frame)`` computed on the distinct rows of ``frame`` and spread back to every row.

    ``fn`` must work row by row (each output row depends on its own input
    row only, as ``astype(str)``, ``.str[:4]`` or a dictionary lookup do);
    then the result equals ``fn(frame)``, index included, while ``fn`` sees
    one row per distinct value. Missing values count as one value (``None``
    and ``NaN`` alike).

    Examples
    --------
    >>> s = pd.Series([156, 392, 156, None], dtype="Int64", index=[5, 6, 7, 8])
    >>> on_distinct(s, lambda v: v.astype(str)).to_dict()
    {5: '156', 6: '392', 7: '156', 8: '<NA>'}
    """
    if len(frame) == 0:
        return fn(frame)
    codes, out = distinct_rows(frame, fn)
    spread = out.iloc[codes]
    spread.index = frame.index
    return spread


def distinct_rows(frame: pd.DataFrame | pd.Series, fn: Callable[..., Frame]
                  ) -> tuple[np.ndarray, Frame]:
    """``fn`` of the distinct rows of ``frame``, and each row's position among them.

    What :func:`on_distinct` spreads back (``fn(frame)`` is ``out.iloc[codes]``,
    index aside), for callers that spread columns themselves, e.g. typed
    first: ``out[c].astype("string").array.take(codes)``, a typing of the
    distinct values and one take per column instead of a frame's ``iloc``.
    The distinct rows are in order of first appearance.

    Examples
    --------
    >>> codes, out = distinct_rows(pd.Series([156, 392, 156]), lambda v: v.astype(str))
    >>> codes.tolist(), out.tolist()
    ([0, 1, 0], ['156', '392'])
    """
    codes, first = row_codes(frame)
    out = fn(frame.iloc[first])
    if len(out) != len(first):
        raise ValueError("on_distinct needs a function that returns one row per input row")
    return codes, out


def sort_by(
    frame: pd.DataFrame, columns: Sequence[str], *, na_position: str = "last"
) -> pd.DataFrame:
    """``frame.sort_values(columns, na_position=...)``, stable, on integer codes; index reset.

    Each column is factorized once in sorted order and the rows ordered by
    those codes (:func:`numpy.lexsort`, stable): the same order as pandas'
    sort on several columns, without comparing strings row by row.

    Examples
    --------
    >>> df = pd.DataFrame({"a": ["y", None, "x", "y"], "b": [2, 1, 3, 1]})
    >>> sort_by(df, ["a", "b"]).values.tolist()
    [['x', 3], ['y', 1], ['y', 2], [None, 1]]
    >>> sort_by(df, ["a", "b"], na_position="first").values.tolist()[0]
    [None, 1]
    """
    codes = []
    for column in reversed(list(columns)):  # lexsort: the last key is the primary one
        code, count = _sort_codes(frame[column])
        codes.append(np.where(code < 0, -1 if na_position == "first" else count, code))
    order = np.lexsort(codes) if codes and len(frame) else np.arange(len(frame))
    return renumbered(frame.take(order))


def _sort_codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Codes that order ``column`` as its sorted values do (missing: -1), and how many values.

    A categorical whose categories are sorted already has them (its own codes;
    categories no row uses leave gaps, which change no order); other columns
    are factorized in sorted order.
    """
    if isinstance(column.dtype, pd.CategoricalDtype) and \
            column.cat.categories.is_monotonic_increasing:
        return column.cat.codes.to_numpy().astype(np.int64), len(column.cat.categories)
    code, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
    return code, len(uniques)


def repeated(text: object, index: pd.Index) -> pd.Series:
    """The same text on every row of ``index`` (typed ``string``), one object shared by all rows.

    Examples
    --------
    >>> repeated("wits", pd.RangeIndex(2)).tolist()
    ['wits', 'wits']
    """
    return pd.Series(pd.array([text], dtype="string").take(np.zeros(len(index), dtype=np.intp)),
                     index=index)


def renumbered(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.reset_index(drop=True)`` for a frame the caller has just made, without a copy.

    For the result of a ``take`` or a row selection, which nothing else holds:
    its index is replaced in place (``reset_index`` would copy every column).

    Examples
    --------
    >>> renumbered(pd.DataFrame({"a": [1, 2]}, index=[5, 3]).take([1, 0])).index.tolist()
    [0, 1]
    """
    frame.index = pd.RangeIndex(len(frame))
    return frame
