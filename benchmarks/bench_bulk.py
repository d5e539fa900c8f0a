"""Benchmark: a 10^7-row Comtrade bulk file streamed into the store vs DuckDB COPY to Parquet.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_bulk.py [--rows 10000000] [--repeat 1]

The input is a synthetic bulk final file in the v1 layout
(:func:`retrade.testing.synthetic_comtrade_bulk`), written once into
``benchmarks/.work/`` (not committed) and reused. Each engine runs in a fresh
Python process so that its peak resident memory (``ru_maxrss``) is its own;
its resident memory after the imports, before any work, is printed beside
it. Engines:

* ``retrade``: :func:`retrade.fetch.comtrade.bulk_file.ingest_comtrade_bulk` (pyarrow
  streaming reader, 1 MiB blocks, filter, ParquetWriter, atomic move and
  manifest entry); counts rows read and kept in the same pass.
* ``retrade-16MiB``: the same with 16 MiB blocks.
* ``duckdb-copy``: ``COPY (SELECT * FROM read_csv(...) WHERE cmdCode IN
  (...)) TO 'x.parquet'`` with ``memory_limit='1GB'``, 2 threads; it reports
  rows written only, not rows read.

Prints a Markdown table (rows/s over the lines of the file, peak RSS).
The Dask engine (:mod:`retrade.fetch.comtrade.bulk_file_dask`) parallelises across files
(gzip is not splittable), so on one file it is one task; it is checked for
equality in ``tests/fetch/test_bulk_file.py``, not timed here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"

# each engine is a small program run in its own process; it prints one JSON line
_PRELUDE = """
import json, resource, sys, time
import psutil
path, work = sys.argv[1], sys.argv[2]

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def report(started, base, read, kept, cpu0):
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": cpu() - cpu0,
                      "read": read, "kept": kept, "base_mb": base / 2**20,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
ENGINES = {
    "retrade": """
import shutil
from retrade.store import RawStore
from retrade.fetch.comtrade.bulk_file import ingest_comtrade_bulk
shutil.rmtree(work + "/store", ignore_errors=True)
base = psutil.Process().memory_info().rss
started, cpu0 = time.perf_counter(), cpu()
r = ingest_comtrade_bulk(path, store=RawStore(work + "/store"), block_size={block})
report(started, base, r.rows_read, r.rows_kept, cpu0)
""",
    "duckdb-copy": """
import duckdb
from retrade.catalog import hs_codes
codes = ", ".join(f"'{c}'" for c in hs_codes("all", include_broad=True))
con = duckdb.connect()
con.execute("SET memory_limit='1GB'; SET threads=2; SET preserve_insertion_order=false")
base = psutil.Process().memory_info().rss
started, cpu0 = time.perf_counter(), cpu()
kept = con.execute(
    f"COPY (SELECT * FROM read_csv('{path}', delim='\\t', header=true, "
    f"types={{'cmdCode': 'VARCHAR', 'period': 'VARCHAR'}}) WHERE cmdCode IN ({codes})) "
    f"TO '{work}/duckdb.parquet' (FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
report(started, base, None, kept, cpu0)
""",
}


def programs() -> dict[str, str]:
    base = {k: v for k, v in ENGINES.items() if "{block}" not in v}
    base["retrade"] = ENGINES["retrade"].replace("{block}", str(1 << 20))
    base["retrade-16MiB"] = ENGINES["retrade"].replace("{block}", str(16 << 20))
    return base


def run(program: str, path: Path) -> dict:
    env_path = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", _PRELUDE + program, str(path), str(WORK)],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine (best kept)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from retrade.testing import synthetic_comtrade_bulk

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"C_A_ALL_2022_H6_{args.rows}.txt.gz"
    if not path.exists():
        started = time.perf_counter()
        synthetic_comtrade_bulk(path, rows=args.rows, seed=0)
        print(f"generated {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    size = path.stat().st_size / 1e6
    print(f"input: {args.rows:,} lines, {size:,.0f} MB gzipped ({path.name})\n")
    print(
        "| engine | wall s | CPU s | rows/s (wall) | rows read | rows kept "
        "| RSS after imports (MB) | peak RSS (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, program in programs().items():
        best = min((run(program, path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        read = f"{best['read']:,}" if best["read"] is not None else "(not reported)"
        print(
            f"| {name} | {best['seconds']:.1f} | {best['cpu']:.1f} "
            f"| {args.rows / best['seconds']:,.0f} | {read} | {best['kept']:,} "
            f"| {best['base_mb']:,.0f} | {best['peak_mb']:,.0f} |"
        )


if __name__ == "__main__":
    main()
