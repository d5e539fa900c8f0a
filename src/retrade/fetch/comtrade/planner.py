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

from retrade import choices
from retrade.errors import check_choice
from retrade.fetch.comtrade.request import ComtradeRequest
from retrade.fetch.runner import CALL_SECONDS

Endpoint = choices.Endpoint
ENDPOINTS: tuple[str, ...] = choices.values(Endpoint)
# order in which a call that is too large is split
SPLIT_ORDER: tuple[str, ...] = ("periods", "reporters", "cmds", "flows", "partners")
# a count above this share of the cap is split before fetching, leaving room for error
FILL = 0.9


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
        Rows to expect at most per reporter-period-flow-commodity when every
        partner is asked for (the partner count is unknown before asking):
        the bound the planner splits by when it does not count first.
    partners_typical : int
        Rows to expect on average per reporter-period-flow-commodity, for the
        estimate shown before a fetch (:func:`estimate`): China's exports of
        a rare-earth line reach 14 to 185 partners a year, 76 on average
        (2010-2024, by HS 280530, 284690, 850511).
    calls_per_day : int or None
        The daily call quota, where there is one (for planning only).
    """

    max_records: int
    max_periods: int = 12
    max_url: int = 4095
    partners_estimate: int = 250
    partners_typical: int = 80
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
    check_choice("endpoint", endpoint, Endpoint)
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


@dataclass(frozen=True)
class Estimate:
    """What a fetch is expected to cost, worked out before its first call.

    Attributes
    ----------
    units : int
        Reporter-periods asked for.
    stored : int
        Of those, already stored (fetched again only if released again since).
    availability_calls, count_calls, data_calls : int
        Expected calls of each kind (count and data calls from the typical
        partner count, :attr:`Limits.partners_typical`; answers can need more).
    seconds : float
        About how long, at the configured pace.
    """

    units: int
    stored: int
    availability_calls: int
    count_calls: int
    data_calls: int
    seconds: float

    @property
    def calls(self) -> int:
        return self.availability_calls + self.count_calls + self.data_calls

    def describe(self) -> str:
        """One line: units, calls by kind, time.

        Examples
        --------
        >>> print(Estimate(16, 4, 2, 1, 5, 7.2).describe())  # doctest: +NORMALIZE_WHITESPACE
        16 reporter-period(s), 4 already stored; about 8 call(s)
        (2 availability, 1 count, 5 data), about 7 s
        """
        kinds = f"{self.availability_calls} availability, {self.count_calls} count, " \
                f"{self.data_calls} data"
        return (f"{self.units} reporter-period(s), {self.stored} already stored; about "
                f"{self.calls} call(s) ({kinds}), about {_duration(self.seconds)}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate(
    calls: Sequence[Call], *, limits: Limits, units: int, stored: int, availability_calls: int,
    count_first: bool = True, min_interval: float = 1.0,
) -> Estimate:
    """The expected cost of ``calls`` (planned by :func:`plan`) before any is made.

    A call of known size within the cap is one data call. A call whose size
    is unknown (every partner) costs, counting first, a count call (unless
    even the generous bound fits) and as many data calls as the typical
    partner count fills; without counting, the pieces the generous bound
    splits it into. The time is the calls at the configured pace
    (``min_interval``) or the time a call takes, whichever is longer.

    Examples
    --------
    >>> c = Call("preview", "A", (156,), tuple(str(y) for y in range(2010, 2022)), None, ("X",),
    ...          ("280530", "284690", "850511"))
    >>> e = estimate([c], limits=PREVIEW_LIMITS, units=12, stored=0, availability_calls=1)
    >>> e.count_calls, e.data_calls  # 12 x 3 x 80 = 2,880 rows, 450 a call
    (1, 7)
    """
    counts = data = 0
    for call in calls:
        rows, exact = call.bound(limits)
        if exact and rows <= limits.max_records:
            data += 1
        elif not count_first:
            data += len(fit(call, limits, use_estimates=True))
        elif rows <= FILL * limits.max_records:
            data += 1
        else:
            typical = rows if exact else rows // limits.partners_estimate * limits.partners_typical
            counts += 1
            data += max(1, math.ceil(typical / (FILL * limits.max_records)))
    total = availability_calls + counts + data
    return Estimate(units, stored, availability_calls, counts, data,
                    total * max(min_interval, CALL_SECONDS))
