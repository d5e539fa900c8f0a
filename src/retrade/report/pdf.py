"""The report as a PDF, drawn with fpdf2 from the same layout as the HTML page.

fpdf2 is pure Python (with fontTools, Pillow and defusedxml): it installs from
PyPI on a fresh machine with no system library and no browser, unlike
WeasyPrint (Pango) or a headless Chrome. The PDF is drawn from
:func:`retrade.report.layout.layout`, so it prints the same findings,
sections, figures (the same PNG bytes) and formatted numbers as the HTML
page; long tables run over as many pages as they need, headings repeated.
The text font is DejaVu Sans, which matplotlib ships, so any character of
the report prints. The PDF's date is the first day of the report's quarter
(not the time of the run), so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

from retrade.report.layout import FigureView, Page, SectionView, TableView

FONT = "DejaVu"
ACCENT = (0, 114, 178)
MUTED = (95, 99, 104)
INK = (29, 29, 29)
_CODE = re.compile(r"`([^`]+)`")


def _font_files() -> dict[str, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf",
            "I": folder / "DejaVuSans-Oblique.ttf"}


def _plain(text: str) -> str:
    """Text for the PDF: back-ticked words lose their back-ticks."""
    return _CODE.sub(r"\1", text)


def quarter_start(quarter: str) -> datetime:
    """The first day of ``quarter`` (``2026Q4`` -> 1 October 2026), the PDF's date.

    Examples
    --------
    >>> quarter_start("2026Q4").date().isoformat()
    '2026-10-01'
    """
    return datetime(int(quarter[:4]), 3 * int(quarter[-1]) - 2, 1, tzinfo=UTC)


def _document(page: Page):
    from fpdf import FPDF

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7)
            self.set_text_color(*MUTED)
            self.cell(0, 5, f"{page.title}, {page.quarter}", align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"page {self.page_no()}", align="R")

    pdf = Document(orientation="portrait", unit="mm", format="A4")
    for style, path in _font_files().items():
        pdf.add_font(FONT, style, str(path))
    pdf.set_margins(16, 15, 16)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(f"{page.title} ({page.quarter})")
    pdf.set_author("retrade")
    pdf.set_creation_date(quarter_start(page.quarter))
    return pdf


def _text(pdf, text: str, size: float = 9.5, style: str = "", color=INK, gap: float = 1.5):
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.5, _plain(text), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(gap)


def _heading(pdf, text: str, level: int, outline: int) -> None:
    """A heading drawn at size ``level`` (0 largest) and put in the PDF outline at ``outline``."""
    size = {0: 18, 1: 14, 2: 11}[level]
    if pdf.will_page_break(size * 2.5):
        pdf.add_page()
    pdf.ln(2 if level == 2 else 4)
    if level < 2:
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.6 if level == 1 else 1.0)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)
    pdf.start_section(text, level=outline)
    _text(pdf, text, size, "B", gap=1)


def _figure(pdf, figure: FigureView) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(figure.png)) as image:
        width_px, height_px = image.size
    width = min(pdf.epw, width_px / 120 * 25.4)
    height = width * height_px / width_px
    if pdf.will_page_break(height + 14):
        pdf.add_page()
    _text(pdf, figure.caption, 9.5, "B", gap=0.5)
    pdf.image(io.BytesIO(figure.png), w=width, h=height)
    if figure.source:
        _text(pdf, "Source: " + figure.source, 7, "", MUTED, gap=3)


def _widths(pdf, table: TableView) -> tuple[float, ...]:
    """Column widths: each column as wide as its text, the widest ones narrowed to fit the page.

    Narrow columns (numbers, codes, years) keep their width; only columns wider
    than an equal share of what is left are narrowed (their text then wraps).
    """
    pdf.set_font(FONT, "B", 7)  # headers are drawn in bold, which is wider
    heads = [_width(pdf, _plain(h)) for h in table.headers]
    pdf.set_font(FONT, "", 7)
    sample = table.rows[:200]
    wanted = [min(max([heads[i], *(_width(pdf, str(row[i])) for row in sample)]) + 2 * PAD + 0.5,
                  90.0) for i in range(len(table.headers))]
    room = pdf.epw - 0.01
    fixed: dict[int, float] = {}
    while True:
        left = [i for i in range(len(wanted)) if i not in fixed]
        share = (room - sum(fixed.values())) / max(len(left), 1)
        fits = {i: wanted[i] for i in left if wanted[i] <= share}
        if not fits:
            break
        fixed |= fits
    out = [fixed.get(i, share) for i in range(len(wanted))]
    return tuple(out)


LINE = 3.4  # mm per line of table text
PAD = 1.0  # mm of padding left and right of a cell


def _width(pdf, text: str) -> float:
    """``pdf.get_string_width(text)`` in the current font, remembered per document.

    Tables repeat their values (codes, years, units) down thousands of rows;
    fpdf2 measures each string afresh at some cost, so each distinct string
    is measured once per font.
    """
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, text)
    cache = pdf.__dict__.setdefault("_retrade_widths", {})
    if key not in cache:
        cache[key] = pdf.get_string_width(text)
    return cache[key]


def _wrapped(pdf, text: str, width: float) -> list[str]:
    """``text`` broken into lines of at most ``width`` (fpdf2's ``multi_cell``), remembered."""
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, text, width)
    cache = pdf.__dict__.setdefault("_retrade_lines", {})
    if key not in cache:
        cache[key] = pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")
    return cache[key]


