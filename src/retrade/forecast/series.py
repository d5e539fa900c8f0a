"""Series builders: pure functions from a panel (``retrade.panel.schema`` columns) to a Series.

- :func:`china_import_share`: China's share of an importer's rare-earth imports
  by stage, from the importer's own import rows; when the importer reports
  none, from mirror data (China's exports to it over every reporter's exports
  to it), flagged in the series' ``note``.
- :func:`china_exports`: China's exports by stage (all partners or one), as a
  level series of values or net weights.

A stage means the catalog's core HS6 codes of that stage
(:func:`retrade.catalog.hs_codes`); ``include_broad=True`` adds the broad lines
(253090 ...). Rows of one flow must come from one source: if the panel holds
the same flow from several sources, pass ``source=``.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from retrade import choices
from retrade.catalog import GROUPS, WORLD, hs_codes
from retrade.errors import SpecificationError, check_choice
from retrade.panel import schema as S
from retrade.panel.series import Frequency, Series

Measure = choices.Measure
MirrorMode = choices.MirrorMode
CHINA = "CHN"
_UNITS = {S.VALUE_USD: "USD", S.NET_WEIGHT_KG: "kg"}


def china_import_share(
    panel: pd.DataFrame,
    importer: str,
    *,
    stage: str | None = None,
    measure: Measure = "value_usd",
    frequency: Literal["A", "M"] = "A",
    mirror: MirrorMode = "auto",
    source: str | None = None,
    include_broad: bool = False,
    importer_totals: pd.DataFrame | None = None,
) -> Series:
    """China's share of ``importer``'s imports of a stage (a ``share`` Series).

    Parameters
    ----------
    panel : DataFrame
        Rows with the panel schema's columns (at least reporter, partner,
        flow, hs6, frequency, period and ``measure``).
    importer : str
        ISO3 code, or a group of :data:`retrade.catalog.GROUPS` (``"EU27"``:
        imports from outside the group, summed over members).
    stage : str, optional
        ``ores``, ``compounds``, ``metals`` or ``magnets``; None for all.
    measure : {"value_usd", "net_weight_kg"}
    frequency : {"A", "M"}
    mirror : {"auto", "never", "always"}
        Use mirror data: when the importer reports no imports (``auto``), never, or always.
    source : str, optional
        Keep only rows from this source.
    include_broad : bool
        Include broad HS lines of the stage.
    importer_totals : DataFrame, optional
        The importer's total imports (``importer, hs6, period, total``, in USD; e.g.
        :func:`retrade.load_importer_totals` from BACI world summaries), the mirror
        denominator when only China reports exports to the importer. Periods and
        HS6 lines are those China reports; a line China exports without a total
        is an error.

    Returns
    -------
    Series
        ``kind="share"``, ``role="china_share"``; ``note`` says which data were used.

    Examples
    --------
    >>> rows = pd.DataFrame({"source": "x", "frequency": "A", "period": ["2020"] * 2,
    ...     "reporter": "JPN", "partner": ["CHN", "WLD"], "flow": "import",
    ...     "hs6": "284690", "value_usd": [30.0, 40.0]})
    >>> rows = pd.concat([rows, rows.assign(period="2021", value_usd=[20.0, 40.0]),
    ...                   rows.assign(period="2022", value_usd=[10.0, 40.0])])
    >>> china_import_share(rows, "JPN", stage="compounds").y.tolist()
    [0.75, 0.5, 0.25]

    China's exports over the importer's totals (China is the only reporter):

    >>> chn = rows[rows.partner == "CHN"].assign(reporter="CHN", partner="JPN", flow="export")
    >>> totals = pd.DataFrame({"importer": "JPN", "hs6": "284690",
    ...                        "period": ["2020", "2021", "2022"], "total": [60.0, 80, 80]})
    >>> china_import_share(chn, "JPN", stage="compounds", importer_totals=totals).y.tolist()
    [0.5, 0.25, 0.125]
    """
    check_choice("measure", measure, tuple(_UNITS))
    check_choice("mirror", mirror, MirrorMode)
    members = _members(importer)
    rows = _select(panel, frequency, stage, source, include_broad, measure)
    direct = rows[rows[S.REPORTER].isin(members) & (rows[S.FLOW] == "import")]
    use_mirror = mirror == "always" or (mirror == "auto" and direct.empty)
    if use_mirror:
        exports = rows[(rows[S.FLOW] == "export") & rows[S.PARTNER].isin(members)]
        exports = exports[~exports[S.REPORTER].isin(members) & (exports[S.REPORTER] != WORLD)]
        china = exports[exports[S.REPORTER] == CHINA]
        if importer_totals is not None:
            num, den = _over_totals(china, importer_totals, members, measure, frequency)
            note = f"mirror data: China's exports to {importer} / {importer}'s total imports"
        else:
            if set(exports[S.REPORTER]) <= {CHINA}:
                raise SpecificationError(
                    f"only China reports exports to {importer}, so the mirror share would be 1 "
                    "by construction; pass importer_totals= (e.g. rt.load_importer_totals()) "
                    "or add other reporters' exports"
                )
            num = _by_period(china, measure)
            den = _by_period(exports, measure)
            note = (
                f"mirror data: China's exports to {importer} / all reporters' exports to "
                f"{importer}"
            )
    else:
        if direct.empty:
            raise SpecificationError(f"no import rows reported by {importer!r} and mirror='never'")
        num = _by_period(direct[direct[S.PARTNER] == CHINA], measure)
        den = _import_totals(direct, members, measure)
        note = f"{importer}'s reported imports"
    label = f"China's share of {importer} imports, {stage or 'all stages'} ({measure})"
    return _as_series(num, den, frequency, label, note)


def china_exports(
    panel: pd.DataFrame,
    *,
    stage: str | None = None,
    measure: Measure = "net_weight_kg",
    frequency: Literal["A", "M"] = "M",
    partner: str = WORLD,
    source: str | None = None,
    include_broad: bool = False,
) -> Series:
    """China's reported exports of a stage to ``partner`` (a ``level`` Series).

    With ``partner="WLD"`` the world-total rows are used when present,
    otherwise the sum over all partner rows.

    Examples
    --------
    >>> rows = pd.DataFrame({"source": "x", "frequency": "M",
    ...     "period": ["2024-01", "2024-01", "2024-02", "2024-02", "2024-03"],
    ...     "reporter": "CHN", "partner": ["JPN", "USA", "JPN", "USA", "JPN"], "flow": "export",
    ...     "hs6": "850511", "net_weight_kg": [5.0, 1.0, 4.0, 2.0, 3.0]})
    >>> china_exports(rows, stage="magnets").y.tolist()
    [6.0, 6.0, 3.0]
    """
    check_choice("measure", measure, tuple(_UNITS))
    rows = _select(panel, frequency, stage, source, include_broad, measure)
    rows = rows[(rows[S.REPORTER] == CHINA) & (rows[S.FLOW] == "export")]
    chosen = rows[rows[S.PARTNER] == partner]
    if partner == WORLD and chosen.empty:
        chosen = rows[rows[S.PARTNER] != WORLD]
    if chosen.empty:
        raise SpecificationError(
            f"no China export rows for partner {partner!r}, stage {stage!r}, "
            f"frequency {frequency!r}"
        )
    totals = _by_period(chosen, measure)
    name = f"China's exports to {partner}, {stage or 'all stages'} ({measure})"
    data = pd.DataFrame({"period": totals.index, "y": totals.to_numpy()})
    _check_complete(data["period"], frequency, name)
    return Series(data, frequency, "level", name=name, unit=_UNITS[measure], role="china_exports")


def _members(importer: str) -> tuple[str, ...]:
    code = str(importer).upper()
    return GROUPS.get(code, (code,))


def _select(panel, frequency, stage, source, include_broad, measure) -> pd.DataFrame:
    check_choice("frequency", frequency, S.FREQUENCIES)
    needed = [S.FREQUENCY, S.PERIOD, S.REPORTER, S.PARTNER, S.FLOW, S.HS6, measure]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise SpecificationError(f"panel lacks columns {missing}")
    codes = hs_codes(stage if stage is not None else "all", include_broad=include_broad)
    keep = (panel[S.FREQUENCY] == frequency) & panel[S.HS6].astype(str).isin(codes)
    if source is not None:
        keep &= panel[S.SOURCE] == source
    rows = panel.loc[keep]
    key = [S.PERIOD, S.REPORTER, S.PARTNER, S.FLOW, S.HS6]
    if rows.duplicated(key).any():
        sources = sorted(rows[S.SOURCE].dropna().unique()) if S.SOURCE in rows else []
        raise SpecificationError(
            f"the panel holds the same flows more than once (sources {sources}); pass source="
        )
    return rows


def _by_period(rows: pd.DataFrame, measure: str) -> pd.Series:
    values = rows[measure].astype("float64")
    periods = pd.to_datetime(rows[S.PERIOD].astype(str), format="mixed")
    return values.groupby(periods.to_numpy()).sum(min_count=1)


def _over_totals(
    china: pd.DataFrame,
    totals: pd.DataFrame,
    members: tuple[str, ...],
    measure: str,
    frequency: str,
) -> tuple[pd.Series, pd.Series]:
    """China's exports and the importer's totals per period, over the lines and periods China
    reports (totals are values in USD, one row per importer, HS6 and period)."""
    missing = [c for c in ("importer", "hs6", "period", "total") if c not in totals.columns]
    if missing:
        raise SpecificationError(f"importer_totals lacks columns {missing}")
    if measure != S.VALUE_USD or frequency != "A":
        raise SpecificationError("importer_totals are annual values: use measure='value_usd', "
                                 "frequency='A'")
    mine = totals[totals["importer"].isin(members)]
    lines = set(china[S.HS6].astype(str))
    uncovered = sorted(lines - set(mine["hs6"].astype(str)))
    if uncovered:
        raise SpecificationError(f"importer_totals have no totals for HS6 {uncovered}, which "
                                 "China exports: choose a stage the totals cover")
    periods = set(china[S.PERIOD].astype(str))
    mine = mine[mine["hs6"].astype(str).isin(lines) & mine["period"].astype(str).isin(periods)]
    frame = pd.DataFrame({S.PERIOD: mine["period"].astype(str), "total": mine["total"]})
    return _by_period(china, measure), _by_period(frame, "total")


def _import_totals(direct: pd.DataFrame, members: tuple[str, ...], measure: str) -> pd.Series:
    """Import totals per period: per HS6 line, the WLD rows if the line has them, else the
    sum over partners (for a group: partners outside it, as its WLD rows include intra trade)."""
    parts = []
    for _, line in direct.groupby(S.HS6):
        world = line[line[S.PARTNER] == WORLD]
        if len(members) == 1 and not world.empty:
            parts.append(world)
        else:
            parts.append(line[(line[S.PARTNER] != WORLD) & ~line[S.PARTNER].isin(members)])
    return _by_period(pd.concat(parts), measure)


def _as_series(
    num: pd.Series, den: pd.Series, frequency: Frequency, name: str, note: str
) -> Series:
    bad = den[~(den > 0)]
    if len(bad) or den.empty:
        raise SpecificationError(
            f"{name}: no positive import total in periods {[str(p.date()) for p in bad.index][:8]}"
        )
    share = num.reindex(den.index).fillna(0.0) / den
    data = pd.DataFrame({"period": share.index, "y": share.to_numpy()})
    _check_complete(data["period"], frequency, name)
    return Series(data, frequency, "share", name=name, unit="share", role="china_share", note=note)


def _check_complete(periods: pd.Series, frequency: str, name: str) -> None:
    full = pd.date_range(periods.min(), periods.max(), freq="YS" if frequency == "A" else "MS")
    gaps = full.difference(pd.DatetimeIndex(periods))
    if len(gaps):
        raise SpecificationError(
            f"{name}: no data in periods {[str(p.date()) for p in gaps][:8]}; "
            "fill or cut the panel before forecasting"
        )
