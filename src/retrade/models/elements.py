"""Element-level difference-in-differences and event studies of China's 2025 export controls.

Within China's exports (the element panel, :mod:`retrade.panel.elements`), lines that
name one element are units (the HS8 line, i.e. an element in one form, and partner where
the data have it).
Controlled elements are compared with uncontrolled ones, month by month:

    y_ut = a_u + d_t + sum_k b_k * C_u^k * F_t^k + sum_k c_k * C_u^k * A_t^k + e_ut

with ``C_u^k`` = 1 when unit u's element is named by event k (the registry's treatments,
:mod:`retrade.models.events`: the April 2025 controls, the October 2025 extension), ``F_t^k``
= 1 in the months event k was in force, and, for an event that ended (the October set,
suspended on 7 November 2025), ``A_t^k`` = 1 after it ended. ``a_u`` (line (x partner))
nests the element effects; ``d_t`` are month effects. The event study of
one event replaces ``F`` by leads and lags around its first full month (reference: the
month before), with the joint pre-trend test (Roth 2022 on its power).

Units of elements that another control names but the model does not are left out (they
are neither treated nor clean controls); lines that pool elements ("other", mixtures) are
left out, because a mixture is never assigned to one element. Months without a row are
zeros (GACC downloads have no zero rows). Estimation is pyfixest's ``feols`` (ln(1 + y))
or ``fepois`` (PPML, Santos Silva and Tenreyro 2006); standard errors clustered by
element, the level at which treatment is assigned (Abadie et al. 2023), with few
clusters flagged.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.models.events import (
    Timing,
    Treatment,
    check_coverage,
    first_post,
    last_post,
    straddling,
    treatment,
    treatments,
)
from retrade.models.inference import SmallSample, WaldTest, demeaner, vcov_choice
from retrade.models.results import ModelInfo, Result, data_vintage, tidy_frame

Outcome = choices.ElementOutcome
Measure = choices.ElementMeasure
MEASURES: tuple[str, ...] = choices.values(Measure)
UNIT, T, REL = "unit", "t", "rel"
DEFAULT_EVENTS: tuple[str, ...] = ("2025-04 controls", "2025-10 controls")
FEW_CLUSTERS = 10
CAVEATS: tuple[str, ...] = (
    "Licensing delays: the controls require a licence, not a ban; exports resume as licences "
    "are granted (general licences from December 2025), so the effect is a licensing lag as "
    "much as a cut, and it fades as approvals come through",
    "Stockpiling: buyers who expected controls may have bought ahead, and the April measure "
    "took effect on the day it was announced; inflated months before it raise the pre-period "
    "and overstate the fall (read the event study's leads)",
    "Reclassification: samarium and gadolinium have no HS8 line of their own, scandium and "
    "lutetium only from 2022; controlled products can move between single-element, 'other' and "
    "mixture lines, which the single-element comparison does not see",
    "Only lines that name one element are compared; 'other' and mixture lines, which can "
    "hold controlled elements, are left out",
)
OCTOBER_CAVEAT = (
    "The October 2025 element measures (Announcement No. 57) were to take effect on 8 November "
    "2025 (MOFCOM spokesperson, 9 October 2025) and were suspended on 7 November (No. 70): "
    "they may never have bound, so their terms measure announcement effects at most")


@dataclass(frozen=True, kw_only=True)
class ElementDiDResult(Result):
    """Controlled against uncontrolled elements: one term per event (and per ended event,
    one after its end)."""

    events: tuple[Treatment, ...]
    treated: tuple[str, ...]
    controls: tuple[str, ...]

    def _extra_meta(self):
        return (("treated elements", " ".join(self.treated)),
                ("control elements", " ".join(self.controls)))


@dataclass(frozen=True, kw_only=True)
class ElementEventStudyResult(Result):
    """Leads and lags of one control's effect on its elements, with the pre-trend test."""

    treatment: Treatment
    pretrend: WaldTest | None
    reference: int
    event_times: tuple[int, ...]

    def _extra_meta(self):
        test = self.pretrend.describe() if self.pretrend else "not available"
        return (("pre-trend test", test),)

    def event_table(self) -> pd.DataFrame:
        """``event_time, estimate, conf_low, conf_high, reference`` incl. the reference month."""
        table = self.tidy().assign(event_time=list(self.event_times), reference=False)
        ref = pd.DataFrame({"event_time": [self.reference], "estimate": [0.0],
                            "conf_low": [0.0], "conf_high": [0.0], "reference": [True]})
        out = pd.concat([table[ref.columns], ref], ignore_index=True)
        return out.sort_values("event_time").reset_index(drop=True)

    def plot(self, ax=None):
        """Coefficients by month relative to the event, with the confidence band."""
        from retrade.models.plots import event_plot

        return event_plot(self.event_table(), ax=ax, title=f"{self.info.model}",
                          xlabel="months relative to the first full month of the control")


