"""Outcome variables for bilateral models, with the estimator each one calls for.

===========  ==========================================  ==========  =====================
outcome      dependent variable                          estimator   rows used
===========  ==========================================  ==========  =====================
log1p        ln(1 + y)                                   OLS         all, zeros included
log          ln(y)                                       OLS         y > 0 (intensive margin)
ppml         y in levels                                 Poisson     all (Santos Silva and
                                                                     Tenreyro 2006)
unit_value   ln(value / kg)                              OLS         value > 0 and kg > 0
share        partner's share of the reporter's total     OLS         periods with trade
===========  ==========================================  ==========  =====================

``y`` is ``value_usd`` or ``net_weight_kg`` (``measure``). ln(1+y) depends on the
units of y and mixes margins (Chen and Roth 2024); PPML is the consistent
level estimator with zeros and the default in gravity work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.panel import measures
from retrade.panel import schema as S
from retrade.panel.balance import SUSPECT

Outcome = choices.Outcome
OUTCOMES: tuple[str, ...] = choices.values(Outcome)
Measure = choices.Measure
Y = "y"


@dataclass(frozen=True)
class OutcomeInfo:
    """What the dependent variable is and how many rows it kept."""

    name: str
    measure: str
    label: str
    estimator: Literal["feols", "fepois"]
    uses_quantity: bool
    rows_in: int
    rows_used: int


def build_outcome(bal: pd.DataFrame, outcome: Outcome, measure: Measure = "value_usd",
                  *, time: str = "t", copy: bool = True) -> tuple[pd.DataFrame, OutcomeInfo]:
    """Add column ``y`` for ``outcome`` and keep the rows it is defined on (a copy).

    ``copy=False`` (for a caller that owns ``bal`` and does not change its values) shares
    ``bal``'s columns instead of copying them; ``bal`` itself is still not changed.

    Examples
    --------
    >>> bal = pd.DataFrame({"partner": ["JPN", "USA", "KOR"], "t": [1, 1, 1],
    ...                     "period": ["2015"] * 3, "value_usd": [3.0, 0.0, 1.0],
    ...                     "net_weight_kg": [1.0, 0.0, 1.0]})
    >>> frame, info = build_outcome(bal, "log")
    >>> frame["y"].round(4).tolist(), info.rows_used
    ([1.0986, 0.0], 2)
    """
    check_choice("outcome", outcome, OUTCOMES)
    check_choice("measure", measure, measures.MEASURES)
    frame = bal.copy(deep=copy)
    y = frame[measure].astype(float)
    if outcome == "log1p":
        frame[Y] = np.log1p(y)
    elif outcome == "log":
        frame = frame[y > 0].copy()
        frame[Y] = np.log(frame[measure].astype(float))
    elif outcome == "ppml":
        frame[Y] = y
    elif outcome == "unit_value":
        frame[Y] = np.log(measures.unit_values(frame).where(frame[S.VALUE_USD] > 0))
    else:
        frame = _shares(frame, measure, time)
    defined = frame[Y].notna().to_numpy()
    frame = frame if defined.all() else frame[defined]  # already a copy of its own
    uses_quantity = measure == S.NET_WEIGHT_KG or outcome == "unit_value"
    info = OutcomeInfo(
        name=outcome, measure=measure, label=_label(outcome, measure),
        estimator="fepois" if outcome == "ppml" else "feols", uses_quantity=uses_quantity,
        rows_in=len(bal), rows_used=len(frame),
    )
    _check_variation(frame, info)
    return frame, info


def _shares(frame: pd.DataFrame, measure: str, time: str) -> pd.DataFrame:
    totals = frame.groupby(time)[measure].transform("sum").astype(float)
    frame = frame[totals > 0].copy()
    shares = measures.partner_shares(frame, measure=measure, by=[time])
    return frame.merge(shares[[time, S.PARTNER, "share"]], on=[time, S.PARTNER], how="left").rename(
        columns={"share": Y})


def _label(outcome: str, measure: str) -> str:
    what = {"value_usd": "value (USD)", "net_weight_kg": "quantity (kg)"}[measure]
    return {
        "log1p": f"ln(1 + {what})", "log": f"ln {what}, positive flows",
        "ppml": f"{what} in levels (PPML)", "unit_value": "ln unit value (USD/kg)",
        "share": f"partner share of {what}",
    }[outcome]


def _check_variation(frame: pd.DataFrame, info: OutcomeInfo) -> None:
    if frame.empty:
        raise SpecificationError(f"outcome {info.label!r} is not defined on any row")
    y = frame[Y].to_numpy()
    if not (y != y[0]).any():  # one distinct value (no missing values are left)
        value = float(frame[Y].iloc[0])
        raise SpecificationError(f"outcome {info.label!r} has no variation ({value!r} everywhere)")


def suspect_rows(frame: pd.DataFrame, info: OutcomeInfo) -> int:
    """Rows in the sample whose quantity is flagged suspect, if the outcome uses quantities."""
    if not info.uses_quantity or SUSPECT not in frame:
        return 0
    return int(frame[SUSPECT].sum())
