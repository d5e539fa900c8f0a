"""Fetch UN Comtrade rows into the raw store: plan, skip what is done, call, validate, store.

Each data call's answer is validated (:func:`retrade.catalog.comtrade_v1.v1_table`)
and written atomically to
``data/raw/comtrade/freq=<A|M>/reporter=<code>/period=<p>/<stem>.parquet``
with one manifest entry per call (query without key, time, rows, body hash,
and the reporter-periods covered). Count, availability and split decisions
are manifest entries too, so a fetch stopped anywhere resumes where it stopped.

Before the first call the fetch works out what it will cost
(:func:`~retrade.fetch.comtrade.planner.estimate`) and says so; a cap on calls
or minutes (:class:`~retrade.fetch.runner.Budget`) stops it cleanly. After a
fetch that wrote files, rows that newer files supersede (left by a stopped
fetch resumed with another split) are compacted away
(:func:`retrade.store.compact.compact`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
from rich.console import Console

from retrade.catalog import comtrade_to_iso3
from retrade.catalog.comtrade_v1 import V1_KEY, v1_table
from retrade.config import Settings, check_max_calls, load_settings, redact
from retrade.errors import FetchError, QuotaExhausted, RateLimited, ResponseError, ServerError
from retrade.fetch.comtrade.client import Answer, ComtradeClient
from retrade.fetch.comtrade.planner import (
    FILL,
    Call,
    Estimate,
    Limits,
    base_call,
    estimate,
    fit,
    plan,
    split,
)
from retrade.fetch.comtrade.reference import known_reporters
from retrade.fetch.comtrade.request import FLOW_CODES, ComtradeRequest, build_request
from retrade.fetch.runner import Budget, FetchReport, StepResult, run_queue
from retrade.fetch.state import StoreState, Unit, parse_time
from retrade.store import Part, RawStore
from retrade.store.compact import compact
from retrade.store.manifest import live_files

SOURCE = "comtrade"
_FILL = FILL
# release-date fields of an availability row, in the order they are read (docs/fetch.md)
RELEASE_FIELDS = ("lastReleased", "publicationDate", "firstReleased")


@dataclass(frozen=True)
class Task:
    """A call to make, with the row count expected from an earlier count (if any)."""

    call: Call
    expected: int | None = None


def fetch_comtrade(
    *,
    reporters: str | int | Iterable[str | int],
    partners: str | int | Iterable[str | int] | None = "all",
    flows: str | Iterable[str] = ("M", "X"),
    hs: str | Iterable[str] | None = None,
    periods: str | int | Iterable[str | int],
    frequency: str = "A",
    settings: Settings | None = None,
    store: RawStore | None = None,
    progress: bool = True,
    count_first: bool = True,
    availability: bool = True,
    max_calls: int | None = None,
    max_minutes: float | None = None,
    budget: Budget | None = None,
    announce: Callable[[str], None] | None = None,
    limits: Limits | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchReport:
    """Fetch Comtrade trade rows for rare-earth codes into the raw store.

    Without a key (``RETRADE_COMTRADE_KEY`` or the config file) the keyless
    public preview is used (500 rows a call); with one, the data API
    (100,000 rows a call, 500 calls a day on a free key).

    Parameters
    ----------
    reporters, partners, flows, hs, periods, frequency
        See :func:`retrade.fetch.comtrade.request.build_request`.
    settings : Settings, optional
        Defaults to :func:`retrade.config.load_settings`.
    store : RawStore, optional
        Defaults to ``RawStore(settings.raw_dir)``.
    progress : bool
        Show a progress bar over the calls.
    count_first : bool
        Ask for the row count of a call whose size is not known (every
        partner) before fetching it, and split it if it is over the cap.
    availability : bool
        Ask the availability endpoint when each reporter-period was last
        released; skip unpublished ones and re-fetch stored ones released since.
        If the endpoint cannot be used (404, an unexpected answer), the fetch
        goes on without release dates and says so in a note.
    max_calls, max_minutes : optional
        Stop (resumably) after this many HTTP requests or minutes; default the
        settings' ``max_calls``/``max_minutes`` (none).
    budget : Budget, optional
        A cap shared with other fetches (overrides ``max_calls``/``max_minutes``).
    announce : callable, optional
        Receives the one-line plan (what, how many calls, about how long)
        before the first call; by default it is printed to stderr when
        ``progress`` is on.
    limits : Limits, optional
        Override the API limits (for mirrors with other terms, and tests).
    sleep : callable
        Used for pacing and backoff.

    Returns
    -------
    FetchReport
        Calls made and skipped, rows written, and whether the quota stopped the fetch.

    Examples
    --------
    >>> fetch_comtrade(reporters="CHN", hs="compounds", periods="2099")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: period '2099': year 2099 is outside 1962-...
    """
    check_max_calls(max_calls)  # refused before any call
    settings = settings or load_settings()
    store = store or RawStore(settings.raw_dir)
    request = build_request(
        reporters=reporters, partners=partners, flows=flows, hs=hs, periods=periods,
        frequency=frequency, known_reporters=known_reporters(store),
    )
    budget = budget if budget is not None else Budget.from_settings(
        settings, max_calls=max_calls, max_minutes=max_minutes)
    client = ComtradeClient(settings, sleep=sleep)
    try:
        run = _Fetch(client, store, limits or client.limits, count_first=count_first)
        planned = run.estimate(request, availability=availability,
                               min_interval=settings.min_interval)
        text = f"{describe_request(request, keyed=client.keyed)}: {planned.describe()}"
        if announce is not None:
            announce(text)
        elif progress:
            Console(stderr=True).print(f"UN Comtrade plan: {text}", highlight=False)
        return run.execute(request, availability=availability, progress=progress,
                           budget=budget, planned=(text, planned))
    finally:
        client.close()


def estimate_comtrade(
    *,
    reporters: str | int | Iterable[str | int],
    partners: str | int | Iterable[str | int] | None = "all",
    flows: str | Iterable[str] = ("M", "X"),
    hs: str | Iterable[str] | None = None,
    periods: str | int | Iterable[str | int],
    frequency: str = "A",
    settings: Settings | None = None,
    store: RawStore | None = None,
    count_first: bool = True,
    availability: bool = True,
    limits: Limits | None = None,
) -> tuple[str, Estimate]:
    """What :func:`fetch_comtrade` with these options would fetch and cost, without any call.

    Returns the one-line description it prints before its first call and the
    :class:`~retrade.fetch.comtrade.planner.Estimate` behind it.

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> s = load_settings(data_dir=tempfile.mkdtemp(), min_interval=1.0)
    >>> text, cost = estimate_comtrade(reporters="CHN", flows="X", hs="all",
    ...                                periods="2010-2025", settings=s)
    >>> cost.units, cost.availability_calls, cost.calls > 10
    (16, 2, True)
    """
    settings = settings or load_settings()
    store = store or RawStore(settings.raw_dir)
    request = build_request(
        reporters=reporters, partners=partners, flows=flows, hs=hs, periods=periods,
        frequency=frequency, known_reporters=known_reporters(store),
    )
    client = ComtradeClient(settings)
    try:
        run = _Fetch(client, store, limits or client.limits, count_first=count_first)
        cost = run.estimate(request, availability=availability,
                            min_interval=settings.min_interval)
        return f"{describe_request(request, keyed=client.keyed)}: {cost.describe()}", cost
    finally:
        client.close()


def describe_request(request: ComtradeRequest, *, keyed: bool) -> str:
    """What a request asks for, in words (for the plan shown before a fetch).

    Examples
    --------
    >>> r = build_request(reporters="CHN", flows="X", hs="metals", periods="2010-2025")
    >>> describe_request(r, keyed=False)
    'keyless preview (500 rows a call): CHN exports to all partners, HS 280530, annual 2010-2025'
    """
    names = [comtrade_to_iso3(r) or str(r) for r in request.reporters]
    flows = " and ".join(f"{FLOW_CODES[f]}s" for f in request.flows)
    partners = "all partners" if request.partners is None else ", ".join(
        comtrade_to_iso3(p) or str(p) for p in request.partners)
    periods = request.periods[0] if len(request.periods) == 1 else \
        f"{request.periods[0]}-{request.periods[-1]}"
    mode = "data API (key)" if keyed else "keyless preview (500 rows a call)"
    frequency = "annual" if request.frequency == "A" else "monthly"
    return (f"{mode}: {','.join(names)} {flows} {'to' if request.flows == ('X',) else 'with'} "
            f"{partners}, HS {','.join(request.cmds)}, {frequency} {periods}")


class _Fetch:
    """One fetch: the client, the store, the limits and the manifest state."""

    def __init__(self, client: ComtradeClient, store: RawStore, limits: Limits, *,
                 count_first: bool):
        self.client, self.store, self.limits = client, store, limits
        self.count_first = count_first
        self.released: dict[Unit, datetime | None] | None = None
        self.state = StoreState.from_entries(store.entries(SOURCE))

    def estimate(self, request: ComtradeRequest, *, availability: bool,
                 min_interval: float) -> Estimate:
        """The cost of ``request`` from what the store holds, before any call."""
        stem = base_call(request, endpoint=self.client.endpoint).stem
        calls = plan(request, endpoint=self.client.endpoint, limits=self.limits,
                     skip=lambda r, p: self.state.unit_done((r, p), stem),
                     use_estimates=not self.count_first)
        pending = [c for c in calls if not self._call_done(c)]
        wanted = {u for c in pending for u in c.units()}
        stored = [u for u in _units(request) if u not in wanted]
        probes = len(self._availability_pieces(request)) if availability else 0
        return estimate(pending, limits=self.limits, units=len(_units(request)),
                        stored=len(stored), availability_calls=probes,
                        count_first=self.count_first, min_interval=min_interval)

    def _call_done(self, call: Call) -> bool:
        """Whether every reporter-period of ``call`` is stored for its slice, and fresh."""
        return all(self.state.unit_done(u, call.stem, self._released(u)) for u in call.units())

    def execute(self, request: ComtradeRequest, *, availability: bool, progress: bool,
                budget: Budget, planned: tuple[str, Estimate]) -> FetchReport:
        text, cost = planned
        reason = budget.stop_reason()
        if reason is not None:  # the cap leaves no call for this fetch
            return self._report(0, 0, 0, 0, reason, budget.message(reason, cost.calls), (), text)
        notes: list[str] = []
        if availability:
            self.released, note = self._availability_or_note(request)
            budget.charge(self.client.calls)
            notes += [note] if note else []
        calls = self._plan(request)
        notes += self._unit_notes(request, calls)
        outcome = run_queue([Task(c) for c in calls], self._step,
                            describe=lambda t: t.call.describe(),
                            progress=progress, budget=budget)
        if outcome.files:
            done = compact(self.store, SOURCE, key=V1_KEY)
            if done.changed:
                notes.append(f"compacted the store: {len(done.removed)} superseded file(s) "
                             f"removed, {len(done.rewritten)} rewritten ({done.rows_before:,} "
                             f"rows on disk -> {done.rows_after:,})")
        return self._report(outcome.calls_done, outcome.calls_skipped, outcome.rows,
                            outcome.files, outcome.stopped, outcome.message, tuple(notes), text)

    def _report(self, done: int, skipped: int, rows: int, files: int, stopped: str | None,
                message: str, notes: tuple[str, ...], planned: str) -> FetchReport:
        return FetchReport(source=SOURCE, requests=self.client.calls, calls_done=done,
                           calls_skipped=skipped, rows_written=rows, files_written=files,
                           stopped=stopped, message=message, notes=notes, planned=planned)

    def _unit_notes(self, request: ComtradeRequest, calls: list[Call]) -> list[str]:
        """Reporter-periods not published, and those stored and fresh (each counted once)."""
        units = _units(request)
        wanted = {u for call in calls if not self._call_done(call) for u in call.units()}
        unpublished = [] if self.released is None else [u for u in units
                                                        if u not in self.released]
        fresh = [u for u in units if u not in wanted and u not in unpublished]
        notes = []
        if unpublished:
            notes.append(f"{len(unpublished)} reporter-period(s) not published: "
                         f"{_show_units(unpublished)}")
        if fresh:
            notes.append(f"{len(fresh)} reporter-period(s) already stored and up to date")
        return notes

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, request: ComtradeRequest) -> list[Call]:
        stem = base_call(request, endpoint=self.client.endpoint).stem

        def skip(r: int, p: str) -> bool:
            if self.released is not None and (r, p) not in self.released:
                return True
            return self.state.unit_done((r, p), stem, self._released((r, p)))

        return plan(request, endpoint=self.client.endpoint, limits=self.limits, skip=skip,
                    use_estimates=not self.count_first)

    def _released(self, unit: Unit) -> datetime | None:
        return None if self.released is None else self.released.get(unit)

    def _availability_pieces(self, request: ComtradeRequest) -> list[Call]:
        probe = Call("data", request.frequency, request.reporters, request.periods, (), (), ())
        return fit(probe, self.limits, use_estimates=False)

    def _availability_or_note(
        self, request: ComtradeRequest
    ) -> tuple[dict[Unit, datetime | None] | None, str]:
        """Release dates per unit, or ``None`` and why, when the endpoint cannot be used."""
        try:
            return self._availability(request), ""
        except (QuotaExhausted, RateLimited, ServerError):
            raise  # the data calls would meet the same: not a reason to go on without dates
        except FetchError as exc:
            reason = redact(f"{type(exc).__name__}: {exc}")
            return None, (f"the availability endpoint could not be used ({reason[:240]}); "
                          "fetched without release dates: stored reporter-periods are not "
                          "fetched again, and unpublished ones are asked for")

    def _availability(self, request: ComtradeRequest) -> dict[Unit, datetime | None]:
        released: dict[Unit, datetime | None] = {}
        known = _recorded_releases(self.store.entries(SOURCE))
        for piece in self._availability_pieces(request):
            answer = self.client.availability(
                type_code=request.type_code, frequency=request.frequency,
                classification=request.classification, reporters=piece.reporters,
                periods=piece.periods,
            )
            for row in answer.rows:
                unit, when = _released_row(row, answer.url)
                dates = [d for d in (when, released.get(unit)) if d is not None]
                released[unit] = max(dates) if dates else None
            seen = {f"{r}/{p}": None if (w := released[(r, p)]) is None else w.isoformat()
                    for (r, p) in piece.units() if (r, p) in released}
            if any(known.get(k, "unknown") != v for k, v in seen.items()):
                self._record([], query={"availability": piece.describe()}, sha=answer.sha256,
                             status="availability",
                             coverage={"kind": "availability", "released": seen})
        return released

    # -- one call ---------------------------------------------------------------------------
    def _step(self, task: Task) -> StepResult[Task]:
        before = self.client.calls
        call = task.call
        if self._call_done(call):
            return StepResult(skipped=True)
        result = self._counted(task) if self._needs_count(task) else None
        if result is None:
            result = self._fetch(call, task.expected)
        return StepResult(requests=self.client.calls - before, rows=result.rows,
                          files=result.files, children=result.children)

    def _needs_count(self, task: Task) -> bool:
        rows, exact = task.call.bound(self.limits)
        if not self.count_first or (exact and rows <= self.limits.max_records):
            return False
        if rows <= _FILL * self.limits.max_records:
            return False  # even the generous estimate fits; a cut-off answer would be detected
        return task.expected is None or task.expected > _FILL * self.limits.max_records

    def _counted(self, task: Task) -> StepResult[Task] | None:
        """Ask the count; split when over the cap, record an empty answer, or go on to fetch."""
        call, cap = task.call, self.limits.max_records
        count = self.client.count(call, max_records=cap)
        self._record([], query=self._query(call, count_only=True), sha="", status="count",
                     coverage={"kind": "count", "call": call.key, "count": count})
        if count == 0:
            self._record([], query=self._query(call), sha="", coverage=self._coverage(call))
            return StepResult()
        if count <= _FILL * cap:
            return None
        return StepResult(children=self._split(call, math.ceil(count / (_FILL * cap)), count))

    def _fetch(self, call: Call, expected: int | None = None) -> StepResult[Task]:
        cap = self.limits.max_records
        answer = self.client.data(call, max_records=cap)
        if len(answer.rows) >= cap or answer.count > len(answer.rows):
            self._record([], query=self._query(call), sha=answer.sha256, status="truncated",
                         coverage={"kind": "truncated", "call": call.key, "count": answer.count})
            pieces = max(2, math.ceil(answer.count / (_FILL * cap)))
            return StepResult(children=self._split(call, pieces, _size(answer, expected)))
        table = v1_table(answer.rows, where=answer.url)
        parts, empty = self._parts(call, table, answer)
        entry = self._record(parts, query=self._query(call), sha=answer.sha256,
                             coverage=self._coverage(call))
        self._retire(empty, reason=f"no rows any more in {entry.entry_id}")
        return StepResult(rows=table.num_rows, files=len(parts))

    def _split(self, call: Call, parts: int, count: int | None) -> tuple[Task, ...]:
        children = split(call, parts)
        if children == [call]:
            raise FetchError(
                f"{call.describe()}: the answer has more rows than one call may return "
                f"({self.limits.max_records}) and the query cannot be split further"
            )
        finer = [
            {"unit": [r, p], "stem": call.stem,
             "children": sorted({c.stem for c in children if (r, p) in c.units()})}
            for r, p in call.units()
        ]
        if any(s["children"] != [call.stem] for s in finer):
            self._record([], query=self._query(call), sha="", status="split",
                         coverage={"kind": "split", "splits": finer})
        expected = None if count is None else math.ceil(count / len(children))
        return tuple(Task(c, expected) for c in children)

    # -- storing ----------------------------------------------------------------------------
    def _parts(self, call: Call, table: pa.Table, answer: Answer) -> tuple[list[Part], list[str]]:
        asked = set(call.units())
        if table.num_rows:
            got = set(zip(table["reporterCode"].to_pylist(), table["period"].to_pylist(),
                          strict=True))
            if got - asked:
                raise ResponseError(f"{answer.url}: answered reporter-periods that were not asked: "
                                    f"{_show_units(sorted(got - asked))}")
        pieces = split_by_unit(table)
        parts, empty = [], []
        for r, p in call.units():
            partition = {"freq": call.frequency, "reporter": str(r), "period": p}
            part = Part(partition, call.stem, pieces.get((r, p), pa.table({})))
            if (r, p) in pieces:
                parts.append(part)
            else:
                empty.append(part.relpath())
        return parts, empty

    def _retire(self, paths: list[str], *, reason: str) -> None:
        live = live_files(self.store.entries(SOURCE))
        stale = [p for p in paths if p in live]
        if stale:
            self.store.remove(SOURCE, stale, reason=reason)

    def _record(self, parts: list[Part], *, query: dict[str, Any], sha: str,
                coverage: dict[str, Any], status: str = "ok"):
        entry = self.store.write(SOURCE, parts, query=query, content_sha256=sha,
                                 coverage=coverage, status=status)
        self.state = StoreState.from_entries(self.store.entries(SOURCE))
        return entry

    def _query(self, call: Call, *, count_only: bool = False) -> dict[str, Any]:
        params = call.params(max_records=self.limits.max_records, count_only=count_only)
        return {"path": call.path, "params": params}

    def _coverage(self, call: Call) -> dict[str, Any]:
        released = {f"{r}/{p}": w.isoformat() for (r, p) in call.units()
                    if (w := self._released((r, p))) is not None}
        return {"kind": "data", "call": call.key, "stem": call.stem,
                "units": [[r, p] for r, p in call.units()], "released": released}


def read_comtrade(store: RawStore, **where: Any):
    """All stored Comtrade rows, de-duplicated on the v1 observation key (newest wins)."""
    return store.read(SOURCE, key=list(V1_KEY), where=where or None)


def split_by_unit(table: pa.Table) -> dict[Unit, pa.Table]:
    """The rows of each reporter-period, in one sort (not one scan per unit)."""
    if not table.num_rows:
        return {}
    ordered = table.sort_by([("reporterCode", "ascending"), ("period", "ascending")])
    r = ordered["reporterCode"].to_numpy()
    p = ordered["period"].to_numpy(zero_copy_only=False)
    starts = [0, *(np.flatnonzero((r[1:] != r[:-1]) | (p[1:] != p[:-1])) + 1), len(r)]
    return {(int(r[a]), str(p[a])): ordered.slice(a, b - a)
            for a, b in zip(starts, starts[1:], strict=False)}


def _size(answer: Answer, expected: int | None) -> int | None:
    """What a cut-off answer tells of its call's size, for the pieces it is split into.

    An envelope ``count`` above the rows is the size. Otherwise the call holds
    at least the rows received; where an earlier count led to expect a size,
    the larger of the two is the best guess (a piece that turns out larger is
    cut off and split again). With neither, ``None``: the pieces are counted.

    Examples
    --------
    >>> a = Answer(count=500, rows=[{}] * 500, sha256="", url="")
    >>> _size(a, None), _size(a, 420), _size(Answer(1234, [{}] * 500, "", ""), None)
    (None, 500, 1234)
    """
    if answer.count > len(answer.rows):
        return answer.count
    return None if expected is None else max(expected, len(answer.rows))


def _released_row(row: dict[str, Any], url: str) -> tuple[Unit, datetime | None]:
    """The unit of an availability row and its release date (``None`` if the row has none).

    The date is the first of :data:`RELEASE_FIELDS` the row holds (docs/fetch.md).
    """
    try:
        unit = (int(row["reporterCode"]), str(row["period"]))
    except (KeyError, TypeError, ValueError):
        raise ResponseError(f"{url}: availability row without reporterCode/period: "
                            f"{dict(list(row.items())[:6])}") from None
    for name in RELEASE_FIELDS:
        if row.get(name):
            try:
                return unit, parse_time(row[name])
            except (TypeError, ValueError):
                continue
    return unit, None


def _recorded_releases(entries) -> dict[str, str | None]:
    """The release dates the manifest's availability entries hold, latest first-come."""
    known: dict[str, str | None] = {}
    for entry in entries:
        if entry.status == "availability":
            known.update(entry.coverage.get("released", {}))
    return known


def _units(request: ComtradeRequest) -> list[Unit]:
    return [(r, p) for r in request.reporters for p in request.periods]


def _show_units(units: list[Unit]) -> str:
    shown = ", ".join(f"{r}/{p}" for r, p in units[:8])
    return shown + (f" ... ({len(units)} in all)" if len(units) > 8 else "")
