"""What the analyses of a run read: the built panel and the tables beside it, loaded once.

:class:`RunData` holds the panel as the build step wrote it (every source and
frequency), its quality table, the monthly aggregate tables and the world
summaries when the store has them, and derived views the analyses share (the
annual panel with one source per flow, importers' totals). A section that
lacks what it needs raises :class:`NeedsData` with the command that would
bring it; :data:`COMMANDS` is the one place those commands are written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

from retrade.config import Settings
from retrade.errors import RetradeError, StoreError
from retrade.panel import schema as S
from retrade.panel.build import PanelBuild
from retrade.panel.quality import empty_quality
from retrade.panel.sources import select_sources
from retrade.report import ReportFigure, ReportTable
from retrade.store import ProcessedStore


@dataclass(frozen=True)
class Body:
    """What an analysis hands to the report: text, tables, figures, a one-line message, and notes
    (caveats and data checks, printed in the appendix).

    The runner wraps it into a :class:`~retrade.report.Section` with the
    section's key, title and status.
    """

    text: str = ""
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[ReportFigure, ...] = ()
    message: str = ""
    notes: str = ""


class NeedsData(RetradeError):
    """A section cannot run on the data in the store; the message says what to fetch or import.

    ``tables`` and ``text`` carry what the section could still show (e.g. the
    coverage of the bundled data on a machine without trade data).
    """

    def __init__(self, message: str, tables: tuple = (), text: str = ""):
        super().__init__(message)
        self.tables = tuple(tables)
        self.text = text


def commands(quarter: str) -> dict[str, str]:
    """The commands that bring each kind of data, with periods up to the year before ``quarter``.

    Examples
    --------
    >>> commands("2026Q4")["importers"].split(" (")[0]
    'retrade fetch comtrade -r JPN,USA -p all -f M --hs all --periods 2010-2025'
    """
    last = int(quarter[:4]) - 1
    return {
        "china_annual": (
            "retrade import FILE (a WITS 'By HS6 Product' download of China's exports by "
            f"partner), or retrade fetch comtrade -r CHN -p all -f X --hs all --periods "
            f"2010-{last} (keyless: the public preview, which retrade run also fetches)"
        ),
        "monthly": (
            "retrade import FILE --reporter CHN --flow export (a monthly table of China's "
            "rare-earth exports: world totals such as overview_monthly.csv, or by HS6 line)"
        ),
        "monthly_lines": (
            "retrade import FILE --reporter CHN --flow export (a monthly table of China's "
            "exports by HS6 line: 280530, 284690 or 850511)"
        ),
        "importers": (
            f"retrade fetch comtrade -r JPN,USA -p all -f M --hs all --periods 2010-{last} "
            "(keyless: the public preview, which retrade run also fetches)"
        ),
        "gacc": (
            "retrade import FILE --flow export (a China customs download at HS8 from the "
            "customs statistics platform, http://stats.customs.gov.cn: exports by commodity, "
            "partner and month, with 'Locations of importers and exporters' for provinces)"
        ),
        "world_summary": (
            "retrade import FILE (a BACI world summary by HS6 and year, which holds Japan's "
            "and the US's total imports)"
        ),
    }


@dataclass(frozen=True)
class RunData:
    """The store's tables as this run built them.

    Attributes
    ----------
    panel : DataFrame
        Every panel row (all sources and frequencies).
    quality : DataFrame
        The data-quality table of the panel.
    monthly : DataFrame or None
        The monthly aggregate tables (:mod:`retrade.panel.monthly`), if any were imported.
    world_summary : DataFrame or None
        World trade summaries per HS6 and year (:mod:`retrade.panel.world_summary`), if any.
    elements, provinces : DataFrame or None
        The element panel and province table (:mod:`retrade.panel.elements`), if any.
    build : PanelBuild or None
        The build of this run (``None`` when it failed).
    note : str
        What went wrong with the build, and what the run used instead.
    build_warnings : tuple of str
        Data-quality warnings the build raised (shown in the coverage section).
    quarter : str
        The report's quarter (for the commands in messages).
    """

    panel: pd.DataFrame = field(repr=False)
    quality: pd.DataFrame = field(repr=False)
    monthly: pd.DataFrame | None = field(default=None, repr=False)
    world_summary: pd.DataFrame | None = field(default=None, repr=False)
    build: PanelBuild | None = field(default=None, repr=False)
    note: str = ""
    quarter: str = "2000Q1"
    build_warnings: tuple[str, ...] = ()
    elements: pd.DataFrame | None = field(default=None, repr=False)
    provinces: pd.DataFrame | None = field(default=None, repr=False)

    @functools.cached_property
    def annual(self) -> pd.DataFrame:
        """Annual panel rows with one source per flow (:func:`select_sources`)."""
        return select_sources(self.panel[self.panel[S.FREQUENCY] == "A"])

    @functools.cached_property
    def importer_totals(self) -> pd.DataFrame | None:
        """``importer, hs6, period, total`` from the world summaries, or ``None``."""
        from retrade.panel.world_summary import importer_totals

        if self.world_summary is None:
            return None
        totals = importer_totals(self.world_summary)
        return totals if len(totals) else None

    @property
    def commands(self) -> dict[str, str]:
        """See :func:`commands`."""
        return commands(self.quarter)

    @property
    def has_trade_data(self) -> bool:
        """Whether the store gave any trade rows, monthly tables or world summaries."""
        return len(self.panel) > 0 or self.monthly is not None or self.world_summary is not None

    @functools.cached_property
    def china_shares(self) -> pd.DataFrame:
        """China's share of JPN's and the US's imports by HS6 and year, direct and mirror-based.

        Both bases are kept for every year they exist (not the ``auto`` mix,
        which switches basis where direct data begin), so that
        :func:`share_series` can pick one basis per series.
        """
        from retrade.models.dependency import china_share

        parts = [china_share(self.annual, importers=SHARE_IMPORTERS, level="hs6", basis=basis,
                             importer_totals=self.importer_totals)
                 for basis in ("direct", "mirror")]
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else parts_or_empty()

    def china_exports(self) -> pd.DataFrame:
        """China-reported annual export rows by partner (one source per flow)."""
        annual = self.annual
        return annual[(annual[S.REPORTER] == "CHN") & (annual[S.FLOW] == "export")]


def _extra_table(store: ProcessedStore, name: str, built: set[str]) -> pd.DataFrame | None:
    """A table written beside the panel by the build in ``built`` (never a stale one)."""
    return store.read(name) if name in built and store.exists(name) else None


def from_build(build: PanelBuild, settings: Settings, quarter: str,
               build_warnings: tuple[str, ...] = ()) -> RunData:
    """The run's data from a fresh build (monthly tables and summaries read back from the store)."""
    store = ProcessedStore(settings.processed_dir)
    built = set(build.sha256)
    return RunData(build.panel, build.quality, _extra_table(store, "monthly", built),
                   _extra_table(store, "world_summary", built), build, quarter=quarter,
                   build_warnings=build_warnings,
                   elements=_extra_table(store, "elements", built),
                   provinces=_extra_table(store, "provinces", built))


