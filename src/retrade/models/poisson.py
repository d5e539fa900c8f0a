"""Counterfactual predictions from Poisson fixed-effects fits, safe when only fixed effects remain.

pyfixest's ``Fepois.predict(newdata)`` has returned wrong values for models
with only fixed effects: the fixed effects were recovered on the response scale
and exponentiated again (py-econometrics/pyfixest#1538; 0.60 still does this).
In-sample fitted values are right, so this module recovers the fixed effects
on the link scale from them: ln(mu_hat) - X b is exactly additive in the fixed
effects, and a least-squares fit of it on the fixed-effect dummies (zero
residual) gives each level's value; the sum of a new row's levels is the
link-scale fixed-effect part of its prediction (NaN for levels never seen).
Adding X_new b and exponentiating gives the prediction. The fit is the one
pyfixest's ``Feols.fixef`` makes (LSQR on the dummies, levels in sorted order,
the first level of every fixed effect after the first dropped), with the dummy
matrix built from integer codes instead of a formula. The tests check it
against statsmodels GLM Poisson with dummies.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from retrade.errors import require


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
    require("pyfixest", "models")
    sample = fit._data
    terms = [str(t) for t in fit._coefnames]
    beta = fit.coef()[terms].to_numpy(float) if terms else np.zeros(0)
    eta = np.log(np.asarray(fit.predict(type="response"), float))
    values = fixed_effect_values(sample, fe, eta - _xb(sample, terms, beta))
    link = np.zeros(len(newdata))
    for name, table in zip(fe, values, strict=True):
        link += table.reindex(_labels(newdata[name])).to_numpy()
    return np.exp(link + _xb(newdata, terms, beta))


def fixed_effect_values(sample: pd.DataFrame, fe: Sequence[str],
                        fe_part: np.ndarray) -> list[pd.Series]:
    """Per fixed effect, each level's value (index: the level as text) in an exactly additive
    ``fe_part``: LSQR at 1e-12 on the dummies, as ``Feols.fixef`` solves it."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import lsqr

    columns, levels, offset = [], [], 0
    for j, name in enumerate(fe):
        names, codes = _levels(sample[name])
        # the first fixed effect spans the constant; the others drop their first level
        kept = codes - (1 if j else 0)
        columns.append(np.where(kept >= 0, kept + offset, -1))
        levels.append((names, offset, 1 if j else 0))
        offset += len(names) - (1 if j else 0)
    col = np.column_stack(columns)
    row = np.repeat(np.arange(len(sample)), len(fe)).reshape(col.shape)
    on = col >= 0
    dummies = csr_matrix((np.ones(int(on.sum())), (row[on], col[on])),
                         shape=(len(sample), offset))
    alpha = lsqr(dummies, fe_part, atol=1e-12, btol=1e-12)[0]
    if np.max(np.abs(dummies @ alpha - fe_part), initial=0.0) > 1e-6:
        warnings.warn("fixed effects recovered from the fitted values with residual > 1e-6",
                      RuntimeWarning, stacklevel=3)
    return [pd.Series(np.concatenate([np.zeros(drop), alpha[start : start + len(names) - drop]]),
                      index=names)
            for names, start, drop in levels]


def _levels(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The distinct levels as sorted text, and each row's position among them."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    names, inverse = np.unique(_labels(pd.Series(uniques)), return_inverse=True)
    return names, inverse[codes]


def _labels(values: pd.Series) -> np.ndarray:
    """Levels as text, as pyfixest's formulas and predictions key them."""
    return values.astype(str).to_numpy(dtype=str)


def _xb(frame: pd.DataFrame, terms: list[str], beta: np.ndarray) -> np.ndarray:
    if not terms:
        return np.zeros(len(frame))
    return frame[terms].to_numpy(float) @ beta
