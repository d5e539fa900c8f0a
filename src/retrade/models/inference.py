"""Standard errors, joint tests and collinearity checks shared by the panel models.

Clustered standard errors are CRV1 (Liang and Zeger 1986; two-way as in
Cameron, Gelbach and Miller 2011), computed by pyfixest. The small-sample
correction is always stated, because it moves standard errors by several
percent in panels of a few dozen partners:

``"fixest"`` (default)
    V x G/(G-1) x (N-1)/(N-K), with K the regressors plus the fixed effects that
    are *not* nested in the cluster variable (fixest's and pyfixest's default;
    reghdfe does the same). Two-way clustering applies min(G)/(min(G)-1) to
    every component.
``"dummies"``
    The same factors with K counting every fixed-effect level as a regressor,
    and G_i/(G_i-1) applied to each two-way component separately: what OLS with
    dummy variables gives in statsmodels (``cov_type="cluster"``) or Stata's
    ``regress ..., vce(cluster)``.
``"none"``
    No correction (CRV0).

Inference uses a t distribution with G-1 degrees of freedom (min G for two-way)
when clustered, as fixest does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.results import tidy_frame

SmallSample = choices.SmallSample
SMALL_SAMPLES: tuple[str, ...] = choices.values(SmallSample)


@dataclass(frozen=True)
class VcovChoice:
    """What pyfixest is asked for, and the sentence that states it."""

    vcov: str | dict[str, str]
    ssc: dict
    cluster: tuple[str, ...]
    description: str


def vcov_choice(data: pd.DataFrame, cluster: str | Sequence[str] | None,
                small_sample: SmallSample = "fixest") -> VcovChoice:
    """Validate the cluster variables on the estimation sample and build pyfixest's arguments."""
    pf = _pyfixest()
    check_choice("small_sample", small_sample, SMALL_SAMPLES)
    names = () if cluster is None else ((cluster,) if isinstance(cluster, str) else tuple(cluster))
    if len(names) > 2:
        raise SpecificationError(f"at most two-way clustering is supported, got {names}")
    sizes = {}
    for name in names:
        if name not in data.columns:
            raise SpecificationError(f"cluster variable {name!r} is not a column of the model data")
        sizes[name] = int(data[name].nunique())
        if sizes[name] < 2:
            raise SpecificationError(
                f"cluster variable {name!r} has one level in the estimation sample; "
                "clustered standard errors need at least two clusters")
    ssc = {
        "fixest": pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min"),
        "dummies": pf.ssc(k_adj=True, k_fixef="full", G_adj=True, G_df="conventional"),
        "none": pf.ssc(k_adj=False, G_adj=False),
    }[small_sample]
    vcov = {"CRV1": "+".join(names)} if names else "hetero"
    return VcovChoice(vcov=vcov, ssc=ssc, cluster=names,
                      description=_describe(names, sizes, small_sample))


