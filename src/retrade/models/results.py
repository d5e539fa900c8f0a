"""Estimation results: the export-restriction models' coefficients, metadata and caveats.

:class:`EstimationResult` (DiD, event study, intervention analysis, gravity)
keeps the package's one results contract (:mod:`retrade.results`):
``.tidy()`` returns the fixed columns ``term, estimate, std_error, statistic,
p_value, conf_low, conf_high`` (with ``meta=True`` also ``n_obs,
fixed_effects, cluster``); ``.summary()`` text (an HTML table in Jupyter) with
the metadata and caveats next to the numbers; ``.plot()`` returns the Axes;
``.to_csv()`` and ``.to_latex()`` return strings (models never write files).
The underlying fit (pyfixest's ``Feols``/``Fepois``, statsmodels' SARIMAX
results) is kept in ``.fit``, so ``pyfixest.etable([res.fit])`` works, and the
result itself is a maketables model: ``maketables.ETable([res, ...])``, or
:func:`compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from retrade.results import COEFFICIENT_COLUMNS, META_ROWS, Summary, compare, tidy_frame
from retrade.results import Result as BaseResult

TIDY_COLUMNS = COEFFICIENT_COLUMNS

__all__ = ["META_ROWS", "TIDY_COLUMNS", "EstimationResult", "ModelInfo", "Result", "compare",
           "data_vintage", "tidy_frame"]


@dataclass(frozen=True)
class ModelInfo:
    """Metadata every estimation result carries."""

    model: str
    spec: str
    outcome: str
    n_obs: int
    fixed_effects: tuple[str, ...]
    cluster: tuple[str, ...]
    vcov: str
    data_vintage: str
    sample: str
    event: str = ""


@dataclass(frozen=True, kw_only=True)
class EstimationResult(BaseResult):
    """Coefficients, metadata, caveats and the underlying fit of one estimation.

    Attributes
    ----------
    info : ModelInfo
        Model, specification, outcome, N, fixed effects, cluster, vcov, data vintage.
    coefficients : DataFrame
        The tidy coefficient rows.
    caveats : tuple of str
        What to keep in mind when reading the numbers.
    fit : object
        The fitted model (pyfixest ``Feols``/``Fepois``, statsmodels results), or None.
    """

    info: ModelInfo
    coefficients: pd.DataFrame
    caveats: tuple[str, ...] = field(default=())
    fit: Any = field(default=None, repr=False, compare=False)

    def tidy(self, *, meta: bool = False) -> pd.DataFrame:
        """The coefficient table (a copy) with the fixed tidy columns."""
        out = self.coefficients.loc[:, list(TIDY_COLUMNS)].copy().reset_index(drop=True)
        if meta:
            out["n_obs"] = self.info.n_obs
            out["fixed_effects"] = " + ".join(self.info.fixed_effects)
            out["cluster"] = " + ".join(self.info.cluster)
        return out

    def metadata(self) -> dict[str, object]:
        """Spec, N, fixed effects, cluster, vcov, data vintage, as a plain dict."""
        return asdict(self.info)

    def summary(self) -> Summary:
        """Text/HTML summary with metadata and caveats."""
        i = self.info
        meta = [("model", i.model), ("outcome", i.outcome), ("spec", i.spec), ("event", i.event),
                ("sample", i.sample), ("N", f"{i.n_obs:,}"),
                ("fixed effects", " + ".join(i.fixed_effects) or "none"), ("std. errors", i.vcov),
                ("data", i.data_vintage)]
        meta += list(self._extra_meta())
        return Summary(i.model, meta, self.tidy(), self.caveats)

    def _extra_meta(self) -> Sequence[tuple[str, str]]:
        return ()

    def _describe(self) -> str:
        terms = len(self.coefficients)
        return f"{self.info.model}, {terms} term{'s' * (terms != 1)}, N={self.info.n_obs:,}"

    def plot(self, ax=None):
        """Coefficient plot with confidence intervals; returns the matplotlib Axes."""
        from retrade.models.plots import coef_plot

        return coef_plot(self.tidy(), ax=ax, title=self.info.model)

    def to_csv(self) -> str:
        """The tidy table with metadata columns as CSV text."""
        return self.tidy(meta=True).to_csv(index=False)

    def to_latex(self, *, digits: int = 3) -> str:
        """A LaTeX ``tabular`` of the estimates with N, fixed effects and cluster rows
        (made by maketables; booktabs rules, ``makecell`` cells)."""
        from retrade.results import latex_tabular

        return latex_tabular([self], digits=digits)


# the name this class had before the package-wide base (retrade.results.Result); kept so
# that code written against retrade.models.results.Result keeps working
Result = EstimationResult


def data_vintage(panel: pd.DataFrame, rows: pd.Series | None = None) -> str:
    """Sources, batches and the period span of the rows a model used (``rows``: a mask of
    ``panel``'s rows, applied to the three columns read rather than to the whole panel)."""
    mask = None if rows is None else rows.to_numpy(dtype=bool)
    parts = []
    if "source" in panel:
        sources = set(_distinct(panel["source"], mask).astype(str))
        parts.append("source " + "+".join(sorted(sources - {""})))
    batches = _distinct(panel["batch"], mask) if "batch" in panel else []
    if len(batches):
        batches = sorted(set(batches.astype(str)))
        parts.append("batch " + ", ".join(batches[:3]) + (" ..." if len(batches) > 3 else ""))
    if "period" in panel and (len(panel) if mask is None else mask.any()):
        periods = pd.Series(_distinct(panel["period"], mask).astype(str), dtype=object)
        parts.append(f"periods {periods.min()}..{periods.max()}")
    return "; ".join(parts)


def _distinct(column: pd.Series, mask: np.ndarray | None):
    """The distinct non-missing values of ``column`` on the rows of ``mask`` (as
    ``column[mask].dropna().unique()``: missing values dropped from the distinct ones)."""
    values = pd.Series(column[mask].unique() if mask is not None else column.unique())
    return values.dropna().unique()
