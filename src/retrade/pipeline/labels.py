"""Words the report uses for codes: importers, HS lines, series, sources, and the source lines.

Source lines cite the original publishers (WITS, BACI, USGS Mineral
Commodity Summaries editions, the Comtrade and Census APIs), never a file the
reader does not have.
"""

from __future__ import annotations

import re

IMPORTER = {"USA": "the US", "JPN": "Japan", "EU27": "the EU", "KOR": "Korea", "CHN": "China"}
# "China's share of {POSSESSIVE} imports"
POSSESSIVE = {"USA": "US", "JPN": "Japan's", "EU27": "EU", "KOR": "Korea's", "CHN": "China's"}
STAGE = {"253090": "ores", "261220": "ores", "284610": "cerium compounds",
         "284690": "compounds", "280530": "metals", "850511": "permanent magnets"}
SERIES = {
    "china_share_usa_284690": "China's share of US imports of rare-earth compounds",
    "china_share_jpn_284690": "China's share of Japan's imports of rare-earth compounds",
    "china_share_usa_280530": "China's share of US imports of rare-earth metals",
    "china_share_jpn_280530": "China's share of Japan's imports of rare-earth metals",
    "china_re_exports_value": "China's monthly rare-earth exports",
    "nonchina_mine_share": "the non-China share of world mine output",
}
WITS_SOURCE = "China's exports by partner as reported to UN Comtrade, via WITS (World Bank)."
BACI_SOURCE = "BACI (CEPII) world trade by HS6 line and year"
MONTHLY_SOURCE = ("China's monthly exports by HS line as China reports them to UN Comtrade "
                  "(the imported monthly tables); SARIMA intervention analysis.")
USGS_SOURCE = "USGS Mineral Commodity Summaries (bundled figures, editions as stated)."
FORECAST_SOURCE = ("retrade forecasts: model chosen by a rolling-origin backtest; medians "
                   "with 80% and 95% intervals.")
POLICY_SOURCE = ("Bundled policy-events table: MOFCOM and GAC announcements, WTO DS431 "
                 "rulings, allies' measures, each row with its own citation.")
SOURCES = {
    "wits": "WITS (World Bank): China's exports by partner",
    "comtrade": "UN Comtrade API: trade by partner",
    "comtrade_bulk": "UN Comtrade bulk files: trade by partner",
    "census": "US Census Bureau: US trade by country",
    "comext": "Eurostat Comext: EU trade by partner",
    "china_customs": "China customs: exports by partner",
    "baci_summary": "BACI (CEPII): world trade summaries",
    "bundled/usgs_mine_production": "USGS Mineral Commodity Summaries: mine output (bundled)",
    "bundled/china_exports_annual": "China's annual rare-earth exports (bundled)",
    "bundled/china_exports_monthly": "China's monthly rare-earth exports (bundled)",
    "bundled/policy_events": "Policy events (bundled)",
}
FREQUENCY = {"A": "annual", "M": "monthly", "event": "dated events"}


def source_label(source: str) -> str:
    """The plain name of a store source or table.

    Examples
    --------
    >>> source_label("baci_summary"), source_label("monthly_table/overview_monthly")
    ('BACI (CEPII): world trade summaries', 'Monthly table: overview monthly')
    """
    if source in SOURCES:
        return SOURCES[source]
    if source.startswith("monthly_table/"):
        return "Monthly table: " + source.split("/", 1)[1].replace("_", " ")
    return source


def share_source(basis: str) -> str:
    """The source line of a China-share number on ``basis`` (``direct`` or ``mirror``)."""
    if basis == "mirror":
        return ("China's exports by partner (WITS) over the importer's total imports (BACI, "
                "CEPII): a mirror-based share.")
    return "The importer's own imports by partner (UN Comtrade or US Census)."


def usgs_source(edition: str) -> str:
    """``USGS MCS2026`` -> ``USGS Mineral Commodity Summaries 2026``.

    Examples
    --------
    >>> usgs_source("USGS MCS2026")
    'USGS Mineral Commodity Summaries 2026.'
    """
    match = re.search(r"MCS\s*(\d{4})", edition)
    return f"USGS Mineral Commodity Summaries {match.group(1)}." if match else edition + "."
