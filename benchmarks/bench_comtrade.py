"""Benchmarks of the Comtrade fetcher: planner efficiency and store throughput.

1. Planner: the calls a standard rare-earth request costs (the whole
   fetcher, over real HTTP to a local server answering from generated v1
   rows), against the minimum possible, ceil(rows / rows-per-call).
2. Store: validating and writing a large generated v1 answer through
   ``v1_table`` + ``RawStore.write`` (partitioned per reporter-period, manifest,
   lock, fsync), and reading it back de-duplicated, against pyarrow writing
   and reading the same table as one file directly.

Run: ``PYTHONPATH=src python benchmarks/bench_comtrade.py [--rows 200000]``.
Generated data only (seeded); nothing here needs the network.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.catalog.comtrade_v1 import V1_KEY, v1_table
from retrade.config import load_settings
from retrade.fetch.comtrade import KEYED_LIMITS, PREVIEW_LIMITS, fetch_comtrade
from retrade.fetch.comtrade.fetcher import split_by_unit
from retrade.fetch.comtrade.request import build_request
from retrade.store import Part, RawStore

STANDARD = dict(reporters=["CHN", "USA", "JPN", "DEU", "KOR", "VNM", "MYS", "EST"],
                partners="all", flows="M,X", hs="all", periods="2015-2024")


def v1_rows(units: list[tuple[int, str]], cmds: list[str], flows: list[str],
            partners_per: int, seed: int = 0) -> list[dict]:
    """Generated v1 rows: on average ``partners_per`` partners per unit-flow-code."""
    rng = np.random.default_rng(seed)
    rows = []
    for reporter, period in units:
        for flow in flows:
            for cmd in cmds:
                n = int(rng.integers(1, 2 * partners_per))
                for partner in rng.choice(np.arange(1, 900), size=n, replace=False):
                    rows.append(_row(reporter, period, flow, cmd, int(partner), rng))
    return rows


def _row(reporter: int, period: str, flow: str, cmd: str, partner: int, rng) -> dict:
    value = float(rng.lognormal(12, 2))
    weight = float(rng.lognormal(9, 2))
    return {
        "typeCode": "C", "freqCode": "A", "refPeriodId": int(period) * 10000 + 101,
        "refYear": int(period), "refMonth": 52, "period": period, "reporterCode": reporter,
        "reporterISO": None, "reporterDesc": None, "flowCode": flow, "flowDesc": None,
        "partnerCode": partner, "partnerISO": None, "partnerDesc": None, "partner2Code": 0,
        "partner2ISO": None, "partner2Desc": None, "classificationCode": "H5",
        "classificationSearchCode": "HS", "isOriginalClassification": True, "cmdCode": cmd,
        "cmdDesc": None, "aggrLevel": 6, "isLeaf": True, "customsCode": "C00",
        "customsDesc": None, "mosCode": "0", "motCode": 0, "motDesc": None, "qtyUnitCode": 8,
        "qtyUnitAbbr": "kg", "qty": weight, "isQtyEstimated": False, "altQtyUnitCode": -1,
        "altQtyUnitAbbr": None, "altQty": 0.0, "isAltQtyEstimated": False, "netWgt": weight,
        "isNetWgtEstimated": False, "grossWgt": 0.0, "isGrossWgtEstimated": False,
        "cifvalue": value if flow == "M" else None, "fobvalue": value if flow == "X" else None,
        "primaryValue": value, "legacyEstimationFlag": 0, "isReported": True, "isAggregate": False,
    }


# -- 1. planner --------------------------------------------------------------------------------
def planner_bench(partners_per: int) -> list[dict]:
    from pytest_httpserver import HTTPServer
    from werkzeug import Response

    request = build_request(**STANDARD)
    units = [(r, p) for r in request.reporters for p in request.periods]
    rows = v1_rows(units, list(request.cmds), list(request.flows), partners_per)
    index: dict[tuple[int, str], list[dict]] = {}
    for row in rows:
        index.setdefault((row["reporterCode"], row["period"]), []).append(row)
    results = []
    for label, key, limits in [("keyless preview", None, PREVIEW_LIMITS),
                               ("free key", "bench-key-0123456789", KEYED_LIMITS)]:
        for count_first in (True, False):
            calls: list[str] = []

            def handler(req, cap=limits.max_records, calls=calls):
                calls.append(req.args.get("countOnly", "data"))
                args = req.args
                wanted = {(int(r), p) for r in args["reporterCode"].split(",")
                          for p in args["period"].split(",")}
                flows, cmds = set(args["flowCode"].split(",")), set(args["cmdCode"].split(","))
                hits = [row for u in wanted for row in index.get(u, [])
                        if row["flowCode"] in flows and row["cmdCode"] in cmds]
                if args.get("countOnly") == "true":
                    body = {"count": len(hits), "data": [], "error": ""}
                else:
                    body = {"count": min(len(hits), cap), "data": hits[:cap], "error": ""}
                return Response(json.dumps(body), content_type="application/json")

            server = HTTPServer()
            server.expect_request("/public/v1/preview/C/A/HS").respond_with_handler(handler)
            server.expect_request("/data/v1/get/C/A/HS").respond_with_handler(handler)
            server.start()
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    settings = load_settings(data_dir=tmp, comtrade_key=key, min_interval=0,
                                             comtrade_url=server.url_for("/").rstrip("/"))
                    report = fetch_comtrade(settings=settings, progress=False, availability=False,
                                            count_first=count_first, **STANDARD)
            finally:
                server.stop()
            assert report.rows_written == len(rows), (report, len(rows))
            minimum = math.ceil(len(rows) / limits.max_records)
            results.append({
                "mode": label, "count_first": count_first, "rows": len(rows),
                "count_calls": calls.count("true"), "data_calls": calls.count("data"),
                "calls": len(calls), "minimum": minimum,
                "ratio": round(len(calls) / minimum, 2),
            })
    return results


# -- 2. store throughput -------------------------------------------------------------------------
def store_bench(n_rows: int, repeats: int = 3) -> dict:
    reporters = [156, 842, 392, 276, 410, 704, 458, 233, 764, 250]
    periods = [str(y) for y in range(2015, 2025)]
    units = [(r, p) for r in reporters for p in periods]
    cmds, flows = ["261220", "280530", "284610", "284690", "850511"], ["M", "X"]
    per = max(1, n_rows // (len(units) * len(cmds) * len(flows)))
    rows = v1_rows(units, cmds, flows, per, seed=1)
    size = len(rows)
    ours_w, ours_r, arrow_w, arrow_r = [], [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            store = RawStore(Path(tmp) / "raw")
            t0 = time.perf_counter()  # what the fetcher does with one answer
            pieces = split_by_unit(v1_table(rows))
            parts = [Part({"freq": "A", "reporter": str(r), "period": p}, "q0", t)
                     for (r, p), t in pieces.items()]
            store.write("comtrade", parts, query={"bench": True}, content_sha256="0")
            ours_w.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            back = store.read("comtrade", key=list(V1_KEY))
            ours_r.append(time.perf_counter() - t0)
            assert len(back) == size
            t0 = time.perf_counter()
            direct = pa.Table.from_pylist(rows)
            pq.write_table(direct, Path(tmp) / "direct.parquet", compression="zstd")
            arrow_w.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pq.read_table(Path(tmp) / "direct.parquet").to_pandas()
            arrow_r.append(time.perf_counter() - t0)
    med = statistics.median
    return {
        "rows": size, "files": len(units),
        "retrade_write_rows_per_s": int(size / med(ours_w)),
        "pyarrow_write_rows_per_s": int(size / med(arrow_w)),
        "write_ratio": round(med(ours_w) / med(arrow_w), 2),
        "retrade_read_rows_per_s": int(size / med(ours_r)),
        "pyarrow_read_rows_per_s": int(size / med(arrow_r)),
        "read_ratio": round(med(ours_r) / med(arrow_r), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the store benchmark")
    parser.add_argument("--partners", type=int, default=40,
                        help="mean partners per reporter-period-flow-code in the planner benchmark")
    args = parser.parse_args(argv)
    print("## planner", flush=True)
    for row in planner_bench(args.partners):
        print(json.dumps(row), flush=True)
    print("## store", flush=True)
    print(json.dumps(store_bench(args.rows)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
