"""Known data problems in trade sources; a check for quantities that collapse while values do not.

Some source-years are broken in ways that move every estimate built on them.
The best documented is China's 2016 export quantities as WITS serves them: the
China -> World totals fall to 1.43 kt (280530), 5.06 kt (284690) and 35 kt
(850511) against about 6, 20-35 and 90-130 kt in the neighbouring years, while
values fall far less (WITS China-reported exports, compared with CEPII's BACI,
which reconciles both sides' reports). Unit values computed from such a
year are meaningless.

This module keeps such facts as data (:data:`KNOWN_ISSUES`) and adds a check
that flags the same pattern in any source (:func:`quantity_breaks`): a year
whose weight falls below ``ratio`` times the median of its neighbours while the
implied unit value more than doubles. Callers surface the flags; they never
drop data on their own.

The panel's data-quality table (:mod:`retrade.panel.quality`) flags any
collapse of a quantity or value against its neighbours, for every series;
:func:`quantity_breaks` is the narrower test a model uses before it trusts
unit values: weight down *and* unit value up.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade.panel import schema as S


@dataclass(frozen=True)
class KnownIssue:
    """A documented problem with one reporter-year in some sources."""

    reporter: str
    year: int
    measure: str
    sources: tuple[str, ...]
    note: str


KNOWN_ISSUES: tuple[KnownIssue, ...] = (
    KnownIssue(
        reporter="CHN",
        year=2016,
        measure=S.NET_WEIGHT_KG,
        sources=("wits",),
        note="China-reported 2016 quantities collapse in WITS (280530 1.43 kt, 284690 5.06 kt, "
        "850511 35 kt against about 6, 20-35 and 90-130 kt in neighbouring years); values are "
        "less affected, but BACI's 2016 value is 1.86x WITS for 284690 (WITS China-reported "
        "exports against CEPII's BACI)",
    ),
)


def known_issue_flags(frame: pd.DataFrame) -> pd.Series:
    """The :data:`KNOWN_ISSUES` note for each row of a panel-like frame ('' where none applies).

    ``frame`` needs ``reporter``, ``year`` and ``source`` columns.

    Examples
    --------
    >>> df = pd.DataFrame({"reporter": ["CHN", "CHN"], "year": [2015, 2016],
    ...                    "source": ["wits", "wits"]})
    >>> [bool(n) for n in known_issue_flags(df)]
    [False, True]
    """
    notes = pd.Series("", index=frame.index, dtype="string")
    for issue in KNOWN_ISSUES:
        hit = (frame[S.REPORTER] == issue.reporter) & (frame[S.YEAR] == issue.year)
        if issue.sources:
            sources = frame[S.SOURCE].astype("string")
            names = sources.dropna().unique()  # the pattern runs once per distinct source
            matched = names[pd.Series(names, dtype="string").str.contains(
                "|".join(issue.sources), regex=True, na=False).to_numpy(dtype=bool)]
            hit &= sources.isin(matched)
        notes = notes.mask(hit.fillna(False).astype(bool), issue.note)
    return notes


def quantity_breaks(
    totals: pd.DataFrame,
    *,
    by: Sequence[str] = (S.REPORTER,),
    ratio: float = 0.5,
) -> pd.DataFrame:
    """Years whose total weight collapses while value does not.

    For each group in ``by`` and each year with a neighbour on at least one
    side, the weight and value are divided by the median of the adjacent years.
    A year is flagged when the weight ratio is below ``ratio`` and the implied
    unit value (value ratio / weight ratio) is more than twice that of the
    neighbours.

    Parameters
    ----------
    totals : DataFrame
        One row per group and year with ``year``, ``value_usd`` and ``net_weight_kg``.
    by : sequence of str
        Columns identifying a series.
    ratio : float
        Weight ratio below which a year counts as collapsed.

    Returns
    -------
    DataFrame
        ``by + [year, weight_ratio, value_ratio]`` for the flagged years only.

    Examples
    --------
    >>> t = pd.DataFrame({"reporter": "CHN", "year": [2015, 2016, 2017],
    ...                   "value_usd": [82.0, 58.0, 80.0], "net_weight_kg": [5.6, 1.4, 5.5]})
    >>> quantity_breaks(t)["year"].tolist()
    [2016]
    """
    keys = list(by)
    ordered = totals.sort_values([*keys, S.YEAR])
    groups = ordered.groupby(keys, sort=False, dropna=False)
    ratios = {}
    for column in (S.NET_WEIGHT_KG, S.VALUE_USD):
        x = ordered[column].astype(float)
        neighbours = np.vstack([groups[column].shift(1).astype(float).to_numpy(),
                                groups[column].shift(-1).astype(float).to_numpy()])
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # no neighbour: NaN, as it should be
            both = np.nanmean(neighbours, axis=0)
        ratios[column] = x.to_numpy() / np.where(both > 0, both, np.nan)
    w_ratio, v_ratio = ratios[S.NET_WEIGHT_KG], ratios[S.VALUE_USD]
    with np.errstate(invalid="ignore", divide="ignore"):
        hit = (w_ratio < ratio) & (v_ratio / w_ratio > 2.0)
    out = ordered.loc[hit, [*keys, S.YEAR]].copy()
    out["weight_ratio"] = w_ratio[hit]
    out["value_ratio"] = v_ratio[hit]
    return out.reset_index(drop=True)
