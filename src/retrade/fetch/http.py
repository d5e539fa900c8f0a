"""The one HTTP entry point of retrade: pacing, retries, ``Retry-After``, meaningful errors.

Every fetcher sends its requests through :class:`HttpClient`. It

* keeps a minimum interval between calls (APIs count calls per second and per day);
* retries timeouts, connection errors, HTTP 429 and 5xx with exponential backoff
  (via :mod:`tenacity`), waiting at least what a ``Retry-After`` header asks;
* turns every other non-200 answer into a typed error: 401 is :class:`AuthError`,
  403 with a quota message is :class:`QuotaExhausted` (a stop, never a retry loop),
  and a 429 or 5xx that outlasts the retries is :class:`RateLimited` or
  :class:`ServerError`, so a failure is never mistaken for "no data";
* never follows a redirect of a data call: a 3xx answer is :class:`Redirected`
  (with its ``Location`` and headers), because a page a server redirects to
  (the US Census key sign-up page, a login or error page) is not the data asked
  for. Only :meth:`HttpClient.download` follows redirects, for files served
  from storage on another host, whose size and checksum are verified after;
* keeps keys out of sight: secret query parameters and headers are added at
  send time only, go to the configured origin only (never to another host, nor
  along a redirect to one), and every URL or body that reaches a log or an
  exception goes through :func:`retrade.config.redact`;
* streams large answers (bulk files) to disk with :meth:`HttpClient.download`,
  under the same pacing, retries and errors.

Tests point ``base_url`` at a local server that replays recorded answers, so the
code path is the same one that talks to the real API.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tenacity

from retrade.config import Secret, redact
from retrade.errors import (
    AuthError,
    FetchError,
    QuotaExhausted,
    RateLimited,
    Redirected,
    ResponseError,
    ServerError,
)

log = logging.getLogger("retrade.fetch")


class _RedactFilter(logging.Filter):
    """Scrubs keys from records of the loggers below (httpx logs every URL, query included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(str(a)) if isinstance(a, (str, httpx.URL)) else a
                                for a in args)
        record.msg = redact(str(record.msg))
        return True


