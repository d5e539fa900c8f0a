"""Named, editable scenarios layered on a forecast, shown as alternative paths.

A :class:`Scenario` is a list of :class:`Adjustment` s, each written down with
its assumption and source. An adjustment moves the whole predictive
distribution of a series on the model scale (logit for shares, log for
levels) from a date on:

- ``shift``: a level shift (reached linearly over ``ramp_years``): on the log
  scale ``log(0.85)`` is "15% lower"; on the logit scale it multiplies the
  odds ``y / (1 - y)`` by 0.85;
- ``growth_per_year``: an extra slope per year, accumulating;
- ``event`` / ``event_active``: switch a policy-event step that the model
  estimated (SARIMAX, prophet, or an ensemble containing them) on or off; the
  path moves by the estimated coefficient, which is exactly the forecast the
  model would give with that future regressor path (the step enters linearly
  on the model scale and its coefficient is a point estimate).

An adjustment applies to the series whose ``role`` matches ``applies_to``
(``"any"`` matches all). If its start lies before the first forecast period,
it is counted from the first forecast period: the data already hold the past.
Scenarios move quantiles by the same amount, so they add no uncertainty of
their own: the spread between scenarios is the scenario uncertainty.

The three defaults of :data:`DEFAULT_SCENARIOS` write their assumptions in
their ``description`` and notes; edit them with :meth:`Scenario.edit` or
:meth:`Adjustment.edit`, or write your own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import logit

from retrade.errors import SpecificationError, check_choice
from retrade.forecast.draft import Draft
from retrade.forecast.results import ForecastResult, draft_rows, wide_forecast
from retrade.panel.series import PERIODS_PER_YEAR, ROLES
from retrade.results import FORECAST_COLUMNS, Result, Summary


@dataclass(frozen=True)
class Adjustment:
    """One change to a forecast path on the model scale, from ``start`` on.

    Examples
    --------
    >>> a = Adjustment("china_exports", "2025-04-01", shift=np.log(0.85))
    >>> round(float(np.exp(a.edit(shift=np.log(0.9)).shift)), 2)
    0.9
    """

    applies_to: str
    start: str
    shift: float = 0.0
    ramp_years: float = 0.0
    growth_per_year: float = 0.0
    event: str | None = None
    event_active: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        check_choice("applies_to", self.applies_to, (*ROLES, "any"))
        if pd.isna(pd.to_datetime(self.start, errors="coerce")):
            raise SpecificationError(f"adjustment start {self.start!r} is not a date")
        for name in ("shift", "ramp_years", "growth_per_year"):
            if not np.isfinite(getattr(self, name)):
                raise SpecificationError(f"adjustment {name}={getattr(self, name)!r} is not finite")
        if self.ramp_years < 0:
            raise SpecificationError(f"ramp_years={self.ramp_years!r} must be >= 0")

    def edit(self, **changes) -> Adjustment:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def path(self, result: ForecastResult) -> np.ndarray:
        """The model-scale shift this adjustment makes to each forecast period of ``result``."""
        out = np.zeros(result.horizon)
        if self.applies_to not in ("any", result.series.role):
            return out
        freq = result.series.frequency
        start = pd.Timestamp(self.start).to_period("Y" if freq == "A" else "M").start_time
        on = result.periods >= start
        k = np.cumsum(on)  # 1 in the first affected period, 2 in the next ...
        per_year = PERIODS_PER_YEAR[freq]
        ramp = np.minimum(1.0, k / (self.ramp_years * per_year)) if self.ramp_years else on * 1.0
        out += on * (self.shift * ramp + self.growth_per_year / per_year * k)
        if self.event is not None:
            out += on * self._event_shift(result)
        return out

    def _event_shift(self, result: ForecastResult) -> np.ndarray:
        if self.event not in result.effects:
            raise SpecificationError(
                f"scenario adjusts event {self.event!r} but the {result.model!r} forecast of "
                f"{result.series.name!r} estimated no effect for it; estimated: "
                f"{sorted(result.effects)} (use model='sarimax', 'prophet' or an ensemble "
                "with them, and pass the event in events=)"
            )
        base = result.event_future.get(self.event, np.ones(result.horizon))
        return result.effects[self.event] * (float(self.event_active) - base)


@dataclass(frozen=True)
class Scenario:
    """A named set of adjustments with its assumptions written down."""

    name: str
    description: str
    adjustments: tuple[Adjustment, ...] = ()
    sources: tuple[str, ...] = ()

    def edit(self, **changes) -> Scenario:
        """A copy with some fields changed (e.g. ``adjustments=...`` or ``name=...``)."""
        return dataclasses.replace(self, **changes)

    def path(self, result: ForecastResult) -> np.ndarray:
        """Total model-scale shift of this scenario for each forecast period."""
        total = np.zeros(result.horizon)
        for adjustment in self.adjustments:
            total += adjustment.path(result)
        return total


# IEA Global Critical Minerals Outlook 2024: China's share of refined rare-earth output
# 92% (2023) -> 77% (2030, base case); the same logit slope a year, in data/reference
_IEA_REFINED_SLOPE = float((logit(0.77) - logit(0.92)) / 7)

DEFAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "2025 controls persist",
        "The April 2025 dual-use licensing of Sm, Gd, Tb, Dy, Lu, Sc, Y and magnets containing "
        "them (MOFCOM/GAC Announcement 2025 No. 18, 4 Apr 2025) stays in force throughout. "
        "China's magnet exports fell from 5,278 t (Jul 2024) to 1,238 t (May 2025) and were back "
        "at 5,578 t by Jul 2025 once licences flowed, and total rare-earth exports still rose "
        "12.9% in 2025; so the lasting effect assumed is moderate: exports 15% below trend, "
        "importers' odds of buying from China down 15% over two years as buyers diversify, and "
        "the overseas share's odds up 15% over three years.",
        (
            Adjustment(
                "china_exports",
                "2025-04-04",
                shift=float(np.log(0.85)),
                note="volumes and values 15% below the trend path (assumption)",
            ),
            Adjustment(
                "china_share",
                "2025-04-04",
                shift=float(np.log(0.85)),
                ramp_years=2.0,
                note="odds of importing from China x0.85, reached over 2 years",
            ),
            Adjustment(
                "overseas_share",
                "2025-04-04",
                shift=float(np.log(1.15)),
                ramp_years=3.0,
                note="odds of overseas supply x1.15, reached over 3 years",
            ),
        ),
        (
            "data/reference/policy_events.csv: 2025-04-04 MOFCOM/GAC Announcement No. 18",
            "data/reference/china_exports_monthly.csv: magnet_export_t 2024-07, 2025-05, 2025-07",
            "data/reference/china_exports_annual.csv: 2025 export_volume_t +12.9% "
            "(GAC via Reuters)",
        ),
    ),
    Scenario(
        "controls suspended",
        "All 2025 element export controls lapse from 10 Nov 2025 and trade follows its pre-2025 "
        "trend: the base forecast unchanged. Optimistic bound: Announcement 2025 No. 70 "
        "(7 Nov 2025) suspended only the October 2025 measures (to 10 Nov 2026); the April "
        "controls remain in force.",
        (),
        ("data/reference/policy_events.csv: 2025-11-07 MOFCOM/GAC Announcement No. 70",),
    ),
    Scenario(
        "overseas capacity ramps as announced",
        "Non-China separation capacity ramps as announced (Lynas, MP Materials, JOGMEC-backed "
        "projects), so China's share falls along the IEA's base case for refined output, "
        f"92% (2023) to 77% (2030): a logit slope of {_IEA_REFINED_SLOPE:.3f} a year from 2025, "
        "applied to China's share of each importer's imports; the overseas share rises by the "
        "same slope. Export volumes are left at trend (no assumption about China's exports).",
        (
            Adjustment(
                "china_share",
                "2025-01-01",
                growth_per_year=_IEA_REFINED_SLOPE,
                note="IEA GCMO 2024 refined-share path 92% -> 77% (2023-2030)",
            ),
            Adjustment(
                "overseas_share",
                "2025-01-01",
                growth_per_year=-_IEA_REFINED_SLOPE,
                note="mirror of the China share path",
            ),
        ),
        (
            "data/reference/demand_supply.csv: share_refined_production China 2023 92%, "
            "share_refined_production_projection China 2030 77% (IEA GCMO 2024)",
            "data/reference/policy_events.csv: 2023-03-07 JARE/Lynas; 2025-07-10 DoD/MP Materials",
        ),
    ),
)


@dataclass(frozen=True)
class ScenarioResult(Result):
    """A base forecast and its alternative paths under named scenarios.

    ``tidy()`` has the forecast columns and ``scenario`` (``base`` is the
    unadjusted forecast).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = (*FORECAST_COLUMNS, "scenario")

    base: ForecastResult
    scenarios: tuple[Scenario, ...]
    drafts: dict[str, Draft]

    def tidy(self) -> pd.DataFrame:
        """Forecast rows per scenario (``scenario`` column; ``base`` is the unadjusted forecast)."""
        frames = []
        for name, draft in self.drafts.items():
            rows = draft_rows(draft, self.base.periods, self.base.transform)
            rows["model"] = self.base.model
            rows["series"] = self.base.series.name
            rows["scenario"] = name
            frames.append(rows)
        return pd.concat(frames, ignore_index=True)[list(self.tidy_columns)]

    def metadata(self) -> dict[str, object]:
        """The base forecast's metadata and the scenarios' names."""
        return {**self.base.metadata(), "scenarios": tuple(sc.name for sc in self.scenarios)}

    def summary(self) -> Summary:
        """Each scenario's median and interval at the end of the horizon, and its assumptions."""
        tidy = self.tidy()
        last = tidy[tidy["period"] == tidy["period"].max()]
        table = pd.concat([wide_forecast(rows, self.base.series.frequency).assign(scenario=name)
                           for name, rows in last.groupby("scenario", sort=False)])
        used = {sc.name: sum(a.applies_to in ("any", self.base.series.role)
                             for a in sc.adjustments) for sc in self.scenarios}
        table["adjustments"] = table["scenario"].map(used).fillna(0).astype(int)
        meta = [("series", f"{self.base.series.name} (role {self.base.series.role})"),
                ("forecast", f"{self.base.model} -- {self.base.spec}"),
                ("horizon", f"medians and intervals in {self.base.periods[-1].date()}")]
        notes = [f"{sc.name}: {sc.description}" for sc in self.scenarios]
        columns = ["scenario", "adjustments", *[c for c in table.columns
                                                if c not in ("scenario", "adjustments")]]
        return Summary(f"Scenarios for {self.base.series.name!r}", meta,
                       table[columns].reset_index(drop=True), notes, notes_title="Scenarios")

    def _describe(self) -> str:
        return (f"{len(self.scenarios)} scenario(s) on the {self.base.model} forecast of "
                f"{self.base.series.name!r}")

    def plot(self, ax=None, level: float | None = None):
        """Alternative median paths with their narrowest interval; returns the Axes."""
        from retrade.forecast.plotting import fan_chart

        tidy = self.tidy()
        level = min(self.base.levels) if level is None else level
        paths = {
            str(name): rows[rows["level"] == level]
            for name, rows in tidy.groupby("scenario", sort=False)
        }
        return fan_chart(
            self.base.series.data,
            paths,
            title=f"{self.base.series.name}: scenarios",
            ylabel=self.base.series.unit or "y",
            ax=ax,
        )


