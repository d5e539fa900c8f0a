"""Results objects: one contract for every model (tidy, summary, plot, export, metadata).

``.tidy()`` returns the fixed columns ``term, estimate, std_error, statistic,
p_value, conf_low, conf_high`` (with ``meta=True`` also ``n_obs,
fixed_effects, cluster``); ``.summary()`` text (and HTML in Jupyter) with the
metadata and caveats next to the numbers; ``.plot()``; ``.to_csv()`` and
``.to_latex()`` return strings (models never write files). :func:`compare` puts
several results side by side, in the manner of pyfixest's ``etable`` and
linearmodels' ``compare``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retrade.errors import ConfigError
from retrade.models.tidy import TIDY_COLUMNS


@dataclass(frozen=True)
class ModelInfo:
    """Metadata every result carries."""

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


@dataclass(frozen=True)
class Summary:
    """Printable summary: plain text, and an HTML table in Jupyter."""

    title: str
    meta: tuple[tuple[str, str], ...]
    table: pd.DataFrame
    caveats: tuple[str, ...]

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self.meta) if self.meta else 0
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k.ljust(width)}  {v}" for k, v in self.meta]
        lines += ["", self.table.to_string(index=False, float_format=lambda x: f"{x:.4g}")]
        if self.caveats:
            lines += ["", "Caveats:"] + [f"  - {c}" for c in self.caveats]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        meta = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self.meta)
        cav = "".join(f"<li>{html.escape(c)}</li>" for c in self.caveats)
        return (f"<h4>{html.escape(self.title)}</h4><table>{meta}</table>"
                + self.table.to_html(index=False, float_format=lambda x: f"{x:.4g}")
                + (f"<p><b>Caveats</b></p><ul>{cav}</ul>" if cav else ""))


@dataclass(frozen=True, kw_only=True)
class Result:
    """Base results object: coefficients, metadata and caveats."""

    info: ModelInfo
    coefficients: pd.DataFrame
    caveats: tuple[str, ...] = field(default=())

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
        from dataclasses import asdict

        return asdict(self.info)

    def summary(self) -> Summary:
        """Text/HTML summary with metadata and caveats."""
        i = self.info
        meta = [("model", i.model), ("outcome", i.outcome), ("spec", i.spec), ("event", i.event),
                ("sample", i.sample), ("N", f"{i.n_obs:,}"),
                ("fixed effects", " + ".join(i.fixed_effects) or "none"), ("std. errors", i.vcov),
                ("data", i.data_vintage)]
        meta += list(self._extra_meta())
        return Summary(title=i.model, meta=tuple((k, v) for k, v in meta if v),
                       table=self.tidy(), caveats=self.caveats)

    def _extra_meta(self) -> Sequence[tuple[str, str]]:
        return ()

    def plot(self, ax=None):
        """Coefficient plot with confidence intervals; returns the matplotlib Axes."""
        from retrade.models.plots import coef_plot

        return coef_plot(self.tidy(), ax=ax, title=self.info.model)

    def to_csv(self) -> str:
        """The tidy table with metadata columns as CSV text."""
        return self.tidy(meta=True).to_csv(index=False)

    def to_latex(self, *, digits: int = 3) -> str:
        """A LaTeX ``tabular`` of the tidy table plus N, fixed effects and cluster rows."""
        return _latex(compare([self], digits=digits))


META_ROWS: tuple[str, ...] = ("outcome", "N", "fixed effects", "cluster", "event", "data")


def compare(results: Sequence[Result], *, labels: Sequence[str] | None = None,
            terms: Sequence[str] | None = None, meta: Sequence[str] = META_ROWS,
            digits: int = 3) -> pd.DataFrame:
    """Results side by side: ``estimate`` over ``(std_error)`` per term, then metadata rows.

    ``meta`` picks the metadata rows (any of :data:`META_ROWS`); significance
    stars mark p < 0.1, 0.05, 0.01.

    Examples
    --------
    >>> import pandas as pd
    >>> info = ModelInfo("m", "y ~ x", "y", 10, ("unit",), ("unit",), "CRV1", "test", "all")
    >>> coefs = pd.DataFrame({"term": ["x"], "estimate": [0.5], "std_error": [0.1],
    ...     "statistic": [5.0], "p_value": [0.001], "conf_low": [0.3], "conf_high": [0.7]})
    >>> compare([Result(info=info, coefficients=coefs)]).iloc[:2, 1].tolist()
    ['0.500***', '(0.100)']
    """
    results = list(results)
    unknown = [m for m in meta if m not in META_ROWS]
    if unknown:
        raise ConfigError(f"meta rows must be among {META_ROWS}, got {unknown}")
    labels = list(labels) if labels is not None else [f"({i + 1})" for i in range(len(results))]
    if len(labels) != len(results):
        raise ConfigError(f"{len(labels)} labels for {len(results)} results")
    order = list(terms) if terms is not None else list(dict.fromkeys(
        t for r in results for t in r.tidy()["term"]))
    columns = {}
    for label, res in zip(labels, results, strict=True):
        tidy = res.tidy().set_index("term")
        cells = []
        for term in order:
            if term in tidy.index:
                row = tidy.loc[term]
                cells += [f"{row['estimate']:.{digits}f}{_stars(row['p_value'])}",
                          f"({row['std_error']:.{digits}f})"]
            else:
                cells += ["", ""]
        i = res.info
        info = {"outcome": i.outcome, "N": f"{i.n_obs:,}",
                "fixed effects": " + ".join(i.fixed_effects), "cluster": " + ".join(i.cluster),
                "event": i.event, "data": i.data_vintage}
        cells += [info[m] for m in meta]
        columns[label] = cells
    index = [x for t in order for x in (t, "")] + list(meta)
    table = pd.DataFrame(columns, index=index)
    return table.rename_axis("").reset_index()


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


_LATEX_ESCAPE = str.maketrans({c: "\\" + c for c in "&%$#_{}"} | {"~": r"\textasciitilde{}",
                                                                    "^": r"\textasciicircum{}"})


def _latex(table: pd.DataFrame) -> str:
    """A plain LaTeX tabular (no jinja2 needed); significance: * 0.1, ** 0.05, *** 0.01."""
    def cell(value: object) -> str:
        return str(value).translate(_LATEX_ESCAPE)

    head = " & ".join(cell(c) for c in table.columns) + r" \\"
    body = [" & ".join(cell(v) for v in row) + r" \\" for row in table.itertuples(index=False)]
    spec = "l" + "c" * (table.shape[1] - 1)
    return "\n".join([rf"\begin{{tabular}}{{{spec}}}", r"\hline", head, r"\hline", *body,
                      r"\hline", r"\end{tabular}", ""])


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


def tidy_frame(names: Sequence[str], estimate, std_error, statistic, p_value, conf_low,
               conf_high) -> pd.DataFrame:
    """Assemble the fixed tidy columns from arrays."""
    return pd.DataFrame({
        "term": list(names), "estimate": np.asarray(estimate, float),
        "std_error": np.asarray(std_error, float), "statistic": np.asarray(statistic, float),
        "p_value": np.asarray(p_value, float), "conf_low": np.asarray(conf_low, float),
        "conf_high": np.asarray(conf_high, float),
    })
