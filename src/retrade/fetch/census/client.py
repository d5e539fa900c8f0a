"""The US Census Bureau trade endpoints, called through :class:`~retrade.fetch.http.HttpClient`.

Answers are JSON arrays of arrays: a header row of variable names, then one
row per record, every value a string (or ``null``). A query that matches
nothing is answered with HTTP 204 and an empty body, which is an empty
result, not an error. The optional key goes in the ``key`` query parameter,
added at send time and never shown.

Since May 2026 the Census data API wants a key on every call: a call without
one (or with a key it refuses) is redirected (302) to an HTML page
(``missing_key.html``, ``invalid_key.html``) with the reason in an
``X-DataWebAPI-KeyError`` header. The redirect is not followed; it becomes
:class:`~retrade.errors.KeyRequired`, a one-line error that says where to get
a key and to set ``RETRADE_CENSUS_KEY``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from retrade.config import Settings
from retrade.errors import KeyRequired, Redirected, ResponseError
from retrade.fetch.census.planner import CensusCall, key_columns
from retrade.fetch.http import HttpClient, HttpResponse

KEY_SIGNUP = "https://api.census.gov/data/key_signup.html"
KEY_ERROR_HEADER = "X-DataWebAPI-KeyError"


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
        self.keyed = key is not None
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
        try:
            response = self.http.get(call.path, call.params())
        except Redirected as exc:
            raise key_wall(exc, keyed=self.keyed) or exc from None
        table = parse_table(response)
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


def key_wall(exc: Redirected, *, keyed: bool) -> KeyRequired | None:
    """:class:`KeyRequired` if ``exc`` is the Census key wall (its header or page), else ``None``.

    Examples
    --------
    >>> wall = Redirected("302", location="https://api.census.gov/data/missing_key.html",
    ...                   headers={"X-DataWebAPI-KeyError": "1"})
    >>> print(key_wall(wall, keyed=False))  # doctest: +ELLIPSIS
    the US Census data API wants a key on every call ...; get a free key at https://api...
    """
    headers = {k.lower(): v for k, v in exc.headers.items()}
    page = exc.location.rsplit("/", 1)[-1]
    if KEY_ERROR_HEADER.lower() not in headers and page not in ("missing_key.html",
                                                                "invalid_key.html"):
        return None
    seen = f"it answered {exc.status} to {exc.location or 'a sign-up page'}"
    if keyed:
        return KeyRequired(
            f"the US Census data API refused the key in RETRADE_CENSUS_KEY ({seen}); check it, "
            f"or get a new one at {KEY_SIGNUP}")
    return KeyRequired(
        f"the US Census data API wants a key on every call ({seen}); get a free key at "
        f"{KEY_SIGNUP} and set RETRADE_CENSUS_KEY")
