"""The one results contract: every result the public API returns keeps it.

* ``.tidy()``: a DataFrame whose columns are the class's documented
  :attr:`Result.tidy_columns` (estimates: :data:`COEFFICIENT_COLUMNS`;
  forecasts: :data:`FORECAST_COLUMNS`; each result class names its own);
* ``.summary()``: a :class:`Summary`, text that prints as text and shows as an
  HTML table in Jupyter, with the metadata and caveats next to the numbers;
* ``.plot(ax=None)``: draws on ``ax`` (or a new figure) and returns the
  matplotlib Axes, or always an array of Axes for a figure of several panels;
* ``.metadata()``: a plain dict (specification, N, fixed effects, data vintage ...);
* a short ``repr``, and ``_repr_html_`` so that a bare result in a notebook
  cell shows its summary table.

Results with a coefficient table also speak maketables' plug-in format
(``__maketables_coef_table__`` and friends), so ``maketables.ETable([...])``
lays them side by side; :func:`compare` does so and returns the table as a
DataFrame (``rt.compare``).

This module sits beside :mod:`retrade.errors`: it imports no layer of the
package, so :mod:`retrade.models` and :mod:`retrade.forecast` both build on it
without importing each other.
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from retrade.errors import ConfigError, check_choice

COEFFICIENT_COLUMNS: tuple[str, ...] = (
    "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
)
FORECAST_COLUMNS: tuple[str, ...] = (
    "period", "yhat", "yhat_lower", "yhat_upper", "level", "model", "series",
)
REPR_WIDTH = 100


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


class Summary(str):
    """A result's summary: plain text, and an HTML table in Jupyter.

    It is a ``str`` (so ``print``, ``in`` and file writes work as for text)
    that keeps its parts: ``title``, ``meta`` (label, value pairs), ``lines``
    (preformatted text under them), ``table`` (a DataFrame or None) and
    ``notes`` (with their heading ``notes_title``).

    Examples
    --------
    >>> s = Summary("Trend", [("N", "12")], pd.DataFrame({"term": ["slope"], "estimate": [0.5]}))
    >>> print(s)
    Trend
    =====
    N  12
    <BLANKLINE>
     term  estimate
    slope       0.5
    >>> "<table>" in s._repr_html_()
    True
    """

    title: str
    meta: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]
    table: pd.DataFrame | None
    notes: tuple[str, ...]
    notes_title: str

    def __new__(cls, title: str, meta: Iterable[tuple[str, object]] = (),
                table: pd.DataFrame | None = None, notes: Iterable[str] = (), *,
                notes_title: str = "Caveats", lines: Iterable[str] = ()) -> Summary:
        pairs = tuple((str(k), str(v)) for k, v in meta if v not in (None, ""))
        notes, extra = tuple(str(n) for n in notes if n), tuple(lines)
        text = [title, "=" * len(title), *_meta_lines(pairs), *extra]
        if table is not None and len(table.columns):
            text += ["", table.to_string(index=False, float_format=_fmt)]
        if notes:
            text += ["", f"{notes_title}:", *(f"  - {n}" for n in notes)]
        self = super().__new__(cls, "\n".join(text))
        self.title, self.meta, self.lines, self.table = title, pairs, extra, table
        self.notes, self.notes_title = notes, notes_title
        return self

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "\n".join([self.title, *_meta_lines(self.meta), *self.lines])
        parts = [f"<pre>{html.escape(head)}</pre>"]
        if self.table is not None and len(self.table.columns):
            parts.append(html_table(self.table))
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<p><b>{html.escape(self.notes_title)}</b></p><ul>{items}</ul>")
        return "".join(parts)


def _meta_lines(pairs: Sequence[tuple[str, str]]) -> list[str]:
    width = max((len(k) for k, _ in pairs), default=0)
    return [f"{k.ljust(width)}  {v}" for k, v in pairs]


def html_table(frame: pd.DataFrame) -> str:
    """A plain HTML ``<table>``: numbers right-aligned (4 significant digits), text left.

    Examples
    --------
    >>> html_table(pd.DataFrame({"a": ["x"], "b": [1.23456]}))[:7]
    '<table>'
    """
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
        frame[c]) for c in frame.columns]
    align = ["right" if n else "left" for n in numeric]
    head = "".join(f"<th style='text-align:{a}'>{html.escape(str(c))}</th>"
                   for c, a in zip(frame.columns, align, strict=True))
    rows = "".join(
        "<tr>" + "".join(f"<td style='text-align:{a}'>{html.escape(_fmt(v))}</td>"
                         for v, a in zip(row, align, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


class Result(ABC):
    """Base of every results object (see the module docstring for the contract).

    Subclasses set :attr:`tidy_columns` and implement :meth:`tidy`,
    :meth:`summary` and :meth:`plot`; :meth:`metadata` and :meth:`_describe`
    (the one line of the ``repr``) have defaults. A dataclass subclass keeps
    this short ``repr`` rather than the dataclass one.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = COEFFICIENT_COLUMNS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:  # before @dataclass writes its own
            cls.__repr__ = Result.__repr__  # type: ignore[method-assign]

    @abstractmethod
    def tidy(self) -> pd.DataFrame:
        """The result as a table with the columns :attr:`tidy_columns`."""

    @abstractmethod
    def summary(self) -> Summary:
        """Text (HTML in Jupyter) with the metadata, the main numbers and caveats."""

    @abstractmethod
    def plot(self, ax: Any = None) -> Any:
        """Draw the result; returns the matplotlib Axes (an array of Axes for several panels)."""

    def metadata(self) -> dict[str, object]:
        """What the result was made from, as a plain dict."""
        return {}

    def _describe(self) -> str:
        return self.summary().title

    def __repr__(self) -> str:
        text = f"<{type(self).__name__}: {self._describe()}>"
        return text if len(text) <= REPR_WIDTH else text[: REPR_WIDTH - 4] + "...>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    # -- maketables' plug-in format (https://github.com/py-econometrics/maketables)

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        if self.tidy_columns[: len(COEFFICIENT_COLUMNS)] != COEFFICIENT_COLUMNS:
            raise AttributeError(f"{type(self).__name__} has no coefficient table")
        tidy = self.tidy()
        table = pd.DataFrame({
            "b": tidy["estimate"].to_numpy(float), "se": tidy["std_error"].to_numpy(float),
            "t": tidy["statistic"].to_numpy(float), "p": tidy["p_value"].to_numpy(float),
            "ci_low": tidy["conf_low"].to_numpy(float),
            "ci_high": tidy["conf_high"].to_numpy(float)},
            index=pd.Index(tidy["term"].astype(str), name="Coefficient"))
        return table

    def __maketables_stat__(self, key: str) -> object:
        meta = self.metadata()
        stats = {"N": meta.get("n_obs"), "se_type": meta.get("vcov"),
                 "cluster": " + ".join(meta.get("cluster") or ()) or None}  # type: ignore[arg-type]
        return stats.get(key, meta.get(key))

    @property
    def __maketables_depvar__(self) -> str:
        return str(self.metadata().get("outcome") or self._describe())

    @property
    def __maketables_fixef_string__(self) -> str | None:
        return "+".join(self.metadata().get("fixed_effects") or ()) or None  # type: ignore[arg-type]

    @property
    def __maketables_vcov_info__(self) -> dict[str, object]:
        meta = self.metadata()
        return {"vcov_type": meta.get("vcov"), "clustervar": meta.get("cluster")}

    @property
    def __maketables_default_stat_keys__(self) -> list[str]:
        return ["N", "se_type"]


