"""China in the panel: its share of an importer's imports (direct and mirror), and its exports.

The one China-share measure of retrade: the dependency metrics and the
dual-chain report (:mod:`retrade.models.dependency`) take the table
:func:`china_share`; the forecasts take the :class:`~retrade.panel.series.Series`
:func:`china_import_share`, which is the same measure summed over the HS6
lines of a stage.

* **Direct**: the importer's reported imports from China over its imports from
  all countries (per importer, product and period: the importer's world-total
  row where it has one, else the sum over partners; world and group rows are
  not partners, "areas nes" rows are; :func:`retrade.panel.measures.partner_shares`).
* **Mirror**: China's reported exports to the importer over the importer's
  total imports taken from ``importer_totals`` (for example BACI importer
  totals). China reports FOB, importers CIF; BACI reconciles both to FOB.
  Timing, re-exports via Hong Kong and misreporting make the ratio
  approximate; it can exceed 1 and is then flagged, not clipped. Without
  totals, :func:`china_import_share` can divide by every reporter's exports to
  the importer instead (flagged in the series' ``note``).
* **Group importers** (``"EU27"``): member reporters' imports from outside the
  group, so intra-EU trade is not counted as supply.

:func:`china_exports` is China's reported exports of a stage as a level series.
A stage means the catalog's core HS6 codes of that stage
(:func:`retrade.catalog.hs_codes`); ``include_broad=True`` adds the broad lines
(253090 ...). Rows of one flow must come from one source: if the panel holds
the same flow from several sources, pass ``source=``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade import choices
from retrade.catalog import WORLD, hs_codes
from retrade.catalog.countries import GROUPS
from retrade.errors import SpecificationError, check_choice
from retrade.panel import measures
from retrade.panel import schema as S
from retrade.panel.periods import parse_periods
from retrade.panel.series import Series

Level = choices.Level
Basis = choices.ShareBasis
Measure = choices.Measure
MirrorMode = choices.MirrorMode
IMPORTERS: tuple[str, ...] = ("USA", "JPN", "EU27", "KOR")
IMPORTER = "importer"
CHINA = "CHN"
SHARE_COLUMNS = ("china", "total", "share", "basis")
_UNITS = {S.VALUE_USD: "USD", S.NET_WEIGHT_KG: "kg"}


def members(importer: str) -> tuple[str, ...]:
    """Reporter codes behind an importer: itself, or a group's members (``EU27``).

    Examples
    --------
    >>> members("JPN"), len(members("EU27"))
    (('JPN',), 27)
    """
    return tuple(GROUPS.get(importer, (importer,)))


def share_keys(level: str) -> list[str]:
    check_choice("level", level, Level)
    return [IMPORTER, level, S.PERIOD]


def import_rows(panel: pd.DataFrame, importer: str) -> pd.DataFrame:
    """The importer's own import rows (extra-group for groups), labelled ``importer``.

    A single importer keeps its world-total row, the denominator of its shares;
    a group loses its members' world rows, which include intra-group trade, so
    its shares are of extra-group imports over the partners reported.
    """
    group = members(importer)
    rows = panel[(panel[S.FLOW] == "import") & panel[S.REPORTER].isin(group)]
    if importer in GROUPS:
        rows = rows[~rows[S.PARTNER].isin(group) & (rows[S.PARTNER] != "WLD")]
    return rows.assign(**{IMPORTER: importer})


def mirror_rows(panel: pd.DataFrame, importer: str) -> pd.DataFrame:
    """China's reported export rows to the importer (or the group's members)."""
    rows = panel[(panel[S.REPORTER] == "CHN") & (panel[S.FLOW] == "export")
                 & panel[S.PARTNER].isin(members(importer))]
    return rows.assign(**{IMPORTER: importer})


def stack_rows(frames: list[pd.DataFrame], panel: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else panel.iloc[0:0].assign(importer="")


def direct_share(panel, importers, level, measure) -> pd.DataFrame:
    keys = share_keys(level)
    rows = stack_rows([import_rows(panel, imp) for imp in importers], panel)
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "china", "total", "share", "basis"])
    shares = measures.partner_shares(rows, measure=measure, by=keys)
    totals = shares.groupby(keys, observed=True)["total"].first().reset_index()
    out = measures.share_of(shares, CHINA, by=keys).merge(totals, on=keys)
    china = shares[shares[S.PARTNER] == CHINA].groupby(keys, observed=True)[measure].sum()
    out = out.merge(china.rename("china").reset_index(), on=keys, how="left")
    out["china"] = out["china"].fillna(0.0)
    return out.assign(basis="direct")[[*keys, "china", "total", "share", "basis"]]


def check_totals(totals: pd.DataFrame | None, level: str) -> pd.DataFrame:
    """Validate ``importer_totals`` (columns importer, <level>, period, total)."""
    keys = share_keys(level)
    if totals is None:
        return pd.DataFrame(columns=[*keys, "total"])
    missing = [c for c in [*keys, "total"] if c not in totals.columns]
    if missing:
        raise SpecificationError(f"importer_totals lacks columns {missing}; expected "
                                 f"{[*keys, 'total']} (totals in the same measure)")
    return totals[[*keys, "total"]].astype({S.PERIOD: str})


def mirror_share(panel, importers, level, measure, importer_totals) -> pd.DataFrame:
    keys = share_keys(level)
    rows = stack_rows([mirror_rows(panel, imp) for imp in importers], panel)
    china = rows.groupby(keys, observed=True)[measure].sum(min_count=1).rename("china")
    out = china.reset_index().merge(check_totals(importer_totals, level), on=keys, how="inner")
    out["share"] = (out["china"] / out["total"].where(out["total"] > 0)).astype(float)
    return out.assign(basis="mirror")[[*keys, "china", "total", "share", "basis"]]


def china_share(
    panel: pd.DataFrame, *, importers: Sequence[str] = IMPORTERS, level: Level = "stage",
    measure: measures.Measure = "value_usd", basis: Basis = "auto",
    importer_totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """China's share of each importer's imports, direct or mirror-based.

    Parameters
    ----------
    panel : pandas.DataFrame
        Panel rows (:mod:`retrade.panel.schema`).
    importers : sequence of str
        ISO3 codes or group names (``"EU27"``).
    level : {"stage", "hs6"}
        Product key.
    measure : {"value_usd", "net_weight_kg"}
        What is summed.
    basis : {"auto", "direct", "mirror"}
        ``auto`` uses the importer's own data where present, mirror otherwise.
    importer_totals : pandas.DataFrame, optional
        ``importer, <level>, period, total``: the importers' total imports,
        needed for mirror shares.

    Returns
    -------
    pandas.DataFrame
        ``importer, <level>, period, china, total, share, basis, flag``.

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": ["JPN", "JPN", "CHN"], "flow": ["import", "import",
    ...     "export"], "partner": ["CHN", "VNM", "USA"], "stage": "metals", "period": "2020",
    ...     "value_usd": [60.0, 40.0, 30.0], "net_weight_kg": 1.0})
    >>> totals = pd.DataFrame({"importer": ["USA"], "stage": ["metals"], "period": ["2020"],
    ...                        "total": [120.0]})
    >>> china_share(panel, importers=["JPN", "USA"], importer_totals=totals)[
    ...     ["importer", "share", "basis"]].values.tolist()
    [['JPN', 0.6, 'direct'], ['USA', 0.25, 'mirror']]
    """
    check_choice("basis", basis, Basis)
    keys = share_keys(level)
    direct = direct_share(panel, importers, level, measure) if basis != "mirror" else None
    mirror = (mirror_share(panel, importers, level, measure, importer_totals)
              if basis != "direct" else None)
    if basis == "auto":
        seen = direct.set_index(keys).index
        mirror = mirror[~mirror.set_index(keys).index.isin(seen)]
    parts = [f for f in (direct, mirror) if f is not None and len(f)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*keys, "china", "total", "share", "basis"])
    out["flag"] = np.where(out["share"].astype(float) > 1, "mirror exceeds importer total", "")
    return out.sort_values(keys).reset_index(drop=True)



def china_import_share(
    panel: pd.DataFrame,
    importer: str,
    *,
    stage: str | None = None,
    measure: Measure = "value_usd",
    frequency: choices.Frequency = "A",
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
    check_choice("measure", measure, Measure)
    check_choice("mirror", mirror, MirrorMode)
    rows = _select(panel, frequency, stage, source, include_broad, measure)
    reported = rows[rows[S.REPORTER].isin(members(importer)) & (rows[S.FLOW] == "import")]
    if mirror == "always" or (mirror == "auto" and reported.empty):
        num, den, note = _mirror_sums(rows, importer, measure, frequency, importer_totals)
    else:
        if reported.empty:
            raise SpecificationError(f"no import rows reported by {importer!r} and mirror='never'")
        lines = direct_share(rows, [importer], S.HS6, measure)
        num, den = _period_sums(lines, "china", frequency), _period_sums(lines, "total", frequency)
        note = f"{importer}'s reported imports"
    label = f"China's share of {importer} imports, {stage or 'all stages'} ({measure})"
    return _as_series(num, den, frequency, label, note)


def _mirror_sums(rows, importer, measure, frequency, importer_totals):
    """China's exports to the importer and the mirror denominator per period, and the note:
    the importer's own totals (per HS6 line China exports), else every reporter's exports."""
    group = members(importer)
    exports = rows[(rows[S.FLOW] == "export") & rows[S.PARTNER].isin(group)]
    exports = exports[~exports[S.REPORTER].isin(group) & (exports[S.REPORTER] != WORLD)]
    if importer_totals is not None:
        totals = _line_totals(exports[exports[S.REPORTER] == CHINA], importer_totals, importer,
                              measure, frequency)
        lines = mirror_share(rows, [importer], S.HS6, measure, totals)
        return (_period_sums(lines, "china", frequency), _period_sums(lines, "total", frequency),
                f"mirror data: China's exports to {importer} / {importer}'s total imports")
    if set(exports[S.REPORTER]) <= {CHINA}:
        raise SpecificationError(
            f"only China reports exports to {importer}, so the mirror share would be 1 by "
            "construction; pass importer_totals= (e.g. rt.load_importer_totals()) or add other "
            "reporters' exports")
    china = exports[exports[S.REPORTER] == CHINA]
    return (_period_sums(china, measure, frequency), _period_sums(exports, measure, frequency),
            f"mirror data: China's exports to {importer} / all reporters' exports to {importer}")


def _line_totals(china: pd.DataFrame, totals: pd.DataFrame, importer: str, measure: str,
                 frequency: str) -> pd.DataFrame:
    """The importer's total imports (``importer, hs6, period, total`` in USD, one row per
    country, line and year; a group's members summed) for the lines China exports to it."""
    missing = [c for c in (IMPORTER, S.HS6, S.PERIOD, "total") if c not in totals.columns]
    if missing:
        raise SpecificationError(f"importer_totals lacks columns {missing}")
    if measure != S.VALUE_USD or frequency != "A":
        raise SpecificationError("importer_totals are annual values: use measure='value_usd', "
                                 "frequency='A'")
    mine = totals[totals[IMPORTER].isin(members(importer))]
    uncovered = sorted(set(china[S.HS6].astype(str)) - set(mine[S.HS6].astype(str)))
    if uncovered:
        raise SpecificationError(f"importer_totals have no totals for HS6 {uncovered}, which "
                                 "China exports: choose a stage the totals cover")
    keys = [S.HS6, S.PERIOD]
    summed = mine.astype({S.HS6: str, S.PERIOD: str}).groupby(keys)["total"].sum().reset_index()
    return summed.assign(**{IMPORTER: importer})


def _period_sums(frame: pd.DataFrame, column: str, frequency: str) -> pd.Series:
    """``column`` summed by period, on period-start Timestamps."""
    sums = frame.groupby(S.PERIOD, observed=True)[column].sum(min_count=1).astype(float)
    sums.index = parse_periods(sums.index.astype(str), frequency).to_timestamp()
    return sums.sort_index()


def _as_series(num: pd.Series, den: pd.Series, frequency: str, name: str, note: str) -> Series:
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


def china_exports(
    panel: pd.DataFrame,
    *,
    stage: str | None = None,
    measure: Measure = "net_weight_kg",
    frequency: choices.Frequency = "M",
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
    check_choice("measure", measure, Measure)
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
    totals = _period_sums(chosen, measure, frequency)
    name = f"China's exports to {partner}, {stage or 'all stages'} ({measure})"
    data = pd.DataFrame({"period": totals.index, "y": totals.to_numpy()})
    _check_complete(data["period"], frequency, name)
    return Series(data, frequency, "level", name=name, unit=_UNITS[measure], role="china_exports")


def _select(panel, frequency, stage, source, include_broad, measure) -> pd.DataFrame:
    check_choice("frequency", frequency, choices.Frequency)
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


