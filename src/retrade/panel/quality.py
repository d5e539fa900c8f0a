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

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade.errors import ConfigError
from retrade.panel import schema as S
from retrade.panel.measures import is_aggregate_partner, unit_values
from retrade.panel.periods import period_ordinal

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


def _ordinal_to_period(ordinal: pd.Series, frequency: pd.Series) -> pd.Series:
    annual = ordinal.astype(str)
    monthly = (ordinal // 12).astype(str) + "-" + (ordinal % 12 + 1).astype(str).str.zfill(2)
    return annual.where(frequency == "A", monthly)


def _series_frame(panel: pd.DataFrame, level: str, measure: str | None = None) -> pd.DataFrame:
    """One row per series and period: bilateral rows, or reporter sums over country partners."""
    columns = [*SERIES, S.PERIOD] + ([measure] if measure else [])
    if level == "partner":
        frame = panel[columns]
        if measure:  # several national lines of one HS6 add up
            frame = (
                frame.groupby([*SERIES, S.PERIOD], dropna=False, observed=True)[measure]
                .sum(min_count=1)
                .reset_index()
            )
        else:
            frame = frame.drop_duplicates()
    else:
        rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
        keys = [c for c in columns if c not in (S.PARTNER, measure)]
        grouped = rows.groupby(keys, dropna=False, observed=True)
        frame = (grouped[measure].sum(min_count=1) if measure else grouped.size()).reset_index()
        frame[S.PARTNER] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame = frame.reset_index(drop=True)
    ordinal = period_ordinal(frame[S.PERIOD])
    series = frame.groupby(list(SERIES), dropna=False, observed=True).ngroup().astype("int64")
    # one integer per series and period: a neighbour's key is this key plus an offset
    return frame.assign(_ord=ordinal, _sid=series, _key=series * _SPAN + ordinal)


# room for every period ordinal (monthly ordinals stay below 12 * 2101)
_SPAN = 1 << 16


def gaps(panel: pd.DataFrame, *, levels: Sequence[str] = LEVELS) -> pd.DataFrame:
    """Periods missing inside each series (between its first and last observed period)."""
    out = []
    for level in levels:
        frame = _series_frame(panel, level)
        grouped = frame.groupby("_sid")
        span = grouped[list(SERIES)].first().join(grouped["_ord"].agg(["min", "max", "count"]))
        holed = span[span["count"] < span["max"] - span["min"] + 1]
        if holed.empty:
            continue
        expected = (
            holed.assign(
                _ord=[
                    list(range(lo, hi + 1))
                    for lo, hi in zip(holed["min"], holed["max"], strict=True)
                ]
            )
            .explode("_ord")
            .astype({"_ord": "int64"})
        )
        key = expected.index.to_numpy() * _SPAN + expected["_ord"].to_numpy()
        missing = expected[~np.isin(key, frame["_key"].to_numpy())].reset_index(drop=True)
        missing[S.PERIOD] = _ordinal_to_period(missing["_ord"], missing[S.FREQUENCY])
        unit = np.where(missing[S.FREQUENCY] == "A", "year", "month")
        detail = [f"no row for this {u} between the series' first and last period" for u in unit]
        out.append(missing.assign(check="gap", level=level, detail=detail))
    return _finish(out)


def outliers(
    panel: pd.DataFrame,
    *,
    measures: Sequence[str] = (S.NET_WEIGHT_KG, S.VALUE_USD),
    window: int = 2,
    threshold: float = 0.4,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """Periods below ``threshold`` (or above ``1/threshold``) times their neighbours' median."""
    if not 0 < threshold < 1 or window < 1:
        raise ConfigError(f"threshold must be in (0, 1) and window >= 1, got {threshold}, {window}")
    out = []
    for level in levels:
        for measure in measures:
            frame = _series_frame(panel, level, measure)
            reference, count = _neighbour_median(frame, measure, window)
            ratio = frame[measure].astype(float) / reference.where(reference > 0)
            hit = (count >= 2) & ((ratio < threshold) | (ratio > 1 / threshold))
            flagged = frame[hit].assign(
                check=np.where(ratio[hit] < threshold, "collapse", "spike"),
                level=level,
                measure=measure,
                value=frame.loc[hit, measure].astype(float),
                reference=reference[hit],
                ratio=ratio[hit],
            )
            flagged["detail"] = [
                f"{measure} {v:,.4g} is {r:.2f} x the median {m:,.4g} "
                f"of {int(n)} periods within ±{window}"
                for v, r, m, n in zip(
                    flagged["value"],
                    flagged["ratio"],
                    flagged["reference"],
                    count[hit],
                    strict=True,
                )
            ]
            out.append(flagged.drop(columns=[measure]))
    return _finish(out)


def _neighbour_median(
    frame: pd.DataFrame, measure: str, window: int
) -> tuple[pd.Series, pd.Series]:
    """Median and count of the values within ``window`` periods of each row (itself excluded)."""
    values = pd.Series(frame[measure].astype(float).to_numpy(), index=frame["_key"].to_numpy())
    offsets = [k for k in range(-window, window + 1) if k != 0]
    stack = np.vstack([values.reindex(frame["_key"] + k).to_numpy() for k in offsets])
    count = (~np.isnan(stack)).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no neighbour: the median is NaN, as meant
        median = np.nanmedian(stack, axis=0)
    return pd.Series(median, index=frame.index), pd.Series(count, index=frame.index)


def unit_value_outliers(panel: pd.DataFrame, *, factor: float = 10.0) -> pd.DataFrame:
    """Rows whose USD/kg is ``factor`` times off the median of their code, flow and period."""
    if factor <= 1:
        raise ConfigError(f"factor must be > 1, got {factor}")
    rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
    uv = unit_values(rows)
    cell = [rows[c] for c in (S.SOURCE, S.FREQUENCY, S.FLOW, S.HS6, S.PERIOD)]
    reference = uv.groupby(cell, dropna=False, observed=True).transform("median")
    count = uv.groupby(cell, dropna=False, observed=True).transform("count")
    ratio = uv / reference.where(reference > 0)
    hit = (count >= 3) & ((ratio > factor) | (ratio < 1 / factor))
    flagged = rows.loc[hit, [*SERIES, S.PERIOD]].assign(
        check="unit_value",
        level="partner",
        measure="unit_value_usd_per_kg",
        value=uv[hit],
        reference=reference[hit],
        ratio=ratio[hit],
    )
    flagged["detail"] = [
        f"{v:,.4g} USD/kg is {r:.3g} x the median {m:,.4g} USD/kg of {int(n)} rows of this code"
        for v, r, m, n in zip(
            flagged["value"], flagged["ratio"], flagged["reference"], count[hit], strict=True
        )
    ]
    return _finish([flagged])


def _flag(column: pd.Series) -> pd.Series:
    return column.astype("boolean").fillna(False).astype(bool)


def flagged_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """Estimated values or weights, and positive values without a weight."""
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
    out = [
        panel.loc[mask, [*SERIES, S.PERIOD]].assign(
            check=check, level="partner", measure=measure, value=shown[mask], detail=detail
        )
        for check, measure, mask, shown, detail in cases
    ]
    return _finish(out)


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    typed = [conform_quality(f) for f in frames if not f.empty]
    return pd.concat(typed, ignore_index=True) if typed else empty_quality()


def empty_quality() -> pd.DataFrame:
    """A quality table with no rows and every column typed."""
    return conform_quality(pd.DataFrame(columns=list(QUALITY_COLUMNS)))


def conform_quality(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every quality column, in order and typed (missing columns are empty)."""
    numeric = ("value", "reference", "ratio")
    out = frame.reindex(columns=list(QUALITY_COLUMNS))
    return out.astype({c: ("Float64" if c in numeric else "string") for c in QUALITY_COLUMNS})


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
    bad = [level for level in levels if level not in LEVELS]
    if bad:
        raise ConfigError(f"levels must be among {LEVELS}, got {bad}")
    parts = [
        gaps(panel, levels=levels),
        outliers(panel, window=window, threshold=threshold, levels=levels),
        unit_value_outliers(panel, factor=uv_factor),
        flagged_rows(panel),
    ]
    out = _finish(parts)
    order = pd.Categorical(out["check"], categories=list(CHECKS), ordered=True)
    return (
        out.assign(_c=order)
        .sort_values(["_c", *SERIES, S.PERIOD], na_position="first")
        .drop(columns="_c")
        .reset_index(drop=True)
    )
