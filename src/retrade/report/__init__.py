"""Present computed results: a front page and sections, rendered to HTML, PDF and Markdown.

The report package never computes an estimate; :mod:`retrade.pipeline` does and
hands the results over as :class:`Section` objects.
"""

from retrade.report.content import Finding, FrontPage, Report, ReportFigure, ReportTable, Section
from retrade.report.figures import report_style
from retrade.report.render import to_html, to_markdown
from retrade.report.write import package_versions, write_report

__all__ = [
    "Finding",
    "FrontPage",
    "Report",
    "ReportFigure",
    "ReportTable",
    "Section",
    "package_versions",
    "report_style",
    "to_html",
    "to_markdown",
    "write_report",
]
