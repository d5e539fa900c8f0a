"""Benchmark: retrade at 10^4-10^6 rows against the libraries it wraps, side by side.

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_scale.py [--sizes 10000,100000,1000000]
        [--only import,build,run,models] [--repeat 3]

Every input is generated here, from fixed seeds; nothing is read from disk
but what this script writes into ``benchmarks/.work/`` (not committed).

* **import**: a synthetic Comtrade v1 CSV download
  (:func:`retrade.testing.synthetic_comtrade_download`, World rows included)
  imported with :func:`retrade.import_file` into a fresh store, against DuckDB
  ``COPY (SELECT * FROM read_csv(...)) TO '...parquet'`` on the same file. Each
  runs in its own Python process (so each peak RSS, ``VmHWM``, is its own);
  the time is the work only, after the imports; ``*_libraries_mb`` is the
  resident memory once the libraries are loaded, before any work. Throughput ratio =
  DuckDB's time / retrade's (the target is at least 0.3); memory ratio =
  retrade's peak / DuckDB's (at most 2).
* **models**: :func:`retrade.models.gravity`, :func:`~retrade.models.exposure_did`
  and :func:`~retrade.models.event_study` on simulated panels, against pyfixest
  called directly on the frame retrade hands it (the model's columns only: outcome,
  terms, fixed effects, cluster; same formula, fixed effects, cluster, small-sample
  correction and demeaner tolerance). Two retrade calls: from panel rows
  (``retrade_s``; ``ratio`` = retrade / pyfixest) and on the design prepared once
  (:func:`~retrade.models.build_design`, :func:`~retrade.models.gravity_design`;
  ``on_design_s``, ``design_ratio``); the target is at most 1.2. ``prepare_s`` is
  the preparation alone (balancing, exposure, outcome, fixed-effect keys).
  pyfixest is called with its defaults, which copy the frame it is given
  (``copy_data=True``); retrade builds a frame for each fit and passes
  ``copy_data=False``, so the same reference without the copy is timed too
  (``pyfixest_uncopied_s``, ``design_ratio_uncopied``).
  The gravity counterfactual (a second PPML on the untreated flows) is computed
  when it is first asked for; it is timed apart, against pyfixest fitting the
  same second model.
* **build**: ``retrade panel build`` on the store the import made, as a whole
  command in a fresh process (``command_s``: imports included, the
  interpreter's own start not) and as the work of ``build_panel`` after the
  imports (``retrade_work_s``), against DuckDB reading the same live raw
  Parquet files (the columns the
  Comtrade adapter reads), keeping the newest row of each v1 key and writing
  one Parquet file: the floor of reading, de-duplicating and writing, with no
  harmonizing, validation, quality table or mirror flows. Peak = ``VmHWM``.
  ``retrade_cpu_us_per_row`` is the same run's CPU time (``time.process_time``,
  every thread): builds of 50k-500k rows compute the quality table and mirror
  flows side by side, so their wall-clock time per row is lower than their CPU
  time per row, and lower than that of smaller and larger builds.
* **run**: ``retrade run --offline --json`` on the built store (the panel
  build is current, so it is read back), then again with ``data/processed``
  removed (the run builds); seconds of the whole command, the steps' own
  timings from ``--json``, and the peak. There is no reference to hold a whole
  run against: the targets are absolute (under 20 s at 300k rows).
* **forecast**: see :mod:`bench_forecast` for the per-series engine comparison.

Timings are the best of ``--repeat`` runs (retrade and the reference
alternate, call by call), on a shared 2-core machine where other jobs add noise. The models
part runs with one BLAS thread for retrade and pyfixest alike (threadpoolctl):
with OpenBLAS's default threads, one small solve took 0.04 s or 0.7 s depending on
the other jobs.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
SIZES = (10_000, 100_000, 300_000, 1_000_000)

# -- import ---------------------------------------------------------------------------------

# the peak is VmHWM, the high-water mark of this process's own memory: ru_maxrss would carry
# the benchmark process's peak over through fork and exec
_PRELUDE = """
import json, sys, time
path, work = sys.argv[1], sys.argv[2]

