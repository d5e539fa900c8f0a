"""Benchmark: the quarterly pipeline (``retrade run --offline``) on the shared data, by step.

Builds a store in a temporary folder from the rare-earth files under
../shared/data (read at run time, never copied into the repository): China's
WITS exports by partner, every monthly table of China's exports, the BACI world
summaries, the China supply JSON, the PNNL Comtrade rows and the USGS MCS CSVs.
Then runs :func:`retrade.pipeline.run_quarterly` offline ``--runs`` times on it,
and once on an empty store (a fresh machine), and prints for each step:

- wall time (the median over the runs, and the range),
- CPU time of the process (all threads) in the step, which a shared machine
  disturbs less than wall time,
- peak resident memory within the step, sampled every 10 ms from
  ``/proc/self/statm`` by a thread (``getrusage`` only gives the running maximum),
  and how far it rose above the memory at the step's start.

The empty-store run comes first, so it pays the libraries' first imports as a new
``retrade run`` process does; the full-data runs after it are warm.

Run from the repository root:

    PYTHONPATH=src .venv/bin/python benchmarks/bench_pipeline.py --runs 3
    PYTHONPATH=src .venv/bin/python benchmarks/bench_pipeline.py --runs 1 \\
        --models naive,ets,sarimax,ensemble,prophet     # the cost of adding prophet
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))
MONTHLY = {"reporter": "CHN", "flow": "export"}
PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20


def shared_files() -> list[tuple[Path, dict]]:
    """The rare-earth files of the shared data that ``retrade import`` reads, with options."""
    qennis = SHARED / "qennis-china-critical-minerals"
    atlas = SHARED / "materials-atlas"
    files = [(SHARED / "semenko-china-ree-wits"
              / "DERIVED_china_ree_exports_bilateral_panel_long.csv", {})]
    files += [(p, MONTHLY) for p in sorted(qennis.glob("*.csv")) if p.name != "hs_map.csv"]
    files += [(atlas / name, {}) for name in ("TRANSCRIBED_baci_re_world_summary_2002_2024.csv",
                                              "TRANSCRIBED_baci_850511_world_series_2002_2024.csv",
                                              "china_ree_supply.json")]
    files.append((SHARED / "pnnl-cmm-data" / "comtrade_v1_chn_usa_2846_280530_2020_2024.csv", {}))
    files += [(p, {}) for p in sorted((SHARED / "pnnl-cmm-data" / "usgs_mcs").glob("*.csv"))]
    return files


class RssSampler:
    """Resident memory of this process every ``interval`` seconds, with perf_counter stamps."""

    def __init__(self, interval: float = 0.01):
        self.interval, self.samples, self._stop = interval, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with open("/proc/self/statm") as fh:
            while not self._stop.is_set():
                fh.seek(0)
                self.samples.append((time.perf_counter(), int(fh.read().split()[1]) * PAGE_MIB))
                time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, when: float) -> float:
        """The last sample taken at or before ``when``."""
        before = [rss for t, rss in self.samples if t <= when]
        return before[-1] if before else self.samples[0][1]

    def peak(self, start: float, end: float) -> float:
        """The largest sample in ``[start, end]`` (or the one in force at ``start``)."""
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max([self.at(start), *inside])


def build_store(settings) -> float:
    """Import the shared files into the store; the seconds it took."""
    from retrade.fetch.files import import_file

    start = time.perf_counter()
    for path, options in shared_files():
        import_file(path, settings=settings, **options)
    return time.perf_counter() - start


def one_run(settings, models: list[str], label: str) -> pd.DataFrame:
    """One offline run under the memory sampler: a row per step."""
    from retrade.pipeline import run_quarterly

    with RssSampler() as sampler:
        origin = time.perf_counter()
        result = run_quarterly(quarter="2026Q4", offline=True, settings=settings,
                               forecast_models=models, progress=False)
    bad = [s.key for s in result.sections if s.status == "failed"]
    if bad:
        raise SystemExit(f"sections failed: {bad}")
    rows = []
    for t in result.steps:
        start, end = origin + t.started, origin + t.started + t.seconds
        peak = sampler.peak(start, end)
        rows.append({"run": label, "step": t.name, "wall_s": t.seconds, "cpu_s": t.cpu_seconds,
                     "peak_rss_mib": peak, "peak_above_start_mib": peak - sampler.at(start)})
    peak = max(rss for _, rss in sampler.samples)
    rows.append({"run": label, "step": "TOTAL", "wall_s": sum(t.seconds for t in result.steps),
                 "cpu_s": sum(t.cpu_seconds for t in result.steps), "peak_rss_mib": peak,
                 "peak_above_start_mib": peak - sampler.samples[0][1]})
    return pd.DataFrame(rows)


def summarise(runs: list[pd.DataFrame]) -> pd.DataFrame:
    """Median wall time, its range, median CPU time and the largest peak memory per step."""
    table = pd.concat(runs, ignore_index=True)
    order = list(dict.fromkeys(table["step"]))
    grouped = table.groupby("step", sort=False)
    out = pd.DataFrame({
        "wall_s_median": grouped["wall_s"].median(),
        "wall_s_min": grouped["wall_s"].min(),
        "wall_s_max": grouped["wall_s"].max(),
        "cpu_s_median": grouped["cpu_s"].median(),
        "peak_rss_mib": grouped["peak_rss_mib"].max(),
        "peak_above_start_mib": grouped["peak_above_start_mib"].max(),
    })
    return out.loc[order].reset_index()


def main() -> None:
    from retrade.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", default="naive,ets,sarimax,ensemble")
    args = parser.parse_args()
    models = args.models.split(",")
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        # the empty store first: its run pays the first imports of the libraries, as a fresh
        # process does; the full runs after it are warm
        empty = Settings(data_dir=Path(tmp) / "empty", reports_dir=Path(tmp) / "reports-empty")
        fresh = one_run(empty, models, "empty store")
        full = Settings(data_dir=Path(tmp) / "data", reports_dir=Path(tmp) / "reports")
        import_s = build_store(full)
        runs = [one_run(full, models, f"full {i + 1}") for i in range(args.runs)]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end; "
          f"models {models}")
    print(f"\nimport of {len(shared_files())} shared files into a new store: {import_s:.2f} s")
    print(f"\n## full shared data, offline, {args.runs} run(s)\n")
    print(summarise(runs).to_markdown(index=False, floatfmt=".2f"))
    print("\n## empty store (fresh machine), offline, 1 run, first in the process\n")
    print(summarise([fresh]).to_markdown(index=False, floatfmt=".2f"))
    total = statistics.median(r.loc[r["step"] == "TOTAL", "wall_s"].iloc[0] for r in runs)
    print(f"\nmedian total, full data: {total:.1f} s")


if __name__ == "__main__":
    main()
