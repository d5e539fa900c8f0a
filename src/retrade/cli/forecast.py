"""``retrade forecast``: forecast a ``period,y`` CSV, with an optional backtest-based model choice.

A thin layer over :mod:`retrade.forecast`: it reads the input table, calls the
library and writes the tidy tables where it is told to (the library itself
never writes files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from retrade.cli.inputs import read_table, require_columns, write_csv
from retrade.errors import InputFileError

app = typer.Typer(
    help="Forecasts with prediction intervals, backtests and scenarios.", no_args_is_help=True
)
out = Console()


@app.command("run")
def run(
    input_csv: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: period,y.")],
    frequency: str = typer.Option(..., help="A (annual) or M (monthly)."),
    kind: str = typer.Option(..., help="share (in [0, 1]) or level (>= 0)."),
    name: str = typer.Option("y", help="Series label for the output tables."),
    unit: str = typer.Option("", help="Unit of y."),
    role: str = typer.Option("other", help="china_share, china_exports, overseas_share, other."),
    model: str = typer.Option(
        "auto",
        help="ets, autotheta, autoarima, sarimax, prophet, naive, snaive, ensemble or "
        "auto (choose by a rolling-origin backtest).",
    ),
    horizon: int = typer.Option(..., min=1, help="Periods to forecast."),
    events_csv: Annotated[
        Path | None, typer.Option("--events", help="CSV: date,name[,end].")
    ] = None,
    initial: int | None = typer.Option(None, min=1, help="First training size of the backtest."),
    scenarios: bool = typer.Option(False, help="Add the default scenarios' paths."),
    output: Annotated[Path | None, typer.Option("--out", help="Write the tidy CSV here.")] = None,
    seed: int = typer.Option(0, help="Seed for models that draw (prophet)."),
) -> None:
    """Forecast one series; with --model auto, backtest candidates and report the choice."""

    from retrade import forecast as fc
    from retrade.errors import check_choice

    check_choice("--model", model, ("auto", *fc.MODELS, "ensemble"))
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise InputFileError(f"output {str(output)!r} is a folder or in a folder that does "
                             "not exist")
    data = read_table(input_csv, what="series", dtype={"period": str})
    require_columns(data, ["period", "y"], path=input_csv, what="period,y series")
    series = fc.Series(
        data,
        frequency=frequency,
        kind=kind,  # type: ignore[arg-type]
        name=name,
        unit=unit,
        role=role,
    )  # type: ignore[arg-type]
    events = read_table(events_csv, what="events") if events_csv is not None else None
    if events is not None:
        require_columns(events, ["date", "name"], path=events_csv, what="date,name[,end] table")
    if model == "auto":
        model = _choose(series, horizon, events, initial, seed)
    result = fc.forecast_series(series, model=model, horizon=horizon, events=events, seed=seed)  # type: ignore[arg-type]
    out.print(str(result.summary()), markup=False, highlight=False)
    table = result.tidy()
    if scenarios:
        paths = fc.apply_scenarios(result)
        out.print(str(paths.summary()), markup=False, highlight=False)
        table = paths.tidy()
    if output is not None:
        write_csv(output, table)
        out.print(f"wrote {len(table)} rows to {output}", markup=False, highlight=False)


def _choose(series, horizon: int, events, initial: int | None, seed: int) -> str:
    from retrade import forecast as fc

    candidates = ["naive", "ets", "autotheta", "autoarima", "sarimax", "ensemble"]
    if series.frequency == "M":
        candidates.insert(1, "snaive")
    start = initial if initial is not None else max(series.n - 3 * horizon, series.n // 2)
    bt = fc.backtest(
        series,
        models=candidates,
        initial=start,
        step=max(1, horizon // 2),
        horizon=horizon,
        events=events,
        seed=seed,
    )
    choice = fc.select_model(bt)
    out.print(str(choice.summary()), markup=False, highlight=False)
    return choice.model
