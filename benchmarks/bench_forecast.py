"""Benchmark: the forecast step on real series, its accuracy and its speed against statsforecast.

For each real series (read from ../shared/data, never copied) the quarterly
run's backtest design (``retrade.pipeline.forecasts.backtest_design``: annual
series 3-year horizon, origins a year apart over the last six years; monthly
12 months, origins a year apart over the last three) is scored for

* retrade's candidates (``--models``, default the run's), through
  :func:`retrade.forecast.backtest` and :func:`retrade.forecast.select_model`;
* statsforecast's automatic models (AutoETS, AutoARIMA, AutoTheta) on the same
  windows, through ``StatsForecast.cross_validation`` on the same model-scale
  values (logit for shares, log for levels) and the same scoring (MASE on the
  original scale over each origin's in-sample naive error; interval coverage).

Printed per series: MASE relative to the naive model's on the same windows and
80%/95% coverage of every model, retrade's choice, and whether the choice is
at least as accurate as the best statsforecast automatic model. ``--timing``
adds the time of the whole backtested choice for a series against
statsforecast's own cross-validation of the same candidates (best of
``--repeat``), and ``--cold`` the first fit in a fresh process.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_forecast.py --timing --cold
"""

from __future__ import annotations

import argparse
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
SHARED = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load_series():
    """(key, Series) for the real series the benchmark uses."""
    from retrade.forecast import Series

    out = []
    monthly = pd.read_csv(SHARED / "qennis-china-critical-minerals" / "overview_monthly.csv")
    rare = monthly[monthly["broad_group"] == "Rare Earths"]
    for column, unit in (("total_qty", "kg"), ("total_value", "USD")):
        df = pd.DataFrame({"period": pd.to_datetime(rare["period_dt"]), "y": rare[column]})
        name = f"CHN RE exports {unit} (M)"
        out.append((name, Series(df, "M", "level", unit=unit, name=name)))
    annual = pd.read_csv(
        SHARED / "materials-atlas" / "TRANSCRIBED_baci_re_world_summary_2002_2024.csv"
    )
    for hs6 in (280530, 284690):
        rows = annual[annual["hs6"] == hs6]
        for who in ("japan", "usa"):
            df = pd.DataFrame({"period": pd.to_datetime(rows["year"].astype(str)),
                               "y": rows[f"{who}_import_share"]})
            name = f"{who.upper()} share from CHN {hs6} (A)"
            out.append((name, Series(df, "A", "share", name=name)))
    return out


def design(series):
    from retrade.pipeline.forecasts import backtest_design

    return backtest_design(series.n, series.frequency)


def candidates(models, series) -> list[str]:
    from retrade.forecast.core import MIN_OBS
    from retrade.pipeline.forecasts import candidates as run_candidates

    initial = design(series)[0]
    return [m for m in run_candidates(models, series.frequency) if initial >= MIN_OBS.get(m, 2)]


def ours(series, models):
    from retrade import forecast as fc

    initial, step, horizon = design(series)
    bt = fc.backtest(series, models=models, initial=initial, step=step, horizon=horizon)
    return bt, fc.select_model(bt)


def statsforecast_models(m: int, which=("AutoETS", "AutoARIMA", "AutoTheta")):
    from statsforecast import models as sfm

    made = {"AutoETS": lambda: sfm.AutoETS(season_length=m),
            "AutoARIMA": lambda: sfm.AutoARIMA(season_length=m),
            "AutoTheta": lambda: sfm.AutoTheta(season_length=m),
            "Naive": sfm.Naive,
            "SeasonalNaive": lambda: sfm.SeasonalNaive(season_length=m)}
    return [made[name]() for name in which]


def cross_validation(series, models):
    """statsforecast's own rolling-origin forecasts on the windows of the retrade backtest."""
    from statsforecast import StatsForecast

    from retrade.forecast import transform

    initial, step, horizon = design(series)
    n_windows = (series.n - horizon - initial) // step + 1
    last = initial + (n_windows - 1) * step + horizon  # the data the windows use
    z = transform.forward(series.y, series.resolved_transform)[:last]
    df = pd.DataFrame({"unique_id": "s", "ds": series.periods[:last], "y": z})
    sf = StatsForecast(models=models, freq="MS" if series.frequency == "M" else "YS", n_jobs=1)
    return sf.cross_validation(df=df, h=horizon, step_size=step, n_windows=n_windows,
                               level=[80, 95])


