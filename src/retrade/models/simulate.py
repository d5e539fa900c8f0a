"""Simulated panels and series with a known effect, for examples, tests and teaching.

Each generator is deterministic given ``seed`` and returns data in the shape
the models take (panel rows or a monthly series), so the estimate can be
compared with the effect that was built in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

PARTNERS: tuple[str, ...] = (
    "JPN", "USA", "KOR", "DEU", "NLD", "FRA", "ITA", "GBR", "VNM", "THA", "MYS", "IND", "IDN",
    "PHL", "SGP", "AUS", "CAN", "MEX", "BRA", "TUR", "ESP", "POL", "CZE", "AUT", "BEL", "SWE",
    "FIN", "DNK", "NOR", "CHE", "ISR", "ARE", "SAU", "ZAF", "EGY", "NGA", "KEN", "ARG", "CHL",
    "COL", "PER", "NZL", "PAK", "BGD", "LKA", "KAZ", "UZB", "RUS", "UKR", "ROU", "HUN", "PRT",
    "GRC", "IRL", "SVK", "SVN", "HRV", "BGR", "LTU", "LVA", "EST",
)


def exposure_panel(
    *,
    n_partners: int = 40,
    n_exposed: int = 8,
    years: Iterable[int] = range(2010, 2021),
    event_year: int = 2015,
    effect: float = -0.3,
    pretrend: float = 0.0,
    noise: float = 0.2,
    poisson: bool = False,
    hs6: str = "284690",
    seed: int = 0,
) -> pd.DataFrame:
    """China's exports to partners; the ``n_exposed`` largest partners are hit from ``event_year``.

    ln mean flow = 10 + a_p + d_t + effect x post_t x E_p + pretrend x (t - T0 + 1) x E_p x pre_t,
    with exposed partners' a_p in [4, 5] and the others' in [0, 2], so the
    baseline top-``n_exposed`` group is the exposed group. Flows are log-normal
    (``noise`` is the log standard deviation) or, with ``poisson``, Poisson
    counts around exp(mean - 7) so that some are zero; zero flows are left out,
    as sources leave them out.

    Examples
    --------
    >>> p = exposure_panel(n_partners=10, n_exposed=2, years=range(2012, 2016), seed=3)
    >>> sorted(p.columns)[:3], int(p["year"].min()), p["partner"].nunique()
    (['batch', 'flow', 'frequency'], 2012, 10)
    """
    rng = np.random.default_rng(seed)
    years = list(years)
    partners = list(PARTNERS[:n_partners])
    exposed = np.arange(n_partners) < n_exposed
    a = np.where(exposed, rng.uniform(4, 5, n_partners), rng.uniform(0, 2, n_partners))
    d = np.cumsum(rng.normal(0, 0.1, len(years)))
    grid = pd.DataFrame([(p, i, t) for i, p in enumerate(partners) for t in years],
                        columns=["partner", "i", "year"])
    e = exposed[grid["i"]]
    post = grid["year"] >= event_year
    pre_gap = (grid["year"] - event_year + 1).where(~post, 0)
    trend = pretrend * pre_gap * e
    mean = 10 + a[grid["i"]] + d[grid["year"] - years[0]] + effect * post * e + trend
    if poisson:
        value = rng.poisson(np.exp(mean - 7)).astype(float)
    else:
        value = np.exp(mean + rng.normal(0, noise, len(grid)))
    weight = value / np.exp(3 + rng.normal(0, 0.1, len(grid)))
    return _rows(grid.assign(value_usd=value, net_weight_kg=weight), "CHN", hs6, seed)


def _rows(grid: pd.DataFrame, reporter: str | pd.Series, hs6: str | pd.Series,
          seed: int) -> pd.DataFrame:
    out = pd.DataFrame({
        "source": "simulated", "frequency": "A", "period": grid["year"].astype(str),
        "year": grid["year"], "reporter": reporter, "partner": grid["partner"], "flow": "export",
        "hs6": hs6, "stage": "compounds", "value_usd": grid["value_usd"],
        "net_weight_kg": grid["net_weight_kg"], "batch": f"simulated seed={seed}",
    })
    return out[out["value_usd"] > 0].reset_index(drop=True)


def gravity_panel(
    *,
    exporters: Sequence[str] = ("CHN", "AUS", "USA", "MYS", "VNM", "JPN"),
    importers: Sequence[str] = ("JPN", "USA", "DEU", "KOR", "NLD", "FRA", "IND", "THA"),
    years: Iterable[int] = range(2012, 2020),
    event_year: int = 2016,
    targets: Sequence[str] = ("JPN", "USA"),
    effect: float = -0.5,
    scale: float = 6.0,
    hs6: Sequence[str] = ("284690",),
    product_effect: Sequence[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Multi-reporter export panel with exporter-year, importer-year and pair effects.

    Flows are Poisson around exp(scale + f_it + g_jt + h_ij + effect x R_ijt)
    with R = 1 for China's exports to ``targets`` from ``event_year`` (and only
    in the lines ``product_effect`` when given); own-country pairs are left out.

    Examples
    --------
    >>> g = gravity_panel(seed=1)
    >>> sorted(g["reporter"].unique())[:2]
    ['AUS', 'CHN']
    """
    rng = np.random.default_rng(seed)
    years = list(years)
    rows = [(i, j, h, t) for i in exporters for j in importers if i != j
            for h in hs6 for t in years]
    g = pd.DataFrame(rows, columns=["reporter", "partner", "hs6", "year"])
    f = {(i, t): rng.normal(0, 0.5) for i in exporters for t in years}
    m = {(j, t): rng.normal(0, 0.5) for j in importers for t in years}
    pair = {(i, j, h): rng.normal(0, 1.0) for i in exporters for j in importers for h in hs6}
    hit = (g["reporter"] == "CHN") & g["partner"].isin(targets) & (g["year"] >= event_year)
    if product_effect is not None:
        hit &= g["hs6"].isin(product_effect)
    eta = (scale + np.array([f[k] for k in zip(g["reporter"], g["year"], strict=True)])
           + np.array([m[k] for k in zip(g["partner"], g["year"], strict=True)])
           + np.array([pair[k] for k in zip(g["reporter"], g["partner"], g["hs6"], strict=True)])
           + effect * hit)
    g["value_usd"] = rng.poisson(np.exp(eta)).astype(float)
    g["net_weight_kg"] = g["value_usd"] / 10.0
    return _rows(g, g["reporter"], g["hs6"], seed)


