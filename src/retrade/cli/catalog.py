"""``retrade catalog``: the rare-earth HS codes by stage, and country code look-ups."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from retrade.catalog import catalog_table, country_name, to_iso3

app = typer.Typer(
    help="Rare-earth HS codes by value-chain stage and country codes.", no_args_is_help=True
)
out = Console()


@app.command("products")
def products() -> None:
    """List the HS6 codes of the rare-earth value chain with their caveats."""
    table = Table("hs6", "stage", "core", "description", "caveat", show_lines=True)
    for row in catalog_table().itertuples():
        table.add_row(row.hs6, row.stage, "yes" if row.core else "no", row.description, row.caveat)
    out.print(table)


@app.command("country")
def country(
    values: list[str] = typer.Argument(..., help="Names or codes to look up."),  # noqa: B008
    scheme: str = typer.Option("name", help="comtrade, m49, iso3, iso2 or name."),
) -> None:
    """Map country names or codes to retrade's codes."""
    for value, code in zip(values, to_iso3(values, scheme=scheme), strict=True):  # type: ignore[arg-type]
        out.print(f"{value}\t{code}\t{country_name(code)}", markup=False, highlight=False)
