"""The estimation-step code the prepared-design change replaced, kept as the reference for
equality tests (``tests/models/test_models_estimation_paths.py``).

Copied verbatim from the code before the change (commit 3a21817: a confidence interval and
a tidy table from two pyfixest passes read by label, the leads' joint test through
DataFrames and scipy's distribution objects, one ``np.where`` per event time, the
identification check from a squared copy of the terms and of the demeaned regressors, the
gravity sample text computed at every estimation; and, in the preparation, the aggregate
partners looked up one code at a time), apart from their imports.
"""
# ruff: noqa

from __future__ import annotations

import numpy as np
import pandas as pd

from retrade.errors import SpecificationError
from retrade.models.design import REL
from retrade.models.exposure import EXPOSURE
from retrade.models.inference import WaldTest
from retrade.panel import schema as S
from retrade.results import tidy_frame

EXPORTER, IMPORTER = "exporter", "importer"


def _tidy(fit, terms: list[str], names: dict[str, str], alpha: float) -> pd.DataFrame:
    ci = fit.confint(alpha=alpha)
    table = fit.tidy()  # what coef(), se(), tstat() and pvalue() each compute again
    return tidy_frame(
        [names[t] for t in terms], table["Estimate"][terms], table["Std. Error"][terms],
        table["t value"][terms], table["Pr(>|t|)"][terms], ci.iloc[:, 0][terms],
        ci.iloc[:, 1][terms])


def wald_test(coef: pd.Series, vcov: pd.DataFrame, terms, df_den: float) -> WaldTest:
    from scipy import stats

    terms = list(terms)
    if not terms:
        raise SpecificationError("a joint test needs at least one coefficient")
    b = coef.loc[terms].to_numpy(float)
    v = vcov.loc[terms, terms].to_numpy(float)
    m = len(terms)
    f_stat = float(b @ np.linalg.pinv(v) @ b) / m
    if np.isinf(df_den):
        p = float(stats.chi2.sf(f_stat * m, m))
    else:
        p = float(stats.f.sf(f_stat, m, df_den))
    return WaldTest(tuple(terms), f_stat, m, float(df_den), p, "F")


def _pretrend(fit, leads: list[str]) -> WaldTest | None:
    """Joint F test of the leads; None without leads or when their variance is undefined."""
    coef = fit.coef()
    vcov = pd.DataFrame(fit._vcov, index=coef.index, columns=coef.index)
    if not leads or not (np.diag(vcov.loc[leads, leads]) > 0).all():
        return None
    df_den = float(np.min(fit._G)) - 1 if fit._is_clustered else float(fit._N - fit._k)
    return wald_test(coef, vcov, leads, df_den)


def dummy_columns(data: pd.DataFrame, window: tuple[int, int] | None,
                  ref: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    rel = data[REL].astype(int)
    lo, hi = (int(rel.min()), int(rel.max())) if window is None else window
    if not lo <= ref < 0 <= hi:
        raise SpecificationError(
            f"event window ({lo}, {hi}) must contain the reference {ref} and 0")
    binned = rel.clip(lower=lo, upper=hi).to_numpy()
    exposure = data[EXPOSURE].astype(float).to_numpy()
    values, columns = {}, {}
    for k in range(lo, hi + 1):
        hit = binned == k
        if k != ref and hit.any():
            name = f"es_m{-k}" if k < 0 else f"es_p{k}"
            values[name] = np.where(hit, exposure, 0.0)
            columns[name] = k
    return values, columns


def _clearly_identified(fit, frame: pd.DataFrame, terms: list[str]) -> bool:
    if list(fit._coefnames) != terms or int(fit._N) != len(frame):
        return False
    x = frame[terms].to_numpy(dtype=float)
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    left = (np.asarray(fit._X, dtype=float) ** 2).sum(axis=0)
    return bool(np.all(total > 0) and np.all(left >= 1e-6 * total))


def variance_bad_terms(coefs: pd.DataFrame) -> list:
    """The terms ``_variance_notes`` named."""
    return coefs.loc[~np.isfinite(coefs["std_error"]), "term"].tolist()


def gravity_sample(data, restricting, targets, by_hs6) -> str:
    """``ModelInfo.sample`` as gravity's ``_info`` wrote it."""
    variation = "product" if by_hs6 else ("bilateral" if targets else "none (exporter-time)")
    return (f"{data[EXPORTER].nunique()} exporters x {data[IMPORTER].nunique()} importers, "
            f"{data[S.YEAR].min()}-{data[S.YEAR].max()}; restriction = {restricting} x post"
            f"{' x ' + '/'.join(targets) if targets else ''}; "
            f"identifying variation: {variation}")


def aggregate_rows(row_code: np.ndarray, distinct) -> np.ndarray:
    """``retrade.panel.measures.aggregate_rows`` as it was: one ``kind_of`` call per code."""
    from retrade.catalog.countries import WORLD, kind_of

    aggregate = np.array([str(code) == WORLD or kind_of(str(code)) == "group"
                          for code in distinct], dtype=bool)
    return aggregate[row_code] & (row_code >= 0) if len(aggregate) else row_code < -1
