"""How the CLI reports a failure: one line on stderr, printed literally, never wrapped.

Every error the ``retrade`` command prints goes through :func:`print_error`:
the text is redacted (no API key can show), folded onto one line, and written
as it is. It is never read as rich markup, so ``-r '[red]Chnia'`` shows as
``'[red]Chnia'`` and ``-r '[/]'`` cannot crash the printer; and it is not
hard-wrapped at the terminal width, so a long URL or path stays whole (the
terminal may still soft-wrap it for display).
"""

from __future__ import annotations

import typer

from retrade.config import redact


def one_line(text: str) -> str:
    """``text`` on one line: each line stripped, joined by single spaces.

    Examples
    --------
    >>> one_line("panel failed validation in 2 place(s):\\n  column  check\\n  year  in_range")
    'panel failed validation in 2 place(s): column  check year  in_range'
    """
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def print_error(error: BaseException | str, *, hint: str = "") -> None:
    """Write ``error: <message>`` on one line to stderr (red on a terminal, plain otherwise)."""
    text = one_line(redact(str(error)))
    if hint:
        text = f"{text} ({hint})"
    typer.echo(f"{typer.style('error:', fg='red', bold=True)} {text}", err=True)


def print_note(text: str) -> None:
    """Write one literal line of commentary to stderr (a note beside the output)."""
    typer.echo(one_line(redact(text)), err=True)
