"""One error tree and one warning tree for the whole package.

Every failure retrade raises on purpose is a :class:`RetradeError`, so a caller
can catch the package's errors without catching programming errors.  Messages
name the offending value and, where there is one, the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args, get_origin


class RetradeError(Exception):
    """Base class of every error retrade raises on purpose."""


class ConfigError(RetradeError, ValueError):
    """A setting, option or argument has a value retrade cannot use."""


class CatalogError(RetradeError, ValueError):
    """An HS code, stage or country the catalog does not know."""


class FetchError(RetradeError):
    """A call to a remote API failed in a way that retrying will not fix.

    ``status`` is the HTTP status of the answer where there was one.
    """

    status: int | None = None


class AuthError(FetchError):
    """The API rejected the credentials (HTTP 401): the key is missing, wrong or expired."""


class KeyRequired(AuthError):
    """The API wants an API key for this call and none (or a refused one) was sent.

    Raised for the US Census data API, which since May 2026 redirects a call
    without a valid key to an HTML sign-up page; the message says where to get
    a key and which setting holds it.
    """


class Redirected(FetchError):
    """The API answered with a redirect to another page instead of data.

    A redirect is never followed as if its target were the data asked for.
    ``status``, ``location`` and ``headers`` keep what the answer said, so a
    fetcher can tell a known page (such as a key wall) from an unknown one.
    """

    def __init__(self, message: str, *, status: int = 302, location: str = "",
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.location = location
        self.headers = dict(headers or {})


class RateLimited(FetchError):
    """The API kept answering 429 (too many requests) after every retry."""


class QuotaExhausted(FetchError):
    """The daily call quota is used up (HTTP 403). The fetch stops and can be resumed later."""


class ServerError(FetchError):
    """The API kept failing with 5xx answers or timeouts after every retry."""


class ResponseError(FetchError):
    """The API answered 200 but the body is not what its documentation describes."""


class StoreError(RetradeError):
    """The Parquet store or its manifest cannot be read or written as asked."""


class StoreLocked(StoreError):
    """Another process holds the store's write lock for longer than the wait allowed."""


class StoreDiskError(StoreError, OSError):
    """The disk refused a store operation: a read-only folder, a full disk, a file for a folder."""


class StoreIntegrityError(StoreError):
    """A stored file is missing, damaged, or no longer matches the hash its manifest recorded."""


class InputFileError(RetradeError, OSError):
    """A file named by the user cannot be read (missing, a folder, not text, not a table)."""


class ImportFormatError(RetradeError, ValueError):
    """A hand-downloaded file is not in a format retrade understands."""


class SchemaError(RetradeError, ValueError):
    """A table does not satisfy the schema it is declared to follow."""


class ColumnsMissing(SchemaError, KeyError):
    """A table lacks columns it must have (a ``KeyError`` too, for code that caught that)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class HarmonizeError(RetradeError, ValueError):
    """A code or name could not be mapped into the panel (for example an unmatched country)."""


class SpecificationError(RetradeError, ValueError):
    """A model specification cannot be estimated on the data given."""


class MissingDependency(RetradeError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class RetradeWarning(UserWarning):
    """Base class of every warning retrade emits."""


class DataQualityWarning(RetradeWarning):
    """The data have a known problem (a gap, an outlier, a broken year) that affects results."""


class CollinearityWarning(RetradeWarning):
    """A regressor is collinear with the fixed effects and is not identified."""


class PreTrendWarning(RetradeWarning):
    """The joint test of pre-event coefficients rejects parallel pre-trends."""


def check_choice(
    name: str, value: object, allowed: Sequence[object] | Any, *,
    error: type[ValueError] = ConfigError,
) -> None:
    """Raise ``error`` naming the option, the allowed values and the bad value.

    The one implementation of retrade's "an option must be one of these" check.
    ``allowed`` is a sequence or a ``Literal`` alias of :mod:`retrade.choices`
    (its values are read off the alias). The default error is
    :class:`ConfigError` (a ``ValueError`` too).

    Examples
    --------
    >>> check_choice("flow", "export", ("import", "export"))
    >>> check_choice("flow", "out", ("import", "export"))
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: flow must be one of ('import', 'export'), got flow='out'
    """
    options = get_args(allowed) if get_origin(allowed) is Literal else tuple(allowed)
    if value not in options:
        raise error(f"{name} must be one of {options}, got {name}={value!r}")


def require(module: str, extra: str):
    """Import an optional dependency or raise :class:`MissingDependency` naming the extra.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"pyfixest"``.
    extra : str
        The ``retrade`` extra that installs it, e.g. ``"models"``.

    Examples
    --------
    >>> json = require("json", "dev")
    >>> json.dumps([1])
    '[1]'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependency(
            f"{module!r} is needed for this step; install it with: pip install 'retrade[{extra}]'"
        ) from exc
