"""The documented UN Comtrade v1 endpoints, called through :class:`~retrade.fetch.http.HttpClient`.

``comtradeapicall`` (the UN's own package) builds the same URLs but prints and
returns ``None`` on a non-200 answer, so a 401, 429 or 5xx would look like "no
data". The calls therefore go through retrade's client, which raises; the
test suite checks that the paths and parameters equal what ``comtradeapicall``
sends for the same query.

Endpoints (base URL ``Settings.comtrade_url``):

==============================================  =========================================
``/public/v1/preview/{type}/{freq}/{cl}``       keyless preview, at most 500 rows
``/data/v1/get/{type}/{freq}/{cl}``             keyed data API (``countOnly`` supported)
``/public/v1/getDA/{type}/{freq}/{cl}``        availability without a key (keyless)
``/data/v1/getDa/{type}/{freq}/{cl}``          availability with a key: release dates per unit
``/bulk/v1/get/{type}/{freq}/{cl}``             bulk file list (premium keys)
``/bulk/v1/file/{reporterCode}/{fileUrl}``      one bulk file, gzipped (premium keys)
``/files/v1/app/reference/{name}.json``         reference lists (Reporters, partnerAreas)
==============================================  =========================================

The key travels in the ``Ocp-Apim-Subscription-Key`` header only, never in a URL.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrade.config import Settings, redact
from retrade.errors import ConfigError, FetchError, ResponseError
from retrade.fetch.comtrade.planner import KEYED_LIMITS, PREVIEW_LIMITS, Call, Limits
from retrade.fetch.http import HttpClient, HttpResponse

KEY_HEADER = "Ocp-Apim-Subscription-Key"
# the availability endpoint's spellings, first the one each mode's sources use (docs/fetch.md)
AVAILABILITY_PATHS = {"public": ("getDA", "getDa"), "data": ("getDa", "getDA")}


@dataclass(frozen=True)
class Answer:
    """A parsed v1 answer: the count the API reports, its rows, and the body's hash."""

    count: int
    rows: list[dict[str, Any]]
    sha256: str
    url: str


