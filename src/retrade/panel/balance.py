"""The balanced bilateral panel a model needs: reporter x partner x period, zeros made explicit.

The stored panel has one row per *observed* flow; a partner the source shows no
trade with in a period simply has no row. Fixed-effects models of bilateral
trade need those zeros (Santos Silva and Tenreyro 2006: dropping them biases
log-linear gravity), so :func:`balanced_panel` fills them, and records which
cells it filled.

Rules
-----
* Zeros are filled only for periods the source covers: a period with no row
  for *any* partner of a reporter is a gap in the data, not zero trade; it is
  left out and reported with a :class:`~retrade.errors.DataQualityWarning`.
* The partner universe is every partner the reporter trades with (in the
  selected HS lines and flow) in any period, or the ``partners`` given.
* World and group rows are dropped; "areas nes" partners stay (unknown
  partners, not double counts), as in :mod:`retrade.panel.measures`.
* Several rows for one cell (national lines rolling up to one HS6, several HS6
  pooled) are summed; a cell's weight is missing if every row's weight is.
* Broken quantities are flagged in ``quantity_suspect`` (known issues and the
  collapse check of :mod:`retrade.panel.known_issues`), warned about, and dropped
  only when the caller lists the year in ``drop_years``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import DataQualityWarning, SpecificationError, check_choice
from retrade.panel import measures
from retrade.panel import schema as S
from retrade.panel.known_issues import known_issue_flags, quantity_breaks
from retrade.panel.periods import period_ordinal, year_of

Frequency = choices.Frequency
FILLED = "filled"
SUSPECT = "quantity_suspect"
SUSPECT_NOTE = "suspect_note"
TIME = "t"


def balanced_panel(
    panel: pd.DataFrame,
    *,
    hs6: str | Sequence[str] | None = None,
    reporter: str | Sequence[str] | None = None,
    flow: str = "export",
    frequency: Frequency = "A",
    partners: Sequence[str] | None = None,
    by_hs6: bool = False,
    drop_years: Sequence[int] = (),
) -> pd.DataFrame:
    """Balance a panel into reporter x partner (x hs6) x period cells with explicit zeros.

    Parameters
    ----------
    panel : DataFrame
        Rows in the :mod:`retrade.panel.schema` shape (not mutated).
    hs6 : str or sequence of str, optional
        HS6 lines to keep; several are summed unless ``by_hs6``. Default: all.
    reporter : str or sequence of str, optional
        Reporters to keep. Default: all.
    flow : str
        ``export``, ``import``, ``re-export`` or ``re-import``.
    frequency : {"A", "M"}
        Annual or monthly rows.
    partners : sequence of str, optional
        The partner universe; default every partner seen for the reporter.
    by_hs6 : bool
        Keep HS6 lines apart (units become reporter x partner x hs6).
    drop_years : sequence of int
        Years to leave out, e.g. ``(2016,)`` for China's broken WITS quantities.

    Returns
    -------
    DataFrame
        ``reporter, partner, [hs6,] period, year, month, t, value_usd, net_weight_kg,
        filled, quantity_suspect, suspect_note, source``; ``t`` counts periods
        (years, or months since year 0) so that event time is ``t - t_event``.

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "source": "wits", "frequency": "A", "period": ["2014", "2015", "2015"],
    ...     "year": [2014, 2015, 2015], "reporter": "CHN", "partner": ["JPN", "JPN", "USA"],
    ...     "flow": "export", "hs6": "280530", "value_usd": [5.0, 6.0, 2.0],
    ...     "net_weight_kg": [1.0, 1.0, 1.0]})
    >>> bal = balanced_panel(rows)
    >>> for row in bal[["partner", "year", "value_usd", "filled"]].values.tolist():
    ...     print(row)
    ['JPN', 2014, 5.0, False]
    ['JPN', 2015, 6.0, False]
    ['USA', 2014, 0.0, True]
    ['USA', 2015, 2.0, False]
    """
    _check_options(flow, frequency)
    rows, known = _select(panel, hs6=hs6, reporter=reporter, flow=flow, frequency=frequency,
                          drop_years=drop_years, by_hs6=by_hs6)
    dropped = {str(y) for y in drop_years}
    if rows.empty:
        raise SpecificationError(
            f"no {frequency} {flow} rows for hs6={hs6!r}, reporter={reporter!r} "
            f"after dropping years {list(drop_years)}"
        )
    units = [S.REPORTER, S.PARTNER] + ([S.HS6] if by_hs6 else [])
    keys = _Keys.of(rows, [*units, S.PERIOD], partners, known)
    cells = _sum_cells(rows, keys)
    grid = _grid(cells, keys, units, partners, frequency, dropped)
    year, month, t = _times(grid, keys, frequency)
    order = np.lexsort([t, *(grid[u].to_numpy() for u in reversed(units))])
    grid = grid.take(order).reset_index(drop=True)  # integer codes: the final order, cheaply
    columns = {c: keys.labels[c][grid[c].to_numpy()] for c in grid.columns}
    columns.update({S.YEAR: year[order], S.MONTH: month[order], TIME: t[order]})
    columns.update(_measures(cells, keys.cell(grid)))
    note = _flag_quantities(columns, grid, keys, units)
    columns.update({SUSPECT: note != "", SUSPECT_NOTE: note})
    names = [*units, S.PERIOD, S.YEAR, S.MONTH, TIME, S.VALUE_USD, S.NET_WEIGHT_KG,
             FILLED, SUSPECT, SUSPECT_NOTE, S.SOURCE]
    index = pd.RangeIndex(len(grid))  # typed columns: no inference over object arrays
    return pd.DataFrame({c: pd.Series(columns[c], index=index, dtype=columns[c].dtype, copy=False)
                         for c in names}, copy=False)


def _measures(cells: pd.DataFrame, cell: np.ndarray) -> dict[str, np.ndarray]:
    """Value, weight and sources of each grid row from its cell (a left join on the sorted
    cell integers): a cell without rows is a filled zero, value and weight 0 and source ''."""
    ids = cells["_cell"].to_numpy()  # sorted and distinct
    found = np.full(len(cell), -1, dtype=np.int64)
    if len(ids):
        at = np.minimum(np.searchsorted(ids, cell), len(ids) - 1)
        found = np.where(ids[at] == cell, at, -1)
    filled = found < 0
    at = np.where(filled, 0, found)
    out = {FILLED: filled}
    if not len(ids):
        return {**out, **{c: cells[c].to_numpy() for c in (S.VALUE_USD, S.NET_WEIGHT_KG,
                                                           S.SOURCE, "_source")}}
    value = cells[S.VALUE_USD].to_numpy()[at]
    out[S.VALUE_USD] = np.where(filled | np.isnan(value), 0.0, value)  # filled or all missing
    out[S.NET_WEIGHT_KG] = np.where(filled, 0.0, cells[S.NET_WEIGHT_KG].to_numpy()[at])
    code = cells["_source"].to_numpy()
    out["_source"] = np.where(filled, -1, code[at])
    text = np.empty(int(code.max()) + 2, dtype=object)  # the text of each code; '' for -1
    text[code], text[-1] = cells[S.SOURCE].to_numpy(), ""
    out[S.SOURCE] = text[out["_source"]]
    return out


@dataclass(frozen=True)
class _Keys:
    """The key columns of the selected rows as integer codes in text order (missing last).

    ``codes[c]`` numbers each row's value of column ``c`` by its rank among the
    column's distinct values (the missing value, if any, ranks last);
    ``labels[c]`` holds those values as Python objects, so a code's label is
    ``labels[c][code]``. Grouping, joining and sorting run on the codes; the
    text comes back once, at the end.
    """

    codes: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    missing: dict[str, int]

    @classmethod
    def of(cls, rows: pd.DataFrame, columns: list[str], partners: Sequence[str] | None,
           known: dict[str, tuple[np.ndarray, object]] | None = None) -> _Keys:
        """As ``pd.factorize(rows[c], sort=True)`` of each column (the given partners ranked
        too), from a factorization of the rows in ``known`` or made here: only the distinct
        values are sorted, and each row's code is looked up."""
        codes, labels, missing = {}, {}, {}
        for column in columns:
            row, distinct = (known or {}).get(column) or pd.factorize(rows[column])
            present = np.flatnonzero(np.bincount(row[row >= 0], minlength=len(distinct)))
            values = pd.Series(distinct).iloc[present]
            if column == S.PARTNER and partners is not None:  # the given partners rank too
                values = pd.concat([values, pd.Series(sorted(set(partners)), dtype=object)],
                                   ignore_index=True)
            rank, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
            lookup = np.zeros(len(distinct), dtype=np.int64)
            lookup[present] = rank[:len(present)]
            na = np.flatnonzero(row < 0)
            code = np.where(row < 0, len(uniques), lookup[np.maximum(row, 0)] if len(lookup)
                            else 0)
            labels[column] = np.asarray([*np.asarray(uniques, dtype=object),
                                         rows[column].iloc[na[0]] if len(na) else None],
                                        dtype=object)
            codes[column], missing[column] = code.astype(np.int64), len(uniques)
        return cls(codes, labels, missing)

    def cell(self, frame: pd.DataFrame, columns: Sequence[str] | None = None) -> np.ndarray:
        """One integer per combination of the codes of ``columns`` (default: every key column),
        ordered as the text is."""
        out = np.zeros(len(frame), dtype=np.int64)
        for column in self.codes if columns is None else columns:
            out = out * (self.missing[column] + 1) + frame[column].to_numpy()
        return out