def status_mb(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field)) / 1024

def done(started, started_cpu=None):
    out = {"seconds": time.perf_counter() - started, "peak_mb": status_mb("VmHWM"),
           "base_mb": base_mb}
    if started_cpu is not None:  # CPU seconds of every thread of the process
        out["cpu_s"] = time.process_time() - started_cpu
    print(json.dumps(out))
"""
IMPORTERS = {
    "retrade": """
import shutil
from retrade.fetch.files import import_file
from retrade.store import RawStore
shutil.rmtree(work + "/store", ignore_errors=True)
import pandas, pyarrow.csv, pyarrow.parquet, retrade.fetch.files.comtrade_file  # noqa
base_mb = status_mb("VmRSS")
started = time.perf_counter()
report = import_file(path, store=RawStore(work + "/store"))
assert report.written
done(started)
""",
    "duckdb": """
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
base_mb = status_mb("VmRSS")
started = time.perf_counter()
con.execute(f"COPY (SELECT * FROM read_csv('{path}')) TO '{work}/duckdb.parquet' (FORMAT parquet)")
done(started)
""",
}


# -- build and run (each a whole command in its own process) ---------------------------------

COMMAND = """
import os, sys
os.environ["RETRADE_DATA_DIR"] = work + "/store"
os.environ["RETRADE_REPORTS_DIR"] = work + "/reports"
base_mb = status_mb("VmRSS")
started = time.perf_counter()
sys.argv = ["retrade", ARGS]
from retrade.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
done(started)
"""
# the build's work alone, after the imports (as the DuckDB floor below is timed)
BUILD_WORK = """
import os
os.environ["RETRADE_DATA_DIR"] = work + "/store"
import pandas, pyarrow.parquet  # noqa
from retrade.config import load_settings
from retrade.panel.build import build_panel
import retrade.panel.adapters.comtrade_files  # noqa
base_mb = status_mb("VmRSS")
started, started_cpu = time.perf_counter(), time.process_time()
build_panel(settings=load_settings())
done(started, started_cpu)
"""
# the floor of a build: read the live raw files, keep the newest row per key, write one file
DUCKDB_BUILD = """
import json, duckdb
from retrade.panel.adapters.comtrade import RAW_COLUMNS, RAW_KEY
from retrade.store import RawStore
from retrade.store.manifest import live_files
store = RawStore(work + "/store/raw")
files = [str(store.folder("comtrade_files") / rel)
         for rel in live_files(store.entries("comtrade_files"))]
columns = ", ".join(dict.fromkeys([*RAW_COLUMNS, *RAW_KEY]))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
base_mb = status_mb("VmRSS")
started = time.perf_counter()
con.execute(f"COPY (SELECT {columns} FROM read_parquet({json.dumps(files)}, filename = true) "
            f"QUALIFY row_number() OVER (PARTITION BY {', '.join(RAW_KEY)} "
            f"ORDER BY filename DESC) = 1) TO '{work}/duckdb_build.parquet' (FORMAT parquet)")
