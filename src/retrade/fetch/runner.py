"""A small run loop shared by the fetchers: a queue of calls, progress, and a clean stop.

A fetcher hands :func:`run_queue` its planned tasks and a ``step`` function
that performs one task (and may ask for more, e.g. the halves of a call whose
answer was cut off). The loop shows progress with :mod:`rich` (disabled with
``progress=False`` for notebooks and tests), stops cleanly when the daily quota
is used up or a call budget is reached, and returns the totals. Everything a
step stored before a stop or an error stays stored: the next run resumes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from retrade.config import Settings, redact
from retrade.errors import ConfigError, QuotaExhausted

T = TypeVar("T")

# seconds a call typically takes, for the estimates shown before a fetch: a public preview
# answer takes 0.6-1.2 s on Comtrade's side (docs/fetch.md, "What is approximated")
CALL_SECONDS = 0.9


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
        ``"quota"`` (daily quota used up), ``"budget"`` (the cap on calls,
        ``max_calls``, reached) or ``"time"`` (the cap on minutes,
        ``max_minutes``, reached); ``None`` when the fetch completed.
    message : str
        The reason for a stop, or a one-line summary.
    notes : tuple of str
        Things worth knowing (units not yet published, rows kept out ...).
    planned : str
        What the fetch planned before its first call: what, how many calls,
        about how long.
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
    planned: str = ""

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
            *([f"  plan: {self.planned}"] if self.planned else []),
            f"  calls made {self.calls_done}, skipped {self.calls_skipped}, "
            f"HTTP requests {self.requests}; rows written {self.rows_written} "
            f"in {self.files_written} file(s)",
            *(f"  note: {n}" for n in self.notes),
        ]
        return "\n".join(lines)


@dataclass
class Budget:
    """What the fetches of one run may spend: HTTP requests and minutes.

    One budget can be shared by several fetches (the quarterly run's sources
    and legs): each charges the requests it sent, and the clock runs from the
    budget's creation. ``None`` means no cap.

    Examples
    --------
    >>> b = Budget(max_calls=3)
    >>> b.stop_reason(2) is None, b.stop_reason(3)
    (True, 'budget')
    >>> b.charge(2); b.calls_left
    1
    """

    max_calls: int | None = None
    max_minutes: float | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    spent: int = 0
    parent: Budget | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.max_calls is not None and (isinstance(self.max_calls, bool)
                                           or int(self.max_calls) != self.max_calls
                                           or self.max_calls < 0):
            raise ConfigError(f"max_calls must be a whole number >= 0, got {self.max_calls!r}")
        if self.max_minutes is not None and not self.max_minutes >= 0:
            raise ConfigError(f"max_minutes must be >= 0 minutes, got {self.max_minutes!r}")
        self.started = self.clock()

    @classmethod
    def from_settings(cls, settings: Settings, *, max_calls: int | None = None,
                      max_minutes: float | None = None) -> Budget:
        """The caps given, else those of the settings (``RETRADE_MAX_CALLS``, ``..._MINUTES``)."""
        return cls(settings.max_calls if max_calls is None else max_calls,
                   settings.max_minutes if max_minutes is None else max_minutes)

    def part(self, max_calls: int | None) -> Budget:
        """A budget for one part of a run: its own cap on calls, within this budget's caps.

        Examples
        --------
        >>> run = Budget(max_calls=10)
        >>> census = run.part(3)
        >>> census.charge(3); census.stop_reason(), run.calls_left
        ('budget', 7)
        """
        return Budget(max_calls, None, self.clock, parent=self)

    @property
    def calls_left(self) -> int | None:
        own = None if self.max_calls is None else max(0, self.max_calls - self.spent)
        above = None if self.parent is None else self.parent.calls_left
        return above if own is None else own if above is None else min(own, above)

    @property
    def minutes_left(self) -> float | None:
        own = None if self.max_minutes is None else max(
            0.0, self.max_minutes - (self.clock() - self.started) / 60)
        above = None if self.parent is None else self.parent.minutes_left
        return above if own is None else own if above is None else min(own, above)

    def describe(self) -> str:
        """What the caps still allow, in words ('' without a cap).

        Examples
        --------
        >>> Budget(max_calls=40).describe(), Budget().describe()
        ('at most 40 more call(s)', '')
        """
        parts = []
        if self.calls_left is not None:
            parts.append(f"at most {self.calls_left} more call(s)")
        if self.minutes_left is not None:
            parts.append(f"at most {self.minutes_left:.1f} more minute(s)")
        return " and ".join(parts)

    def charge(self, requests: int) -> None:
        """Count ``requests`` more HTTP requests against the cap (and the run's)."""
        self.spent += requests
        if self.parent is not None:
            self.parent.charge(requests)

    def stop_reason(self, pending: int = 0) -> str | None:
        """``"budget"`` or ``"time"`` if no further call may start, with ``pending`` uncharged."""
        if self._own_cap_reached(pending):
            return "budget"
        if self.max_minutes is not None and self.clock() - self.started >= 60 * self.max_minutes:
            return "time"
        return None if self.parent is None else self.parent.stop_reason(pending)

    def _own_cap_reached(self, pending: int) -> bool:
        return self.max_calls is not None and self.spent + pending >= self.max_calls

    def message(self, reason: str, left: int, pending: int = 0) -> str:
        """Why a fetch stopped, with the calls it left, and what to do."""
        own = (self._own_cap_reached(pending) if reason == "budget"
               else self.max_minutes is not None)
        if self.parent is not None and not own:
            return self.parent.message(reason, left, pending)
        if reason == "time":
            cap = (f"the cap of {self.max_minutes:g} minute(s) a run (max_minutes, "
                   "--max-minutes, RETRADE_MAX_MINUTES)")
        else:
            cap = (f"the cap of {self.max_calls} call(s) a run (max_calls, --max-calls, "
                   "RETRADE_MAX_CALLS)")
        return (f"stopped by {cap} with {left} planned call(s) left; what was fetched is "
                "stored: run the same command again to continue")


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
    budget: Budget | None = None,
    console: Console | None = None,
) -> RunOutcome:
    """Run ``step`` over ``tasks`` (and the tasks steps add) in order.

    :class:`~retrade.errors.QuotaExhausted` ends the run with
    ``stopped="quota"``; reaching the ``budget``'s cap on calls (or
    ``max_calls`` requests, without a budget) ends it with
    ``stopped="budget"``, its cap on minutes with ``stopped="time"``. The
    requests sent are charged to the budget. Any other error propagates after
    what was stored stays stored.
    """
    budget = budget if budget is not None else Budget(max_calls)
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
            reason = budget.stop_reason(totals.requests)
            if reason is not None:
                stopped, message = reason, budget.message(reason, len(queue), totals.requests)
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
    budget.charge(totals.requests)
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
