"""The implementations that whole-column code replaced, kept as the reference for equality tests.

Copied verbatim from the code before the change (per-cell lambdas, row-wise
joins, loops over groups, one regression per term), apart from their imports.
Only the tests use them: ``tests/models/test_models_fast_paths.py`` checks that the
new code gives the same numbers.
"""
# ruff: noqa

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from retrade.catalog.countries import WORLD, kind_of
from retrade.errors import DataQualityWarning, SpecificationError, require
from retrade.models.inference import demeaner
from retrade.panel import schema as S
from retrade.panel.known_issues import KNOWN_ISSUES

Frequency = Literal["A", "M"]
FILLED = "filled"
SUSPECT = "quantity_suspect"
SUSPECT_NOTE = "suspect_note"
TIME = "t"


def is_aggregate_partner(codes: pd.Series) -> pd.Series:
    """True where a partner code is the world total or a country group."""
    text = codes.astype("string")
    kinds = {code: kind_of(code) for code in text.dropna().unique()}  # once per code, not per row
    is_group = text.map(kinds).eq("group").fillna(False).astype(bool)
    return text.eq(WORLD).fillna(False).astype(bool) | is_group


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
            hit &= (
                frame[S.SOURCE]
                .astype("string")
                .str.contains("|".join(issue.sources), regex=True, na=False)
            )
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
    flagged = []
    for _, group in totals.sort_values([*keys, S.YEAR]).groupby(keys, sort=False, dropna=False):
        weight = group[S.NET_WEIGHT_KG].astype(float).to_numpy()
        value = group[S.VALUE_USD].astype(float).to_numpy()
        w_ratio = weight / _neighbour_median(weight)
        v_ratio = value / _neighbour_median(value)
        with np.errstate(invalid="ignore", divide="ignore"):
            hit = (w_ratio < ratio) & (v_ratio / w_ratio > 2.0)
        out = group.loc[hit, [*keys, S.YEAR]].copy()
        out["weight_ratio"] = w_ratio[hit]
        out["value_ratio"] = v_ratio[hit]
        flagged.append(out)
    if not flagged:
        return pd.DataFrame(columns=[*keys, S.YEAR, "weight_ratio", "value_ratio"])
    return pd.concat(flagged, ignore_index=True)


def _neighbour_median(x: np.ndarray) -> np.ndarray:
    """Median of the previous and next element (the one that exists at the edges)."""
    prev = np.concatenate([[np.nan], x[:-1]])
    nxt = np.concatenate([x[1:], [np.nan]])
    with np.errstate(invalid="ignore"):
        both = np.nanmean(np.vstack([prev, nxt]), axis=0) if len(x) > 1 else np.full(len(x), np.nan)
    return np.where(both > 0, both, np.nan)


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
    rows = _select(panel, hs6=hs6, reporter=reporter, flow=flow, frequency=frequency)
    rows = rows[~rows[S.YEAR].isin(list(drop_years))]
    dropped = {str(y) for y in drop_years}
    if rows.empty:
        raise SpecificationError(
            f"no {frequency} {flow} rows for hs6={hs6!r}, reporter={reporter!r} "
            f"after dropping years {list(drop_years)}"
        )
    units = [S.REPORTER, S.PARTNER] + ([S.HS6] if by_hs6 else [])
    cells = _sum_cells(rows, units)
    grid = _grid(cells, units, partners, frequency, dropped)
    out = grid.merge(cells, on=[*units, S.PERIOD], how="left")
    out[FILLED] = out["_rows"].isna()
    out[S.VALUE_USD] = out[S.VALUE_USD].fillna(0.0)
    out[S.NET_WEIGHT_KG] = out[S.NET_WEIGHT_KG].mask(out[FILLED], 0.0)
    out = _add_time(out, frequency)
    out = _flag_quantities(out, units)
    columns = [*units, S.PERIOD, S.YEAR, S.MONTH, TIME, S.VALUE_USD, S.NET_WEIGHT_KG,
               FILLED, SUSPECT, SUSPECT_NOTE, S.SOURCE]
    return out[columns].sort_values([*units, TIME]).reset_index(drop=True)


