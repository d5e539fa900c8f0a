"""A connectivity probe: can this machine open a connection to an API's host at all?

The fetchers retry timeouts and connection errors with backoff, which is right
for a flaky network and wrong for a machine with no network: there every call
would wait through its retries before failing. :func:`probe` opens one TCP
connection to the host and port of a base URL, with a short deadline that
covers the name lookup too, and returns ``None`` when it succeeds or the
reason in words when it does not, so a caller can skip a fetch in seconds
with a clear message.

No request is sent and nothing is read: the probe says only that the host
answers, not that the API works or that a key is valid.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

from retrade.config import redact
from retrade.errors import ConfigError

DEFAULT_TIMEOUT = 3.0


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port a base URL connects to (443 for https, 80 for http by default).

    Examples
    --------
    >>> host_and_port("https://comtradeapi.un.org")
    ('comtradeapi.un.org', 443)
    >>> host_and_port("http://127.0.0.1:8080/api")
    ('127.0.0.1', 8080)
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) URL: {redact(url)!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def probe(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """``None`` if a TCP connection to ``url``'s host opens within ``timeout`` s, else why not.

    The name lookup and the connection run in a daemon thread so that a
    resolver that hangs cannot hold the caller past ``timeout``.

    Examples
    --------
    >>> probe("http://127.0.0.1:9", timeout=1.0) is not None  # nothing listens on port 9
    True
    """
    if timeout <= 0:
        raise ConfigError(f"probe timeout must be > 0 seconds, got {timeout!r}")
    host, port = host_and_port(url)
    outcome: list[str | None] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(None)
        except OSError as exc:
            outcome.append(f"{type(exc).__name__}: {exc.strerror or exc}")

    worker = threading.Thread(target=attempt, name=f"probe {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return f"no answer from {host}:{port} within {timeout:g} s"
    reason = outcome[0]
    return None if reason is None else f"cannot connect to {host}:{port} ({reason})"
