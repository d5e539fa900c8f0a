"""The fetch step of the quarterly run: a standard, editable plan, bounded, and a clean report.

:class:`FetchPlan` says what a quarterly run asks the APIs for. By default:

* **UN Comtrade**, annual, 2010 to last year, all partners, every rare-earth
  line of the catalog (``hs="all"``), in *legs* (a set of reporters and the
  flows asked of them):

  - without a key, the keyless public preview (500 rows a call, no stated
    daily cap), a plan sized for it (:data:`KEYLESS_LEGS`): China's exports,
    the US's and Japan's imports, then Korea's and Germany's imports;
  - with a key (``RETRADE_COMTRADE_KEY``), the full plan
    (:data:`KEYED_LEGS`): eight reporters (China, the US, Japan, Germany,
    Korea and the possible conduits Vietnam, Malaysia, Estonia), imports and
    exports.

* **US Census**, the last 24 published months (two months of release lag) of
  US imports and exports of every rare-earth line, by country. Since May 2026
  the Census data API wants a key on every call: without
  ``RETRADE_CENSUS_KEY`` the source is reported as skipped with where to get
  one, and the run goes on.

Before the first call the run prints the Comtrade plan: what each leg
fetches, how many calls that takes and about how long at the configured pace
(``RETRADE_MIN_INTERVAL``). The fetchers show progress, are incremental (a
quarterly run fetches only reporter-periods released since, from the
availability endpoint) and resumable. A cap on calls or minutes per run
(``max_calls``/``max_minutes`` here, ``--max-calls``/``--max-minutes`` on
``retrade run``, ``RETRADE_MAX_CALLS``/``RETRADE_MAX_MINUTES``) stops the
fetch cleanly with a message saying so; the next run continues.

Before a source is fetched, :func:`retrade.fetch.probe.probe` checks that its
host answers, so a machine without network skips in seconds. Nothing here
raises: every outcome becomes a :class:`SourceFetch` that the report's "Data
updates" section (:func:`fetch_section`) shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd

from retrade.config import Settings, redact
from retrade.errors import KeyRequired, RetradeError
from retrade.fetch.runner import Budget, FetchReport
from retrade.report import ReportTable, Section


@dataclass(frozen=True)
class ComtradeLeg:
    """One Comtrade request of a plan: reporters, the flows asked of them, and why."""

    reporters: tuple[str, ...]
    flows: str
    why: str = ""


KEYLESS_LEGS: tuple[ComtradeLeg, ...] = (
    ComtradeLeg(("CHN",), "X", "China's exports by partner (export restrictions, destinations)"),
    ComtradeLeg(("USA", "JPN"), "M", "US and Japanese imports by partner (China's direct share)"),
    ComtradeLeg(("KOR", "DEU"), "M", "Korean and German imports by partner (more importers)"),
)
KEYED_LEGS: tuple[ComtradeLeg, ...] = (
    ComtradeLeg(("CHN", "USA", "JPN", "DEU", "KOR", "VNM", "MYS", "EST"), "M,X",
                "eight reporters' imports and exports by partner"),
)


@dataclass(frozen=True)
class ComtradePlan:
    """The Comtrade part of a quarterly fetch (:func:`retrade.fetch.comtrade.fetch_comtrade`).

    ``reporters`` (with ``flows``) replaces the standard legs by one request;
    by default the legs depend on whether a key is set (:meth:`legs`).
    ``max_calls`` caps this source's calls within the run's cap.
    """

    reporters: tuple[str, ...] | None = None
    partners: str = "all"
    flows: str = "M,X"
    hs: str = "all"
    first_year: int = 2010
    last_year: int | None = None
    frequency: str = "A"
    availability: bool = True
    max_calls: int | None = None
    keyless_legs: tuple[ComtradeLeg, ...] = KEYLESS_LEGS
    keyed_legs: tuple[ComtradeLeg, ...] = KEYED_LEGS

    def periods(self, today: date) -> str:
        """``first_year-last_year``; the last year defaults to the year before ``today``."""
        return f"{self.first_year}-{self.last_year or today.year - 1}"

    def legs(self, keyed: bool) -> tuple[ComtradeLeg, ...]:
        """The requests of the plan: the keyed or keyless legs, or the one request named.

        Examples
        --------
        >>> [leg.reporters for leg in ComtradePlan().legs(keyed=False)][:2]
        [('CHN',), ('USA', 'JPN')]
        >>> ComtradePlan(reporters=("CHN",), flows="X").legs(keyed=True)[0].flows
        'X'
        """
        if self.reporters is not None:
            return (ComtradeLeg(tuple(self.reporters), self.flows),)
        return self.keyed_legs if keyed else self.keyless_legs


@dataclass(frozen=True)
class CensusPlan:
    """The US Census part of a quarterly fetch (see :func:`retrade.fetch.census.fetch_census`)."""

    flows: str = "imports,exports"
    hs: str = "all"
    months: int = 24
    lag_months: int = 2
    max_calls: int | None = None

    def periods(self, today: date) -> str:
        """The ``months`` months ending ``lag_months`` before ``today``'s month, as ``A:B``.

        Examples
        --------
        >>> CensusPlan(months=3).periods(date(2026, 11, 22))
        '2026-07:2026-09'
        """
        last = pd.Period(today, freq="M") - self.lag_months
        return f"{last - (self.months - 1)}:{last}"


@dataclass(frozen=True)
class FetchPlan:
    """What a quarterly run fetches; ``None`` leaves a source out.

    ``max_calls`` and ``max_minutes`` cap the whole fetch step (default: the
    settings' ``max_calls``/``max_minutes``, none).
    """

    comtrade: ComtradePlan | None = field(default_factory=ComtradePlan)
    census: CensusPlan | None = field(default_factory=CensusPlan)
    probe_timeout: float = 3.0
    max_calls: int | None = None
    max_minutes: float | None = None

    def describe(self, today: date) -> dict:
        """The plan as plain data (for the manifest), with the periods it resolves to."""
        out: dict = {"probe_timeout": self.probe_timeout, "max_calls": self.max_calls,
                     "max_minutes": self.max_minutes}
        for name in ("comtrade", "census"):
            part = getattr(self, name)
            out[name] = None if part is None else {**asdict(part), "periods": part.periods(today)}
        return out


@dataclass(frozen=True)
class SourceFetch:
    """What the fetch step did with one source.

    ``status`` is ``fetched`` (complete), ``stopped`` (daily quota or the
    run's cap; what was fetched is kept), ``skipped`` (offline, no network, a
    key the API wants and does not have) or ``failed`` (the API refused, e.g.
    a wrong key). ``planned`` is what was planned before the first call;
    ``notes`` what the fetch found worth saying.
    """

    source: str
    status: str
    message: str
    calls: int = 0
    rows: int = 0
    planned: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def run_fetch(plan: FetchPlan, settings: Settings, *, offline: bool, progress: bool,
              today: date | None = None) -> tuple[SourceFetch, ...]:
    """Carry out ``plan`` (or skip it when ``offline``); never raises for a source's failure."""
    today = today or date.today()
    budget = Budget.from_settings(settings, max_calls=plan.max_calls,
                                  max_minutes=plan.max_minutes)
    out = []
    for name in ("comtrade", "census"):
        part = getattr(plan, name)
        if part is None:
            continue
        if offline:
            out.append(SourceFetch(name, "skipped", "offline run (--offline): nothing fetched"))
            continue
        out.append(_fetch_source(name, part, plan.probe_timeout, settings, progress, today,
                                 budget.part(part.max_calls)))
    return tuple(out)


def _fetch_source(name: str, part, timeout: float, settings: Settings, progress: bool,
                  today: date, budget: Budget) -> SourceFetch:
    from retrade.fetch.probe import probe

    url = settings.comtrade_url if name == "comtrade" else settings.census_url
    unreachable = probe(url, timeout=timeout)
    if unreachable:
        return SourceFetch(name, "skipped", redact(
            f"no network? {unreachable}; nothing fetched, the report uses the store as it is"))
    fetch = _comtrade if name == "comtrade" else _census
    try:
        return fetch(part, settings, progress, today, budget)
    except KeyRequired as exc:  # the API wants a key this machine does not have: say where to
        return SourceFetch(name, "skipped", redact(str(exc)))
    except RetradeError as exc:
        return SourceFetch(name, "failed", redact(f"{type(exc).__name__}: {exc}"))
    except Exception as exc:  # a fetcher bug must not cost the quarter's report
        return SourceFetch(name, "failed", redact(f"unexpected {type(exc).__name__}: {exc}"))


def _comtrade(part: ComtradePlan, settings: Settings, progress: bool, today: date,
              budget: Budget) -> SourceFetch:
    """Every leg in turn, after printing the whole plan; a stop ends the remaining legs."""
    from retrade.fetch.comtrade import estimate_comtrade, fetch_comtrade

    keyed = settings.comtrade_key is not None
    requests = [dict(reporters=leg.reporters, partners=part.partners, flows=leg.flows,
                     hs=part.hs, periods=part.periods(today), frequency=part.frequency)
                for leg in part.legs(keyed)]
    estimates = [estimate_comtrade(**r, settings=settings, availability=part.availability)
                 for r in requests]
    planned = tuple(text for text, _ in estimates)
    if progress:
        _print_plan(planned, [cost for _, cost in estimates], settings, budget)
    reports: list[FetchReport] = []
    for request in requests:
        reports.append(fetch_comtrade(**request, settings=settings, progress=progress,
                                      availability=part.availability, budget=budget,
                                      announce=_quiet))
        if not reports[-1].complete:
            break
    return _outcome("comtrade", reports, planned, len(requests))


def _census(part: CensusPlan, settings: Settings, progress: bool, today: date,
            budget: Budget) -> SourceFetch:
    from retrade.fetch.census import fetch_census

    planned: list[str] = []
    report = fetch_census(flows=part.flows, hs=part.hs, periods=part.periods(today),
                          settings=settings, progress=progress, budget=budget,
                          announce=_announcer(planned, progress, "US Census plan"))
    return _outcome("census", [report], tuple(planned), 1)


def _quiet(text: str) -> None:
    """The legs' own plan lines: already printed with the whole plan."""


def _announcer(kept: list[str], progress: bool, title: str) -> Callable[[str], None]:
    def announce(text: str) -> None:
        kept.append(text)
        if progress:
            from rich.console import Console

            Console(stderr=True).print(f"{title}: {text}", highlight=False)
    return announce


def _print_plan(planned: tuple[str, ...], costs: list, settings: Settings,
                budget: Budget) -> None:
    from rich.console import Console

    console = Console(stderr=True)
    calls = sum(c.calls for c in costs)
    seconds = sum(c.seconds for c in costs)
    cap = budget.describe()
    console.print(f"UN Comtrade plan ({len(planned)} request(s), about {calls} call(s), about "
                  f"{seconds / 60:.1f} min at one call every {settings.min_interval:g} s"
                  + (f"; this run's cap allows {cap}" if cap else "") + "):", highlight=False)
    for number, text in enumerate(planned, start=1):
        console.print(f"  {number}. {text}", highlight=False)


def _outcome(name: str, reports: list[FetchReport], planned: tuple[str, ...],
             legs: int) -> SourceFetch:
    """One source's outcome over its reports (several legs for Comtrade)."""
    calls = sum(r.calls_done for r in reports)
    rows = sum(r.rows_written for r in reports)
    notes = tuple(dict.fromkeys(n for r in reports for n in r.notes))
    stopped = next((r for r in reports if not r.complete), None)
    if stopped is not None:
        left = legs - len(reports)
        rest = f"; {left} more request(s) of the plan not started" if left else ""
        message = (f"stopped ({stopped.stopped}): {stopped.message}{rest}; run again to resume")
        return SourceFetch(name, "stopped", redact(message), calls, rows, planned, notes)
    return SourceFetch(name, "fetched", f"complete: {rows:,} rows in {calls} call(s)", calls,
                       rows, planned, notes)


def fetch_section(outcomes: tuple[SourceFetch, ...], *, offline: bool) -> Section:
    """The report's 'Data updates' section: what each source's fetch planned, did and noted."""
    title = "Data updates"
    table = ReportTable("fetch_log", pd.DataFrame(
        [{k: v for k, v in asdict(o).items() if k not in ("planned", "notes")}
         for o in outcomes], columns=["source", "status", "message", "calls", "rows"]),
        "What the fetch step did with each source")
    if offline:
        return Section("data_updates", title, "Nothing was fetched: the run used the store and "
                       "the bundled reference data as they are.", (table,), status="skipped",
                       message="offline run (--offline)")
    failed = [o for o in outcomes if o.status == "failed"]
    skipped = [o for o in outcomes if o.status == "skipped"]
    text = "\n\n".join(_source_text(o) for o in outcomes) or "The fetch plan names no source."
    status = "failed" if failed else "skipped" if len(skipped) == len(outcomes) else "ok"
    shown = [o for o in outcomes if o.status != "fetched"]  # what the reader should know
    message = "; ".join(f"{o.source}: {o.message}" for o in shown)
    return Section("data_updates", title, text, (table,), status=status,  # type: ignore[arg-type]
                   message=message)


SOURCE_NAMES = {"comtrade": "UN Comtrade", "census": "US Census Bureau"}


def _source_text(o: SourceFetch) -> str:
    """A paragraph per source: status, rows and calls, the plan, the notes."""
    lines = [f"{SOURCE_NAMES.get(o.source, o.source)}: {o.status}, {o.rows:,} rows in "
             f"{o.calls} call(s) ({o.message})."]
    lines += [f"Planned: {p}." for p in o.planned]
    lines += [f"Note: {n}." for n in o.notes]
    return " ".join(lines)