def score_cv(series, cv: pd.DataFrame, names) -> pd.DataFrame:
    """MASE, coverage and the naive scale of statsforecast's windows, as retrade scores them."""
    from retrade.forecast import transform
    from retrade.forecast.backtest import naive_scale

    y = series.data.set_index("period")["y"]
    m = series.season_length
    rows = []
    for cutoff, block in cv.groupby("cutoff"):
        train = y[y.index <= cutoff].to_numpy()
        scale = naive_scale(train, m)
        actual = y.reindex(block["ds"]).to_numpy()
        for name in names:
            back = {k: transform.inverse(block[k].to_numpy(), series.resolved_transform)
                    for k in (name, f"{name}-lo-80", f"{name}-hi-80", f"{name}-lo-95",
                              f"{name}-hi-95")}
            rows.append(pd.DataFrame({
                "model": name, "ae": np.abs(actual - back[name]) / scale,
                "in80": (actual >= back[f"{name}-lo-80"]) & (actual <= back[f"{name}-hi-80"]),
                "in95": (actual >= back[f"{name}-lo-95"]) & (actual <= back[f"{name}-hi-95"])}))
    table = pd.concat(rows).groupby("model", sort=False).agg(
        mase=("ae", "mean"), coverage_80=("in80", "mean"), coverage_95=("in95", "mean"))
    return table.reset_index()


def accuracy(models) -> pd.DataFrame:
    rows = []
    for name, series in load_series():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bt, choice = ours(series, candidates(models, series))
            m = series.season_length
            auto = score_cv(series, cross_validation(series, statsforecast_models(m)),
                            ["AutoETS", "AutoARIMA", "AutoTheta"])
        table = bt.scores()
        naive = float(table.loc[table["model"] == "naive", "mase"].iloc[0])
        both = pd.concat([table[["model", "mase", "coverage_80", "coverage_95"]],
                          auto.assign(model="sf:" + auto["model"])], ignore_index=True)
        chosen = float(table.loc[table["model"] == choice.model, "mase"].iloc[0])
        best_auto = float(auto["mase"].min())
        for r in both.itertuples():
            rows.append({"series": name, "model": r.model, "rel_mase": r.mase / naive,
                         "coverage_80": r.coverage_80, "coverage_95": r.coverage_95,
                         "chosen": r.model == choice.model,
                         "choice_vs_best_auto": chosen / best_auto})
    return pd.DataFrame(rows)


def timing(models, repeat: int) -> pd.DataFrame:
    """The backtested choice among the candidates statsforecast also has, against its
    cross_validation of the same models on the same windows."""
    sf_names = {"naive": "Naive", "snaive": "SeasonalNaive", "ets": "AutoETS",
                "arima": "AutoARIMA", "theta": "AutoTheta"}
    rows = []
    for name, series in load_series():
        shared = [c for c in candidates(models, series) if c in sf_names]
        mods = [sf_names[c] for c in shared]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours(series, shared)
            cross_validation(series, statsforecast_models(series.season_length, mods))
            t_ours = t_sf = np.inf
            for _ in range(repeat):
                start = time.perf_counter()
                ours(series, shared)
                t_ours = min(t_ours, time.perf_counter() - start)
                start = time.perf_counter()
                cross_validation(series, statsforecast_models(series.season_length, mods))
                t_sf = min(t_sf, time.perf_counter() - start)
        rows.append({"series": name, "candidates": ",".join(shared), "retrade_ms": 1e3 * t_ours,
                     "statsforecast_cv_ms": 1e3 * t_sf, "ratio": t_ours / t_sf})
    return pd.DataFrame(rows)


_COLD = """
import json, time
started = time.perf_counter()
import pandas as pd
from retrade.forecast import Series
from retrade.forecast import forecast_series as forecast
s = Series(pd.DataFrame({"period": pd.date_range("2000", periods=20, freq="YS"),
                         "y": [0.9 - 0.01 * i for i in range(20)]}), "A", "share")
imported = time.perf_counter()
forecast(s, model="ets", horizon=3)
first = time.perf_counter()
forecast(s, model="ets", horizon=3)
print(json.dumps({"import_s": imported - started, "first_fit_s": first - imported,
                  "second_fit_s": time.perf_counter() - first}))
"""


def cold(runs: int = 2) -> pd.DataFrame:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = []
    for run in range(runs):
        done = subprocess.run([sys.executable, "-c", _COLD], check=True, capture_output=True,
                              text=True, env=env)
        out.append({"process": run + 1, **json.loads(done.stdout.strip().splitlines()[-1])})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="naive,ets,sarimax,ensemble")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    models = args.models.split(",")
    print(f"# {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"load average at the start {os.getloadavg()[0]:.1f}\n")
    table = accuracy(models)
    print("## accuracy (MASE relative to naive on the same windows; coverage)\n")
    print(table.to_markdown(index=False, floatfmt=".3f"), "\n")
    if args.timing:
        print("## backtested choice vs statsforecast cross_validation\n")
        print(timing(models, args.repeat).to_markdown(index=False, floatfmt=".3g"), "\n")
    if args.cold:
        print("## cold start: a fresh process, then a second one\n")
        print(cold().to_markdown(index=False, floatfmt=".3f"), "\n")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
