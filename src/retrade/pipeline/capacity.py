"""Section 'Overseas capacity': where "about 28%" comes from, and where it could go.

Bundled reference data only (USGS editions, IEA and other estimates), so the
section runs on every machine. The decomposition is
:func:`retrade.models.capacity.overseas_share_sensitivity` (the 28.9% of
USGS MCS2026 for 2024 beside the other definitions); the projections are
:func:`retrade.models.capacity_scenarios.project_supply` Monte Carlo runs for
every named scenario from the same seed, so their spread is the scenarios'
difference and not simulation noise. The default project pipeline is an
illustrative assumption, said so in the text.
"""

from __future__ import annotations

from retrade.models import capacity as cap
from retrade.models import capacity_scenarios as cs
from retrade.pipeline.data import Body, RunData
from retrade.report import ReportFigure, ReportTable
from retrade.report.figures import percent_axis

BASE_YEAR = 2024  # the base year of project_supply: USGS MCS2026's 2024 figures
N_DRAWS = 2000
METRIC = "share_of_supply"
USGS = "USGS Mineral Commodity Summaries (the edition of each row; 2026 preferred)"
DEFINITIONS_SOURCE = (f"{USGS}; IEA Global Critical Minerals Outlook 2024 and 2025; the demand "
                      "estimates named in each row.")
PROJECTION_SOURCE = (f"retrade Monte Carlo projections ({N_DRAWS:,} draws) from the {USGS} 2024 "
                     "figures; demand growth from Arafura and IEA rates; the new-project pipeline "
                     "is an illustrative assumption.")
TONNES = {"numerator_t": "tonnes", "denominator_t": "tonnes", "china": "tonnes",
          "world_reported": "tonnes", "nonchina": "tonnes"}


def _years_as_text(frame):
    """``year`` as text, so that 2024 is shown as a year and not as 2,024."""
    return frame.assign(year=frame["year"].astype(int).astype(str))


def _share_figure(shares, spread) -> ReportFigure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.plot(shares["year"], shares["share_reported"], "o-", label="non-China share (USGS)")
    ax.vlines(spread["year"], spread["share_min"], spread["share_max"], color="C1", lw=4,
              alpha=0.5, label="range across USGS editions")
    iea = cap.iea_mining_shares()
    ax.scatter(iea["year"], iea["nonchina_share"], marker="x", color="k",
               label="IEA (100% less China's mining share)")
    ax.axhline(0.28, color="0.5", ls=":", lw=1, label="the often-quoted 28%")
    ax.set_ylim(0, 0.6)
    percent_axis(ax)
    ax.legend(loc="lower right")
    return ReportFigure("nonchina_mine_share", fig,
                        "Non-China share of world rare-earth mine output (% of tonnes of rare-"
                        "earth oxide; bars: the range across USGS editions)",
                        f"{USGS}; IEA Global Critical Minerals Outlook.")


def _projection_figure(base) -> ReportFigure:
    ax = base.plot()
    ax.set_title("")
    percent_axis(ax)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles, ["non-China share of world supply", "share of demand met from outside "
                        "China", "IEA non-China mining share"], loc="upper left")
    return ReportFigure("capacity_projection", ax.figure,
                        "Base scenario: non-China share of supply and of demand met, to 2035 "
                        "(median; shaded: 90% interval)", PROJECTION_SOURCE)


def _decomposition(sensitivity) -> str:
    head = sensitivity.iloc[0]
    world, nonchina = head["denominator_t"], head["numerator_t"]
    return (f"The often-quoted 'about 28%' is, in its closest citable form, non-China mine "
            f"output over world mine output in {int(head['year'])} ({head['source']}): "
            f"({world:,.0f} - {world - nonchina:,.0f}) / {world:,.0f} = "
            f"{head['nonchina_share']:.1%}. The table shows how it moves with the definition: "
            "the sum of the country rows, an earlier USGS edition, the IEA's mining share, "
            "separation and refining (far lower), and demand estimates in oxide units. No "
            "public source states '28% of demand'.")


def section(data: RunData, options) -> Body:
    shares = cap.mine_shares()
    sensitivity = cap.overseas_share_sensitivity(BASE_YEAR).tidy()
    columns = ["definition", "year", "numerator_t", "denominator_t", "nonchina_share", "source",
               "note"]
    compared = cs.compare_scenarios(metric=METRIC, base_year=BASE_YEAR, n_draws=N_DRAWS,
                                    seed=options.seed)
    base = cs.project_supply("base", base_year=BASE_YEAR, n_draws=N_DRAWS, seed=options.seed)
    text = [_decomposition(sensitivity),
            f"Projections ({N_DRAWS:,} Monte Carlo draws, seed {options.seed}, 90% intervals) "
            "of the non-China share of world supply under each named scenario. Demand growth "
            "and China's quota path are computed from the bundled rows; the new-project "
            "pipeline is an illustrative assumption (four regional tranches, 60 kt REO a "
            "year), not a sourced project list.",
            f"Scenario 'base': {base.scenario.description}"]
    mine = shares[["year", "edition", "china", "world_reported", "nonchina", "share_reported"]]
    tables = (
        ReportTable("capacity_definitions", _years_as_text(sensitivity[columns]),
                    f"The non-China share in {BASE_YEAR}, by definition", DEFINITIONS_SOURCE,
                    {**TONNES, "nonchina_share": "percent"},
                    {"numerator_t": "non-China (t)", "denominator_t": "world or demand (t)",
                     "nonchina_share": "non-China share"}),
        ReportTable("mine_shares", _years_as_text(mine.iloc[::-1].reset_index(drop=True)),
                    "Rare-earth mine output, China and world (tonnes of oxide), newest first",
                    USGS + ".", {**TONNES, "share_reported": "percent"},
                    {"world_reported": "world", "nonchina": "outside China",
                     "share_reported": "non-China share"}),
        ReportTable("capacity_scenarios", _years_as_text(compared),
                    "Non-China share of supply by scenario (90% interval)", PROJECTION_SOURCE,
                    {c: "percent" for c in ("mean", "median", "lower", "upper")}
                    | {"sd": "number:3"}, {"lower": "5th percentile", "upper": "95th percentile",
                                     "sd": "std. dev."}),
    )
    figures = (_share_figure(shares, cap.edition_spread()), _projection_figure(base))
    return Body("\n\n".join(text), tables, figures)
