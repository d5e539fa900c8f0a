"""Benchmark of the keyless quarterly plan: calls and wall time on real rows, first run and re-run.

The quarterly run's fetch step (``retrade.pipeline.fetching.run_fetch`` with the
default plan and no key) runs over real HTTP against the local stand-in of
UN Comtrade's public preview that the tests use (``tests/replay.py``): real rows
read from ``../shared/data`` at run time (PNNL's v1 rows and China's WITS exports
by partner converted to v1 records), answers cut at 500 rows, the availability
endpoint answering for every reporter-year the rows hold. The Census source is
left out (it needs a key since May 2026).

Reported:

1. first run from an empty store: calls by kind (availability, count, data),
   the rows fetched, the minimum possible calls ceil(rows / 500) with the
   ratio, the wall time against the local server, and the time the same calls
   take at the default pace (one call a second);
2. a quarterly re-run when nothing was released: calls (availability only)
   and the wall time of the fetch step, and of the whole ``run_quarterly``
   against an offline run of the same store (the reference).

Run: ``PYTHONPATH=src python benchmarks/bench_keyless.py [--repeats 3]``
(from the repository root, ../shared beside it). Medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT / "tests"))

from replay import start_standin  # noqa: E402
from retrade.config import load_settings  # noqa: E402
from retrade.pipeline import FetchPlan, run_quarterly  # noqa: E402
from retrade.pipeline.fetching import KEYLESS_LEGS, run_fetch  # noqa: E402

CORE = ("261220", "280530", "284610", "284690", "850511")
FAST = ("naive", "ets")


def kind(call: dict) -> str:
    if "/getda/" in call["path"].lower():
        return "availability"
    return "count" if call["params"].get("countOnly") == "true" else "data"


def planned_rows(rows: list[dict]) -> int:
    """Rows the keyless plan asks for: the legs' reporters and flows, core lines, 2010-last year."""
    from retrade.catalog import iso3_to_comtrade

    asked = {(iso3_to_comtrade(r), f) for leg in KEYLESS_LEGS for r in leg.reporters
             for f in leg.flows.split(",")}
    last = date.today().year - 1
    return sum(1 for r in rows if (r["reporterCode"], r["flowCode"]) in asked
               and r["cmdCode"] in CORE and 2010 <= int(r["period"]) <= last)


def once(url: str, standin) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(tmp / Path("none.toml"), data_dir=Path(tmp) / "data",
                                 reports_dir=Path(tmp) / "reports", comtrade_url=url,
                                 min_interval=0)
        plan = FetchPlan(census=None)
        standin.log.clear()
        t0 = time.perf_counter()
        (first,) = run_fetch(plan, settings, offline=False, progress=False)
        first_s = time.perf_counter() - t0
        first_kinds = [kind(c) for c in standin.log]
        standin.log.clear()
        t0 = time.perf_counter()
        (again,) = run_fetch(plan, settings, offline=False, progress=False)
        again_s = time.perf_counter() - t0
        again_kinds = [kind(c) for c in standin.log]
        t0 = time.perf_counter()
        run_quarterly(settings=settings, fetch_plan=plan, forecast_models=FAST, progress=False)
        rerun_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_quarterly(settings=settings.with_(reports_dir=Path(tmp) / "offline"), offline=True,
                      forecast_models=FAST, progress=False)
        offline_s = time.perf_counter() - t0
    assert first.status == "fetched" and again.rows == 0, (first, again)
    return {"first_kinds": first_kinds, "first_rows": first.rows, "first_s": first_s,
            "again_kinds": again_kinds, "again_s": again_s, "rerun_s": rerun_s,
            "offline_s": offline_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    server, standin = start_standin(lambda *parts: SHARED.joinpath(*parts))
    try:
        url = server.url_for("/").rstrip("/")
        runs = [once(url, standin) for _ in range(args.repeats)]
    finally:
        server.stop()
    med = statistics.median
    first = runs[0]["first_kinds"]
    rows = runs[0]["first_rows"]
    assert rows == planned_rows(standin.rows), (rows, planned_rows(standin.rows))
    minimum = math.ceil(rows / 500)
    data_calls = first.count("data")
    print(json.dumps({
        "first_run": {
            "rows": rows, "availability_calls": first.count("availability"),
            "count_calls": first.count("count"), "data_calls": data_calls,
            "calls": len(first), "minimum_calls": minimum,
            "ratio_all_calls": round(len(first) / minimum, 2),
            "ratio_data_calls": round(data_calls / minimum, 2),
            "wall_s_local": round(med(r["first_s"] for r in runs), 2),
            "at_default_pace_s": len(first) * 1.0,
        },
        "rerun_nothing_released": {
            "calls": len(runs[0]["again_kinds"]),
            "all_availability": set(runs[0]["again_kinds"]) == {"availability"},
            "fetch_step_wall_s_local": round(med(r["again_s"] for r in runs), 3),
            "at_default_pace_s": len(runs[0]["again_kinds"]) * 1.0,
            "whole_run_s": round(med(r["rerun_s"] for r in runs), 2),
            "offline_run_s": round(med(r["offline_s"] for r in runs), 2),
            "ratio_rerun_vs_offline": round(med(r["rerun_s"] for r in runs)
                                            / med(r["offline_s"] for r in runs), 2),
        },
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
