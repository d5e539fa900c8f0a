"""The exposure-design code that whole-column code replaced, kept as the reference for equality
tests (``tests/models/test_models_fast_paths.py``).

Copied verbatim from the code before the change (commit 2c0cd96: full-frame copies, per-row
``map``, a Python set over every row, the term-by-term collinearity check before every fit),
apart from their imports and the helpers they share with the new code, which are imported.
"""
# ruff: noqa

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from retrade.errors import CollinearityWarning, DataQualityWarning, SpecificationError, check_choice
from retrade.models.design import (
    Design, FILLED, REL, POST, SUSPECT, S, TIME, _data_notes, _drop_never_trading, _event_time,
    _hs6_for, ordinal_of, straddling, treatment, check_coverage, first_post, last_post, named,
    top_k,
)
from retrade.models.did import FE
from retrade.models.exposure import (
    EXPOSURE, Exposure, ExposureSpec, _check_group, _check_named, _window,
)
from retrade.models.inference import collinear_with_fixed_effects, demeaner, vcov_choice
from retrade.models.outcomes import OUTCOMES, OutcomeInfo, Y, _label, _shares
from retrade.panel import measures
from retrade.panel.balance import balanced_panel
from retrade.panel.periods import ordinal_of


def build_design(
    panel: pd.DataFrame,
    event: str | Treatment,
    *,
    hs6: str | Sequence[str] | None,
    reporter: str,
    flow: str,
    frequency: Frequency,
    outcome: Outcome,
    measure: Measure,
    exposure: ExposureSpec | None,
    timing: Timing,
    years: tuple[int, int] | None,
    drop_years: Sequence[int],
) -> Design:
    """Balanced panel -> event window -> exposure -> outcome, with every caveat recorded."""
    t = treatment(event)
    codes = _hs6_for(panel, t, hs6)
    bal = balanced_panel(panel, hs6=codes, reporter=reporter, flow=flow, frequency=frequency,
                         drop_years=drop_years)
    if years is not None:
        bal = bal[(bal[S.YEAR] >= years[0]) & (bal[S.YEAR] <= years[1])]
    bal, start, notes = _event_window(bal, t, frequency, timing)
    spec = exposure if exposure is not None else (named(t.partners) if t.partners else top_k(10))
    start_year = start if frequency == "A" else start.year
    exp = compute_exposure(bal, spec, first_post_year=start_year)
    bal = _with_exposure(bal[~bal[S.PARTNER].isin(spec.exclude)] if spec.exclude else bal, exp)
    frame, info = build_outcome(bal, outcome, measure)
    if info.estimator == "fepois":
        frame, lost = _drop_never_trading(frame)
        notes += [f"{lost} partner(s) with no trade in any period drop out of PPML"] if lost else []
    frame[REL] = _event_time(frame[TIME], start, straddling(t, frequency, timing), frequency)
    frame[POST] = (frame[REL] >= 0).astype(float)
    notes += _data_notes(frame, bal, info, codes, t)
    span = f"{frame[S.PERIOD].min()}..{frame[S.PERIOD].max()}"
    sample = (f"{reporter} {flow}s of {'+'.join(codes)}, {span}, "
              f"{frame[S.PARTNER].nunique()} partners")
    return Design(data=frame.reset_index(drop=True), treatment=t, exposure=exp, outcome=info,
                  frequency=frequency, first_post=start, sample=sample,
                  vintage=data_vintage(panel, panel[S.HS6].isin(codes)),
                  caveats=tuple([t.caveat, *notes] if t.caveat else notes))


def _with_exposure(bal: pd.DataFrame, exp: Exposure) -> pd.DataFrame:
    """``bal`` with each partner's exposure (as a left merge on the partner: a new index)."""
    by_partner = pd.Series(exp.table[EXPOSURE].to_numpy(), index=exp.table[S.PARTNER].to_numpy())
    values = bal[S.PARTNER].map(by_partner).to_numpy(dtype=float)
    return bal.assign(**{EXPOSURE: values}).reset_index(drop=True)


