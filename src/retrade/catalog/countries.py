"""Countries and areas as they appear in trade data, mapped to one code per economy.

The panel identifies reporters and partners by ISO 3166 alpha-3 codes. Trade
sources use other keys: UN Comtrade's numeric codes (M49 with a few
Comtrade-specific numbers such as 842 for the USA and 490 for "Other Asia,
nes"), WITS and Census names, and Chinese names in China customs downloads.
This module maps them all, built on :mod:`country_converter` plus explicit
tables for what it does not cover.

Areas that are not economies get reserved codes from the ISO user-assigned
range (``X..``), never a silent guess:

=====  =========================================================
WLD    World (Comtrade 0)
XOA    Other Asia, nes (Comtrade 490; in practice Taiwan, kept apart)
XNS    Areas, nes / unspecified (Comtrade 899)
XBU    Bunkers (837)      XFZ  Free zones (838)
XSC    Special categories (839)
EUN    European Union as a reporter or partner (Comtrade 97)
=====  =========================================================

An unmatched code or name raises :class:`~retrade.errors.HarmonizeError`
naming every value that failed.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from retrade import choices
from retrade.errors import CatalogError, HarmonizeError, check_choice

if TYPE_CHECKING:  # pandas loads where a table is built, so `import retrade` stays light
    import pandas as pd

WORLD = "WLD"
OTHER_ASIA_NES = "XOA"
AREAS_NES = "XNS"

# Comtrade numeric codes that are not plain M49 codes of a current country
COMTRADE_SPECIAL: dict[int, tuple[str, str, str]] = {
    # code: (retrade code, name, kind)
    0: (WORLD, "World", "world"),
    490: (OTHER_ASIA_NES, "Other Asia, nes", "nes"),
    899: (AREAS_NES, "Areas, nes", "nes"),
    837: ("XBU", "Bunkers", "special"),
    838: ("XFZ", "Free Zones", "special"),
    839: ("XSC", "Special Categories", "special"),
    568: ("XOE", "Other Europe, nes", "nes"),
    577: ("XOF", "Other Africa, nes", "nes"),
    636: ("XRA", "Rest of America, nes", "nes"),
    637: ("XNA", "North America and Central America, nes", "nes"),
    527: ("XOO", "Oceania, nes", "nes"),
    879: ("XWA", "Western Asia, nes", "nes"),
    290: ("XAF", "Northern Africa, nes", "nes"),
    473: ("XLA", "LAIA, nes", "nes"),
    492: ("XEE", "Europe EU, nes", "nes"),
    697: ("XEF", "Europe EFTA, nes", "nes"),
    536: ("XNZ", "Neutral Zone", "special"),
    97: ("EUN", "European Union", "group"),
    975: ("ASN", "ASEAN", "group"),
    # Comtrade-specific numbers for current countries
    842: ("USA", "USA", "country"),
    841: ("USA", "USA and Puerto Rico (...1980)", "country"),
    699: ("IND", "India", "country"),
    251: ("FRA", "France", "country"),
    757: ("CHE", "Switzerland", "country"),
    579: ("NOR", "Norway", "country"),
    # historic reporters, kept under their own codes
    58: ("BLX", "Belgium-Luxembourg (...1998)", "country"),
    280: ("DEU", "Fed. Rep. of Germany (...1990)", "country"),
    278: ("DDR", "Dem. Rep. of Germany (...1990)", "country"),
    200: ("CSK", "Czechoslovakia (...1992)", "country"),
    810: ("SUN", "USSR (...1990)", "country"),
    890: ("YUG", "Yugoslavia (...1991)", "country"),
    891: ("SCG", "Serbia and Montenegro (...2005)", "country"),
    711: ("ZA1", "Southern African Customs Union (...1999)", "country"),
    736: ("SDN", "Sudan (...2011)", "country"),
    530: ("ANT", "Netherlands Antilles (...2010)", "country"),
    532: ("ANT", "Netherlands Antilles and Aruba (...1985)", "country"),
    886: ("YEM", "Arab Rep. of Yemen (...1990)", "country"),
    720: ("YMD", "Dem. Yemen (...1990)", "country"),
    230: ("ETH", "Ethiopia (...1992)", "country"),
    868: ("VNM", "Rep. of Vietnam (...1974)", "country"),
    866: ("VDR", "Dem. Rep. of Vietnam (...1974)", "country"),
    588: ("PAK", "East and West Pakistan (...1971)", "country"),
    582: ("PCI", "Pacific Isds (...1991)", "country"),
    590: ("PAN", "Panama, excl.Canal Zone (...1977)", "country"),
    592: ("PCZ", "Panama-Canal-Zone (...1977)", "country"),
    658: ("KNA", "Saint Kitts, Nevis and Anguilla (...1980)", "country"),
}

# names seen in WITS, Comtrade, Census and press tables that country_converter misreads or misses
NAME_OVERRIDES: dict[str, str] = {
    "world": WORLD,
    "other asia, nes": OTHER_ASIA_NES,
    "other asia nes": OTHER_ASIA_NES,
    "areas, nes": AREAS_NES,
    "areas nes": AREAS_NES,
    "unspecified": AREAS_NES,
    "not specified": AREAS_NES,
    "bunkers": "XBU",
    "free zones": "XFZ",
    "special categories": "XSC",
    "neutral zone": "XNZ",
    "european union": "EUN",
    "eu-27": "EUN",
    "eu27": "EUN",
    "serbia, fr(serbia/montenegro)": "SCG",
    "serbia and montenegro": "SCG",
    "fr. so. ant. tr": "ATF",
    "ethiopia(excludes eritrea)": "ETH",
    "netherlands antilles": "ANT",
    "total for all countries": WORLD,
    "usa": "USA",
    "korea, south": "KOR",
    "korea, north": "PRK",
    "burma": "MMR",
    "burma (myanmar)": "MMR",
    "macedonia": "MKD",
    "east timor": "TLS",
    "kosovo": "XKX",
    "vatican city": "VAT",
}

# country groupings used in analyses (membership as of 2025)
GROUPS: dict[str, tuple[str, ...]] = {
    "EU27": (
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
        "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
        "SWE",
    ),
    "G7": ("CAN", "FRA", "DEU", "ITA", "JPN", "GBR", "USA"),
    "ASEAN": ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"),
}

Scheme = choices.Scheme
SCHEMES: tuple[str, ...] = choices.values(Scheme)


@functools.lru_cache(maxsize=1)
def _converter():
    import country_converter as coco

    return coco.CountryConverter()


class _DropUnmatched(logging.Filter):
    """country_converter logs a warning for every name it cannot match; retrade reports
    unmatched names itself, all at once, in a HarmonizeError, so those records are dropped
    (only while retrade converts; the application's logging is left as it is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "not found in" not in record.getMessage()


def _convert_quietly(name: str) -> object:
    logger = logging.getLogger("country_converter.country_converter")
    quiet = _DropUnmatched()
    logger.addFilter(quiet)
    try:
        return _converter().convert(name, to="ISO3", not_found="__none__")
    finally:
        logger.removeFilter(quiet)


@functools.lru_cache(maxsize=1)
def _coco_table() -> pd.DataFrame:
    return _converter().data


@functools.lru_cache(maxsize=1)
def _m49_to_iso3() -> dict[int, str]:
    """``UNcode -> ISO3`` of :func:`_coco_codes`' rows with a code, in row order (plain Python:
    the frame and its ``dropna`` took 1.5 ms, a fixed cost of every Comtrade build)."""
    return {number: iso3 for iso3, number in _coco_rows() if number is not None}


# the columns of country_converter's table that its loader filters on, and the codes
_UNIQUE_NAMES = ("name_short", "name_official", "regex")
_CODE_COLUMNS = (*_UNIQUE_NAMES, "ISO3", "UNcode", "obsolete")


@functools.lru_cache(maxsize=1)
def _coco_codes() -> pd.DataFrame:
    """The ``ISO3`` and ``UNcode`` rows of :func:`_coco_table`, read without building a converter.

    ``CountryConverter()`` parses every column of its data file cell by cell
    and compiles some 500 regular expressions (0.2 s, a fixed cost of every
    build from Comtrade rows); the numeric codes need two columns. They are
    read here from the same file as its loader reads it (a tab-separated file
    of 256 rows, with Python's ``csv``: ``pandas.read_csv`` took 5-8 ms): the
    same text and missing values, obsolete rows left out, then each of the
    name columns made unique keeping the last row
    (``tests/catalog/test_country_codes.py`` holds the table and the mapping
    equal to the ones built from the converter's own table).
    """
    import pandas as pd

    rows = _coco_rows()
    return pd.DataFrame({
        "ISO3": pd.Series([iso3 for iso3, _ in rows], dtype=object),
        "UNcode": pd.array([number for _, number in rows], dtype="Int64"),
    })


@functools.lru_cache(maxsize=1)
def _coco_rows() -> list[tuple[str, int | None]]:
    """``(ISO3, UNcode)`` of each row of :func:`_coco_codes` (``None``: no code), in order."""
    import csv

    from pandas._libs.parsers import STR_NA_VALUES

    missing = STR_NA_VALUES - {"NA"}  # the loader's missing values (its text columns have none)
    with open(_coco_data_file(), encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader)
        at = {name: header.index(name) for name in _CODE_COLUMNS}
        rows = [row for row in reader if row[at["obsolete"]].strip() in missing]
    for name in _UNIQUE_NAMES:  # drop_duplicates(subset=[name], keep="last"), in row order
        last = {row[at[name]]: i for i, row in enumerate(rows)}
        rows = [rows[i] for i in sorted(last.values())]
    numbers = [row[at["UNcode"]].strip() for row in rows]
    return [(row[at["ISO3"]], None if n in missing else int(float(n)))
            for row, n in zip(rows, numbers, strict=True)]


def _coco_data_file() -> Path:
    """country_converter's ``COUNTRY_DATA_FILE``, found without importing the package (16 ms)."""
    import importlib.util

    spec = importlib.util.find_spec("country_converter")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("country_converter is not installed", name="country_converter")
    return Path(spec.origin).parent / "country_data.tsv"


@functools.lru_cache(maxsize=1)
def _iso2_to_iso3() -> dict[str, str]:
    # a few ISO2 cells are patterns listing alternatives ("^GR$|^EL$", "^GB$|^UK$"):
    # Eurostat writes Greece as EL and the United Kingdom as UK
    out: dict[str, str] = {}
    for cell, iso3 in zip(_coco_table()["ISO2"], _coco_table()["ISO3"], strict=True):
        for code in re.findall(r"[A-Z]{2}", str(cell)):
            out.setdefault(code, iso3)
    return out


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = text.replace("，", ",").replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", " ", text)


_EXTRA_NAMES: dict[str, str] = {}
_NAME_TABLES_LOADED = False


def _load_name_tables() -> None:
    """Load the ``catalog/data/country_names_*.csv`` tables (``name,iso3``) shipped with retrade."""
    global _NAME_TABLES_LOADED
    if _NAME_TABLES_LOADED:
        return
    from importlib import resources

    import pandas as pd

    folder = resources.files("retrade.catalog") / "data"
    if folder.is_dir():
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.startswith("country_names_") and entry.name.endswith(".csv"):
                with entry.open(encoding="utf-8") as fh:
                    table = pd.read_csv(fh, dtype=str, comment="#")
                for name, iso3 in zip(table["name"], table["iso3"], strict=True):
                    _EXTRA_NAMES.setdefault(_fold(name), iso3)
    _NAME_TABLES_LOADED = True


def register_names(mapping: dict[str, str]) -> None:
    """Add name -> ISO3 entries (e.g. the Chinese partner names of China customs).

    Values must be known codes; keys are matched case- and width-insensitively.
    """
    for name, code in mapping.items():
        _EXTRA_NAMES[_fold(name)] = code
    name_to_iso3.cache_clear()


@functools.lru_cache(maxsize=8192)
def name_to_iso3(name: str) -> str | None:
    """ISO3 (or reserved) code for a country or area name, or ``None`` if it is unknown.

    Examples
    --------
    >>> name_to_iso3("Hong Kong, China"), name_to_iso3("Other Asia, nes")
    ('HKG', 'XOA')
    >>> name_to_iso3("KOREA, SOUTH")
    'KOR'
    """
    _load_name_tables()
    folded = _fold(name)
    if not folded:
        return None
    if folded in NAME_OVERRIDES:
        return NAME_OVERRIDES[folded]
    if folded in _EXTRA_NAMES:
        return _EXTRA_NAMES[folded]
    if re.fullmatch(r"[a-z]{3}", folded) and folded.upper() in set(_coco_table()["ISO3"]):
        return folded.upper()
    found = _convert_quietly(str(name).strip())
    if isinstance(found, list) or found == "__none__":
        return None
    return str(found)


def comtrade_to_iso3(code: int | str) -> str | None:
    """Retrade code for a Comtrade reporter/partner number, or ``None``.

    Examples
    --------
    >>> comtrade_to_iso3(842), comtrade_to_iso3(156), comtrade_to_iso3(490), comtrade_to_iso3(0)
    ('USA', 'CHN', 'XOA', 'WLD')
    """
    try:
        number = int(str(code).strip())
    except ValueError:
        return None
    if number in COMTRADE_SPECIAL:
        return COMTRADE_SPECIAL[number][0]
    return _m49_to_iso3().get(number)


@functools.lru_cache(maxsize=1)
def _iso3_to_comtrade() -> dict[str, int]:
    out = {iso: code for code, iso in _m49_to_iso3().items()}
    for code, (iso, name, _kind) in COMTRADE_SPECIAL.items():
        if "(..." not in name:  # current codes win over historic ones
            out[iso] = code
    return out


def iso3_to_comtrade(code: str) -> int:
    """Comtrade reporter/partner number for an ISO3 or reserved code.

    Examples
    --------
    >>> iso3_to_comtrade("USA"), iso3_to_comtrade("chn"), iso3_to_comtrade("WLD")
    (842, 156, 0)
    """
    key = str(code).strip().upper()
    try:
        return _iso3_to_comtrade()[key]
    except KeyError:
        raise CatalogError(f"unknown country code {code!r} (expected ISO3 such as 'CHN')") from None


def to_iso3(values: Iterable[object], *, scheme: Scheme = "name") -> list[str]:
    """Map many codes or names at once; raise naming every value that does not map.

    Parameters
    ----------
    values : iterable
        Codes or names.
    scheme : {"comtrade", "m49", "iso3", "iso2", "name"}
        What the values are.

    Examples
    --------
    >>> to_iso3(["Japan", "Viet Nam", "Korea, Rep."])
    ['JPN', 'VNM', 'KOR']
    >>> to_iso3([842, 392], scheme="comtrade")
    ['USA', 'JPN']
    """
    check_choice("scheme", scheme, Scheme)
    items = list(values)
    lookup = {v: _map_one(v, scheme) for v in set(map(_hashable, items))}
    missing = sorted(str(v) for v, iso in lookup.items() if iso is None)
    if missing:
        raise HarmonizeError(
            f"{len(missing)} {scheme} value(s) could not be matched to a country: {missing[:20]}"
            + (" ..." if len(missing) > 20 else "")
            + "; add them with retrade.catalog.register_names() if they are valid"
        )
    return [str(lookup[_hashable(v)]) for v in items]


def _hashable(value: object) -> object:
    return str(value) if not isinstance(value, (str, int)) else value


def _map_one(value: object, scheme: str) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    if scheme in ("comtrade",):
        return comtrade_to_iso3(value)  # type: ignore[arg-type]
    if scheme == "m49":
        try:
            return _m49_to_iso3().get(int(str(value)))
        except ValueError:
            return None
    if scheme == "iso3":
        key = str(value).strip().upper()
        reserved = {v[0] for v in COMTRADE_SPECIAL.values()}
        return key if key in set(_coco_table()["ISO3"]) or key in reserved else None
    if scheme == "iso2":
        return _iso2_to_iso3().get(str(value).strip().upper())
    return name_to_iso3(str(value))


def country_name(code: str) -> str:
    """Short English name for a retrade code.

    Examples
    --------
    >>> country_name("CHN"), country_name("XOA")
    ('China', 'Other Asia, nes')
    """
    key = str(code).upper()
    for iso, name, kind in COMTRADE_SPECIAL.values():
        if iso == key and kind != "country":
            return name
    table = _coco_table()
    match = table.loc[table["ISO3"] == key, "name_short"]
    if len(match):
        return str(match.iloc[0])
    raise CatalogError(f"unknown country code {code!r}")


def kind_of(code: str) -> str:
    """``country``, ``world``, ``nes``, ``special`` or ``group`` for a retrade code."""
    return _special_kinds().get(str(code).upper(), "country")


@functools.lru_cache(maxsize=1)
def _special_kinds() -> dict[str, str]:
    """Reserved code -> kind, the first entry of :data:`COMTRADE_SPECIAL` winning."""
    kinds: dict[str, str] = {}
    for iso, _name, kind in COMTRADE_SPECIAL.values():
        kinds.setdefault(iso, kind)
    return kinds


def is_census_country_code(codes: pd.Series) -> pd.Series:
    """True where a US Census ``CTY_CODE`` names one country.

    Census Schedule C codes of countries are four digits from 1000 up; ``-``
    (total for all countries), ``0xxx`` (groupings such as USMCA, OECD) and
    ``1XXX``..``7XXX`` (continents) are aggregates that must not be summed with
    country rows.

    Examples
    --------
    >>> import pandas as pd
    >>> is_census_country_code(pd.Series(["5700", "-", "0020", "4XXX"])).tolist()
    [True, False, False, False]
    """
    return codes.astype(str).str.fullmatch(r"[1-9]\d{3}")


def group_members(group: str) -> tuple[str, ...]:
    """ISO3 members of a named group ('EU27', 'G7', 'ASEAN')."""
    try:
        return GROUPS[group.upper()]
    except KeyError:
        raise CatalogError(f"unknown group {group!r}; known: {sorted(GROUPS)}") from None


def in_group(codes: Sequence[str], group: str) -> list[bool]:
    """Whether each code belongs to ``group``."""
    members = set(group_members(group))
    return [str(c).upper() in members for c in codes]
