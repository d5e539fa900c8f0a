"""Benchmark: retrade's forecasting step against statsforecast's AutoETS on the same series.

For each real series (read from ../shared/data, never copied), time

- ``retrade.forecast.forecast(model="ets")``: transform, AICc choice among its ETS
  candidates, exact 80%/95% intervals, back-transform, tidy table;
- ``retrade.forecast.forecast(model="ensemble")`` (naive/snaive + ETS + SARIMAX);
- statsforecast ``AutoETS`` (additive-error models, season length 12 for monthly
  series) with ``level=[80, 95]`` on the same model-scale values (logit/log).

Each timing is the fastest of ``--repeats`` runs after one warm-up (statsforecast's
numba compilation and statsmodels' first imports are excluded); the minimum, as
``timeit`` advises, because on a shared machine the slower runs measure other jobs. The ratio is
retrade ETS time / AutoETS time. The medians of the two ETS forecasts at the last
horizon are reported too, as a sanity check that both fit comparable models.

Run from the repository root:

    PYTHONPATH=src .venv/bin/python benchmarks/bench_forecast.py --repeats 5
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load_series():
    """(name, Series, horizon) for the real series the benchmark uses."""
    from retrade.forecast import Series

    out = []
    monthly = pd.read_csv(SHARED / "qennis-china-critical-minerals" / "overview_monthly.csv")
    rare = monthly[monthly["broad_group"] == "Rare Earths"]
    for column, unit in (("total_qty", "kg"), ("total_value", "USD")):
        df = pd.DataFrame({"period": pd.to_datetime(rare["period_dt"]), "y": rare[column]})
        out.append((f"CHN RE exports {unit} (M)", Series(df, "M", "level", unit=unit), 12))
    annual = pd.read_csv(
        SHARED / "materials-atlas" / "TRANSCRIBED_baci_re_world_summary_2002_2024.csv"
    )
    for hs6 in (280530, 284690):
        rows = annual[annual["hs6"] == hs6]
        for who in ("japan", "usa"):
            df = pd.DataFrame(
                {
                    "period": pd.to_datetime(rows["year"].astype(str)),
                    "y": rows[f"{who}_import_share"],
                }
            )
            name = f"{who.upper()} share from CHN {hs6} (A)"
            out.append((name, Series(df, "A", "share", name=name), 5))
    return out


def timed(fn, repeats: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def autoets(series, horizon: int):
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    from retrade.forecast import transform

    z = transform.forward(series.y, series.resolved_transform)
    df = pd.DataFrame({"unique_id": "s", "ds": series.periods, "y": z})
    m = 12 if series.frequency == "M" else 1
    sf = StatsForecast(
        models=[AutoETS(season_length=m, model="AZZ")], freq="MS" if m == 12 else "YS", n_jobs=1
    )
    return sf.forecast(df=df, h=horizon, level=[80, 95])


def main() -> None:
    from retrade.forecast import forecast, transform

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, series, horizon in load_series():
        t_ets, ours = timed(
            lambda s=series, h=horizon: forecast(s, model="ets", horizon=h), args.repeats
        )
        t_ens, _ = timed(
            lambda s=series, h=horizon: forecast(s, model="ensemble", horizon=h), args.repeats
        )
        t_sf, theirs = timed(lambda s=series, h=horizon: autoets(s, h), args.repeats)
        last_sf = float(
            transform.inverse(np.array([theirs["AutoETS"].iloc[-1]]), series.resolved_transform)[0]
        )
        rows.append(
            {
                "series": name,
                "n": series.n,
                "h": horizon,
                "retrade_ets_ms": 1000 * t_ets,
                "retrade_ensemble_ms": 1000 * t_ens,
                "autoets_ms": 1000 * t_sf,
                "ratio_ets_vs_autoets": t_ets / t_sf,
                "retrade_spec": ours.spec,
                "median_last_retrade": ours.tidy()["yhat"].iloc[-1],
                "median_last_autoets": last_sf,
            }
        )
    table = pd.DataFrame(rows)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, repeats={args.repeats}, "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(table.to_markdown(index=False, floatfmt=".4g"))
    print(f"\nmedian ratio retrade ETS / AutoETS: {table['ratio_ets_vs_autoets'].median():.2f}")


if __name__ == "__main__":
    main()
