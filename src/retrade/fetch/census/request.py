"""What a user asks of the US Census Bureau trade API, checked before any call.

The API is monthly only (January 2010 onwards). Commodities are the catalog's
HS6 codes (or stages, or their headings); the ``hs`` dataset returns their
HS10 lines (HTS for imports, Schedule B for exports) through a prefix
wildcard (``I_COMMODITY=284690*`` with ``COMM_LVL=HS10``). The ``porths``
dataset (by US port) has no HS10 detail: codes go at their own level (HS2,
HS4 or HS6), and two-digit chapters of catalog codes are accepted there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from retrade import choices
from retrade.catalog import PRODUCTS
from retrade.errors import CatalogError, ConfigError, check_choice
from retrade.fetch.comtrade.request import parse_hs, parse_periods

FLOWS: tuple[str, ...] = choices.values(choices.CensusFlow)
DATASETS: tuple[str, ...] = choices.values(choices.CensusDataset)
FIRST_MONTH = "2010-01"


@dataclass(frozen=True)
class CensusRequest:
    """A validated request: dataset, flows, commodity codes, months (``YYYY-MM``), variables.

    ``variables`` is ``None`` for the default ``get`` list of each flow
    (:data:`retrade.fetch.census.planner.GET`).
    """

    dataset: str
    flows: tuple[str, ...]
    codes: tuple[str, ...]
    months: tuple[str, ...]
    variables: tuple[str, ...] | None = None


def build_census_request(
    *,
    flows: str | Iterable[str] = FLOWS,
    hs: str | Iterable[str] | None = None,
    periods: str | int | Iterable[str | int],
    dataset: str = "hs",
    variables: Iterable[str] | None = None,
) -> CensusRequest:
    """Check the options of a Census fetch.

    Examples
    --------
    >>> r = build_census_request(hs="compounds", periods="2023-11:2024-01")
    >>> r.codes, r.months
    (('284610', '284690'), ('2023-11', '2023-12', '2024-01'))
    """
    check_choice("dataset", dataset, choices.CensusDataset)
    months = tuple(f"{p[:4]}-{p[4:]}" for p in parse_periods(periods, frequency="M"))
    early = [m for m in months if m < FIRST_MONTH]
    if early:
        raise ConfigError(f"period {early[0]!r}: the Census monthly API starts at {FIRST_MONTH}")
    late = [m for m in months if m > date.today().strftime("%Y-%m")]
    if late:
        raise ConfigError(f"period {late[0]!r} is in the future")
    return CensusRequest(dataset, _flows(flows), _codes(hs, dataset), months,
                         _variables(variables, dataset))


def _variables(values: Iterable[str] | None, dataset: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    names = [v.strip() for v in ([values] if isinstance(values, str) else values)
             for v in v.split(",") if v.strip()]
    bad = [n for n in names if not re.fullmatch(r"[A-Z][A-Z0-9_]*", n)]
    if bad:
        raise ConfigError(f"variable name(s) {bad} are not Census variable names (e.g. GEN_VAL_MO)")
    needed = ["CTY_CODE", "CTY_NAME", *(["PORT"] if dataset == "porths" else [])]
    missing = [n for n in needed if n not in names]
    if missing:
        raise ConfigError(f"variables must include {missing}: they identify the rows")
    for predicate in ("I_COMMODITY", "E_COMMODITY", "COMM_LVL", "time"):
        if predicate in names:
            raise ConfigError(f"{predicate} is sent as a predicate and comes back by itself; "
                              "leave it out of variables")
    return tuple(names)


def _flows(values: str | Iterable[str]) -> tuple[str, ...]:
    items = [values] if isinstance(values, str) else list(values)
    tokens = [t.strip().lower() for v in items for t in str(v).split(",") if t.strip()]
    aliases = {"m": "imports", "import": "imports", "x": "exports", "export": "exports"}
    flows = [aliases.get(t, t) for t in tokens]
    bad = [t for t, f in zip(tokens, flows, strict=True) if f not in FLOWS]
    if bad or not flows:
        raise ConfigError(f"unknown flow(s) {bad or tokens}; allowed: {FLOWS} (or M/X)")
    return tuple(f for f in FLOWS if f in flows)


def _codes(hs: str | Iterable[str] | None, dataset: str) -> tuple[str, ...]:
    if dataset == "porths":
        items = [hs] if isinstance(hs, str) else list(hs or [])
        tokens = [t.strip() for v in items for t in str(v).split(",") if t.strip()]
        chapters = [t for t in tokens if re.fullmatch(r"\d{2}", t)]
        unknown = [c for c in chapters if not any(p.hs6.startswith(c) for p in PRODUCTS)]
        if unknown:
            raise CatalogError(f"HS chapter(s) {unknown} hold no rare-earth catalog code")
        rest = [t for t in tokens if t not in chapters]
        return tuple(sorted({*chapters, *(parse_hs(rest) if rest or not chapters else ())}))
    return parse_hs(hs)
