"""Choosing a model from a backtest, and saying why.

The rule is deliberately simple and printed with the choice: the model with the
lowest score on ``criterion`` (MASE for point accuracy, MSIS for interval
accuracy) wins; ties go to the earlier model in the backtest's list (put
simpler models first). Coverage is reported next to it, and a warning line is
added when the chosen model's widest interval covered clearly less than its
nominal level (more than 10 percentage points short), because then its
intervals are too narrow for the data, whatever its point accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from retrade.forecast.backtest import BacktestResult
from retrade.forecast.result import Text
from retrade.forecast.spec import check_option

Criterion = Literal["mase", "msis"]
UNDERCOVERAGE = 0.10


@dataclass(frozen=True)
class ModelChoice:
    """The chosen model, the full score table behind it, and the reason in words."""

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
        return {k: float(v) for k, v in (inv / inv.sum()).items()}

    def summary(self) -> Text:
        """The reason followed by the score table."""
        body = self.table.to_string(index=False, float_format=lambda v: f"{v:.3f}")
        return Text(f"Model choice for {self.series!r}: {self.reason}\n\n{body}")

    def plot(self, ax=None):
        """Bar chart of the criterion per model, the chosen one highlighted; returns the Figure."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5)) if ax is None else (ax.figure, ax)
        colors = ["C3" if m == self.model else "C0" for m in self.table["model"]]
        ax.bar(self.table["model"], self.table[self.criterion], color=colors)
        ax.set_ylabel(self.criterion.upper())
        ax.set_title(f"{self.series}: model choice by {self.criterion.upper()}")
        return fig


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
    check_option(criterion, ("mase", "msis"), "criterion")
    scores = backtest.scores()
    order = {m: i for i, m in enumerate(backtest.models)}
    table = scores.assign(_order=scores["model"].map(order))
    table = table.sort_values([criterion, "_order"]).drop(columns="_order").reset_index(drop=True)
    chosen = str(table["model"].iloc[0])
    table["chosen"] = table["model"] == chosen
    return ModelChoice(
        chosen, criterion, table, _reason(table, criterion, backtest), backtest.series.name
    )


def _reason(table: pd.DataFrame, criterion: str, backtest: BacktestResult) -> str:
    best = table.iloc[0]
    others = ", ".join(
        f"{r.model} {getattr(r, criterion):.3f}" for r in table.iloc[1:].itertuples()
    )
    cover = ", ".join(
        f"{c.split('_')[1]}% {best[c]:.2f}" for c in table.columns if c.startswith("coverage_")
    )
    text = (
        f"{best['model']} has the lowest {criterion.upper()} {best[criterion]:.3f}"
        f"{' (vs ' + others + ')' if others else ''}; its interval coverage {cover}; "
        f"{int(best['n_forecasts'])} forecasts from {len(backtest.splits)} origins"
    )
    widest = max(backtest.levels)
    observed = best[f"coverage_{round(widest * 100):d}"]
    if np.isfinite(observed) and observed < widest - UNDERCOVERAGE:
        text += (
            f". WARNING: its {widest:.0%} intervals covered only {observed:.0%}; "
            "they are too narrow for this series"
        )
    return text
