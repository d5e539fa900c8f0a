"""The query planner: a request becomes calls that each stay within the API's limits.

Everything here is pure: no network, no disk. The limits are data
(:class:`Limits`), so a change in the API's terms is a change of numbers.

A *unit* is one reporter-period: the API publishes, revises and reports
availability per reporter-period, so the store is partitioned by it and the
incremental logic reasons in units. A call covers a rectangle of units
(reporters x periods) for one *slice* of the other dimensions (partners, flows,
commodities). Splitting a call along periods or reporters keeps its slice;
splitting along commodities, flows or partners makes finer slices, each stored
in its own file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from retrade.errors import ConfigError
from retrade.fetch.comtrade.request import ComtradeRequest

Endpoint = Literal["preview", "data"]
ENDPOINTS: tuple[str, ...] = ("preview", "data")
# order in which a call that is too large is split
SPLIT_ORDER: tuple[str, ...] = ("periods", "reporters", "cmds", "flows", "partners")


@dataclass(frozen=True)
class Limits:
    """What one call may ask for.

    Attributes
    ----------
    max_records : int
        Rows one answer can hold; an answer with this many rows may be cut off.
    max_periods : int
        Periods one call may name.
    max_url : int
        Longest URL the API accepts, in characters.
    partners_estimate : int
        Rows to expect per reporter-period-flow-commodity when every partner
        is asked for (the partner count is unknown before asking).
    calls_per_day : int or None
        The daily call quota, where there is one (for planning only).
    """

    max_records: int
    max_periods: int = 12
    max_url: int = 4095
    partners_estimate: int = 250
    calls_per_day: int | None = None


PREVIEW_LIMITS = Limits(max_records=500)
KEYED_LIMITS = Limits(max_records=100_000, calls_per_day=500)


@dataclass(frozen=True)
class Call:
    """One planned call to a v1 data endpoint (``get`` or the public ``preview``)."""

    endpoint: str
    frequency: str
    reporters: tuple[int, ...]
    periods: tuple[str, ...]
    partners: tuple[int, ...] | None
    flows: tuple[str, ...]
    cmds: tuple[str, ...]
    type_code: str = "C"
    classification: str = "HS"
    partner2: int = 0
    mot: int = 0
    customs: str = "C00"

    @property
    def path(self) -> str:
        """The documented path: ``/data/v1/get/{typeCode}/{freqCode}/{clCode}`` or the preview."""
        root = "data/v1/get" if self.endpoint == "data" else "public/v1/preview"
        return f"/{root}/{self.type_code}/{self.frequency}/{self.classification}"

    def params(self, *, max_records: int, count_only: bool = False) -> dict[str, str]:
        """Query parameters with the API's names; empty ones are left out."""
        params = {
            "reporterCode": _join(self.reporters),
            "period": _join(self.periods),
            "partnerCode": _join(self.partners) if self.partners is not None else None,
            "partner2Code": str(self.partner2),
            "flowCode": _join(self.flows),
            "cmdCode": _join(self.cmds),
            "customsCode": self.customs,
            "motCode": str(self.mot),
            "maxRecords": str(max_records),
            "includeDesc": "true",
            "countOnly": "true" if count_only else None,
        }
        return {k: v for k, v in params.items() if v}

    def units(self) -> list[tuple[int, str]]:
        """The reporter-periods this call covers."""
        return [(r, p) for r in self.reporters for p in self.periods]

    @property
    def stem(self) -> str:
        """File stem of this call's slice: the same for every reporter-period it covers."""
        return "q" + _digest([self.type_code, self.classification, self.partners, self.flows,
                              self.cmds, self.partner2, self.mot, self.customs])

    @property
    def key(self) -> str:
        """Identity of the whole call (slice and units)."""
        return "c" + _digest([self.endpoint, self.frequency, self.stem, self.reporters,
                              self.periods])

    def bound(self, limits: Limits) -> tuple[int, bool]:
        """Most rows this call can return, and whether that bound is exact (partners named)."""
        partners = len(self.partners) if self.partners is not None else limits.partners_estimate
        rows = len(self.reporters) * len(self.periods) * len(self.flows) * len(self.cmds) * partners
        return rows, self.partners is not None

    def describe(self) -> str:
        """A short human label for progress bars and errors."""
        partners = "all" if self.partners is None else _join(self.partners)
        return (f"{self.frequency} r={_join(self.reporters)} p={partners} "
                f"{_join(self.flows)} {_join(self.cmds)} {_span(self.periods)}")


def _join(values: Iterable[object]) -> str:
    return ",".join(str(v) for v in values)


def _span(periods: Sequence[str]) -> str:
    return periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]} ({len(periods)})"


