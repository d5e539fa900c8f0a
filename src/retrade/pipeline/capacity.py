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

BASE_YEAR = 2024  # the base year of project_supply: USGS MCS2026's 2024 figures
N_DRAWS = 2000
METRIC = "share_of_supply"


def _years_as_text(frame):
    """``year`` as text, so that 2024 is shown as a year and not as 2,024."""
    return frame.assign(year=frame["year"].astype(int).astype(str))


def _share_figure(shares, spread) -> ReportFigure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(shares["year"], shares["share_reported"], "o-", label="non-China share (USGS)")
    ax.vlines(spread["year"], spread["share_min"], spread["share_max"], color="C3", lw=4,
              alpha=0.5, label="range across USGS editions")
    iea = cap.iea_mining_shares()
    ax.scatter(iea["year"], iea["nonchina_share"], marker="x", color="k",
               label="IEA (1 - China mining share)")
    ax.axhline(0.28, color="0.6", ls=":", label="'about 28%'")
    ax.set_ylim(0, 0.6)
    ax.legend(fontsize=8)
    ax.set_title("Non-China share of world rare-earth mine output")
    return ReportFigure("nonchina_mine_share", fig,
                        "Non-China share of mine output by year, with USGS edition revisions")


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
    sensitivity = cap.overseas_share_sensitivity(BASE_YEAR)
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
    tables = (
        ReportTable("capacity_definitions", _years_as_text(sensitivity[columns]),
                    f"The non-China share in {BASE_YEAR} by definition"),
        ReportTable("mine_shares", _years_as_text(shares[["year", "edition", "china",
                                                          "world_reported", "nonchina",
                                                          "share_reported"]]),
                    "USGS mine production (t REO) and the non-China share"),
        ReportTable("capacity_scenarios", _years_as_text(compared),
                    "Non-China share of supply by scenario (median and 90% interval)"),
    )
    figures = (_share_figure(shares, cap.edition_spread()),
               ReportFigure("capacity_projection", base.plot().figure,
                            "Base scenario: projected non-China share (90% interval)"))
    return Body("\n\n".join(text), tables, figures)
