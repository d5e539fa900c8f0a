"""The report as a reader meets it, shared by the HTML, PDF and Markdown renderers.

:func:`layout` orders a :class:`~retrade.report.content.Report` into what is
printed: the front page, the body sections, then the appendix (the appendix
sections, and each body section's appendix tables and figures under
"<title>: details"). Every table cell is already text in its column's format
(:mod:`retrade.report.format`), so the three outputs show the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from retrade.report.content import Finding, Report, ReportFigure, ReportTable, Section
from retrade.report.format import column_formats, column_label, format_frame, format_value, is_text

STATUS_LABEL = {"ok": "", "failed": "FAILED", "needs_data": "needs data", "skipped": "skipped"}
COLLAPSE_ROWS = 12  # a longer table is folded (HTML) with its row count in the summary


@dataclass(frozen=True)
class TableView:
    """A table ready to print: headers, cells as text, which columns are text (left-aligned)."""

    name: str
    caption: str
    source: str
    headers: tuple[str, ...]
    text_columns: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def collapsed(self) -> bool:
        return len(self.rows) > COLLAPSE_ROWS


@dataclass(frozen=True)
class FigureView:
    """A figure ready to print: its title, source line and PNG bytes."""

    name: str
    caption: str
    source: str
    png: bytes


@dataclass(frozen=True)
class SectionView:
    """A section as printed (body and appendix parts of one section are separate views)."""

    key: str
    title: str
    status: str
    message: str
    lead: str
    paragraphs: tuple[str, ...]
    figures: tuple[FigureView, ...]
    tables: tuple[TableView, ...]

    @property
    def label(self) -> str:
        return STATUS_LABEL[self.status]


@dataclass(frozen=True)
class FindingView:
    """A key finding as printed: the number, the sentence, the change since the last report."""

    key: str
    label: str
    number: str
    sentence: str
    change: str
    source: str


@dataclass(frozen=True)
class Page:
    """Everything that is printed, in order."""

    title: str
    quarter: str
    summary: str
    findings: tuple[FindingView, ...]
    figure: FigureView | None
    recency: TableView | None
    added: tuple[str, ...]
    body: tuple[SectionView, ...]
    appendix: tuple[SectionView, ...]


def table_view(table: ReportTable) -> TableView:
    """Headers and text cells of ``table`` in its columns' formats."""
    formats = column_formats(table.frame, table.formats)
    cells = format_frame(table.frame, formats)
    return TableView(
        table.name, table.caption or table.name.replace("_", " "), table.source,
        tuple(column_label(c, formats[c], table.labels) for c in table.frame.columns),
        tuple(is_text(formats[c]) for c in table.frame.columns),
        tuple(tuple(row) for row in cells.itertuples(index=False, name=None)))


def figure_view(figure: ReportFigure, images: Mapping[str, bytes]) -> FigureView:
    return FigureView(figure.name, figure.caption or figure.name.replace("_", " "),
                      figure.source, images[figure.name])


def paragraphs(text: str) -> tuple[str, ...]:
    """Blank-line separated paragraphs of ``text``, stripped."""
    return tuple(p.strip() for p in text.strip().split("\n\n") if p.strip())


def finding_view(finding: Finding) -> FindingView:
    number = format_value(finding.value, finding.unit)
    return FindingView(finding.key, finding.label, number, finding.sentence,
                       finding.change_text, finding.source)


def _section_views(section: Section, images: Mapping[str, bytes]) -> tuple[SectionView, ...]:
    """The body view of ``section`` and, if it has any, the view of its appendix parts."""
    main = SectionView(
        section.key, section.title, section.status, section.message, section.lead,
        paragraphs(section.text),
        tuple(figure_view(f, images) for f in section.figures if not f.appendix),
        tuple(table_view(t) for t in section.tables if not t.appendix))
    tables = tuple(table_view(t) for t in section.tables if t.appendix)
    figures = tuple(figure_view(f, images) for f in section.figures if f.appendix)
    notes = paragraphs(section.notes)
    if section.appendix:
        from dataclasses import replace

        return (replace(main, paragraphs=main.paragraphs + notes, figures=main.figures + figures,
                        tables=main.tables + tables),)
    if not (tables or figures or notes):
        return (main,)
    detail = SectionView(f"{section.key}-details", f"{section.title}: details", "ok", "", "",
                         notes, figures, tables)
    return main, detail


def layout(report: Report, images: Mapping[str, bytes]) -> Page:
    """What is printed, in order; ``images`` maps each figure's name to its PNG bytes."""
    body: list[SectionView] = []
    appendix: list[SectionView] = []
    for section in report.sections:
        views = _section_views(section, images)
        (appendix if section.appendix else body).append(views[0])
        appendix.extend(views[1:])
    front = report.front
    return Page(
        report.title, report.quarter, front.summary if front else "",
        tuple(finding_view(f) for f in front.findings) if front else (),
        figure_view(front.figure, images) if front and front.figure else None,
        table_view(front.recency) if front and front.recency else None,
        front.added if front else (), tuple(body), tuple(appendix))
