"""Exposure to a policy event: which partners were most reliant on the flow before it.

An exposure design compares partners that bought much of the restricted flow in
a baseline window with those that bought little (the "shift-share" logic of
Bartik 1991 and Goldsmith-Pinkham, Sorkin and Swift 2020, applied at the
partner level). Two kinds:

* ``top_k``: a binary group, the ``k`` partners with the largest baseline
  statistic (mean value, mean quantity or mean yearly share over the window);
* ``share``: a continuous exposure, the partner's share of the reporter's total
  over the baseline window.

When the measure itself names partners (the 2010 halt to Japan) the exposure is
``named``: those partners, by default. Partners listed in ``exclude`` (codes or
names, e.g. the Hong Kong re-export hub) are removed from the estimation sample
altogether, not only from the ranking.

Examples
--------
>>> spec = top_k(5, baseline=(2010, 2012), exclude=("HKG",))
>>> spec.kind, spec.k, spec.baseline
('top_k', 5, (2010, 2012))
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import ConfigError, DataQualityWarning, SpecificationError, check_choice
from retrade.panel import measures
from retrade.panel import schema as S
from retrade.panel.balance import SUSPECT

Kind = choices.ExposureKind
By = choices.ExposureBy
BYS: tuple[str, ...] = choices.values(By)
EXPOSURE = "exposure"


@dataclass(frozen=True)
class ExposureSpec:
    """How to build the exposure (see :func:`top_k`, :func:`baseline_share`, :func:`named`)."""

    kind: Kind = "top_k"
    k: int = 10
    by: By = "value_usd"
    baseline: tuple[int, int] | None = None
    exclude: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exposure:
    """The exposure a model used: the spec, the baseline window and one row per partner."""

    spec: ExposureSpec
    baseline: tuple[int, int]
    table: pd.DataFrame
    excluded: tuple[str, ...]

    @property
    def group(self) -> tuple[str, ...]:
        """Partners with positive exposure (the treated group of a binary design)."""
        return tuple(self.table.loc[self.table[EXPOSURE] > 0, S.PARTNER])

    def describe(self) -> str:
        """One line for summaries."""
        lo, hi = self.baseline
        dropped = f"; excluded from the sample: {', '.join(self.excluded)}" if self.excluded else ""
        if self.spec.kind == "share":
            return f"continuous baseline share of {self.spec.by}, {lo}-{hi}{dropped}"
        head = ", ".join(self.group[:12]) + (" ..." if len(self.group) > 12 else "")
        how = "named by the measure" if self.spec.kind == "named" else (
            f"top {self.spec.k} by mean {self.spec.by}, {lo}-{hi}")
        return f"{len(self.group)} exposed partners ({how}): {head}{dropped}"


def top_k(
    k: int = 10, *, by: By = "value_usd", baseline: tuple[int, int] | None = None,
    exclude: Sequence[str] = (),
) -> ExposureSpec:
    """Binary exposure: the ``k`` partners with the highest baseline mean of ``by``."""
    return _spec("top_k", k=k, by=by, baseline=baseline, exclude=exclude)


def baseline_share(
    *, by: Literal["value_usd", "net_weight_kg"] = "value_usd",
    baseline: tuple[int, int] | None = None, exclude: Sequence[str] = (),
) -> ExposureSpec:
    """Continuous exposure: each partner's share of the reporter's baseline-window total."""
    if by == "share":
        raise ConfigError("baseline_share measures a share of value_usd or net_weight_kg")
    return _spec("share", by=by, baseline=baseline, exclude=exclude)


def named(partners: Sequence[str], *, exclude: Sequence[str] = ()) -> ExposureSpec:
    """Binary exposure of the partners a measure names (codes or names)."""
    return _spec("named", partners=_codes(partners), exclude=exclude)


def _spec(kind, *, k=10, by="value_usd", baseline=None, exclude=(), partners=()) -> ExposureSpec:
    check_choice("by", by, BYS)
    if baseline is not None:
        lo, hi = (int(b) for b in baseline)
        if lo > hi:
            raise SpecificationError(f"baseline window {baseline} runs backwards")
        baseline = (lo, hi)
    return ExposureSpec(kind=kind, k=int(k), by=by, baseline=baseline,
                        exclude=_codes(exclude), partners=tuple(partners))


def _codes(values: Sequence[str]) -> tuple[str, ...]:
    """ISO3 codes kept as they are; anything else is read as a country name."""
    from retrade.catalog import to_iso3

    values = [values] if isinstance(values, str) else list(values)
    names = [v for v in values if not (len(v) == 3 and v.isupper())]
    mapped = dict(zip(names, to_iso3(names, scheme="name"), strict=True)) if names else {}
    return tuple(mapped.get(v, v) for v in values)


def compute_exposure(bal: pd.DataFrame, spec: ExposureSpec, *, first_post_year: int,
                     partner_codes: tuple[np.ndarray, np.ndarray] | None = None) -> Exposure:
    """Exposure per partner from a balanced panel (one reporter); raises on a degenerate group.

    ``partner_codes`` (each row's code into an array of the distinct partners, as
    ``pd.factorize`` gives them) spares hashing the partner text again.
    """
    baseline = _window(bal, spec.baseline, first_post_year)
    code, labels = partner_codes if partner_codes is not None else (None, None)
    if code is not None and (len(code) != len(bal) or (code < 0).any()):
        code = labels = None  # a missing partner: the text path, as before
    seen = set(labels.tolist() if code is not None else bal[S.PARTNER].unique().tolist())
    partners = sorted(seen - set(spec.exclude))
    rows = bal
    if seen & set(spec.exclude):
        keep = bal[S.PARTNER].isin(partners)
        rows, code = bal[keep], None if code is None else code[keep.to_numpy()]
    if spec.kind == "named":
        table = pd.DataFrame({S.PARTNER: partners})
        table[EXPOSURE] = table[S.PARTNER].isin(spec.partners).astype(float)
        _check_named(spec, partners)
    else:
        table = _baseline_table(rows, spec, baseline, partners,
                                None if code is None else (code, labels))
    _check_group(table, spec)
    return Exposure(spec=spec, baseline=baseline, table=table.reset_index(drop=True),
                    excluded=tuple(p for p in spec.exclude if p in seen))


def _window(bal: pd.DataFrame, baseline, first_post_year: int) -> tuple[int, int]:
    years = sorted(set(bal[S.YEAR].unique().tolist()))
    pre = [y for y in years if y < first_post_year]
    lo, hi = baseline if baseline is not None else (pre[0], pre[-1])
    if hi >= first_post_year:
        raise SpecificationError(
            f"baseline window {lo}-{hi} reaches into the post-event period (from "
            f"{first_post_year}); exposure must be measured before the event"
        )
    if not [y for y in years if lo <= y <= hi]:
        raise SpecificationError(
            f"baseline window {lo}-{hi} holds no data (data: {years[0]}-{years[-1]})")
    return lo, hi


def _baseline_table(rows: pd.DataFrame, spec: ExposureSpec, baseline, partners: list[str],
                    partner_codes: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Baseline statistic, rank and exposure of each of ``partners`` (those of ``rows``)."""
    lo, hi = baseline
    if partner_codes is not None and spec.kind == "top_k" and spec.by in BY_ROW:
        stat = _mean_by_code(rows, spec.by, baseline, partner_codes)
        return _ranked(stat, spec, partners)
    read = [S.PARTNER, S.PERIOD, S.YEAR, S.VALUE_USD, S.NET_WEIGHT_KG, SUSPECT, spec.by]
    window = rows.loc[((rows[S.YEAR] >= lo) & (rows[S.YEAR] <= hi)).to_numpy(dtype=bool),
                      [c for c in dict.fromkeys(read) if c in rows]]
    if spec.by == "net_weight_kg" and window[SUSPECT].any():
        warnings.warn(f"the baseline window {lo}-{hi} includes suspect quantity years",
                      DataQualityWarning, stacklevel=4)
    if spec.kind == "share" or spec.by == "share":
        measure = "net_weight_kg" if spec.by == "net_weight_kg" else "value_usd"
        shares = measures.partner_shares(window, measure=measure, by=[S.PERIOD])
        stat = shares.groupby(S.PARTNER)["share"].mean() if spec.by == "share" else (
            window.groupby(S.PARTNER)[measure].sum() / window[measure].sum())
    else:
        stat = window.groupby(S.PARTNER)[spec.by].mean()
    return _ranked(stat, spec, partners)


