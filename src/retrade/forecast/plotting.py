"""Fan charts: history, median paths and shaded prediction intervals (matplotlib).

The Axes are returned, never saved or shown; the caller decides.
"""

from __future__ import annotations

import pandas as pd

_COLORS = ("C0", "C3", "C2", "C1", "C4", "C5", "C6")
_STYLES = ("-", "--", "-.", ":")  # identical paths (a scenario equal to base) stay visible


def fan_chart(
    history: pd.DataFrame,
    paths: dict[str, pd.DataFrame],
    *,
    title: str,
    ylabel: str,
    bands: bool = True,
    ax=None,
):
    """Draw history and one or more forecast paths with their interval fans.

    Parameters
    ----------
    history : DataFrame
        ``period, y``.
    paths : dict of str to DataFrame
        Label -> tidy forecast rows (``period, yhat, yhat_lower, yhat_upper, level``).
    title, ylabel : str
        Axis text.
    bands : bool
        Shade the intervals (wider levels lighter).
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    ax.plot(history["period"], history["y"], color="black", lw=1.4, label="observed")
    for i, (label, rows) in enumerate(paths.items()):
        color = _COLORS[i % len(_COLORS)]
        levels = sorted(rows["level"].unique(), reverse=True)
        if bands:
            for j, level in enumerate(levels):
                band = rows[rows["level"] == level]
                ax.fill_between(
                    band["period"],
                    band["yhat_lower"],
                    band["yhat_upper"],
                    color=color,
                    alpha=0.15 + 0.15 * j,
                    lw=0,
                    label=f"{label} {level:.0%}" if len(paths) == 1 else None,
                )
        line = rows[rows["level"] == levels[0]]
        ax.plot(
            line["period"],
            line["yhat"],
            color=color,
            lw=1.8,
            ls=_STYLES[i % len(_STYLES)],
            label=f"{label} (median)",
        )
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize="small", frameon=False)
    fig.autofmt_xdate()
    return ax
