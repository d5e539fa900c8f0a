"""Replay recorded real API answers from ../shared/data over a real local HTTP server.

Nothing here is a copy of the shared data: every body is read from the shared
files at test time. ``ComtradeReplay`` serves the real rare-earth v1 rows of
the PNNL collection as the v1 API would (filtering on the documented query
parameters, honouring ``maxRecords`` and ``countOnly``), with the JSON types
taken from a real recorded v1 answer; scripted faults (429, 5xx, bad JSON)
come first when queued.
"""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from typing import Any

import pandas as pd
from werkzeug import Request, Response

COLLECTOR_COLUMNS = ("commodity_name", "hs_code", "query_year")


def recorded(folder: Path, stem: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body bytes of a recorded answer (``stem.body.json``/``.meta.json``)."""
    body = (folder / f"{stem}.body.json").read_bytes()
    meta_path = folder / f"{stem}.meta.json"
    if not meta_path.exists():
        return 200, {"Content-Type": "application/json"}, body
    meta = json.loads(meta_path.read_text())
    skip = {"content-length", "transfer-encoding", "content-encoding"}  # the bodies are decoded
    headers = {k: v for k, v in meta["headers"].items() if k.lower() not in skip}
    return int(meta["status_code"]), headers, body


def v1_types(fixture_body: bytes) -> dict[str, type]:
    """JSON type of each v1 field, read from a real recorded v1 answer."""
    rows = json.loads(fixture_body)["data"]
    types: dict[str, type] = {}
    for row in rows:
        for key, value in row.items():
            if value is not None:
                types.setdefault(key, type(value))
    for row in rows:
        for key in row:
            types.setdefault(key, float)  # null in every recorded row: the numeric measures
    return types


def pnnl_rows(csv_path: Path, types: dict[str, type]) -> list[dict[str, Any]]:
    """The PNNL v1 rows as the API's JSON records (the CSV lost the JSON types)."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    frame = frame.drop(columns=[c for c in COLLECTOR_COLUMNS if c in frame.columns])
    return [{k: _typed(v, types.get(k, str)) for k, v in rec.items()}
            for rec in frame.to_dict("records")]


def _typed(text: str, kind: type) -> Any:
    if text == "":
        return None
    if kind is bool:
        return {"True": True, "False": False, "true": True, "false": False}[text]
    if kind is int:
        return int(float(text))
    if kind is float:
        return float(text)
    return text


def v1_body(rows: list[dict[str, Any]], count: int | None = None) -> bytes:
    """A v1 answer body in the documented shape."""
    body = {"elapsedTime": "0.05 secs", "count": len(rows) if count is None else count,
            "data": rows, "error": ""}
    return json.dumps(body).encode()


class ComtradeReplay:
    """A request handler for pytest-httpserver that answers like the v1 API from recorded rows."""

    FILTERS = ("reporterCode", "partnerCode", "flowCode", "cmdCode", "period", "partner2Code",
               "motCode", "customsCode")

    def __init__(self, rows: list[dict[str, Any]], *, cap: int = 500,
                 unauthorized: tuple[int, dict[str, str], bytes] | None = None,
                 key: str | None = None):
        self.rows, self.cap, self.key = rows, cap, key
        self.unauthorized = unauthorized
        self.faults: deque[tuple[int, dict[str, str], bytes]] = deque()
        self.released: dict[tuple[int, str], str] = {}
        self.log: list[dict[str, Any]] = []
        self.fail_after: int | None = None  # answer 502 once this many calls were served

    def install(self, server) -> ComtradeReplay:
        server.expect_request(re.compile(r"^/(public|data)/v1/.+")).respond_with_handler(self)
        return self

    def __call__(self, request: Request) -> Response:
        params = dict(request.args.items())
        key_sent = request.headers.get("Ocp-Apim-Subscription-Key")
        self.log.append({"path": request.path, "params": params, "key": key_sent})
        if self.fail_after is not None and len(self.log) > self.fail_after:
            return Response(b"Bad Gateway: upstream down", status=502)
        if self.faults:
            status, headers, body = self.faults.popleft()
            return Response(body, status=status, headers=headers)
        if request.path.startswith("/data/") and self.key is not None and key_sent != self.key:
            assert self.unauthorized is not None
            status, headers, body = self.unauthorized
            return Response(body, status=status, headers=headers)
        if "/getda/" in request.path.lower():
            return self._json(self._availability(params))
        rows = [r for r in self.rows if self._matches(r, params)]
        if params.get("countOnly") == "true":
            return self._json(v1_body([], count=len(rows)))
        limit = min(self.cap, int(params.get("maxRecords", self.cap)))
        return self._json(v1_body(rows[:limit]))

    def _matches(self, row: dict[str, Any], params: dict[str, str]) -> bool:
        for name in self.FILTERS:
            if name in params and str(row.get(name)) not in params[name].split(","):
                return False
        return True

    def _availability(self, params: dict[str, str]) -> bytes:
        reporters = params["reporterCode"].split(",")
        periods = params["period"].split(",")
        rows = [{"reporterCode": r, "period": p, "lastReleased": when, "classificationCode": "H6"}
                for (r, p), when in self.released.items()
                if str(r) in reporters and p in periods]
        return v1_body(rows)

    @staticmethod
    def _json(body: bytes) -> Response:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return Response(body, status=200, headers=headers)

    def data_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.log if "/getda/" not in c["path"].lower()]