def _event_window(bal: pd.DataFrame, t: Treatment, frequency: str, timing: Timing):
    periods = _periods(bal, frequency)
    check_coverage(t, periods, frequency, timing)
    start = first_post(t, frequency, timing)
    notes = []
    mixed = straddling(t, frequency, timing)
    if mixed is not None and (bal[TIME] == ordinal_of(mixed)).any():
        bal = bal[bal[TIME] != ordinal_of(mixed)]
        notes.append(f"the partly treated period {mixed} is left out (timing='full')")
    if timing == "partial" and first_post(t, frequency, "full") != start:
        notes.append(f"the first post period {start} is only partly treated (timing='partial')")
    stop = last_post(t, frequency)
    if stop is not None and (bal[TIME] > ordinal_of(stop)).any():
        bal = bal[bal[TIME] <= ordinal_of(stop)]
        notes.append(f"periods after the measure ended ({t.end.date()}) are left out")
    return bal, start, notes


def _periods(bal: pd.DataFrame, frequency: str) -> list:
    if frequency == "A":
        return sorted(set(bal[S.YEAR].astype(int)))
    return sorted(set(pd.PeriodIndex(bal[S.PERIOD].unique(), freq="M")))


def compute_exposure(bal: pd.DataFrame, spec: ExposureSpec, *, first_post_year: int) -> Exposure:
    """Exposure per partner from a balanced panel (one reporter); raises on a degenerate group."""
    baseline = _window(bal, spec.baseline, first_post_year)
    seen = set(bal[S.PARTNER].unique().tolist())  # once per distinct partner, not per row
    partners = sorted(seen - set(spec.exclude))
    rows = bal[bal[S.PARTNER].isin(partners)] if seen & set(spec.exclude) else bal
    if spec.kind == "named":
        table = pd.DataFrame({S.PARTNER: partners})
        table[EXPOSURE] = table[S.PARTNER].isin(spec.partners).astype(float)
        _check_named(spec, partners)
    else:
        table = _baseline_table(rows, spec, baseline)
    _check_group(table, spec)
    return Exposure(spec=spec, baseline=baseline, table=table.reset_index(drop=True),
                    excluded=tuple(p for p in spec.exclude if p in seen))


def _window(bal: pd.DataFrame, baseline, first_post_year: int) -> tuple[int, int]:
    years = sorted(set(bal[S.YEAR].unique().tolist()))
    pre = [y for y in years if y < first_post_year]
    lo, hi = baseline if baseline is not None else (pre[0], pre[-1])
    if hi >= first_post_year:
        raise SpecificationError(
            f"baseline window {lo}-{hi} reaches into the post-event period (from "
            f"{first_post_year}); exposure must be measured before the event"
        )
    if not [y for y in years if lo <= y <= hi]:
        raise SpecificationError(
            f"baseline window {lo}-{hi} holds no data (data: {years[0]}-{years[-1]})")
    return lo, hi


def _baseline_table(rows: pd.DataFrame, spec: ExposureSpec, baseline) -> pd.DataFrame:
    lo, hi = baseline
    window = rows[(rows[S.YEAR] >= lo) & (rows[S.YEAR] <= hi)]
    if spec.by == "net_weight_kg" and window[SUSPECT].any():
        warnings.warn(f"the baseline window {lo}-{hi} includes suspect quantity years",
                      DataQualityWarning, stacklevel=4)
    if spec.kind == "share" or spec.by == "share":
        measure = "net_weight_kg" if spec.by == "net_weight_kg" else "value_usd"
        shares = measures.partner_shares(window, measure=measure, by=[S.PERIOD])
        stat = shares.groupby(S.PARTNER)["share"].mean() if spec.by == "share" else (
            window.groupby(S.PARTNER)[measure].sum() / window[measure].sum())
    else:
        stat = window.groupby(S.PARTNER)[spec.by].mean()
    partners = sorted(set(rows[S.PARTNER].unique().tolist()))
    table = stat.rename("baseline").reindex(partners).fillna(0.0)
    table = table.rename_axis(S.PARTNER).reset_index()
    order = table.sort_values(["baseline", S.PARTNER], ascending=[False, True]).index
    table.loc[order, "rank"] = range(1, len(table) + 1)
    table["rank"] = table["rank"].astype(int)
    if spec.kind == "share":
        table[EXPOSURE] = table["baseline"]
    else:
        table[EXPOSURE] = ((table["rank"] <= spec.k) & (table["baseline"] > 0)).astype(float)
    return table


