"""Dependency metrics on the panel: China's share of an importer's imports, supplier HHI,
third-country routing, the dual-chain (non-China network) share, China's export destinations
and a decoupling index against a baseline.

Definitions (all by importer, product and period; ``level`` picks the product key,
``"stage"`` or ``"hs6"``):

* **China's share**, direct or mirror, and **group importers** (``"EU27"``):
  the one measure of :mod:`retrade.panel.china` (:func:`china_share`, used here
  and, summed over a stage's lines, by the forecasts).
* **Third-country routing**: the share of the importer's imports that comes from
  *conduits*, countries whose own imports of the same product are at least
  ``threshold`` from China (direct or mirror share), or a fixed list the user
  names. It is an indicator of possible routing, not evidence of transshipment:
  Malaysia and Estonia, for instance, host non-China separation plants.
* **Dual-chain share**: for a bloc of importers, the share of the bloc's
  (extra-group) imports that comes neither from China nor from conduits. With
  only mirror data its upper bound ``1 - China's mirror share`` is reported.
* **Decoupling index**: ``1 - share_t / mean(share over the baseline years)``;
  0 means no change, 0.3 a share 30% below its baseline level, negatives a rise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade.catalog.countries import kind_of
from retrade.errors import SpecificationError
from retrade.panel import measures
from retrade.panel import schema as S
from retrade.panel.china import (  # the one China-share measure, re-exported here
    IMPORTER,
    IMPORTERS,
    Basis,
    Level,
    check_totals,
    china_share,
    import_rows,
    members,
    mirror_rows,
    mirror_share,
    share_keys,
    stack_rows,
)
from retrade.panel.periods import year_of

__all__ = [
    "BLOC", "CONDUIT_CANDIDATES", "IMPORTER", "IMPORTERS", "Basis", "Level", "check_totals",
    "china_export_destinations", "china_share", "classify_partner", "conduits_by_period",
    "decoupling_index", "dual_chain_share", "import_rows", "members", "mirror_rows",
    "supplier_hhi", "third_country_routing", "window_means",
]

BLOC: tuple[str, ...] = ("USA", "JPN", "EU27", "KOR")
CONDUIT_CANDIDATES: tuple[str, ...] = ("VNM", "MYS", "EST", "THA", "HKG")


def supplier_hhi(
    panel: pd.DataFrame, *, importers: Sequence[str] = IMPORTERS, level: Level = "stage",
    measure: measures.Measure = "value_usd",
) -> pd.DataFrame:
    """Supplier concentration (HHI, 0-1) of each importer's imports; needs its own data.

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": "JPN", "flow": "import", "partner": ["CHN", "VNM"],
    ...     "stage": "metals", "period": "2020", "value_usd": [50.0, 50.0], "net_weight_kg": 1.0})
    >>> supplier_hhi(panel, importers=["JPN"])["hhi"].tolist()
    [0.5]
    """
    keys = share_keys(level)
    rows = stack_rows([import_rows(panel, imp) for imp in importers], panel)
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "hhi", "n_partners"])
    shares = measures.partner_shares(rows, measure=measure, by=keys)
    return measures.hhi(shares, by=keys)


def conduits_by_period(
    panel: pd.DataFrame, *, candidates: Sequence[str] = CONDUIT_CANDIDATES,
    threshold: float = 0.5, level: Level = "stage", measure: measures.Measure = "value_usd",
    importer_totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which candidate countries import at least ``threshold`` of a product from China.

    Returns :func:`china_share` rows for the candidates with ``conduit`` (bool);
    candidates without data are absent, not assumed.
    """
    if not 0 < threshold <= 1:
        raise SpecificationError(f"threshold must be in (0, 1], got {threshold!r}")
    shares = china_share(panel, importers=candidates, level=level, measure=measure,
                         importer_totals=importer_totals)
    return shares.assign(conduit=shares["share"] >= threshold)


