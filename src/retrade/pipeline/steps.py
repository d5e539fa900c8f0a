"""Timing and progress for the pipeline's steps.

Each step (fetch, build, one analysis, write) is timed with
:func:`time.perf_counter` and, when progress is on, shown on stderr with
:mod:`rich`: a spinner with the step's name (and what it is doing now) while
it runs, then one line with its outcome and wall time. The fetch step shows
the fetchers' own progress bars instead of a spinner (rich allows one live
display at a time).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from retrade.config import redact


@dataclass(frozen=True)
class StepTiming:
    """One step: its name, when it started (seconds from the run's start), its wall time and the
    process's CPU time in it (all threads), the process's peak resident memory at its end (MiB;
    a running maximum), and its outcome."""

    name: str
    started: float
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    outcome: str


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB (``getrusage``; NaN on Windows).

    The :mod:`resource` module exists on Unix only; on Windows the timings
    carry no memory figure instead of the import breaking the pipeline.
    """
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class Steps:
    """Runs the pipeline's steps under a spinner and records a :class:`StepTiming` for each."""

    def __init__(self, *, progress: bool, console: Console | None = None):
        self.progress = progress
        self.console = console or Console(stderr=True)
        self.timings: list[StepTiming] = []
        self._origin = time.perf_counter()
        self._status: Status | None = None

    @contextlib.contextmanager
    def step(self, name: str, *, live: bool = True) -> Iterator[StepRecord]:
        """Time the block as step ``name``; ``live=False`` prints a line instead of a spinner."""
        record = StepRecord()
        start, cpu = time.perf_counter(), time.process_time()
        with self._display(name, live):
            try:
                yield record
            except BaseException:
                record.outcome = record.outcome if record.outcome != "ok" else "error"
                raise
            finally:
                seconds = time.perf_counter() - start
                self.timings.append(StepTiming(name, start - self._origin, seconds,
                                               time.process_time() - cpu, peak_rss_mib(),
                                               record.outcome))
                self._done(name, record.outcome, seconds)

    def note(self, text: str) -> None:
        """Show what the current step is doing (e.g. which series it is backtesting)."""
        if self._status is not None:
            self._status.update(escape(redact(text)[:100]))

    @contextlib.contextmanager
    def _display(self, name: str, live: bool) -> Iterator[None]:
        if not self.progress:
            yield
            return
        if not live:
            self.console.print(f"[bold]{name}[/] ...", highlight=False)
            yield
            return
        with self.console.status(f"{name} ...") as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def _done(self, name: str, outcome: str, seconds: float) -> None:
        if not self.progress:
            return
        mark = {"ok": "[green]ok[/]", "failed": "[red]FAILED[/]", "error": "[red]ERROR[/]"}.get(
            outcome, f"[yellow]{outcome}[/]")
        self.console.print(f"  {name}: {mark} ({seconds:.1f} s)", highlight=False)


class StepRecord:
    """What a step says about itself (``outcome``: ok, failed, needs_data, skipped ...)."""

    def __init__(self) -> None:
        self.outcome = "ok"
