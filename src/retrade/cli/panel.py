"""``retrade panel``: build the panel, read its quality and mirror tables, query it with SQL.

A thin layer over :mod:`retrade.panel.build`, :mod:`retrade.panel.query` and
:mod:`retrade.fetch.comtrade.bulk_file`; tables print as text, or as CSV with ``--csv``.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from retrade.cli.output import print_note
from retrade.config import load_settings
from retrade.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    help="Build the harmonized panel, inspect its data quality and mirror flows, query it.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)
Many = Annotated[list[str] | None, typer.Option(help="Only these sources (repeat).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV (all rows).")]
Limit = Annotated[int, typer.Option(min=0, help="Rows to print (0 = all).")]


def _show(frame: pd.DataFrame, *, csv: bool, limit: int) -> None:
    import pandas as pd

    if csv:
        frame.to_csv(sys.stdout, index=False)
        return
    shown = frame.head(limit) if limit > 0 else frame
    with pd.option_context(
        "display.max_columns", None, "display.width", 200, "display.max_colwidth", 80
    ):
        out.print(shown.to_string(index=False), markup=False, highlight=False, soft_wrap=True)
    if len(shown) < len(frame):
        print_note(f"({len(frame) - len(shown):,} more rows; --limit 0 or --csv for all)")


def _filtered(frame: pd.DataFrame, **equal: list[str] | None) -> pd.DataFrame:
    """Rows whose columns hold the given values; a note names values the table does not hold."""
    for column, values in equal.items():
        if values:
            absent = sorted(set(values) - set(frame[column].dropna().astype(str)))
            if absent:
                print_note(f"note: no rows with {column} {absent} in this table")
            frame = frame[frame[column].isin(values)]
    return frame.reset_index(drop=True)


def _countries(option: str, values: list[str] | None) -> list[str] | None:
    """ISO3 codes for names or codes; an unknown one is an error naming it (not an empty table)."""
    if not values:
        return values
    from retrade.catalog import to_iso3
    from retrade.errors import HarmonizeError

    try:
        return list(to_iso3(values, scheme="name"))
    except HarmonizeError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def _hs6(values: list[str] | None) -> list[str] | None:
    """Catalog HS6 codes; a code outside the catalog is an error naming it."""
    from retrade.catalog.products import product

    for value in values or ():
        if not re.fullmatch(r"\d{6}", value):
            raise ConfigError(f"--hs6 takes six-digit HS codes, got {value!r}")
        product(value)  # CatalogError naming the code and the catalog's codes
    return values


def _periods(values: list[str] | None) -> list[str] | None:
    for value in values or ():
        if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", value):
            raise ConfigError(f"--period takes YYYY or YYYY-MM, got {value!r}")
    return values


@app.command("build")
def build(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only these sources (repeat).")
    ] = None,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Replace a non-empty panel even if this build has no rows.")] = False,
) -> None:
    """Build data/processed/panel.parquet (with quality and mirror tables) from the raw store."""
    from retrade.panel.build import build_panel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = build_panel(settings=load_settings(), sources=source or None,
                             allow_empty=allow_empty)
    typer.echo(result.summary())
    noted = {note for r in result.sources for note in r.notes}
    for text in dict.fromkeys(str(w.message) for w in caught):
        if text not in noted:  # notes the summary already shows are not repeated
            print_note(f"note: {text}")


@app.command("quality")
def quality(
    check: Annotated[
        list[str] | None,
        typer.Option(help="gap, collapse, spike, unit_value, estimated, value_no_weight (repeat)."),
    ] = None,
    source: Many = None,
    reporter: Annotated[list[str] | None, typer.Option(help="Reporters, ISO3 (repeat).")] = None,
    hs6: Annotated[list[str] | None, typer.Option(help="HS6 codes (repeat).")] = None,
    level: Annotated[list[str] | None, typer.Option(help="partner or reporter (repeat).")] = None,
    summary: Annotated[bool, typer.Option(help="Counts by check, level and source.")] = False,
    csv: Csv = False,
    limit: Limit = 50,
) -> None:
    """The data-quality table of the last build: gaps, collapses, spikes, flagged rows."""
    from retrade.errors import check_choice
    from retrade.panel.quality import CHECKS, LEVELS
    from retrade.store import ProcessedStore

    for value in check or ():
        check_choice("--check", value, CHECKS)
    for value in level or ():
        check_choice("--level", value, LEVELS)
    reporter, hs6 = _countries("--reporter", reporter), _hs6(hs6)
    settings = load_settings()
    if source:
        from retrade.panel.build import check_sources
        from retrade.store import RawStore

        check_sources(source, RawStore(settings.raw_dir))
    table = ProcessedStore(settings.processed_dir).read("quality")
    table = _filtered(table, check=check, source=source, reporter=reporter, hs6=hs6, level=level)
    if summary:
        table = (
            table.groupby(["check", "level", "source"], dropna=False)
            .size()
            .rename("issues")
            .reset_index()
        )
    _show(table, csv=csv, limit=limit)


@app.command("mirror")
def mirror(
    exporter: Annotated[list[str] | None, typer.Option(help="Exporters, ISO3 (repeat).")] = None,
    importer: Annotated[list[str] | None, typer.Option(help="Importers, ISO3 (repeat).")] = None,
    hs6: Annotated[list[str] | None, typer.Option(help="HS6 codes (repeat).")] = None,
    period: Annotated[list[str] | None, typer.Option(help="Periods (repeat).")] = None,
    csv: Csv = False,
    limit: Limit = 50,
) -> None:
    """Mirror flows of the last build: exports against partner imports, and the side trusted."""
    from retrade.store import ProcessedStore

    exporter, importer = _countries("--exporter", exporter), _countries("--importer", importer)
    hs6, period = _hs6(hs6), _periods(period)
    table = ProcessedStore(load_settings().processed_dir).read("mirror")
    table = _filtered(table, exporter=exporter, importer=importer, hs6=hs6, period=period)
    _show(table, csv=csv, limit=limit)


@app.command("sql")
def sql(
    statement: Annotated[str, typer.Argument(help='A query, e.g. "SELECT * FROM panel LIMIT 5".')],
    table: Annotated[list[str] | None, typer.Option(
        "--table", help="Also read a CSV or Parquet file as a table: NAME=PATH (repeat).")] = None,
    csv: Csv = False,
    limit: Limit = 50,
) -> None:
    """Run a read-only DuckDB query over the processed tables (panel, quality, mirror ...).

    The query can read nothing else and write nothing at all, unless a file
    is named with --table.
    """
    from retrade.panel.query import query

    extra = {}
    for item in table or ():
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--table takes NAME=PATH, got {item!r}")
        extra[name] = path
    _show(query(statement, settings=load_settings(), tables=extra), csv=csv, limit=limit)


@app.command("ingest-bulk")
def ingest_bulk(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, help="Comtrade bulk final files (.txt.gz)."),
    ],
    hs: Annotated[
        list[str] | None,
        typer.Option(help="HS6 codes or stages to keep (default: all, broad lines included)."),
    ] = None,
    dask_workers: Annotated[
        int,
        typer.Option(min=0, help="Run on a local Dask cluster with this many workers "
                     "(0: one process)."),
    ] = 0,
) -> None:
    """Stream Comtrade bulk files into data/raw/comtrade_bulk, keeping the catalog's HS6 lines."""
    from retrade.catalog import hs_codes
    from retrade.store import RawStore

    store = RawStore(load_settings().raw_dir)
    codes = hs_codes(hs, include_broad=True) if hs else None
    if dask_workers > 0:
        results = _ingest_on_dask(files, store, codes, dask_workers)
    else:
        from retrade.fetch.comtrade.bulk_file import ingest_comtrade_bulk

        results = [ingest_comtrade_bulk(f, store=store, hs=codes) for f in files]
    for r in results:
        typer.echo(
            f"{r.path}: {r.rows_read:,} rows read, {r.rows_kept:,} kept "
            f"-> {r.source}/{r.files[0]} ({r.rows_per_second:,.0f} rows/s)"
        )


def _ingest_on_dask(files, store, codes, workers):
    from retrade.errors import require
    from retrade.fetch.comtrade.bulk_file_dask import ingest_comtrade_bulk_dask

    distributed = require("distributed", "dask")
    cluster = distributed.LocalCluster(
        n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        return ingest_comtrade_bulk_dask(files, store=store, hs=codes, client=client)
