"""``run_quarterly``: fetch, build, analyse, write the quarter's report; the one place stages chain.

Steps, each timed and shown (see :mod:`retrade.pipeline.steps`):

1. **fetch** what is new (:mod:`retrade.pipeline.fetching`: the keyless
   Comtrade plan without a key, the full one with; skipped with
   ``offline=True`` or without network);
2. **build** the panel from the store (:func:`retrade.panel.build.build_panel`),
   unless the last build is current (same raw store and code:
   :func:`retrade.panel.current.current_build`); if the build fails, the
   analyses fall back on the last good build and the run's exit code is 1;
3. **analyses**, each isolated: an exception in one becomes a ``failed``
   section carrying the error, data it lacks a ``needs_data`` section naming
   the command to run, and the others go on;
4. **front page**: key findings read off the sections' tables, compared with
   the previous report's (:mod:`retrade.pipeline.front`);
5. **write** ``reports/<quarter>/`` atomically (:func:`retrade.report.write_report`):
   "What changed since last quarter" first, then the analyses, then the
   appendix (how the report was made, data updates, coverage and quality,
   and each section's detailed tables).

The same store, quarter and seed give byte-identical tables and ``report.md``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from retrade.config import Settings, load_settings, redact
from retrade.errors import ConfigError, RetradeWarning
from retrade.pipeline.data import Body, NeedsData, RunData, from_build, from_store
from retrade.pipeline.fetching import FetchPlan, fetch_section, run_fetch
from retrade.pipeline.forecasts import DEFAULT_MODELS
from retrade.pipeline.front import front_page
from retrade.pipeline.steps import Steps, StepTiming
from retrade.report import Finding, FrontPage, Report, Section, report_style, write_report
from retrade.store.check import clean_leftovers

log = logging.getLogger("retrade.pipeline")

TITLE = "Rare-earth trade and dependency: quarterly report"


@dataclass(frozen=True)
class SectionSpec:
    """One analysis of the report: key, title, the module whose ``section()`` computes it, the
    sentence under the title, and whether it belongs in the appendix."""

    key: str
    title: str
    module: str
    lead: str = ""
    appendix: bool = False


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("data_coverage", "Data coverage and quality", "retrade.pipeline.coverage",
                "What the store holds, how far each source reaches, and what the quality "
                "checks flag.", appendix=True),
    SectionSpec("export_restrictions", "Export restrictions", "retrade.pipeline.restrictions",
                "Did China's export measures move its exports? The 2015 removal of export "
                "quotas and the December 2023 ban on exporting processing technology."),
    SectionSpec("elements_provinces", "Element-level controls and provinces",
                "retrade.pipeline.elements",
                "Did the 2025 controls cut China's exports of the elements they name, and which "
                "provinces export them? From China customs downloads at HS8."),
    SectionSpec("dual_chain", "Dual-chain dependency", "retrade.pipeline.dual",
                "How much of Japan's and the US's rare-earth imports come from China, and "
                "where China's exports go."),
    SectionSpec("overseas_capacity", "Overseas capacity against demand",
                "retrade.pipeline.capacity",
                "How much rare-earth supply comes from outside China, where the 'about 28%' "
                "comes from, and where it could go by 2035."),
    SectionSpec("forecasts", "Forecasts and scenarios", "retrade.pipeline.forecasts",
                "Where China's import shares, its exports and the non-China supply share are "
                "heading, with intervals and policy scenarios."),
    SectionSpec("reference_context", "Policy timeline and published figures",
                "retrade.pipeline.context",
                "The dated measures behind the analyses, and published figures to hold the "
                "estimates against."),
    SectionSpec("what_changed", "What changed since last quarter", "retrade.pipeline.changes",
                "New periods of data, revised values by source, and revised forecasts, "
                "against the previous report."),
)
SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS)
# the order a reader meets them: what changed first, the analyses, then the appendix
READING_ORDER: tuple[str, ...] = ("what_changed", "export_restrictions", "elements_provinces",
                                  "dual_chain",
                                  "overseas_capacity", "forecasts", "reference_context",
                                  "about", "data_updates", "data_coverage")


@dataclass(frozen=True)
class RunOptions:
    """What every analysis may read besides the data."""

    quarter: str
    seed: int
    forecast_models: tuple[str, ...]
    reports_dir: Path
    note: Callable[[str], None] = field(default=lambda text: None, repr=False)


@dataclass(frozen=True)
class SectionOutcome:
    """A section's key, title, status (ok, failed, needs_data, skipped) and message."""

    key: str
    title: str
    status: str
    message: str


