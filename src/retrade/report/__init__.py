"""Present computed results: sections with text, tables and figures, rendered to HTML and Markdown.

The report package never computes an estimate; :mod:`retrade.pipeline` does and
hands the results over as :class:`Section` objects.
"""

from retrade.report.content import Report, ReportFigure, ReportTable, Section
from retrade.report.render import to_html, to_markdown
from retrade.report.write import package_versions, write_report

__all__ = [
    "Report",
    "ReportFigure",
    "ReportTable",
    "Section",
    "package_versions",
    "to_html",
    "to_markdown",
    "write_report",
]
