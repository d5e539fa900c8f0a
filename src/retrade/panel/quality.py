"""The data-quality table: known problems of the panel, one row each, surfaced rather than fixed.

Checks
------
``gap``
    A period missing inside a series, between its first and last observed
    period: a year in an annual series, a month in a monthly one. Checked for
    each bilateral series (``level="partner"``) and for each reporter's
    series over all partners (``level="reporter"``: a month in which the
    reporter has no row for that code at all).
``collapse`` and ``spike``
    A period whose quantity (``net_weight_kg``) or value (``value_usd``) is
    far from its neighbours: the ratio of the value to the median of the
    observed values within ``window`` periods on either side (at least two
    of them) is below ``threshold`` (a collapse) or above ``1/threshold``
    (a spike). The median of neighbours is robust to one bad neighbour, and
    the ratio reads the same for large and small flows. Checked per
    bilateral series and per reporter total over country partners (world
    and group rows excluded, as in :func:`retrade.panel.measures.totals`).
    Example: China's 2016 export quantities in the WITS data are 0.18-0.36 of
    their neighbours' median for 280530, 284690 and 850511, where no other
    year of those series falls below 0.5.
``unit_value``
    A row whose unit value (USD/kg) is more than ``uv_factor`` times above
    or below the median unit value of the same code, flow and period across
    all reporters and partners of its source (at least three rows).
``estimated``
    A value or weight the source flags as estimated.
``value_no_weight``
    A positive value with a missing or zero net weight (no unit value).

Every row names the series (``source, frequency, reporter, partner, flow,
hs6``), the ``period``, the ``measure``, the observed ``value``, the
``reference`` it was compared with, their ``ratio`` and a sentence in
``detail``. Nothing is removed from the panel: analyses decide, and the
table says what they decide about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from retrade.errors import ConfigError
from retrade.panel import schema as S
from retrade.panel.distinct import (
    column_codes,
    combine_codes,
    first_rows,
    on_distinct,
)
from retrade.panel.measures import is_aggregate_partner, unit_values
from retrade.panel.periods import ordinal_label, period_ordinal

SERIES: tuple[str, ...] = (S.SOURCE, S.FREQUENCY, S.REPORTER, S.PARTNER, S.FLOW, S.HS6)
QUALITY_COLUMNS: tuple[str, ...] = (
    "check",
    "level",
    *SERIES,
    S.PERIOD,
    "measure",
    "value",
    "reference",
    "ratio",
    "detail",
)
CHECKS: tuple[str, ...] = ("gap", "collapse", "spike", "unit_value", "estimated", "value_no_weight")
LEVELS: tuple[str, ...] = ("partner", "reporter")


def _series_frames(
    panel: pd.DataFrame, levels: Sequence[str], measures: Sequence[str],
    codes: dict[str, np.ndarray] | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`_series_frame` of each level, with every measure, built once for all checks."""
    ordinal = on_distinct(panel[S.PERIOD], period_ordinal).to_numpy(dtype="int64")
    codes = codes or _series_codes(panel)
    return {level: _series_frame(panel, level, measures, ordinal, codes) for level in levels}


def _series_codes(panel: pd.DataFrame, columns: Sequence[str] = SERIES) -> dict[str, np.ndarray]:
    """An integer per distinct value of each column (missing is a value), from 0.

    A categorical's own codes (shifted by one: missing is 0), not a
    factorization: the codes are only combined (:func:`combine_codes`), which
    numbers the combinations as they appear whatever the columns' numbering.
    """
    return {c: panel[c].cat.codes.to_numpy().astype(np.int64) + 1
            if isinstance(panel[c].dtype, pd.CategoricalDtype) else column_codes(panel[c])
            for c in columns}


