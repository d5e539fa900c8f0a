"""The dual-chain report: every dependency metric the panel supports, and which it cannot.

:func:`dual_chain` runs the metrics of :mod:`retrade.models.dependency` for a set
of importers and a bloc, and returns a :class:`DualChainResult` that keeps each
table, an **availability** table (metric, importer, needs, available, reason)
saying which metrics the data support and what is missing for the others, and
the usual ``tidy`` / ``summary`` / ``plot``. With only China-reported exports
(plus importer totals such as BACI's) it computes mirror shares, their
decoupling index and China's export destinations; with importer-reported data
(Comtrade, Census, e-Stat, Comext) it computes the full set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from retrade.models import dependency as dep
from retrade.panel import measures
from retrade.panel import schema as S
from retrade.panel.periods import year_of
from retrade.results import COEFFICIENT_COLUMNS, Result, Summary, tidy_frame


@dataclass(frozen=True)
class DualChainResult(Result):
    """Dependency metrics by importer, product and period, with their availability.

    ``tidy()`` has the coefficient columns and ``basis``: one row per metric value,
    ``term`` = ``metric[importer|product|period]`` (descriptive measures, so the
    standard errors and intervals are NaN). ``plot()`` draws two panels.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = (*COEFFICIENT_COLUMNS, "basis")

    level: str
    measure: str
    baseline: tuple[int, int]
    china_share: pd.DataFrame
    supplier_hhi: pd.DataFrame
    routing: pd.DataFrame
    dual_chain: pd.DataFrame
    destinations: pd.DataFrame
    decoupling: pd.DataFrame
    windows: pd.DataFrame
    availability: pd.DataFrame

    def long(self) -> pd.DataFrame:
        """All metrics stacked: ``metric, importer, product, period, value, basis``."""
        lv = self.level
        parts = [
            _stack(self.china_share, "china_share", "share", lv),
            _stack(self.supplier_hhi.assign(basis="direct"), "supplier_hhi", "hhi", lv),
            _stack(self.routing, "third_country_routing", "share", lv),
            _stack(self.decoupling, "decoupling_index", "decoupling_index", lv),
            _stack(self.dual_chain.assign(importer="bloc"), "dual_chain_network", "network", lv),
            _stack(self.destinations.assign(importer="CHN", basis="china_reported"),
                   "china_export_share", "share", lv, suffix="group"),
        ]
        return pd.concat([p for p in parts if len(p)], ignore_index=True)

    def tidy(self) -> pd.DataFrame:
        """One row per metric value (``term`` = ``metric[importer|product|period]``); these are
        descriptive measures, so std_error and intervals are NaN (tests live in
        :mod:`retrade.models.breaks` and :mod:`retrade.models.trend`)."""
        frame = self.long()
        terms = (frame["metric"] + "[" + frame["importer"] + "|" + frame["product"] + "|"
                 + frame["period"] + "]")
        out = tidy_frame({"term": t, "estimate": v, "basis": b}
                         for t, v, b in zip(terms, frame["value"], frame["basis"], strict=True))
        return out.reindex(columns=list(self.tidy_columns))

    def series(self, metric: str, importer: str, product: str) -> pd.Series:
        """One metric as a series indexed by period (for the break and trend tests)."""
        frame = self.long()
        pick = frame[(frame["metric"] == metric) & (frame["importer"] == importer)
                     & (frame["product"] == product)].sort_values("period")
        return pd.Series(pick["value"].to_numpy(float), index=pick["period"].to_list(),
                         name=f"{metric} {importer} {product}")

    def metadata(self) -> dict[str, object]:
        """Measure, product level, decoupling baseline, importers and what was computable."""
        ok = self.availability[self.availability["available"]]
        return {"model": "dual-chain dependency metrics", "measure": self.measure,
                "level": self.level, "baseline": self.baseline,
                "importers": tuple(sorted(set(self.china_share.get(dep.IMPORTER, [])))),
                "computed": tuple(sorted(set(ok["metric"])))}

    def summary(self) -> Summary:
        """What was computed, what the data cannot support (and why), and China's share by
        policy window."""
        ok = self.availability[self.availability["available"]]
        missing = self.availability[~self.availability["available"]]
        meta = [("measure", self.measure), ("by", self.level),
                ("decoupling baseline", f"{self.baseline[0]}-{self.baseline[1]}"),
                ("computed", ", ".join(sorted(set(ok["metric"]))) or "nothing"),
                ("not computable", f"{len(missing)} metric-importer pair(s), listed below")]
        notes = [f"{r.metric} [{r.importer}]: needs {r.needs} ({r.reason})"
                 for r in missing.itertuples()]
        table = self.windows if len(self.windows) else self.availability
        return Summary("Dual-chain dependency metrics", meta, table, notes,
                       notes_title="Not computable from these data")

    def _describe(self) -> str:
        return (f"{len(self.long())} metric values ({self.measure}, by {self.level}), "
                f"{int(self.availability['available'].sum())} of {len(self.availability)} "
                "metric-importer pairs computable")

    def plot(self, ax=None):
        """China's share by importer and product, and where China's exports go: an array of two
        Axes (``ax``: two Axes to draw on)."""
        import matplotlib.pyplot as plt

        axes = plt.subplots(1, 2, figsize=(12, 4))[1] if ax is None else np.asarray(ax).ravel()
        _plot_shares(self.china_share, self.level, axes[0])
        _plot_destinations(self.destinations, self.level, axes[1])
        return np.asarray(axes)