@dataclass(frozen=True)
class _Design:
    data: pd.DataFrame
    events: tuple[Treatment, ...]
    treated: tuple[str, ...]
    controls: tuple[str, ...]
    fe_label: tuple[str, ...]
    notes: tuple[str, ...]
    sample: str
    vintage: str


def _month_index(periods: pd.Series) -> pd.Series:
    return periods.str[:4].astype(int) * 12 + periods.str[5:7].astype(int) - 1


def _t(period: pd.Period) -> int:
    return int(period.year) * 12 + int(period.month) - 1


def _units(elements: pd.DataFrame, reporter: str, flow: str, measure: str,
           by_partner: bool) -> tuple[pd.DataFrame, list[str]]:
    rows = elements[(elements["reporter"] == reporter) & (elements["flow"] == flow)
                    & (elements["scope"] == "element") & elements[measure].notna()]
    if rows.empty:
        raise SpecificationError(
            f"the element panel has no {reporter} {flow} rows on single-element lines with "
            f"{measure}; import GACC downloads at HS8 (retrade import FILE --flow {flow})")
    keys = ["hs_original", "element", "form"] + (["partner"] if by_partner else [])
    summed = rows.groupby([*keys, "period"], observed=True)[measure].sum().reset_index()
    return summed, keys


def _balanced(summed: pd.DataFrame, keys: list[str], measure: str) -> pd.DataFrame:
    """Every unit in every month of the span; months without a row are zeros."""
    t = _month_index(summed["period"])
    units = summed[keys].drop_duplicates().reset_index(drop=True)
    months = np.arange(t.min(), t.max() + 1)
    grid = units.loc[units.index.repeat(len(months))].reset_index(drop=True)
    grid[T] = np.tile(months, len(units))
    values = summed.assign(**{T: t})[[*keys, T, measure]]
    out = grid.merge(values, on=[*keys, T], how="left")
    out[measure] = out[measure].astype(float).fillna(0.0)
    out["period"] = [f"{m // 12}-{m % 12 + 1:02d}" for m in months] * len(units)
    unit = out["hs_original"].astype(str)
    if "partner" in keys:
        unit = unit + ":" + out["partner"].astype(str)
    out[UNIT] = unit
    return out


def _design(elements, events, *, reporter, flow, outcome, measure, by_partner, timing,
            keep_elements=None) -> _Design:
    check_choice("outcome", outcome, Outcome)
    check_choice("measure", measure, Measure)
    check_choice("timing", timing, choices.Timing)
    chosen = tuple(treatment(e) for e in ([events] if isinstance(events, (str, Treatment))
                                          else events))
    if not chosen:
        raise SpecificationError("name at least one event, e.g. '2025-04 controls'")
    summed, keys = _units(elements, reporter, flow, measure, by_partner)
    data = _balanced(summed, keys, measure)
    named = {e for t in chosen for e in t.elements}
    others = {e for names in treatments()["elements"] for e in names.split()} - named
    notes = []
    dropped = sorted(set(data["element"]) & others)
    if dropped:
        notes.append(f"units of {', '.join(dropped)} left out: another control names them")
        data = data[~data["element"].isin(others)]
    if keep_elements is not None:
        data = data[data["element"].isin(keep_elements)]
    periods = sorted(set(pd.PeriodIndex(data["period"].unique(), freq="M")))
    for t in chosen:
        check_coverage(t, periods, "M", timing)
        mixed = straddling(t, "M", timing)
        if mixed is not None and (data[T] == _t(mixed)).any():
            data = data[data[T] != _t(mixed)]
            notes.append(f"{mixed} is left out: {t.name} took effect during it (timing='full')")
    treated = tuple(sorted(set(data["element"]) & named))
    controls = tuple(sorted(set(data["element"]) - named))
    if not treated or not controls:
        raise SpecificationError(
            f"need controlled and uncontrolled elements; the data have controlled "
            f"{list(treated)} and uncontrolled {list(controls)}")
    data = data.assign(y=(np.log1p(data[measure]) if outcome == "log1p" else data[measure]))
    if outcome == "ppml":
        data, lost = _drop_never_trading(data)
        notes += [f"{lost} unit(s) with no trade in any month drop out of PPML"] if lost else []
    zeros = float((data[measure] == 0).mean())
    notes.append(f"{zeros:.0%} of unit-months are zeros filled where the download has no row")
    fe = ("line" + (" x partner" if by_partner else ""), "month")
    span = f"{data['period'].min()}..{data['period'].max()}"
    sample = (f"{reporter} {flow}s on single-element lines, {span}, {data[UNIT].nunique()} "
              f"units, {data['element'].nunique()} elements")
    return _Design(data.reset_index(drop=True), chosen, treated, controls, fe, tuple(notes),
                   sample, data_vintage(elements))


