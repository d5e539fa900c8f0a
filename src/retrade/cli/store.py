"""``retrade store``: check the data folder against its manifests and clean what killed runs left.

A thin layer over :mod:`retrade.store.check`. Exit status: 0 when nothing is
damaged or left over (after ``--repair``, when everything left over was
cleaned), 1 when something is, 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer

from retrade.config import load_settings

app = typer.Typer(help="Check the store against its manifests; clean what killed runs left.",
                  no_args_is_help=True)

_REPAIR = typer.Option(False, "--repair", help="Finish interrupted writes, remove leftovers "
                       "(never a live file), put back a report a killed run had set aside.")
_FAST = typer.Option(False, "--no-hashes", help="Skip hashing every stored file (quicker).")
_DATA = typer.Option(None, "--data-dir", help="Data folder (default RETRADE_DATA_DIR, ./data).")
_REPORTS = typer.Option(None, "--reports-dir", help="Reports folder (default RETRADE_REPORTS_DIR, ./reports).")  # noqa: E501


@app.command("check")
def check(
    repair: bool = _REPAIR,
    no_hashes: bool = _FAST,
    data_dir: Path | None = _DATA,
    reports_dir: Path | None = _REPORTS,
) -> None:
    """Verify manifests, file hashes and the processed set; with --repair, clean leftovers."""
    from retrade.store.check import check_store

    settings = load_settings(data_dir=data_dir, reports_dir=reports_dir)
    result = check_store(settings, repair=repair, hashes=not no_hashes)
    typer.echo(result.summary())
    raise typer.Exit(0 if result.ok else 1)