# -- US Census Bureau --------------------------------------------------------------------------
def census_csv_rows(csv_path: Path) -> list[list[str | None]]:
    """The API answer (header row first) inside an R ``write.csv`` of ``jsonlite::fromJSON`` output.

    R wrote the API's header as the first data row and JSON ``null`` as unquoted ``NA``.
    """
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    values = frame.drop(columns=frame.columns[0]).to_numpy().tolist()
    return [[None if v == "NA" else v for v in row] for row in values]


def census_body(table: list[list[str | None]]) -> bytes:
    """An array-of-arrays body with rows separated by ``,\\n`` as the live API sends them."""
    return ("[" + ",\n".join(json.dumps(row) for row in table) + "]").encode()


class CensusReplay:
    """Answers ``/data/timeseries/intltrade/{flow}/{dataset}`` in the API's documented form.

    ``tables[(flow, dataset)]`` is a full answer (header + rows); a request gets
    the rows whose commodity matches the predicate (``2846*`` as a prefix, else
    exactly) and whose ``time`` is in the asked month or ``from A to B`` range,
    with the ``get`` variables first and the predicate variables after them.
    No matching row: HTTP 204 with an empty body.
    """

    def __init__(self, tables: dict[tuple[str, str], list[list[str | None]]]):
        self.tables = tables
        self.faults: deque[tuple[int, dict[str, str], bytes]] = deque()
        self.fail_after: int | None = None
        self.log: list[dict[str, Any]] = []

    def install(self, server) -> CensusReplay:
        server.expect_request(re.compile(r"^/data/timeseries/intltrade/.+")).respond_with_handler(
            self)
        return self

    def __call__(self, request: Request) -> Response:
        params = dict(request.args.items())
        self.log.append({"path": request.path, "params": params})
        if self.fail_after is not None and len(self.log) > self.fail_after:
            return Response(b"Service Unavailable", status=503)
        if self.faults:
            status, headers, body = self.faults.popleft()
            return Response(body, status=status, headers=headers)
        _, flow, dataset = request.path.rsplit("/", 2)
        header, *rows = self.tables[(flow, dataset)]
        field = "I_COMMODITY" if flow == "imports" else "E_COMMODITY"
        wanted = params[field]
        months = _months(params["time"])
        c, t = header.index(field), header.index("time")
        hits = [r for r in rows if r[t] in months and (
            r[c].startswith(wanted[:-1]) if wanted.endswith("*") else r[c] == wanted)]
        if not hits:
            return Response(b"", status=204)
        asked = params["get"].split(",") + [field, "COMM_LVL", "time"]
        index = [header.index(name) for name in asked]
        table = [asked] + [[r[i] for i in index] for r in hits]
        return Response(census_body(table), status=200,
                        headers={"Content-Type": "application/json;charset=utf-8"})


