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

import numpy as np
import pandas as pd

import retrade.models as rm
from retrade.errors import SpecificationError
from retrade.pipeline.data import Body, NeedsData, RunData
from retrade.pipeline.labels import MONTHLY_SOURCE, STAGE, WITS_SOURCE
from retrade.report import ReportFigure, ReportTable
from retrade.report.figures import millions_axis

LINES = ("280530", "284690", "850511")
FIGURE_LINES = ("284690", "280530", "850511")  # the line drawn: compounds where there are any
DID_SOURCE = WITS_SOURCE.rstrip(".") + "; PPML difference-in-differences (partner and year " \
    "fixed effects, errors clustered by partner)."
COEF_FORMATS = {"estimate": "coef", "std_error": "number:3", "conf_low": "coef",
                "conf_high": "coef", "pretrend_f": "number:2", "step_log": "coef",
                "cumulative_effect": "change", "cumulative_low": "change",
                "cumulative_high": "change", "level": "percent:0"}
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
        try:  # one design (balanced panel, exposure, outcome) for both models
            design = rm.build_design(china, ANNUAL_EVENT, hs6=hs6, outcome="ppml",
                                     exposure=_exposure())
            did, study = rm.exposure_did(design), rm.event_study(design)
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
        ax.set_title(f"Rare-earth {STAGE.get(hs6, hs6)} (HS {hs6})")
        ax.set_xlabel("years after the quota removal (0 = 2015)")
        if ax.get_legend() is not None and ax is not axes[0][0]:
            ax.get_legend().remove()
    axes[0][0].set_ylabel("log points, top-10 buyers vs others")
    fig.tight_layout()
    return ReportFigure("quota_removal_event_study_plot", fig,
                        "China's exports to its ten largest 2010-2014 buyers against its other "
                        "buyers, by year around the 2015 quota removal (log points; band: 95% "
                        "interval; hollow dot: 2014, the reference year; dashed line: 2015)",
                        DID_SOURCE, appendix=True)


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


def monthly_needs(monthly: pd.DataFrame | None, command: str) -> str:
    """What the monthly analysis lacks, naming the monthly tables already imported.

    A table of world totals by mineral group (such as ``overview_monthly``)
    feeds the forecasts but not this analysis, which needs China's exports
    by HS6 line; the message says so instead of asking for the table again.

    Examples
    --------
    >>> m = pd.DataFrame({"table": ["overview_monthly"]})
    >>> monthly_needs(m, "retrade import FILE").split(";")[0]
    'the imported monthly table overview_monthly holds no China export value by HS6 line'
    """
    if monthly is None or monthly.empty:
        return command
    names = ", ".join(sorted(monthly["table"].astype(str).unique()))
    plural = "s" if "," in names else ""
    return (f"the imported monthly table{plural} {names} hold{'' if plural else 's'} no China "
            f"export value by HS6 line; {command}")


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
                     "cumulative_low": c.relative_low, "cumulative_high": c.relative_high,
                     "level": c.level})
        results[hs6] = res
    return rows, results, skipped


def _tech_ban_figure(results: dict) -> ReportFigure:
    hs6 = next(h for h in (*FIGURE_LINES, *results) if h in results)
    ax = results[hs6].plot()
    ax.figure.set_size_inches(8, 3.4)
    ax.set_title("")
    ax.set_ylabel("USD millions a month")
    millions_axis(ax)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles, ["observed", "expected without the ban (model before December 2023)"],
              loc="upper left")
    return ReportFigure("tech_ban_intervention_plot", ax.figure,
                        f"China's monthly exports of rare-earth {STAGE.get(hs6, hs6)} (HS {hs6}) "
                        "against the path expected without the December 2023 technology ban "
                        "(USD millions; shaded: 95% interval of the expected path)",
                        MONTHLY_SOURCE)


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
                              "2015 quota removal: difference-in-differences coefficients "
                              "(post-2015 x top-10 buyer, PPML on export value)", DID_SOURCE,
                              COEF_FORMATS, appendix=True),
                  ReportTable("quota_removal_event_study", _event_table(studies),
                              "2015 quota removal: event-study coefficients by year (reference: "
                              "2014)", DID_SOURCE, COEF_FORMATS, appendix=True)]
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
                              "December 2023 technology ban: intervention-model coefficients "
                              "and cumulative effect", MONTHLY_SOURCE, COEF_FORMATS,
                              appendix=True)]
        figures = [_tech_ban_figure(results)]
    return Part(rows, tables, figures, list(results.values()), skipped, [])