def _labelled(grid: pd.DataFrame, keys: _Keys) -> pd.DataFrame:
    """The grid's key columns as text objects (as the previous, text-keyed grid had them)."""
    return pd.DataFrame({c: keys.labels[c][grid[c].to_numpy()] for c in grid.columns},
                        index=grid.index)


def _check_options(flow: str, frequency: str) -> None:
    check_choice("flow", flow, choices.Flow)
    check_choice("frequency", frequency, choices.Frequency)


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def _select(panel, *, hs6, reporter, flow, frequency, drop_years=(), by_hs6=True
            ) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, object]]]:
    """The rows of the flow, frequency, lines and reporters asked for, less aggregate partners
    and dropped years: one mask, one take of the columns balancing reads; and the
    factorizations made on the way (``pd.factorize`` of the column, on the kept rows)."""
    needed = [S.SOURCE, S.FREQUENCY, S.PERIOD, S.YEAR, S.REPORTER, S.PARTNER, S.FLOW, S.HS6,
              S.VALUE_USD, S.NET_WEIGHT_KG]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise SpecificationError(f"the panel lacks columns {missing}")
    keep = _true(panel[S.FLOW] == flow) & _true(panel[S.FREQUENCY] == frequency)
    known = {S.PARTNER: pd.factorize(panel[S.PARTNER])}
    keep &= ~measures.aggregate_rows(*known[S.PARTNER])
    for column, wanted in ((S.HS6, _as_tuple(hs6)), (S.REPORTER, _as_tuple(reporter))):
        if wanted is not None:
            known[column] = pd.factorize(panel[column])
            keep &= _wanted(known[column], column, wanted)
    if len(drop_years):
        keep &= ~np.asarray(panel[S.YEAR].isin(list(drop_years)), dtype=bool)
    read = [S.REPORTER, S.PARTNER, *([S.HS6] if by_hs6 else []), S.PERIOD, S.YEAR,
            S.VALUE_USD, S.NET_WEIGHT_KG, S.SOURCE]
    if keep.all():
        return panel[read], known
    return panel.loc[keep, read], {c: (code[keep], distinct)
                                   for c, (code, distinct) in known.items()}