done(started)
"""


def command(*args: str) -> str:
    """The program that runs ``retrade <args>`` in-process and reports time and peak."""
    return COMMAND.replace("ARGS", repr(list(args))[1:-1])


def bench_build_run(sizes, repeat: int, *, runs_too: bool = True) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    import shutil

    builds, runs = [], []
    for n in sizes:
        path = WORK / f"comtrade_download_{n}.csv"
        if not path.exists():
            from retrade.testing import synthetic_comtrade_download

            synthetic_comtrade_download(path, rows=n, seed=0)
        shutil.rmtree(WORK / "store", ignore_errors=True)
        shutil.rmtree(WORK / "reports", ignore_errors=True)
        run_program(command("import", str(path)), path)
        best: dict[str, dict] = {}
        for _ in range(repeat):
            for name, program in (("command", command("panel", "build")),
                                  ("retrade", BUILD_WORK), ("duckdb", DUCKDB_BUILD)):
                got = run_program(program, path)
                if name not in best or got["seconds"] < best[name]["seconds"]:
                    best[name] = got
        c, r, d = best["command"], best["retrade"], best["duckdb"]
        builds.append({"rows": n, "command_s": c["seconds"], "command_peak_mb": c["peak_mb"],
                       "retrade_work_s": r["seconds"], "duckdb_floor_s": d["seconds"],
                       "ratio": r["seconds"] / d["seconds"],
                       "retrade_us_per_row": 1e6 * r["seconds"] / n,
                       # the same run's CPU time (both cores where the build uses two)
                       "retrade_cpu_us_per_row": 1e6 * r["cpu_s"] / n,
                       "retrade_peak_mb": r["peak_mb"], "duckdb_peak_mb": d["peak_mb"]})
        print(pd.DataFrame([builds[-1]]).to_string(index=False, float_format="%.4g"),
              file=sys.stderr, flush=True)
        if not runs_too:
            continue
        runs.append({"rows": n, **_best_run(path, repeat, rebuild=False),
                     **{f"{k}_rebuilt": v
                        for k, v in _best_run(path, repeat, rebuild=True).items()}})
        print(pd.DataFrame([runs[-1]]).to_string(index=False, float_format="%.4g"),
              file=sys.stderr, flush=True)
    return pd.DataFrame(builds), pd.DataFrame(runs)


RUN = ("run", "--offline", "--json", "--quarter", "2026Q4")


def _best_run(path: Path, repeat: int, *, rebuild: bool) -> dict:
    """The fastest of ``repeat`` offline runs (panel reused, or rebuilt first), with its steps."""
    import shutil

    best = None
    for _ in range(repeat):
        if rebuild:
            shutil.rmtree(WORK / "store" / "processed", ignore_errors=True)
        got = run_program(command(*RUN), path, keep_output=True)
        if best is None or got["seconds"] < best["seconds"]:
            best = got
    steps = {s["name"]: s["seconds"] for s in best["output"]["steps"]}
    return {"run_s": best["seconds"], "build_step_s": steps.get("build panel", np.nan),
            "forecasts_s": steps.get("Forecasts and scenarios", np.nan),
            "report_s": steps.get("write report", np.nan), "run_peak_mb": best["peak_mb"],
            "build_outcome": next(s["outcome"] for s in best["output"]["steps"]
                                  if s["name"] == "build panel")}


SRC = ROOT / "src"  # --src: another checkout's src/, to time the code before a change


def run_program(program: str, path: Path, *, keep_output: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    # modules run from their cached bytecode, as in an installed package (pip compiles it at
    # install); a shell with PYTHONDONTWRITEBYTECODE set would otherwise compile every module a
    # command imports late, in every process (11 ms of a 10^4-row import's 0.1 s). The cache
    # is kept out of the source tree; the first of the repeated runs fills it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    out = subprocess.run([sys.executable, "-c", _PRELUDE + program, str(path), str(WORK)],
                         check=True, capture_output=True, text=True, env=env)
    lines = out.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    if keep_output:  # what the command printed before the measurement (a JSON document)
        result["output"] = json.loads("\n".join(lines[:-1]))
    return result


def bench_import(sizes, repeat: int) -> pd.DataFrame:
    rows = []
    for n in sizes:
        path = WORK / f"comtrade_download_{n}.csv"
        if not path.exists():
            from retrade.testing import synthetic_comtrade_download

            synthetic_comtrade_download(path, rows=n, seed=0)
        best: dict[str, dict] = {}
        for _ in range(repeat):
            for name, program in IMPORTERS.items():
                got = run_program(program, path)
                if name not in best or got["seconds"] < best[name]["seconds"]:
                    best[name] = {**got, "peak_mb": min(got["peak_mb"],
                                                        best.get(name, got)["peak_mb"])}
        r, d = best["retrade"], best["duckdb"]
        rows.append({"rows": n, "MB": path.stat().st_size / 1e6,
                     "retrade_s": r["seconds"], "duckdb_s": d["seconds"],
                     "throughput_ratio": d["seconds"] / r["seconds"],
                     "retrade_us_per_row": 1e6 * r["seconds"] / n,
                     "retrade_peak_mb": r["peak_mb"], "duckdb_peak_mb": d["peak_mb"],
                     "memory_ratio": r["peak_mb"] / d["peak_mb"],
                     "retrade_libraries_mb": r["base_mb"], "duckdb_libraries_mb": d["base_mb"]})
    return pd.DataFrame(rows)


# -- simulated panels -------------------------------------------------------------------------

def _codes(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def gravity_panel(rows: int, *, years: int = 20, seed: int = 0) -> pd.DataFrame:
    """Exporters x importers x years of Poisson flows with exporter-year, importer-year and pair
    effects, China's exports to JPN and USA cut by exp(-0.5) from 2016 (vectorized; about
    ``rows`` rows)."""
    rng = np.random.default_rng(seed)
    k = max(4, int(round((rows / years) ** 0.5 + 0.5)))
    names = np.array(["CHN", "JPN", "USA", *_codes("X", k - 3)])
    first = 2024 - years + 1
    e, i, t = np.meshgrid(np.arange(k), np.arange(k), np.arange(years), indexing="ij")
    keep = (e != i).ravel()
    e, i, t = e.ravel()[keep], i.ravel()[keep], t.ravel()[keep]
    hit = (e == 0) & np.isin(i, [1, 2]) & (first + t >= 2016)
    eta = (6 + rng.normal(0, 0.5, (k, years))[e, t] + rng.normal(0, 0.5, (k, years))[i, t]
           + rng.normal(0, 1.0, (k, k))[e, i] - 0.5 * hit)
    value = rng.poisson(np.exp(eta)).astype(float)
    return _panel_rows(names[e], names[i], first + t, value)


def exposure_panel(rows: int, *, years: int = 20, seed: int = 0) -> pd.DataFrame:
    """China's exports to ``rows / years`` partners; the 10 largest lose exp(-0.3) from 2015."""
    rng = np.random.default_rng(seed)
    n = max(20, rows // years)
    first = 2024 - years + 1
    p, t = np.meshgrid(np.arange(n), np.arange(years), indexing="ij")
    p, t = p.ravel(), t.ravel()
    a = np.where(np.arange(n) < 10, rng.uniform(4, 5, n), rng.uniform(0, 2, n))
    hit = (p < 10) & (first + t >= 2015)
    mean = 10 + a[p] + np.cumsum(rng.normal(0, 0.1, years))[t] - 0.3 * hit
    value = np.exp(mean + rng.normal(0, 0.2, len(p)))
    return _panel_rows(np.full(len(p), "CHN"), np.array(_codes("P", n))[p], first + t, value)


def _panel_rows(reporter, partner, year, value) -> pd.DataFrame:
    out = pd.DataFrame({
        "source": "simulated", "frequency": "A", "period": year.astype(str), "year": year,
        "reporter": reporter, "partner": partner, "flow": "export", "hs6": "284690",
        "stage": "compounds", "value_usd": value, "net_weight_kg": value / 20.0,
        "batch": "simulated"})
    return out[out["value_usd"] > 0].reset_index(drop=True)


# -- models -------------------------------------------------------------------------------------

def best_of(fn, repeat: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def _quiet(fn):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    return run


def prepared_gravity(panel: pd.DataFrame, event):
    """The prepared gravity design (:func:`retrade.models.gravity_design`), or, in code from
    before it existed (``--src``), the frame :func:`retrade.models.gravity` built itself."""
    g = importlib.import_module("retrade.models.gravity")
    if hasattr(g, "gravity_design"):
        return g.gravity_design(panel, event)
    data = g._frame(panel, event, hs6=None, flow="export", by_hs6=False, drop_years=())
    data[g.TERM] = g._restriction(data, 2016, "CHN", event.partners, None)
    g._fixed_effects(data, False)
    return data


def _gravity_frame(prepared) -> tuple[pd.DataFrame, tuple[str, ...]]:
    if isinstance(prepared, pd.DataFrame):
        return prepared, ("exp_year", "imp_year", "pair")
    return prepared.data, prepared.fixed_effects


def model_frame(data: pd.DataFrame, terms, cluster: str) -> pd.DataFrame:
    """The frame retrade's exposure models hand pyfixest (outcome, terms, fixed effects,
    cluster; text keys as categoricals), so the reference reads the same frame. (Code before
    ``model_frame`` existed, timed with ``--src``, handed pyfixest the whole frame.)"""
    did = importlib.import_module("retrade.models.did")
    if not hasattr(did, "model_frame"):
        return data
    return did.model_frame(data, list(terms), cluster)


def _on_design(model, design):
    """``model(design)`` where models take a prepared design, else None (code before it)."""
    params = inspect.signature(model).parameters
    return None if params["event"].default is inspect.Parameter.empty else \
        (lambda: model(design))


def model_cases(n: int):
    """Per model: the call from panel rows, the call on the prepared design, the reference
    on the prepared frame, the preparation alone, and an extra timed pair or None."""
    import pyfixest as pf

    from retrade.models import event_study, exposure_did, gravity, top_k
    from retrade.models.design import build_design, exposure_dummies
    from retrade.models.events import define_treatment
    from retrade.models.inference import demeaner, vcov_choice

    halt = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
    grav = gravity_panel(n)
    g_design = _quiet(lambda: prepared_gravity(grav, halt))()
    g_data, fe = _gravity_frame(g_design)
    vc = vcov_choice(g_data, "pair", "fixest")
    g = importlib.import_module("retrade.models.gravity")
    g_model = g.model_frame(g_data, fe, vc) if hasattr(g, "model_frame") else g_data
    formula = " + ".join(fe)

    def fepois_main(**lean):
        return pf.fepois(f"y ~ restriction | {formula}", data=g_model, vcov=vc.vcov, ssc=vc.ssc,
                         demeaner=demeaner(), **lean)

    def fepois_imputation():
        return pf.fepois(f"y ~ 1 | {formula}", data=g_data[g_data["restriction"] == 0],
                         iwls_tol=1e-10, demeaner=demeaner())

    yield dict(model="gravity", panel_rows=len(grav), model_rows=len(g_data),
               ours=lambda: gravity(grav, halt), on_design=_on_design(gravity, g_design),
               theirs=fepois_main, theirs_uncopied=lambda: fepois_main(copy_data=False),
               prepare=lambda: prepared_gravity(grav, halt),
               extra=(lambda: gravity(grav, halt).counterfactual,
                      lambda: (fepois_main(), fepois_imputation())))

    did_panel = exposure_panel(n)
    options = dict(hs6="284690", reporter="CHN", flow="export", frequency="A", outcome="log1p",
                   measure="value_usd", exposure=top_k(10), timing="full", years=None,
                   drop_years=())
    design = _quiet(lambda: build_design(did_panel, "2015 quota removal", **options))()
    data = model_frame(design.data.assign(treat=design.data["post"] * design.data["exposure"]),
                       ["treat"], "partner")
    vd = vcov_choice(data, "partner", "fixest")

    def feols_did(**lean):
        return pf.feols("y ~ treat | partner + t", data=data, vcov=vd.vcov, ssc=vd.ssc,
                        demeaner=demeaner(), **lean)

    prepare = lambda: build_design(did_panel, "2015 quota removal", **options)  # noqa: E731
    yield dict(model="exposure_did", panel_rows=len(did_panel), model_rows=len(data),
               ours=lambda: exposure_did(did_panel, "2015 quota removal", hs6="284690",
                                         exposure=top_k(10)),
               on_design=_on_design(exposure_did, design), theirs=feols_did,
               theirs_uncopied=lambda: feols_did(copy_data=False), prepare=prepare,
               extra=None)
    es_data, columns = exposure_dummies(design.data, None, -1)
    es_data = model_frame(es_data, list(columns), "partner")

    def feols_es(**lean):
        return pf.feols(f"y ~ {' + '.join(columns)} | partner + t", data=es_data, vcov=vd.vcov,
                        ssc=vd.ssc, demeaner=demeaner(), **lean)

    yield dict(model="event_study", panel_rows=len(did_panel), model_rows=len(es_data),
               ours=lambda: event_study(did_panel, "2015 quota removal", hs6="284690",
                                        exposure=top_k(10)),
               on_design=_on_design(event_study, design), theirs=feols_es,
               theirs_uncopied=lambda: feols_es(copy_data=False), prepare=prepare,
               extra=None)


def bench_models(sizes, repeat: int) -> pd.DataFrame:
    # one BLAS thread for both sides: on a shared 2-core machine OpenBLAS's worker threads
    # made the same small least-squares solve 20x slower from one call to the next
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _bench_models(sizes, repeat)


def _bench_models(sizes, repeat: int) -> pd.DataFrame:
    rows = []
    for n in sizes:
        for case in model_cases(n):
            calls = {"retrade_s": case["ours"], "on_design_s": case["on_design"],
                     "pyfixest_s": case["theirs"], "prepare_s": case["prepare"],
                     "pyfixest_uncopied_s": case["theirs_uncopied"]}
            best = {k: np.inf if fn is not None else np.nan for k, fn in calls.items()}
            for _ in range(repeat):  # each call in turn, the best of the rounds kept
                for key, fn in calls.items():
                    if fn is not None:
                        best[key] = min(best[key], best_of(_quiet(fn), 1)[0])
            rows.append(_model_row(n, case, best, repeat))
            print(pd.DataFrame([rows[-1]]).to_string(index=False, float_format="%.4g"),
                  file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def _model_row(n: int, case: dict, best: dict, repeat: int) -> dict:
    theirs = best["pyfixest_s"]
    row = {"model": case["model"], "size": n, "panel_rows": case["panel_rows"],
           "model_rows": case["model_rows"], "retrade_s": best["retrade_s"],
           "pyfixest_s": theirs, "ratio": best["retrade_s"] / theirs,
           "on_design_s": best["on_design_s"], "design_ratio": best["on_design_s"] / theirs,
           "prepare_s": best["prepare_s"], "pyfixest_uncopied_s": best["pyfixest_uncopied_s"],
           "design_ratio_uncopied": best["on_design_s"] / best["pyfixest_uncopied_s"],
           "retrade_us_per_row": 1e6 * best["retrade_s"] / case["panel_rows"]}
    if case["extra"] is not None:
        t_a = best_of(_quiet(case["extra"][0]), repeat)[0]
        t_b = best_of(_quiet(case["extra"][1]), repeat)[0]
        row.update(with_counterfactual_s=t_a, pyfixest_both_fits_s=t_b,
                   ratio_with_counterfactual=t_a / t_b)
    return row


# -- main -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--only", default="import,models")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--src", type=Path, default=None,
                        help="time another checkout's src/ (e.g. the code before a change)")
    args = parser.parse_args()
    if args.src is not None:
        global SRC
        SRC = args.src.resolve()
        sys.path.insert(0, str(SRC))
        for name in [m for m in sys.modules if m == "retrade" or m.startswith("retrade.")]:
            del sys.modules[name]
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"# {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"repeat={args.repeat}, load average at the start {os.getloadavg()[0]:.1f}\n")
    parts = args.only.split(",")
    if "import" in parts:
        print("## import\n")
        print(bench_import(sizes, args.repeat).to_markdown(index=False, floatfmt=".3g"), "\n")
    if "build" in parts or "run" in parts:
        builds, runs = bench_build_run(sizes, args.repeat, runs_too="run" in parts)
        print("## build\n")
        print(builds.to_markdown(index=False, floatfmt=".3g"), "\n")
        if len(runs):
            print("## run\n")
            print(runs.to_markdown(index=False, floatfmt=".3g"), "\n")
    if "models" in parts:
        print("## models\n")
        print(bench_models(sizes, args.repeat).to_markdown(index=False, floatfmt=".3g"), "\n")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
