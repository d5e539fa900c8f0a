"""Render a :class:`~retrade.report.content.Report` as Markdown and as a self-contained HTML page.

Figures are referenced as ``figures/<name>.png`` and tables are shown inline
(and linked as ``tables/<name>.csv``); the writer puts those files next to the
page. Numbers are formatted with a fixed number of significant digits so that
the same results always render to the same text.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from retrade.report.content import Report, ReportTable, Section

STATUS_LABEL = {
    "ok": "",
    "failed": "FAILED",
    "needs_data": "needs data",
    "skipped": "skipped",
}
MAX_ROWS = 40


def format_number(value: object) -> str:
    """Fixed formatting for report cells: 4 significant digits, thousands separators.

    Examples
    --------
    >>> format_number(0.123456), format_number(1234567.8), format_number(float("nan"))
    ('0.1235', '1,234,568', '')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if (value.hour, value.minute) == (0, 0) else str(value)
    return str(value)


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.head(MAX_ROWS)
    return shown.apply(lambda col: col.map(format_number)).astype(str)


def _table_markdown(table: ReportTable) -> str:
    frame = _formatted(table.frame)
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(row) + " |" for row in frame.itertuples(index=False, name=None)]
    more = (
        f"\n\n*{len(table.frame) - MAX_ROWS} more rows in `tables/{table.name}.csv`.*"
        if len(table.frame) > MAX_ROWS
        else ""
    )
    caption = f"**{table.caption}** " if table.caption else ""
    return f"{caption}(`tables/{table.name}.csv`)\n\n" + "\n".join([header, rule, *body]) + more


def _section_markdown(section: Section) -> str:
    label = STATUS_LABEL[section.status]
    parts = [f"## {section.title}" + (f" ({label})" if label else "")]
    if section.message:
        parts.append(f"> {section.message}")
    if section.text:
        parts.append(section.text.strip())
    for figure in section.figures:
        parts.append(f"![{figure.caption or figure.name}](figures/{figure.name}.png)")
        if figure.caption:
            parts.append(f"*{figure.caption}*")
    parts.extend(_table_markdown(t) for t in section.tables)
    return "\n\n".join(parts)


def to_markdown(report: Report) -> str:
    """The report as Markdown."""
    lines = [f"# {report.title}", "", f"Quarter: **{report.quarter}**", ""]
    lines.append(_contents(report, markdown=True))
    lines.extend(_section_markdown(s) + "\n" for s in report.sections)
    return "\n".join(lines).rstrip() + "\n"


def _contents(report: Report, *, markdown: bool) -> str:
    rows = []
    for s in report.sections:
        label = STATUS_LABEL[s.status]
        suffix = f" ({label})" if label else ""
        rows.append(f"- [{s.title}](#{s.key}){suffix}" if markdown else
                    f'<li><a href="#{s.key}">{html.escape(s.title)}</a>{html.escape(suffix)}</li>')
    return "\n".join(rows) + "\n" if markdown else "<ul>" + "".join(rows) + "</ul>"


def _table_html(table: ReportTable) -> str:
    frame = _formatted(table.frame)
    body = frame.to_html(index=False, escape=True, border=0, classes="data")
    caption = f"<p><strong>{html.escape(table.caption)}</strong> " if table.caption else "<p>"
    link = f'<a href="tables/{html.escape(table.name)}.csv">CSV</a></p>'
    more = (
        f"<p><em>{len(table.frame) - MAX_ROWS} more rows in the CSV.</em></p>"
        if len(table.frame) > MAX_ROWS
        else ""
    )
    return caption + link + body + more


def _section_html(section: Section) -> str:
    label = STATUS_LABEL[section.status]
    badge = f' <span class="status {section.status}">{label}</span>' if label else ""
    title = html.escape(section.title) + badge
    parts = [f'<section id="{section.key}"><h2>{title}</h2>']
    if section.message:
        parts.append(f'<p class="message">{html.escape(section.message)}</p>')
    if section.text:
        paragraphs = [p.strip() for p in section.text.strip().split("\n\n") if p.strip()]
        parts.extend(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    for figure in section.figures:
        alt = html.escape(figure.caption or figure.name)
        parts.append(f'<figure><img src="figures/{figure.name}.png" alt="{alt}">'
                     f"<figcaption>{alt}</figcaption></figure>")
    parts.extend(_table_html(t) for t in section.tables)
    parts.append("</section>")
    return "\n".join(parts)


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table.data{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}
table.data td,table.data th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:right}
figure img{max-width:100%} .status{font-size:.8rem;padding:.1rem .4rem;border-radius:.3rem}
.failed{background:#fdd} .needs_data{background:#ffd} .skipped{background:#eee}
.message{border-left:3px solid #bbb;padding-left:.7rem;color:#555}
"""


def to_html(report: Report) -> str:
    """The report as one HTML page (figures and CSVs are linked relative to it)."""
    head = (
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>"
    )
    intro = f"<h1>{html.escape(report.title)}</h1><p>Quarter: <strong>{report.quarter}</strong></p>"
    sections = "\n".join(_section_html(s) for s in report.sections)
    return head + intro + _contents(report, markdown=False) + sections + "</body></html>\n"