def monthly_series(
    *,
    start: str = "2017-01",
    periods: int = 96,
    event: str = "2023-01",
    step: float = 0.0,
    ar: float = 0.5,
    noise: float = 0.05,
    season: float = 0.1,
    level: float = 18.0,
    seed: int = 0,
) -> pd.Series:
    """Monthly series exp(level + seasonal + AR(1) + step x 1[t >= event]) on a PeriodIndex.

    Examples
    --------
    >>> s = monthly_series(periods=24, seed=2)
    >>> str(s.index[0]), len(s)
    ('2017-01', 24)
    """
    rng = np.random.default_rng(seed)
    index = pd.period_range(start, periods=periods, freq="M")
    u = np.zeros(periods)
    shocks = rng.normal(0, noise, periods)
    for k in range(periods):
        u[k] = (ar * u[k - 1] if k else 0.0) + shocks[k]
    seasonal = season * np.sin(2 * np.pi * (index.month.to_numpy() - 1) / 12)
    after = (index >= pd.Period(event, freq="M")).astype(float)
    return pd.Series(np.exp(level + seasonal + u + step * after), index=index, name="value_usd")


def element_panel(
    *,
    start: str = "2022-01",
    end: str = "2025-12",
    effect: float = -0.5,
    event: str = "2025-04-04",
    october_effect: float = 0.0,
    partners: Sequence[str] = (),
    noise: float = 0.15,
    seed: int = 0,
) -> pd.DataFrame:
    """China's monthly exports by single-element HS8 line, SIMULATED, with a known effect.

    Units are the catalog's single-element lines (:mod:`retrade.catalog.elements`; Sc and
    Lu lines from 2022), by partner when ``partners`` are given (else World). ln kg =
    a_u + d_t + ``effect`` x [element named by the April 2025 controls] x [month after
    ``event``'s month] + ``october_effect`` x [element named in October 2025] x
    [November 2025] + noise; the month of ``event`` gets half the effect. Rows are in the
    element panel's columns, source ``simulated``.

    Examples
    --------
    >>> p = element_panel(seed=2)
    >>> p["source"].unique().tolist(), sorted(p["element"].unique())[:3]
    (['simulated'], ['Ce', 'Dy', 'Eu'])
    """
    from retrade.catalog.elements import element_lines
    from retrade.panel.elements import _with_content

    rng = np.random.default_rng(seed)
    lines = element_lines()
    lines = lines[(lines["scope"] == "element") & (lines["last_year"] >= 2023)]
    april = ("Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y")
    october = ("Ho", "Er", "Tm", "Eu", "Yb")
    months = pd.period_range(start, end, freq="M")
    who = list(partners) or ["WLD"]
    units = lines[["code", "form", "element"]].merge(pd.DataFrame({"partner": who}), how="cross")
    grid = units.loc[units.index.repeat(len(months))].reset_index(drop=True)
    grid["month"] = np.tile(np.arange(len(months)), len(units))
    grid["period"] = months.astype(str)[grid["month"]]
    date = pd.Period(pd.Timestamp(event), freq="M")
    since = (months - date).map(lambda d: d.n).to_numpy()[grid["month"]]
    hit = grid["element"].isin(april).to_numpy() * np.where(since > 0, 1.0, np.where(
        since == 0, 0.5, 0.0))
    oct_on = grid["element"].isin(october).to_numpy() * (grid["period"] == "2025-11").to_numpy()
    a = rng.uniform(6, 11, len(units))[np.arange(len(grid)) // len(months)]
    d = np.cumsum(rng.normal(0, 0.05, len(months)))[grid["month"]]
    log_kg = a + d + effect * hit + october_effect * oct_on + rng.normal(0, noise, len(grid))
    kg = np.exp(log_kg)
    exists = grid["period"].str[:4].astype(int) >= lines.set_index("code")["first_year"].reindex(
        grid["code"]).to_numpy()
    rows = grid.assign(
        source="simulated", reporter="CHN", flow="export", hs_original=grid["code"],
        year=grid["period"].str[:4].astype(int), month=grid["period"].str[5:].astype(int),
        net_weight_kg=kg, value_usd=kg * np.exp(rng.normal(4, 0.3, len(grid))),
        scope="element", elements=grid["element"], mixtures=False,
        april_2025=np.where(grid["element"].isin(april), "all", "none"),
        october_2025=np.where(grid["element"].isin(october), "all", "none"))[exists]
    rows["hs6"] = rows["hs_original"].str[:6]
    return _with_content(rows.reset_index(drop=True))
