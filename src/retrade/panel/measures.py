"""Derived measures on the panel: unit values, totals, partner shares and concentration (HHI).

These are the building blocks the models, the dependency metrics and the
forecasts share, so each is computed in exactly one place.

Conventions
-----------
* Partner shares are computed over *partner rows that are not totals or
  groups*: ``WLD`` and group codes (``EUN``, ``ASN``) are excluded from both the
  numerator and the denominator; "areas nes" rows stay in the denominator
  (they are trade of unknown partner, not double counts).
* HHI is on the 0-1 scale (sum of squared shares); multiply by 10,000 for the
  antitrust convention.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade import choices
from retrade.catalog.countries import COMTRADE_SPECIAL, GROUPS, WORLD, kind_of
from retrade.errors import SpecificationError, check_choice
from retrade.panel import schema as S

Measure = choices.Measure
MEASURES: tuple[str, ...] = choices.values(Measure)


def _check_columns(panel: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise SpecificationError(f"the panel lacks columns {missing}")


def is_aggregate_partner(codes: pd.Series) -> pd.Series:
    """True where a partner code is the world total or a country group."""
    row_code, distinct = pd.factorize(codes)  # missing: -1, never an aggregate
    return pd.Series(aggregate_rows(row_code, distinct), index=codes.index)


def aggregate_rows(row_code: np.ndarray, distinct) -> np.ndarray:
    """:func:`is_aggregate_partner` from a factorization (``pd.factorize(codes)``): each code
    is looked up once, missing values (-1) are never aggregates."""
    text = pd.Index(np.asarray(distinct, dtype=object)).astype(str)  # str() of each code
    aggregate = np.asarray((text == WORLD) | text.str.upper().isin(_group_codes()), dtype=bool)
    return aggregate[row_code] & (row_code >= 0) if len(aggregate) else row_code < -1


def _group_codes() -> list[str]:
    """The reserved codes :func:`~retrade.catalog.countries.kind_of` calls ``group``."""
    return sorted({iso for iso, _name, _kind in COMTRADE_SPECIAL.values()
                   if kind_of(iso) == "group"})


def unit_values(panel: pd.DataFrame) -> pd.Series:
    """USD per kg for each row (missing where weight is missing or zero).

    Examples
    --------
    >>> df = pd.DataFrame({"value_usd": [10.0, 5.0, 1.0], "net_weight_kg": [2.0, 0.0, None]})
    >>> unit_values(df).tolist()
    [5.0, nan, nan]
    """
    value = pd.to_numeric(panel[S.VALUE_USD], errors="coerce").astype(float)
    weight = pd.to_numeric(panel[S.NET_WEIGHT_KG], errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = value / weight.where(weight > 0)
    return out.rename("unit_value_usd_per_kg")


def totals(
    panel: pd.DataFrame,
    *,
    by: Sequence[str] = (S.REPORTER, S.FLOW, S.STAGE, S.PERIOD),
    exclude_aggregates: bool = True,
) -> pd.DataFrame:
    """Sum value and weight by ``by``; ``unit_value_usd_per_kg`` of the sums.

    With ``exclude_aggregates`` world and group partner rows are left out so
    that country rows are not double counted.
    """
    _check_columns(panel, [*by, S.VALUE_USD, S.NET_WEIGHT_KG])
    rows = panel
    if exclude_aggregates and S.PARTNER in panel.columns:
        rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
    out = (
        rows.groupby(list(by), observed=True, dropna=False)[[S.VALUE_USD, S.NET_WEIGHT_KG]]
        .sum(min_count=1)
        .reset_index()
    )
    out["unit_value_usd_per_kg"] = unit_values(out)
    return out


def map_partner_groups(
    panel: pd.DataFrame, groups: dict[str, Sequence[str]] | None = None, *, other: str = "ROW"
) -> pd.Series:
    """A partner-group label per row (first matching group; ``other`` otherwise).

    ``groups`` defaults to :data:`retrade.catalog.countries.GROUPS` (EU27, G7, ASEAN);
    China gets its own label ``CHN`` so that China-vs-rest splits read naturally.
    """
    groups = dict(groups or GROUPS)
    label = pd.Series(other, index=panel.index, dtype="string")
    for name, members in reversed(list(groups.items())):
        label = label.mask(panel[S.PARTNER].isin(members), name)
    return label.mask(panel[S.PARTNER] == "CHN", "CHN")


def partner_shares(
    panel: pd.DataFrame,
    *,
    measure: Measure = "value_usd",
    by: Sequence[str] = (S.REPORTER, S.FLOW, S.STAGE, S.PERIOD),
    total: choices.PartnerTotal = "world",
) -> pd.DataFrame:
    """Each partner's share of the reporter's trade within ``by``.

    For import rows this is the share of each supplier in the importer's
    imports; for export rows, each destination's share of the exporter's
    exports. Returns ``by + [partner, <measure>, total, share, total_basis,
    coverage]``.

    Parameters
    ----------
    total : {"world", "partners"}
        The denominator. ``"world"`` (default) uses the reporter's own world
        total (the ``WLD`` partner row) where the group has one, so that a
        source holding only some partners (e.g. a query for China and World)
        does not make China 100% of the trade; without a ``WLD`` row, and with
        ``"partners"``, it is the sum over the country partners.
        ``total_basis`` says which was used and ``coverage`` is the partner sum
        over the total (1 on the partner basis; below 1 when partners are
        missing; above 1 flags an inconsistent world row).

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "reporter": ["JPN"] * 3, "flow": ["import"] * 3, "stage": ["metals"] * 3,
    ...     "period": ["2020"] * 3, "partner": ["CHN", "VNM", "WLD"],
    ...     "value_usd": [75.0, 25.0, 200.0], "net_weight_kg": [1.0, 1.0, 2.0]})
    >>> partner_shares(df)[["partner", "share", "coverage"]].values.tolist()
    [['CHN', 0.375, 0.5], ['VNM', 0.125, 0.5]]
    >>> partner_shares(df, total="partners")["share"].tolist()
    [0.75, 0.25]
    """
    check_choice("measure", measure, Measure)
    check_choice("total", total, choices.PartnerTotal)
    _check_columns(panel, [*by, S.PARTNER, measure])
    keys = list(by)
    rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
    flows = rows.groupby([*keys, S.PARTNER], observed=True, dropna=False)[measure].sum(min_count=1)
    flows = flows.reset_index()
    partner_sum = flows.groupby(keys, observed=True, dropna=False)[measure].transform("sum")
    flows["total"], flows["total_basis"] = partner_sum, "partner_sum"
    if total == "world":
        world = panel[panel[S.PARTNER] == WORLD].groupby(keys, observed=True, dropna=False)[measure]
        world = world.sum(min_count=1).rename("_world").reset_index()
        flows = flows.merge(world, on=keys, how="left")
        has_world = flows["_world"].notna() & (flows["_world"] > 0)
        flows["total"] = flows["total"].where(~has_world, flows["_world"])
        flows["total_basis"] = flows["total_basis"].where(~has_world, "world_row")
        flows = flows.drop(columns="_world")
    positive = flows["total"].where(flows["total"] > 0)
    flows["share"] = (flows[measure] / positive).astype(float)
    flows["coverage"] = (partner_sum / positive).astype(float)
    return flows.sort_values([*keys, "share"], ascending=[True] * len(keys) + [False]).reset_index(
        drop=True
    )


def hhi(
    shares: pd.DataFrame, *, by: Sequence[str] = (S.REPORTER, S.FLOW, S.STAGE, S.PERIOD)
) -> pd.DataFrame:
    """Herfindahl-Hirschman index (0-1) over the reported partners, from :func:`partner_shares`.

    Shares are taken relative to the partners' own sum (so they add up to 1)
    whatever the denominator of ``shares``; ``coverage`` (when ``shares`` has
    it) tells how much of the world total those partners hold, so that an HHI
    over a partial partner list can be read for what it is.

    Examples
    --------
    >>> s = pd.DataFrame({"reporter": ["J", "J"], "share": [0.5, 0.5]})
    >>> hhi(s, by=["reporter"])[["hhi", "n_partners"]].values.tolist()
    [[0.5, 2.0]]
    """
    _check_columns(shares, [*by, "share"])
    positive = shares[shares["share"] > 0].copy()
    coverage = (
        positive["coverage"] if "coverage" in positive else pd.Series(1.0, index=positive.index)
    )
    positive["_s2"] = (positive["share"] / coverage.where(coverage > 0, 1.0)) ** 2
    grouped = positive.groupby(list(by), observed=True, dropna=False)
    out = grouped["_s2"].agg(hhi="sum", n_partners="count")
    out["n_partners"] = out["n_partners"].astype(float)
    if "coverage" in positive:
        out["coverage"] = grouped["coverage"].first()
    return out.reset_index()


def share_of(
    shares: pd.DataFrame,
    partner: str | Sequence[str],
    *,
    by: Sequence[str] = (S.REPORTER, S.FLOW, S.STAGE, S.PERIOD),
) -> pd.DataFrame:
    """The combined share of ``partner`` (one code or several) per ``by`` group (0 where absent).

    Examples
    --------
    >>> s = pd.DataFrame({"reporter": ["J", "J", "U"], "partner": ["CHN", "VNM", "VNM"],
    ...                   "share": [0.6, 0.4, 1.0]})
    >>> share_of(s, "CHN", by=["reporter"])["share"].tolist()
    [0.6, 0.0]
    """
    _check_columns(shares, [*by, S.PARTNER, "share"])
    wanted = [partner] if isinstance(partner, str) else list(partner)
    groups = shares[list(by)].drop_duplicates()
    hit = (
        shares[shares[S.PARTNER].isin(wanted)]
        .groupby(list(by), observed=True, dropna=False)["share"]
        .sum()
        .reset_index()
    )
    out = groups.merge(hit, on=list(by), how="left")
    out["share"] = out["share"].fillna(0.0)
    return out.reset_index(drop=True)
