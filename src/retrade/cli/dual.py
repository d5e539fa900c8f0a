"""``retrade dual``: the overseas-capacity table, scenario projections and the dual-chain report.

A thin layer: each command calls :mod:`retrade.models` and prints the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retrade.cli.inputs import read_panel, read_table, require_columns
from retrade.errors import check_choice

app = typer.Typer(help="Dual-chain decoupling and overseas capacity against demand.",
                  no_args_is_help=True)


@app.command("capacity")
def capacity(year: Annotated[int, typer.Option(help="USGS production year.")] = 2024) -> None:
    """Where 'about 28%' comes from: non-China share under each definition."""
    import pandas as pd

    from retrade.models.capacity import overseas_share_sensitivity

    table = overseas_share_sensitivity(year).tidy()
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        typer.echo(table[["definition", "year", "numerator_t", "denominator_t",
                         "nonchina_share", "source"]].to_string(index=False))


@app.command("project")
def project(
    scenario: Annotated[list[str] | None, typer.Option(
        help="Scenario name(s), repeatable; 'all' for every one (default: base).")] = None,
    draws: Annotated[int, typer.Option(min=1, help="Monte Carlo draws.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    horizon: Annotated[int, typer.Option(help="Last projected year.")] = 2035,
) -> None:
    """Monte Carlo projection of non-China supply under named scenarios."""
    from retrade.models.capacity_scenarios import project_supply, scenarios

    scenario = scenario or ["base"]
    names = list(scenarios()) if scenario == ["all"] else scenario
    for name in names:
        typer.echo(project_supply(name, n_draws=draws, seed=seed, horizon=horizon).summary())


@app.command("report")
def report(
    panel: Annotated[Path, typer.Argument(help="A panel file (Parquet or CSV), retrade schema.")],
    totals: Annotated[Path | None, typer.Option(help="importer,<level>,period,total CSV.")] = None,
    level: Annotated[str, typer.Option(help="stage or hs6.")] = "stage",
) -> None:
    """Dependency metrics and their availability for a panel file you name."""
    from retrade.models.dual_chain import dual_chain

    check_choice("--level", level, ("stage", "hs6"))
    frame = read_panel(panel)
    importer_totals = (read_table(totals, what="importer totals",
                                  dtype={"hs6": str, "period": str}) if totals else None)
    if importer_totals is not None:
        require_columns(importer_totals, ["importer", level, "period", "total"], path=totals,
                        what=f"importer,{level},period,total table")
    typer.echo(dual_chain(frame, level=level, importer_totals=importer_totals).summary())
