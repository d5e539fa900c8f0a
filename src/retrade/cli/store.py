"""``retrade store``: housekeeping of the raw store (``data/raw``).

``retrade store compact [SOURCE ...]`` removes stored rows that newer files
supersede (see :mod:`retrade.store.compact`); safe to run at any time, also
while another retrade process fetches (the store lock serialises them).
Exit codes: 0 done, 2 bad input (an unknown source, a source without an
observation key).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from retrade.config import load_settings, redact
from retrade.errors import RetradeError, StoreError

app = typer.Typer(help="Housekeeping of the raw store (data/raw).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

DATA_DIR = typer.Option(None, "--data-dir", help="Data folder (default RETRADE_DATA_DIR, ./data).")


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
                out.print(f"{source}: no observation key; left as it is", highlight=False)
                continue
            out.print(compact(store, source, key=key).summary(), highlight=False)
    except (RetradeError, ValueError, OSError) as exc:
        err.print(f"[bold red]error:[/] {redact(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
