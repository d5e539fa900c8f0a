"""Fetch UN Comtrade rows into the raw store: plan, skip what is done, call, validate, store.

Each data call's answer is validated (:func:`retrade.catalog.comtrade_v1.v1_table`)
and written atomically to
``data/raw/comtrade/freq=<A|M>/reporter=<code>/period=<p>/<stem>.parquet``
with one manifest entry per call (query without key, time, rows, body hash,
and the reporter-periods covered). Count, availability and split decisions
are manifest entries too, so a fetch stopped anywhere resumes where it stopped.
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

from retrade.catalog.comtrade_v1 import V1_KEY, v1_table
from retrade.config import Settings, check_max_calls, load_settings
from retrade.errors import FetchError, ResponseError
from retrade.fetch.comtrade.client import Answer, ComtradeClient
from retrade.fetch.comtrade.planner import Call, Limits, base_call, fit, plan, split
from retrade.fetch.comtrade.reference import known_reporters
from retrade.fetch.comtrade.request import ComtradeRequest, build_request
from retrade.fetch.runner import FetchReport, StepResult, run_queue
from retrade.fetch.state import StoreState, Unit, parse_time
from retrade.store import Part, RawStore
from retrade.store.manifest import live_files

SOURCE = "comtrade"
# a count above this share of the cap is split before fetching, leaving room for error
_FILL = 0.9


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
    max_calls : int, optional
        Stop (resumably) after this many HTTP requests.
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
    client = ComtradeClient(settings, sleep=sleep)
    try:
        run = _Fetch(client, store, limits or client.limits, count_first=count_first)
        return run.execute(request, availability=availability, progress=progress,
                           max_calls=max_calls)
    finally:
        client.close()


class _Fetch:
    """One fetch: the client, the store, the limits and the manifest state."""

    def __init__(self, client: ComtradeClient, store: RawStore, limits: Limits, *,
                 count_first: bool):
        self.client, self.store, self.limits = client, store, limits
        self.count_first = count_first
        self.released: dict[Unit, datetime] | None = None
        self.state = StoreState.from_entries(store.entries(SOURCE))

    def execute(self, request: ComtradeRequest, *, availability: bool, progress: bool,
                max_calls: int | None) -> FetchReport:
        notes: list[str] = []
        if availability:
            self.released = self._availability(request)
            unpublished = [u for u in _units(request) if u not in self.released]
            if unpublished:
                notes.append(f"{len(unpublished)} reporter-period(s) not published: "
                             f"{_show_units(unpublished)}")
        calls = self._plan(request)
        skipped = len(_units(request)) - sum(len(c.units()) for c in calls)
        if skipped:
            notes.append(f"{skipped} reporter-period(s) already stored and up to date")
        outcome = run_queue([Task(c) for c in calls], self._step,
                            describe=lambda t: t.call.describe(),
                            progress=progress, max_calls=max_calls)
        return FetchReport(
            source=SOURCE, requests=self.client.calls, calls_done=outcome.calls_done,
            calls_skipped=outcome.calls_skipped, rows_written=outcome.rows,
            files_written=outcome.files, stopped=outcome.stopped, message=outcome.message,
            notes=tuple(notes),
        )

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

    def _availability(self, request: ComtradeRequest) -> dict[Unit, datetime]:
        released: dict[Unit, datetime] = {}
        probe = Call("data", request.frequency, request.reporters, request.periods, (), (), ())
        for piece in fit(probe, self.limits, use_estimates=False):
            answer = self.client.availability(
                type_code=request.type_code, frequency=request.frequency,
                classification=request.classification, reporters=piece.reporters,
                periods=piece.periods,
            )
            for row in answer.rows:
                unit, when = _released_row(row, answer.url)
                released[unit] = max(when, released.get(unit, when))
            self._record([], query={"availability": piece.describe()}, sha=answer.sha256,
                         status="availability",
                         coverage={"kind": "availability",
                                   "released": {f"{r}/{p}": w.isoformat() for (r, p), w
                                                in released.items() if (r, p) in piece.units()}})
        return released

    # -- one call ---------------------------------------------------------------------------
    def _step(self, task: Task) -> StepResult[Task]:
        before = self.client.calls
        call = task.call
        if all(self.state.unit_done(u, call.stem, self._released(u)) for u in call.units()):
            return StepResult(skipped=True)
        result = self._counted(task) if self._needs_count(task) else None
        if result is None:
            result = self._fetch(call)
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

    def _fetch(self, call: Call) -> StepResult[Task]:
        cap = self.limits.max_records
        answer = self.client.data(call, max_records=cap)
        if len(answer.rows) >= cap or answer.count > len(answer.rows):
            self._record([], query=self._query(call), sha=answer.sha256, status="truncated",
                         coverage={"kind": "truncated", "call": call.key, "count": answer.count})
            pieces = max(2, math.ceil(answer.count / (_FILL * cap)))
            return StepResult(children=self._split(call, pieces, None))
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


def _released_row(row: dict[str, Any], url: str) -> tuple[Unit, datetime]:
    try:
        unit = (int(row["reporterCode"]), str(row["period"]))
        return unit, parse_time(row["lastReleased"])
    except (KeyError, TypeError, ValueError):
        raise ResponseError(f"{url}: availability row without reporterCode/period/lastReleased: "
                            f"{dict(list(row.items())[:6])}") from None


def _units(request: ComtradeRequest) -> list[Unit]:
    return [(r, p) for r in request.reporters for p in request.periods]


def _show_units(units: list[Unit]) -> str:
    shown = ", ".join(f"{r}/{p}" for r, p in units[:8])
    return shown + (f" ... ({len(units)} in all)" if len(units) > 8 else "")