def _row_height(pdf, cells, widths) -> tuple[float, list[list[str]]]:
    """The height of a table row and each cell's lines (wrapped only where a cell overflows)."""
    lines = []
    pdf.c_margin = 0
    for text, width in zip(cells, widths, strict=True):
        if _width(pdf, text) <= width - 2 * PAD:
            lines.append([text])
        else:
            lines.append(_wrapped(pdf, text, width - 2 * PAD))
    return LINE * max(len(c) for c in lines) + 0.8, lines


def _draw_row(pdf, lines, widths, text_columns, height: float, bold: bool) -> None:
    """One table row: each line placed where ``cell`` would put it, drawn with ``text``.

    ``FPDF.text`` writes a string at a point, without the layout work ``cell``
    does for every call (a table of a thousand rows took seconds); the
    baseline is ``cell``'s (half the line height plus 0.3 of the font size
    below the top), numbers are right-aligned by their width, and the colour
    is the fill colour, which ``text`` draws with.
    """
    pdf.set_font(FONT, "B" if bold else "", 7)
    pdf.set_fill_color(*INK)
    x, y = pdf.l_margin, pdf.get_y()
    baseline = y + 0.4 + 0.5 * LINE + 0.3 * pdf.font_size
    for cell, width, text in zip(lines, widths, text_columns, strict=True):
        for i, line in enumerate(cell):
            if line:
                left = x + PAD if text else x + width - PAD - _width(pdf, line)
                pdf.text(left, baseline + i * LINE, line)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)
    pdf.set_draw_color(*((29, 29, 29) if bold else (225, 225, 225)))
    pdf.set_line_width(0.3 if bold else 0.15)
    pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(widths), y + height)


def _table(pdf, table: TableView) -> None:
    """A table over as many pages as it needs, its header repeated on each."""
    if pdf.will_page_break(20):
        pdf.add_page()
    _text(pdf, table.caption, 9, "B", gap=0.5)
    widths = _widths(pdf, table)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 7)
    header = _row_height(pdf, [_plain(h) for h in table.headers], widths)
    _draw_row(pdf, header[1], widths, table.text_columns, header[0], True)
    pdf.set_font(FONT, "", 7)
    for row in table.rows:
        height, lines = _row_height(pdf, [_plain(str(c)) for c in row], widths)
        if pdf.will_page_break(height):
            pdf.add_page()
            _draw_row(pdf, header[1], widths, table.text_columns, header[0], True)
            pdf.set_font(FONT, "", 7)
        _draw_row(pdf, lines, widths, table.text_columns, height, False)
    pdf.ln(1)
    if table.source:
        _text(pdf, "Source: " + table.source, 7, "", MUTED, gap=2)
    pdf.ln(2)


def _section(pdf, section: SectionView, outline: int) -> None:
    _heading(pdf, section.title + (f" ({section.label})" if section.label else ""), 1, outline)
    if section.lead:
        _text(pdf, section.lead, 9.5, "I", MUTED)
    if section.message:
        _text(pdf, section.message, 8.5, "I", (107, 82, 0))
    for paragraph in section.paragraphs:
        _text(pdf, paragraph)
    for figure in section.figures:
        _figure(pdf, figure)
    for table in section.tables:
        _table(pdf, table)


def _front(pdf, page: Page) -> None:
    _text(pdf, f"QUARTERLY REPORT  {page.quarter}", 8, "B", ACCENT, gap=0.5)
    _text(pdf, page.title, 18, "B", gap=1)
    if page.summary:
        _text(pdf, page.summary, 10)
    if page.findings:
        _heading(pdf, "Key findings", 1, 0)
        for f in page.findings:
            if pdf.will_page_break(24):
                pdf.add_page()
            _text(pdf, f"{f.label.upper()}   {f.number}", 10.5, "B", ACCENT, gap=0.3)
            _text(pdf, f.sentence, 9.5, gap=0.3)
            if f.change:
                _text(pdf, f.change, 8, "B", gap=0.3)
            if f.source:
                _text(pdf, "Source: " + f.source, 7, "", MUTED, gap=2.5)
    if page.figure:
        _figure(pdf, page.figure)
    if page.recency:
        _table(pdf, page.recency)
    if page.added:
        _heading(pdf, "What this quarter added", 2, 0)
        for line in page.added:
            _text(pdf, "- " + line, 9, gap=0.8)


def to_pdf(page: Page) -> bytes:
    """The report (its :func:`~retrade.report.layout.layout`) as PDF bytes."""
    pdf = _document(page)
    pdf.add_page()
    _front(pdf, page)
    for section in page.body:
        _section(pdf, section, 0)
    if page.appendix:
        pdf.add_page()
        _heading(pdf, "Appendix", 0, 0)
        for section in page.appendix:
            _section(pdf, section, 1)
    return bytes(pdf.output())