def _drop_never_trading(data: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    total = data.groupby(UNIT)["y"].transform("sum")
    return data[total > 0], int(data.loc[total <= 0, UNIT].nunique())


def _terms(design: _Design, timing: Timing) -> tuple[pd.DataFrame, dict[str, str]]:
    data, names = design.data.copy(), {}
    for i, t in enumerate(design.events):
        controlled = data["element"].isin(t.elements).to_numpy()
        start, stop = _t(first_post(t, "M", timing)), last_post(t, "M")
        on = (data[T] >= start) & ((data[T] <= _t(stop)) if stop is not None else True)
        data[f"ev{i}"] = (controlled & on).astype(float)
        names[f"ev{i}"] = f"{t.name}: controlled x in force"
        if stop is not None and (data[T] > _t(stop)).any():
            data[f"ev{i}_after"] = (controlled & (data[T] > _t(stop))).astype(float)
            names[f"ev{i}_after"] = f"{t.name}: controlled x after {t.end.date()}"
    return data, names


def element_did(
    elements: pd.DataFrame,
    events: str | Treatment | Sequence[str | Treatment] = DEFAULT_EVENTS,
    *,
    reporter: str = "CHN",
    flow: str = "export",
    outcome: Outcome = "log1p",
    measure: Measure = "net_weight_kg",
    by_partner: bool = False,
    cluster: str | None = "element",
    small_sample: SmallSample = "fixest",
    timing: Timing = "full",
    alpha: float = 0.05,
) -> ElementDiDResult:
    """Controlled against uncontrolled elements in China's exports, element and month effects.

    Parameters
    ----------
    elements : DataFrame
        The element panel (:func:`retrade.load_elements`).
    events : str, Treatment or sequence
        Curated event names or treatments (default: the April 2025 controls and the
        October 2025 extension, whose suspension adds an "after" term).
    outcome : {"log1p", "ppml"}
        ln(1 + y) by OLS, or y in levels by Poisson pseudo-maximum likelihood.
    measure : {"net_weight_kg", "value_usd", "value_cny", "element_kg"}
    by_partner : bool
        Units by partner as well (where the downloads break trade out by partner).
    cluster : str or None
        Cluster variable (default ``"element"``; ``"unit"`` or None for robust errors).
    timing : {"full", "partial"}
        Whether the month a control took effect is left out (``"full"``) or treated.

    Examples
    --------
    >>> from retrade.models.simulate import element_panel
    >>> res = element_did(element_panel(effect=-0.5, seed=1), "2025-04 controls")
    >>> bool(abs(res.tidy()["estimate"].iloc[0] + 0.5) < 0.2)
    True
    """
    design = _design(elements, events, reporter=reporter, flow=flow, outcome=outcome,
                     measure=measure, by_partner=by_partner, timing=timing)
    data, names = _terms(design, timing)
    fit, vc, kept = _fit(data, list(names), outcome, cluster, small_sample)
    coefs = _tidy(fit, kept, names, alpha)
    notes = _notes(design, vc)
    info = _info("Element difference-in-differences", " + ".join(names[k] for k in kept),
                 design, fit, vc, outcome, measure)
    return ElementDiDResult(info=info, coefficients=coefs, caveats=notes, fit=fit,
                            events=design.events, treated=design.treated,
                            controls=design.controls)


def element_event_study(
    elements: pd.DataFrame,
    event: str | Treatment = "2025-04 controls",
    *,
    reporter: str = "CHN",
    flow: str = "export",
    outcome: Outcome = "log1p",
    measure: Measure = "net_weight_kg",
    by_partner: bool = False,
    window: tuple[int, int] = (-12, 6),
    reference: int = -1,
    cluster: str | None = "element",
    small_sample: SmallSample = "fixest",
    timing: Timing = "full",
    alpha: float = 0.05,
) -> ElementEventStudyResult:
    """Month-by-month effects of one control on its elements, against uncontrolled elements.

    Event times outside ``window`` are binned into its end points (Schmidheiny and
    Siegloch 2023); months after a control ended are left out.

    Examples
    --------
    >>> from retrade.models.simulate import element_panel
    >>> es = element_event_study(element_panel(effect=-0.5, seed=1), window=(-6, 3))
    >>> es.event_table()["event_time"].tolist()
    [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3]
    """
    from retrade.models.design import exposure_dummies
    from retrade.models.did import _pretrend

    design = _design(elements, [event], reporter=reporter, flow=flow, outcome=outcome,
                     measure=measure, by_partner=by_partner, timing=timing)
    t = design.events[0]
    data = design.data
    stop = last_post(t, "M")
    if stop is not None:
        data = data[data[T] <= _t(stop)]
    mixed = straddling(t, "M", timing)
    rel = data[T] - _t(first_post(t, "M", timing))
    if mixed is not None:  # the left-out month of the event: the last clean month is -1
        rel = rel.where(rel >= 0, rel + 1)
    data = data.assign(**{REL: rel, "exposure": data["element"].isin(t.elements).astype(float)})
    data, columns = exposure_dummies(data, window, reference)
    names = {c: f"event_time[{k}]" for c, k in columns.items()}
    fit, vc, kept = _fit(data, list(columns), outcome, cluster, small_sample)
    coefs = _tidy(fit, kept, names, alpha)
    test = _pretrend(fit, [c for c in kept if columns[c] < 0])
    notes = list(_notes(design, vc))
    if test is not None and test.rejects(alpha):
        notes.append(f"PRE-TRENDS: the leads are jointly significant ({test.describe()})")
    info = _info(f"Element event study: {t.name}", f"y ~ i(rel, controlled, ref={reference})",
                 design, fit, vc, outcome, measure)
    return ElementEventStudyResult(info=info, coefficients=coefs, caveats=tuple(notes), fit=fit,
                                   treatment=t, pretrend=test, reference=reference,
                                   event_times=tuple(columns[c] for c in kept))


def _fit(data: pd.DataFrame, terms: list[str], outcome: str, cluster, small_sample):
    from retrade.errors import require

    pf = require("pyfixest", "models")
    varying = [c for c in terms if data[c].std() > 0]
    if not varying:
        raise SpecificationError("no treatment term varies in the sample")
    vc = vcov_choice(data, cluster, small_sample)
    estimator = pf.feols if outcome == "log1p" else pf.fepois
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*singleton.*")
        fit = estimator(f"y ~ {' + '.join(varying)} | {UNIT} + {T}", data=data, vcov=vc.vcov,
                        ssc=vc.ssc, demeaner=demeaner())
    kept = [c for c in varying if c in list(fit._coefnames)]
    return fit, vc, kept


def _tidy(fit, terms: list[str], names: dict[str, str], alpha: float) -> pd.DataFrame:
    ci = fit.confint(alpha=alpha)
    return tidy_frame([names[t] for t in terms], fit.coef()[terms], fit.se()[terms],
                      fit.tstat()[terms], fit.pvalue()[terms], ci.iloc[:, 0][terms],
                      ci.iloc[:, 1][terms])


def _notes(design: _Design, vc) -> tuple[str, ...]:
    notes = [*CAVEATS, *design.notes]
    if any(t.name == "2025-10 controls" for t in design.events):
        notes.append(OCTOBER_CAVEAT)
    present = set(design.data["element"])
    for t in design.events:
        hit = sorted(present & set(t.elements))
        if len(hit) < 2:
            notes.append(f"{t.name}: the estimate rests on {len(hit)} controlled element "
                         f"({', '.join(hit) or 'none'}); with one treated cluster, clustered "
                         "errors understate the uncertainty (MacKinnon and Webb 2017)")
    if vc.cluster == ("element",):
        g = design.data["element"].nunique()
        if g < FEW_CLUSTERS:
            notes.append(f"only {g} element clusters: clustered standard errors are "
                         "unreliable with so few (Cameron, Gelbach and Miller 2008); read the "
                         "intervals as rough")
    return tuple(notes)


def _info(model: str, spec: str, design: _Design, fit, vc, outcome: str,
          measure: str) -> ModelInfo:
    how = "OLS, ln(1 + y)" if outcome == "log1p" else "PPML"
    return ModelInfo(model=f"{model} ({how})", spec=f"y ~ {spec} | unit + month",
                     outcome=f"{measure} ({outcome})", n_obs=int(fit._N),
                     fixed_effects=design.fe_label, cluster=vc.cluster, vcov=vc.description,
                     data_vintage=design.vintage, sample=design.sample,
                     event=", ".join(t.name for t in design.events))
