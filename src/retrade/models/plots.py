"""Plots for results objects: coefficients, event-study paths, counterfactual paths.

Each function draws on the given Axes (or a new figure) and returns the Axes;
nothing is saved or shown.
"""

from __future__ import annotations

import pandas as pd


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4))
    return ax


def coef_plot(tidy: pd.DataFrame, *, ax=None, title: str = ""):
    """Point estimates with confidence intervals, one row per term."""
    ax = _axes(ax)
    y = list(range(len(tidy)))
    est, low, high = (tidy[c].to_numpy(float) for c in ("estimate", "conf_low", "conf_high"))
    ax.errorbar(est, y, xerr=[est - low, high - est], fmt="o", color="C0", capsize=3)
    ax.axvline(0.0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, list(tidy["term"]))
    ax.invert_yaxis()
    ax.set_title(title)
    return ax


def event_plot(table: pd.DataFrame, *, ax=None, title: str = "",
               xlabel: str = "periods relative to event"):
    """Event-study coefficients by event time (reference period drawn at zero, hollow)."""
    ax = _axes(ax)
    ref = table["reference"]
    est = table[~ref]
    ax.fill_between(est["event_time"], est["conf_low"], est["conf_high"], color="C0", alpha=0.2,
                    step=None, label="confidence interval")
    ax.plot(est["event_time"], est["estimate"], "o-", color="C0", label="estimate")
    ax.plot(table.loc[ref, "event_time"], table.loc[ref, "estimate"], "o", mfc="white",
            color="C0", label="reference period")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="C3", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax


def path_plot(path: pd.DataFrame, *, ax=None, title: str = "", ylabel: str = ""):
    """Observed series against the counterfactual from the pre-event model, with its band."""
    ax = _axes(ax)
    x = path["period"].dt.to_timestamp() if hasattr(path["period"], "dt") else path["period"]
    ax.plot(x, path["observed"], color="black", lw=1.2, label="observed")
    post = path["post"].to_numpy()
    ax.plot(x[post], path.loc[post, "counterfactual"], color="C1", lw=1.2, ls="--",
            label="counterfactual (pre-event model)")
    ax.fill_between(x[post], path.loc[post, "cf_lower"], path.loc[post, "cf_upper"], color="C1",
                    alpha=0.2)
    if post.any():
        ax.axvline(x[post].iloc[0], color="C3", lw=0.8, ls="--")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return ax
