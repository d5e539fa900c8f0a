"""Render a :class:`~retrade.report.content.Report` as Markdown and as one self-contained HTML page.

Both go through :func:`retrade.report.layout.layout`, so they print the same
front page, sections, appendix and formatted numbers. The HTML page is a
jinja2 template (``templates/report.html.j2``) with its style sheet inline,
tables rendered by pandas' Styler, and every figure embedded as a PNG data
URI: the page travels alone, with no link to load. Long tables are folded
(``<details>``) and open in full. The Markdown (for version control) links
the figures as ``figures/<name>.png`` and prints every row.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from retrade.report.content import Report
from retrade.report.figures import png
from retrade.report.layout import STATUS_LABEL, Page, SectionView, TableView, layout

__all__ = ["STATUS_LABEL", "format_number", "render_images", "to_html", "to_markdown"]


def format_number(value: object) -> str:
    """Fixed formatting for a number in text: thousands separators, never an exponent.

    Examples
    --------
    >>> format_number(0.123456), format_number(1234567.8), format_number(float("nan"))
    ('0.123', '1,234,568', '')
    """
    from retrade.report.format import format_value

    if isinstance(value, float | np.floating) and np.isnan(value) or value is pd.NA:
        return ""
    return format_value(value, "number")


def render_images(report: Report) -> dict[str, bytes]:
    """Every figure of ``report`` rendered once to PNG bytes, by name."""
    return {f.name: png(f.figure) for f in report.figures}


# ---------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: TableView) -> str:
    header = "| " + " | ".join(_md_cell(h) for h in table.headers) + " |"
    rule = "|" + "|".join("---" if t else "---:" for t in table.text_columns) + "|"
    body = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    source = f"\n\n*Source: {table.source}*" if table.source else ""
    return (f"**{table.caption}** (`tables/{table.name}.csv`)\n\n"
            + "\n".join([header, rule, *body]) + source)


def _md_section(section: SectionView, level: str = "##") -> str:
    label = section.label
    parts = [f"{level} {section.title}" + (f" ({label})" if label else "")]
    if section.lead:
        parts.append(f"*{section.lead}*")
    if section.message:
        parts.append(f"> {section.message}")
    parts.extend(section.paragraphs)
    for figure in section.figures:
        parts.append(f"**{figure.caption}**\n\n![{figure.caption}](figures/{figure.name}.png)"
                     + (f"\n\n*Source: {figure.source}*" if figure.source else ""))
    parts.extend(_md_table(t) for t in section.tables)
    return "\n\n".join(parts)


def _md_front(page: Page) -> list[str]:
    out = []
    if page.summary:
        out.append(page.summary)
    if page.findings:
        out.append("## Key findings")
        out.append("\n".join(f"- **{f.number}**: {f.sentence}"
                             + (f" *{f.change}*" if f.change else "") for f in page.findings))
    if page.figure:
        out.append(f"**{page.figure.caption}**\n\n![{page.figure.caption}]"
                   f"(figures/{page.figure.name}.png)"
                   + (f"\n\n*Source: {page.figure.source}*" if page.figure.source else ""))
    if page.recency:
        out.append(_md_table(page.recency))
    if page.added:
        out.append("### What this quarter added\n\n" + "\n".join(f"- {a}" for a in page.added))
    return out


def to_markdown(report: Report, images: Mapping[str, bytes] | None = None) -> str:
    """The report as Markdown (figures linked as ``figures/<name>.png``)."""
    page = layout(report, images if images is not None else _names_only(report))
    parts = [f"# {page.title}", f"Quarter: **{page.quarter}**", *_md_front(page)]
    parts.append("## Contents\n\n" + "\n".join(
        f"- [{s.title}](#{s.key})" + (f" ({s.label})" if s.label else "")
        for s in (*page.body, *page.appendix)))
    parts.extend(_md_section(s) for s in page.body)
    if page.appendix:
        parts.append("# Appendix")
        parts.extend(_md_section(s) for s in page.appendix)
    return "\n\n".join(parts).rstrip() + "\n"


def _names_only(report: Report) -> dict[str, bytes]:
    """Markdown only links figures: it needs their names, not their pixels."""
    return {f.name: b"" for f in report.figures}


# ---------------------------------------------------------------- HTML

_CODE = re.compile(r"`([^`]+)`")


def inline(text: str) -> str:
    """Escape ``text`` for HTML and show its `back-ticked` words as code.

    Examples
    --------
    >>> inline("run `retrade run` & see")
    'run <code>retrade run</code> &amp; see'
    """
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


def table_html(table: TableView) -> str:
    """One table as HTML (pandas Styler; text columns left, numbers right)."""
    frame = pd.DataFrame(list(table.rows), columns=range(len(table.headers)), dtype=object)
    styles = [{"selector": f"th.col{i}, td.col{i}",
               "props": [("text-align", "left" if text else "right")]}
              for i, text in enumerate(table.text_columns)]
    styler = (frame.style.hide(axis="index")
              .relabel_index([html.escape(h) for h in table.headers], axis="columns")
              .format(escape="html")
              .set_table_attributes('class="data"')
              .set_table_styles(styles))
    styler.set_uuid(table.name)
    return styler.to_html(exclude_styles=False, doctype_html=False)


def data_uri(data: bytes) -> str:
    """PNG bytes as a ``data:`` URI (the figure travels inside the page)."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@functools.cache
def _template():
    import jinja2
    import markupsafe

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("retrade.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(inline=lambda t: markupsafe.Markup(inline(t)),
                       table=lambda t: markupsafe.Markup(table_html(t)), data_uri=data_uri)
    return env.get_template("report.html.j2")


def to_html(report: Report, images: Mapping[str, bytes] | None = None) -> str:
    """The report as one self-contained HTML page (figures embedded, style sheet inline)."""
    page = layout(report, images if images is not None else render_images(report))
    return _template().render(page=page)
