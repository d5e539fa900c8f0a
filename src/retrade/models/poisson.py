"""Counterfactual predictions from Poisson fixed-effects fits, safe when only fixed effects remain.

pyfixest's ``Fepois.predict(newdata)`` has returned wrong values for models
with only fixed effects: the fixed effects were recovered on the response scale
and exponentiated again (py-econometrics/pyfixest#1538; 0.60 still does this).
In-sample fitted values are right, so this module recovers the fixed effects
on the link scale from them: ln(mu_hat) - X b is exactly additive in the fixed
effects, an OLS of it on the same fixed effects fits with zero residual, and
that OLS's ``predict(newdata)`` gives the link-scale fixed-effect part for new
rows (NaN for levels never seen). Adding X_new b and exponentiating gives the
prediction. The tests check it against statsmodels GLM Poisson with dummies.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade.errors import require
from retrade.models.inference import demeaner


def poisson_predict(fit, fe: Sequence[str], newdata: pd.DataFrame) -> np.ndarray:
    """Response-scale predictions of a pyfixest ``fepois`` fit for ``newdata``.

    Parameters
    ----------
    fit
        A fitted ``pyfixest.fepois`` model whose fixed effects are the plain
        columns ``fe`` (build interactions as columns; no ``^`` syntax).
    fe : sequence of str
        The fixed-effect columns, as in the model formula.
    newdata : DataFrame
        Rows to predict; must hold ``fe`` and the model's regressors.

    Returns
    -------
    ndarray
        exp(fixed effects + X b); NaN where a fixed-effect level was not estimated.

    Examples
    --------
    >>> import pyfixest as pf
    >>> d = pd.DataFrame({"y": [1.0, 3.0, 2.0, 6.0], "g": ["a", "a", "b", "b"]})
    >>> fit = pf.fepois("y ~ 1 | g", d)
    >>> poisson_predict(fit, ["g"], d).round(6).tolist()
    [2.0, 2.0, 4.0, 4.0]
    """
    pf = require("pyfixest", "models")
    sample = fit._data
    terms = [str(t) for t in fit._coefnames]
    beta = fit.coef()[terms].to_numpy(float) if terms else np.zeros(0)
    eta = np.log(np.asarray(fit.predict(type="response"), float))
    fe_part = eta - _xb(sample, terms, beta)
    work = sample[list(fe)].assign(_fe_part=fe_part)
    ols = pf.feols(f"_fe_part ~ 1 | {' + '.join(fe)}", data=work, fixef_rm="none",
                   demeaner=demeaner())
    if np.max(np.abs(np.asarray(ols.resid()))) > 1e-6:
        warnings.warn("fixed effects recovered from the fitted values with residual > 1e-6",
                      RuntimeWarning, stacklevel=2)
    fe_new = ols.predict(newdata=newdata[list(fe)], atol=1e-12, btol=1e-12)
    link = np.asarray(fe_new, float) + _xb(newdata, terms, beta)
    return np.exp(link)


def _xb(frame: pd.DataFrame, terms: list[str], beta: np.ndarray) -> np.ndarray:
    if not terms:
        return np.zeros(len(frame))
    return frame[terms].to_numpy(float) @ beta
