"""``retrade store``: housekeeping of the data folder.

``retrade store compact [SOURCE ...]`` removes stored rows that newer files
supersede (see :mod:`retrade.store.compact`); safe to run at any time, also
while another retrade process fetches (the store lock serialises them).
Exit codes: 0 done, 2 bad input (an unknown source, a source without an
observation key).

``retrade store check [--repair]`` checks the data folder against its
manifests and cleans what killed runs left (see :mod:`retrade.store.check`).
Exit status: 0 when nothing is damaged or left over (after ``--repair``, when
everything left over was cleaned), 1 when something is, 2 for bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from retrade.cli.output import print_error
from retrade.config import load_settings
from retrade.errors import RetradeError, StoreError

app = typer.Typer(help="Housekeeping of the store: check it against its manifests, clean what "
                       "killed runs left, compact superseded rows.", no_args_is_help=True)
out = Console()

DATA_DIR = typer.Option(None, "--data-dir", help="Data folder (default RETRADE_DATA_DIR, ./data).")
_REPAIR = typer.Option(False, "--repair", help="Finish interrupted writes, remove leftovers "
                       "(never a live file), put back a report a killed run had set aside.")
_FAST = typer.Option(False, "--no-hashes", help="Skip hashing every stored file (quicker).")
_REPORTS = typer.Option(None, "--reports-dir", help="Reports folder (default RETRADE_REPORTS_DIR, ./reports).")  # noqa: E501


@app.command("check")
def check(
    repair: bool = _REPAIR,
    no_hashes: bool = _FAST,
    data_dir: Path | None = DATA_DIR,
    reports_dir: Path | None = _REPORTS,
) -> None:
    """Verify manifests, file hashes and the processed set; with --repair, clean leftovers."""
    from retrade.store.check import check_store

    settings = load_settings(data_dir=data_dir, reports_dir=reports_dir)
    result = check_store(settings, repair=repair, hashes=not no_hashes)
    typer.echo(result.summary())
    raise typer.Exit(0 if result.ok else 1)


def source_key(store, source: str) -> list[str] | None:
    """The observation key the panel reads ``source`` with: its adapter's, else the recorded one."""
    from retrade.panel.build import load_adapter, recorded_key

    adapter = load_adapter(source)
    if adapter is not None and adapter.raw_key:
        return list(adapter.raw_key)
    return recorded_key(store, source)


@app.command("compact")
def compact_command(
    sources: list[str] = typer.Argument(None, help="Sources to compact (default: every source with an observation key)."),  # noqa: E501, B008
    data_dir: Path | None = DATA_DIR,
) -> None:
    """Remove stored rows that newer files supersede; readers see the same rows before and after."""
    from retrade.store import RawStore
    from retrade.store.compact import compact

    try:
        settings = load_settings(data_dir=data_dir)
        store = RawStore(settings.raw_dir)
        present = store.sources()
        wanted = list(sources) if sources else present
        unknown = [s for s in wanted if s not in present]
        if unknown:
            raise StoreError(f"no source {unknown} in {store.root}; sources: {present}")
        for source in wanted:
            key = source_key(store, source)
            if key is None:
                if sources:
                    raise StoreError(f"source {source!r} has no observation key to compact on")
                out.print(f"{source}: no observation key; left as it is", markup=False,
                          highlight=False)
                continue
            out.print(compact(store, source, key=key).summary(), markup=False, highlight=False)
    except (RetradeError, ValueError, OSError) as exc:
        print_error(exc)  # one literal line: user text is never read as markup
        raise typer.Exit(2) from None