def _digest(parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def base_call(request: ComtradeRequest, *, endpoint: str) -> Call:
    """The whole request as one (usually too large) call."""
    if endpoint not in ENDPOINTS:
        raise ConfigError(f"endpoint must be one of {ENDPOINTS}, got {endpoint!r}")
    return Call(
        endpoint=endpoint, frequency=request.frequency, reporters=request.reporters,
        periods=request.periods, partners=request.partners, flows=request.flows,
        cmds=request.cmds, type_code=request.type_code, classification=request.classification,
        partner2=request.partner2, mot=request.mot, customs=request.customs,
    )


def plan(
    request: ComtradeRequest,
    *,
    endpoint: str,
    limits: Limits,
    skip: Callable[[int, str], bool] = lambda r, p: False,
    use_estimates: bool = True,
    url_length: Callable[[Call], int] | None = None,
) -> list[Call]:
    """Split ``request`` into calls that respect ``limits``, leaving out skipped units.

    Parameters
    ----------
    skip : callable
        ``skip(reporter, period)`` is true for units that need no call
        (already stored and fresh, or not published).
    use_estimates : bool
        Also split by the estimated size when partners are not named. With
        count-first fetching this is off: the count decides instead.
    url_length : callable, optional
        Length of a call's full URL; by default estimated from its parameters.
    """
    whole = base_call(request, endpoint=endpoint)
    by_reporter: dict[int, list[str]] = defaultdict(list)
    for r, p in whole.units():
        if not skip(r, p):
            by_reporter[r].append(p)
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for r, wanted in by_reporter.items():
        groups[tuple(wanted)].append(r)
    measure = url_length or _url_estimate
    calls: list[Call] = []
    for periods, reporters in sorted(groups.items()):
        for chunk in _chunks(list(periods), limits.max_periods):
            call = replace(whole, reporters=tuple(sorted(reporters)), periods=tuple(chunk))
            calls.extend(fit(call, limits, use_estimates=use_estimates, url_length=measure))
    return calls


def fit(
    call: Call,
    limits: Limits,
    *,
    use_estimates: bool = True,
    url_length: Callable[[Call], int] | None = None,
) -> list[Call]:
    """Split ``call`` until every piece is within the period, URL and row limits."""
    measure = url_length or _url_estimate
    rows, exact = call.bound(limits)
    too_many_rows = rows > limits.max_records and (exact or use_estimates)
    parts = max(
        math.ceil(rows / limits.max_records) if too_many_rows else 1,
        math.ceil(len(call.periods) / limits.max_periods),
        2 if measure(call) > limits.max_url else 1,
    )
    if parts == 1:
        return [call]
    children = split(call, parts)
    if children == [call]:
        return [call]
    return [piece for child in children for piece in fit(child, limits, use_estimates=use_estimates,
                                                        url_length=measure)]


def split(call: Call, parts: int) -> list[Call]:
    """Split ``call`` into about ``parts`` calls along the first splittable dimension.

    Dimensions are tried in :data:`SPLIT_ORDER`; what one cannot absorb is
    carried to the next.

    Examples
    --------
    >>> c = Call("data", "A", (156, 842), ("2020", "2021", "2022"), None, ("M",), ("284690",))
    >>> [x.periods for x in split(c, 2)]
    [('2020', '2021'), ('2022',)]
    >>> [(x.reporters, x.periods) for x in split(c, 6)][:2]
    [((156,), ('2020',)), ((842,), ('2020',))]
    """
    if parts <= 1:
        return [call]
    for dim in SPLIT_ORDER:
        values = getattr(call, dim)
        if values is None or len(values) < 2:
            continue
        n = min(parts, len(values))
        children = [
            replace(call, **{dim: tuple(chunk)})  # type: ignore[arg-type]
            for chunk in _even(list(values), n)
        ]
        rest = math.ceil(parts / n)
        return [piece for child in children for piece in split(child, rest)]
    return [call]


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


def _even(values: list, n: int) -> list[list]:
    size, extra = divmod(len(values), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(values[start:end])
        start = end
    return out


def _url_estimate(call: Call) -> int:
    base = len("https://comtradeapi.un.org") + len(call.path) + 1
    params = call.params(max_records=100_000, count_only=True)
    # commas are sent percent-encoded (%2C): three characters each
    return base + sum(len(k) + 2 + len(v) + 2 * v.count(",") for k, v in params.items())


def minimum_calls(total_rows: int, limits: Limits) -> int:
    """Fewest data calls that can return ``total_rows`` rows under ``limits`` (for benchmarks)."""
    return max(1, math.ceil(total_rows / limits.max_records))
