"""Exposure difference-in-differences and event studies on bilateral panels.

The design: one reporter's flows to many partners, partner and period fixed
effects, and a treatment that switches on for every partner at one date with an
intensity given by the partner's pre-event exposure,

    y_pt = a_p + d_t + b * post_t * exposure_p + e_pt          (difference-in-differences)
    y_pt = a_p + d_t + sum_k b_k * 1[t - T0 = k] * exposure_p + e_pt   (event study, k != -1)

With a single event date there is no staggered adoption, so two-way fixed
effects estimate the exposure-weighted effect without the negative-weight
problems of staggered designs (de Chaisemartin and D'Haultfoeuille 2020;
Goodman-Bacon 2021); identification rests on parallel trends across exposure,
which the event study's joint test of the leads probes (with the low power
Roth 2022 documents). Levels with zeros are estimated by PPML (Santos Silva and
Tenreyro 2006) with the same fixed effects. Estimation is pyfixest's ``feols``
and ``fepois`` (Bergé 2018's fixest algorithms).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade.errors import CollinearityWarning, PreTrendWarning, SpecificationError
from retrade.models.design import POST, Design, design_of, dummy_columns, partner_key
from retrade.models.events import Timing, Treatment
from retrade.models.exposure import EXPOSURE, Exposure, ExposureSpec
from retrade.models.inference import (
    SmallSample,
    WaldTest,
    collinear_with_fixed_effects,
    demeaner,
    fit_coefficients,
    joint_test,
    vcov_choice,
)
from retrade.models.outcomes import Measure, Outcome
from retrade.models.results import EstimationResult, ModelInfo
from retrade.panel import schema as S
from retrade.panel.balance import TIME, Frequency

TREAT = "treat"
DID_TERM = "post:exposure"
FE = f"{S.PARTNER} + {TIME}"


@dataclass(frozen=True, kw_only=True)
class DiDResult(EstimationResult):
    """Exposure difference-in-differences: one coefficient on post x exposure."""

    treatment: Treatment
    exposure: Exposure

    def _extra_meta(self):
        return (("exposure", self.exposure.describe()),)


@dataclass(frozen=True, kw_only=True)
class EventStudyResult(EstimationResult):
    """Event study: one coefficient per event time, with the joint pre-trend test."""

    treatment: Treatment
    exposure: Exposure
    pretrend: WaldTest | None
    reference: int
    event_times: tuple[int, ...]

    def _extra_meta(self):
        test = self.pretrend.describe() if self.pretrend else "not available (one pre period)"
        return (("exposure", self.exposure.describe()), ("pre-trend test", test))

    def event_table(self) -> pd.DataFrame:
        """``event_time, estimate, conf_low, conf_high, reference`` incl. the reference at 0."""
        table = self.tidy()
        table["event_time"] = list(self.event_times)
        table["reference"] = False
        ref = pd.DataFrame({"event_time": [self.reference], "estimate": [0.0], "conf_low": [0.0],
                            "conf_high": [0.0], "reference": [True]})
        out = pd.concat([table[ref.columns], ref], ignore_index=True)
        return out.sort_values("event_time").reset_index(drop=True)

    def plot(self, ax=None):
        """Event-study coefficients with confidence band; returns the matplotlib Axes."""
        from retrade.models.plots import event_plot

        title = f"{self.info.model}: {self.info.outcome}"
        return event_plot(self.event_table(), ax=ax, title=title)


def exposure_did(
    panel: pd.DataFrame | Design,
    event: str | Treatment | None = None,
    *,
    hs6: str | Sequence[str] | None = None,
    reporter: str = "CHN",
    flow: str = "export",
    frequency: Frequency = "A",
    outcome: Outcome = "log1p",
    measure: Measure = "value_usd",
    exposure: ExposureSpec | None = None,
    cluster: str | Sequence[str] | None = "partner",
    small_sample: SmallSample = "fixest",
    timing: Timing = "full",
    years: tuple[int, int] | None = None,
    drop_years: Sequence[int] = (),
    alpha: float = 0.05,
) -> DiDResult:
    """Difference-in-differences of ``outcome`` on post-event x exposure, partner and period FE.

    Parameters
    ----------
    panel : DataFrame or Design
        Panel rows (:mod:`retrade.panel.schema`); balanced internally with
        :func:`retrade.panel.balance.balanced_panel`. Or a design prepared once by
        :func:`~retrade.models.build_design` (the same result as from the panel
        with the options it was built with, without preparing the data again:
        for a DiD and an event study on the same data, or a re-estimation with
        other ``cluster``/``small_sample``/``alpha``).
    event : str or Treatment
        A curated event name (:func:`retrade.models.treatments`) or a treatment;
        required with panel rows, optional with a design (which carries its own).
    hs6 : str or sequence of str, optional
        HS lines (pooled); default the event's lines present in the panel.
    reporter, flow, frequency
        Which flows: e.g. China's (``"CHN"``) annual (``"A"``) exports.
    outcome : {"log1p", "log", "ppml", "unit_value", "share"}
        See :mod:`retrade.models.outcomes`.
    measure : {"value_usd", "net_weight_kg"}
        The flow measure the outcome is built from.
    exposure : ExposureSpec, optional
        :func:`~retrade.models.top_k` (default ``top_k(10)`` over all pre-event
        years), :func:`~retrade.models.baseline_share` or
        :func:`~retrade.models.named` (default when the measure names partners).
    cluster : str, pair of str or None
        ``"partner"`` (default), ``"t"`` (period), ``("partner", "t")`` for
        two-way clustering, or None for heteroskedasticity-robust errors.
    small_sample : {"fixest", "dummies", "none"}
        Small-sample correction, see :mod:`retrade.models.inference`.
    timing : {"full", "partial"}
        Which period is the first post-event one (:mod:`retrade.models.events`).
    years : (int, int), optional
        Keep only these years.
    drop_years : sequence of int
        Years to leave out, e.g. ``(2016,)`` for China's broken WITS quantities.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    DiDResult

    Examples
    --------
    >>> from retrade.models.simulate import exposure_panel
    >>> from retrade.models.exposure import top_k
    >>> panel = exposure_panel(n_partners=30, years=range(2010, 2020), event_year=2015,
    ...                        effect=-0.5, seed=1)
    >>> res = exposure_did(panel, "2015 quota removal", hs6="284690", exposure=top_k(8))
    >>> bool(abs(res.tidy()["estimate"].iloc[0] + 0.5) < 0.25)
    True

    The data prepared once, for this model and others:

    >>> from retrade.models import build_design
    >>> design = build_design(panel, "2015 quota removal", hs6="284690", exposure=top_k(8))
    >>> bool(exposure_did(design).tidy().equals(res.tidy()))
    True
    """
    design = design_of(panel, event, hs6=hs6, reporter=reporter, flow=flow,
                       frequency=frequency, outcome=outcome, measure=measure,
                       exposure=exposure, timing=timing, years=years, drop_years=drop_years)
    treat = design.data[POST] * design.data[EXPOSURE]
    fit, vc, terms = _fit(design.data, [TREAT], design, cluster, small_sample, {TREAT: treat})
    coefs = fit_coefficients(fit, terms, [DID_TERM], alpha)
    info = _info("Exposure difference-in-differences", f"y ~ post:exposure | {FE}", design, fit, vc)
    caveats = design.caveats + tuple(_variance_notes(coefs, vc))
    return DiDResult(info=info, coefficients=coefs, caveats=caveats, fit=fit,
                     treatment=design.treatment, exposure=design.exposure)


def event_study(
    panel: pd.DataFrame | Design,
    event: str | Treatment | None = None,
    *,
    hs6: str | Sequence[str] | None = None,
    reporter: str = "CHN",
    flow: str = "export",
    frequency: Frequency = "A",
    outcome: Outcome = "log1p",
    measure: Measure = "value_usd",
    exposure: ExposureSpec | None = None,
    cluster: str | Sequence[str] | None = "partner",
    small_sample: SmallSample = "fixest",
    timing: Timing = "full",
    window: tuple[int, int] | None = None,
    reference: int = -1,
    years: tuple[int, int] | None = None,
    drop_years: Sequence[int] = (),
    alpha: float = 0.05,
) -> EventStudyResult:
    """Dynamic exposure design: leads and lags of the event times exposure, with a pre-trend test.

    Parameters are those of :func:`exposure_did`, plus

    window : (int, int), optional
        First lead and last lag, e.g. ``(-4, 5)``; event times beyond are binned
        into the end points (Schmidheiny and Siegloch 2023). Default: every
        event time in the data, no binning.
    reference : int
        The omitted event time (default -1, the last pre-event period).

    ``panel`` may be a design from :func:`~retrade.models.build_design`, as in
    :func:`exposure_did`.

    The pre-trend test is the joint F test that all lead coefficients (event
    times before 0 other than the reference) are zero, with the clustered
    covariance and G-1 denominator degrees of freedom. A rejection at ``alpha``
    emits :class:`~retrade.errors.PreTrendWarning` and a caveat.

    Examples
    --------
    >>> from retrade.models.simulate import exposure_panel
    >>> from retrade.models.exposure import top_k
    >>> panel = exposure_panel(n_partners=30, years=range(2010, 2020), event_year=2015,
    ...                        effect=-0.5, seed=1)
    >>> es = event_study(panel, "2015 quota removal", hs6="284690", exposure=top_k(8))
    >>> es.event_table()["event_time"].tolist()
    [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]
    >>> from retrade.models import build_design
    >>> design = build_design(panel, "2015 quota removal", hs6="284690", exposure=top_k(8))
    >>> bool(event_study(design).event_table().equals(es.event_table()))
    True
    """
    design = design_of(panel, event, hs6=hs6, reporter=reporter, flow=flow,
                       frequency=frequency, outcome=outcome, measure=measure,
                       exposure=exposure, timing=timing, years=years, drop_years=drop_years)
    values, columns = dummy_columns(design.data, window, reference)
    names = {column: f"event_time[{k}]" for column, k in columns.items()}
    fit, vc, terms = _fit(design.data, list(columns), design, cluster, small_sample,
                          values)
    coefs = fit_coefficients(fit, terms, [names[t] for t in terms], alpha)
    test = _pretrend(fit, [c for c in terms if columns[c] < 0])
    caveats = list(design.caveats) + _variance_notes(coefs, vc) + _pretrend_notes(test, alpha)
    if window is not None:
        caveats.append(f"event times outside {window} are binned into the end points")
    info = _info("Exposure event study", f"y ~ i(rel, exposure, ref={reference}) | {FE}",
                 design, fit, vc)
    return EventStudyResult(info=info, coefficients=coefs, caveats=tuple(caveats), fit=fit,
                            treatment=design.treatment, exposure=design.exposure, pretrend=test,
                            reference=reference, event_times=tuple(columns[c] for c in terms))


def _fit(data: pd.DataFrame, terms: list[str], design: Design, cluster, small_sample,
         extra: dict[str, pd.Series | np.ndarray] | None = None):
    """Drop terms the fixed effects absorb (with a warning), then estimate with pyfixest.

    pyfixest gets only the columns the model reads (from ``data``, or ``extra``, columns
    not added to ``data`` so that it is not copied). The fit with every term
    comes first; when it keeps every term on every row, its own demeaned
    regressors show whether the fixed effects absorb one (no second pass over
    the data); otherwise the terms are checked apart and the model refitted
    without the absorbed ones, as :func:`_checked_fit` always did.
    """
    known = design.partner_key if data is design.data else None
    frame = model_frame(data, terms, cluster, extra, known)
    try:
        vc = vcov_choice(frame, cluster, small_sample)
    except SpecificationError:
        _kept_terms(frame, terms)  # the terms were checked first: their error comes first
        raise
    estimator = _estimator(design)
    if design.outcome.estimator != "feols":  # Poisson's demeaning is weighted: check apart
        return _checked_fit(frame, terms, estimator, vc)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = estimator(frame, terms, vc)
    except Exception:  # noqa: BLE001 - the checked path below raises what applies
        fit = None
    if fit is None or not _clearly_identified(fit, frame, terms, extra):
        return _checked_fit(frame, terms, estimator, vc)
    for w in caught:  # what the fit said, as the checked path's identical fit says it
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return fit, vc, terms


def model_frame(data: pd.DataFrame, terms: list[str], cluster,
                extra: dict[str, pd.Series | np.ndarray] | None = None,
                partner: pd.Series | None = None) -> pd.DataFrame:
    """What pyfixest gets: outcome, terms, fixed effects and clusters (from ``data`` or
    ``extra``), text keys as categoricals (the partner's given as ``partner``, e.g. a
    design's :attr:`~retrade.models.design.Design.partner_key`, when known)."""
    extra = extra or {}
    names = (cluster,) if isinstance(cluster, str) else tuple(cluster or ())
    frame = {c: extra[c] if c in extra else data[c]
             for c in dict.fromkeys(["y", *terms, *FE.split(" + "), *names])
             if c in extra or c in data}
    return pd.DataFrame({c: partner if c == S.PARTNER and c not in terms and c not in extra
                         and partner is not None else _as_key(c, values, terms)
                         for c, values in frame.items()})


def _from_codes(values: pd.Series, partner_codes: tuple[np.ndarray, np.ndarray]) -> pd.Series:
    """:func:`_as_key` of the partner column from its known codes (the same categories, in
    order of appearance), without hashing the text again."""
    key = partner_key(values, partner_codes)
    return _as_key(S.PARTNER, values, []) if key is None else key


def _as_key(name: str, values: pd.Series, terms: list[str]) -> pd.Series:
    """A text fixed-effect or cluster column as a categorical of its distinct values (in
    order of appearance): the same groups, which pyfixest reads as codes rather than
    hashing a million strings again."""
    if name == "y" or name in terms or values.dtype != object:
        return values
    code, distinct = pd.factorize(values)
    return pd.Series(pd.Categorical.from_codes(code, categories=distinct), index=values.index,
                     name=name)


def _estimator(design: Design):
    """``estimator(frame, terms, vc)``: pyfixest's feols or fepois with the design's options."""
    from retrade.errors import require

    pf = require("pyfixest", "models")
    method = pf.feols if design.outcome.estimator == "feols" else pf.fepois

    def estimate(frame: pd.DataFrame, terms: list[str], vc):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*singleton.*")
            warnings.filterwarnings("ignore", message="invalid value encountered in sqrt")
            # the frame is built for this fit alone (model_frame): pyfixest need not copy it
            return method(f"y ~ {' + '.join(terms)} | {FE}", data=frame, vcov=vc.vcov,
                          ssc=vc.ssc, demeaner=demeaner(), copy_data=False)
    return estimate


def _clearly_identified(fit, frame: pd.DataFrame, terms: list[str],
                        values: dict[str, pd.Series | np.ndarray] | None = None) -> bool:
    """True if the OLS fit kept every term and row and each term keeps at least 1e-6 of its
    variation after the fixed effects (far from the 1e-10 at which a term is absorbed).

    What is left of each term is the diagonal of the demeaned regressors' cross
    product, which the fit has already formed (``X'X``). A term's values are read from
    ``values`` when there (the arrays ``frame`` was built from), else from ``frame``.
    """
    if list(fit._coefnames) != terms or int(fit._N) != len(frame):
        return False
    values = values or {}
    total = np.array([_sum_of_squares(np.asarray(values[t] if t in values else frame[t],
                                                 dtype=float)) for t in terms])
    cross = getattr(fit, "_tZX", None)
    k = len(terms)
    if isinstance(cross, np.ndarray) and cross.shape == (k, k):
        left = np.diag(cross)
    else:
        x = np.asarray(fit._X, dtype=float)
        left = np.einsum("ij,ij->j", x, x)
    return bool(np.all(total > 0) and np.all(left >= 1e-6 * total))


def _sum_of_squares(values: np.ndarray) -> float:
    """Sum of squared deviations from the mean."""
    centred = values - values.mean()
    return float(centred @ centred)


def _checked_fit(data: pd.DataFrame, terms: list[str], estimator, vc):
    """Check every term against the fixed effects first, then fit without the absorbed ones."""
    kept = _kept_terms(data, terms)
    fit = estimator(data, kept, vc)
    dropped = [t for t in kept if t not in list(fit._coefnames)]
    if dropped:
        warnings.warn(f"{dropped} dropped by pyfixest as collinear", CollinearityWarning,
                      stacklevel=4)
    return fit, vc, [t for t in kept if t not in dropped]


def _kept_terms(data: pd.DataFrame, terms: list[str]) -> list[str]:
    """The terms the fixed effects do not absorb (a warning names the others; an error if
    none is left)."""
    absorbed = collinear_with_fixed_effects(data, terms, FE)
    if absorbed:
        warnings.warn(f"{absorbed} collinear with the fixed effects ({FE}); dropped",
                      CollinearityWarning, stacklevel=5)
    kept = [t for t in terms if t not in absorbed]
    if not kept:
        raise SpecificationError(
            f"every treatment term is collinear with the fixed effects ({FE}): the exposure "
            "does not vary within the sample, or the event leaves no pre- or post-period")
    return kept


def _variance_notes(coefs: pd.DataFrame, vc) -> list[str]:
    """A caveat when the (two-way) clustered variance is not positive for some terms."""
    bad = coefs["term"].to_numpy()[~np.isfinite(coefs["std_error"].to_numpy())].tolist()
    if not bad:
        return []
    message = (f"standard errors undefined for {bad}: the clustered variance "
               f"({' + '.join(vc.cluster)}) is not positive for them, typically because a term "
               "varies within a single period cluster; cluster by partner only")
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    return [message]


def _info(model: str, spec: str, design: Design, fit, vc) -> ModelInfo:
    how = "OLS" if design.outcome.estimator == "feols" else "PPML"
    return ModelInfo(
        model=f"{model} ({how})", spec=spec, outcome=design.outcome.label, n_obs=int(fit._N),
        fixed_effects=(S.PARTNER, "period"), cluster=vc.cluster, vcov=vc.description,
        data_vintage=design.vintage, sample=design.sample,
        event=f"{design.treatment.name} (first post period {design.first_post})")


def _pretrend(fit, leads: list[str]) -> WaldTest | None:
    """Joint F test of the leads; None without leads or when their variance is undefined."""
    if not leads:
        return None
    position = {name: i for i, name in enumerate(fit._coefnames)}
    rows = [position[t] for t in leads]
    vcov = np.asarray(fit._vcov, dtype=float)[np.ix_(rows, rows)]
    if not (np.diag(vcov) > 0).all():
        return None
    df_den = float(np.min(fit._G)) - 1 if fit._is_clustered else float(fit._N - fit._k)
    return joint_test(np.asarray(fit._beta_hat, dtype=float)[rows], vcov, leads, df_den)


def _pretrend_notes(test: WaldTest | None, alpha: float) -> list[str]:
    if test is None:
        return ["no pre-trend test: only one pre-event period, or the leads' clustered variance "
                "is undefined"]
    if test.rejects(alpha):
        warnings.warn(f"pre-trends: {test.describe()}", PreTrendWarning, stacklevel=3)
        return [f"PRE-TRENDS: the leads are jointly significant ({test.describe()}); parallel "
                "trends across exposure are doubtful"]
    return [f"pre-trend test does not reject ({test.describe()}); with few pre-periods it has "
            "low power (Roth 2022)"]
