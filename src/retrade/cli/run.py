"""``retrade run``: the quarterly job, a thin layer over :func:`retrade.pipeline.run_quarterly`.

Register on the root app with ``app.command("run")(run.run_command)``.
Exit codes: 0 every analysis ran (sections that only lack data are not
failures), 1 an analysis or the panel build failed (the report is written
all the same, with the error in the failed section), 2 bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from retrade.cli.output import print_error
from retrade.config import load_settings, redact

out = Console()
err = Console(stderr=True)

_OFFLINE = typer.Option(False, "--offline", help="Fetch nothing: use the store, bundled data.")
_QUARTER = typer.Option(None, "--quarter", help="Report quarter, e.g. 2026Q4 (default: today's).")
_SECTIONS = typer.Option(None, "--sections", help="Comma-separated section keys (default: all).")
_MODELS = typer.Option(None, "--models", help="Forecast candidates, e.g. naive,ets,autotheta,autoarima,sarimax,ensemble,prophet.")  # noqa: E501
_DATA = typer.Option(None, "--data-dir", help="Data folder (default RETRADE_DATA_DIR, ./data).")
_REPORTS = typer.Option(None, "--reports-dir", help="Reports folder (default RETRADE_REPORTS_DIR, ./reports).")  # noqa: E501
_SEED = typer.Option(0, "--seed", help="Seed of every random draw.")
_QUIET = typer.Option(False, "--quiet", "-q", help="No progress display.")
_JSON = typer.Option(False, "--json", help="Print the result as JSON (section statuses, key "
                     "findings, steps) on stdout, for scripts; implies --quiet.")
_MAX_CALLS = typer.Option(None, "--max-calls", min=0, help="Cap on API calls this run (default RETRADE_MAX_CALLS, none); a stopped fetch resumes next run.")  # noqa: E501
_MAX_MINUTES = typer.Option(None, "--max-minutes", min=0, help="Cap on minutes spent fetching this run (default RETRADE_MAX_MINUTES, none).")  # noqa: E501


def run_command(
    offline: bool = _OFFLINE,
    quarter: str | None = _QUARTER,
    sections: str | None = _SECTIONS,
    models: str | None = _MODELS,
    data_dir: Path | None = _DATA,
    reports_dir: Path | None = _REPORTS,
    seed: int = _SEED,
    quiet: bool = _QUIET,
    as_json: bool = _JSON,
    max_calls: int | None = _MAX_CALLS,
    max_minutes: float | None = _MAX_MINUTES,
) -> None:
    """Run the quarterly pipeline: fetch what is new, build the panel, analyse, write the report."""
    import matplotlib

    from retrade.errors import RetradeError
    from retrade.pipeline import FetchPlan, run_quarterly
    from retrade.pipeline.forecasts import DEFAULT_MODELS

    matplotlib.use("Agg")  # the report's figures are files; no window may open
    try:
        settings = load_settings(data_dir=data_dir, reports_dir=reports_dir)
        plan = FetchPlan(max_calls=max_calls, max_minutes=max_minutes)
        result = run_quarterly(
            quarter=quarter, offline=offline, settings=settings, sections=sections,
            fetch_plan=plan,
            forecast_models=models.split(",") if models else DEFAULT_MODELS, seed=seed,
            progress=not (quiet or as_json))
    except (RetradeError, ValueError, OSError) as exc:
        print_error(exc)  # one literal line: user text is never read as markup
        raise typer.Exit(2) from None
    if as_json:
        import json

        typer.echo(redact(json.dumps(result.to_dict(), indent=2, default=str)))
    else:
        out.print(result.summary(), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(result.exit_code)
