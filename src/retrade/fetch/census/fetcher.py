"""Fetch US Census Bureau monthly trade rows into ``data/raw/census/``.

Each answer is validated and written atomically, one Parquet file per
flow-month and commodity slice:
``census/dataset=<hs|porths>/flow=<imports|exports>/period=<YYYY-MM>/<stem>.parquet``,
with every value kept as the string the API sent, under the API's own
column names. Each call has a manifest entry (query without key, time, rows,
body hash, flow-months covered).

Incremental rule: a stored month is fetched again only once the annual
revision that covers it has been published. Census revises the previous
year's months with the April statistics, released in early June; retrade
counts a month of year Y as revised on July 1 of Y+1 (:data:`REVISION_DAY`,
a few weeks after the usual release date, so that a fetch in between does not
take the unrevised months for revised ones).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import pyarrow as pa
from rich.console import Console

from retrade.config import Settings, check_max_calls, load_settings
from retrade.errors import ResponseError
from retrade.fetch.census.client import CensusClient, Table
from retrade.fetch.census.planner import CensusCall, commodity_field, key_columns, plan
from retrade.fetch.census.request import FLOWS, build_census_request
from retrade.fetch.runner import CALL_SECONDS, Budget, FetchReport, StepResult, run_queue
from retrade.fetch.state import StoreState
from retrade.store import Part, RawStore
from retrade.store.manifest import live_files

SOURCE = "census"
REVISION_DAY = (7, 1)


def revised_after(month: str, fetched: datetime, now: datetime) -> bool:
    """Whether the annual revision covering ``month`` came out between ``fetched`` and ``now``.

    Examples
    --------
    >>> t = lambda s: datetime.fromisoformat(s).replace(tzinfo=UTC)
    >>> revised_after("2023-05", t("2023-07-01"), t("2024-07-01"))
    True
    >>> revised_after("2023-05", t("2024-07-01"), t("2025-01-01"))
    False
    """
    year = int(month[:4])
    revision = datetime(year + 1, *REVISION_DAY, tzinfo=UTC)
    return fetched < revision <= now


def fetch_census(
    *,
    flows: str | Iterable[str] = FLOWS,
    hs: str | Iterable[str] | None = None,
    periods: str | int | Iterable[str | int],
    dataset: str = "hs",
    variables: Iterable[str] | None = None,
    settings: Settings | None = None,
    store: RawStore | None = None,
    progress: bool = True,
    max_calls: int | None = None,
    max_minutes: float | None = None,
    budget: Budget | None = None,
    announce: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> FetchReport:
    """Fetch monthly US imports and/or exports of rare-earth lines by country.

    Parameters
    ----------
    flows : str or list
        ``imports``, ``exports`` or both (default).
    hs : str or list, optional
        Catalog HS6 codes, headings or stages (all core codes by default); the
        ``hs`` dataset returns their HS10 lines.
    periods : str, int or list
        Months: ``"2024-03"``, ``"2023-01:2023-12"``, or a year for its twelve months.
    dataset : {"hs", "porths"}
        By country (``hs``) or by country and US port (``porths``, no HS10 detail).
    variables : list of str, optional
        The ``get`` list (exact Census names, e.g. year-to-date ``GEN_VAL_YR``);
        by default the monthly values, quantities and weights listed in
        :data:`retrade.fetch.census.planner.GET`.
    settings, store, progress, max_calls, max_minutes, budget, announce, sleep
        As for :func:`retrade.fetch.comtrade.fetch_comtrade`.
    now : datetime, optional
        The time used by the revision rule (tests fix it).

    Examples
    --------
    >>> fetch_census(hs="compounds", periods="2009-12")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: period '2009-12': the Census monthly API starts at 2010-01
    """
    check_max_calls(max_calls)  # refused before any call
    settings = settings or load_settings()
    store = store or RawStore(settings.raw_dir)
    request = build_census_request(flows=flows, hs=hs, periods=periods, dataset=dataset,
                                   variables=variables)
    now = now or datetime.now(UTC)
    state = StoreState.from_entries(store.entries(SOURCE))

    def skip(flow: str, code: str, month: str) -> bool:
        stem = CensusCall(dataset, flow, code, (month,), request.variables).stem
        fetched = state.fetched_at((flow, month), stem)
        return fetched is not None and not revised_after(month, fetched, now)

    calls = plan(request, skip=skip)
    wanted = len(request.flows) * len(request.codes) * len(request.months)
    covered = sum(len(c.months) for c in calls)
    planned = (f"US Census {request.dataset}: {', '.join(request.flows)} of HS "
               f"{','.join(request.codes)}, {request.months[0]}..{request.months[-1]}: "
               f"{wanted} flow-line-month(s), {wanted - covered} already stored; "
               f"{len(calls)} call(s), about "
               f"{len(calls) * max(settings.min_interval, CALL_SECONDS):.0f} s")
    if announce is not None:
        announce(planned)
    elif progress:
        Console(stderr=True).print(f"US Census plan: {planned}", highlight=False)
    budget = budget if budget is not None else Budget.from_settings(
        settings, max_calls=max_calls, max_minutes=max_minutes)
    client = CensusClient(settings, sleep=sleep)
    try:
        outcome = run_queue(calls, lambda call: _step(client, store, call),
                            describe=CensusCall.describe, progress=progress, budget=budget)
    finally:
        client.close()
    notes = (f"{wanted - covered} flow-month slice(s) already stored and not revised since",) \
        if covered < wanted else ()
    return FetchReport(
        source=SOURCE, requests=client.calls, calls_done=outcome.calls_done,
        calls_skipped=outcome.calls_skipped, rows_written=outcome.rows,
        files_written=outcome.files, stopped=outcome.stopped, message=outcome.message,
        notes=notes, planned=planned,
    )


def _step(client: CensusClient, store: RawStore, call: CensusCall) -> StepResult[CensusCall]:
    before = client.calls
    answer = client.get(call)
    by_month = _rows_by_month(answer, call)
    parts: list[Part] = []
    gone: list[Part] = []
    for month in call.months:
        partition = {"dataset": call.dataset, "flow": call.flow, "period": month}
        rows = by_month.get(month)
        part = Part(partition, call.stem, _arrow(answer.header, rows or []))
        (parts if rows else gone).append(part)
    entry = store.write(
        SOURCE, parts, query={"path": call.path, "params": call.params()},
        content_sha256=answer.sha256,
        coverage={"kind": "data", "stem": call.stem, "units": [list(u) for u in call.units()]},
    )
    live = live_files(store.entries(SOURCE))
    stale = [p.relpath() for p in gone if p.relpath() in live]
    if stale:
        store.remove(SOURCE, stale, reason=f"no rows any more in {entry.entry_id}")
    return StepResult(requests=client.calls - before, rows=len(answer.rows), files=len(parts))


def _rows_by_month(answer: Table, call: CensusCall) -> dict[str, list[list[str | None]]]:
    if not answer.rows:
        return {}
    t = answer.header.index("time")
    c = answer.header.index(commodity_field(call.flow))
    out: dict[str, list[list[str | None]]] = {}
    for row in answer.rows:
        month, code = row[t], row[c] or ""
        if month not in call.months or not code.startswith(call.code):
            raise ResponseError(
                f"{answer.url}: answered {commodity_field(call.flow)}={code!r} for {month!r}, "
                f"which was not asked ({call.code}, {call.months[0]}..{call.months[-1]})"
            )
        out.setdefault(month, []).append(row)
    return out


def _arrow(header: tuple[str, ...], rows: list[list[str | None]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    return pa.table({name: pa.array(values, type=pa.string())
                     for name, values in zip(header, columns, strict=True)})


def read_census(store: RawStore, *, flow: str, dataset: str = "hs"):
    """Stored Census rows of one flow and dataset, de-duplicated on their key (newest wins)."""
    return store.read(SOURCE, key=key_columns(dataset, flow),
                      where={"dataset": dataset, "flow": flow})
