"""Structural gravity with a restriction term: PPML with exporter-time, importer-time, pair effects.

    X_ijt = exp(pi_it + chi_jt + mu_ij + b * R_ijt) * e_ijt

estimated by Poisson pseudo-maximum likelihood (Santos Silva and Tenreyro
2006) with the fixed effects of structural gravity (Anderson and van Wincoop
2003; Yotov, Piermartini, Monteiro and Larch 2016, the WTO/UNCTAD Advanced
Guide). Exporter-time effects absorb everything that varies only by exporter
and year, so a "China x post" dummy is not identified; R must vary within them:

* bilateral variation: China's exports *to the partners a measure names*
  (``targets``, e.g. Japan in 2010) after the event, against China's exports
  elsewhere and other exporters' exports to the same partners;
* product variation (``by_hs6=True``): China's exports of the lines the
  measure covers against its other lines, with pair x product and
  product x year effects.

A term the fixed effects absorb raises :class:`~retrade.errors.CollinearityWarning`
and is dropped. The counterfactual is an imputation (Borusyak, Jaravel and
Spiess 2024, in its Poisson form): a fixed-effects-only PPML on the untreated
flows predicts the treated flows, and the ratio of actual to predicted trade is
the effect. Those predictions go through :func:`retrade.models.poisson.poisson_predict`
because pyfixest's own have been wrong for fixed-effects-only Poisson models.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import CollinearityWarning, SpecificationError, check_choice, require
from retrade.models.design import check_reuse, keyword_defaults, required_event
from retrade.models.events import Timing, Treatment, check_coverage, first_post, treatment
from retrade.models.inference import (
    SmallSample,
    collinear_with_fixed_effects,
    demeaner,
    fit_coefficients,
    vcov_choice,
)
from retrade.models.poisson import poisson_predict
from retrade.models.results import EstimationResult, ModelInfo, data_vintage
from retrade.panel import schema as S
from retrade.panel.balance import balanced_panel

TERM = "restriction"
EXPORTER, IMPORTER, PAIR = "exporter", "importer", "pair"


@dataclass(frozen=True, kw_only=True)
class GravityResult(EstimationResult):
    """PPML gravity estimate of a restriction term, with the imputation counterfactual.

    The counterfactual (a second PPML, on the untreated flows) is estimated
    when it is first asked for (``counterfactual``, ``effect()``, the summary,
    the plot) and kept.
    """

    treatment: Treatment
    fixed_effect_columns: tuple[str, ...]
    flows: pd.DataFrame = field(repr=False, compare=False)

    @functools.cached_property
    def counterfactual(self) -> pd.DataFrame:
        """Actual and counterfactual treated trade by year (``year, actual, counterfactual,
        flows, effect, flows_without_prediction``)."""
        return _imputation(require("pyfixest", "models"), self.flows, self.fixed_effect_columns)

    def effect(self) -> float:
        """Imputation effect over all treated flows: actual / counterfactual - 1."""
        cf = self.counterfactual
        return float(cf["actual"].sum() / cf["counterfactual"].sum() - 1)

    def _extra_meta(self):
        row = self.tidy().iloc[0]
        implied = f"{np.expm1(row['estimate']):+.1%} [{np.expm1(row['conf_low']):+.1%}, " \
                  f"{np.expm1(row['conf_high']):+.1%}]"
        return (("exp(b) - 1", implied),
                ("imputation effect", f"{self.effect():+.1%} over {len(self.counterfactual)} "
                                      "treated years (fixed-effects-only PPML on untreated flows)"))

    def plot(self, ax=None):
        """Actual against counterfactual treated trade by year; returns the Axes."""
        from retrade.models.plots import _axes

        ax = _axes(ax)
        cf = self.counterfactual
        ax.plot(cf[S.YEAR], cf["actual"], "o-", color="black", label="actual")
        ax.plot(cf[S.YEAR], cf["counterfactual"], "o--", color="C1",
                label="counterfactual (untreated-flow PPML)")
        ax.set_title(f"{self.info.model}: {self.treatment.name}")
        ax.legend(loc="best", fontsize="small")
        return ax


def gravity(
    panel: pd.DataFrame | GravityDesign,
    event: str | Treatment | None = None,
    *,
    hs6: str | Sequence[str] | None = None,
    flow: str = "export",
    restricting: str = "CHN",
    targets: Sequence[str] | None = None,
    by_hs6: bool = False,
    cluster: str | Sequence[str] | None = PAIR,
    small_sample: SmallSample = "fixest",
    timing: Timing = "full",
    drop_years: Sequence[int] = (),
    alpha: float = 0.05,
) -> GravityResult:
    """PPML structural gravity with a restriction term from bilateral or product variation.

    Parameters
    ----------
    panel : DataFrame or GravityDesign
        Panel rows with several reporters (:mod:`retrade.panel.schema`), annual.
        Or the flows prepared once by :func:`gravity_design` (the same result as
        from the panel with the options it was built with, without preparing
        the data again, e.g. to re-estimate with another ``cluster``).
    event : str or Treatment
        The measure; its date defines post, its HS lines the treated products.
        Required with panel rows, optional with a design.
    hs6 : str or sequence of str, optional
        Lines to use (default: the event's lines present in the panel).
    flow : {"export", "import"}
        Which reports to read: exporters' exports or importers' imports.
    restricting : str
        The country imposing the measure (exporter side), default ``"CHN"``.
    targets : sequence of str, optional
        Importers the measure hits; default those it names, else every importer.
    by_hs6 : bool
        Keep lines apart and identify from product variation (treated lines are
        the event's ``hs6``); fixed effects become exporter-year, importer-year,
        pair x product and product x year.
    cluster : str, pair of str or None
        Default ``"pair"`` (exporter x importer).
    small_sample, timing, drop_years, alpha
        As in :func:`retrade.models.exposure_did`.

    Returns
    -------
    GravityResult

    Examples
    --------
    >>> from retrade.models.simulate import gravity_panel
    >>> from retrade.models.events import define_treatment
    >>> event = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
    >>> res = gravity(gravity_panel(effect=-0.5, seed=2), event)
    >>> bool(abs(res.tidy()["estimate"].iloc[0] + 0.5) < 0.2)
    True
    """
    pf = require("pyfixest", "models")
    design = _design_of(panel, event, hs6=hs6, flow=flow, restricting=restricting,
                        targets=targets, by_hs6=by_hs6, timing=timing, drop_years=drop_years)
    data, fe = design.data, design.fixed_effects
    _check_term(data, fe, design.restricting, design.targets, design.by_hs6)
    vc = vcov_choice(data, cluster, small_sample)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*singleton.*")
        # model_frame is a new frame for this fit alone: pyfixest need not copy it
        fit = pf.fepois(f"y ~ {TERM} | {' + '.join(fe)}", data=model_frame(data, fe, vc),
                        vcov=vc.vcov, ssc=vc.ssc, demeaner=demeaner(), copy_data=False)
    coefs = fit_coefficients(fit, [TERM], [TERM], alpha)
    info = _info(design, fit, vc)
    return GravityResult(info=info, coefficients=coefs,
                         caveats=_caveats(design.treatment, data, fit, design.targets),
                         fit=fit, treatment=design.treatment, fixed_effect_columns=fe,
                         flows=data[[S.YEAR, "y", TERM, *fe]])


@dataclass(frozen=True)
class GravityDesign:
    """The flows of one gravity estimation: outcome, restriction term, fixed-effect keys.

    Made by :func:`gravity_design`; :func:`gravity` takes it in place of the panel.
    ``data`` holds ``y``, the restriction term, the fixed-effect columns
    (``fixed_effects``), exporter, importer, year and line.
    """

    data: pd.DataFrame
    fixed_effects: tuple[str, ...]
    treatment: Treatment
    first_post: int
    restricting: str
    targets: tuple[str, ...]
    by_hs6: bool
    vintage: str
    sample: str
    # the options it was built with (gravity_design's keywords), checked when it is reused
    options: dict = field(default_factory=dict, repr=False, compare=False)


def gravity_design(
    panel: pd.DataFrame,
    event: str | Treatment,
    *,
    hs6: str | Sequence[str] | None = None,
    flow: str = "export",
    restricting: str = "CHN",
    targets: Sequence[str] | None = None,
    by_hs6: bool = False,
    timing: Timing = "full",
    drop_years: Sequence[int] = (),
) -> GravityDesign:
    """The flows of a gravity estimation, prepared once for several estimations.

    Balanced bilateral flows, the restriction term and the fixed-effect keys:
    what :func:`gravity` prepares from panel rows before it estimates.
    :func:`gravity` takes the design in place of the panel (with its estimation
    options ``cluster``, ``small_sample``, ``alpha``) and gives what it gives
    from the panel with the same options.

    Parameters
    ----------
    panel : DataFrame
        Panel rows with several reporters (:mod:`retrade.panel.schema`), annual.
    event, hs6, flow, restricting, targets, by_hs6, timing, drop_years
        As in :func:`gravity` (the same defaults).

    Returns
    -------
    GravityDesign

    Examples
    --------
    >>> from retrade.models.simulate import gravity_panel
    >>> from retrade.models.events import define_treatment
    >>> event = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
    >>> panel = gravity_panel(effect=-0.5, seed=2)
    >>> design = gravity_design(panel, event)
    >>> design.fixed_effects
    ('exp_year', 'imp_year', 'pair')
    >>> by_pair, by_exporter = gravity(design), gravity(design, cluster="exporter")
    >>> bool(by_pair.tidy().equals(gravity(panel, event).tidy()))
    True
    """
    t = treatment(event)
    data = _frame(panel, t, hs6=hs6, flow=flow, by_hs6=by_hs6, drop_years=drop_years)
    check_coverage(t, sorted(set(data[S.YEAR].unique())), "A", timing)
    start = first_post(t, "A", timing)
    hits = tuple(targets) if targets is not None else t.partners
    data[TERM] = _restriction(data, start, restricting, hits, t.hs6 if by_hs6 else None)
    fe = _fixed_effects(data, by_hs6)
    return GravityDesign(
        data=data, fixed_effects=fe, treatment=t, first_post=start, restricting=restricting,
        targets=hits, by_hs6=by_hs6,
        vintage=data_vintage(panel, panel[S.HS6].isin(data[S.HS6].unique())),
        sample=_sample(data, restricting, hits, by_hs6),
        options={"hs6": hs6, "flow": flow, "restricting": restricting, "targets": targets,
                 "by_hs6": by_hs6, "timing": timing, "drop_years": drop_years})


# gravity_design's options and their defaults (those of gravity)
_DEFAULTS = keyword_defaults(gravity_design)


def _design_of(panel, event, **options) -> GravityDesign:
    if not isinstance(panel, GravityDesign):
        return gravity_design(panel, required_event(event), **options)
    check_reuse(panel.treatment, panel.options, event, options, _DEFAULTS)
    return panel


def model_frame(data: pd.DataFrame, fe: Sequence[str], vc) -> pd.DataFrame:
    """The columns the PPML reads (outcome, term, fixed effects, clusters): what pyfixest gets."""
    return data[list(dict.fromkeys(["y", TERM, *fe, *vc.cluster]))]


def _frame(panel, t: Treatment, *, hs6, flow, by_hs6, drop_years) -> pd.DataFrame:
    check_choice("flow", flow, choices.GravityFlow)
    codes = hs6 if hs6 is not None else tuple(h for h in t.hs6 if h in set(panel[S.HS6].unique()))
    if not codes:
        raise SpecificationError(f"the panel has none of {t.name!r}'s lines {list(t.hs6)}")
    bal = balanced_panel(panel, hs6=codes, flow=flow, by_hs6=by_hs6, drop_years=drop_years)
    if bal[S.REPORTER].nunique() < 2:
        warnings.warn("one reporter only: exporter-time effects reduce to time effects and the "
                      "estimate is a bilateral difference-in-differences", stacklevel=3)
    mine, theirs = (S.REPORTER, S.PARTNER) if flow == "export" else (S.PARTNER, S.REPORTER)
    data = bal.rename(columns={mine: EXPORTER, theirs: IMPORTER})
    if not by_hs6:
        data[S.HS6] = "+".join(codes) if not isinstance(codes, str) else codes
    data["y"] = data[S.VALUE_USD].astype(float)
    return data


def _restriction(data, start: int, restricting: str, targets: tuple[str, ...],
                 lines: tuple[str, ...] | None) -> pd.Series:
    hit = (data[EXPORTER] == restricting) & (data[S.YEAR] >= start)
    if targets:
        hit &= data[IMPORTER].isin(targets)
    if lines is not None:
        hit &= data[S.HS6].isin(lines)
    if not hit.any():
        raise SpecificationError(
            f"the restriction term is zero everywhere: no {restricting} flows to "
            f"{targets or 'any'} after {start} in the data")
    return hit.astype(float)


def _fixed_effects(data: pd.DataFrame, by_hs6: bool) -> tuple[str, ...]:
    """Interacted fixed effects as columns of ``a|b`` labels (safe for prediction)."""
    read = [EXPORTER, IMPORTER, S.YEAR, *([S.HS6] if by_hs6 else [])]
    codes = {c: pd.factorize(data[c], use_na_sentinel=False)[0] for c in read}  # once each
    data["exp_year"] = interacted(data, EXPORTER, S.YEAR, codes=codes)
    data["imp_year"] = interacted(data, IMPORTER, S.YEAR, codes=codes)
    data[PAIR] = interacted(data, EXPORTER, IMPORTER, codes=codes)
    if not by_hs6:
        return ("exp_year", "imp_year", PAIR)
    data["pair_hs6"] = interacted(data, EXPORTER, IMPORTER, S.HS6, codes=codes)
    data["hs6_year"] = interacted(data, S.HS6, S.YEAR, codes=codes)
    return ("exp_year", "imp_year", "pair_hs6", "hs6_year")


def interacted(data: pd.DataFrame, *columns: str,
               codes: dict[str, np.ndarray] | None = None) -> pd.Categorical:
    """The columns' values joined as ``"a|b"`` text, as a categorical (categories sorted).

    The text is built once per distinct combination, not once per row. ``codes``
    may hold a column's ``pd.factorize(data[c], use_na_sentinel=False)[0]`` already
    computed, so that a column shared by several keys is factorized once.

    Examples
    --------
    >>> d = pd.DataFrame({"e": ["CHN", "USA", "CHN"], "y": [2016, 2016, 2016]})
    >>> interacted(d, "e", "y").tolist()
    ['CHN|2016', 'USA|2016', 'CHN|2016']
    """
    known = codes or {}
    codes = [known[c] if c in known else pd.factorize(data[c], use_na_sentinel=False)[0]
             for c in columns]
    dims = [int(c.max()) + 1 if len(c) else 1 for c in codes]
    row_combo, _ = pd.factorize(np.ravel_multi_index(codes, dims))  # hashed: numbered as met
    seen = np.maximum.accumulate(row_combo) if len(row_combo) else row_combo
    first = np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]]) if len(row_combo) else row_combo
    parts = data[list(columns)].iloc[first].astype(str)  # one row per combination
    text = parts[columns[0]].to_numpy(dtype=object)
    for column in columns[1:]:  # "a|b" joined column by column, not row by row
        text = text + "|" + parts[column].to_numpy(dtype=object)
    text = np.asarray(text, dtype=str)
    labels, label_of_combo = np.unique(text, return_inverse=True)
    return pd.Categorical.from_codes(label_of_combo[row_combo], categories=labels)


def _check_term(data, fe, restricting, targets, by_hs6) -> None:
    if not collinear_with_fixed_effects(data, [TERM], " + ".join(fe)):
        return
    message = (f"the restriction term ({restricting} x post"
               f"{' x ' + '/'.join(targets) if targets else ''}"
               f"{' x treated lines' if by_hs6 else ''}) is collinear with the fixed effects "
               f"{list(fe)} and cannot be identified; it varies only by exporter and year. "
               "Name target importers (targets=) or use product variation (by_hs6=True)")
    warnings.warn(message, CollinearityWarning, stacklevel=3)
    raise SpecificationError(message)


def _imputation(pf, data: pd.DataFrame, fe: tuple[str, ...]) -> pd.DataFrame:
    """Fixed-effects-only PPML on untreated flows, predicted for the treated flows."""
    untreated, treated = data[data[TERM] == 0], data[data[TERM] == 1]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*singleton.*")
        fit = pf.fepois(f"y ~ 1 | {' + '.join(fe)}", data=untreated, iwls_tol=1e-10,
                        demeaner=demeaner(), copy_data=False)  # untreated: a new frame
    predicted = poisson_predict(fit, fe, treated)
    rows = treated[[S.YEAR, "y"]].assign(counterfactual=predicted).dropna()
    out = rows.groupby(S.YEAR).agg(actual=("y", "sum"), counterfactual=("counterfactual", "sum"),
                                   flows=("y", "size")).reset_index()
    out["effect"] = out["actual"] / out["counterfactual"] - 1
    treated_flows = treated.groupby(S.YEAR).size().reindex(out[S.YEAR]).to_numpy()
    out["flows_without_prediction"] = treated_flows - out["flows"].to_numpy()
    return out


def _info(design: GravityDesign, fit, vc) -> ModelInfo:
    fe = design.fixed_effects
    return ModelInfo(
        model="Structural gravity (PPML)", spec=f"y ~ {TERM} | {' + '.join(fe)}",
        outcome="bilateral value (USD) in levels", n_obs=int(fit._N), fixed_effects=fe,
        cluster=vc.cluster, vcov=vc.description, data_vintage=design.vintage,
        sample=design.sample, event=f"{design.treatment.name} (first post year "
                                    f"{design.first_post})")


def _sample(data: pd.DataFrame, restricting: str, targets: tuple[str, ...],
            by_hs6: bool) -> str:
    variation = "product" if by_hs6 else ("bilateral" if targets else "none (exporter-time)")
    return (f"{data[EXPORTER].nunique()} exporters x {data[IMPORTER].nunique()} importers, "
            f"{data[S.YEAR].min()}-{data[S.YEAR].max()}; restriction = {restricting} x post"
            f"{' x ' + '/'.join(targets) if targets else ''}; identifying variation: {variation}")


def _caveats(t: Treatment, data: pd.DataFrame, fit, targets) -> tuple[str, ...]:
    notes = [t.caveat] if t.caveat else []
    lost = len(data) - int(fit._N)
    if lost:
        notes.append(f"{lost} flows dropped by PPML (pairs or exporter/importer-years with only "
                     "zeros carry no information)")
    if not targets:
        notes.append("no target importers: the term varies only through products")
    notes.append("partial (conditional) effect: multilateral resistance terms are held fixed, "
                 "no general-equilibrium adjustment")
    return tuple(notes)