@dataclass(frozen=True)
class RunResult:
    """What a quarterly run produced: where the report is, each section's status, the timings.

    ``exit_code`` is 0 when every analysis ran or only lacked data, 1 when one
    failed (or the panel build did).
    """

    folder: Path
    quarter: str
    sections: tuple[SectionOutcome, ...]
    steps: tuple[StepTiming, ...]
    exit_code: int
    findings: tuple[Finding, ...] = ()

    def status(self, key: str) -> str:
        """The status of section ``key``."""
        for s in self.sections:
            if s.key == key:
                return s.status
        raise KeyError(f"no section {key!r}; sections: {[s.key for s in self.sections]}")

    @property
    def failed(self) -> tuple[SectionOutcome, ...]:
        return tuple(s for s in self.sections if s.status == "failed")

    @property
    def needs_data(self) -> tuple[SectionOutcome, ...]:
        return tuple(s for s in self.sections if s.status == "needs_data")

    def to_dict(self) -> dict:
        """The run as plain data for scripts: folder, exit code, sections, key findings, steps."""
        import math
        from dataclasses import asdict

        def plain(record) -> dict:  # NaN is not JSON: a missing number is None
            return {k: None if isinstance(v, float) and math.isnan(v) else v
                    for k, v in asdict(record).items()}

        return {"quarter": self.quarter, "folder": str(self.folder), "exit_code": self.exit_code,
                "sections": [plain(s) for s in self.sections],
                "findings": [plain(f) for f in self.findings],
                "steps": [plain(t) for t in self.steps]}

    def summary(self) -> str:
        """Lines for the terminal: the folder, each section's status, the steps' times."""
        lines = [f"report {self.quarter}: {self.folder}"]
        lines += [f"  {s.status:<10} {s.title}" + (f": {s.message}" if s.message else "")
                  for s in self.sections]
        total = sum(t.seconds for t in self.steps)
        lines.append(f"  {total:.1f} s in all: " + ", ".join(
            f"{t.name} {t.seconds:.1f} s" for t in self.steps))
        return "\n".join(lines)


def current_quarter(today: date | None = None) -> str:
    """The quarter of ``today`` as ``YYYYQn``.

    Examples
    --------
    >>> current_quarter(date(2026, 11, 22))
    '2026Q4'
    """
    today = today or date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def check_quarter(quarter: str) -> str:
    """``quarter`` if it looks like ``2026Q4``, else :class:`ConfigError` naming it."""
    if not isinstance(quarter, str) or not re.fullmatch(r"\d{4}Q[1-4]", quarter):
        raise ConfigError(f"quarter must look like 2026Q4 (year, Q, 1-4), got {quarter!r}")
    return quarter


def check_sections(sections: Sequence[str] | None) -> tuple[str, ...]:
    """The sections asked for (all by default); an unknown key is an error listing the known."""
    if sections is None:
        return SECTION_KEYS
    if isinstance(sections, str):
        sections = [s.strip() for s in sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTION_KEYS]
    if unknown or not sections:
        raise ConfigError(f"sections {unknown or list(sections)} are not among "
                          f"{list(SECTION_KEYS)}")
    return tuple(k for k in SECTION_KEYS if k in sections)


def check_models(models: Sequence[str]) -> tuple[str, ...]:
    """Forecast candidates; an unknown model is an error listing the allowed ones."""
    from retrade.forecast.core import MODELS

    allowed = (*MODELS, "ensemble")
    models = tuple([models] if isinstance(models, str) else models)
    unknown = [m for m in models if m not in allowed]
    if unknown or not models:
        raise ConfigError(f"forecast models {unknown or list(models)} are not among "
                          f"{list(allowed)}")
    return models


def run_section(spec: SectionSpec, args: tuple, steps: Steps) -> Section:
    """Run one analysis in isolation: any exception becomes a ``failed`` section, never a crash."""
    with steps.step(spec.title) as record, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            body: Body = importlib.import_module(spec.module).section(*args)
            section = Section(spec.key, spec.title, body.text, body.tables, body.figures,
                              message=body.message, lead=spec.lead, appendix=spec.appendix,
                              notes=body.notes)
        except NeedsData as exc:
            section = Section(spec.key, spec.title, exc.text, exc.tables, status="needs_data",
                              message=redact(str(exc)), lead=spec.lead, appendix=spec.appendix)
        except Exception as exc:  # isolation: one analysis must not cost the others
            log.debug("section %s failed:\n%s", spec.key, redact(traceback.format_exc()))
            section = Section(spec.key, spec.title, status="failed", lead=spec.lead,
                              message=redact(f"{type(exc).__name__}: {exc}"),
                              appendix=spec.appendix)
        record.outcome = section.status
    return _with_warnings(section, caught)


def _distinct(caught: list) -> tuple[str, ...]:
    """The distinct retrade warnings among ``caught``, as ``Category: message``, in order."""
    return tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                               if issubclass(w.category, RetradeWarning)))