class ComtradeClient:
    """Typed access to the Comtrade v1 API for one settings object.

    Parameters
    ----------
    settings : Settings
        ``comtrade_url``, ``comtrade_key`` (optional) and ``min_interval``.
    sleep : callable
        Used for pacing and backoff (tests pass a fake clock).
    max_attempts : int
        Attempts per call for retryable failures.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        backoff: float = 2.0,
    ):
        key = settings.comtrade_key
        self.keyed = key is not None
        self.http = HttpClient(
            settings.comtrade_url,
            min_interval=settings.min_interval,
            max_attempts=max_attempts,
            backoff=backoff,
            secret_headers={KEY_HEADER: key} if key is not None else {},
            sleep=sleep,
        )
        self._availability_name: str | None = None

    @property
    def endpoint(self) -> str:
        """``data`` with a key, ``preview`` without."""
        return "data" if self.keyed else "preview"

    @property
    def limits(self) -> Limits:
        return KEYED_LIMITS if self.keyed else PREVIEW_LIMITS

    @property
    def calls(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self.http.calls

    def close(self) -> None:
        self.http.close()

    def data(self, call: Call, *, max_records: int) -> Answer:
        """Rows of ``call`` (at most ``max_records``)."""
        response = self.http.get(call.path, call.params(max_records=max_records))
        return parse_answer(response)

    def count(self, call: Call, *, max_records: int) -> int:
        """How many rows ``call`` would return (``countOnly``); see :func:`answer_count`."""
        response = self.http.get(call.path, call.params(max_records=max_records, count_only=True))
        return answer_count(parse_answer(response))

    def availability(
        self, *, type_code: str, frequency: str, classification: str,
        reporters: tuple[int, ...], periods: tuple[str, ...],
    ) -> Answer:
        """Published datasets per reporter-period, with their release dates.

        ``/public/v1/getDA/...`` without a key, ``/data/v1/getDa/...`` with one;
        a 404 on the first spelling is retried once with the other (public
        clients write it both ways), then raised.
        """
        root = "data" if self.keyed else "public"
        params = {"reporterCode": ",".join(map(str, reporters)), "period": ",".join(periods)}
        names: tuple[str, ...] = AVAILABILITY_PATHS[root]
        if self._availability_name is not None:
            names = (self._availability_name,)
        for number, name in enumerate(names):
            path = f"/{root}/v1/{name}/{type_code}/{frequency}/{classification}"
            try:
                answer = parse_answer(self.http.get(path, params))
            except FetchError as exc:
                if exc.status == 404 and number + 1 < len(names):
                    continue
                raise
            self._availability_name = name
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def bulk_files(
        self, *, type_code: str, frequency: str, classification: str,
        reporters: tuple[int, ...] | None = None, periods: tuple[str, ...] | None = None,
    ) -> Answer:
        """The bulk file list for reporter-periods (premium keys): one row per file."""
        path = f"/bulk/v1/get/{type_code}/{frequency}/{classification}"
        params = {
            "reporterCode": ",".join(map(str, reporters)) if reporters else None,
            "period": ",".join(periods) if periods else None,
        }
        return parse_answer(self.http.get(path, params))

    def bulk_download(
        self, path: str, target: Path, params: Mapping[str, str] | None = None
    ) -> HttpResponse:
        """Stream one bulk file (its download path or full URL) into ``target``."""
        return self.http.download(path, target, params)

    def reference(self, name: str) -> tuple[list[dict[str, Any]], HttpResponse]:
        """A reference list such as ``Reporters`` or ``partnerAreas`` (its ``results``)."""
        if not name.replace("_", "").isalnum():
            raise ConfigError(f"reference list name must be alphanumeric, got {name!r}")
        response = self.http.get(f"/files/v1/app/reference/{name}.json")
        body = response.json()
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise ResponseError(f"{response.url}: expected an object with a 'results' list")
        return results, response


def answer_count(answer: Answer) -> int:
    """The row count of a ``countOnly`` answer, wherever the API puts it.

    ``comtradeapicall`` reads the envelope's ``count``; other clients report
    the count as the one record of ``data`` (``data[0].count``). A single
    record holding an integer ``count`` and no trade fields is read as the
    count; otherwise the envelope's ``count`` is.

    Examples
    --------
    >>> answer_count(Answer(count=1234, rows=[], sha256="", url=""))
    1234
    >>> answer_count(Answer(count=1, rows=[{"count": 1234}], sha256="", url=""))
    1234
    """
    if len(answer.rows) == 1:
        record = answer.rows[0]
        inner = record.get("count")
        if isinstance(inner, int) and not isinstance(inner, bool) and "reporterCode" not in record:
            if inner < 0:
                raise ResponseError(f"{answer.url}: 'data[0].count' is {inner!r}, not a row count")
            return inner
    return answer.count


def parse_answer(response: HttpResponse) -> Answer:
    """Check a v1 answer ``{"elapsedTime", "count", "data": [...], "error"}`` and unpack it."""
    if response.status == 204 or not response.content.strip():
        raise ResponseError(f"{response.url} answered {response.status} with an empty body")
    body = response.json()
    if not isinstance(body, Mapping):
        raise ResponseError(f"{response.url}: expected a JSON object, got {type(body).__name__}")
    error = body.get("error")
    if error:
        raise ResponseError(f"{response.url}: the API reported an error: {redact(str(error))}")
    data = body.get("data")
    if data is None and "count" in body:
        data = []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ResponseError(f"{response.url}: 'data' is not a list of records")
    count = body.get("count", len(data))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ResponseError(f"{response.url}: 'count' is {count!r}, not a row count")
    digest = hashlib.sha256(response.content).hexdigest()
    return Answer(count=count, rows=data, sha256=digest, url=response.url)
