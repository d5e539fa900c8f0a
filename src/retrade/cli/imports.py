"""``retrade import PATH``: read a hand-downloaded file, report what it holds, store it.

This is a single command, :func:`import_command`; register it on the root app
with ``app.command("import")(imports.import_command)``. ``app`` runs it on its
own (``typer.Typer`` with one command), which the tests use.

The format is detected from the file's content (or named with ``--format``);
a file retrade does not understand is refused with a message saying why, and
nothing is written unless the whole file reads cleanly.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from retrade.config import load_settings
from retrade.fetch.files.registry import DECLARED_FLOWS as FLOWS
from retrade.fetch.files.registry import FORMATS

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
out = Console()

_PATH = typer.Argument(..., help="The downloaded file.", exists=False)
_FORMAT = typer.Option(None, "--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
_FLOW = typer.Option(
    None,
    "--flow",
    help="import or export (China customs downloads and monthly tables do not say which).",
)
_REPORTER = typer.Option(
    None, "--reporter", help="Whose trade a monthly table holds (ISO3), e.g. CHN."
)
_DRY = typer.Option(False, "--dry-run", help="Read and report, write nothing.")
_DATA = typer.Option(None, "--data-dir", help="The data folder (default: settings).")


@app.command("import")
def import_command(
    path: Path = _PATH,
    format: str | None = _FORMAT,
    flow: str | None = _FLOW,
    reporter: str | None = _REPORTER,
    dry_run: bool = _DRY,
    data_dir: Path | None = _DATA,
) -> None:
    """Import a hand-downloaded file (WITS, Comtrade, China customs, USGS MCS, Comext ...).

    The format is detected from the content; the report says what was read
    and what was stored.
    """
    if format is not None and format not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}; got {format!r}",
                                 param_hint="--format")
    if flow is not None and flow not in FLOWS:
        raise typer.BadParameter(f"must be one of {', '.join(FLOWS)}; got {flow!r}",
                                 param_hint="--flow")
    options = {k: v for k, v in (("flow", flow), ("reporter", reporter)) if v is not None}
    settings = load_settings(data_dir=data_dir)
    from retrade.fetch.files import import_file

    report = import_file(path, format=format, settings=settings, dry_run=dry_run, **options)
    out.print(report.describe(), markup=False, highlight=False, soft_wrap=True)
