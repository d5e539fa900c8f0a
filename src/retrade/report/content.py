"""What a report is made of: sections holding text, tables and figures, plus run metadata.

The report package only *presents* results computed elsewhere (the pipeline
chains the stages); these frozen dataclasses are the hand-over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from retrade import choices
from retrade.errors import check_choice
from retrade.report.format import check_format

SectionStatus = choices.SectionStatus
SECTION_STATUSES: tuple[str, ...] = choices.values(SectionStatus)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def _check_slug(kind: str, name: str) -> None:
    if not _SLUG.match(name):
        raise ValueError(
            f"{kind} name must be lower-case letters, digits, '-' or '_', got {name!r}"
        )


@dataclass(frozen=True)
class ReportTable:
    """A table shown in the report and written as ``tables/<name>.csv``.

    ``caption`` is its plain-language title; ``source`` the line printed under
    it (where the numbers come from); ``formats`` maps columns to a format of
    :mod:`retrade.report.format` (the others are inferred) and ``labels``
    columns to the headers shown. ``appendix`` moves it to the report's
    appendix. The CSV keeps the frame's own column names and full precision.
    """

    name: str
    frame: pd.DataFrame
    caption: str = ""
    source: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    appendix: bool = False

    def __post_init__(self) -> None:
        _check_slug("table", self.name)
        for spec in self.formats.values():
            check_format(spec)


@dataclass(frozen=True)
class ReportFigure:
    """A matplotlib figure shown in the report and written as ``figures/<name>.png``.

    ``caption`` is its plain-language title (with units), ``source`` the line
    printed under it; ``appendix`` moves it to the report's appendix.
    """

    name: str
    figure: Any
    caption: str = ""
    source: str = ""
    appendix: bool = False

    def __post_init__(self) -> None:
        _check_slug("figure", self.name)


@dataclass(frozen=True)
class Section:
    """One section of the report.

    ``status`` says whether it was computed (``ok``), failed (``failed``, with
    the error in ``message``), lacks data (``needs_data``, with what to fetch or
    import in ``message``) or was not asked for (``skipped``). ``lead`` is the
    one sentence under the title saying what the section answers; ``notes``
    (caveats, data checks) are printed in the appendix; an ``appendix``
    section is printed after the body.
    """

    key: str
    title: str
    text: str = ""
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[ReportFigure, ...] = ()
    status: SectionStatus = "ok"
    message: str = ""
    lead: str = ""
    appendix: bool = False
    notes: str = ""

    def __post_init__(self) -> None:
        _check_slug("section", self.key)
        check_choice("status", self.status, SectionStatus)


@dataclass(frozen=True)
class Finding:
    """One headline number of the front page, with the sentence a reader can quote.

    ``value`` (with ``low`` and ``high`` when it has an interval) is the number
    as the analysis computed it, ``period`` what it refers to, ``unit`` its
    format (:mod:`retrade.report.format`), ``change`` the move since the
    previous report (``None`` when there is nothing to compare) and
    ``change_text`` that move in words.
    """

    key: str
    label: str
    sentence: str
    value: float
    unit: str = "number"
    period: str = ""
    low: float | None = None
    high: float | None = None
    change: float | None = None
    change_text: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        _check_slug("finding", self.key)
        check_format(self.unit)


@dataclass(frozen=True)
class FrontPage:
    """What a reader sees first: key findings, one chart, how recent the data are, what is new.

    ``recency`` is a table of the last period per source; ``added`` says what
    this quarter brought (sentences); ``summary`` is the line under the title.
    """

    findings: tuple[Finding, ...] = ()
    figure: ReportFigure | None = None
    recency: ReportTable | None = None
    added: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class Report:
    """A whole quarterly report: title, quarter, front page, sections and the run's manifest data.

    Sections are printed in order, the ``appendix`` ones after the others
    (with the appendix tables and figures of every section).
    """

    quarter: str
    title: str
    sections: tuple[Section, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    front: FrontPage | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}Q[1-4]", self.quarter):
            raise ValueError(f"quarter must look like 2026Q4, got {self.quarter!r}")
        keys = [s.key for s in self.sections]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"duplicate section keys {duplicated}")
        names = [t.name for t in self.tables] + [f.name for f in self.figures]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ValueError(f"table/figure names must be unique across the report: {clashes}")

    @property
    def tables(self) -> tuple[ReportTable, ...]:
        """Every table: the front page's, then each section's."""
        front = self.front
        own = (front.recency,) if front is not None and front.recency is not None else ()
        return own + tuple(t for s in self.sections for t in s.tables)

    @property
    def figures(self) -> tuple[ReportFigure, ...]:
        """Every figure: the front page's, then each section's."""
        front = self.front
        own = (front.figure,) if front is not None and front.figure is not None else ()
        return own + tuple(f for s in self.sections for f in s.figures)

    @property
    def failed(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.status == "failed")

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r}; sections: {[s.key for s in self.sections]}")
