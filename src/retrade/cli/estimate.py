"""``retrade estimate``: export-restriction effects from the command line.

A thin layer over :mod:`retrade.models`: each command reads the file you name,
runs one model, prints its summary (caveats included) and, when asked, writes
the tidy table as CSV or LaTeX. The models themselves never touch files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retrade.cli.inputs import monthly_index, read_panel, read_table, require_columns, write_text
from retrade.errors import ConfigError, InputFileError, check_choice

app = typer.Typer(help="Export-restriction econometrics: events, exposure DiD, event studies, "
                       "intervention analysis.", no_args_is_help=True)

EventOption = Annotated[str, typer.Option("--event", help="Curated event name (see 'events').")]
Hs6Option = Annotated[list[str] | None, typer.Option("--hs6", help="HS6 line(s), repeatable.")]


@app.command("events")
def events() -> None:
    """The curated policy events, their HS lines and mapping caveats."""
    import pandas as pd

    from retrade.models import treatments

    with pd.option_context("display.width", 200, "display.max_colwidth", 90):
        typer.echo(treatments().to_string(index=False))


def _read_panel(path: Path):
    return read_panel(path)


def _baseline(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        lo, hi = (int(x) for x in text.split("-"))
    except ValueError:
        raise ConfigError(f"--baseline must look like 2010-2014, got {text!r}") from None
    return lo, hi


def _check_outputs(*paths: Path | None) -> None:
    """Refuse an output path that cannot be written before the model runs."""
    for path in paths:
        if path is not None and (path.is_dir() or not path.parent.is_dir()):
            what = "is a folder" if path.is_dir() else "is in a folder that does not exist"
            raise InputFileError(f"output {str(path)!r} {what}")


def _write(result, csv: Path | None, latex: Path | None) -> None:
    typer.echo(str(result.summary()))
    if csv is not None:
        write_text(csv, result.to_csv())
        typer.echo(f"wrote {csv}")
    if latex is not None:
        write_text(latex, result.to_latex())
        typer.echo(f"wrote {latex}")


@app.command("did")
def did(
    panel: Annotated[Path, typer.Argument(help="Panel file (Parquet or CSV), retrade schema.")],
    event: EventOption,
    hs6: Hs6Option = None,
    outcome: Annotated[str, typer.Option(help="log1p, log, ppml, unit_value or share.")] = "ppml",
    measure: Annotated[str, typer.Option(help="value_usd or net_weight_kg.")] = "value_usd",
    top_k: Annotated[int, typer.Option(min=1, help="Size of the exposed group.")] = 10,
    baseline: Annotated[str | None, typer.Option(help="Baseline years, e.g. 2010-2014.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Partner to leave out.")] = None,
    cluster: Annotated[list[str] | None, typer.Option(help="partner and/or t.")] = None,
    drop_year: Annotated[list[int] | None, typer.Option(help="Year to leave out.")] = None,
    dynamic: Annotated[bool, typer.Option(help="Event study with leads and lags.")] = False,
    csv: Annotated[Path | None, typer.Option(help="Write the tidy table here (CSV).")] = None,
    latex: Annotated[Path | None, typer.Option(help="Write a LaTeX table here.")] = None,
) -> None:
    """Exposure difference-in-differences (or, with --dynamic, an event study) on a panel file."""
    from retrade.models import event_study, exposure_did
    from retrade.models import top_k as top
    from retrade.models.outcomes import OUTCOMES
    from retrade.panel.measures import MEASURES

    check_choice("--outcome", outcome, OUTCOMES)  # before the panel is read and fitted
    check_choice("--measure", measure, MEASURES)
    for name in cluster or ():
        check_choice("--cluster", name, ("partner", "t"))
    _check_outputs(csv, latex)
    estimator = event_study if dynamic else exposure_did
    result = estimator(
        _read_panel(panel), event, hs6=hs6 or None, outcome=outcome, measure=measure,
        exposure=top(top_k, baseline=_baseline(baseline), exclude=tuple(exclude or ())),
        cluster=tuple(cluster) if cluster else "partner", drop_years=tuple(drop_year or ()))
    _write(result, csv, latex)


@app.command("intervention")
def intervention(
    series: Annotated[Path, typer.Argument(help="CSV with a 'period' (YYYY-MM) column.")],
    event: EventOption,
    column: Annotated[str, typer.Option(help="The value column to model.")] = "value_usd",
    seed: Annotated[int, typer.Option(help="Seed of the interval draws.")] = 0,
    csv: Annotated[Path | None, typer.Option(help="Write the tidy table here (CSV).")] = None,
    latex: Annotated[Path | None, typer.Option(help="Write a LaTeX table here.")] = None,
) -> None:
    """SARIMAX intervention analysis and counterfactual of one monthly series."""
    import pandas as pd

    from retrade.models import intervention as run

    _check_outputs(csv, latex)
    frame = read_table(series, what="series", dtype={"period": str})
    require_columns(frame, ["period", column], path=series, what="series with a value column "
                    f"{column!r} (pick it with --column)")
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        bad = frame.loc[values.isna(), column].iloc[0]
        raise InputFileError(f"{str(series)!r}: column {column!r} holds {bad!r}, not a number")
    values = pd.Series(values.to_numpy(float), name=column,
                       index=monthly_index(frame["period"], path=series))
    _write(run(values, event, seed=seed, name=column), csv, latex)