def _describe(names: tuple[str, ...], sizes: dict[str, int], small_sample: str) -> str:
    if not names:
        if small_sample == "none":
            return "heteroskedasticity-robust (HC0) standard errors"
        return "heteroskedasticity-robust (HC1) standard errors, (N-1)/(N-K)"
    clusters = " and ".join(f"{n} (G={sizes[n]})" for n in names)
    correction = {
        "fixest": "G/(G-1) x (N-1)/(N-K), K without fixed effects nested in clusters"
        + ("; two-way components scaled by min(G)/(min(G)-1)" if len(names) == 2 else ""),
        "dummies": "G/(G-1) x (N-1)/(N-K), K counting every fixed-effect level"
        + ("; each two-way component scaled by its own G/(G-1)" if len(names) == 2 else ""),
        "none": "no small-sample correction (CRV0)",
    }[small_sample]
    return f"CRV1 clustered by {clusters}; {correction}; t(G-1) inference"


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are zero."""

    terms: tuple[str, ...]
    statistic: float
    df_num: int
    df_den: float
    p_value: float
    distribution: str

    def rejects(self, alpha: float = 0.05) -> bool:
        """True if the test rejects at level ``alpha``."""
        return bool(self.p_value < alpha)

    def describe(self) -> str:
        """One line for summaries."""
        den = "inf" if np.isinf(self.df_den) else f"{self.df_den:g}"
        return (f"joint test of {self.df_num} coefficient(s) = 0: "
                f"{self.distribution}({self.df_num}, {den}) = {self.statistic:.3f}, "
                f"p = {self.p_value:.4f}")


def wald_test(coef: pd.Series, vcov: pd.DataFrame, terms: Sequence[str], df_den: float) -> WaldTest:
    """F test (chi-squared / m when ``df_den`` is infinite) of ``coef[terms] = 0``.

    Examples
    --------
    >>> b = pd.Series({"a": 1.0, "b": 0.0})
    >>> V = pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"])
    >>> round(wald_test(b, V, ["a", "b"], np.inf).statistic, 6)
    0.5
    """
    terms = list(terms)
    if not terms:
        raise SpecificationError("a joint test needs at least one coefficient")
    return joint_test(coef.loc[terms].to_numpy(float), vcov.loc[terms, terms].to_numpy(float),
                      terms, df_den)


def joint_test(b: np.ndarray, v: np.ndarray, terms: Sequence[str], df_den: float) -> WaldTest:
    """:func:`wald_test` on the coefficients ``b`` of ``terms`` and their covariance ``v``
    as arrays (the survival functions scipy's ``f.sf`` and ``chi2.sf`` evaluate, called
    without their argument checks)."""
    from scipy import special

    m = len(terms)
    f_stat = float(b @ np.linalg.pinv(v) @ b) / m
    if np.isinf(df_den):
        p = float(special.chdtrc(m, f_stat * m))
    else:
        p = float(special.fdtrc(m, df_den, f_stat))
    return WaldTest(tuple(terms), f_stat, m, float(df_den), p, "F")


def collinear_with_fixed_effects(data: pd.DataFrame, terms: Sequence[str], fe: str,
                                 *, tol: float = 1e-10) -> list[str]:
    """Terms that the fixed effects ``fe`` (pyfixest syntax) absorb entirely.

    Each term is demeaned by the fixed effects (what a regression of the term
    on the fixed effects alone leaves as residual); a residual sum of squares
    below ``tol`` times its total sum of squares means no variation is left to
    identify its coefficient. All terms go through pyfixest's alternating
    projections at once, at the tolerance its regressions here use.

    Examples
    --------
    >>> d = pd.DataFrame({"g": list("aabb"), "x": [1.0, 1.0, 2.0, 2.0], "z": [1.0, 2.0, 0.0, 3.0]})
    >>> collinear_with_fixed_effects(d, ["x", "z"], "g")
    ['x']
    """
    from pyfixest.estimation import demean

    _pyfixest()
    terms = list(terms)
    x = data[terms].to_numpy(dtype=float)
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    varying = np.flatnonzero(total != 0.0)
    left = np.zeros_like(total)
    if len(varying):
        codes = [pd.factorize(data[name.strip()])[0] for name in fe.split("+")]
        resid, _ = demean(x=np.ascontiguousarray(x[:, varying]),
                          flist=np.column_stack(codes).astype(np.uintp),
                          weights=np.ones(len(data)), tol=FIXEF_TOL, maxiter=10_000)
        left[varying] = (np.asarray(resid) ** 2).sum(axis=0)
    return [t for t, tot, ss in zip(terms, total, left, strict=True)
            if tot == 0.0 or ss < tol * tot]


FIXEF_TOL = 1e-10


def fit_coefficients(fit, terms: Sequence[str], names: Sequence[str],
                     alpha: float) -> pd.DataFrame:
    """The tidy rows (:func:`retrade.results.tidy_frame`) of ``terms`` in a pyfixest fit,
    labelled ``names``, with ``1 - alpha`` intervals.

    The columns ``fit.tidy(alpha)`` puts in a frame, read from the arrays its one
    inference pass fills (``coef()``, ``se()``, ``tstat()``, ``pvalue()`` and
    ``confint()`` would each run that pass again; the interval is ``estimate -/+
    critical value x std_error`` in both). The fit is left as its own accessors
    leave it (its stored inference at the 95% level).
    """
    fit.get_inference(alpha=alpha)
    position = {name: i for i, name in enumerate(fit._coefnames)}
    rows = [position[t] for t in terms]
    columns = [np.asarray(a, dtype=float)[rows] for a in (
        fit._beta_hat, fit._se, fit._tstat, fit._pvalue, fit._conf_int[0], fit._conf_int[1])]
    if alpha != 0.05:
        fit.get_inference()  # back to the default level, as after coef() or se()
    return tidy_frame(list(names), *columns)


def demeaner():
    """pyfixest's alternating-projections demeaner at a tolerance of 1e-10.

    pyfixest's default (1e-6) leaves about 1e-6 relative error in coefficients
    and more in recovered fixed effects; the panels here are small enough to
    afford the tighter tolerance, and counterfactual predictions need it.
    """
    from pyfixest.demeaners import MapDemeaner

    _pyfixest()
    return MapDemeaner(fixef_tol=FIXEF_TOL)


def _pyfixest():
    from retrade.errors import require

    return require("pyfixest", "models")
