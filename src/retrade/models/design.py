"""The estimation frame of an exposure design: balanced panel, event time, exposure, outcome.

One place turns (panel, event, options) into the rows a difference-in-
differences or event-study regression runs on, and collects the caveats that
belong next to its numbers: the HS mapping of the event, zero fills, suspect
quantity years, partly treated periods, partners lost to PPML.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retrade.errors import SpecificationError
from retrade.models.events import (
    Timing,
    Treatment,
    check_coverage,
    first_post,
    last_post,
    straddling,
    treatment,
)
from retrade.models.exposure import EXPOSURE, Exposure, ExposureSpec, compute_exposure, named, top_k
from retrade.models.outcomes import Measure, Outcome, OutcomeInfo, build_outcome, suspect_rows
from retrade.models.results import data_vintage
from retrade.panel import schema as S
from retrade.panel.balance import FILLED, SUSPECT, SUSPECT_NOTE, TIME, Frequency, balanced_panel
from retrade.panel.periods import ordinal_of, parse_periods

REL = "rel"
POST = "post"


@dataclass(frozen=True)
class Design:
    """Rows and context of one exposure design."""

    data: pd.DataFrame
    treatment: Treatment
    exposure: Exposure
    outcome: OutcomeInfo
    frequency: str
    first_post: int | pd.Period
    sample: str
    vintage: str
    caveats: tuple[str, ...]
    # each row's partner as a code into an array of partner labels (None when not kept):
    # the partners hashed once for the design, and not again for the fit
    partner_codes: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False,
                                                                compare=False)
    # the options it was built with (build_design's keywords), checked when it is reused
    options: dict = field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def partner_key(self) -> pd.Series | None:
        """The partner column as the categorical pyfixest reads (categories in order of
        appearance), made from ``partner_codes`` once per design; None without them."""
        if self.partner_codes is None:
            return None
        return partner_key(self.data[S.PARTNER], self.partner_codes)


def partner_key(values: pd.Series, partner_codes: tuple[np.ndarray, np.ndarray]
                ) -> pd.Series | None:
    """``values`` (the partner column) as a categorical of its distinct values in order of
    appearance, from each row's code into an array of labels, without hashing the text;
    None when the codes do not fit (another length, missing partners, non-text values)."""
    code, labels = partner_codes
    if len(code) != len(values) or (code < 0).any() or values.dtype != object:
        return None
    dense, seen = pd.factorize(code)
    return pd.Series(pd.Categorical.from_codes(dense, categories=labels[seen]),
                     index=values.index, name=S.PARTNER)


def design_of(panel: pd.DataFrame | Design, event: str | Treatment | None,
              **options) -> Design:
    """``panel`` itself when it is a :class:`Design` (``event`` and ``options``, if given,
    must be what it was built with), else :func:`build_design` of the panel rows."""
    if not isinstance(panel, Design):
        return build_design(panel, required_event(event), **options)
    check_reuse(panel.treatment, panel.options, event, options, _DEFAULTS)
    return panel


def required_event(event: str | Treatment | None) -> str | Treatment:
    """``event``, which panel rows need (only a prepared design carries its own)."""
    if event is None:
        raise SpecificationError("event is required with panel rows (a curated event name or "
                                 "a treatment); only a prepared design carries its own")
    return event


def check_reuse(built: Treatment, built_options: dict, event: str | Treatment | None,
                options: dict, defaults: dict) -> None:
    """Raise :class:`~retrade.errors.SpecificationError` when an estimation on a prepared
    design asks for another event or another design option than the design was built with
    (an option left at its default is not asked for)."""
    if event is not None and treatment(event) != built:
        raise SpecificationError(f"event {treatment(event).name!r} is not the design's "
                                 f"({built.name!r}): build a design for it")
    for name, value in options.items():
        if not _same_option(value, defaults[name], built_options.get(name, defaults[name])):
            raise SpecificationError(
                f"{name}={value!r} differs from the design's {name}="
                f"{built_options.get(name)!r}: it is set when the design is built, not when "
                "it is estimated")


def keyword_defaults(function) -> dict:
    """A function's keyword-only options and their defaults, read from its signature (the
    one place they are written)."""
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.kind is p.KEYWORD_ONLY}


def _same_option(value, default, built) -> bool:
    """A design option left at its default or given as the design has it."""
    return _equal(value, default) or _equal(value, built)


def _equal(a, b) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return tuple(a) == tuple(b)
    return type(a) is type(b) and a == b


def build_design(
    panel: pd.DataFrame,
    event: str | Treatment,
    *,
    hs6: str | Sequence[str] | None = None,
    reporter: str = "CHN",
    flow: str = "export",
    frequency: Frequency = "A",
    outcome: Outcome = "log1p",
    measure: Measure = "value_usd",
    exposure: ExposureSpec | None = None,
    timing: Timing = "full",
    years: tuple[int, int] | None = None,
    drop_years: Sequence[int] = (),
) -> Design:
    """The estimation data of an exposure design, prepared once for several estimations.

    Balanced panel -> event window -> exposure -> outcome, with every caveat
    recorded. :func:`~retrade.models.exposure_did` and
    :func:`~retrade.models.event_study` take the design in place of the panel
    (with their estimation options: ``cluster``, ``small_sample``, ``window``,
    ``reference``, ``alpha``) and give what they give from the panel with the
    same options, without preparing the data again.

    Parameters
    ----------
    panel : DataFrame
        Panel rows (:mod:`retrade.panel.schema`), balanced here with
        :func:`retrade.panel.balance.balanced_panel`.
    event, hs6, reporter, flow, frequency, outcome, measure, exposure, timing, years, drop_years
        As in :func:`~retrade.models.exposure_did` (the same defaults).

    Returns
    -------
    Design
        ``data`` (one row per partner and period: ``y``, ``exposure``, ``rel``,
        ``post``, the partner, the period ``t``), the treatment, exposure,
        outcome, first post period, sample, data vintage and caveats.

    Examples
    --------
    >>> from retrade.models import event_study, exposure_did, top_k
    >>> from retrade.models.simulate import exposure_panel
    >>> panel = exposure_panel(n_partners=30, years=range(2010, 2020), event_year=2015,
    ...                        effect=-0.5, seed=1)
    >>> design = build_design(panel, "2015 quota removal", hs6="284690", exposure=top_k(8))
    >>> did, es = exposure_did(design), event_study(design)
    >>> same = exposure_did(panel, "2015 quota removal", hs6="284690", exposure=top_k(8))
    >>> bool(did.tidy().equals(same.tidy()))
    True
    """
    options = {"hs6": hs6, "reporter": reporter, "flow": flow, "frequency": frequency,
               "outcome": outcome, "measure": measure, "exposure": exposure, "timing": timing,
               "years": years, "drop_years": drop_years}
    t = treatment(event)
    codes = _hs6_for(panel, t, hs6)
    bal = balanced_panel(panel, hs6=codes, reporter=reporter, flow=flow, frequency=frequency,
                         drop_years=drop_years)
    if years is not None:
        bal = bal[(bal[S.YEAR] >= years[0]) & (bal[S.YEAR] <= years[1])]
    bal, start, notes = _event_window(bal, t, frequency, timing)
    spec = exposure if exposure is not None else (named(t.partners) if t.partners else top_k(10))
    start_year = start if frequency == "A" else start.year
    partner, labels = pd.factorize(bal[S.PARTNER])  # the partner text hashed once
    labels = np.asarray(labels, dtype=object)
    exp = compute_exposure(bal, spec, first_post_year=start_year, partner_codes=(partner, labels))
    if spec.exclude:
        keep = ~bal[S.PARTNER].isin(spec.exclude)
        bal, partner = bal[keep], partner[keep.to_numpy()]
    bal = _with_exposure(bal, exp, partner, labels)
    frame, info = build_outcome(bal, outcome, measure, copy=False)  # bal is ours
    if info.estimator == "fepois":
        frame, lost = _drop_never_trading(frame)
        notes += [f"{lost} partner(s) with no trade in any period drop out of PPML"] if lost else []
    frame[REL] = _event_time(frame[TIME], start, straddling(t, frequency, timing), frequency)
    frame[POST] = (frame[REL] >= 0).astype(float)
    notes += _data_notes(frame, bal, info, codes, t)
    periods = pd.Series(frame[S.PERIOD].unique())  # min and max over the distinct periods
    span = f"{periods.min()}..{periods.max()}"
    # rows keep bal's positions as index, except after the share outcome's merge
    partner = None if info.name == "share" else partner[frame.index.to_numpy()]
    count = frame[S.PARTNER].nunique() if partner is None else \
        int((np.bincount(partner[partner >= 0], minlength=len(labels)) > 0).sum())
    sample = f"{reporter} {flow}s of {'+'.join(codes)}, {span}, {count} partners"
    frame.index = pd.RangeIndex(len(frame))  # our own copy: renumbered in place
    return Design(data=frame, treatment=t, exposure=exp, outcome=info,
                  frequency=frequency, first_post=start, sample=sample,
                  vintage=data_vintage(panel, panel[S.HS6].isin(codes)),
                  caveats=tuple([t.caveat, *notes] if t.caveat else notes),
                  partner_codes=None if partner is None else (partner, labels),
                  options=options)


# build_design's options and their defaults (those of exposure_did and event_study)
_DEFAULTS = keyword_defaults(build_design)


def _with_exposure(bal: pd.DataFrame, exp: Exposure, code: np.ndarray,
                   partners: np.ndarray) -> pd.DataFrame:
    """``bal`` with each partner's exposure (as a left merge on the partner: a new index);
    ``code`` is each row's partner code (-1: missing) into ``partners``."""
    by_partner = pd.Series(exp.table[EXPOSURE].to_numpy(), index=exp.table[S.PARTNER].to_numpy())
    found = by_partner.reindex(partners).to_numpy(dtype=float)  # once per distinct partner
    values = np.where(code >= 0, found[np.maximum(code, 0)] if len(found) else np.nan, np.nan)
    out = bal.copy(deep=False)  # a new frame sharing bal's columns (bal is build_design's own)
    out[EXPOSURE] = values
    out.index = pd.RangeIndex(len(out))  # as reset_index(drop=True), without copying
    return out


