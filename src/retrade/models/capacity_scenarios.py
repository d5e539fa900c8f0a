"""Monte Carlo projections of non-China rare-earth supply against world supply and demand.

The model, per draw ``d`` and year ``y`` (``h = y - base_year``):

* China: ``C_y = C_0 (1 + g_c)^h`` (quota path; ``g_c`` drawn once per draw).
* Existing non-China producers: ``E_y = E_0 (1 + g_e)^h``; ``E_0`` is drawn
  uniformly between the USGS editions' values for the base year when
  ``edition_uncertainty`` is on (revision spread as uncertainty).
* New projects (capacity *not* in base-year output): each fails with
  probability ``p_fail``; otherwise it is late with probability ``p_delay`` by a
  Poisson(``mean_delay_years``) number of years (plus the scenario's shift) and
  then ramps linearly to ``capacity_t_reo x utilization`` over ``ramp_years``.
* Demand: ``D_y = D_0 (1 + g_d)^h`` with ``g_d ~ Normal(mean, sd)`` per draw.
  ``D_0`` is world mine output in the base year (the "28%" definition) unless a
  demand estimate in oxide units is chosen.

Reported per year: ``nonchina_t``, ``china_t``, ``world_supply_t`` (= China +
non-China), ``share_of_supply`` (in [0, 1]), ``supply_demand_ratio`` (non-China /
demand, can exceed 1) and ``share_of_demand_met`` (that ratio capped at 1), each
as mean, median and the ``level`` interval from the draws' quantiles.

Every default number is either computed from the bundled reference tables (named
in ``basis``) or an **assumption** labelled as such; replace them with
:func:`dataclasses.replace` or your own project table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd

import retrade.reference as ref
from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.models import capacity as cap
from retrade.results import COEFFICIENT_COLUMNS, Result, Summary, tidy_frame

PROJECT_COLUMNS: tuple[str, ...] = (
    "name", "country", "capacity_t_reo", "start_year", "ramp_years", "utilization", "p_delay",
    "mean_delay_years", "p_fail", "basis",
)
METRICS: tuple[str, ...] = choices.values(choices.ProjectionMetric)
SUMMARY_METRICS: tuple[str, ...] = ("share_of_supply", "share_of_demand_met", "supply_demand_ratio")


def default_projects() -> pd.DataFrame:
    """An ILLUSTRATIVE pipeline of new non-China mine capacity (t REO/yr), all assumptions.

    The bundled data hold no verified project-by-project list in REO units (the
    project figures there are NdPr oxide or NdFeB magnet capacities, which are
    not REO and are not converted). These four regional tranches are round
    numbers chosen to show the mechanics; replace them with your own table.

    Examples
    --------
    >>> int(default_projects()["capacity_t_reo"].sum())
    60000
    """
    rows = [
        ("Australia tranche", "AUS", 20000, 2027, 3, 0.8, 0.5, 2.0, 0.2),
        ("North America tranche", "USA/CAN", 15000, 2028, 3, 0.8, 0.5, 2.0, 0.25),
        ("Africa tranche", "AFR", 15000, 2028, 3, 0.8, 0.6, 2.0, 0.35),
        ("Other tranche (Greenland, Brazil, India ...)", "OTH", 10000, 2029, 3, 0.8, 0.6, 3.0, 0.4),
    ]
    frame = pd.DataFrame(rows, columns=PROJECT_COLUMNS[:-1])
    return frame.assign(basis="assumption (illustrative; not a sourced project list)")


def _cagr(first: float, last: float, years: int) -> float:
    return (last / first) ** (1 / years) - 1


def sourced_growth_rates() -> pd.DataFrame:
    """Growth rates computed from bundled rows, used to set the default scenarios.

    Examples
    --------
    >>> r = sourced_growth_rates().set_index("name")["rate"]
    >>> round(float(r["demand_arafura_treo_2018_2030"]), 4)
    0.0303
    """
    ds = ref.load("demand_supply")

    def value(metric: str, year: str) -> float:
        return float(ds[(ds["metric"] == metric) & (ds["year"] == year)]["value_num"].iloc[0])

    china = cap.mine_shares().set_index("year")["china"]
    rows = [
        ("demand_arafura_treo_2018_2030", _cagr(value("total_ree_consumption", "2018"),
         value("total_ree_consumption_projection", "2030"), 12), "Arafura via demand_supply"),
        ("demand_iea_magnet_ree_aps_2023_2030", _cagr(value("magnet_ree_demand", "2023"),
         value("magnet_ree_demand_projection_APS", "2030"), 7), "IEA GCMO 2024 via demand_supply"),
        ("china_usgs_2020_2025", _cagr(china[2020], china[2025], 5), "USGS preferred series"),
    ]
    return pd.DataFrame(rows, columns=["name", "rate", "basis"])


@dataclass(frozen=True)
class Scenario:
    """A named, editable projection scenario (growth rates are annual fractions)."""

    name: str
    description: str
    demand_growth_mean: float = 0.0
    demand_growth_sd: float = 0.0
    china_growth_mean: float = 0.0
    china_growth_sd: float = 0.0
    existing_growth_mean: float = 0.0
    existing_growth_sd: float = 0.0
    use_projects: bool = True
    delay_shift_years: int = 0
    p_delay_scale: float = 1.0
    p_fail_scale: float = 1.0
    edition_uncertainty: bool = True


def scenarios() -> dict[str, Scenario]:
    """The named scenarios. Demand growth centres between the Arafura (3.0%/yr) and IEA APS
    magnet-REE (5.0%/yr) rates computed from bundled rows; spreads and China paths are
    assumptions.

    Examples
    --------
    >>> sorted(scenarios())
    ['base', 'controls_persist', 'fast_buildout', 'no_change', 'projects_slip', 'quota_trend']
    """
    rates = sourced_growth_rates().set_index("name")["rate"]
    lo, hi = rates["demand_arafura_treo_2018_2030"], rates["demand_iea_magnet_ree_aps_2023_2030"]
    demand = {"demand_growth_mean": (lo + hi) / 2, "demand_growth_sd": (hi - lo) / 2}
    base = Scenario("base", "Demand grows between the Arafura and IEA APS rates; China's quota "
                    "+2%/yr (sd 2%, assumption); existing non-China output flat (sd 2%); "
                    "illustrative projects with their delay and failure odds.",
                    china_growth_mean=0.02, china_growth_sd=0.02, existing_growth_sd=0.02,
                    **demand)
    return {
        "no_change": Scenario("no_change", "Nothing changes: reproduces the base year.",
                              use_projects=False, edition_uncertainty=False),
        "base": base,
        "projects_slip": replace(base, name="projects_slip", description="Base with every "
                                 "project two more years late and 1.5x the failure odds.",
                                 delay_shift_years=2, p_fail_scale=1.5),
        "fast_buildout": replace(base, name="fast_buildout", description="Base with half the "
                                 "delay and failure odds.", p_delay_scale=0.5, p_fail_scale=0.5),
        "controls_persist": replace(base, name="controls_persist", description="China's quota "
                                    "frozen at the base year (controls and quotas persist).",
                                    china_growth_mean=0.0, china_growth_sd=0.0),
        "quota_trend": replace(base, name="quota_trend", description="China's quota keeps its "
                               "2020-2025 USGS growth rate.",
                               china_growth_mean=float(rates["china_usgs_2020_2025"])),
    }


def check_projects(projects: pd.DataFrame) -> pd.DataFrame:
    """Validate a project table (columns :data:`PROJECT_COLUMNS`; probabilities in [0, 1])."""
    missing = [c for c in PROJECT_COLUMNS if c not in projects.columns]
    if missing:
        raise SpecificationError(f"project table lacks columns {missing}")
    for column in ("p_delay", "p_fail", "utilization"):
        bad = projects.loc[~projects[column].between(0, 1), "name"].tolist()
        if bad:
            raise SpecificationError(f"{column} must be in [0, 1]; bad rows: {bad}")
    bad = projects.loc[(projects["capacity_t_reo"] < 0) | (projects["ramp_years"] < 1), "name"]
    if len(bad):
        raise SpecificationError(f"capacity must be >= 0 and ramp_years >= 1; bad rows: "
                                 f"{bad.tolist()}")
    return projects.reset_index(drop=True)


@dataclass(frozen=True)
class BaseYear:
    """Base-year quantities (t REO) and where they come from."""

    year: int
    china: float
    nonchina: float
    nonchina_low: float
    nonchina_high: float
    world: float
    demand: float
    demand_source: str
    edition: str


def base_year_values(year: int = 2024, *, demand: str | pd.DataFrame = "world_mine_output",
                     units: dict[str, str] | None = None) -> BaseYear:
    """China, non-China (with the edition range), world and demand in ``year``.

    Examples
    --------
    >>> b = base_year_values(2024)
    >>> b.nonchina, b.nonchina_low, b.nonchina_high, b.world
    (110000.0, 110000.0, 120000.0, 380000.0)
    """
    pref = cap.mine_shares().set_index("year")
    if year not in pref.index:
        raise SpecificationError(f"no USGS China and World production for base year {year}; "
                                 f"available: {pref.index.tolist()}")
    row = pref.loc[year]
    spread = cap.edition_spread().set_index("year")
    low, high = ((spread.loc[year, "nonchina_min"], spread.loc[year, "nonchina_max"])
                 if year in spread.index else (row.nonchina, row.nonchina))
    if isinstance(demand, str) and demand == "world_mine_output":
        d0, source = row.world_reported, f"USGS {row.edition} world mine output"
    else:
        d = cap.demand_series(demand, [year], units=units).iloc[0]
        if not np.isfinite(d.demand_t_reo):
            raise SpecificationError(f"demand estimate has no value for {year} ({d.method})")
        d0, source = d.demand_t_reo, f"{d.source} ({d.method})"
    return BaseYear(year, float(row.china), float(row.nonchina), float(min(low, row.nonchina)),
                    float(max(high, row.nonchina)), float(row.world_reported), float(d0), source,
                    row.edition)


def _project_output(projects, years, scenario, rng, n) -> np.ndarray:
    out = np.zeros((n, len(years)))
    for p in projects.itertuples():
        fail = rng.random(n) < min(1.0, p.p_fail * scenario.p_fail_scale)
        late = rng.random(n) < min(1.0, p.p_delay * scenario.p_delay_scale)
        delay = np.where(late, rng.poisson(p.mean_delay_years, n), 0) + scenario.delay_shift_years
        k = years[None, :] - (p.start_year + delay)[:, None]
        ramp = np.clip((k + 1) / p.ramp_years, 0.0, 1.0)
        out += np.where(fail[:, None], 0.0, p.capacity_t_reo * p.utilization * ramp)
    return out


def _simulate(base: BaseYear, scenario: Scenario, projects, years, n, seed) -> dict:
    rng = np.random.default_rng(seed)
    h = (years - base.year)[None, :]
    growth = {k: rng.normal(getattr(scenario, f"{k}_growth_mean"),
                            getattr(scenario, f"{k}_growth_sd"), n)[:, None]
              for k in ("china", "existing", "demand")}
    e0 = (rng.uniform(base.nonchina_low, base.nonchina_high, n)[:, None]
          if scenario.edition_uncertainty and base.nonchina_high > base.nonchina_low
          else np.full((n, 1), base.nonchina))
    new = (_project_output(projects, years, scenario, rng, n) if scenario.use_projects
           else np.zeros((n, len(years))))
    china = base.china * (1 + growth["china"]) ** h
    nonchina = e0 * (1 + growth["existing"]) ** h + new
    demand = base.demand * (1 + growth["demand"]) ** h
    ratio = nonchina / demand
    return {"nonchina_t": nonchina, "china_t": china, "world_supply_t": china + nonchina,
            "demand_t": demand, "share_of_supply": nonchina / (china + nonchina),
            "supply_demand_ratio": ratio, "share_of_demand_met": np.minimum(ratio, 1.0)}


def _summarise_draws(draws: dict, years: np.ndarray, level: float) -> pd.DataFrame:
    alpha = (1 - level) / 2
    rows = []
    for metric, values in draws.items():
        q = np.quantile(values, [alpha, 0.5, 1 - alpha], axis=0)
        for j, year in enumerate(years):
            rows.append({"year": int(year), "metric": metric, "mean": values[:, j].mean(),
                         "median": q[1, j], "lower": q[0, j], "upper": q[2, j],
                         "sd": values[:, j].std(ddof=1) if len(values) > 1 else 0.0})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ProjectionResult(Result):
    """Monte Carlo projection under one scenario: per-year summaries and the raw draws.

    ``tidy()`` has the coefficient columns and ``mean``: one row per
    ``metric[year]`` with the median (``estimate``), the draws' standard
    deviation (``std_error``) and the ``level`` interval from draw quantiles.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = (*COEFFICIENT_COLUMNS, "mean")

    scenario: Scenario
    base: BaseYear
    projects: pd.DataFrame
    level: float
    n_draws: int
    seed: int | None
    table: pd.DataFrame  # year, metric, mean, median, lower, upper, sd
    draws: dict

    def forecast(self, metric: str = "share_of_demand_met") -> pd.DataFrame:
        """``period, yhat, yhat_lower, yhat_upper`` (median and the ``level`` interval)."""
        check_choice("metric", metric, METRICS)
        pick = self.table[self.table["metric"] == metric]
        return pd.DataFrame({"period": pick["year"].astype(str).to_numpy(),
                             "yhat": pick["median"].to_numpy(),
                             "yhat_lower": pick["lower"].to_numpy(),
                             "yhat_upper": pick["upper"].to_numpy()})

    def tidy(self) -> pd.DataFrame:
        """``metric[year]`` rows: median, draw sd, and the interval from draw quantiles."""
        t = self.table
        return tidy_frame({"term": f"{r.metric}[{r.year}]", "estimate": r.median,
                           "std_error": r.sd, "conf_low": r.lower, "conf_high": r.upper,
                           "mean": r.mean} for r in t.itertuples())

    def metadata(self) -> dict[str, object]:
        """Scenario, base year and its sources, draws, seed and interval level."""
        b = self.base
        return {"model": "Monte Carlo projection of non-China supply",
                "scenario": self.scenario.name, "base_year": b.year, "edition": b.edition,
                "demand_source": b.demand_source, "n_draws": self.n_draws, "seed": self.seed,
                "level": self.level, "horizon": int(self.table["year"].max())}

    def summary(self) -> Summary:
        """The scenario, its base year, and the shares in the base year, 2030 and 2035."""
        b = self.base
        meta = [("scenario", f"{self.scenario.name}: {self.scenario.description}"),
                ("base year", f"{b.year} (USGS {b.edition}): China {b.china:,.0f} t, non-China "
                              f"{b.nonchina:,.0f} t (editions {b.nonchina_low:,.0f}-"
                              f"{b.nonchina_high:,.0f})"),
                ("demand", f"{b.demand:,.0f} t [{b.demand_source}]"),
                ("draws", f"{self.n_draws}, seed {self.seed}, {self.level:.0%} intervals")]
        t = self.table.set_index(["metric", "year"])
        lines = [f"{self.level:.0%} intervals of the shares in the base year, 2030 and 2035:"]
        for metric in SUMMARY_METRICS:
            for year in sorted({b.year, *[y for y in (2030, 2035) if (metric, y) in t.index]}):
                r = t.loc[(metric, year)]
                lines.append(f"  {metric:<22} {year}: {r['median']:.3f} "
                             f"[{r['lower']:.3f}, {r['upper']:.3f}]")
        medians = self.table.pivot(index="year", columns="metric", values="median")
        table = medians[list(SUMMARY_METRICS)].reset_index().rename_axis(columns=None)
        return Summary(f"Non-China supply projection, scenario {self.scenario.name!r}", meta,
                       table, lines=lines)

    def _describe(self) -> str:
        return (f"scenario {self.scenario.name!r}, {self.base.year}-{self.table['year'].max()}, "
                f"{self.n_draws} draws")

    def plot(self, ax=None):
        """Fan chart of the non-China share of supply and of demand met, with IEA markers."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(8, 4))
        for metric, color in (("share_of_supply", "C0"), ("share_of_demand_met", "C1")):
            f = self.forecast(metric)
            x = f["period"].astype(int)
            ax.fill_between(x, f["yhat_lower"], f["yhat_upper"], color=color, alpha=0.2)
            ax.plot(x, f["yhat"], color=color, label=f"{metric} (median, {self.level:.0%})")
        iea = cap.iea_mining_shares()
        ax.scatter(iea["year"], iea["nonchina_share"], color="k", marker="x",
                   label="IEA non-China mining share")
        ax.set_ylim(0, 1)
        ax.set_title(f"Non-China supply, scenario {self.scenario.name!r}")
        ax.legend(fontsize=8)
        return ax


def project_supply(
    scenario: Scenario | str = "base", *, base_year: int = 2024, horizon: int = 2035,
    n_draws: int = 2000, seed: int | None = None, projects: pd.DataFrame | None = None,
    demand: str | pd.DataFrame = "world_mine_output", units: dict[str, str] | None = None,
    level: float = 0.9,
) -> ProjectionResult:
    """Project non-China supply to ``horizon`` under a scenario, by Monte Carlo.

    Parameters
    ----------
    scenario : Scenario or str
        A :class:`Scenario` or a name in :func:`scenarios`.
    base_year, horizon : int
        First and last projected year (the base year is reproduced as drawn).
    n_draws : int
        Monte Carlo draws.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    projects : pandas.DataFrame, optional
        New capacity (columns :data:`PROJECT_COLUMNS`); default :func:`default_projects`.
    demand : str or pandas.DataFrame
        ``"world_mine_output"`` (the 28% definition) or a demand estimate accepted
        by :func:`retrade.models.capacity.demand_series`.
    units : dict, optional
        Declared basis of bare demand units.
    level : float
        Interval level (quantiles ``(1 - level)/2`` and ``(1 + level)/2``).

    Examples
    --------
    >>> res = project_supply("no_change", n_draws=10, seed=1, horizon=2030)
    >>> round(float(res.forecast("share_of_demand_met")["yhat"].iloc[-1]), 4)
    0.2895
    """
    named = scenarios()
    if isinstance(scenario, str):
        check_choice("scenario", scenario, tuple(named))
        scenario = named[scenario]
    if horizon < base_year or n_draws < 1 or not 0 < level < 1:
        raise SpecificationError(f"need horizon >= base_year, n_draws >= 1 and 0 < level < 1; "
                                 f"got {horizon}, {n_draws}, {level}")
    projects = check_projects(default_projects() if projects is None else projects)
    base = base_year_values(base_year, demand=demand, units=units)
    years = np.arange(base_year, horizon + 1)
    draws = _simulate(base, scenario, projects, years, n_draws, seed)
    return ProjectionResult(scenario, base, projects, level, n_draws, seed,
                            _summarise_draws(draws, years, level), draws)


def compare_scenarios(names: list[str] | None = None, *, years: tuple[int, ...] = (2030, 2035),
                      metric: str = "share_of_demand_met", **options) -> pd.DataFrame:
    """Median and interval of ``metric`` in ``years`` for each named scenario (same seed).

    Examples
    --------
    >>> t = compare_scenarios(["no_change"], n_draws=5, seed=0)
    >>> t["median"].round(4).tolist()
    [0.2895, 0.2895]
    """
    rows = []
    for name in names or list(scenarios()):
        res = project_supply(name, **options)
        t = res.table[(res.table["metric"] == metric) & res.table["year"].isin(years)]
        rows += [{"scenario": name, **r} for r in t.to_dict("records")]
    return pd.DataFrame(rows)


__all__ = ["BaseYear", "ProjectionResult", "Scenario", "base_year_values",
           "check_projects", "compare_scenarios", "default_projects", "project_supply",
           "scenarios", "sourced_growth_rates"]