def _stack(frame, metric, column, level, suffix=None) -> pd.DataFrame:
    if frame is None or frame.empty or column not in frame:
        return pd.DataFrame(columns=["metric", "importer", "product", "period", "value", "basis"])
    name = frame[dep.IMPORTER].astype(str)
    if suffix:
        name = name + ":" + frame[suffix].astype(str)
    return pd.DataFrame({"metric": metric, "importer": name.to_numpy(),
                         "product": frame[level].astype(str).to_numpy(),
                         "period": frame[S.PERIOD].astype(str).to_numpy(),
                         "value": frame[column].astype(float).to_numpy(),
                         "basis": frame["basis"].astype(str).to_numpy()})


def _plot_shares(shares, level, ax):
    for (imp, prod), grp in shares.groupby([dep.IMPORTER, level]):
        grp = grp.sort_values(S.PERIOD)
        style = "-" if (grp["basis"] == "direct").all() else "--"
        ax.plot(year_of(grp[S.PERIOD]), grp["share"], style, marker="o", ms=3,
                label=f"{imp} {prod} ({'/'.join(sorted(set(grp['basis'])))})")
    ax.set_ylabel("China's share of imports")
    ax.set_title("China's share by importer (dashed: mirror-based)")
    ax.legend(fontsize=7)


def _plot_destinations(dest, level, ax):
    if dest.empty:
        ax.set_title("China's exports: no China-reported rows")
        return
    wide = dest.pivot_table(index=S.PERIOD, columns=[level, "group"], values="share")
    for column in wide.columns:
        ax.plot(year_of(pd.Series(wide.index)), wide[column].to_numpy(), marker=".",
                label=f"{column[0]} -> {column[1]}")
    ax.set_ylabel("share of China's exports")
    ax.set_title("Where China's exports go")
    ax.legend(fontsize=7)


def availability(
    panel: pd.DataFrame, *, importers: Sequence[str], bloc: Sequence[str],
    importer_totals: pd.DataFrame | None, level: str, conduits_given: bool,
) -> pd.DataFrame:
    """Which metric each importer's data support: ``metric, importer, needs, available, reason``."""
    totals = dep.check_totals(importer_totals, level)
    has_direct = {imp: not dep.import_rows(panel, imp).empty for imp in {*importers, *bloc}}
    has_mirror = {imp: not dep.mirror_rows(panel, imp).empty for imp in {*importers, *bloc}}
    has_total = {imp: bool((totals[dep.IMPORTER] == imp).any()) for imp in {*importers, *bloc}}
    rows = []
    for imp in importers:
        rows += _importer_availability(imp, has_direct[imp], has_mirror[imp], has_total[imp],
                                       conduits_given)
    reporting = [b for b in bloc if has_direct[b]]
    bound = [b for b in bloc if has_mirror[b] and has_total[b]]
    rows.append(_row("dual_chain_share", "bloc", "imports by partner reported by every member of "
                     f"{list(bloc)}", len(reporting) == len(bloc),
                     f"reporting: {reporting or 'none'}; mirror upper bound for members with "
                     f"China-export rows and totals: {bound}"))
    china = panel[(panel[S.REPORTER] == "CHN") & (panel[S.FLOW] == "export")]
    rows.append(_row("china_export_destinations", "CHN", "China-reported exports by partner",
                     not china.empty, "present" if len(china) else "no China export rows"))
    return pd.DataFrame(rows)


