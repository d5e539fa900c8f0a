"""The forecast backtest code that whole-column code replaced, kept as the reference for equality tests.

Copied verbatim from the code before the change (a frame per origin then a
concatenation, scores through pandas group-bys, the choice sorted by
``sort_values``), apart from imports. Only ``tests/forecast/test_forecast_fast_paths.py``
uses them.
"""
# ruff: noqa

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade.forecast import events as _events
from retrade.forecast import transform
from retrade.forecast.backtest import COLUMNS, BacktestResult, _prefix, naive_scale, rolling_origins
from retrade.forecast.core import DEFAULT_LEVELS, MODELS, check_levels, fit_draft, model_input
from retrade.forecast.selection import UNDERCOVERAGE_P, ModelChoice, _all_short, _coverage_p
from retrade.errors import check_choice
from retrade.forecast.core import forecastable as as_series  # as_series before issue 12's rename
from retrade.panel.series import Series


def check_option(value, options, name):  # the check issue 12 replaced by check_choice
    check_choice(name, value, options)

def backtest(
    series: Series | pd.DataFrame,
    *,
    models: Sequence[str] = ("naive", "ets", "sarimax"),
    initial: int,
    step: int = 1,
    horizon: int,
    levels: Sequence[float] = DEFAULT_LEVELS,
    events: pd.DataFrame | None = None,
    seed: int = 0,
    **meta,
) -> BacktestResult:
    """Rolling-origin (expanding window) backtest of each model on one series.

    Parameters
    ----------
    series : Series or DataFrame
        As for :func:`~retrade.forecast.core.forecast`.
    models : sequence of str
        Model names (``"ensemble"`` uses its default members).
    initial, step, horizon : int
        First training size, origin spacing and periods forecast per origin.
    levels, events, seed
        Passed to every forecast.

    Returns
    -------
    BacktestResult

    """
    series = as_series(series, **meta)
    levels = check_levels(levels)
    splits = rolling_origins(series.periods, initial=initial, step=step, horizon=horizon)
    for model in models:
        check_option(model, (*MODELS, "ensemble"), "model")
    checked = _events.check_events(events)
    actual = series.data.set_index("period")["y"]
    frames = [_split_rows(series, split, models, horizon, levels, checked, seed, actual)
              for split in splits]
    table = pd.concat(frames, ignore_index=True)[list(COLUMNS)]
    return BacktestResult(series, tuple(splits), tuple(models), levels, horizon, table)




def _split_rows(series: Series, split: Split, models, horizon, levels, events, seed,
                actual: pd.Series) -> pd.DataFrame:
    """The forecasts of every model from one origin, as backtest rows.

    The model input is built once per origin, and a model fitted there once (an
    ensemble reuses its members' drafts): what ``forecast`` would give each model.
    """
    train = _prefix(series, split.n_train)
    scale = naive_scale(train.y, train.season_length)
    inp = model_input(train, horizon, levels, events, seed)
    y = actual.reindex(inp.future).to_numpy()
    fitted: dict = {}
    parts: dict[str, list] = {k: [] for k in ("model", "median", "lower", "upper", "level")}
    for model in models:
        draft = fit_draft(train, inp, model, fitted=fitted)[0]
        for level in sorted(draft.bounds):
            lo, hi = draft.bounds[level]
            for key, value in (("median", draft.median), ("lower", lo), ("upper", hi)):
                parts[key].append(np.asarray(value, dtype=float))
            parts["model"].append(np.full(horizon, model, dtype=object))
            parts["level"].append(np.full(horizon, level))
    blocks = len(parts["model"])
    name = train.resolved_transform
    return pd.DataFrame({
        "origin": np.full(horizon * blocks, split.origin),
        "model": np.concatenate(parts["model"]),
        "period": np.tile(inp.future, blocks),
        "h": np.tile(np.arange(1, horizon + 1), blocks),
        "y": np.tile(y, blocks),
        "yhat": transform.inverse(np.concatenate(parts["median"]), name),
        "yhat_lower": transform.inverse(np.concatenate(parts["lower"]), name),
        "yhat_upper": transform.inverse(np.concatenate(parts["upper"]), name),
        "level": np.concatenate(parts["level"]),
        "scale": scale,
        "series": train.name,
    })


