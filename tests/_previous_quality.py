"""The quality table's code before its fixed cost per call was cut (issue 14), the reference
for ``tests/panel/test_quality_fixed_cost.py``.

Copied verbatim from ``src/retrade/panel/quality.py`` at f6bad89 (parts made as frames,
reindexed, concatenated and sorted; series tables set column by column). Only that test
module uses it.
"""
# ruff: noqa

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade.errors import ConfigError
from retrade.panel import schema as S
from retrade.panel.distinct import (
    column_codes,
    combine_codes,
    first_rows,
    on_distinct,
    repeated,
    row_codes,
    sort_by,
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
    panel: pd.DataFrame, levels: Sequence[str], measures: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """:func:`_series_frame` of each level, with every measure, built once for all checks."""
    ordinal = on_distinct(panel[S.PERIOD], period_ordinal).to_numpy(dtype="int64")
    codes = {c: column_codes(panel[c]) for c in SERIES}
    return {level: _series_frame(panel, level, measures, ordinal, codes) for level in levels}


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
    columns' codes, not on the text.
    """
    if ordinal is None:
        ordinal = on_distinct(panel[S.PERIOD], period_ordinal).to_numpy(dtype="int64")
    codes = codes or {c: column_codes(panel[c]) for c in SERIES}
    keys = list(SERIES) if level == "partner" else [c for c in SERIES if c != S.PARTNER]
    rows, keep = panel, slice(None)
    if level != "partner":
        keep = ~is_aggregate_partner(panel[S.PARTNER]).to_numpy()
        rows, ordinal = panel[keep], ordinal[keep]
    series = combine_codes([codes[c][keep] for c in keys])
    # one integer per series and period: a neighbour's key is this key plus an offset
    key = series * _SPAN + ordinal
    group, _ = pd.factorize(key)
    first = first_rows(group)  # pd.factorize numbers groups as they appear
    frame = rows[[*keys, S.PERIOD]].iloc[first].reset_index(drop=True)
    for measure in measures:
        values = rows[measure].reset_index(drop=True)
        frame[measure] = values.groupby(group).sum(min_count=1).reset_index(drop=True)
    if level != "partner":
        frame[S.PARTNER] = _all_missing(panel[S.PARTNER].dtype, frame.index)
    return frame.assign(_ord=ordinal[first], _sid=series[first], _key=key[first])


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
    return _finish(_gap_rows(panel, levels, frames))


def _gap_rows(panel: pd.DataFrame, levels: Sequence[str],
              frames: dict[str, pd.DataFrame] | None) -> list[pd.DataFrame]:
    frames = frames or _series_frames(panel, levels, ())
    out = []
    for level in levels:
        missing = _missing_periods(frames[level])
        if missing.empty:
            continue
        missing[S.PERIOD] = on_distinct(missing[["_ord", S.FREQUENCY]], lambda f: (
            ordinal_label(f["_ord"], f[S.FREQUENCY])))
        monthly = (missing[S.FREQUENCY] != "A").to_numpy(dtype=np.intp)
        detail = pd.array([f"no row for this {unit} between the series' first and last period"
                           for unit in ("year", "month")], dtype="string").take(monthly)
        out.append(missing.assign(check=repeated("gap", missing.index),
                                  level=repeated(level, missing.index), detail=detail))
    return out


def _missing_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """The series and period ordinal (``_ord``) of each period missing inside a series."""
    sid, ordinal = frame["_sid"].to_numpy(), frame["_ord"].to_numpy()
    span = pd.DataFrame({"sid": sid, "ord": ordinal}).groupby("sid")["ord"].agg(
        ["min", "max", "count"])
    holed = span[span["count"] < span["max"] - span["min"] + 1]
    if holed.empty:
        return pd.DataFrame()
    length = (holed["max"] - holed["min"] + 1).to_numpy()
    start = np.repeat(np.cumsum(length) - length, length)
    expected = np.repeat(holed["min"].to_numpy(), length) + (np.arange(length.sum()) - start)
    series = np.repeat(holed.index.to_numpy(), length)
    absent = ~pd.Series(series * _SPAN + expected).isin(frame["_key"].to_numpy()).to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(sid).first()  # a row of each series
    rows = frame[list(SERIES)].iloc[first.loc[series[absent]].to_numpy()]
    return rows.reset_index(drop=True).assign(_ord=expected[absent])


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
    frames = frames or _series_frames(panel, levels, measures)
    out = []
    for level in levels:
        frame = frames[level]
        neighbours = _neighbours(frame, window)
        for measure in measures:
            reference, count = _neighbour_median(frame, measure, neighbours)
            value = frame[measure].astype(float).to_numpy()
            reference = reference.to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = value / np.where(reference > 0, reference, np.nan)
            at = np.flatnonzero((count.to_numpy() >= 2)
                                & ((ratio < threshold) | (ratio > 1 / threshold)))
            ratio, value, reference = ratio[at], value[at], reference[at]
            detail = _sentences(f"{measure} {{:,.4g}} is {{:.2f}} x the median {{:,.4g}} "
                                f"of {{}} periods within ±{window}",
                                value, ratio, reference, count.to_numpy()[at])
            check = np.where(ratio < threshold, "collapse", "spike").astype(object)
            out.append(_part(frame, at, check, level, measure, value, reference, ratio, detail))
    return out


def _part(rows: pd.DataFrame, at: np.ndarray, check, level: str, measure: str, value,
          reference=np.nan, ratio=np.nan, detail=None) -> pd.DataFrame:
    """Rows ``at`` of ``rows`` (their series and period) as quality rows, columns in order.

    One selection and one frame, in :data:`QUALITY_COLUMNS` order (the columns
    a selection, ``assign`` and ``reindex`` gave before, with their types).
    """
    series = rows[[*SERIES, S.PERIOD]].take(at)
    index = series.index
    columns = {"check": check, "level": level}
    columns |= {c: series[c] for c in (*SERIES, S.PERIOD)}
    columns |= {"measure": measure, "value": value, "reference": reference, "ratio": ratio,
                "detail": detail}
    columns = {c: pd.Series(v, index=index) if not isinstance(v, pd.Series) else v
               for c, v in columns.items()}
    return pd.DataFrame(columns, index=index)


def _neighbours(frame: pd.DataFrame, window: int) -> np.ndarray:
    """For each row, the row of the same series ``k`` periods away (-1: none), k = ±1..window."""
    keys = frame["_key"].to_numpy()
    index = pd.Index(keys)
    offsets = [k for k in range(-window, window + 1) if k != 0]
    return np.vstack([index.get_indexer(keys + k) for k in offsets]) if len(keys) else (
        np.zeros((len(offsets), 0), dtype=np.intp))


def _neighbour_median(
    frame: pd.DataFrame, measure: str, neighbours: np.ndarray
) -> tuple[pd.Series, pd.Series]:
    """Median and count of the values within ``window`` periods of each row (itself excluded)."""
    values = np.append(frame[measure].astype(float).to_numpy(), np.nan)
    stack = values[neighbours]  # -1, no neighbour, takes the NaN appended last
    count = (~np.isnan(stack)).sum(axis=0)
    median = column_nanmedian(stack)
    return pd.Series(median, index=frame.index), pd.Series(count, index=frame.index)


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
    rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
    uv = unit_values(rows)
    cell = row_codes(rows[[S.SOURCE, S.FREQUENCY, S.FLOW, S.HS6, S.PERIOD]])[0] if len(rows) else []
    grouped = uv.groupby(np.asarray(cell, dtype=np.int64))
    reference, count = grouped.transform("median"), grouped.transform("count")
    ratio = uv / reference.where(reference > 0)
    at = np.flatnonzero((count >= 3) & ((ratio > factor) | (ratio < 1 / factor)))
    value, reference, ratio = (c.to_numpy()[at] for c in (uv, reference, ratio))
    detail = _sentences(
        "{:,.4g} USD/kg is {:.3g} x the median {:,.4g} USD/kg of {} rows of this code",
        value, ratio, reference, count.to_numpy()[at])
    return [_part(rows, at, "unit_value", "partner", "unit_value_usd_per_kg", value, reference,
                  ratio, detail)]


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


def _flag(column: pd.Series) -> pd.Series:
    return column.astype("boolean").fillna(False).astype(bool)


def flagged_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """Estimated values or weights, and positive values without a weight."""
    return _finish(_flag_rows(panel))


def _flag_rows(panel: pd.DataFrame) -> list[pd.DataFrame]:
    value = panel[S.VALUE_USD].astype(float)
    weight = panel[S.NET_WEIGHT_KG].astype(float)
    cases = [
        (
            "estimated",
            S.VALUE_USD,
            _flag(panel[S.VALUE_ESTIMATED]),
            value,
            "the source flags this value as estimated",
        ),
        (
            "estimated",
            S.NET_WEIGHT_KG,
            _flag(panel[S.WEIGHT_ESTIMATED]),
            weight,
            "the source flags this weight as estimated",
        ),
        (
            "value_no_weight",
            S.NET_WEIGHT_KG,
            (value > 0) & ~(weight > 0),
            weight,
            "a positive value with a missing or zero net weight: no unit value",
        ),
    ]
    out = []
    for check, measure, mask, shown, detail in cases:
        at = np.flatnonzero(np.asarray(mask, dtype=bool))
        out.append(_part(panel, at, check, "partner", measure, shown.to_numpy()[at],
                         detail=detail))
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
    frames = _series_frames(view, levels, measures)  # the series tables, built once
    parts = [
        *_gap_rows(view, levels, frames),
        *_outlier_rows(view, measures, window, threshold, levels, frames),
        *_unit_value_rows(view, uv_factor),
        *_flag_rows(view),
    ]
    parts = [p.reindex(columns=list(QUALITY_COLUMNS)) for p in parts if not p.empty]
    if not parts:
        return empty_quality()
    out = pd.concat(parts, ignore_index=True)
    order = out["check"].map({check: i for i, check in enumerate(CHECKS)})
    # sorted on the categoricals' codes (typed as text by quality_table)
    out = sort_by(out.assign(_c=order), ["_c", *SERIES, S.PERIOD], na_position="first")
    return out.drop(columns="_c")


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