def _true(mask: pd.Series) -> np.ndarray:
    """A comparison as plain booleans, missing counted as False."""
    return mask.to_numpy(dtype=bool, na_value=False)


def _wanted(factorized, column: str, wanted: tuple[str, ...]) -> np.ndarray:
    """Rows whose value is among ``wanted`` (every wanted value must occur), from the column's
    factorization: distinct values, not a ``unique`` and an ``isin`` over rows."""
    code, distinct = factorized
    present = set(np.asarray(distinct).astype(str))
    unknown = sorted(set(wanted) - present)
    if unknown:
        raise SpecificationError(f"{column} {unknown} not in the panel")
    hit = np.asarray(pd.Index(distinct).isin(wanted), dtype=bool)
    return hit[code] & (code >= 0) if len(hit) else code < -1


def _sum_cells(rows: pd.DataFrame, keys: _Keys) -> pd.DataFrame:
    """One row per cell, in key order: the key codes, summed value and weight (missing if every
    row's is), the sources joined with ``+`` in sorted order, the number of rows, and the
    cell's integer (``_cell``); every reduction is a built-in one over the integer cells."""
    frame = pd.DataFrame(keys.codes)
    cell = keys.cell(frame)
    ordered = len(cell) < 2 or bool((cell[1:] >= cell[:-1]).all())  # often sorted already
    order = np.arange(len(cell)) if ordered else np.argsort(cell, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cell[order]) != 0])
    cells = frame.iloc[order[starts]].reset_index(drop=True)
    measures = pd.DataFrame({
        column: pd.to_numeric(rows[column], errors="coerce").astype(float).to_numpy()
        for column in (S.VALUE_USD, S.NET_WEIGHT_KG)})
    for column in (S.VALUE_USD, S.NET_WEIGHT_KG):
        cells[column] = _cell_sums(measures[column].to_numpy(), cell, order, starts)
    cells["_source"], labels = _joined_sources(rows[S.SOURCE], cell, order, starts)
    cells[S.SOURCE] = labels[cells["_source"].to_numpy()]
    cells["_rows"] = np.diff(np.r_[starts, len(cell)])
    cells["_cell"] = cell[order[starts]]
    return cells