BY_ROW = ("value_usd", "net_weight_kg")


def _mean_by_code(rows: pd.DataFrame, by: str, baseline, partner_codes) -> pd.Series:
    """``window.groupby(partner)[by].mean()`` over the baseline rows, grouped by the partners'
    integer codes (the same rows, in the same order, in each group), keyed by partner."""
    lo, hi = baseline
    code, labels = partner_codes
    window = ((rows[S.YEAR] >= lo) & (rows[S.YEAR] <= hi)).to_numpy(dtype=bool)
    if by == "net_weight_kg" and rows[SUSPECT].to_numpy()[window].any():
        warnings.warn(f"the baseline window {lo}-{hi} includes suspect quantity years",
                      DataQualityWarning, stacklevel=5)
    stat = pd.Series(rows[by].to_numpy()[window]).groupby(code[window]).mean()
    return pd.Series(stat.to_numpy(), index=labels[stat.index.to_numpy()])


def _ranked(stat: pd.Series, spec: ExposureSpec, partners: list[str]) -> pd.DataFrame:
    """The table of ``partners``: baseline statistic (0 where none), rank and exposure."""
    table = stat.rename("baseline").reindex(partners).fillna(0.0)
    table = table.rename_axis(S.PARTNER).reset_index()
    # by baseline, largest first, ties by partner: a stable sort of the partner-sorted table
    order = np.argsort(-table["baseline"].to_numpy(dtype=float), kind="stable")
    rank = np.empty(len(table), dtype=int)
    rank[order] = np.arange(1, len(table) + 1)
    table["rank"] = rank
    if spec.kind == "share":
        table[EXPOSURE] = table["baseline"]
    else:
        table[EXPOSURE] = ((table["rank"] <= spec.k) & (table["baseline"] > 0)).astype(float)
    return table


def _check_named(spec: ExposureSpec, partners: list[str]) -> None:
    missing = sorted(set(spec.partners) - set(partners))
    if missing:
        raise SpecificationError(
            f"named partners {missing} are not in the panel (or were excluded)")


def _check_group(table: pd.DataFrame, spec: ExposureSpec) -> None:
    exposed = int((table[EXPOSURE] > 0).sum())
    if spec.kind == "share":
        if table[EXPOSURE].nunique() < 2:
            raise SpecificationError("the baseline share does not vary across partners")
        return
    if spec.kind == "top_k" and spec.k < 1:
        raise SpecificationError(f"exposure group is empty: k={spec.k}")
    if exposed == 0:
        raise SpecificationError(
            f"exposure group is empty: no partner has positive baseline {spec.by} (k={spec.k})")
    if exposed == len(table):
        raise SpecificationError(
            f"exposure group covers every partner ({exposed} of {len(table)}, k={spec.k}); "
            "there is no comparison group")