def _row(metric, importer, needs, available, reason) -> dict:
    return {"metric": metric, "importer": importer, "needs": needs,
            "available": bool(available), "reason": reason}


def _importer_availability(imp, direct, mirror, total, conduits_given) -> list[dict]:
    own = f"imports reported by {imp} by partner (Comtrade, Census, e-Stat or Comext)"
    why_own = "present" if direct else f"no import rows reported by {imp} in the panel"
    lacks = [w for w, ok in ((f"China's export rows to {imp}", mirror),
                             (f"{imp}'s total imports in importer_totals", total)) if not ok]
    conduit_need = ("conduits list given" if conduits_given else
                    "conduit evidence: candidates' own imports, or China's exports to them "
                    "plus their totals")
    return [
        _row("china_share_direct", imp, own, direct, why_own),
        _row("china_share_mirror", imp, f"China's exports to {imp} and {imp}'s total imports",
             mirror and total, "present" if mirror and total else "missing " + " and ".join(lacks)),
        _row("supplier_hhi", imp, own, direct, why_own),
        _row("third_country_routing", imp, f"{own}; {conduit_need}", direct, why_own),
        _row("decoupling_index", imp, "China's share (direct or mirror) in baseline and later",
             direct or (mirror and total), "from direct shares" if direct else
             ("from mirror shares" if mirror and total else "no China share computable")),
    ]


def dual_chain(
    panel: pd.DataFrame, *, importers: Sequence[str] = dep.IMPORTERS,
    bloc: Sequence[str] = dep.BLOC, conduits: Sequence[str] | None = None,
    candidates: Sequence[str] = dep.CONDUIT_CANDIDATES, threshold: float = 0.5,
    level: dep.Level = "stage", measure: measures.Measure = "value_usd",
    importer_totals: pd.DataFrame | None = None, baseline: tuple[int, int] = (2010, 2012),
) -> DualChainResult:
    """Compute every dependency metric the panel supports (see :mod:`retrade.models.dependency`).

    Parameters
    ----------
    panel : pandas.DataFrame
        Panel rows; only ``reporter, partner, flow, <level>, period`` and ``measure`` are read.
    importers, bloc : sequence of str
        Importers to profile, and the allied bloc of the dual-chain share.
    conduits : sequence of str, optional
        A fixed conduit list; otherwise conduits are ``candidates`` whose imports
        are at least ``threshold`` from China.
    level : {"stage", "hs6"}
        Product key (use ``"hs6"`` with per-HS6 importer totals such as BACI's).
    measure : {"value_usd", "net_weight_kg"}
    importer_totals : pandas.DataFrame, optional
        ``importer, <level>, period, total`` for mirror shares.
    baseline : (int, int)
        First and last year of the decoupling baseline.

    Examples
    --------
    >>> panel = pd.DataFrame({"reporter": "CHN", "flow": "export", "partner": ["JPN", "VNM"],
    ...     "stage": "metals", "period": "2020", "value_usd": [70.0, 30.0], "net_weight_kg": 1.0})
    >>> res = dual_chain(panel, importers=["JPN"], bloc=["JPN"])
    >>> res.availability.set_index("metric").loc["china_share_mirror", "reason"]
    "missing JPN's total imports in importer_totals"
    """
    shares = dep.china_share(panel, importers=importers, level=level, measure=measure,
                             importer_totals=importer_totals)
    routing_conduits = conduits
    common = {"level": level, "measure": measure}
    routing = dep.third_country_routing(panel, importers=importers, conduits=routing_conduits,
                                        candidates=candidates, threshold=threshold,
                                        importer_totals=importer_totals, **common)
    fixed = tuple(conduits) if conduits is not None else tuple(candidates)
    decoupling = dep.decoupling_index(shares, baseline=baseline, by=(dep.IMPORTER, level))
    windows = (dep.window_means(shares, value="share", by=[dep.IMPORTER, level, "basis"])
               if len(shares) else pd.DataFrame())
    return DualChainResult(
        level, measure, baseline, shares,
        dep.supplier_hhi(panel, importers=importers, **common), routing,
        dep.dual_chain_share(panel, bloc=bloc, conduits=fixed, importer_totals=importer_totals,
                             **common),
        dep.china_export_destinations(panel, bloc=bloc, conduits=fixed, **common),
        decoupling, windows,
        availability(panel, importers=importers, bloc=bloc, importer_totals=importer_totals,
                     level=level, conduits_given=conduits is not None))


__all__ = ["DualChainResult", "availability", "dual_chain"]