def _cell_sums(values: np.ndarray, cell: np.ndarray, order: np.ndarray,
               starts: np.ndarray) -> np.ndarray:
    """``groupby(cell).sum(min_count=1)``; when every cell holds one row, the value itself plus
    0.0 (what the group sum, starting from 0.0, returns for one value: -0.0 becomes 0.0)."""
    if len(starts) == len(cell):
        return values[order] + 0.0
    return pd.Series(values).groupby(cell, sort=True).sum(min_count=1).to_numpy()


def _joined_sources(sources: pd.Series, cell: np.ndarray, order: np.ndarray,
                    starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``"+".join(sorted(set(sources)))`` per cell (sources as text), as a code per cell and
    the text of each code: a bit per distinct source, OR-ed over each cell's rows; the join
    runs once per distinct set of sources."""
    raw, distinct = pd.factorize(sources, use_na_sentinel=False)
    names, text_code = np.unique(np.array([str(v) for v in distinct], dtype=str),
                                 return_inverse=True)
    codes = text_code[raw]
    if len(names) > 62:
        frame = pd.DataFrame({"cell": cell, "source": names[codes]})
        joined = frame.groupby("cell")["source"].agg(lambda s: "+".join(sorted(set(s))))
        which, labels = pd.factorize(joined.to_numpy())
        return which, np.asarray(labels, dtype=object)
    bits = np.left_shift(np.int64(1), codes.astype(np.int64))
    masks = np.bitwise_or.reduceat(bits[order], starts)
    which, distinct = pd.factorize(masks)  # hashed: the codes only number the sets
    labels = np.array(["+".join(names[(m >> np.arange(len(names))) & 1 == 1]) for m in distinct],
                      dtype=object)
    return which, labels


def _grid(
    cells: pd.DataFrame,
    keys: _Keys,
    units: list[str],
    partners: Sequence[str] | None,
    frequency: str,
    dropped: set[str],
) -> pd.DataFrame:
    """Every unit crossed with every period its reporter (and hs6) covers, as key codes."""
    scope = [u for u in units if u != S.PARTNER]
    known = np.logical_and.reduce([cells[c].to_numpy() != keys.missing[c] for c in scope])
    read = [*scope, S.PARTNER, S.PERIOD]  # the codes only, not the sums and sources
    cells = cells[read] if known.all() else cells.loc[known, read]
    periods = cells[[*scope, S.PERIOD]].drop_duplicates()
    if partners is None:
        who = cells[[*scope, S.PARTNER]].drop_duplicates()
    else:
        ranked = pd.Index(keys.labels[S.PARTNER][:-1])  # every partner, the given ones too
        given = ranked.get_indexer(pd.Index(sorted(set(partners)), dtype=object))
        who = periods[scope].drop_duplicates().merge(
            pd.DataFrame({S.PARTNER: given.astype(np.int64)}), how="cross")
    labelled = _labelled(periods, keys)
    for key, group in _gapped(labelled, scope, frequency):
        _warn_gaps(sorted(group[S.PERIOD].unique()), key, frequency, dropped)
    return who.merge(periods, on=scope)


def _gapped(periods: pd.DataFrame, scope: list[str], frequency: str):
    """The (key, rows) of the scope groups whose periods skip one, in sorted key order."""
    t = period_ordinal(periods[S.PERIOD])
    span = t.groupby([periods[c] for c in scope]).agg(["min", "max", "size"])
    gapped = span[(span["max"] - span["min"] + 1 > span["size"]).to_numpy()]
    if gapped.empty:
        return []
    rows = periods.merge(gapped.reset_index()[scope], on=scope)
    return rows.groupby(scope, sort=True)


def _warn_gaps(periods: list[str], key, frequency: str, dropped: set[str]) -> None:
    index = pd.PeriodIndex(periods, freq="M" if frequency == "M" else "Y")
    expected = pd.period_range(index.min(), index.max(), freq=index.freq)
    gaps = sorted(str(p) for p in set(expected) - set(index) if str(p)[:4] not in dropped)
    if gaps:
        warnings.warn(
            f"{key}: no rows at all for periods {gaps}; treated as gaps in the data, not as "
            "zero trade, and left out of the balanced panel",
            DataQualityWarning,
            stacklevel=4,
        )


def _times(grid: pd.DataFrame, keys: _Keys, frequency: str
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``year``, ``month`` and ``t`` of each grid row, parsed once per distinct period."""
    code = grid[S.PERIOD].to_numpy()
    labels = pd.Series(keys.labels[S.PERIOD][:-1])
    year = year_of(labels).to_numpy()[code]
    if frequency == "M":
        t = period_ordinal(labels).to_numpy()[code]
        return year, t - year * 12 + 1, t
    return year, np.full(len(code), pd.NA, dtype=object), year


def _flag_quantities(out: dict[str, np.ndarray], grid: pd.DataFrame, keys: _Keys,
                     units: list[str]) -> np.ndarray:
    """The suspect-quantity note of each row ('' if none): known-broken and collapsed quantity
    years (whole reporter-years), with a warning about them."""
    scope = [u for u in units if u != S.PARTNER]
    group = keys.cell(grid, scope) * 10_000 + out[S.YEAR]  # one integer a year
    notes = _issue_notes(out, grid, group)
    groups, first = np.unique(group, return_index=True)  # a row of each group
    totals = pd.DataFrame({c: out[c] for c in (S.VALUE_USD, S.NET_WEIGHT_KG)}).groupby(
        group).sum()
    totals = pd.concat([pd.DataFrame({c: out[c][first] for c in [*scope, S.YEAR]},
                                     index=totals.index), totals], axis=1)
    breaks = quantity_breaks(totals.reset_index(names="_group"), by=scope)
    notes = pd.DataFrame({"_note": notes}).join(
        totals[[*scope, S.YEAR]]).reset_index(names="_group")
    notes = notes.merge(breaks, on=[*scope, S.YEAR], how="left")
    detected = notes["weight_ratio"].notna() & (notes["_note"] == "")
    notes.loc[detected, "_note"] = [
        f"total weight {w:.2f}x and value {v:.2f}x the neighbouring years (quantity collapse)"
        for w, v in notes.loc[detected, ["weight_ratio", "value_ratio"]].itertuples(index=False)
    ]
    _warn_suspect(notes[notes["_note"] != ""], [*scope, S.YEAR])
    at = pd.Index(notes["_group"].to_numpy()).get_indexer(group)
    text = notes["_note"].to_numpy(dtype=object)
    return np.where(at >= 0, text[np.maximum(at, 0)] if len(text) else "", "").astype(object)


def _issue_notes(out: dict[str, np.ndarray], grid: pd.DataFrame, group: np.ndarray
                 ) -> pd.Series:
    """The largest known-issue note per group over its observed rows (as
    ``on_distinct(rows, known_issue_flags)`` and ``_max_text``): the notes are looked up once
    per distinct reporter, year and sources, found through their integer codes."""
    observed = ~out[FILLED]
    source_code = out["_source"][observed]
    reporter = grid[S.REPORTER].to_numpy()[observed]
    year = out[S.YEAR][observed]
    if not len(year):
        return _max_text(pd.Series([], dtype=object), group[observed])
    low, years, sources = int(year.min()), int(year.max() - year.min()) + 1, \
        int(source_code.max()) + 1
    combo, _ = pd.factorize((reporter * years + (year - low)) * sources + source_code)
    first = np.full(int(combo.max()) + 1, -1, dtype=np.int64)
    first[combo[::-1]] = np.arange(len(combo))[::-1]  # the first row of each combination
    rows = np.flatnonzero(observed)[first]
    flags = known_issue_flags(pd.DataFrame({c: out[c][rows]
                                            for c in (S.REPORTER, S.YEAR, S.SOURCE)}))
    names, rank = np.unique(np.array([str(v) for v in flags.fillna("")], dtype=str),
                            return_inverse=True)  # sorted, so the largest rank is the largest
    best = pd.Series(rank[combo]).groupby(group[observed]).max()
    return pd.Series(names.astype(object)[best.to_numpy()], index=best.index, name="_note")


def _max_text(values: pd.Series, group: np.ndarray) -> pd.Series:
    """The largest text per ``group`` (as ``groupby(group).max()``), through the rank of
    each distinct text, so the reduction is a built-in one."""
    raw, distinct = pd.factorize(values, use_na_sentinel=False)
    names, text_code = np.unique(np.array([str(v) for v in distinct], dtype=str),
                                 return_inverse=True)  # sorted, so the largest code wins
    best = pd.Series(text_code[raw]).groupby(group).max()
    return pd.Series(names.astype(object)[best.to_numpy()], index=best.index, name="_note")


def _warn_suspect(flagged: pd.DataFrame, keys: list[str]) -> None:
    if flagged.empty:
        return
    where = flagged[keys[0]].astype(str)
    for key in keys[1:]:  # "CHN/2016": the key columns joined by whole columns
        where = where + "/" + flagged[key].astype(str)
    lines = "; ".join(
        f"{', '.join(where[flagged['_note'] == note])}: {note}"
        for note in flagged["_note"].unique()
    )
    years = sorted(int(y) for y in flagged[S.YEAR].unique())
    warnings.warn(
        f"suspect quantities kept in the panel: {lines}. Quantity and unit-value results that "
        f"use these years are unreliable; pass drop_years={years} to leave them out",
        DataQualityWarning,
        stacklevel=4,
    )