def third_country_routing(
    panel: pd.DataFrame, *, importers: Sequence[str] = IMPORTERS,
    conduits: Sequence[str] | None = None, candidates: Sequence[str] = CONDUIT_CANDIDATES,
    threshold: float = 0.5, level: Level = "stage", measure: measures.Measure = "value_usd",
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
    keys = share_keys(level)
    rows = stack_rows([import_rows(panel, imp) for imp in importers], panel)
    conduit_sets = _conduit_sets(panel, conduits, candidates, threshold, level, measure,
                                 importer_totals)
    fixed = conduits is not None
    columns = [*keys, "routed", "total", "share", "conduits", "basis"]
    rows = rows.dropna(subset=keys)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    chosen = _chosen_conduits(rows[keys].drop_duplicates(), conduit_sets, fixed, level)
    pairs = chosen.drop(columns="conduits").explode("chosen").dropna(subset=["chosen"])
    pairs = pairs.rename(columns={"chosen": S.PARTNER}).drop_duplicates().assign(_routed=True)
    routed = rows.merge(pairs, on=[*keys, S.PARTNER], how="left")
    country = ~measures.is_aggregate_partner(rows[S.PARTNER]).to_numpy()
    values = pd.DataFrame({
        "total": rows[measure].where(country).to_numpy(dtype=float),
        "routed": rows[measure].where(country & routed["_routed"].eq(True).to_numpy()).to_numpy(
            dtype=float)})
    sums = values.groupby([rows[k].to_numpy() for k in keys]).sum()
    sums.index.names = keys
    out = sums.reset_index().merge(chosen.drop(columns="chosen"), on=keys, how="left")
    out["share"] = (out["routed"] / out["total"].where(out["total"] > 0)).astype(float)
    out["basis"] = "fixed list" if fixed else f"China share >= {threshold:g}"
    out[keys] = out[keys].astype(object)
    return out[columns]


def _chosen_conduits(groups: pd.DataFrame, conduit_sets, fixed: bool, level: str) -> pd.DataFrame:
    """``groups`` with ``chosen`` (the tuple of conduits of each importer-product-period, members
    of the importer's own group left out) and ``conduits`` (them as sorted text); both are
    built once per distinct importer and set, not once per group."""
    if fixed:
        sets = groups.assign(_set=[tuple(conduit_sets)] * len(groups))
    else:
        table = pd.DataFrame({"_key": list(conduit_sets), "_set": list(conduit_sets.values())})
        table[[level, S.PERIOD]] = pd.DataFrame(table.pop("_key").tolist(), index=table.index) \
            if len(table) else pd.DataFrame(columns=[level, S.PERIOD])
        sets = groups.merge(table, on=[level, S.PERIOD], how="left")
        none = sets["_set"].isna()
        sets.loc[none, "_set"] = pd.Series([()] * int(none.sum()), index=sets.index[none],
                                           dtype=object)
    distinct = sets[[IMPORTER, "_set"]].drop_duplicates()
    distinct["chosen"] = [tuple(c for c in cs if c not in members(imp))
                          for imp, cs in zip(distinct[IMPORTER], distinct["_set"], strict=True)]
    distinct["conduits"] = [",".join(sorted(c)) for c in distinct["chosen"]]
    return sets.merge(distinct, on=[IMPORTER, "_set"]).drop(columns="_set")


def _conduit_sets(panel, conduits, candidates, threshold, level, measure, importer_totals):
    if conduits is not None:
        return tuple(conduits)
    table = conduits_by_period(panel, candidates=candidates, threshold=threshold, level=level,
                               measure=measure, importer_totals=importer_totals)
    hits = table[table["conduit"]]
    return {key: tuple(grp[IMPORTER]) for key, grp in hits.groupby([level, S.PERIOD])}


def classify_partner(partners: pd.Series, conduits: Sequence[str]) -> pd.Series:
    """``china``, ``conduit``, ``unallocated`` (nes/special areas) or ``network`` per partner.

    Examples
    --------
    >>> classify_partner(pd.Series(["CHN", "VNM", "XNS", "AUS"]), ["VNM"]).tolist()
    ['china', 'conduit', 'unallocated', 'network']
    """
    codes, uniques = pd.factorize(partners, use_na_sentinel=False)
    kinds = pd.Series(np.array([kind_of(str(c)) for c in uniques], dtype=object)[codes],
                      index=partners.index)  # once per distinct partner
    label = pd.Series("network", index=partners.index, dtype=object)
    label[kinds != "country"] = "unallocated"
    label[partners.isin(list(conduits))] = "conduit"
    label[partners == "CHN"] = "china"
    return label


def dual_chain_share(
    panel: pd.DataFrame, *, bloc: Sequence[str] = BLOC,
    conduits: Sequence[str] = CONDUIT_CANDIDATES, level: Level = "stage",
    measure: measures.Measure = "value_usd", importer_totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How much of a bloc's imports stays in a non-China network, by product and period.

    Direct rows (members' own imports, extra-group for groups) give the split
    ``china / conduit / network / unallocated``; where no member reports, a
    mirror upper bound ``1 - China's mirror share`` of the members with totals
    is given instead (basis ``mirror_upper_bound``). ``reporting`` lists the
    members behind each number: a partial bloc is not the whole bloc.

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": ["USA", "USA", "JPN", "JPN"], "flow": "import",
    ...     "partner": ["CHN", "JPN", "CHN", "VNM"], "stage": "metals", "period": "2020",
    ...     "value_usd": [50.0, 50.0, 60.0, 40.0], "net_weight_kg": 1.0})
    >>> dual_chain_share(panel, bloc=["USA", "JPN"], conduits=["VNM"])[
    ...     ["china", "conduit", "network"]].values.tolist()
    [[0.55, 0.2, 0.25]]
    """
    rows = stack_rows([import_rows(panel, imp) for imp in bloc], panel)
    direct = _bloc_split(rows, conduits, level, measure)
    mirror = _bloc_mirror_bound(panel, bloc, level, measure, importer_totals)
    if len(direct):
        seen = direct.set_index([level, S.PERIOD]).index
        mirror = mirror[~mirror.set_index([level, S.PERIOD]).index.isin(seen)]
    return pd.concat([f for f in (direct, mirror) if len(f)] or [direct], ignore_index=True)


_SPLIT = ["china", "conduit", "network", "unallocated"]
_DUAL_COLUMNS = ["period", "total", *_SPLIT, "basis", "reporting"]


def _bloc_split(rows, conduits, level, measure) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=[level, *_DUAL_COLUMNS])
    rows = rows[~measures.is_aggregate_partner(rows[S.PARTNER])]
    rows = rows.assign(_class=classify_partner(rows[S.PARTNER], conduits))
    sums = rows.pivot_table(index=[level, S.PERIOD], columns="_class", values=measure,
                            aggfunc="sum", fill_value=0.0)
    sums = sums.reindex(columns=_SPLIT, fill_value=0.0)
    total = sums.sum(axis=1)
    out = sums.div(total.where(total > 0), axis=0).assign(total=total).reset_index()
    named = rows[[level, S.PERIOD, IMPORTER]].drop_duplicates().sort_values(IMPORTER)
    who = named.groupby([level, S.PERIOD])[IMPORTER].agg(",".join)  # one short list a cell
    out = out.merge(who.rename("reporting").reset_index(), on=[level, S.PERIOD])
    return out.assign(basis="direct")[[level, *_DUAL_COLUMNS]]


def _bloc_mirror_bound(panel, bloc, level, measure, importer_totals) -> pd.DataFrame:
    shares = mirror_share(panel, bloc, level, measure, importer_totals)
    if shares.empty:
        return pd.DataFrame(columns=[level, *_DUAL_COLUMNS])
    agg = shares.groupby([level, S.PERIOD]).agg(
        china=("china", "sum"), total=("total", "sum"),
        reporting=(IMPORTER, lambda s: ",".join(sorted(s))))
    agg["china"] = agg["china"] / agg["total"]
    agg["network"] = 1.0 - agg["china"]
    agg["conduit"] = agg["unallocated"] = np.nan
    return agg.reset_index().assign(basis="mirror_upper_bound")[[level, *_DUAL_COLUMNS]]


def china_export_destinations(
    panel: pd.DataFrame, *, bloc: Sequence[str] = BLOC,
    conduits: Sequence[str] = CONDUIT_CANDIDATES, level: Level = "stage",
    measure: measures.Measure = "value_usd",
) -> pd.DataFrame:
    """Where China's reported exports go: shares to the bloc, to conduits and to the rest.

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": "CHN", "flow": "export",
    ...     "partner": ["JPN", "VNM", "IND", "WLD"], "stage": "metals", "period": "2020",
    ...     "value_usd": [50.0, 30.0, 20.0, 100.0], "net_weight_kg": 1.0})
    >>> china_export_destinations(panel, bloc=["JPN"], conduits=["VNM"])[
    ...     ["group", "share"]].values.tolist()
    [['bloc', 0.5], ['conduits', 0.3], ['rest', 0.2]]
    """
    rows = panel[(panel[S.REPORTER] == "CHN") & (panel[S.FLOW] == "export")]
    rows = rows[~measures.is_aggregate_partner(rows[S.PARTNER])]
    bloc_members = [m for imp in bloc for m in members(imp)]
    groups = {"bloc": bloc_members, "conduits": [c for c in conduits if c not in bloc_members]}
    rows = rows.assign(group=measures.map_partner_groups(rows, groups, other="rest").values)
    out = rows.groupby([level, S.PERIOD, "group"], observed=True)[measure].sum().rename("value")
    out = out.reset_index()
    out["share"] = out["value"] / out.groupby([level, S.PERIOD])["value"].transform("sum")
    return out.sort_values([level, S.PERIOD, "group"]).reset_index(drop=True)


def decoupling_index(
    frame: pd.DataFrame, *, baseline: tuple[int, int], value: str = "share",
    by: Sequence[str] = (IMPORTER, "stage"),
) -> pd.DataFrame:
    """``1 - value / mean(value in the baseline years)`` per ``by`` group.

    Groups without a positive baseline get NaN (and ``baseline`` NaN).

    Examples
    --------
    >>> f = pd.DataFrame({"importer": "JPN", "stage": "metals",
    ...                   "period": ["2010", "2011", "2020"], "share": [0.9, 0.7, 0.6]})
    >>> decoupling_index(f, baseline=(2010, 2011))["decoupling_index"].round(3).tolist()
    [-0.125, 0.125, 0.25]
    """
    first, last = baseline
    if first > last:
        raise SpecificationError(f"baseline {baseline!r} must be (first_year, last_year)")
    years = year_of(frame[S.PERIOD])
    base = (frame[(years >= first) & (years <= last)].groupby(list(by))[value].mean()
            .rename("baseline").reset_index())
    out = frame.merge(base, on=list(by), how="left")
    out["decoupling_index"] = 1.0 - out[value] / out["baseline"].where(out["baseline"] > 0)
    return out


WINDOWS: dict[str, tuple[int, int]] = {
    "2005-2009": (2005, 2009), "2010-2014": (2010, 2014), "2015-2019": (2015, 2019),
    "2020-2022": (2020, 2022), "2023-2025": (2023, 2025),
}


def window_means(
    frame: pd.DataFrame, *, value: str, by: Sequence[str],
    windows: dict[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Mean of ``value`` in each window (default: around 2010, 2015, 2020 and 2023-2025)
    and its change from the previous window with data.

    Examples
    --------
    >>> f = pd.DataFrame({"k": "a", "period": ["2012", "2016", "2017"], "v": [0.8, 0.6, 0.5]})
    >>> window_means(f, value="v", by=["k"])[["window", "mean", "change"]].values.tolist()
    [['2010-2014', 0.8, nan], ['2015-2019', 0.55, -0.25]]
    """
    windows = WINDOWS if windows is None else windows
    years = year_of(frame[S.PERIOD])
    parts = []
    for name, (lo, hi) in windows.items():
        inside = frame[(years >= lo) & (years <= hi)]
        means = inside.groupby(list(by))[value].agg(["mean", "count"]).reset_index()
        parts.append(means.assign(window=name, first=lo))
    out = pd.concat(parts, ignore_index=True).sort_values([*by, "first"])
    out["change"] = out.groupby(list(by))["mean"].diff()
    return out.drop(columns="first")[[*by, "window", "mean", "count", "change"]].reset_index(
        drop=True)