def _with_warnings(section: Section, caught: list) -> Section:
    """Append the distinct retrade warnings an analysis raised to its notes (in the appendix)."""
    from dataclasses import replace

    texts = [t.split(": ", 1)[-1] for t in _distinct(caught)]
    if not texts:
        return section
    block = "Data checks noted: " + " ".join(f"({i + 1}) {t}" for i, t in enumerate(texts))
    return replace(section, notes="\n\n".join(p for p in (section.notes, block) if p))


def _build(settings: Settings, quarter: str, steps: Steps) -> RunData:
    """Build the panel, unless the last build is current (:mod:`retrade.panel.current`: the
    raw store and the code unchanged since); on failure fall back on the last good build (the
    run then exits 1)."""
    from retrade.panel.build import build_panel
    from retrade.panel.current import current_build

    with steps.step("build panel") as record, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            current = current_build(settings)
            if current is not None:  # what the build warned is in its record
                record.outcome = "unchanged"
                return from_build(current, settings, quarter, current.warnings)
            build = build_panel(settings=settings)
            return from_build(build, settings, quarter, _distinct(caught))
        except Exception as exc:  # a broken source must not cost the bundled-data sections
            log.debug("panel build failed:\n%s", redact(traceback.format_exc()))
            record.outcome = "failed"
            return from_store(settings, quarter, redact(f"{type(exc).__name__}: {exc}"))


def _analyse(wanted: tuple[str, ...], data: RunData, options: RunOptions,
             steps: Steps) -> list[Section]:
    """Every analysis in report order; those not asked for are ``skipped``."""
    out: list[Section] = []
    for spec in SECTIONS:
        if spec.key not in wanted:
            out.append(Section(spec.key, spec.title, status="skipped", appendix=spec.appendix,
                               message="not asked for in this run (sections=...)"))
        elif spec.key == "what_changed":
            tables = {t.name: t.frame for s in out for t in s.tables}
            out.append(run_section(spec, (tables, options), steps))
        else:
            out.append(run_section(spec, (data, options), steps))
    return out


def _about(sections: list[Section], data: RunData, options: RunOptions, offline: bool) -> Section:
    """The report's first section: how it was made and what would complete it."""
    import pandas as pd

    from retrade.report import ReportTable

    table = pd.DataFrame([{"section": s.key, "title": s.title, "status": s.status,
                           "message": s.message} for s in sections])
    needs = [s for s in sections if s.status == "needs_data"]
    command = "retrade run --offline" if offline else "retrade run"
    text = [f"Report for {options.quarter}, made by `{command}` with seed {options.seed} and "
            f"forecast candidates {', '.join(options.forecast_models)}. `manifest.json` beside "
            "this report lists the data hashes, package versions and parameters; the same "
            "store, quarter and seed give the same numbers. Every table is also a CSV file in "
            "`tables/`, at full precision."]
    if needs:
        text.append("To complete it: " + " ".join(f"{s.title}: {s.message}." for s in needs))
    if data.note:
        text.append(f"Warning: {data.note}.")
    return Section("about", "About this report", "\n\n".join(text),
                   (ReportTable("section_status", table, "Each section's status",
                                "this run of retrade."),),
                   lead="How this report was made, and what would complete it.", appendix=True)


FRONT_FAILED = "The key findings could not be computed"


def _front(sections: list[Section], options: RunOptions, fetched: tuple,
           steps: Steps) -> FrontPage:
    """The front page; if it fails, a front page that says so (the sections are kept)."""
    with steps.step("front page") as record:
        try:
            return front_page({t.name: t.frame for s in sections for t in s.tables}, options,
                              fetched)
        except Exception as exc:  # the analyses' results must not be lost to the summary
            log.debug("front page failed:\n%s", redact(traceback.format_exc()))
            record.outcome = "failed"
            return FrontPage(summary=redact(f"{FRONT_FAILED} ({type(exc).__name__}: {exc}); "
                                            "the sections below are complete."))


def _arrange(sections: list[Section]) -> tuple[Section, ...]:
    """The sections in reading order (:data:`READING_ORDER`; any other key at the end)."""
    from dataclasses import replace

    rank = {key: i for i, key in enumerate(READING_ORDER)}
    placed = [replace(s, appendix=True) if s.key == "data_updates" else s for s in sections]
    return tuple(sorted(placed, key=lambda s: rank.get(s.key, len(rank))))


def _inputs(data: RunData) -> dict:
    """Data hashes for the manifest: the processed tables, the raw entries, the bundled tables."""
    import hashlib
    from importlib import resources

    bundled = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(resources.files("retrade.reference").joinpath("data").iterdir(),
                               key=lambda p: p.name) if p.name.endswith(".csv")}
    build = data.build
    return {
        "processed_sha256": dict(build.sha256) if build else {},
        "raw_entries": {r.source: list(r.entries) for r in build.sources} if build else {},
        "bundled_reference_sha256": bundled,
        "build_note": data.note,
    }


