"""A small run loop shared by the fetchers: a queue of calls, progress, and a clean stop.

A fetcher hands :func:`run_queue` its planned tasks and a ``step`` function
that performs one task (and may ask for more, e.g. the halves of a call whose
answer was cut off). The loop shows progress with :mod:`rich` (disabled with
``progress=False`` for notebooks and tests), stops cleanly when the daily quota
is used up or a call budget is reached, and returns the totals. Everything a
step stored before a stop or an error stays stored: the next run resumes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from retrade.config import check_max_calls, redact
from retrade.errors import QuotaExhausted

T = TypeVar("T")


@dataclass(frozen=True)
class StepResult(Generic[T]):
    """What one step did: requests sent, rows and files stored, and follow-up tasks."""

    requests: int = 0
    rows: int = 0
    files: int = 0
    skipped: bool = False
    children: tuple[T, ...] = ()


@dataclass(frozen=True)
class FetchReport:
    """What a fetch did.

    Attributes
    ----------
    source : str
        Store folder (``comtrade``, ``census``).
    requests : int
        HTTP requests sent, retries included.
    calls_done : int
        Planned calls carried out.
    calls_skipped : int
        Planned calls not needed (already stored and fresh, or not published).
    rows_written, files_written : int
        What went into the store.
    stopped : str or None
        ``"quota"`` (daily quota used up) or ``"budget"`` (``max_calls``
        reached); ``None`` when the fetch completed.
    message : str
        The reason for a stop, or a one-line summary.
    notes : tuple of str
        Things worth knowing (units not yet published, rows kept out ...).
    """

    source: str
    requests: int
    calls_done: int
    calls_skipped: int
    rows_written: int
    files_written: int
    stopped: str | None = None
    message: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def stopped_by_quota(self) -> bool:
        return self.stopped == "quota"

    @property
    def complete(self) -> bool:
        return self.stopped is None

    def summary(self) -> str:
        """One paragraph for the CLI and notebooks."""
        state = "complete" if self.complete else f"STOPPED ({self.stopped}): {self.message}"
        lines = [
            f"{self.source}: {state}",
            f"  calls made {self.calls_done}, skipped {self.calls_skipped}, "
            f"HTTP requests {self.requests}; rows written {self.rows_written} "
            f"in {self.files_written} file(s)",
            *(f"  note: {n}" for n in self.notes),
        ]
        return "\n".join(lines)


@dataclass
class _Totals:
    requests: int = 0
    done: int = 0
    skipped: int = 0
    rows: int = 0
    files: int = 0


@dataclass(frozen=True)
class RunOutcome:
    """Totals of a run and why it stopped, if it did."""

    requests: int
    calls_done: int
    calls_skipped: int
    rows: int
    files: int
    stopped: str | None
    message: str


def run_queue(
    tasks: Iterable[T],
    step: Callable[[T], StepResult[T]],
    *,
    describe: Callable[[T], str],
    progress: bool = True,
    max_calls: int | None = None,
    console: Console | None = None,
) -> RunOutcome:
    """Run ``step`` over ``tasks`` (and the tasks steps add) in order.

    :class:`~retrade.errors.QuotaExhausted` ends the run with
    ``stopped="quota"``; reaching ``max_calls`` requests ends it with
    ``stopped="budget"``. Any other error propagates after what was stored
    stays stored.
    """
    check_max_calls(max_calls)
    queue = deque(tasks)
    totals = _Totals()
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console or Console(stderr=True), disable=not progress, transient=False,
    )
    stopped, message = None, ""
    with bar:
        job = bar.add_task("fetching", total=len(queue))
        while queue:
            if max_calls is not None and totals.requests >= max_calls:
                stopped = "budget"
                message = (f"reached max_calls={max_calls} with {len(queue)} call(s) left; "
                           "run the same command again to continue")
                break
            task = queue.popleft()
            bar.update(job, description=redact(describe(task))[:60])
            try:
                result = step(task)
            except QuotaExhausted as exc:
                stopped, message = "quota", str(exc)
                break
            _add(totals, result)
            queue.extendleft(reversed(result.children))
            total = (bar.tasks[0].total or 0) + len(result.children)
            bar.update(job, total=total, advance=1)
    return RunOutcome(totals.requests, totals.done, totals.skipped, totals.rows, totals.files,
                      stopped, message)


def _add(totals: _Totals, result: StepResult) -> None:
    totals.requests += result.requests
    totals.rows += result.rows
    totals.files += result.files
    if result.skipped:
        totals.skipped += 1
    elif not result.children:
        totals.done += 1
