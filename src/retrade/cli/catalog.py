"""``retrade catalog``: rare-earth HS codes by stage, China's HS8 lines by element, and
country codes."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from retrade.catalog import catalog_table, country_name, to_iso3

app = typer.Typer(
    help="Rare-earth HS codes by value-chain stage, HS8 lines by element, and country codes.",
    no_args_is_help=True,
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


@app.command("elements")
def elements(
    element: str = typer.Option(
        None, "--element", "-e",
        help="Only the lines that can hold this element (a symbol such as Dy, or its name)."),
    year: int = typer.Option(None, "--year", help="Only the lines valid in this year."),
) -> None:
    """China's HS8 rare-earth lines: element, form, and the 2025 controls that cover them.

    Mixture and residual ("other") lines show no single element: they hold several.
    """
    from retrade.catalog.elements import select_lines

    lines = select_lines(element=element, year=year)
    table = Table("code", "years", "form", "element(s)", "April 2025", "October 2025",
                  "description")
    for column in table.columns[:3]:
        column.no_wrap = True
    held = lines["elements"].str.split().str.len()
    shown = lines["element"].where(lines["scope"] == "element",
                                   lines["scope"] + " (" + held.astype(str) + " elements)")
    for row, who in zip(lines.itertuples(), shown, strict=True):
        table.add_row(row.code, f"{row.first_year}-{row.last_year}", row.form, who,
                      row.april_2025, row.october_2025, row.description)
    out.print(table)
    out.print("Source: GACC HS8 code lists 2015-2023; controls: MOFCOM/GAC Announcement 2025 "
              "No. 18 (April) and No. 57 (October, suspended 7 Nov 2025 by No. 70).",
              markup=False, highlight=False)
