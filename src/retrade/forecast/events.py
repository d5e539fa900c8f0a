"""Policy events as step regressors.

Events come in as data: a DataFrame with columns ``date`` and ``name`` (and
optionally ``end``), such as the dated policy events that
``retrade.reference`` bundles. Each event becomes a step dummy that is 1 from
the period containing ``date`` (to the period containing ``end``, if given)
and 0 before: a persistent level shift on the model scale, the usual reading
of an export control or a quota regime. Future values of a step come from
the event's dates (a step that is on at the end of the sample stays on);
scenarios change them (see :mod:`retrade.forecast.scenarios`).

A step that is constant over the training window (an event after its end, or
before its start) is not identified and is dropped from that fit, as is a step
identical to an earlier one over the window; so in a backtest an event dated
after the forecast origin never informs the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade.errors import SpecificationError


@dataclass(frozen=True)
class Design:
    """Step dummies for one fit: training rows, future rows and the kept event names."""

    names: tuple[str, ...]
    train: np.ndarray
    future: np.ndarray

    @property
    def empty(self) -> bool:
        """No identified event."""
        return not self.names


def check_events(events: pd.DataFrame | None) -> pd.DataFrame | None:
    """Validate an events table; return a clean copy (``date``, ``end`` as Timestamps).

    Examples
    --------
    >>> ev = check_events(pd.DataFrame({"date": ["2025-04-04"], "name": ["controls"]}))
    >>> str(ev["date"].iloc[0].date())
    '2025-04-04'
    """
    if events is None:
        return None
    if not isinstance(events, pd.DataFrame) or not {"date", "name"} <= set(events.columns):
        raise SpecificationError("events must be a DataFrame with columns 'date' and 'name'")
    out = pd.DataFrame({"name": events["name"].astype(str)})
    for column in ("date", "end"):
        raw = events[column] if column in events.columns else pd.Series(pd.NaT, index=events.index)
        parsed = pd.to_datetime(raw, errors="coerce")
        bad = raw[parsed.isna() & raw.notna()]
        if len(bad) or (column == "date" and parsed.isna().any()):
            shown = bad.tolist() or ["<missing>"]
            raise SpecificationError(f"events column {column!r} has unreadable dates {shown[:5]}")
        out[column] = parsed
    if out["name"].duplicated().any():
        raise SpecificationError(
            "event names must be unique; repeated: "
            f"{sorted(set(out['name'][out['name'].duplicated()]))}"
        )
    return out.reset_index(drop=True)


def step_matrix(events: pd.DataFrame, periods: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Columns of step dummies (one per event) over ``periods``."""
    starts = _period_start(events["date"], frequency)
    ends = _period_start(events["end"], frequency)
    out = np.zeros((len(periods), len(events)))
    for j, (start, end) in enumerate(zip(starts, ends, strict=True)):
        on = periods >= start
        if not pd.isna(end):
            on &= periods <= end
        out[:, j] = on
    return out


def design(
    events: pd.DataFrame | None,
    train: pd.DatetimeIndex,
    future: pd.DatetimeIndex,
    frequency: str,
) -> Design:
    """Step dummies for a training window and its future, dropping unidentified steps."""
    if events is None or events.empty:
        return Design((), np.zeros((len(train), 0)), np.zeros((len(future), 0)))
    x_train = step_matrix(events, train, frequency)
    x_future = step_matrix(events, future, frequency)
    keep = np.zeros(x_train.shape[1], dtype=bool)
    for j in range(x_train.shape[1]):
        kept = x_train[:, keep]
        same = any(np.array_equal(x_train[:, j], kept[:, i]) for i in range(kept.shape[1]))
        keep[j] = x_train[:, j].std() > 0 and not same
    names = tuple(events["name"][keep])
    return Design(names, x_train[:, keep], x_future[:, keep])


def _period_start(dates: pd.Series, frequency: str) -> pd.Series:
    return dates.dt.to_period("Y" if frequency == "A" else "M").dt.start_time
