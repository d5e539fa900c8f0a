"""What a report is made of: sections holding text, tables and figures, plus run metadata.

The report package only *presents* results computed elsewhere (the pipeline
chains the stages); these frozen dataclasses are the hand-over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

SectionStatus = Literal["ok", "failed", "needs_data", "skipped"]
SECTION_STATUSES: tuple[str, ...] = ("ok", "failed", "needs_data", "skipped")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def _check_slug(kind: str, name: str) -> None:
    if not _SLUG.match(name):
        raise ValueError(
            f"{kind} name must be lower-case letters, digits, '-' or '_', got {name!r}"
        )


@dataclass(frozen=True)
class ReportTable:
    """A table shown in the report and written as ``tables/<name>.csv``."""

    name: str
    frame: pd.DataFrame
    caption: str = ""

    def __post_init__(self) -> None:
        _check_slug("table", self.name)


@dataclass(frozen=True)
class ReportFigure:
    """A matplotlib figure shown in the report and written as ``figures/<name>.png``."""

    name: str
    figure: Any
    caption: str = ""

    def __post_init__(self) -> None:
        _check_slug("figure", self.name)


@dataclass(frozen=True)
class Section:
    """One section of the report.

    ``status`` says whether it was computed (``ok``), failed (``failed``, with
    the error in ``message``), lacks data (``needs_data``, with what to fetch or
    import in ``message``) or was not asked for (``skipped``).
    """

    key: str
    title: str
    text: str = ""
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[ReportFigure, ...] = ()
    status: SectionStatus = "ok"
    message: str = ""

    def __post_init__(self) -> None:
        _check_slug("section", self.key)
        if self.status not in SECTION_STATUSES:
            raise ValueError(f"status must be one of {SECTION_STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class Report:
    """A whole quarterly report: title, quarter, sections and the run's manifest data."""

    quarter: str
    title: str
    sections: tuple[Section, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}Q[1-4]", self.quarter):
            raise ValueError(f"quarter must look like 2026Q4, got {self.quarter!r}")
        keys = [s.key for s in self.sections]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"duplicate section keys {duplicated}")
        names = [t.name for s in self.sections for t in s.tables] + [
            f.name for s in self.sections for f in s.figures
        ]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ValueError(f"table/figure names must be unique across the report: {clashes}")

    @property
    def failed(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.status == "failed")

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r}; sections: {[s.key for s in self.sections]}")