def score_table(table: pd.DataFrame, levels: tuple[float, ...], keys: list[str]) -> pd.DataFrame:
    """Scores from a backtest table (see the module docstring for definitions).

    Two groupings with built-in reducers: the widest level's rows for MASE and
    MSIS, every row by level for coverage.
    """
    widest = max(levels)
    point = table[table["level"] == widest]
    alpha = 1 - widest
    lo, hi, y = point["yhat_lower"], point["yhat_upper"], point["y"]
    score = (hi - lo) + 2 / alpha * ((lo - y).clip(lower=0) + (y - hi).clip(lower=0))
    per_row = point[keys].assign(_ase=(y - point["yhat"]).abs() / point["scale"],
                                 _msis=score / point["scale"])
    grouped = per_row.groupby(keys)
    out = grouped["_ase"].agg(["mean", "size"])
    out.columns = ["mase", "n_forecasts"]
    inside = (table["y"] >= table["yhat_lower"]) & (table["y"] <= table["yhat_upper"])
    cover = inside.groupby([table[k] for k in keys] + [table["level"]]).mean().unstack("level")
    for lv in levels:
        out[f"coverage_{round(lv * 100):d}"] = cover[lv] if lv in cover.columns else np.nan
    out["msis"] = grouped["_msis"].mean()
    out = out.reset_index()
    naive_mase = out.loc[out["model"] == "naive", "mase"]
    if "h" not in keys and len(naive_mase):
        out["mase_vs_naive"] = out["mase"] / float(naive_mase.iloc[0])
    return out


def select_model(backtest: BacktestResult, *, criterion: Criterion = "mase") -> ModelChoice:
    """Choose the model with the lowest backtest ``criterion``; return it with the table.

    """
    check_option(criterion, ("mase", "msis"), "criterion")
    scores = score_table(backtest.table, backtest.levels, ["model"])
    widest = f"coverage_{round(max(backtest.levels) * 100):d}"
    scores["eligible"] = _coverage_p(scores, widest, max(backtest.levels)) >= UNDERCOVERAGE_P
    if not scores["eligible"].any():
        scores["eligible"] = True
    order = {m: i for i, m in enumerate(backtest.models)}
    table = scores.assign(_order=scores["model"].map(order), _out=~scores["eligible"])
    table = table.sort_values(["_out", criterion, "_order"]).drop(columns=["_order", "_out"])
    table = table.reset_index(drop=True)
    chosen = str(table["model"].iloc[0])
    table["chosen"] = table["model"] == chosen
    reason = _reason(table, criterion, backtest)
    return ModelChoice(chosen, criterion, table, reason, backtest.series.name)




def _reason(table: pd.DataFrame, criterion: str, backtest: BacktestResult) -> str:
    best = table.iloc[0]
    rest = table.iloc[1:]
    others = ", ".join(f"{r.model} {getattr(r, criterion):.3f}" for r in rest.itertuples())
    cover = ", ".join(
        f"{c.split('_')[1]}% {best[c]:.2f}" for c in table.columns if c.startswith("coverage_")
    )
    text = (
        f"{best['model']} has the lowest {criterion.upper()} {best[criterion]:.3f}"
        f"{' (vs ' + others + ')' if others else ''} among models with adequate coverage; "
        f"its interval coverage {cover}; "
        f"{int(best['n_forecasts'])} forecasts from {len(backtest.splits)} origins"
    )
    widest = max(backtest.levels)
    short = table.loc[~table["eligible"], "model"].tolist()
    if short:
        text += (
            f". Set aside because their {widest:.0%} intervals covered significantly less "
            f"(binomial p < {UNDERCOVERAGE_P}): {short}"
        )
    if _all_short(table, widest):
        text += f". WARNING: every model's {widest:.0%} intervals fell short; they are too narrow"
    return text


