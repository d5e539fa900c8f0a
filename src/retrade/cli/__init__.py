"""The ``retrade`` command: a thin Typer layer over the library and :mod:`retrade.pipeline`.

Sub-commands live one module per area (``cli/fetch.py``, ``cli/imports.py`` ...)
and are registered here. The CLI, not the library, configures logging.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.logging import RichHandler

from retrade.errors import RetradeError

app = typer.Typer(
    name="retrade",
    help="Rare-earth trade data, econometrics and forecasting.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals can hold API keys
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, pwsh
    context_settings={"help_option_names": ["-h", "--help"]},
)
console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from retrade import __version__

        typer.echo(f"retrade {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-vv for debug)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Rare-earth trade data, econometrics and forecasting."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, markup=False)],
        force=True,
    )


def _register() -> None:
    from retrade.cli import catalog, dual, estimate, fetch, imports
    from retrade.cli import forecast as forecast_cli
    from retrade.cli import panel as panel_cli
    from retrade.cli import run as run_cli
    from retrade.cli import store as store_cli

    app.add_typer(fetch.app, name="fetch")
    app.add_typer(catalog.app, name="catalog")
    app.add_typer(dual.app, name="dual")
    app.command("import")(imports.import_command)
    app.add_typer(panel_cli.app, name="panel")
    app.command("sql")(panel_cli.sql)
    app.add_typer(estimate.app, name="estimate")
    app.add_typer(forecast_cli.app, name="forecast")
    app.command("run")(run_cli.run_command)
    app.add_typer(store_cli.app, name="store")


_register()


def main() -> None:
    """Entry point of the ``retrade`` script: library errors become one clear line and exit 2."""
    try:
        app()
    except RetradeError as exc:
        from retrade.config import redact

        console.print(f"[bold red]error:[/] {redact(str(exc))}", markup=True, highlight=False)
        sys.exit(2)