def _hs6_for(panel: pd.DataFrame, t: Treatment, hs6) -> tuple[str, ...]:
    if hs6 is not None:
        return (hs6,) if isinstance(hs6, str) else tuple(hs6)
    present = tuple(h for h in t.hs6 if h in set(panel[S.HS6].dropna().unique().astype(str)))
    if not present:
        raise SpecificationError(
            f"the panel has none of the HS lines event {t.name!r} maps to {list(t.hs6)}; pass hs6=")
    return present


def _event_time(time: pd.Series, start, mixed, frequency: str) -> pd.Series:
    """Periods since the first post period; a left-out partly treated period is skipped.

    Without the skip, the last clean pre-event period would be -2 and the event
    study's reference period (-1) would hold no observations.
    """
    rel = time - ordinal_of(start)
    if mixed is None:
        return rel
    return rel.where(rel >= 0, rel + 1)


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
        return np.unique(bal[S.YEAR].astype(int).to_numpy()).tolist()
    return sorted(set(parse_periods(bal[S.PERIOD].unique(), "M")))


def _drop_never_trading(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    totals = frame.groupby(S.PARTNER)["y"].transform("sum")
    lost = frame.loc[totals <= 0, S.PARTNER].nunique()
    return frame[totals > 0].copy(), int(lost)


def _data_notes(frame, bal, info: OutcomeInfo, codes, t: Treatment) -> list[str]:
    notes = []
    outside = [c for c in codes if c not in t.hs6]
    if outside:
        notes.append(f"HS {', '.join(outside)} is not among the lines {t.name!r} maps to "
                     f"({', '.join(t.hs6)}): read the estimate as a placebo or spillover")
    if info.name in ("log1p", "ppml", "share"):
        filled = int(frame[FILLED].sum())
        share = filled / max(len(frame), 1)
        notes.append(f"{filled} of {len(frame)} partner-periods ({share:.0%}) are zeros filled "
                     "where the source shows no trade")
    if info.rows_used < info.rows_in:
        notes.append(f"{info.label}: {info.rows_used} of {info.rows_in} partner-periods are used "
                     "(the rest have no defined outcome, e.g. zero flows)")
    if info.name == "log1p":
        notes.append("ln(1+y) depends on the unit of y and mixes the extensive and intensive "
                     "margins (Chen and Roth 2024); compare with PPML")
    notes += _suspect_notes(frame, info)
    return notes


def _suspect_notes(frame: pd.DataFrame, info: OutcomeInfo) -> list[str]:
    if SUSPECT not in frame or not frame[SUSPECT].any():
        return []
    years = sorted(int(y) for y in frame.loc[frame[SUSPECT], S.YEAR].unique())
    note = frame.loc[frame[SUSPECT], SUSPECT_NOTE].iloc[0]
    if suspect_rows(frame, info):
        return [f"UNRELIABLE: quantities in {years} are flagged ({note}); this outcome uses them. "
                f"Rerun with drop_years={years}"]
    return [f"values in {years} come from a year with flagged quantities ({note}); value-based "
            "outcomes are less affected but may be incomplete"]


def exposure_dummies(data: pd.DataFrame, window: tuple[int, int] | None,
                     ref: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Event-time x exposure columns, binning event time at the window ends.

    Returns the frame with the new columns and ``{column: event time}`` in event-time order.
    """
    values, columns = dummy_columns(data, window, ref)
    out = data.copy()
    for name, column in values.items():
        out[name] = column
    return out, columns


def dummy_columns(data: pd.DataFrame, window: tuple[int, int] | None,
                  ref: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The columns :func:`exposure_dummies` adds, alone (``data`` is not copied), and
    ``{column: event time}``.

    Each row's exposure is written once, into the column of its (binned) event
    time, of one zero-filled block whose columns are returned as views.
    """
    rel = data[REL].astype(int)
    lo, hi = (int(rel.min()), int(rel.max())) if window is None else window
    if not lo <= ref < 0 <= hi:
        raise SpecificationError(
            f"event window ({lo}, {hi}) must contain the reference {ref} and 0")
    slot = np.clip(rel.to_numpy(), lo, hi) - lo  # 0 .. hi - lo
    exposure = np.asarray(data[EXPOSURE], dtype=float)
    present = np.bincount(slot, minlength=hi - lo + 1) > 0
    present[ref - lo] = False  # the reference gets no column
    kept = np.flatnonzero(present)
    column_of_slot = np.full(hi - lo + 1, -1)
    column_of_slot[kept] = np.arange(len(kept))
    n = len(slot)
    column = column_of_slot[slot]
    rows = np.flatnonzero(column >= 0)
    block = np.zeros(n * len(kept))  # the columns one after another
    block[column[rows] * n + rows] = exposure[rows]
    block = block.reshape(len(kept), n)
    values, columns = {}, {}
    for j, k in enumerate(kept + lo):
        name = f"es_m{-k}" if k < 0 else f"es_p{k}"
        values[name], columns[name] = block[j], int(k)
    return values, columns
