"""What a user asks of UN Comtrade, checked and put in the API's terms before any call.

Every check here runs before the first request, so a typo in a country, an HS
code or a period costs no call from the daily quota and names the value that
is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from retrade import choices
from retrade.catalog import (
    OTHER_ASIA_NES,
    PRODUCTS,
    comtrade_to_iso3,
    hs_codes,
    iso3_to_comtrade,
    kind_of,
    name_to_iso3,
)
from retrade.errors import CatalogError, ConfigError, RetradeError, check_choice

Frequency = choices.Frequency
FREQUENCIES: tuple[str, ...] = choices.values(Frequency)
FLOW_CODES: dict[str, str] = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}
_FLOW_WORDS = {
    "m": "M", "import": "M", "imports": "M",
    "x": "X", "export": "X", "exports": "X",
    "rm": "RM", "re-import": "RM", "re-imports": "RM", "reimport": "RM",
    "rx": "RX", "re-export": "RX", "re-exports": "RX", "reexport": "RX",
}
FIRST_YEAR = 1962


@dataclass(frozen=True)
class ComtradeRequest:
    """A validated Comtrade request in the API's own codes.

    ``partners`` is ``None`` for every partner; ``periods`` are ``YYYY``
    (annual) or ``YYYYMM`` (monthly), as the API takes them. The breakdown
    fields default to totals (all modes of transport, all customs procedures,
    no second partner), which is what a trade panel needs.
    """

    frequency: str
    reporters: tuple[int, ...]
    partners: tuple[int, ...] | None
    flows: tuple[str, ...]
    cmds: tuple[str, ...]
    periods: tuple[str, ...]
    type_code: str = "C"
    classification: str = "HS"
    partner2: int = 0
    mot: int = 0
    customs: str = "C00"


def build_request(
    *,
    reporters: str | int | Iterable[str | int],
    partners: str | int | Iterable[str | int] | None = "all",
    flows: str | Iterable[str] = ("M", "X"),
    hs: str | Iterable[str] | None = None,
    periods: str | int | Iterable[str | int],
    frequency: str = "A",
    known_reporters: Mapping[int, str] | None = None,
) -> ComtradeRequest:
    """Check every option and translate it into a :class:`ComtradeRequest`.

    Parameters
    ----------
    reporters, partners : codes or names
        ISO3 codes (``"CHN"``), names (``"China"``) or Comtrade numbers
        (``156``); ``partners="all"`` (or ``None``) asks for every partner and
        ``"WLD"`` for the world total.
    flows : str or list
        ``M``/``X``/``RM``/``RX`` or ``import``/``export``/``re-import``/``re-export``.
    hs : str or list, optional
        HS6 codes, stage names or ``"all"`` (see :func:`retrade.catalog.hs_codes`);
        a four-digit heading of a catalog code (``"2846"``) is passed as is.
    periods : str, int or list
        ``"2020"``, ``"2018-2024"``, ``"2024-03"``, ``"2023-01:2023-12"`` ...
    frequency : {"A", "M"}
        Annual or monthly.
    known_reporters : mapping, optional
        Comtrade's reporter list (code -> name), when it has been fetched; a
        reporter not in it is rejected before any call.

    Examples
    --------
    >>> r = build_request(reporters="CHN", partners=["WLD", "USA"], hs="compounds",
    ...                   periods="2019-2020")
    >>> r.reporters, r.partners, r.cmds, r.periods
    ((156,), (0, 842), ('284610', '284690'), ('2019', '2020'))
    """
    check_choice("frequency", frequency, Frequency)
    return ComtradeRequest(
        frequency=frequency,
        reporters=parse_reporters(reporters, known=known_reporters),
        partners=parse_partners(partners),
        flows=parse_flows(flows),
        cmds=parse_hs(hs),
        periods=parse_periods(periods, frequency=frequency),
    )


def _items(values: object, *, whole: Callable[[str], bool] = lambda s: False) -> list[str]:
    """Tokens of a value or list; a string is split on commas unless ``whole(string)`` holds."""
    if values is None:
        return []
    raw = [values] if isinstance(values, (str, int)) else list(values)  # type: ignore[call-overload]
    out: list[str] = []
    for value in map(str, raw):
        pieces = [value] if whole(value.strip()) else value.split(",")
        out.extend(t.strip() for t in pieces if t.strip())
    return out


def _is_name(text: str) -> bool:
    """A name with a comma ('Korea, Rep.', 'Areas, nes') is one item when its pieces are not."""
    if "," not in text or name_to_iso3(text) is None:
        return False
    return not all(_resolves(piece.strip()) for piece in text.split(",") if piece.strip())


def _resolves(text: str) -> bool:
    try:
        country_code(text)
    except CatalogError:
        return False
    return True


def country_code(value: str) -> int:
    """Comtrade number for an ISO3 code, a name or a Comtrade number; :class:`CatalogError` if none.

    Examples
    --------
    >>> country_code("USA"), country_code("Japan"), country_code("156"), country_code("World")
    (842, 392, 156, 0)
    """
    text = str(value).strip()
    if text.isdigit():
        if comtrade_to_iso3(text) is None:
            raise CatalogError(f"unknown Comtrade country code {value!r}")
        return int(text)
    iso3 = text.upper() if re.fullmatch(r"[A-Za-z]{3}", text) else name_to_iso3(text)
    try:
        return iso3_to_comtrade(iso3 or text)
    except CatalogError:
        raise CatalogError(
            f"unknown country {value!r}: give an ISO3 code ('CHN'), a name or a Comtrade number"
        ) from None


def parse_reporters(values: object, *, known: Mapping[int, str] | None = None) -> tuple[int, ...]:
    """Reporter codes; areas that cannot report (World, 'nes' areas) are refused by name."""
    items = _items(values, whole=_is_name)
    if not items:
        raise ConfigError("name at least one reporter (e.g. reporters='CHN')")
    codes = []
    for item in items:
        code = country_code(item)
        retrade_code = comtrade_to_iso3(code) or ""
        if kind_of(retrade_code) in ("world", "nes", "special") and retrade_code != OTHER_ASIA_NES:
            raise CatalogError(
                f"{item!r} ({code}) is not a Comtrade reporter: World, 'nes' and special areas "
                "appear only as partners (490 'Other Asia, nes' is the exception)"
            )
        if known is not None and code not in known:
            raise CatalogError(f"{item!r} ({code}) is not in Comtrade's reporter list")
        codes.append(code)
    return tuple(sorted(set(codes)))


def parse_partners(values: object) -> tuple[int, ...] | None:
    """Partner codes, or ``None`` for every partner."""
    items = _items(values, whole=_is_name)
    if not items or [i.lower() for i in items] == ["all"]:
        return None
    if "all" in (i.lower() for i in items):
        raise ConfigError(f"'all' partners cannot be combined with named partners: {items}")
    return tuple(sorted({country_code(i) for i in items}))


def parse_flows(values: object) -> tuple[str, ...]:
    """Comtrade flow codes (M, X, RM, RX) from codes or words."""
    items = _items(values)
    bad = [i for i in items if i.lower() not in _FLOW_WORDS]
    if bad or not items:
        raise ConfigError(
            f"unknown flow(s) {bad or items}; allowed: {sorted(FLOW_CODES)} or "
            f"{sorted(FLOW_CODES.values())}"
        )
    order = list(FLOW_CODES)
    return tuple(sorted({_FLOW_WORDS[i.lower()] for i in items}, key=order.index))


def parse_hs(values: object) -> tuple[str, ...]:
    """Commodity codes from HS6 codes, catalog stages or headings of catalog codes."""
    items = _items(values) or ["all"]
    out: set[str] = set()
    unknown = []
    for item in items:
        if re.fullmatch(r"\d{4}", item) and any(p.hs6.startswith(item) for p in PRODUCTS):
            out.add(item)
            continue
        try:
            out.update(hs_codes(item))
        except RetradeError:
            unknown.append(item)
    if unknown:
        raise CatalogError(
            f"HS code(s) {unknown} are not in the rare-earth catalog; use catalog HS6 codes "
            f"{sorted(p.hs6 for p in PRODUCTS)}, their headings or a stage name"
        )
    return tuple(sorted(out))


_YEAR = r"(\d{4})"
_MONTH = r"(\d{4})-?(\d{2})"


def parse_periods(values: object, *, frequency: str) -> tuple[str, ...]:
    """Periods in the API's form: ``YYYY`` for annual, ``YYYYMM`` for monthly requests.

    Examples
    --------
    >>> parse_periods("2018-2020", frequency="A")
    ('2018', '2019', '2020')
    >>> parse_periods("2023-11:2024-02", frequency="M")
    ('202311', '202312', '202401', '202402')
    """
    items = _items(values)
    if not items:
        raise ConfigError("name at least one period (e.g. periods='2018-2024')")
    out: set[str] = set()
    for item in items:
        out.update(_expand(item, frequency))
    return tuple(sorted(out))


def _expand(item: str, frequency: str) -> list[str]:
    if m := re.fullmatch(rf"{_YEAR}(?:\s*[-:]\s*{_YEAR})?", item):
        first, last = int(m[1]), int(m[2] or m[1])
        years = _years(item, first, last)
        if frequency == "A":
            return [str(y) for y in years]
        return [f"{y}{mo:02d}" for y in years for mo in range(1, 13)]
    if m := re.fullmatch(rf"{_MONTH}(?:\s*:\s*{_MONTH})?", item):
        if frequency == "A":
            raise ConfigError(f"period {item!r} is a month but frequency is 'A' (annual)")
        start = (int(m[1]), int(m[2]))
        end = (int(m[3]), int(m[4])) if m[3] else start
        for y, mo in (start, end):
            _years(item, y, y)
            if not 1 <= mo <= 12:
                raise ConfigError(f"period {item!r} has month {mo:02d}; months run 01-12")
        if end < start:
            raise ConfigError(f"period range {item!r} ends before it starts")
        return [f"{y}{mo:02d}" for y, mo in _months(start, end)]
    raise ConfigError(
        f"period {item!r} is not in a form retrade understands: use '2020', '2018-2024', "
        "'2024-03' or '2023-01:2023-12'"
    )


def _years(item: str, first: int, last: int) -> range:
    this_year = date.today().year
    for year in (first, last):
        if not FIRST_YEAR <= year <= this_year:
            raise ConfigError(f"period {item!r}: year {year} is outside {FIRST_YEAR}-{this_year}")
    if last < first:
        raise ConfigError(f"period range {item!r} ends before it starts")
    return range(first, last + 1)


def _months(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    y, mo = start
    while (y, mo) <= end:
        out.append((y, mo))
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
    return out