def _series_frame(
    panel: pd.DataFrame,
    level: str,
    measures: Sequence[str] = (),
    ordinal: np.ndarray | None = None,
    codes: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per series and period: bilateral rows, or reporter sums over country partners.

    Each of ``measures`` is summed over the rows of a series and period
    (several national lines of one HS6 add up; missing if all are). Rows are
    grouped on one integer per series and period (``_key``), built from the
    columns' codes, not on the text. The table is made in one frame from the
    rows' positions (``at``: the country rows of the reporter level).
    """
    if ordinal is None:
        ordinal = on_distinct(panel[S.PERIOD], period_ordinal).to_numpy(dtype="int64")
    codes = codes or _series_codes(panel)
    keys = list(SERIES) if level == "partner" else [c for c in SERIES if c != S.PARTNER]
    at = np.arange(len(panel))
    if level != "partner":
        at = np.flatnonzero(~is_aggregate_partner(panel[S.PARTNER]).to_numpy())
    series = combine_codes([codes[c][at] for c in keys])
    # one integer per series and period: a neighbour's key is this key plus an offset
    key = series * _SPAN + ordinal[at]
    group, _ = pd.factorize(key)
    first = first_rows(group)  # pd.factorize numbers groups as they appear
    columns = {c: panel[c].array.take(at[first]) for c in (*keys, S.PERIOD)}
    columns |= _group_sums({m: panel[m].array.take(at) for m in measures}, group, len(first))
    index = pd.RangeIndex(len(first))
    if level != "partner":
        columns[S.PARTNER] = _all_missing(panel[S.PARTNER].dtype, index)
    columns |= {"_ord": ordinal[at[first]], "_sid": series[first], "_key": key[first]}
    return pd.DataFrame(columns, index=index)


def _group_sums(values: dict, group: np.ndarray, count: int) -> dict:
    """Each array's sum over the rows of each group (missing if all are), by group code.

    ``group`` numbers the groups from 0 as they appear. Where every row is a
    group of its own (most bilateral series), the sums are the values plus
    0.0 (what pandas' compensated sum of one value gives: -0.0 becomes 0.0,
    NaN missing), without a group-by.
    """
    floats = all(v.dtype == _FLOAT or v.dtype == np.float64 for v in values.values())
    if count == len(group) and floats:
        return {name: _plus_zero(v) for name, v in values.items()}
    if not values:
        return {}
    sums = pd.DataFrame(values).groupby(pd.Index(group)).sum(min_count=1)  # see _KEY_NOTE
    return {name: sums[name].array for name in values}


def _plus_zero(values) -> pd.api.extensions.ExtensionArray:
    """``values + 0.0`` as a float array of ``values``' type, NaN missing."""
    data = np.asarray(values.to_numpy(dtype=float, na_value=np.nan)) + 0.0
    if values.dtype == _FLOAT:
        return pd.arrays.FloatingArray(data, np.isnan(data))
    return pd.array(data, dtype=np.float64)


# _KEY_NOTE: group-bys get their integer keys as an Index, not an array: pandas looks an
# array key up among the columns first, and the failed look-up prints the array into its
# error message (1.7 ms for a key of 1,000 rows, numpy's limit before it abbreviates)

# room for every period ordinal (monthly ordinals stay below 12 * 2101)
_SPAN = 1 << 16


def gaps(
    panel: pd.DataFrame,
    *,
    levels: Sequence[str] = LEVELS,
    frames: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Periods missing inside each series (between its first and last observed period).

    ``frames`` are the series frames of :func:`quality_table` (built once for every check).
    """
    return _finish([_part(*p) for p in _gap_parts(panel, levels, frames)])


def _gap_parts(panel: pd.DataFrame, levels: Sequence[str],
               frames: dict[str, pd.DataFrame] | None) -> list[_Part]:
    frames = frames or _series_frames(panel, levels, ())
    out = []
    for level in levels:
        frame = frames[level]
        at, ordinal = _missing_periods(frame)
        if not len(at):
            continue
        missing = pd.DataFrame({"_ord": ordinal, S.FREQUENCY: frame[S.FREQUENCY].array.take(at)})
        period = on_distinct(missing, lambda f: ordinal_label(f["_ord"], f[S.FREQUENCY]))
        monthly = (missing[S.FREQUENCY] != "A").to_numpy(dtype=np.intp)
        detail = pd.array([f"no row for this {unit} between the series' first and last period"
                           for unit in ("year", "month")], dtype="string").take(monthly)
        out.append(_Part(frame, at, "gap", level, None, np.nan, detail=detail,
                         period=period.to_numpy()))
    return out


def _missing_periods(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A row of the series (in ``frame``) and the period ordinal of each period missing inside
    a series, by series (``_sid``, numbered from 0 as they appear) and period."""
    sid, ordinal = frame["_sid"].to_numpy(), frame["_ord"].to_numpy()
    if not len(sid):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    order = np.argsort(sid, kind="stable")
    count = np.bincount(sid)
    start = np.cumsum(count) - count
    low = np.minimum.reduceat(ordinal[order], start)
    length = np.maximum.reduceat(ordinal[order], start) - low + 1
    holed = np.flatnonzero(count < length)
    low, length = low[holed], length[holed]
    begin = np.repeat(np.cumsum(length) - length, length)
    expected = np.repeat(low, length) + (np.arange(length.sum()) - begin)
    series = np.repeat(holed, length)
    absent = ~pd.Series(series * _SPAN + expected).isin(frame["_key"].to_numpy()).to_numpy()
    return first_rows(sid)[series[absent]], expected[absent]


def outliers(
    panel: pd.DataFrame,
    *,
    measures: Sequence[str] = (S.NET_WEIGHT_KG, S.VALUE_USD),
    window: int = 2,
    threshold: float = 0.4,
    levels: Sequence[str] = LEVELS,
    frames: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Periods below ``threshold`` (or above ``1/threshold``) times their neighbours' median."""
    if not 0 < threshold < 1 or window < 1:
        raise ConfigError(f"threshold must be in (0, 1) and window >= 1, got {threshold}, {window}")
    return _finish(_outlier_rows(panel, measures, window, threshold, levels, frames))


def _outlier_rows(panel: pd.DataFrame, measures: Sequence[str], window: int, threshold: float,
                  levels: Sequence[str],
                  frames: dict[str, pd.DataFrame] | None) -> list[pd.DataFrame]:
    return [_part(*p) for p in _outlier_parts(panel, measures, window, threshold, levels, frames)]


def _outlier_parts(panel: pd.DataFrame, measures: Sequence[str], window: int, threshold: float,
                   levels: Sequence[str], frames: dict[str, pd.DataFrame] | None) -> list[_Part]:
    frames = frames or _series_frames(panel, levels, measures)
    out = []
    for level in levels:
        frame = frames[level]
        neighbours = _neighbours(frame, window)
        for measure in measures:
            value = frame[measure].astype(float).to_numpy()
            reference, count = _neighbour_stats(value, neighbours)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = value / np.where(reference > 0, reference, np.nan)
            at = np.flatnonzero((count >= 2) & ((ratio < threshold) | (ratio > 1 / threshold)))
            ratio, value, reference = ratio[at], value[at], reference[at]
            detail = _sentences(f"{measure} {{:,.4g}} is {{:.2f}} x the median {{:,.4g}} "
                                f"of {{}} periods within ±{window}",
                                value, ratio, reference, count[at])
            check = np.where(ratio < threshold, "collapse", "spike").astype(object)
            out.append(_Part(frame, at, check, level, measure, value, reference, ratio, detail))
    return out


class _Part(NamedTuple):
    """Quality rows before they are a frame: rows ``at`` of ``rows`` (their series and period)
    and the other columns (one value for all, or one per row); see :func:`_part`."""

    rows: pd.DataFrame
    at: np.ndarray
    check: object
    level: str
    measure: object
    value: object
    reference: object = np.nan
    ratio: object = np.nan
    detail: object = None
    period: object = None  # the period text where it is not the rows' own (gaps)


def _part(rows: pd.DataFrame, at: np.ndarray, check, level: str, measure: str, value,
          reference=np.nan, ratio=np.nan, detail=None, period=None) -> pd.DataFrame:
    """Rows ``at`` of ``rows`` (their series and period) as quality rows, columns in order.

    One selection and one frame, in :data:`QUALITY_COLUMNS` order (the columns
    a selection, ``assign`` and ``reindex`` gave before, with their types).
    """
    series = rows[[*SERIES, S.PERIOD]].take(at)
    index = series.index
    columns = {"check": check, "level": level}
    columns |= {c: series[c] for c in SERIES}
    columns[S.PERIOD] = series[S.PERIOD] if period is None else period
    columns |= {"measure": measure, "value": value, "reference": reference, "ratio": ratio,
                "detail": detail}
    columns = {c: pd.Series(v, index=index) if not isinstance(v, pd.Series) else v
               for c, v in columns.items()}
    return pd.DataFrame(columns, index=index)


def _neighbours(frame: pd.DataFrame, window: int) -> np.ndarray:
    """For each row, the row of the same series ``k`` periods away (-1: none), k = ±1..window."""
    keys = frame["_key"].to_numpy()
    offsets = np.array([k for k in range(-window, window + 1) if k != 0], dtype=np.int64)
    # one look-up of every offset's keys
    found = pd.Index(keys).get_indexer((keys[None, :] + offsets[:, None]).ravel())
    return found.reshape(len(offsets), len(keys))


def _neighbour_median(
    frame: pd.DataFrame, measure: str, neighbours: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    """Median and count of the values within ``window`` periods of each row (itself excluded)."""
    median, count = _neighbour_stats(frame[measure].astype(float).to_numpy(), neighbours)
    return pd.Series(median, index=frame.index), pd.Series(count, index=frame.index)


def _neighbour_stats(values: np.ndarray, neighbours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_neighbour_median` on the values' array."""
    stack = np.append(values, np.nan)[neighbours]  # -1, no neighbour, takes the NaN appended
    return column_nanmedian(stack), (~np.isnan(stack)).sum(axis=0)


def column_nanmedian(stack: np.ndarray) -> np.ndarray:
    """:func:`numpy.nanmedian` over axis 0 (NaN where a column has no value), without warnings.

    Sorts each column once (NaN last) and takes the middle value, or the mean
    of the two middle ones: the same numbers as ``nanmedian``, which on a
    short axis goes through masked arrays and warns for every empty column.

    Examples
    --------
    >>> stack = np.array([[1.0, np.nan, 4.0], [3.0, np.nan, np.nan], [2.0, np.nan, 8.0]])
    >>> column_nanmedian(stack).tolist()
    [2.0, nan, 6.0]
    """
    ordered = np.sort(stack, axis=0)
    count = (~np.isnan(stack)).sum(axis=0)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[None], axis=0)[0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[None], axis=0)[0]
    median = np.where(count % 2 == 1, low, (low + high) / 2)
    return np.where(count == 0, np.nan, median)


def unit_value_outliers(panel: pd.DataFrame, *, factor: float = 10.0) -> pd.DataFrame:
    """Rows whose USD/kg is ``factor`` times off the median of their code, flow and period."""
    if factor <= 1:
        raise ConfigError(f"factor must be > 1, got {factor}")
    return _finish(_unit_value_rows(panel, factor))


def _unit_value_rows(panel: pd.DataFrame, factor: float) -> list[pd.DataFrame]:
    return [_part(*p) for p in _unit_value_parts(panel, factor)]


def _unit_value_parts(panel: pd.DataFrame, factor: float,
                      codes: dict[str, np.ndarray] | None = None) -> list[_Part]:
    """The unit-value outliers among the country rows (``codes``: :func:`_series_codes` of
    the cell's columns, if made already)."""
    rows = np.flatnonzero(~is_aggregate_partner(panel[S.PARTNER]).to_numpy())
    uv = pd.Series(unit_values(panel).to_numpy()[rows])
    columns = (S.SOURCE, S.FREQUENCY, S.FLOW, S.HS6, S.PERIOD)
    codes = codes or _series_codes(panel, columns)
    cell = combine_codes([codes[c][rows] for c in columns]) if len(rows) else []
    grouped = uv.groupby(pd.Index(np.asarray(cell, dtype=np.int64)))  # see _KEY_NOTE
    reference, count = grouped.transform("median"), grouped.transform("count")
    ratio = uv / reference.where(reference > 0)
    at = np.flatnonzero((count >= 3) & ((ratio > factor) | (ratio < 1 / factor)))
    value, reference, ratio = (c.to_numpy()[at] for c in (uv, reference, ratio))
    detail = _sentences(
        "{:,.4g} USD/kg is {:.3g} x the median {:,.4g} USD/kg of {} rows of this code",
        value, ratio, reference, count.to_numpy()[at])
    return [_Part(panel, rows[at], "unit_value", "partner", "unit_value_usd_per_kg", value,
                  reference, ratio, detail)]


def _sentences(template: str, value: pd.Series, ratio: pd.Series, reference: pd.Series,
               count: pd.Series) -> list[str]:
    """``template`` filled with each row's value, ratio, reference and count (an integer).

    One bound ``str.format`` over plain Python numbers (``tolist``): the same
    text as an f-string per row over the columns, in about two thirds of the
    time (the flagged rows of a large panel number 10^5).

    Examples
    --------
    >>> one = pd.Series([1234.5])
    >>> _sentences("{:,.4g} is {:.2f} x {:,.4g} of {}", one, one / 1e3, one, pd.Series([3.0]))
    ['1,234 is 1.23 x 1,234 of 3']
    """
    numbers = [np.asarray(c, dtype=float).tolist() for c in (value, ratio, reference)]
    counts = np.asarray(count, dtype=float).astype(np.int64).tolist()
    return list(map(template.format, *numbers, counts))


def _flag(column: pd.Series) -> np.ndarray:
    if column.dtype == "boolean":
        return column.to_numpy(dtype=bool, na_value=False)
    return column.astype("boolean").fillna(False).astype(bool).to_numpy()


def flagged_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """Estimated values or weights, and positive values without a weight."""
    return _finish(_flag_rows(panel))


def _flag_rows(panel: pd.DataFrame) -> list[pd.DataFrame]:
    return [_part(*p) for p in _flag_parts(panel)]


def _flag_parts(panel: pd.DataFrame) -> list[_Part]:
    value = panel[S.VALUE_USD].astype(float).to_numpy()
    weight = panel[S.NET_WEIGHT_KG].astype(float).to_numpy()
    cases = [
        ("estimated", S.VALUE_USD, _flag(panel[S.VALUE_ESTIMATED]), value,
         "the source flags this value as estimated"),
        ("estimated", S.NET_WEIGHT_KG, _flag(panel[S.WEIGHT_ESTIMATED]), weight,
         "the source flags this weight as estimated"),
        ("value_no_weight", S.NET_WEIGHT_KG, (value > 0) & ~(weight > 0), weight,
         "a positive value with a missing or zero net weight: no unit value"),
    ]
    out = []
    for check, measure, mask, shown, detail in cases:
        at = np.flatnonzero(mask)
        out.append(_Part(panel, at, check, "partner", measure, shown[at], detail=detail))
    return out


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    typed = [conform_quality(f) for f in frames if not f.empty]
    return pd.concat(typed, ignore_index=True) if typed else empty_quality()


def empty_quality() -> pd.DataFrame:
    """A quality table with no rows and every column typed."""
    return conform_quality(pd.DataFrame(columns=list(QUALITY_COLUMNS)))


def conform_quality(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every quality column, in order and typed (missing columns are empty)."""
    columns = {}
    for column in QUALITY_COLUMNS:
        dtype = _QUALITY_DTYPES[column]
        if column not in frame.columns:  # all missing: made typed, not converted
            columns[column] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
        elif frame[column].dtype == dtype:
            columns[column] = frame[column]
        elif frame[column].dtype == np.float64 and dtype == _FLOAT:
            values = frame[column].to_numpy(copy=True)  # NaN is missing, as astype makes it
            columns[column] = pd.Series(pd.arrays.FloatingArray(values, np.isnan(values)),
                                        index=frame.index)
        else:
            columns[column] = frame[column].astype(dtype)
    return pd.DataFrame(columns, index=frame.index)


_FLOAT = pd.Float64Dtype()
_QUALITY_DTYPES = {c: _FLOAT if c in ("value", "reference", "ratio")
                   else pd.api.types.pandas_dtype("string") for c in QUALITY_COLUMNS}


def _all_missing(dtype, index: pd.Index) -> pd.Series:
    """A column of missing values: of ``dtype`` if categorical (to stack with it), else text."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical.from_codes(np.full(len(index), -1), dtype=dtype),
                         index=index)
    return pd.Series(pd.NA, index=index, dtype="string")


def quality_table(
    panel: pd.DataFrame,
    *,
    window: int = 2,
    threshold: float = 0.4,
    uv_factor: float = 10.0,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """All checks on ``panel``, one row per problem found (see the module docstring).

    Parameters
    ----------
    panel : DataFrame
        Rows in the panel schema.
    window : int
        Periods on each side whose median a value is compared with.
    threshold : float
        A value below ``threshold`` times that median is a collapse, above
        ``1/threshold`` times a spike.
    uv_factor : float
        How many times above or below the median unit value is an outlier.
    levels : sequence of {"partner", "reporter"}
        Bilateral series, reporter totals, or both.

    Examples
    --------
    >>> years = [str(y) for y in range(2013, 2020)]
    >>> kg = [5.0, 6.0, 5.5, 1.4, 5.6, 6.1, 5.9]
    >>> panel = pd.DataFrame({"source": "wits", "frequency": "A", "period": years,
    ...     "reporter": "CHN", "partner": "JPN", "flow": "export", "hs6": "280530",
    ...     "value_usd": [k * 20 for k in kg], "net_weight_kg": kg,
    ...     "value_estimated": False, "weight_estimated": False})
    >>> q = quality_table(panel, levels=["partner"])
    >>> q.loc[q["measure"] == "net_weight_kg", ["check", "period"]].values.tolist()
    [['collapse', '2016']]
    """
    return conform_quality(coded_quality_table(panel, window=window, threshold=threshold,
                                               uv_factor=uv_factor, levels=levels))


def coded_quality_table(
    panel: pd.DataFrame,
    *,
    window: int = 2,
    threshold: float = 0.4,
    uv_factor: float = 10.0,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """:func:`quality_table` before its columns are typed (:func:`conform_quality` types them).

    The series and period columns are still the categoricals the checks
    grouped on (where every part had them so): the panel build writes them
    to Arrow from their codes (:func:`retrade.store.processed.to_arrow`).

    Examples
    --------
    >>> panel = pd.DataFrame({"source": "wits", "frequency": "A", "period": ["2020", "2022"],
    ...     "reporter": "CHN", "partner": "JPN", "flow": "export", "hs6": "280530",
    ...     "value_usd": 1.0, "net_weight_kg": 1.0, "value_estimated": False,
    ...     "weight_estimated": False})
    >>> coded = coded_quality_table(panel, levels=["partner"])
    >>> typed = conform_quality(coded)
    >>> coded["reporter"].dtype.name, typed.equals(quality_table(panel, levels=["partner"]))
    ('category', True)
    """
    bad = [level for level in levels if level not in LEVELS]
    if bad:
        raise ConfigError(f"levels must be among {LEVELS}, got {bad}")
    if not 0 < threshold < 1 or window < 1:
        raise ConfigError(f"threshold must be in (0, 1) and window >= 1, got {threshold}, {window}")
    if uv_factor <= 1:
        raise ConfigError(f"factor must be > 1, got {uv_factor}")
    view = _coded(panel)
    measures = (S.NET_WEIGHT_KG, S.VALUE_USD)
    codes = _series_codes(view, (*SERIES, S.PERIOD))  # each column's codes, made once
    frames = _series_frames(view, levels, measures, codes)  # the series tables, built once
    return _stacked([
        *_gap_parts(view, levels, frames),
        *_outlier_parts(view, measures, window, threshold, levels, frames),
        *_unit_value_parts(view, uv_factor, codes),
        *_flag_parts(view),
    ])


def _stacked(parts: list[_Part]) -> pd.DataFrame:
    """The parts' rows in one frame, ordered by check, series and period (stable).

    What concatenating the parts as frames and sorting them gave
    (:func:`retrade.panel.distinct.sort_by`, missing first), from the parts'
    arrays: a series or period column whose parts share one categorical type
    is stacked as codes; the text columns are left for :func:`conform_quality`.
    """
    parts = [p for p in parts if len(p.at)]
    if not parts:
        return empty_quality()
    check = np.concatenate([np.full(len(p.at), CHECKS.index(p.check)) if isinstance(p.check, str)
                            else pd.Index(CHECKS).get_indexer(p.check) for p in parts])
    keys = {c: _stacked_column(parts, c) for c in (*SERIES, S.PERIOD)}
    order = np.lexsort([*(_sort_codes(keys[c]) for c in reversed(keys)), check])
    columns = {"check": np.asarray(CHECKS, dtype=object)[check[order]],
               "level": _stacked_values(parts, "level", object)[order]}
    columns |= {c: (v if isinstance(v, pd.Categorical) else v.array).take(order)
                for c, v in keys.items()}
    columns |= {c: _stacked_values(parts, c, object if c in ("measure", "detail") else float)[order]
                for c in ("measure", "value", "reference", "ratio", "detail")}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(order)))


def _stacked_column(parts: list[_Part], column: str) -> pd.Categorical | pd.Series:
    """The parts' rows of a series or period column, stacked: codes if one categorical type."""
    pieces = [p.rows[column] if column != S.PERIOD or p.period is None else None for p in parts]
    dtype = pieces[0].dtype if pieces[0] is not None else None
    if isinstance(dtype, pd.CategoricalDtype) and all(
            piece is not None and piece.dtype == dtype for piece in pieces):
        codes = np.concatenate([piece.cat.codes.to_numpy()[p.at]
                                for piece, p in zip(pieces, parts, strict=True)])
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.concat([pd.Series(p.period) if piece is None else piece.take(p.at)
                      for piece, p in zip(pieces, parts, strict=True)], ignore_index=True)


def _stacked_values(parts: list[_Part], name: str, dtype) -> np.ndarray:
    """A column of the parts, each part's one value or values per row, stacked."""
    values = [getattr(p, name) for p in parts]
    return np.concatenate([np.full(len(p.at), v, dtype=dtype) if v is None or np.isscalar(v)
                           else np.asarray(v, dtype=dtype)
                           for v, p in zip(values, parts, strict=True)])


def _sort_codes(values: pd.Categorical | pd.Series) -> np.ndarray:
    """Codes that order ``values`` as their sorted values do, missing first (-1)."""
    if isinstance(values, pd.Categorical) and values.categories.is_monotonic_increasing:
        return values.codes.astype(np.int64)
    return pd.factorize(values, sort=True, use_na_sentinel=True)[0]


def _coded(panel: pd.DataFrame) -> pd.DataFrame:
    """The columns the checks read, the series and period ones as categoricals.

    Categories are the sorted distinct values, so grouping, selecting and
    sorting work on integer codes in text order; the table is typed back to
    text at the end (:func:`conform_quality`).
    """
    text = [c for c in (*SERIES, S.PERIOD) if c in panel.columns]
    other = [c for c in (S.VALUE_USD, S.NET_WEIGHT_KG, S.VALUE_ESTIMATED, S.WEIGHT_ESTIMATED)
             if c in panel.columns]
    columns = {c: panel[c].astype("category") for c in text}
    return pd.DataFrame({**columns, **{c: panel[c] for c in other}}, index=panel.index)
