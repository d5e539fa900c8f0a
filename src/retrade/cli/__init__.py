"""The ``retrade`` command: a thin Typer layer over the library and :mod:`retrade.pipeline`.

Sub-commands live one module per area (``cli/fetch.py``, ``cli/imports.py`` ...)
and are registered here. The CLI, not the library, configures logging.

Errors: whatever a sub-command raises ends as one line on stderr
(:func:`retrade.cli.output.print_error`), never a traceback, unless ``-v``
is given:

* a :class:`~retrade.errors.RetradeError` (bad input, a refused file, a
  damaged store ...) and a bad option value: exit status 2;
* anything else (a bug, an ``OSError`` nobody expected): exit status 1, with
  the exception's type in the line and the traceback after it with ``-v``.
"""

from __future__ import annotations

import logging
import sys
import traceback
import warnings

import typer
from rich.console import Console
from rich.logging import RichHandler
from typer.core import TyperGroup

from retrade.cli.output import print_error, print_note
from retrade.config import redact
from retrade.errors import RetradeError, RetradeWarning

# exit statuses (also in the README)
BAD_INPUT = 2
UNEXPECTED = 1


class RetradeGroup(TyperGroup):
    """The root command group: turns every failure of a sub-command into one line and a status."""

    def parse_args(self, ctx, args):
        ctx.meta["retrade.argv"] = list(args)  # to name the value of a bad option
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if _passes_through(exc):
                raise
            ctx.exit(_report(exc, ctx))


def _passes_through(exc: Exception) -> bool:
    """Exits, aborts and "no arguments: show the help" keep their own handling."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return isinstance(exc, (typer.Exit, typer.Abort)) or bool(
        names & {"Exit", "Abort", "NoArgsIsHelpError"}
    )


def _report(exc: Exception, ctx) -> int:
    """Print the one line for ``exc``; the exit status."""
    if _is_usage_error(exc):  # a bad option value, an unknown command ...
        where = getattr(exc, "ctx", None) or ctx
        text = exc.format_message()  # type: ignore[attr-defined]
        given = _given(exc, ctx.meta.get("retrade.argv", []))
        if given and repr(given) not in text and given not in text:
            text = f"{text.rstrip('.')}; got {given!r}"
        print_error(text, hint=f"see: {where.command_path} --help")
        return int(getattr(exc, "exit_code", BAD_INPUT))
    _traceback_if_verbose(ctx)
    if isinstance(exc, RetradeError):
        print_error(exc)
        return BAD_INPUT
    again = "" if _verbose(ctx) else "; run with -v for the traceback"
    print_error(f"{type(exc).__name__}: {exc} (unexpected{again})")  # the last resort
    return UNEXPECTED


def _given(exc: Exception, argv: list[str]) -> str | None:
    """The value the user gave the option a usage error is about (the last one), if any."""
    opts = getattr(getattr(exc, "param", None), "opts", None) or []
    found = None
    for i, token in enumerate(argv):
        for opt in opts:
            if token == opt and i + 1 < len(argv):
                found = argv[i + 1]
            elif opt.startswith("--") and token.startswith(f"{opt}="):
                found = token.split("=", 1)[1]
    return found


def _is_usage_error(exc: Exception) -> bool:
    """Click's (or Typer's own copy of Click's) parameter and usage errors."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return "ClickException" in names and hasattr(exc, "format_message")


def _verbose(ctx) -> bool:
    return bool(ctx.find_root().params.get("verbose"))


def _traceback_if_verbose(ctx) -> None:
    if _verbose(ctx):
        typer.echo(redact(traceback.format_exc()).rstrip(), err=True)


app = typer.Typer(
    name="retrade",
    cls=RetradeGroup,
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
        0, "--verbose", "-v", count=True, help="More log output (-vv for debug); tracebacks."
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
    if not verbose:  # with -v, Python's own display (file and line) stays
        warnings.showwarning = show_warning


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one literal line on stderr: ``note: ...`` for retrade's own warnings."""
    label = "note" if issubclass(category, RetradeWarning) else f"warning ({category.__name__})"
    print_note(f"{label}: {message}")


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
    """Entry point of the ``retrade`` script (errors are handled by :class:`RetradeGroup`)."""
    try:
        app()
    except RetradeError as exc:  # raised before any sub-command ran
        print_error(exc)
        sys.exit(BAD_INPUT)