def tidy_frame(rows: object, *columns: object) -> pd.DataFrame:
    """A coefficient table with the :data:`COEFFICIENT_COLUMNS` first.

    Either ``tidy_frame(rows)`` with row mappings (missing contract columns are
    NaN, other keys become columns after them), or
    ``tidy_frame(terms, estimate, std_error, statistic, p_value, conf_low, conf_high)``
    with the seven columns as arrays.

    Examples
    --------
    >>> tidy_frame([{"term": "slope", "estimate": 0.5, "period": "2015"}]).columns.tolist()[-2:]
    ['conf_high', 'period']
    >>> tidy_frame(["x"], [0.5], [0.1], [5.0], [0.001], [0.3], [0.7])["estimate"].tolist()
    [0.5]
    """
    if columns:
        if len(columns) != len(COEFFICIENT_COLUMNS) - 1:
            raise TypeError("tidy_frame(terms, ...) takes the seven coefficient columns")
        frame = pd.DataFrame({"term": list(rows), **{  # type: ignore[call-overload]
            name: np.asarray(values, float)
            for name, values in zip(COEFFICIENT_COLUMNS[1:], columns, strict=True)}})
        return frame
    frame = pd.DataFrame(list(rows))  # type: ignore[call-overload]
    for column in COEFFICIENT_COLUMNS:
        if column not in frame.columns:
            frame[column] = "" if column == "term" else np.nan
    extras = [c for c in frame.columns if c not in COEFFICIENT_COLUMNS]
    out = frame[[*COEFFICIENT_COLUMNS, *extras]].copy()
    for column in COEFFICIENT_COLUMNS[1:]:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out.reset_index(drop=True)