def _check_options(flow: str, frequency: str) -> None:
    if flow not in S.FLOWS:
        raise ValueError(f"flow must be one of {S.FLOWS}, got {flow!r}")
    if frequency not in S.FREQUENCIES:
        raise ValueError(f"frequency must be one of {S.FREQUENCIES}, got {frequency!r}")


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def _select(panel, *, hs6, reporter, flow, frequency) -> pd.DataFrame:
    needed = [S.SOURCE, S.FREQUENCY, S.PERIOD, S.YEAR, S.REPORTER, S.PARTNER, S.FLOW, S.HS6,
              S.VALUE_USD, S.NET_WEIGHT_KG]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise SpecificationError(f"the panel lacks columns {missing}")
    keep = (panel[S.FLOW] == flow) & (panel[S.FREQUENCY] == frequency)
    keep &= ~is_aggregate_partner(panel[S.PARTNER])
    for column, wanted in ((S.HS6, _as_tuple(hs6)), (S.REPORTER, _as_tuple(reporter))):
        if wanted is not None:
            unknown = sorted(set(wanted) - set(panel[column].dropna().astype(str)))
            if unknown:
                raise SpecificationError(f"{column} {unknown} not in the panel")
            keep &= panel[column].isin(wanted)
    extra = [S.MONTH] if S.MONTH in panel.columns else []
    return panel.loc[keep.fillna(False).astype(bool), needed + extra].copy()


