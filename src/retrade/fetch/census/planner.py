"""Census calls: one flow, one commodity code, a run of months within one calendar year.

Pure: no network, no disk. A *unit* is a flow-month (``("imports",
"2024-03")``): the store is partitioned by it and incremental fetching
reasons in units. A call's *stem* names its slice (dataset and commodity
code), so a re-fetch replaces exactly the files it covers.

Variables asked for (exact names from the API's variable lists; predicate
variables such as ``I_COMMODITY``, ``COMM_LVL`` and ``time`` come back as
extra columns, so they are not asked for twice):

* imports/hs: country, summary level, HS10 description, general and
  consumption values (customs and CIF), first and second quantities and units,
  shipping weights by air and vessel;
* exports/hs: country, summary level, description, total value, quantities
  and units, shipping weights by air and vessel;
* porths: country, port, values and shipping weights by air and vessel.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from retrade.fetch.census.request import CensusRequest

GET: dict[tuple[str, str], tuple[str, ...]] = {
    ("hs", "imports"): (
        "CTY_CODE", "CTY_NAME", "SUMMARY_LVL", "I_COMMODITY_SDESC", "GEN_VAL_MO", "GEN_CIF_MO",
        "CON_VAL_MO", "CON_CIF_MO", "GEN_QY1_MO", "GEN_QY2_MO", "CON_QY1_MO", "UNIT_QY1",
        "UNIT_QY2", "AIR_WGT_MO", "VES_WGT_MO",
    ),
    ("hs", "exports"): (
        "CTY_CODE", "CTY_NAME", "SUMMARY_LVL", "E_COMMODITY_SDESC", "ALL_VAL_MO", "QTY_1_MO",
        "QTY_2_MO", "UNIT_QY1", "UNIT_QY2", "AIR_WGT_MO", "VES_WGT_MO",
    ),
    ("porths", "imports"): (
        "CTY_CODE", "CTY_NAME", "PORT", "PORT_NAME", "GEN_VAL_MO", "AIR_VAL_MO", "AIR_WGT_MO",
        "VES_VAL_MO", "VES_WGT_MO", "CNT_VAL_MO", "CNT_WGT_MO",
    ),
    ("porths", "exports"): (
        "CTY_CODE", "CTY_NAME", "PORT", "PORT_NAME", "ALL_VAL_MO", "AIR_VAL_MO", "AIR_WGT_MO",
        "VES_VAL_MO", "VES_WGT_MO", "CNT_VAL_MO", "CNT_WGT_MO",
    ),
}


def commodity_field(flow: str) -> str:
    """``I_COMMODITY`` for imports, ``E_COMMODITY`` for exports."""
    return "I_COMMODITY" if flow == "imports" else "E_COMMODITY"


def key_columns(dataset: str, flow: str) -> list[str]:
    """What identifies one raw row of a dataset and flow."""
    port = ["PORT"] if dataset == "porths" else []
    return ["time", "CTY_CODE", commodity_field(flow), *port]


@dataclass(frozen=True)
class CensusCall:
    """One call: ``/data/timeseries/intltrade/{flow}/{dataset}``."""

    dataset: str
    flow: str
    code: str
    months: tuple[str, ...]
    variables: tuple[str, ...] | None = None

    @property
    def path(self) -> str:
        return f"/data/timeseries/intltrade/{self.flow}/{self.dataset}"

    @property
    def level(self) -> str:
        """``COMM_LVL``: HS10 detail under a prefix for ``hs``, the code's own level for ports."""
        return "HS10" if self.dataset == "hs" else f"HS{len(self.code)}"

    def params(self) -> dict[str, str]:
        first, last = self.months[0], self.months[-1]
        wildcard = "*" if self.dataset == "hs" else ""
        return {
            "get": ",".join(self.variables or GET[(self.dataset, self.flow)]),
            commodity_field(self.flow): f"{self.code}{wildcard}",
            "COMM_LVL": self.level,
            "time": first if first == last else f"from {first} to {last}",
        }

    def units(self) -> list[tuple[str, str]]:
        return [(self.flow, m) for m in self.months]

    @property
    def stem(self) -> str:
        """File stem of this call's slice (dataset, level, commodity code and variables)."""
        text = f"{self.dataset}|{self.level}|{self.code}|{self.variables}"
        return f"c{self.code}-" + hashlib.sha256(text.encode()).hexdigest()[:8]

    def describe(self) -> str:
        span = self.months[0] if len(self.months) == 1 else f"{self.months[0]}..{self.months[-1]}"
        return f"census {self.dataset} {self.flow} {self.code} {span}"


def plan(request: CensusRequest, *, skip: Callable[[str, str, str], bool] = lambda f, c, m: False
         ) -> list[CensusCall]:
    """Calls covering every flow x code x month not skipped, one calendar year per call.

    A year with gaps asks for its first to last missing month: the months in
    between are fetched again and replace their files, which costs no extra call.

    Examples
    --------
    >>> from retrade.fetch.census.request import build_census_request
    >>> r = build_census_request(flows="imports", hs="284690", periods="2023-11:2024-02")
    >>> [c.params()["time"] for c in plan(r)]
    ['from 2023-11 to 2023-12', 'from 2024-01 to 2024-02']
    """
    calls = []
    for flow in request.flows:
        for code in request.codes:
            by_year: dict[str, list[str]] = defaultdict(list)
            for month in request.months:
                if not skip(flow, code, month):
                    by_year[month[:4]].append(month)
            for months in by_year.values():
                span = _span(months[0], months[-1])
                calls.append(CensusCall(request.dataset, flow, code, span, request.variables))
    return calls


def _span(first: str, last: str) -> tuple[str, ...]:
    year = first[:4]
    return tuple(f"{year}-{m:02d}" for m in range(int(first[5:]), int(last[5:]) + 1))
