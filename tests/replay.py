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