# not configuration (no handler, no level): a filter so that a key sent as a query parameter
# (the Census API's ``key``) cannot reach a log through httpx's own request line
for _name in ("httpx", "httpcore"):
    if not any(isinstance(f, _RedactFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_RedactFilter())

USER_AGENT = "retrade/0.1 (+https://github.com/retrade; rare-earth trade research)"


@dataclass(frozen=True)
class HttpResponse:
    """A successful answer: status, headers, body bytes and the (redacted) URL asked."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    elapsed: float

    def json(self) -> Any:
        """The body parsed as JSON; :class:`ResponseError` if it is not JSON."""
        try:
            return json.loads(self.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            preview = redact(self.content[:200].decode("utf-8", "replace"))
            raise ResponseError(
                f"{self.url} answered {self.status} with a body that is not valid JSON "
                f"({exc.msg if hasattr(exc, 'msg') else exc}); first bytes: {preview!r}"
            ) from None


class _Retryable(Exception):
    """Internal: a transient failure, carrying how long the server asked us to wait."""

    def __init__(self, kind: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    Examples
    --------
    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after(None) is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


@dataclass
class HttpClient:
    """Paced, retrying HTTP GETs against one base URL.

    Parameters
    ----------
    base_url : str
        Scheme and host (and optional path prefix), e.g. ``https://comtradeapi.un.org``.
    min_interval : float
        Minimum seconds between the starts of two calls.
    max_attempts : int
        Attempts per request for retryable failures (timeouts, 429, 5xx).
    backoff : float
        First backoff in seconds; doubles each attempt up to ``max_backoff``.
    max_retry_after : float
        Longest ``Retry-After`` honoured; a longer one is treated as a stop.
    timeout : float
        Seconds per request.
    secret_params, secret_headers : dict of Secret
        Credentials added to every request at send time and never logged.
    transport : httpx.BaseTransport, optional
        Replaces the network (rarely needed: tests use a real local server).
    sleep : callable
        Used for pacing and backoff; tests pass a fake clock.
    """

    base_url: str
    min_interval: float = 1.0
    max_attempts: int = 5
    backoff: float = 2.0
    max_backoff: float = 120.0
    max_retry_after: float = 900.0
    timeout: float = 120.0
    secret_params: dict[str, Secret] = field(default_factory=dict, repr=False)
    secret_headers: dict[str, Secret] = field(default_factory=dict, repr=False)
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    calls: int = 0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._last_start = 0.0
        self._lock = threading.Lock()
        self._origin = _origin(httpx.URL(self.base_url))
        self._client = httpx.Client(
            timeout=self.timeout,
            transport=self.transport,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # a redirected data call is an error (see _classify)
            event_hooks={"request": [self._guard_secrets]},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------------
    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The URL a request would use, without secrets (for planning and manifests)."""
        request = self._client.build_request("GET", self._join(path), params=_clean(params))
        return str(request.url)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> HttpResponse:
        """GET ``path`` with ``params``; retry what is transient, raise what is not."""
        return self._retrying(lambda: self._send_once(path, params))

    def download(
        self, path: str, target: str | Path, params: Mapping[str, Any] | None = None
    ) -> HttpResponse:
        """GET ``path`` streamed into the file ``target``, for answers too large for memory.

        Pacing, retries and errors are those of :meth:`get`; a connection
        lost mid-body is retried like a timeout, each attempt rewriting
        ``target`` from its start. The file is asked for as it is stored
        (``Accept-Encoding: identity``), so its bytes are the server's file.
        The response returned has an empty ``content``: the body is in ``target``.
        """
        return self._retrying(lambda: self._send_once(path, params, Path(target)))

    def _retrying(self, send: Callable[[], HttpResponse]) -> HttpResponse:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return send()
        except _Retryable as exc:
            error = RateLimited if exc.kind == "429" else ServerError
            raise error(f"{exc} (gave up after {self.max_attempts} attempts)") from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- internals ---------------------------------------------------------------------------
    def _join(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = min(self.max_backoff, self.backoff * 2 ** (state.attempt_number - 1))
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return max(backoff if exc.kind != "429" else 0.0, exc.retry_after)
        return backoff

    def _pace(self) -> None:
        with self._lock:
            wait = self._last_start + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last_start = time.monotonic()

    def _guard_secrets(self, request: httpx.Request) -> None:
        """Strip the keys from a request leaving the configured origin (httpx forwards custom
        headers along redirects to any host; it strips only ``Authorization``)."""
        if _origin(request.url) == self._origin:
            return
        for name in self.secret_headers:
            request.headers.pop(name, None)
        for name in self.secret_params:
            request.url = request.url.copy_remove_param(name)

    def _send_once(
        self, path: str, params: Mapping[str, Any] | None, target: Path | None = None
    ) -> HttpResponse:
        self._pace()
        public = _clean(params)
        full = {**public, **{k: v.reveal() for k, v in self.secret_params.items()}}
        headers = {k: v.reveal() for k, v in self.secret_headers.items()}
        if target is not None:
            headers["Accept-Encoding"] = "identity"
        shown = redact(self.url_for(path, public))
        started = time.monotonic()
        self.calls += 1
        try:
            with self._client.stream("GET", self._join(path), params=full, headers=headers,
                                     follow_redirects=target is not None) as response:
                if target is not None and response.status_code == 200:
                    _save_body(response, target)
                else:
                    response.read()
        except httpx.TooManyRedirects:
            raise FetchError(f"{shown}: too many redirects; nothing was read") from None
        except httpx.TimeoutException:
            log.warning("timeout: %s", shown)
            raise _Retryable("timeout", f"{shown} timed out after {self.timeout:.0f}s") from None
        except httpx.TransportError as exc:
            log.warning("connection error: %s: %s", shown, redact(str(exc)))
            raise _Retryable("network", f"{shown}: {redact(str(exc))}") from None
        elapsed = time.monotonic() - started
        log.debug("GET %s -> %s in %.2fs", shown, response.status_code, elapsed)
        return self._classify(response, shown, elapsed, to_file=target is not None)

    def _classify(self, response: httpx.Response, shown: str, elapsed: float, *,
                  to_file: bool = False) -> HttpResponse:
        status = response.status_code
        if status in (200, 204):
            body = b"" if to_file else response.content
            return HttpResponse(status, dict(response.headers), body, shown, elapsed)
        if 300 <= status < 400:
            raise _redirected(response, shown)
        message = _error_message(response)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.max_retry_after:
                raise QuotaExhausted(
                    f"{shown}: rate limit; the server asks to wait {retry_after:.0f}s "
                    f"({message}). Run the same command later to resume."
                )
            raise _Retryable(
                "429", f"{shown} answered 429 Too Many Requests: {message}", retry_after
            )
        if status >= 500:
            raise _Retryable(
                "5xx",
                f"{shown} answered {status}: {message}",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if status == 401:
            raise AuthError(
                f"{shown} answered 401 Unauthorized: {message}. Check the API key "
                "(RETRADE_COMTRADE_KEY / RETRADE_CENSUS_KEY or the config file); "
                "without a key, use the keyless mode."
            )
        if status == 403 and "quota" in message.lower():
            raise QuotaExhausted(
                f"{shown} answered 403: {message}. The daily quota is used up; everything "
                "fetched so far is stored, and running the same command later resumes."
            )
        error = FetchError(f"{shown} answered {status}: {message}")
        error.status = status
        raise error


def _redirected(response: httpx.Response, shown: str) -> Redirected:
    """The error for a 3xx answer: where it points, and the answer's headers, redacted."""
    location = redact(response.headers.get("Location", ""))
    headers = {k: redact(v) for k, v in response.headers.items()}
    target = f" to {location}" if location else ""
    return Redirected(
        f"{shown} answered {response.status_code} (a redirect{target}) instead of data; "
        "retrade does not read another page as data",
        status=response.status_code, location=location, headers=headers)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port: where a request goes, as browsers and httpx compare it."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _save_body(response: httpx.Response, target: Path) -> None:
    """Write a streamed body to ``target`` (replaced) as it arrives; on disk before returning."""
    with open(target, "wb") as fh:
        for block in response.iter_bytes():
            fh.write(block)
        fh.flush()
        os.fsync(fh.fileno())


def _clean(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Drop ``None`` values; render booleans and lists the way these APIs expect."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def _error_message(response: httpx.Response) -> str:
    text = response.text[:500]
    try:
        body = json.loads(text)
        if isinstance(body, dict):
            text = str(body.get("message") or body.get("error") or body)
    except json.JSONDecodeError:
        pass
    return redact(text.strip()) or response.reason_phrase
