"""The format registry: which importer reads a file, decided by its content."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from retrade import choices
from retrade.errors import ImportFormatError, check_choice

if TYPE_CHECKING:
    from retrade.fetch.files.imported import ImportedTable

_MODULES: dict[str, str] = {
    "wits": "wits",
    "comtrade": "comtrade_file",
    "china_customs": "china_customs",
    "monthly_table": "monthly_table",
    "usgs_mcs": "usgs_mcs",
    "comext": "comext",
    "baci_summary": "baci_summary",
    "atlas_supply": "atlas_supply",
    "census": "census_file",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)
# the flows a China customs download or a monthly table can be declared as (--flow)
DECLARED_FLOWS: tuple[str, ...] = choices.values(choices.DeclaredFlow)


def format_module(name: str) -> ModuleType:
    """The module that implements format ``name``."""
    check_choice("format", name, FORMATS)
    return importlib.import_module(f"retrade.fetch.files.{_MODULES[name]}")


def detect_format(path: str | Path) -> str:
    """The one format whose sniffer recognizes ``path``.

    Raises
    ------
    ImportFormatError
        When no format, or more than one, recognizes the file; the message
        shows the file's first line and the formats known.
    """
    from retrade.fetch.files.base import first_line

    path = Path(path)
    _check_file(path)
    matches = [name for name in FORMATS if format_module(name).sniff(path)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ImportFormatError(
            f"{path.name} looks like more than one format {matches}; choose one with --format"
        )
    raise ImportFormatError(
        f"retrade does not recognize {path.name}: it is none of the formats {list(FORMATS)}. "
        f"It begins: {first_line(path)!r}.{_hint(path)} If you know its format, pass --format; "
        "see docs/import.md for the layouts each format reads"
    )


# what some files that are not data look like, to say so when refusing them
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r'"method"\s*:.*"status_code"', re.S),
        "an HTTP recording's metadata (method, URL, headers)",
    ),
    (re.compile(r'^\s*\{\s*"(more|results)"'), "a reference or code list (a 'results' list)"),
    (
        re.compile(
            r'^"?(贸易伙伴编码|商品编码|贸易方式编码|收发货人注册地编码'
            r'|CODES|Customs Regime code)"?,'
        ),
        "a China customs code list",
    ),
)


def _hint(path: Path) -> str:
    from retrade.fetch.files.base import head_text

    head = head_text(path)
    for pattern, what in _HINTS:
        if pattern.search(head):
            return f" It looks like {what}, not trade data."
    return ""


def read_file(path: str | Path, *, format: str | None = None, **options: Any) -> ImportedTable:
    """Read and check a whole file without storing it.

    Parameters
    ----------
    path : path
        The downloaded file.
    format : str, optional
        One of :data:`FORMATS`; detected from the content when omitted.
    **options
        Options of that format's reader (for example ``flow="export"`` for
        ``china_customs``).
    """
    path = Path(path)
    _check_file(path)
    name = format or detect_format(path)
    return format_module(name).read(path, **options)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ImportFormatError(f"there is no file at {path}")
    if path.stat().st_size == 0:
        raise ImportFormatError(f"{path.name} is empty")