def apply_scenarios(
    result: ForecastResult,
    scenarios: Sequence[Scenario] | Mapping[str, Scenario] = DEFAULT_SCENARIOS,
) -> ScenarioResult:
    """Layer scenarios on a forecast; return the base and one path per scenario.

    Examples
    --------
    >>> from retrade.forecast.core import forecast_series
    >>> df = pd.DataFrame({"period": pd.date_range("2015", periods=10, freq="YS"),
    ...                    "y": np.linspace(0.9, 0.8, 10)})
    >>> res = forecast_series(df, frequency="A", kind="share", role="china_share",
    ...                       model="naive", horizon=6)
    >>> sc = apply_scenarios(res)
    >>> t = sc.tidy()
    >>> last = t[(t.period == "2030-01-01") & (t.level == 0.8)].set_index("scenario")["yhat"]
    >>> round(float(last["overseas capacity ramps as announced"]), 3)
    0.581
    """
    items = list(scenarios.values()) if isinstance(scenarios, Mapping) else list(scenarios)
    names = [sc.name for sc in items]
    if "base" in names or len(set(names)) != len(names):
        raise SpecificationError(f"scenario names must be unique and not 'base': {names}")
    drafts = {"base": result.draft}
    for sc in items:
        drafts[sc.name] = result.draft.shifted(sc.path(result))
    return ScenarioResult(result, tuple(items), drafts)
