"""The fetch step of the quarterly run: a standard, editable plan, and a clean skip.

:class:`FetchPlan` says what a quarterly run asks the APIs for. By default:

* **UN Comtrade**, annual, 2010 to last year, eight reporters (China, the US,
  Japan, Germany, Korea and the possible conduits Vietnam, Malaysia, Estonia),
  all partners, imports and exports, every rare-earth line. Only with a key
  (``RETRADE_COMTRADE_KEY``): the keyless preview returns 500 rows a call,
  far too few for this request; without a key the source is skipped with a
  message.
* **US Census**, the last 24 published months (two months of release lag) of
  US imports and exports of every rare-earth line, by country. Keyless.

Before a source is fetched, :func:`retrade.fetch.probe.probe` checks that its
host answers, so a machine without network skips in seconds instead of
retrying for minutes. The fetchers are incremental (a quarterly run fetches
only what is new or revised) and resumable; a stop by the daily quota keeps
what was fetched. Nothing here raises: every outcome, an authentication
failure included, becomes a :class:`SourceFetch` that the report shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd

from retrade.config import Settings, redact
from retrade.errors import RetradeError
from retrade.fetch.runner import FetchReport
from retrade.report import ReportTable, Section


@dataclass(frozen=True)
class ComtradePlan:
    """The Comtrade part of a quarterly fetch (:func:`retrade.fetch.comtrade.fetch_comtrade`)."""

    reporters: tuple[str, ...] = ("CHN", "USA", "JPN", "DEU", "KOR", "VNM", "MYS", "EST")
    partners: str = "all"
    flows: str = "M,X"
    hs: str = "all"
    first_year: int = 2010
    last_year: int | None = None
    frequency: str = "A"
    availability: bool = True
    max_calls: int | None = None

    def periods(self, today: date) -> str:
        """``first_year-last_year``; the last year defaults to the year before ``today``."""
        return f"{self.first_year}-{self.last_year or today.year - 1}"


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
    """What a quarterly run fetches; ``None`` leaves a source out."""

    comtrade: ComtradePlan | None = field(default_factory=ComtradePlan)
    census: CensusPlan | None = field(default_factory=CensusPlan)
    probe_timeout: float = 3.0

    def describe(self, today: date) -> dict:
        """The plan as plain data (for the manifest), with the periods it resolves to."""
        out: dict = {"probe_timeout": self.probe_timeout}
        for name in ("comtrade", "census"):
            part = getattr(self, name)
            out[name] = None if part is None else {**asdict(part), "periods": part.periods(today)}
        return out


@dataclass(frozen=True)
class SourceFetch:
    """What the fetch step did with one source.

    ``status`` is ``fetched`` (complete), ``stopped`` (daily quota or call
    budget; what was fetched is kept), ``skipped`` (offline, no key, no
    network) or ``failed`` (the API refused, e.g. a wrong key).
    """

    source: str
    status: str
    message: str
    calls: int = 0
    rows: int = 0


def run_fetch(plan: FetchPlan, settings: Settings, *, offline: bool, progress: bool,
              today: date | None = None) -> tuple[SourceFetch, ...]:
    """Carry out ``plan`` (or skip it when ``offline``); never raises for a source's failure."""
    today = today or date.today()
    out = []
    for name in ("comtrade", "census"):
        part = getattr(plan, name)
        if part is None:
            continue
        if offline:
            out.append(SourceFetch(name, "skipped", "offline run (--offline): nothing fetched"))
            continue
        out.append(_fetch_source(name, part, plan.probe_timeout, settings, progress, today))
    return tuple(out)


def _fetch_source(name: str, part, timeout: float, settings: Settings, progress: bool,
                  today: date) -> SourceFetch:
    from retrade.fetch.probe import probe

    if name == "comtrade" and settings.comtrade_key is None:
        return SourceFetch(name, "skipped", (
            "no Comtrade key (RETRADE_COMTRADE_KEY): the keyless preview (500 rows a call) is "
            "too small for the standard request; set a key, or import downloaded files with "
            "retrade import"))
    url = settings.comtrade_url if name == "comtrade" else settings.census_url
    unreachable = probe(url, timeout=timeout)
    if unreachable:
        return SourceFetch(name, "skipped", redact(
            f"no network? {unreachable}; nothing fetched, the report uses the store as it is"))
    try:
        report = _call(name, part, settings, progress, today)
    except RetradeError as exc:
        return SourceFetch(name, "failed", redact(f"{type(exc).__name__}: {exc}"))
    except Exception as exc:  # a fetcher bug must not cost the quarter's report
        return SourceFetch(name, "failed", redact(f"unexpected {type(exc).__name__}: {exc}"))
    status = "fetched" if report.complete else "stopped"
    message = ("complete" if report.complete else
               f"stopped ({report.stopped}): {report.message}; run again to resume")
    return SourceFetch(name, status, redact(message), report.calls_done, report.rows_written)


def _call(name: str, part, settings: Settings, progress: bool, today: date) -> FetchReport:
    if name == "comtrade":
        from retrade.fetch.comtrade import fetch_comtrade

        return fetch_comtrade(
            reporters=part.reporters, partners=part.partners, flows=part.flows, hs=part.hs,
            periods=part.periods(today), frequency=part.frequency, settings=settings,
            progress=progress, availability=part.availability, max_calls=part.max_calls)
    from retrade.fetch.census import fetch_census

    return fetch_census(flows=part.flows, hs=part.hs, periods=part.periods(today),
                        settings=settings, progress=progress, max_calls=part.max_calls)


def fetch_section(outcomes: tuple[SourceFetch, ...], *, offline: bool) -> Section:
    """The report's 'Data updates' section: what each source's fetch did."""
    title = "Data updates"
    table = ReportTable("fetch_log", pd.DataFrame(
        [asdict(o) for o in outcomes], columns=["source", "status", "message", "calls", "rows"]),
        "What the fetch step did with each source")
    if offline:
        return Section("data_updates", title, "Nothing was fetched: the run used the store and "
                       "the bundled reference data as they are.", (table,), status="skipped",
                       message="offline run (--offline)")
    failed = [o for o in outcomes if o.status == "failed"]
    skipped = [o for o in outcomes if o.status == "skipped"]
    text = " ".join(f"{o.source}: {o.status}, {o.rows:,} rows in {o.calls} calls ({o.message})."
                    for o in outcomes) or "The fetch plan names no source."
    status = "failed" if failed else "skipped" if len(skipped) == len(outcomes) else "ok"
    shown = failed if failed else skipped if status == "skipped" else []
    message = "; ".join(f"{o.source}: {o.message}" for o in shown)
    return Section("data_updates", title, text, (table,), status=status,  # type: ignore[arg-type]
                   message=message)