def _months(time: str) -> set[str]:
    if not time.startswith("from "):
        return {time}
    first, last = time[5:].split(" to ")
    out, (y, m) = set(), (int(first[:4]), int(first[5:]))
    while f"{y}-{m:02d}" <= last:
        out.add(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# -- UN Comtrade bulk files --------------------------------------------------------------------
def size_text(n: int) -> str:
    """A byte count the way the bulk file list writes it (183.34 KB for 187,742 bytes)."""
    return f"{n / 1024:.2f} KB"


class BulkReplay:
    """Answers the bulk list (``/bulk/v1/get/...``) and files (``/bulk/v1/file/{reporter}/{hash}``).

    ``listing`` is the body of the list answer (a recorded one, or rows derived
    from it); ``files[hash]`` is a file's bytes, served as comtradr recorded the
    live API serving one (``application/TSV``, the name and size in
    ``Content-Disposition``), or a callable returning the whole response.
    ``faults["list"]``/``faults["file"]`` are answered first when queued; with
    ``key`` set, a request without it gets ``unauthorized``.
    """

    def __init__(self, listing: bytes, *, key: str | None = None,
                 unauthorized: tuple[int, dict[str, str], bytes] | None = None):
        self.listing, self.key, self.unauthorized = listing, key, unauthorized
        self.files: dict[str, Any] = {}
        self.faults: dict[str, deque[Response]] = {"list": deque(), "file": deque()}
        self.log: list[dict[str, Any]] = []

    def install(self, server) -> BulkReplay:
        server.expect_request(re.compile(r"^/(bulk/v1|blob)/.+")).respond_with_handler(self)
        return self

    def __call__(self, request: Request) -> Response:
        key_sent = request.headers.get("Ocp-Apim-Subscription-Key")
        self.log.append({"path": request.path, "params": dict(request.args.items()),
                         "key": key_sent, "host": request.host})
        kind = "list" if request.path.startswith("/bulk/v1/get/") else "file"
        if self.faults[kind]:
            return self.faults[kind].popleft()
        if self.key is not None and key_sent != self.key and request.path.startswith("/bulk/"):
            assert self.unauthorized is not None
            status, headers, body = self.unauthorized
            return Response(body, status=status, headers=headers)
        if kind == "list":
            return Response(self.listing, status=200, headers={"Content-Type": "application/json"})
        served = self.files[request.path.rsplit("/", 1)[-1]]
        return served() if callable(served) else self.file_response(served)

    @staticmethod
    def file_response(data: bytes, name: str = "C/A/32/C_A_32_196201_S1_O.txt.gz") -> Response:
        headers = {"Content-Type": "application/TSV",
                   "Content-Disposition": f'attachment; filename="{name}"; size={len(data)}'}
        return Response(data, status=200, headers=headers)

    def downloads(self) -> list[dict[str, Any]]:
        return [c for c in self.log if not c["path"].startswith("/bulk/v1/get/")]


# -- the keyless public preview, end to end ---------------------------------------------------
# The stand-in that tests and notebooks fetch from (RETRADE_COMTRADE_URL): the v1 preview and
# availability endpoints over real rows. Rows come from two real sources, read at run time:
# * the PNNL collection's v1 rows (CHN and USA, 2846 and 280530, 2020-2024), as the API sent
#   them (re-typed, see pnnl_rows);
# * China's exports by partner, 2010-2024, HS 280530/284690/850511, from the WITS "By HS6
#   product" downloads of Comtrade data (the coursework panel's observed rows and its World
#   rows), converted here to v1 records: the identifying fields of a real recorded v1 answer
#   (comtradr's China 2010 query) with the WITS partner, year, line, value and weight put in,
#   partners mapped to Comtrade codes through the real Reporters reference list. Where PNNL
#   has the same reporter-partner-flow-line-year, its row is served and the WITS one is not.

WITS_LONG = ("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
WITS_WORLD = ("semenko-china-ree-wits", "DERIVED_china_ree_exports_world_annual.csv")
PNNL_V1 = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
RECORDED_V1 = ("comtradr-fixtures", "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")
REPORTERS = ("comtradr-fixtures", "reference_Reporters.body.json")
REFERENCE_HS = ("comtradr-fixtures", "reference_HS.body.json")
# the HS vintage China reported each year in (HS2007 to 2011, then HS2012, HS2017, HS2022)
VINTAGES = ((2012, "H3"), (2017, "H4"), (2022, "H5"), (9999, "H6"))
# WITS partner names that are Comtrade partner areas, not reporters (Comtrade's partnerAreas codes)
PARTNER_AREAS = {"Occ.Pal.Terr": (275, "PSE", "State of Palestine"),
                 "Western Sahara": (732, "ESH", "Western Sahara"),
                 "Serbia, FR(Serbia/Montenegro)": (891, "SCG", "Serbia and Montenegro"),
                 "Unspecified": (899, "_X", "Areas, nes")}
# the gateway's answer to a path it does not serve (probed without a key, June 2026: the
# un-comtrade-sdk project's ENDPOINT_VERIFICATION.md)
NOT_FOUND = b'{ "statusCode": 404, "message": "Resource not found" }'


def reporter_codes(reporters_json: Path) -> tuple[dict[str, int], dict[str, tuple[int, str, str]]]:
    """Comtrade codes by name and by ISO3 from the real Reporters list: (by name, by ISO3)."""
    results = json.loads(reporters_json.read_bytes())["results"]
    by_name = {r["text"]: r["reporterCode"] for r in results}
    current = sorted(results, key=lambda r: r["entryEffectiveDate"])  # later entries win
    by_iso = {r["reporterCodeIsoAlpha3"]: (r["reporterCode"], r["reporterCodeIsoAlpha3"],
                                           r["reporterDesc"])
              for r in current if not r["isGroup"] and r.get("reporterCodeIsoAlpha3")}
    return by_name, by_iso


def _partner(name: str, by_name: dict[str, int], by_iso: dict, iso_of: dict[str, str | None],
             names_by_code: dict[int, tuple[str, str]]):
    if name in PARTNER_AREAS:
        return PARTNER_AREAS[name]
    if name in by_name:
        code = by_name[name]
        iso, desc = names_by_code.get(code, (None, name))
        return code, iso, desc
    iso = iso_of.get(name)
    return by_iso.get(iso) if iso else None


def wits_v1_rows(long_csv: Path, world_csv: Path, template: dict[str, Any],
                 reporters_json: Path, hs_json: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """China's WITS exports by partner (and to the World) as v1 records; also the names left out.

    Only observed rows are converted (the balanced panel's zero fills are not observations).
    """
    import logging

    import country_converter as coco

    long = pd.read_csv(long_csv)
    long = long[long["observed_in_wits"] == 1]
    world = pd.read_csv(world_csv).assign(partner="World")
    frame = pd.concat([long, world], ignore_index=True)
    by_name, by_iso = reporter_codes(reporters_json)
    names_by_code = {code: (iso, desc) for code, iso, desc in by_iso.values()}
    names = sorted(set(frame["partner"]) - {"World"})
    quiet = logging.getLogger("country_converter")
    level, quiet.level = quiet.level, logging.ERROR  # names it does not know are handled below
    try:
        iso_of = dict(zip(names, coco.convert(names, to="ISO3", not_found=None), strict=True))
    finally:
        quiet.setLevel(level)
    texts = {r["id"]: r["text"] for r in json.loads(hs_json.read_bytes())["results"]}
    rows, missing = [], set()
    for rec in frame.to_dict("records"):
        if rec["partner"] == "World":
            partner = (0, "W00", "World")
        else:
            partner = _partner(rec["partner"], by_name, by_iso, iso_of, names_by_code)
        if partner is None:
            missing.add(rec["partner"])
            continue
        rows.append(_v1_record(template, int(rec["year"]), str(rec["hs_code"]), partner,
                               float(rec["export_value_usd"]), float(rec["quantity_kg"]),
                               texts.get(str(rec["hs_code"]))))
    return rows, sorted(missing)


def _v1_record(template: dict[str, Any], year: int, cmd: str, partner: tuple, value: float,
               kg: float, description: str | None) -> dict[str, Any]:
    code, iso, desc = partner
    vintage = next(v for limit, v in VINTAGES if year < limit)
    return {**template, "refPeriodId": year * 10000 + 101, "refYear": year, "refMonth": 52,
            "period": str(year), "reporterCode": 156, "reporterISO": "CHN",
            "reporterDesc": "China", "flowCode": "X", "flowDesc": "Export",
            "partnerCode": code, "partnerISO": iso, "partnerDesc": desc,
            "classificationCode": vintage, "cmdCode": cmd, "cmdDesc": description,
            "aggrLevel": 6, "isLeaf": True, "qtyUnitCode": 8, "qtyUnitAbbr": "kg", "qty": kg,
            "isQtyEstimated": False, "netWgt": kg, "isNetWgtEstimated": False,
            "grossWgt": None, "cifvalue": None, "fobvalue": value, "primaryValue": value}


def standin_rows(shared_path) -> list[dict[str, Any]]:
    """Every real row the stand-in serves: PNNL's v1 rows, then the converted WITS rows."""
    _, _, body = recorded(shared_path(RECORDED_V1[0]), RECORDED_V1[1])
    pnnl = pnnl_rows(shared_path(*PNNL_V1), v1_types(body))
    template = next(r for r in json.loads(body)["data"] if r["flowCode"] == "X")
    wits, _ = wits_v1_rows(shared_path(*WITS_LONG), shared_path(*WITS_WORLD), template,
                           shared_path(*REPORTERS), shared_path(*REFERENCE_HS))
    served = {_flow_key(r) for r in pnnl}
    return pnnl + [r for r in wits if _flow_key(r) not in served]


def _flow_key(row: dict[str, Any]) -> tuple:
    return (row["reporterCode"], row["partnerCode"], row["flowCode"], row["cmdCode"],
            str(row["period"]))


def released_units(rows: list[dict[str, Any]]) -> dict[tuple[int, str], str]:
    """A release date for every reporter-period the rows hold: mid-year after the period."""
    return {(r["reporterCode"], str(r["period"])): f"{int(str(r['period'])[:4]) + 1}-06-30T00:00:00"
            for r in rows}


class PreviewStandIn(ComtradeReplay):
    """The keyless public preview (``/public/v1/preview``) and availability (``getDA``) over rows.

    Options: ``count_shape`` puts a ``countOnly`` count in the envelope
    (``"envelope"``, as comtradeapicall reads it) or in ``data[0].count``
    (``"data"``); ``capped_count`` makes the envelope ``count`` of a data answer
    at most the cap (the real preview answered ``count`` 500 to ``maxRecords=20``);
    ``availability`` is the spellings of the availability path served (both by
    default), none for an endpoint that answers 404 as the gateway does.
    """

    def __init__(self, rows: list[dict[str, Any]], *, count_shape: str = "envelope",
                 capped_count: bool = False,
                 availability: tuple[str, ...] = ("getDA", "getDa"), **kwargs: Any):
        super().__init__(rows, **kwargs)
        self.count_shape, self.capped_count = count_shape, capped_count
        self.availability = availability
        self.released = released_units(rows)

    def __call__(self, request: Request) -> Response:
        params = dict(request.args.items())
        if "/getda/" in request.path.lower():
            name = request.path.split("/")[3]
            if name not in self.availability:
                self.log.append({"path": request.path, "params": params, "key": None})
                return Response(NOT_FOUND, status=404,
                                headers={"Content-Type": "application/json"})
            return super().__call__(request)
        if params.get("countOnly") == "true" and self.count_shape == "data" and not self.faults:
            self.log.append({"path": request.path, "params": params, "key": None})
            rows = [r for r in self.rows if self._matches(r, params)]
            body = {"elapsedTime": "0.01 secs", "count": 1, "data": [{"count": len(rows)}],
                    "error": ""}
            return self._json(json.dumps(body).encode())
        if self.capped_count and "countOnly" not in params and not self.faults:
            self.log.append({"path": request.path, "params": params, "key": None})
            rows = [r for r in self.rows if self._matches(r, params)]
            limit = min(self.cap, int(params.get("maxRecords", self.cap)))
            return self._json(v1_body(rows[:limit], count=min(len(rows), self.cap)))
        return super().__call__(request)


def start_standin(shared_path, **options: Any):
    """A running local server with a :class:`PreviewStandIn` over :func:`standin_rows`.

    Returns ``(server, stand_in)``; stop the server with ``server.stop()``.
    """
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    stand_in = PreviewStandIn(standin_rows(shared_path), **options).install(server)
    return server, stand_in