def from_store(settings: Settings, quarter: str, error: str) -> RunData:
    """The run's data when the build failed: the tables of the last good build, if any.

    ``note`` says that the build failed and which tables were used instead.
    """
    store = ProcessedStore(settings.processed_dir)
    if not store.exists("panel"):
        return RunData(S.empty_panel(), empty_quality(), quarter=quarter,
                       note=f"the panel build failed ({error}); no earlier build to fall back on")
    try:
        record = store.read_json("panel_build")
    except StoreError:
        record = {}
    built = set(record.get("sha256", {})) or {"panel", "quality"}
    quality = store.read("quality") if store.exists("quality") else empty_quality()
    note = (f"the panel build failed ({error}); the analyses use the previous build "
            f"of {record.get('built_at', 'unknown date')}")
    return RunData(S.conform(store.read("panel")), quality, _extra_table(store, "monthly", built),
                   _extra_table(store, "world_summary", built), None, note, quarter,
                   elements=_extra_table(store, "elements", built),
                   provinces=_extra_table(store, "provinces", built))


SHARE_IMPORTERS: tuple[str, ...] = ("JPN", "USA")
SHARE_COLUMNS = ("importer", "hs6", "period", "china", "total", "share", "basis", "flag")


def parts_or_empty() -> pd.DataFrame:
    """An empty China-share table with its columns."""
    return pd.DataFrame(columns=list(SHARE_COLUMNS))


def share_series(shares: pd.DataFrame) -> dict[tuple[str, str], tuple[str, pd.Series]]:
    """One series of China's share per importer and HS6, on one basis.

    ``shares`` is :func:`retrade.models.dependency.china_share` output (by hs6).
    Where an importer-line has both direct and mirror years, the basis with
    more years is kept (direct on a tie), so a series never switches
    definition midway. Values are indexed by period (``YYYY``), sorted.
    """
    out = {}
    for (importer, hs6), rows in shares.groupby(["importer", "hs6"], observed=True, sort=True):
        counts = rows["basis"].value_counts()
        best = max(counts.index, key=lambda b: (counts[b], b == "direct"))
        pick = rows[rows["basis"] == best].sort_values("period")
        out[(str(importer), str(hs6))] = (str(best), pd.Series(
            pick["share"].astype(float).to_numpy(), index=pick["period"].astype(str).to_list(),
            name=f"China's share of {importer} imports of {hs6} ({best})"))
    return out