def build_outcome(bal: pd.DataFrame, outcome: Outcome, measure: Measure = "value_usd",
                  *, time: str = "t") -> tuple[pd.DataFrame, OutcomeInfo]:
    """Add column ``y`` for ``outcome`` and keep the rows it is defined on (a copy).

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
    frame = bal.copy()
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
    frame = frame[frame[Y].notna()]
    uses_quantity = measure == S.NET_WEIGHT_KG or outcome == "unit_value"
    info = OutcomeInfo(
        name=outcome, measure=measure, label=_label(outcome, measure),
        estimator="fepois" if outcome == "ppml" else "feols", uses_quantity=uses_quantity,
        rows_in=len(bal), rows_used=len(frame),
    )
    _check_variation(frame, info)
    return frame, info


def _check_variation(frame: pd.DataFrame, info: OutcomeInfo) -> None:
    if frame.empty:
        raise SpecificationError(f"outcome {info.label!r} is not defined on any row")
    if frame[Y].nunique() < 2:
        value = float(frame[Y].iloc[0])
        raise SpecificationError(f"outcome {info.label!r} has no variation ({value!r} everywhere)")


def data_vintage(panel: pd.DataFrame, rows: pd.Series | None = None) -> str:
    """Sources, batches and the period span of the rows a model used (``rows``: a mask of
    ``panel``'s rows, applied to the three columns read rather than to the whole panel)."""
    if rows is not None:
        panel = panel.loc[rows.to_numpy(dtype=bool),
                          [c for c in ("source", "batch", "period") if c in panel]]
    parts = []
    if "source" in panel:
        sources = set(panel["source"].dropna().unique().astype(str))
        parts.append("source " + "+".join(sorted(sources - {""})))
    if "batch" in panel and panel["batch"].notna().any():
        batches = sorted(set(panel["batch"].dropna().unique().astype(str)))
        parts.append("batch " + ", ".join(batches[:3]) + (" ..." if len(batches) > 3 else ""))
    if "period" in panel and len(panel):
        periods = pd.Series(panel["period"].dropna().unique().astype(str), dtype=object)
        parts.append(f"periods {periods.min()}..{periods.max()}")
    return "; ".join(parts)


def fit_model(data: pd.DataFrame, terms: list[str], design: Design, cluster, small_sample):
    """Drop terms the fixed effects absorb (with a warning), then estimate with pyfixest."""
    from retrade.errors import require

    pf = require("pyfixest", "models")
    absorbed = collinear_with_fixed_effects(data, terms, FE)
    if absorbed:
        warnings.warn(f"{absorbed} collinear with the fixed effects ({FE}); dropped",
                      CollinearityWarning, stacklevel=3)
    kept = [t for t in terms if t not in absorbed]
    if not kept:
        raise SpecificationError(
            f"every treatment term is collinear with the fixed effects ({FE}): the exposure "
            "does not vary within the sample, or the event leaves no pre- or post-period")
    vc = vcov_choice(data, cluster, small_sample)
    estimator = pf.feols if design.outcome.estimator == "feols" else pf.fepois
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*singleton.*")
        warnings.filterwarnings("ignore", message="invalid value encountered in sqrt")
        fit = estimator(f"y ~ {' + '.join(kept)} | {FE}", data=data, vcov=vc.vcov, ssc=vc.ssc,
                        demeaner=demeaner())
    dropped = [t for t in kept if t not in list(fit._coefnames)]
    if dropped:
        warnings.warn(f"{dropped} dropped by pyfixest as collinear", CollinearityWarning,
                      stacklevel=3)
    return fit, vc, [t for t in kept if t not in dropped]