META_ROWS: tuple[str, ...] = ("outcome", "N", "fixed effects", "cluster", "event", "data")


def _meta_row(result: Result, row: str) -> str:
    meta = result.metadata()
    n = meta.get("n_obs")
    values = {"outcome": meta.get("outcome", ""), "N": f"{n:,}" if isinstance(n, int) else "",
              "fixed effects": " + ".join(meta.get("fixed_effects") or ()),  # type: ignore[arg-type]
              "cluster": " + ".join(meta.get("cluster") or ()),  # type: ignore[arg-type]
              "event": meta.get("event", ""), "data": meta.get("data_vintage", "")}
    return str(values[row] or "")


def etable(results: Sequence[Result], *, labels: Sequence[str] | None = None,
           terms: Sequence[str] | None = None, meta: Sequence[str] = META_ROWS,
           digits: int = 3) -> Any:
    """The ``maketables.ETable`` of several results: ``estimate`` and ``(std_error)`` per term
    (stars at p < 0.1, 0.05, 0.01), then the ``meta`` rows (any of :data:`META_ROWS`).

    ``.make(type="gt" | "tex" | "docx" | "typst")`` renders it.
    """
    from retrade.errors import require

    mt = require("maketables", "models")
    results = list(results)
    for row in meta:
        check_choice("meta row", row, META_ROWS)
    if labels is not None and len(labels) != len(results):
        raise ConfigError(f"{len(labels)} labels for {len(results)} results")
    order = _term_order(results, terms)
    return mt.ETable(
        results, coef_fmt=f"b:.{digits}f*\n(se:.{digits}f)", keep=order, exact_match=True,
        model_stats=[], custom_model_stats={m: [_meta_row(r, m) for r in results] for m in meta},
        model_heads=None if labels is None else list(labels),
        head_order="" if labels is None else "h", show_fe=False, labels={t: t for t in order},
        signif_code=[0.01, 0.05, 0.1])


def _term_order(results: Sequence[Result], terms: Sequence[str] | None) -> list[str]:
    if terms is not None:
        return list(terms)
    return list(dict.fromkeys(t for r in results for t in r.tidy()["term"].astype(str)))


def compare(results: Sequence[Result], *, labels: Sequence[str] | None = None,
            terms: Sequence[str] | None = None, meta: Sequence[str] = META_ROWS,
            digits: int = 3) -> pd.DataFrame:
    """Results side by side (maketables' ``ETable``), as a DataFrame.

    One row with the ``estimate`` (stars: p < 0.1, 0.05, 0.01) and one with the
    ``(std_error)`` per term, then the ``meta`` rows (any of :data:`META_ROWS`);
    one column per result, headed by ``labels``. For HTML, LaTeX or Word, use
    :func:`etable` and its ``.make(type=...)``.

    Examples
    --------
    >>> from retrade.models.results import EstimationResult, ModelInfo
    >>> info = ModelInfo("m", "y ~ x", "y", 10, ("unit",), ("unit",), "CRV1", "test", "all")
    >>> coefs = tidy_frame(["x"], [0.5], [0.1], [5.0], [0.001], [0.3], [0.7])
    >>> compare([EstimationResult(info=info, coefficients=coefs)]).iloc[:2, 1].tolist()
    ['0.500***', '(0.100)']
    """
    table = etable(results, labels=labels, terms=terms, meta=meta, digits=digits)
    frame = table.df
    order = _term_order(list(results), terms)
    coef = frame.loc["coef"] if "coef" in frame.index.get_level_values(0) else frame.iloc[0:0]
    columns = [str(c[0]) if isinstance(c, tuple) else str(c) for c in frame.columns]
    cells: dict[str, list[str]] = {c: [] for c in columns}
    for j, column in enumerate(columns):
        for i in range(len(order)):
            text = str(coef.iloc[i, j]) if i < len(coef) else ""
            estimate, _, error = text.partition("\n")
            cells[column] += [estimate.strip(), error.strip()]
        stats = frame.loc["stats"] if len(meta) else frame.iloc[0:0]
        cells[column] += [str(stats.iloc[k, j]) for k in range(len(meta))]
    index = [x for t in order for x in (t, "")] + list(meta)
    return pd.DataFrame(cells, index=index).rename_axis("").reset_index()


def latex_tabular(results: Sequence[Result], **options: Any) -> str:
    """The LaTeX ``tabular`` of :func:`etable` (booktabs rules; cells need ``makecell``)."""
    tex = etable(results, **options).make(type="tex", tex_style={"tab_width": None})
    start, end = tex.index(r"\begin{tabular}"), tex.index(r"\end{tabular}")
    return tex[start: end + len(r"\end{tabular}")] + "\n"