def _sum_cells(rows: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    rows[S.VALUE_USD] = pd.to_numeric(rows[S.VALUE_USD], errors="coerce").astype(float)
    rows[S.NET_WEIGHT_KG] = pd.to_numeric(rows[S.NET_WEIGHT_KG], errors="coerce").astype(float)
    rows[S.SOURCE] = rows[S.SOURCE].astype(str)
    grouped = rows.groupby([*units, S.PERIOD], observed=True, dropna=False)
    cells = grouped.agg(
        value_usd=(S.VALUE_USD, lambda s: s.sum(min_count=1)),
        net_weight_kg=(S.NET_WEIGHT_KG, lambda s: s.sum(min_count=1)),
        source=(S.SOURCE, lambda s: "+".join(sorted(set(s)))),
        _rows=(S.SOURCE, "size"),
    )
    return cells.reset_index()


def _grid(
    cells: pd.DataFrame,
    units: list[str],
    partners: Sequence[str] | None,
    frequency: str,
    dropped: set[str],
) -> pd.DataFrame:
    """Every unit crossed with every period its reporter (and hs6) covers."""
    scope = [u for u in units if u != S.PARTNER]
    pieces = []
    for key, group in cells.groupby(scope, sort=True):
        periods = sorted(group[S.PERIOD].unique())
        who = sorted(group[S.PARTNER].unique()) if partners is None else sorted(set(partners))
        index = pd.MultiIndex.from_product([who, periods], names=[S.PARTNER, S.PERIOD])
        piece = index.to_frame(index=False)
        for column, value in zip(scope, key if isinstance(key, tuple) else (key,), strict=True):
            piece[column] = value
        pieces.append(piece)
        _warn_gaps(periods, key, frequency, dropped)
    return pd.concat(pieces, ignore_index=True)


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


def _add_time(out: pd.DataFrame, frequency: str) -> pd.DataFrame:
    out[S.YEAR] = out[S.PERIOD].str[:4].astype(int)
    if frequency == "M":
        out[S.MONTH] = out[S.PERIOD].str[5:7].astype(int)
        out[TIME] = out[S.YEAR] * 12 + out[S.MONTH] - 1
    else:
        out[S.MONTH] = pd.NA
        out[TIME] = out[S.YEAR]
    out[S.SOURCE] = out[S.SOURCE].fillna("")
    return out


def _flag_quantities(out: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """Mark known-broken and collapsed quantity years (whole reporter-years); warn about them."""
    keys = [*[u for u in units if u != S.PARTNER], S.YEAR]
    observed = out[~out[FILLED]]
    notes = (
        observed.assign(_note=known_issue_flags(observed).fillna(""))
        .groupby(keys, observed=True)["_note"].max()
        .reset_index()
    )
    totals = out.groupby(keys, observed=True)[[S.VALUE_USD, S.NET_WEIGHT_KG]].sum().reset_index()
    breaks = quantity_breaks(totals, by=keys[:-1])
    notes = notes.merge(breaks, on=keys, how="left")
    detected = notes["weight_ratio"].notna() & (notes["_note"] == "")
    notes.loc[detected, "_note"] = [
        f"total weight {w:.2f}x and value {v:.2f}x the neighbouring years (quantity collapse)"
        for w, v in notes.loc[detected, ["weight_ratio", "value_ratio"]].itertuples(index=False)
    ]
    out = out.merge(notes[[*keys, "_note"]], on=keys, how="left")
    out[SUSPECT_NOTE] = out.pop("_note").fillna("").astype(str)
    out[SUSPECT] = out[SUSPECT_NOTE] != ""
    _warn_suspect(notes[notes["_note"] != ""], keys)
    return out


def _warn_suspect(flagged: pd.DataFrame, keys: list[str]) -> None:
    if flagged.empty:
        return
    where = flagged[keys].astype(str).agg("/".join, axis=1)
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


def poisson_predict(fit, fe: Sequence[str], newdata: pd.DataFrame) -> np.ndarray:
    """Response-scale predictions of a pyfixest ``fepois`` fit for ``newdata``.

    Parameters
    ----------
    fit
        A fitted ``pyfixest.fepois`` model whose fixed effects are the plain
        columns ``fe`` (build interactions as columns; no ``^`` syntax).
    fe : sequence of str
        The fixed-effect columns, as in the model formula.
    newdata : DataFrame
        Rows to predict; must hold ``fe`` and the model's regressors.

    Returns
    -------
    ndarray
        exp(fixed effects + X b); NaN where a fixed-effect level was not estimated.

    Examples
    --------
    >>> import pyfixest as pf
    >>> d = pd.DataFrame({"y": [1.0, 3.0, 2.0, 6.0], "g": ["a", "a", "b", "b"]})
    >>> fit = pf.fepois("y ~ 1 | g", d)
    >>> poisson_predict(fit, ["g"], d).round(6).tolist()
    [2.0, 2.0, 4.0, 4.0]
    """
    pf = require("pyfixest", "models")
    sample = fit._data
    terms = [str(t) for t in fit._coefnames]
    beta = fit.coef()[terms].to_numpy(float) if terms else np.zeros(0)
    eta = np.log(np.asarray(fit.predict(type="response"), float))
    fe_part = eta - _xb(sample, terms, beta)
    work = sample[list(fe)].assign(_fe_part=fe_part)
    ols = pf.feols(f"_fe_part ~ 1 | {' + '.join(fe)}", data=work, fixef_rm="none",
                   demeaner=demeaner())
    if np.max(np.abs(np.asarray(ols.resid()))) > 1e-6:
        warnings.warn("fixed effects recovered from the fitted values with residual > 1e-6",
                      RuntimeWarning, stacklevel=2)
    fe_new = ols.predict(newdata=newdata[list(fe)], atol=1e-12, btol=1e-12)
    link = np.asarray(fe_new, float) + _xb(newdata, terms, beta)
    return np.exp(link)


def _xb(frame: pd.DataFrame, terms: list[str], beta: np.ndarray) -> np.ndarray:
    if not terms:
        return np.zeros(len(frame))
    return frame[terms].to_numpy(float) @ beta


def collinear_with_fixed_effects(data: pd.DataFrame, terms: Sequence[str], fe: str,
                                 *, tol: float = 1e-10) -> list[str]:
    """Terms that the fixed effects ``fe`` (pyfixest syntax) absorb entirely."""
    pf = require("pyfixest", "models")
    collinear = []
    for term in terms:
        x = data[term].astype(float)
        total = float(((x - x.mean()) ** 2).sum())
        if total == 0.0:
            collinear.append(term)
            continue
        fit = pf.feols(f"{term} ~ 1 | {fe}", data=data, fixef_rm="none", demeaner=demeaner())
        if float((np.asarray(fit.resid()) ** 2).sum()) < tol * total:
            collinear.append(term)
    return collinear


def gravity_key(data: pd.DataFrame, *columns: str) -> pd.Series:
    """The fixed-effect key of models/gravity.py: a row-wise join of the columns as text."""
    return data[list(columns)].astype(str).agg("|".join, axis=1)


def third_country_routing(
    panel: pd.DataFrame, *, importers: Sequence[str] = ("USA", "JPN", "EU27", "KOR"),
    conduits: Sequence[str] | None = None,
    candidates: Sequence[str] = ("VNM", "MYS", "EST", "THA", "HKG"),
    threshold: float = 0.5, level: str = "stage", measure: str = "value_usd",
    importer_totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Share of each importer's imports that comes from conduits (an indicator, not proof).

    With ``conduits`` the list is fixed; otherwise each product-period's conduits
    are the ``candidates`` whose imports are at least ``threshold`` from China
    (:func:`conduits_by_period`).

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": "USA", "flow": "import",
    ...     "partner": ["CHN", "VNM", "AUS"], "stage": "metals", "period": "2020",
    ...     "value_usd": [50.0, 30.0, 20.0], "net_weight_kg": 1.0})
    >>> third_country_routing(panel, importers=["USA"], conduits=["VNM"])["share"].tolist()
    [0.3]
    """
    from retrade.models.dependency import CONDUIT_CANDIDATES, IMPORTERS, _conduit_sets
    from retrade.panel.china import import_rows, members
    from retrade.panel.china import share_keys as _keys
    from retrade.panel.china import stack_rows as _concat
    from retrade.panel import measures

    keys = _keys(level)
    rows = _concat([import_rows(panel, imp) for imp in importers], panel)
    conduit_sets = _conduit_sets(panel, conduits, candidates, threshold, level, measure,
                                 importer_totals)
    out = []
    for key, grp in rows.groupby(keys, observed=True):
        fixed = conduits is not None
        chosen = conduit_sets if fixed else conduit_sets.get((key[1], key[2]), ())
        chosen = tuple(c for c in chosen if c not in members(key[0]))
        country = grp[~measures.is_aggregate_partner(grp[S.PARTNER])]
        total = float(country[measure].sum())
        routed = float(country.loc[country[S.PARTNER].isin(chosen), measure].sum())
        out.append({**dict(zip(keys, key, strict=True)), "routed": routed, "total": total,
                    "share": routed / total if total > 0 else np.nan,
                    "conduits": ",".join(sorted(chosen)),
                    "basis": "fixed list" if fixed else f"China share >= {threshold:g}"})
    return pd.DataFrame(out, columns=[*keys, "routed", "total", "share", "conduits", "basis"])


def classify_partner(partners: pd.Series, conduits: Sequence[str]) -> pd.Series:
    """``china``, ``conduit``, ``unallocated`` (nes/special areas) or ``network`` per partner."""
    kinds = partners.map(lambda c: kind_of(str(c)))
    label = pd.Series("network", index=partners.index, dtype=object)
    label[kinds != "country"] = "unallocated"
    label[partners.isin(list(conduits))] = "conduit"
    label[partners == "CHN"] = "china"
    return label
