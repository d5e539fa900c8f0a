"""The element catalog: which rare-earth element(s) each national customs line holds, in what form.

China's 2025 export controls name elements (April 2025: Sm, Gd, Tb, Dy, Lu, Sc, Y; October
2025, suspended in November: Ho, Er, Tm, Eu, Yb). Six-digit HS lines pool every element;
China's HS8 lines split metals, oxides, chlorides, fluorides, carbonates and other
compounds by element for some elements, and pool the rest in "other" and mixture lines.
This module ships those facts, each row naming its source:

* :func:`element_lines`: every China HS8 rare-earth line, one row per code and span of
  years with one meaning (``data/rare_earth_hs8_lines.csv``, built by
  ``tools/build_elements.py`` from the official GACC code lists 2015-2023);
* :func:`national_lines`: the national 10-digit lines named by MOFCOM/GAC Announcement
  2025 No. 18 where a copy of it was read, and the US HTS10 lines that name an element
  (``data/national_rare_earth_lines.csv``; only lines read in a cited source);
* :func:`china_provinces`: the registered-location codes of GACC downloads (GB/T 2260);
* :func:`match_lines`: the catalog attributes of a column of codes and years (whole columns);
* :func:`element_fraction`: the element's mass share of a line's product where the form
  allows (metal 1; oxide by molar mass, :data:`OXIDES`); missing otherwise.

Columns of the line tables
--------------------------
code              the national code (China HS8, or a 10-digit line)
first_year, last_year  the years of the code list in which the line had this meaning
form              metal, oxide, chloride, fluoride, carbonate, other compound, mixture
                  (intermixed or interalloyed metals), magnet, ore (``target`` only in the
                  10-digit table)
scope             ``element`` (names one element), ``other`` (a residual line: elements
                  without a line of their own), ``mixture`` (mixtures of elements), ``all``
                  (ores, rare-earth magnets: any element), ``none`` (not rare earths)
element           the element of an ``element`` line; empty otherwise: a mixture or residual
                  line is never assigned to one element
elements          the elements the line can hold (space-separated symbols)
mixtures          whether the line can also hold mixtures of elements
april_2025, october_2025  ``all``/``part``/``none``: whether the April 2025 (No. 18) and
                  October 2025 (No. 57) controls cover all, part or none of the line
source            where the facts of the row were read

Examples
--------
>>> lines = element_lines()
>>> lines.set_index("code").loc["28469015", ["form", "element", "april_2025"]].tolist()
['oxide', 'Dy', 'all']
>>> round(OXIDES["Dy"].fraction, 4)
0.8713
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from retrade.errors import CatalogError

ELEMENTS: tuple[str, ...] = ("Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
                             "Dy", "Ho", "Er", "Tm", "Yb", "Lu")
ELEMENT_NAMES: dict[str, str] = {
    "Sc": "scandium", "Y": "yttrium", "La": "lanthanum", "Ce": "cerium", "Pr": "praseodymium",
    "Nd": "neodymium", "Pm": "promethium", "Sm": "samarium", "Eu": "europium",
    "Gd": "gadolinium", "Tb": "terbium", "Dy": "dysprosium", "Ho": "holmium", "Er": "erbium",
    "Tm": "thulium", "Yb": "ytterbium", "Lu": "lutetium"}
FORMS: tuple[str, ...] = ("metal", "oxide", "chloride", "fluoride", "carbonate", "other compound",
                          "mixture", "magnet", "ore")
SCOPES: tuple[str, ...] = ("element", "other", "mixture", "all", "none")
COVERAGE: tuple[str, ...] = ("all", "part", "none")

# IUPAC standard atomic weights (CIAAW 2021, abridged to the digits below); Pm has no stable
# isotope and no standard weight, so no oxide factor
ATOMIC_WEIGHTS: dict[str, float] = {
    "O": 15.999, "Sc": 44.955907, "Y": 88.905838, "La": 138.90547, "Ce": 140.116,
    "Pr": 140.90766, "Nd": 144.242, "Sm": 150.36, "Eu": 151.964, "Gd": 157.25,
    "Tb": 158.925354, "Dy": 162.500, "Ho": 164.930329, "Er": 167.259, "Tm": 168.934219,
    "Yb": 173.045, "Lu": 174.9668}


@dataclass(frozen=True)
class Oxide:
    """The oxide a line's tonnage is taken to be, and the element's mass share of it."""

    element: str
    formula: str
    metal_atoms: int
    oxygen_atoms: int

    @property
    def fraction(self) -> float:
        """Element mass / oxide mass, from :data:`ATOMIC_WEIGHTS`."""
        metal = self.metal_atoms * ATOMIC_WEIGHTS[self.element]
        return metal / (metal + self.oxygen_atoms * ATOMIC_WEIGHTS["O"])


# the oxides traded: RE2O3, except CeO2, Pr6O11 and Tb4O7 (the stable oxides sold as "cerium
# oxide", "praseodymium oxide" and "terbium oxide"; GACC's English name of 28469017 says
# sesquioxide, Pr2O3, which would give 0.8545 instead of 0.8277: a 3% difference)
OXIDES: dict[str, Oxide] = {
    e: Oxide(e, *{"Ce": ("CeO2", 1, 2), "Pr": ("Pr6O11", 6, 11), "Tb": ("Tb4O7", 4, 7)}.get(
        e, (f"{e}2O3", 2, 3)))
    for e in ELEMENTS if e != "Pm"}

LINE_COLUMNS: tuple[str, ...] = ("code", "first_year", "last_year", "hs6", "form", "scope",
                                 "element", "elements", "mixtures", "april_2025", "october_2025",
                                 "description", "source")


def _read(name: str) -> pd.DataFrame:
    path = resources.files("retrade.catalog") / "data" / name
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=1)
def _lines() -> pd.DataFrame:
    table = _read("rare_earth_hs8_lines.csv")
    table = table.astype({"first_year": int, "last_year": int})
    table["mixtures"] = table["mixtures"].map({"True": True, "False": False})
    return validate_lines(table)


def element_lines() -> pd.DataFrame:
    """China's HS8 rare-earth lines: one row per code and span of years (a copy).

    Examples
    --------
    >>> lines = element_lines()
    >>> sorted(lines.loc[lines["code"] == "28053019", "first_year"].tolist())
    [2015, 2022]
    """
    return _lines().copy()


def select_lines(*, element: str | None = None, year: int | None = None) -> pd.DataFrame:
    """The lines of :func:`element_lines` that can hold ``element`` and are valid in ``year``.

    ``element`` is a symbol (``"Dy"``) or a name (``"dysprosium"``), any case; a line
    "can hold" it when it names it or pools it in a mixture or residual line.

    Examples
    --------
    >>> select_lines(element="terbium", year=2023)["code"].tolist()[:3]
    ['25309020', '26122000', '28053013']
    >>> select_lines(element="Xx")
    Traceback (most recent call last):
    ...
    retrade.errors.CatalogError: no rare-earth element 'Xx'; use a symbol (Sc, Y, La, ...
    """
    lines = _lines()
    keep = pd.Series(True, index=lines.index)
    if element is not None:
        symbol = element_symbol(element)
        keep &= lines["elements"].str.contains(rf"(?:^| ){symbol}(?: |$)", regex=True)
    if year is not None:
        if not isinstance(year, int) or year < 1900 or year > 2100:
            raise CatalogError(f"year must be a year such as 2023, got {year!r}")
        keep &= (lines["first_year"] <= year) & (lines["last_year"] >= year)
    return lines[keep].reset_index(drop=True).copy()


def element_symbol(value: str) -> str:
    """The symbol of a rare-earth element given by symbol or name, any case.

    Examples
    --------
    >>> element_symbol("DYSPROSIUM"), element_symbol("tb")
    ('Dy', 'Tb')
    """
    text = str(value).strip().lower()
    for symbol, name in ELEMENT_NAMES.items():
        if text in (symbol.lower(), name):
            return symbol
    raise CatalogError(f"no rare-earth element {value!r}; use a symbol "
                       f"({', '.join(ELEMENTS)}) or its name")


def line_years(years: range | None = None) -> pd.DataFrame:
    """One row per line and year of :func:`element_lines` (the code list's line-years).

    Examples
    --------
    >>> len(line_years())
    508
    """
    lines = _lines()
    span = lines["last_year"] - lines["first_year"] + 1
    out = lines.loc[lines.index.repeat(span)].copy()
    out.insert(1, "year", out["first_year"] + out.groupby(level=0).cumcount())
    if years is not None:
        out = out[out["year"].isin(list(years))]
    return out.reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def _national() -> pd.DataFrame:
    table = _read("national_rare_earth_lines.csv")
    table["mixtures"] = table["mixtures"].map({"True": True, "False": False})
    return table


def national_lines(country: str | None = None) -> pd.DataFrame:
    """10-digit national lines: China's lines named by No. 18, US HTS10 lines by element.

    Only lines read in the cited source are listed (``status`` says whether in the primary
    text or a copy); see docs/elements.md for what could not be verified.

    Examples
    --------
    >>> national_lines("CHN").set_index("code").loc["2846901940", "element"]
    'Sm'
    """
    table = _national()
    if country is not None:
        if country not in set(table["country"]):
            raise CatalogError(f"no national lines for {country!r}; known: "
                               f"{sorted(set(table['country']))}")
        table = table[table["country"] == country]
    return table.reset_index(drop=True).copy()


@functools.lru_cache(maxsize=1)
def _provinces() -> pd.DataFrame:
    return _read("china_provinces.csv")


def china_provinces() -> pd.DataFrame:
    """``code, name_zh, name_en, source`` of the 31 province-level codes of GACC downloads.

    Examples
    --------
    >>> china_provinces().set_index("code").loc["15", "name_en"]
    'Inner Mongolia'
    """
    return _provinces().copy()


def match_lines(codes: pd.Series, years: pd.Series) -> pd.DataFrame:
    """Catalog attributes of China's HS8 (or longer) codes in given years, row by row.

    A year outside the code list's span takes the nearest span's meaning (the list covers
    2015-2023; later years are read as 2023). Codes outside the catalog get missing
    attributes. Whole-column: a merge on the code, then the span that holds the year.

    Examples
    --------
    >>> m = match_lines(pd.Series(["28053019", "28053019", "12019011"]),
    ...                 pd.Series([2016, 2024, 2024]))
    >>> m["elements"].str.contains("Sc").tolist()[:2], m["form"].isna().tolist()
    ([True, False], [False, False, True])
    """
    lines = _lines()
    frame = pd.DataFrame({"code": codes.astype("string").str[:8].to_numpy(),
                          "year": pd.to_numeric(years).to_numpy(), "row": np.arange(len(codes))})
    bounds = lines.groupby("code").agg(lo=("first_year", "min"), hi=("last_year", "max"))
    merged = frame.merge(lines, on="code", how="inner").join(bounds, on="code")
    clipped = merged["year"].clip(merged["lo"], merged["hi"])
    hit = merged[(clipped >= merged["first_year"]) & (clipped <= merged["last_year"])]
    columns = [c for c in LINE_COLUMNS if c not in ("code",)]
    out = hit.set_index("row")[columns].reindex(np.arange(len(codes)))
    out.index = codes.index
    return out


def element_fraction(form: pd.Series, element: pd.Series) -> pd.Series:
    """The element's mass share of a line's product: 1 for a metal, the oxide factor for an
    oxide (:data:`OXIDES`), missing for every other form or a line without one element.

    Chlorides, fluorides and carbonates are left missing: they are traded hydrated to a
    degree the customs line does not state.

    Examples
    --------
    >>> element_fraction(pd.Series(["oxide", "metal", "chloride"]),
    ...                  pd.Series(["Nd", "Dy", "Tb"])).round(4).tolist()
    [0.8574, 1.0, nan]
    """
    factors = {e: o.fraction for e, o in OXIDES.items()}
    oxide = element.map(factors).where(form == "oxide")
    metal = pd.Series(1.0, index=form.index).where((form == "metal") & element.isin(ELEMENTS))
    return oxide.fillna(metal).astype(float)


def element_basis(form: pd.Series, element: pd.Series) -> pd.Series:
    """How :func:`element_fraction` was taken: ``metal``, ``Dy2O3 (87.13% Dy)`` ... or missing."""
    labels = {e: f"{o.formula} ({100 * o.fraction:.2f}% {e})" for e, o in OXIDES.items()}
    oxide = element.map(labels).where(form == "oxide")
    metal = pd.Series("metal", index=form.index).where((form == "metal")
                                                        & element.isin(ELEMENTS))
    return oxide.fillna(metal).astype("string")


@functools.lru_cache(maxsize=1)
def lines_schema():
    """The pandera schema of the shipped line table."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "code": pa.Column(str, pa.Check.str_matches(r"^\d{8}$")),
            "first_year": pa.Column(int, pa.Check.in_range(1990, 2100)),
            "last_year": pa.Column(int, pa.Check.in_range(1990, 2100)),
            "hs6": pa.Column(str, pa.Check.str_matches(r"^\d{6}$")),
            "form": pa.Column(str, pa.Check.isin(FORMS)),
            "scope": pa.Column(str, pa.Check.isin(SCOPES)),
            "element": pa.Column(str, pa.Check.isin(("", *ELEMENTS))),
            "elements": pa.Column(str),
            "mixtures": pa.Column(bool),
            "april_2025": pa.Column(str, pa.Check.isin(COVERAGE)),
            "october_2025": pa.Column(str, pa.Check.isin(COVERAGE)),
            "description": pa.Column(str),
            "source": pa.Column(str, pa.Check.str_length(min_value=20)),
        },
        checks=[
            pa.Check(lambda d: (d["scope"] == "element") == (d["element"] != ""),
                     error="only element lines name one element"),
            pa.Check(lambda d: d["first_year"] <= d["last_year"], error="spans run forward"),
            pa.Check(lambda d: d["code"].str[:6] == d["hs6"], error="hs6 is the code's start"),
        ],
        strict=True, ordered=True, coerce=False)


def validate_lines(table: pd.DataFrame) -> pd.DataFrame:
    """Validate a line table; raise :class:`~retrade.errors.SchemaError` listing failures."""
    import pandera.errors

    from retrade.errors import SchemaError

    try:
        return lines_schema().validate(table, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "failure_case"]].drop_duplicates()
        raise SchemaError("element catalog failed validation:\n"
                          + cases.head(15).to_string(index=False)) from None