def section(data: RunData, options) -> Body:
    china, lines, cmds = data.china_exports(), monthly_lines(data.monthly), data.commands
    needed = monthly_needs(data.monthly, cmds["monthly_lines"])
    if china.empty and not lines:
        raise NeedsData("needs China's exports by partner: " + cmds["china_annual"]
                        + "; and for the monthly analysis " + needed)
    annual = annual_part(china, cmds["china_annual"], options.note)
    monthly = monthly_part(lines, options.seed, needed, options.note)
    skipped, missing = annual.skipped + monthly.skipped, annual.missing + monthly.missing
    text = [_describe(annual.rows, monthly.rows)]
    if skipped:
        text.append("Not estimated: " + "; ".join(skipped) + ".")
    caveats = caveat_lines([*annual.results, *monthly.results])
    notes = ("Caveats: " + " ".join(f"({i + 1}) {c.rstrip('.')}." for i, c in
                                    enumerate(caveats))) if caveats else ""
    if caveats:
        text.append(f"The appendix lists {len(caveats)} caveats of these estimates (zeros "
                    "filled, flagged years, pre-trends, what the intervals leave out).")
    tables = (*annual.tables, *monthly.tables)
    if tables:
        tables = (effects_table(annual.rows, monthly.rows), *tables)
    if not tables:
        raise NeedsData("no estimable analysis: " + "; ".join(skipped + missing),
                        text="\n\n".join(t for t in text if t))
    return Body("\n\n".join(t for t in text if t), tables, (*annual.figures, *monthly.figures),
                message=("partial: " + "; ".join(missing)) if missing else "", notes=notes)


def effects_rows(rows: list[dict], m_rows: list[dict]) -> pd.DataFrame:
    """Both events' effects as percent changes with their intervals, one row per line.

    The DiD's log-point coefficients become ``exp(b) - 1``; the intervention's
    cumulative effect is already relative. Newest event first.
    """
    out = [{"event": "December 2023 technology ban", "hs6": r["hs6"],
            "product": STAGE.get(r["hs6"], r["hs6"]), "effect": r["cumulative_effect"],
            "low": r["cumulative_low"], "high": r["cumulative_high"],
            "over": f"{r['months']} months", "p_value": r["p_value"],
            "pretrend_p": float("nan")} for r in m_rows]
    out += [{"event": "2015 quota removal", "hs6": r["hs6"],
             "product": STAGE.get(r["hs6"], r["hs6"]), "effect": np.expm1(r["estimate"]),
             "low": np.expm1(r["conf_low"]), "high": np.expm1(r["conf_high"]),
             "over": "2015-2024, top-10 buyers vs others", "p_value": r["p_value"],
             "pretrend_p": r["pretrend_p"]} for r in rows]
    return pd.DataFrame(out, columns=["event", "hs6", "product", "effect", "low", "high", "over",
                                      "p_value", "pretrend_p"])


def effects_table(rows: list[dict], m_rows: list[dict]) -> ReportTable:
    return ReportTable(
        "restriction_effects", effects_rows(rows, m_rows),
        "Estimated effects on China's export value (% change; 95% interval)",
        "WITS (China's exports by partner) for 2015; China's monthly exports as reported to UN "
        "Comtrade for 2023.",
        {"effect": "change", "low": "change", "high": "change"},
        {"hs6": "HS code", "effect": "effect", "low": "interval from", "high": "to",
         "over": "measured over", "p_value": "p-value", "pretrend_p": "pre-trend test p"})


def _interval(effect: float, low: float, high: float) -> str:
    from retrade.report.format import format_value as fv

    return f"{fv(effect, 'change')} ({fv(low, 'change')} to {fv(high, 'change')})"


def _verdict(lows: list[float], highs: list[float]) -> str:
    clear = sum(1 for lo, hi in zip(lows, highs, strict=True) if hi < 0 or lo > 0)
    if clear == 0:
        return "none of the intervals rules out no effect"
    return f"{clear} of {len(lows)} intervals rule out no effect"


def _describe(rows: list[dict], m_rows: list[dict]) -> str:
    parts = []
    if m_rows:
        effects = "; ".join(
            f"{STAGE.get(r['hs6'], r['hs6'])} {_interval(r['cumulative_effect'], r['cumulative_low'], r['cumulative_high'])}"  # noqa: E501
            for r in m_rows)
        parts.append(
            f"December 2023 technology ban. Over the {m_rows[0]['months']} months that "
            "followed, China's export value differed from the path that a model of the "
            f"earlier months expects by: {effects} (95% intervals); "
            f"{_verdict([r['cumulative_low'] for r in m_rows], [r['cumulative_high'] for r in m_rows])}. "  # noqa: E501
            "The ban covered processing technology, not goods, so any effect on trade is "
            "indirect.")
    if rows:
        effects = "; ".join(
            f"{STAGE.get(r['hs6'], r['hs6'])} "
            f"{_interval(np.expm1(r['estimate']), np.expm1(r['conf_low']), np.expm1(r['conf_high']))}"  # noqa: E501
            for r in rows)
        shaky = [STAGE.get(r["hs6"], r["hs6"]) for r in rows if r["pretrend_p"] < 0.05]
        trend = (f" For {' and '.join(shaky)} the two groups already moved apart before 2015 "
                 "(pre-trend tests in the appendix), so read those estimates with care."
                 if shaky else "")
        parts.append(
            "2015 quota removal. China's exports to its ten largest 2010-2014 buyers against "
            f"its other buyers, after 2015 and before: {effects} (95% intervals).{trend}")
    return "\n\n".join(parts)
