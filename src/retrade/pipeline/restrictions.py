"""Section 'Export restrictions': the 2015 quota removal and the December 2023 technology ban.

Annual (China-reported exports by partner): for 280530, 284690 and 850511, an
exposure difference-in-differences estimated by PPML (Santos Silva and
Tenreyro 2006) on value levels, exposure = the ten largest buyers of
2010-2014 (Hong Kong left out), partner and year fixed effects, standard
errors clustered by partner; and the PPML event study with its joint
pre-trend test. Monthly (China's exports by HS6 line, where a monthly table
has them): intervention analysis of the technology ban (SARIMA errors, a step
at the first full post month, the pre-event model's counterfactual). The
same specifications as notebook 02, so the numbers can be traced there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

import retrade.models as rm
from retrade.errors import SpecificationError
from retrade.pipeline.data import Body, NeedsData, RunData
from retrade.report import ReportFigure, ReportTable

LINES = ("280530", "284690", "850511")
ANNUAL_EVENT = "2015 quota removal"
MONTHLY_EVENT = "2023-12 technology ban"
BASELINE = (2010, 2014)


def _quiet(text: str) -> None:
    """Ignore a progress note (the runner passes one that shows it)."""


def _exposure():
    return rm.top_k(10, baseline=BASELINE, exclude=("HKG",))


def _did_row(hs6: str, did, study) -> dict:
    coef = did.tidy().iloc[0]
    test = study.pretrend
    return {"hs6": hs6, "estimate": coef["estimate"], "std_error": coef["std_error"],
            "p_value": coef["p_value"], "conf_low": coef["conf_low"],
            "conf_high": coef["conf_high"], "n_obs": did.info.n_obs,
            "pretrend_f": test.statistic if test else float("nan"),
            "pretrend_p": test.p_value if test else float("nan")}


def quota_removal(china: pd.DataFrame,
                  note: Callable[[str], None] = _quiet) -> tuple[list[dict], dict, list, list[str]]:
    """DiD rows, event studies by line, all results (for caveats) and lines not estimable."""
    rows, studies, results, skipped = [], {}, [], []
    for hs6 in LINES:
        note(f"export restrictions: 2015 quota removal, HS {hs6}")
        if not (china["hs6"] == hs6).any():
            skipped.append(f"{hs6}: no China export rows")
            continue
        try:
            did = rm.exposure_did(china, ANNUAL_EVENT, hs6=hs6, outcome="ppml",
                                  exposure=_exposure())
            study = rm.event_study(china, ANNUAL_EVENT, hs6=hs6, outcome="ppml",
                                   exposure=_exposure())
        except SpecificationError as exc:
            skipped.append(f"{hs6}: {exc}")
            continue
        rows.append(_did_row(hs6, did, study))
        studies[hs6] = study
        results += [did, study]
    return rows, studies, results, skipped


def _event_figure(studies: dict) -> ReportFigure:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(studies), figsize=(5 * len(studies), 4), sharey=True,
                             squeeze=False)
    for ax, (hs6, study) in zip(axes[0], studies.items(), strict=True):
        study.plot(ax=ax)
        p = study.pretrend.p_value if study.pretrend else float("nan")
        ax.set_title(f"HS {hs6}: PPML event study (pre-trend p = {p:.3f})", fontsize=9)
    fig.tight_layout()
    return ReportFigure("quota_removal_event_study_plot", fig,
                        "2015 quota removal: exposure x event time (PPML, 95% intervals)")


def _event_table(studies: dict) -> pd.DataFrame:
    frames = [study.event_table().assign(hs6=hs6) for hs6, study in studies.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["hs6", "event_time", "estimate", "conf_low", "conf_high", "reference"]]


def monthly_lines(monthly: pd.DataFrame | None) -> dict[str, pd.Series]:
    """China's monthly export value per HS6 line, from tables without a partner breakdown.

    A table without blocs (world totals, or blocs already summed) is used as it
    is; a table split by bloc is summed over its blocs, which gives at most the
    world total (the series name says so). The first table by name wins when
    several qualify.
    """
    if monthly is None:
        return {}
    rows = monthly[(monthly["reporter"] == "CHN") & (monthly["flow"] == "export")
                   & monthly["hs6"].isin(LINES) & monthly["partner"].isna()
                   & monthly["value_usd"].notna()]
    out = {}
    for hs6, group in rows.groupby("hs6", observed=True):
        unsplit = group[group["bloc"].isna()]
        chosen = unsplit if len(unsplit) else group
        first = chosen[chosen["table"] == sorted(chosen["table"].unique())[0]]
        values = first.groupby("period")["value_usd"].sum().sort_index()
        label = f"{hs6} value_usd" + ("" if len(unsplit) else " (sum of blocs)")
        out[str(hs6)] = pd.Series(values.astype(float).to_numpy(),
                                  index=pd.PeriodIndex(values.index, freq="M"), name=label)
    return out


def tech_ban(lines: dict[str, pd.Series], seed: int,
             note: Callable[[str], None] = _quiet) -> tuple[list[dict], dict, list[str]]:
    """Intervention rows, results by line and lines the event cannot be estimated on."""
    rows, results, skipped = [], {}, []
    for hs6, series in lines.items():
        note(f"export restrictions: 2023-12 technology ban, HS {hs6}")
        try:
            res = rm.intervention(series, MONTHLY_EVENT, name=str(series.name), seed=seed)
        except SpecificationError as exc:
            skipped.append(f"{hs6} monthly: {exc}")
            continue
        step, c = res.tidy().iloc[0], res.cumulative
        rows.append({"hs6": hs6, "measure": "value_usd", "step_log": step["estimate"],
                     "std_error": step["std_error"], "p_value": step["p_value"],
                     "months": c.months, "cumulative_effect": c.relative,
                     "cumulative_low": c.relative_low, "cumulative_high": c.relative_high})
        results[hs6] = res
    return rows, results, skipped


def _tech_ban_figure(results: dict) -> ReportFigure:
    hs6, res = next(iter(results.items()))
    ax = res.plot()
    return ReportFigure("tech_ban_intervention_plot", ax.figure,
                        f"HS {hs6}: observed monthly exports against the pre-ban counterfactual")


def caveat_lines(results) -> list[str]:
    """Each caveat of the results once, in order of first appearance."""
    return list(dict.fromkeys(c for r in results for c in r.caveats))


@dataclass(frozen=True)
class Part:
    """One half of the section (annual DiD or monthly intervention): what it shows and lacks."""

    rows: list[dict]
    tables: list[ReportTable]
    figures: list[ReportFigure]
    results: list
    skipped: list[str]
    missing: list[str]


def annual_part(china: pd.DataFrame, command: str, note) -> Part:
    """The 2015 quota-removal DiD and event studies, or what they need."""
    if china.empty:
        return Part([], [], [], [], [], ["annual DiD: " + command])
    rows, studies, results, skipped = quota_removal(china, note)
    tables, figures = [], []
    if rows:
        tables = [ReportTable("quota_removal_did", pd.DataFrame(rows),
                              "2015 quota removal: post x top-10 exposure, PPML on value"),
                  ReportTable("quota_removal_event_study", _event_table(studies),
                              "Event-study coefficients (reference: the year before)")]
        figures = [_event_figure(studies)]
    return Part(rows, tables, figures, results, skipped, [])


def monthly_part(lines: dict[str, pd.Series], seed: int, command: str, note) -> Part:
    """The technology-ban intervention analyses, or what they need."""
    if not lines:
        return Part([], [], [], [], [], ["monthly intervention: " + command])
    rows, results, skipped = tech_ban(lines, seed, note)
    tables, figures = [], []
    if rows:
        tables = [ReportTable("tech_ban_intervention", pd.DataFrame(rows),
                              "2023-12 technology ban: step and cumulative effect")]
        figures = [_tech_ban_figure(results)]
    return Part(rows, tables, figures, list(results.values()), skipped, [])


def section(data: RunData, options) -> Body:
    china, lines, cmds = data.china_exports(), monthly_lines(data.monthly), data.commands
    if china.empty and not lines:
        raise NeedsData("needs China's exports by partner: " + cmds["china_annual"]
                        + "; and for the monthly analysis " + cmds["monthly"])
    annual = annual_part(china, cmds["china_annual"], options.note)
    monthly = monthly_part(lines, options.seed, cmds["monthly"], options.note)
    skipped, missing = annual.skipped + monthly.skipped, annual.missing + monthly.missing
    text = [_describe(annual.rows, monthly.rows)]
    if skipped:
        text.append("Not estimated: " + "; ".join(skipped) + ".")
    caveats = caveat_lines([*annual.results, *monthly.results])
    if caveats:
        text.append("Caveats: " + " ".join(f"({i + 1}) {c}" for i, c in enumerate(caveats)))
    tables = (*annual.tables, *monthly.tables)
    if not tables:
        raise NeedsData("no estimable analysis: " + "; ".join(skipped + missing),
                        text="\n\n".join(t for t in text if t))
    return Body("\n\n".join(t for t in text if t), tables, (*annual.figures, *monthly.figures),
                message=("partial: " + "; ".join(missing)) if missing else "")


def _describe(rows: list[dict], m_rows: list[dict]) -> str:
    parts = []
    for r in rows:
        parts.append(f"HS {r['hs6']}: {r['estimate']:+.3f} (p = {r['p_value']:.3f}, "
                     f"pre-trend p = {r['pretrend_p']:.3f})")
    text = ("2015 quota removal, exposure DiD (PPML, log points for the ten largest "
            "2010-2014 buyers against the rest): " + "; ".join(parts) + "." if parts else "")
    m_parts = [f"HS {r['hs6']}: cumulative {r['cumulative_effect']:+.1%} "
               f"[{r['cumulative_low']:+.1%}, {r['cumulative_high']:+.1%}] over {r['months']} "
               "months" for r in m_rows]
    if m_parts:
        text += (" " if text else "") + ("December 2023 technology ban, monthly exports against "
                                         "the counterfactual: " + "; ".join(m_parts) + ".")
    return text
