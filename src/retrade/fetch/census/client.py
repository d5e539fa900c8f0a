"""The US Census Bureau trade endpoints, called through :class:`~retrade.fetch.http.HttpClient`.

Answers are JSON arrays of arrays: a header row of variable names, then one
row per record, every value a string (or ``null``). A query that matches
nothing is answered with HTTP 204 and an empty body, which is an empty
result, not an error. The optional key goes in the ``key`` query parameter,
added at send time and never shown.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from retrade.config import Settings
from retrade.errors import ResponseError
from retrade.fetch.census.planner import CensusCall, key_columns
from retrade.fetch.http import HttpClient, HttpResponse


@dataclass(frozen=True)
class Table:
    """A parsed Census answer: header, rows (lists of str or None) and the body's hash."""

    header: tuple[str, ...]
    rows: list[list[str | None]]
    sha256: str
    url: str


class CensusClient:
    """Census trade API calls for one settings object (``census_url``, ``census_key``)."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 5, backoff: float = 2.0):
        key = settings.census_key
        self.http = HttpClient(
            settings.census_url, min_interval=settings.min_interval, max_attempts=max_attempts,
            backoff=backoff, secret_params={"key": key} if key is not None else {}, sleep=sleep,
        )

    @property
    def calls(self) -> int:
        return self.http.calls

    def close(self) -> None:
        self.http.close()

    def get(self, call: CensusCall) -> Table:
        """The rows of ``call``; required columns are checked."""
        table = parse_table(self.http.get(call.path, call.params()))
        if table.rows:
            required = ["CTY_NAME", *key_columns(call.dataset, call.flow)]
            missing = [c for c in required if c not in table.header]
            if missing:
                raise ResponseError(f"{table.url}: the answer has no column(s) {missing}")
        return table


def parse_table(response: HttpResponse) -> Table:
    """Check an array-of-arrays answer and unpack it (204 / empty body: no rows)."""
    digest = hashlib.sha256(response.content).hexdigest()
    if response.status == 204 or not response.content.strip():
        return Table((), [], digest, response.url)
    body = response.json()
    if not isinstance(body, list) or not body or not isinstance(body[0], list):
        raise ResponseError(f"{response.url}: expected a JSON array of arrays with a header row")
    header = body[0]
    if not all(isinstance(name, str) for name in header) or len(set(header)) != len(header):
        raise ResponseError(f"{response.url}: the header row is not a list of distinct names")
    for number, row in enumerate(body[1:], start=2):
        if not isinstance(row, list) or len(row) != len(header):
            raise ResponseError(f"{response.url}: row {number} does not have {len(header)} values")
        if not all(v is None or isinstance(v, str) for v in row):
            raise ResponseError(f"{response.url}: row {number} holds a non-string value")
    return Table(tuple(header), body[1:], digest, response.url)
