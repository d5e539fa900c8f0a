"""``retrade fetch``: bring trade data from the APIs into ``data/raw/``.

A thin layer over :mod:`retrade.fetch`. Exit codes: 0 done, 2 bad input or a
failed call (the message says which, e.g. a key the API wants), 3 stopped by
the daily quota, ``--max-calls`` or ``--max-minutes`` (everything fetched so
far is kept; run the same command again to resume).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from retrade.cli.output import print_error
from retrade.config import load_settings
from retrade.errors import RetradeError

if TYPE_CHECKING:
    from retrade.fetch.runner import FetchReport

app = typer.Typer(help="Fetch trade data from the APIs into data/raw.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()

DATA_DIR = typer.Option(None, "--data-dir", help="Data folder (default RETRADE_DATA_DIR, ./data).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")
MAX_CALLS = typer.Option(None, "--max-calls", min=0, help="Stop (resumably) after this many requests (default RETRADE_MAX_CALLS).")  # noqa: E501
MAX_MINUTES = typer.Option(None, "--max-minutes", min=0, help="Stop (resumably) after this many minutes (default RETRADE_MAX_MINUTES).")  # noqa: E501


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except (RetradeError, ValueError) as exc:
        print_error(exc)  # one literal line: user text is never read as markup
        raise typer.Exit(2) from None


def _finish(report: FetchReport) -> None:
    out.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    if not report.complete:
        err.print("[yellow]stopped early; run the same command again to resume[/]")
        raise typer.Exit(3)


@app.command("comtrade")
def comtrade(
    reporters: str = typer.Option(..., "--reporters", "-r", help="ISO3 codes, names or Comtrade numbers, comma-separated."),  # noqa: E501
    partners: str = typer.Option("all", "--partners", "-p", help="'all', 'WLD' or a list."),
    flows: str = typer.Option("M,X", "--flows", "-f", help="M, X, RM, RX (or import, export ...)."),
    hs: str = typer.Option("all", "--hs", help="HS6 codes, headings or stages (ores, compounds ...)."),  # noqa: E501
    periods: str = typer.Option(..., "--periods", help="'2020', '2018-2024', '2024-03', '2023-01:2023-12'."),  # noqa: E501
    frequency: str = typer.Option("A", "--frequency", help="A (annual) or M (monthly)."),
    count_first: bool = typer.Option(True, "--count-first/--no-count-first", help="Ask row counts before wide calls."),  # noqa: E501
    availability: bool = typer.Option(True, "--availability/--no-availability", help="Use release dates to skip what is fresh."),  # noqa: E501
    max_calls: int | None = MAX_CALLS,
    max_minutes: float | None = MAX_MINUTES,
    data_dir: Path | None = DATA_DIR,
    quiet: bool = QUIET,
) -> None:
    """Fetch UN Comtrade rows (keyless preview, or the data API with RETRADE_COMTRADE_KEY)."""
    from retrade.fetch.comtrade import fetch_comtrade

    settings = _run(lambda: load_settings(data_dir=data_dir))
    report = _run(lambda: fetch_comtrade(
        reporters=reporters, partners=partners, flows=flows, hs=hs, periods=periods,
        frequency=frequency, settings=settings, progress=not quiet, count_first=count_first,
        availability=availability, max_calls=max_calls, max_minutes=max_minutes,
    ))
    _finish(report)


@app.command("comtrade-bulk")
def comtrade_bulk(
    reporters: str = typer.Option(..., "--reporters", "-r", help="ISO3 codes, names or Comtrade numbers, comma-separated."),  # noqa: E501
    periods: str = typer.Option(..., "--periods", help="'2020', '2018-2024', '2024-03', '2023-01:2023-12'."),  # noqa: E501
    frequency: str = typer.Option("A", "--frequency", help="A (annual) or M (monthly) files."),
    classification: str = typer.Option("HS", "--classification", help="HS (as reported) or a vintage H0..H6."),  # noqa: E501
    max_calls: int | None = MAX_CALLS,
    data_dir: Path | None = DATA_DIR,
    quiet: bool = QUIET,
) -> None:
    """Download Comtrade bulk files (needs RETRADE_COMTRADE_KEY with bulk access); keep their rare-earth lines."""  # noqa: E501
    from retrade.fetch.comtrade import fetch_comtrade_bulk

    settings = _run(lambda: load_settings(data_dir=data_dir))
    report = _run(lambda: fetch_comtrade_bulk(
        reporters=reporters, periods=periods, frequency=frequency, classification=classification,
        settings=settings, progress=not quiet, max_calls=max_calls,
    ))
    _finish(report)


@app.command("census")
def census(
    flows: str = typer.Option("imports,exports", "--flows", "-f", help="imports, exports or both."),
    hs: str = typer.Option("all", "--hs", help="HS6 codes, headings or stages; HS10 lines come back."),  # noqa: E501
    periods: str = typer.Option(..., "--periods", help="Months: '2024-03', '2023-01:2023-12' or a year."),  # noqa: E501
    dataset: str = typer.Option("hs", "--dataset", help="hs (by country) or porths (by port)."),
    variables: str | None = typer.Option(None, "--variables", help="Census 'get' list (default: monthly values, quantities, weights)."),  # noqa: E501
    max_calls: int | None = MAX_CALLS,
    max_minutes: float | None = MAX_MINUTES,
    data_dir: Path | None = DATA_DIR,
    quiet: bool = QUIET,
) -> None:
    """Fetch monthly US imports/exports by HS10 and country (US Census Bureau; needs RETRADE_CENSUS_KEY, free at https://api.census.gov/data/key_signup.html)."""  # noqa: E501
    from retrade.fetch.census import fetch_census

    settings = _run(lambda: load_settings(data_dir=data_dir))
    report = _run(lambda: fetch_census(
        flows=flows, hs=hs, periods=periods, dataset=dataset, settings=settings,
        variables=variables.split(",") if variables else None, progress=not quiet,
        max_calls=max_calls, max_minutes=max_minutes,
    ))
    _finish(report)


@app.command("comtrade-reference")
def comtrade_reference(
    lists: list[str] = typer.Option(["Reporters", "partnerAreas"], "--list", help="Reference lists to refresh."),  # noqa: E501, B008
    data_dir: Path | None = DATA_DIR,
) -> None:
    """Refresh Comtrade's reporter/partner lists into the store; check the catalog against them."""
    from retrade.errors import check_choice
    from retrade.fetch.comtrade import (
        REFERENCE_LISTS,
        check_catalog,
        reference_table,
        refresh_reference,
    )
    from retrade.store import RawStore

    for name in lists:
        check_choice("--list", name, REFERENCE_LISTS)
    settings = _run(lambda: load_settings(data_dir=data_dir))
    counts = _run(lambda: refresh_reference(lists, settings=settings))
    store = RawStore(settings.raw_dir)
    for name, n in counts.items():
        table = reference_table(store, name)
        check = check_catalog(table, name=name) if table is not None else None
        out.print(f"{name}: {n} entries stored", markup=False, highlight=False)
        if check is not None:
            for code, text in check.unmatched:
                out.print(f"  not in the catalog: {code} {text}", markup=False, highlight=False)
            for code, text, theirs, ours in check.differing:
                out.print(f"  differs: {code} {text}: Comtrade {theirs}, catalog {ours}",
                          markup=False, highlight=False)
