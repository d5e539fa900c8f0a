"""Where retrade keeps its data and how it reaches the APIs.

Settings come, in order of precedence, from keyword arguments, environment
variables, a TOML config file, and defaults:

======================  ===========================  ==================================
setting                 environment variable         default
======================  ===========================  ==================================
data_dir                ``RETRADE_DATA_DIR``         ``./data``
reports_dir             ``RETRADE_REPORTS_DIR``      ``./reports``
comtrade_key            ``RETRADE_COMTRADE_KEY``     none (keyless public preview)
comtrade_url            ``RETRADE_COMTRADE_URL``     ``https://comtradeapi.un.org``
census_key              ``RETRADE_CENSUS_KEY``       none (since May 2026 the Census
                                                     data API refuses calls without one)
census_url              ``RETRADE_CENSUS_URL``       ``https://api.census.gov``
min_interval            ``RETRADE_MIN_INTERVAL``     ``1.0`` seconds between calls
max_calls               ``RETRADE_MAX_CALLS``        none: HTTP requests a fetch or a
                                                     quarterly run may send
max_minutes             ``RETRADE_MAX_MINUTES``      none: minutes a fetch or a
                                                     quarterly run may spend fetching
======================  ===========================  ==================================

The config file is ``$RETRADE_CONFIG``, else ``./retrade.toml``, else
``~/.config/retrade/config.toml``; keys are the setting names above.

API keys are held in :class:`Secret`, whose ``repr``/``str`` never show the
value, and :func:`redact` scrubs them from any text before it is logged,
raised or written.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from retrade.errors import ConfigError

DEFAULT_COMTRADE_URL = "https://comtradeapi.un.org"
DEFAULT_CENSUS_URL = "https://api.census.gov"

_ENV = {
    "data_dir": "RETRADE_DATA_DIR",
    "reports_dir": "RETRADE_REPORTS_DIR",
    "comtrade_key": "RETRADE_COMTRADE_KEY",
    "comtrade_url": "RETRADE_COMTRADE_URL",
    "census_key": "RETRADE_CENSUS_KEY",
    "census_url": "RETRADE_CENSUS_URL",
    "min_interval": "RETRADE_MIN_INTERVAL",
    "max_calls": "RETRADE_MAX_CALLS",
    "max_minutes": "RETRADE_MAX_MINUTES",
}

# every secret value ever loaded in this process, so redact() can scrub them anywhere
_KNOWN_SECRETS: set[str] = set()
# shorter values are not scrubbed by value (real keys are 32-40 characters)
_MIN_SCRUB = 6
# query parameters and headers that carry keys in the APIs we call
_KEY_PATTERNS = [
    re.compile(r"(subscription-key=)[^&\s'\"]+", re.IGNORECASE),
    re.compile(r"([?&]key=)[^&\s'\"]+", re.IGNORECASE),
    re.compile(r"(Ocp-Apim-Subscription-Key['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE),
]


class Secret:
    """A string that does not show itself.

    Examples
    --------
    >>> s = Secret("abc123")
    >>> s
    Secret('***')
    >>> f"{s}"
    '***'
    >>> s.reveal()
    'abc123'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("an API key must be a non-empty string")
        self._value = value.strip()
        _KNOWN_SECRETS.add(self._value)

    def reveal(self) -> str:
        """The key itself: pass it to the HTTP layer and nowhere else."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # pickling would write the key to disk
        raise TypeError("a Secret cannot be pickled")


def redact(text: str) -> str:
    """Remove every known API key and key-bearing parameter from ``text``.

    Examples
    --------
    >>> redact("GET /data?subscription-key=abc&period=2020")
    'GET /data?subscription-key=***&period=2020'
    """
    out = str(text)
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        if len(secret) >= _MIN_SCRUB:  # a 1-3 character "key" would shred every text
            out = out.replace(secret, "***")
    for pattern in _KEY_PATTERNS:
        out = pattern.sub(r"\1***", out)
    return out


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`; change with :meth:`with_`."""

    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports")
    comtrade_key: Secret | None = field(default=None, repr=False)
    comtrade_url: str = DEFAULT_COMTRADE_URL
    census_key: Secret | None = field(default=None, repr=False)
    census_url: str = DEFAULT_CENSUS_URL
    min_interval: float = 1.0
    max_calls: int | None = None
    max_minutes: float | None = None

    @property
    def raw_dir(self) -> Path:
        """``data/raw``: what was fetched or imported, as it came."""
        return self.data_dir / "raw"

    @property
    def processed_dir(self) -> Path:
        """``data/processed``: the harmonized panel and derived tables."""
        return self.data_dir / "processed"

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (values are validated as on load)."""
        return _coerce(replace(self, **changes).__dict__)

    def __repr__(self) -> str:
        keys = ", ".join(
            f"{name}={'set' if getattr(self, name) else 'unset'}"
            for name in ("comtrade_key", "census_key")
        )
        return (
            f"Settings(data_dir={str(self.data_dir)!r}, reports_dir={str(self.reports_dir)!r}, "
            f"comtrade_url={self.comtrade_url!r}, census_url={self.census_url!r}, "
            f"min_interval={self.min_interval}, {keys})"
        )


def _config_file_values(path: Path | None) -> dict[str, Any]:
    """The settings of the config file: the one named (argument, ``RETRADE_CONFIG``), else the
    first default that exists. A named file that is missing or a folder is an error, never a
    silent fall-back to defaults."""
    named = path or (Path(os.environ["RETRADE_CONFIG"]).expanduser()
                     if os.environ.get("RETRADE_CONFIG") else None)
    if named is not None:
        how = "the config file given" if path else "RETRADE_CONFIG"
        if not named.exists():
            raise ConfigError(f"{how} names {str(named)!r}, which does not exist")
        if not named.is_file():
            raise ConfigError(f"{how} names {str(named)!r}, which is a folder, not a TOML file")
        return _read_config(named)
    for candidate in (Path("retrade.toml"), Path.home() / ".config" / "retrade" / "config.toml"):
        if candidate.is_dir():
            raise ConfigError(f"config file {str(candidate)!r} is a folder, not a TOML file")
        if candidate.is_file():
            return _read_config(candidate)
    return {}


def _read_config(candidate: Path) -> dict[str, Any]:
    try:
        values = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {candidate} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {candidate} cannot be read: {exc}") from None
    unknown = set(values) - set(_ENV)
    if unknown:
        raise ConfigError(
            f"config file {candidate} has unknown settings {sorted(unknown)}; "
            f"allowed: {sorted(_ENV)}"
        )
    return values


def _coerce(values: dict[str, Any]) -> Settings:
    out: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in values or values[f.name] is None:
            continue
        value = values[f.name]
        if f.name in ("data_dir", "reports_dir"):
            value = Path(value).expanduser()
            if value.exists() and not value.is_dir():
                raise ConfigError(f"{f.name} {str(value)!r} is a file, not a folder")
        elif f.name in ("comtrade_key", "census_key"):
            value = value if isinstance(value, Secret) else Secret(str(value))
        elif f.name in ("comtrade_url", "census_url"):
            value = str(value).rstrip("/")
            if not re.match(r"^https?://", value):
                raise ConfigError(f"{f.name} must start with http:// or https://, got {value!r}")
        elif f.name == "min_interval":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"min_interval must be a number of seconds, got {value!r}"
                ) from None
            if value < 0:
                raise ConfigError(f"min_interval must be >= 0 seconds, got {value}")
        elif f.name in ("max_calls", "max_minutes"):
            value = _cap(f.name, value)
        out[f.name] = value
    return Settings(**out)


def _cap(name: str, value: Any) -> int | float:
    """A call or minute cap: a number >= 0 (calls whole), else :class:`ConfigError` naming it."""
    kind = int if name == "max_calls" else float
    try:
        number = kind(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0 or (kind is int and str(value).strip() not in
                                        (str(number), f"{number}.0")):
        unit = "a whole number of calls" if kind is int else "a number of minutes"
        raise ConfigError(f"{name} must be {unit} >= 0, got {value!r}")
    return number


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Resolve settings from arguments, environment, config file and defaults.

    Examples
    --------
    >>> s = load_settings(data_dir="/tmp/rt-data", comtrade_key=None)
    >>> s.raw_dir.as_posix()
    '/tmp/rt-data/raw'
    """
    values: dict[str, Any] = dict(_config_file_values(Path(config_file) if config_file else None))
    for name, env in _ENV.items():
        if os.environ.get(env):
            values[name] = os.environ[env]
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(overrides) - set(_ENV)
    if unknown:
        raise ConfigError(f"unknown settings {sorted(unknown)}; allowed: {sorted(_ENV)}")
    return _coerce(values)


def check_max_calls(value: int | None) -> int | None:
    """``value`` if it is ``None`` or a whole number >= 0, else a :class:`ConfigError`.

    Examples
    --------
    >>> check_max_calls(5)
    5
    >>> check_max_calls(-1)
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: max_calls must be a whole number >= 0 (or None for no limit), got -1
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"max_calls must be a whole number >= 0 (or None for no limit), got {value!r}"
        )
    return value
