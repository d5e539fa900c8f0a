"""Choosing a model from a backtest, and saying why.

The rule is deliberately simple and printed with the choice:

1. models whose widest interval (95% by default) covered significantly less
   than nominal in the backtest are set aside: their intervals are too narrow
   for the series, whatever their point accuracy (unless every model falls
   short; then all stay and the reason says so). "Significantly" is a
   one-sided binomial test of the hit count against the nominal level at
   ``UNDERCOVERAGE_P = 0.01``; it treats the backtest forecasts as independent,
   which they are not within an origin, so the strict threshold;
2. of the rest, the model with the lowest ``criterion`` (MASE for point
   accuracy, MSIS for interval accuracy) wins; ties go to the earlier model in
   the backtest's list (put simpler models first).

With few backtest forecasts coverage is noisy (9 forecasts with 7 hits at 95%
are not evidence enough; 20 with 15 hits are).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import check_choice
from retrade.forecast.backtest import BacktestResult
from retrade.results import Result, Summary

Criterion = choices.SelectionCriterion
UNDERCOVERAGE_P = 0.01


@dataclass(frozen=True)
class ModelChoice(Result):
    """The chosen model, the full score table behind it, and the reason in words.

    ``tidy()`` is the score table, best first: ``model, mase, n_forecasts``, then
    ``coverage_<level>`` per interval level, ``msis``, ``mase_vs_naive`` (when the
    naive model was backtested), ``eligible`` and ``chosen``.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = ("model", "mase", "n_forecasts")

    model: str
    criterion: str
    table: pd.DataFrame
    reason: str
    series: str

    def tidy(self) -> pd.DataFrame:
        """The score table, best first, with a ``chosen`` column."""
        return self.table.copy()

    def weights(self) -> dict[str, float]:
        """Inverse-score weights (normalised), e.g. for a backtest-weighted ensemble.

        Examples
        --------
        >>> t = pd.DataFrame({"model": ["a", "b"], "mase": [1.0, 3.0]})
        >>> ModelChoice("a", "mase", t, "", "s").weights()
        {'a': 0.75, 'b': 0.25}
        """
        inv = 1.0 / self.table.set_index("model")[self.criterion].astype(float)
        return {str(k): float(v) for k, v in (inv / inv.sum()).items()}

    def metadata(self) -> dict[str, object]:
        """The series, the chosen model, the criterion and the reason."""
        return {"series": self.series, "model": self.model, "criterion": self.criterion,
                "reason": self.reason}

    def summary(self) -> Summary:
        """The choice and the reason, then the score table."""
        meta = [("chosen", self.model), ("criterion", self.criterion.upper()),
                ("reason", self.reason)]
        return Summary(f"Model choice for {self.series!r}", meta, self.table)

    def _describe(self) -> str:
        return f"{self.model} for {self.series!r} (lowest {self.criterion.upper()})"

    def plot(self, ax=None):
        """Bar chart of the criterion per model, the chosen one highlighted; returns the Axes."""
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(6, 3.5))[1] if ax is None else ax
        colors = ["C3" if m == self.model else "C0" for m in self.table["model"]]
        ax.bar(self.table["model"], self.table[self.criterion], color=colors)
        ax.set_ylabel(self.criterion.upper())
        ax.set_title(f"{self.series}: model choice by {self.criterion.upper()}")
        return ax


def select_model(backtest: BacktestResult, *, criterion: Criterion = "mase") -> ModelChoice:
    """Choose the model with the lowest backtest ``criterion``; return it with the table.

    Examples
    --------
    >>> from retrade.forecast.backtest import backtest as run
    >>> df = pd.DataFrame({"period": pd.date_range("2000", periods=12, freq="YS"),
    ...                    "y": [5., 6, 7, 6, 8, 9, 8, 10, 11, 12, 12, 13]})
    >>> bt = run(df, frequency="A", kind="level", models=["naive", "ets"], initial=8, horizon=2)
    >>> select_model(bt).model in {"naive", "ets"}
    True
    """
    check_choice("criterion", criterion, Criterion)
    scores = backtest.scores()
    widest = f"coverage_{round(max(backtest.levels) * 100):d}"
    scores["eligible"] = _coverage_p(scores, widest, max(backtest.levels)) >= UNDERCOVERAGE_P
    if not scores["eligible"].any():
        scores["eligible"] = True
    order = {m: i for i, m in enumerate(backtest.models)}
    rank = np.array([order.get(m, np.nan) for m in scores["model"]], dtype=float)
    # eligible first, then the criterion, then the order the models were named (a stable
    # sort, missing values last: what sorting the table by those three columns gives)
    position = np.lexsort((rank, scores[criterion].to_numpy(dtype=float),
                           ~scores["eligible"].to_numpy(dtype=bool)))
    table = scores.take(position).reset_index(drop=True)
    chosen = str(table["model"].iloc[0])
    table["chosen"] = table["model"] == chosen
    reason = _reason(table, criterion, backtest)
    return ModelChoice(chosen, criterion, table, reason, backtest.series.name)


def _reason(table: pd.DataFrame, criterion: str, backtest: BacktestResult) -> str:
    best, *rest = table.to_dict("records")  # plain values: a few rows, read many times
    others = ", ".join(f"{r['model']} {r[criterion]:.3f}" for r in rest)
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


def _all_short(table: pd.DataFrame, widest: float) -> bool:
    column = f"coverage_{round(widest * 100):d}"
    return bool((_coverage_p(table, column, widest) < UNDERCOVERAGE_P).all())


def _coverage_p(table: pd.DataFrame, column: str, level: float) -> pd.Series:
    """P(at most the observed hits | nominal coverage), per model (the binomial CDF)."""
    from scipy.special import bdtr

    hits = (table[column] * table["n_forecasts"]).round().to_numpy(dtype=float)
    n = table["n_forecasts"].to_numpy(dtype=np.int64)
    return pd.Series(bdtr(hits, n, level), index=table.index)