def blas_single_thread():
    """A context with one BLAS thread, when ``threadpoolctl`` is installed (else no change).

    The pipeline's models are small (tens to thousands of rows): a second BLAS
    thread gains nothing, and on a busy 2-core machine OpenBLAS's waiting threads
    made the forecasts 10 to 60 times slower than with one (benchmarks/RESULTS.md).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up, not a requirement
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _open_figures() -> set[int]:
    import matplotlib.pyplot as plt

    return set(plt.get_fignums())


def _close_new_figures(before: set[int]) -> None:
    """Close the figures this run made (and only those: a notebook's own figures stay)."""
    import matplotlib.pyplot as plt

    for number in set(plt.get_fignums()) - before:
        plt.close(number)


def run_quarterly(
    *,
    quarter: str | None = None,
    offline: bool = False,
    settings: Settings | None = None,
    fetch_plan: FetchPlan | None = None,
    sections: Sequence[str] | None = None,
    forecast_models: Sequence[str] = DEFAULT_MODELS,
    seed: int = 0,
    progress: bool = True,
) -> RunResult:
    """Run the quarterly pipeline and write ``<reports_dir>/<quarter>/``.

    Parameters
    ----------
    quarter : str, optional
        ``YYYYQn``; default the quarter of today's date.
    offline : bool
        Skip the fetch step: use the store and the bundled data as they are.
    settings : Settings, optional
        Data and reports folders, keys, API URLs; default :func:`load_settings`.
    fetch_plan : FetchPlan, optional
        What to fetch (default :class:`~retrade.pipeline.fetching.FetchPlan`).
    sections : sequence of str, optional
        Keys of :data:`SECTIONS` to run (default all); the others are ``skipped``.
    forecast_models : sequence of str
        Candidate models of the forecasts' backtests (``naive``, ``ets``,
        ``sarimax``, ``ensemble``, ``prophet``; the seasonal naive is added
        for monthly series).
    seed : int
        Seed of every random draw (Monte Carlo projections, intervention and
        prophet draws).
    progress : bool
        Show each step on stderr.

    Returns
    -------
    RunResult
        The report folder, each section's status, timings and the exit code.

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> tmp = tempfile.mkdtemp()
    >>> s = load_settings(data_dir=f"{tmp}/data", reports_dir=f"{tmp}/reports")
    >>> res = run_quarterly(quarter="2026Q4", offline=True, settings=s, progress=False,
    ...                     sections=["overseas_capacity", "reference_context"])
    >>> res.exit_code, res.status("overseas_capacity"), res.folder.name
    (0, 'ok', '2026Q4')
    """
    quarter = check_quarter(quarter or current_quarter())
    wanted, models = check_sections(sections), check_models(forecast_models)
    settings = settings or load_settings()
    for leftover in clean_leftovers(settings):  # what killed runs left: temp files, staging folders
        log.info("%s %s: %s", leftover.kind, leftover.path, leftover.message)
    plan = fetch_plan or FetchPlan()
    steps = Steps(progress=progress)
    with steps.step("fetch", live=False) as record:
        fetched = run_fetch(plan, settings, offline=offline, progress=progress)
        record.outcome = "skipped" if offline else "ok"
    options = RunOptions(quarter, int(seed), models, Path(settings.reports_dir), steps.note)
    before = _open_figures()
    try:
        with blas_single_thread(), report_style():
            data = _build(settings, quarter, steps)
            analysed = [fetch_section(fetched, offline=offline),
                        *_analyse(wanted, data, options, steps)]
            front = _front(analysed, options, fetched, steps)
            report = Report(quarter, TITLE,
                            _arrange([_about(analysed, data, options, offline), *analysed]),
                            _parameters(options, offline, plan, wanted, settings), _inputs(data),
                            front)
            with steps.step("write report"):
                folder = write_report(report, settings.reports_dir)
    finally:
        _close_new_figures(before)
    failed = (any(s.status == "failed" for s in report.sections) or data.build is None
              or front.summary.startswith(FRONT_FAILED))
    outcomes = tuple(SectionOutcome(s.key, s.title, s.status, s.message) for s in report.sections)
    return RunResult(folder, quarter, outcomes, tuple(steps.timings), int(failed),
                     front.findings)


def _parameters(options: RunOptions, offline: bool, plan: FetchPlan, wanted: tuple[str, ...],
                settings: Settings) -> dict:
    return {
        "quarter": options.quarter, "offline": offline, "seed": options.seed,
        "sections": list(wanted), "forecast_models": list(options.forecast_models),
        "fetch_plan": None if offline else plan.describe(date.today()),
        "data_dir": str(settings.data_dir), "reports_dir": str(settings.reports_dir),
    }
