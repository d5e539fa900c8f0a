"""Exposure DiD and event studies against independent computations.

Tolerances, and why:
* OLS coefficients vs statsmodels OLS with dummy variables: rtol 1e-6; pyfixest
  demeans by alternating projections (to 1e-10, retrade's setting) rather than
  inverting the dummy design.
* Clustered SEs with ``small_sample="dummies"`` vs statsmodels ``cov_type="cluster"``
  (its correction G/(G-1) x (N-1)/(N-K) counts every dummy): rtol 1e-6, same reason.
* PPML vs statsmodels GLM Poisson with dummies: rtol 1e-5 on coefficients and 1e-4
  on SEs; both iterate IRLS to ~1e-8 on the deviance, which leaves ~1e-6 in beta.
* 2x2 DiD vs the difference of four means: 1e-10 (exact arithmetic up to rounding).
* Simulations (effect -0.3 built in, per-seed SE about 0.05): the mean over 8 seeds
  lies within 0.04 of the truth (about 2.5 Monte Carlo SEs of the mean) and no seed
  is more than 4 SEs off. Pre-trend test: with a built-in differential pre-trend of
  0.15 per year it rejects at 5% for every seed below; without one it does not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from retrade.errors import CollinearityWarning, PreTrendWarning, SpecificationError
from retrade.models.did import event_study, exposure_did
from retrade.models.events import define_treatment
from retrade.models.exposure import baseline_share, named, top_k
from retrade.models.simulate import exposure_panel

EVENT = "2015 quota removal"


def _wide(panel: pd.DataFrame) -> pd.DataFrame:
    """Independent balancing: partner x year with zeros (pandas pivot)."""
    wide = panel.pivot_table(index="partner", columns="year", values="value_usd", aggfunc="sum",
                             fill_value=0.0)
    return wide.stack().rename("value").reset_index()


def _by_hand(panel: pd.DataFrame, k: int = 8, transform=np.log1p) -> pd.DataFrame:
    long = _wide(panel)
    base = long[long["year"] < 2015].groupby("partner")["value"].mean()
    exposed = set(base.sort_values(ascending=False).index[:k])
    long["exposure"] = long["partner"].isin(exposed).astype(float)
    long["treat"] = long["exposure"] * (long["year"] >= 2015)
    long["y"] = transform(long["value"])
    return long


@pytest.mark.parametrize("cluster, groups", [
    ("partner", lambda d: d["partner"]),
    (("partner", "t"),
     lambda d: np.column_stack([d["partner"].astype("category").cat.codes, d["year"]])),
])
def test_ols_did_matches_statsmodels_with_dummies(cluster, groups):
    panel = exposure_panel(n_partners=25, n_exposed=6, years=range(2010, 2019), seed=4)
    res = exposure_did(panel, EVENT, hs6="284690", exposure=top_k(6), cluster=cluster,
                       small_sample="dummies")
    d = _by_hand(panel, k=6)
    ref = smf.ols("y ~ treat + C(partner) + C(year)", d).fit(
        cov_type="cluster", cov_kwds={"groups": groups(d)})  # (SEs of some dummies are NaN)
    got = res.tidy().iloc[0]
    assert got["estimate"] == pytest.approx(ref.params["treat"], rel=1e-6)
    assert got["std_error"] == pytest.approx(ref.bse["treat"], rel=1e-6)
    assert res.info.n_obs == len(d)


def test_fixest_correction_differs_from_dummies_by_the_stated_factor():
    panel = exposure_panel(n_partners=25, n_exposed=6, years=range(2010, 2019), seed=5)
    kw = dict(hs6="284690", exposure=top_k(6), cluster="partner")
    nested = exposure_did(panel, EVENT, small_sample="fixest", **kw).tidy().iloc[0]
    dummies = exposure_did(panel, EVENT, small_sample="dummies", **kw).tidy().iloc[0]
    n, g, years = 25 * 9, 25, 9
    k_dummies = 1 + (g + years - 1)  # treat + every FE level (one level absorbed)
    k_nested = 1 + (years - 1) + 1   # partner FE nested in the clusters: one kept, as fixest does
    factor = np.sqrt((n - k_dummies) / (n - k_nested))
    assert nested["std_error"] == pytest.approx(dummies["std_error"] * factor, rel=1e-8)


def test_ppml_did_matches_statsmodels_glm_poisson():
    panel = exposure_panel(n_partners=20, n_exposed=5, years=range(2011, 2019), poisson=True,
                           seed=6)
    res = exposure_did(panel, EVENT, hs6="284690", outcome="ppml", exposure=top_k(5),
                       small_sample="dummies")
    d = _by_hand(panel, k=5, transform=lambda v: v)
    ref = smf.glm("y ~ treat + C(partner) + C(year)", d, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": d["partner"]}, tol=1e-12)
    got = res.tidy().iloc[0]
    assert got["estimate"] == pytest.approx(ref.params["treat"], rel=1e-5)
    assert got["std_error"] == pytest.approx(ref.bse["treat"], rel=1e-4)


def test_continuous_share_exposure_matches_statsmodels():
    panel = exposure_panel(n_partners=20, n_exposed=4, years=range(2010, 2018), seed=7)
    res = exposure_did(panel, EVENT, hs6="284690", exposure=baseline_share(baseline=(2010, 2012)),
                       outcome="log", small_sample="dummies")
    d = _by_hand(panel, transform=np.log)
    base = d[d["year"].between(2010, 2012)].groupby("partner")["value"].sum()
    d["share"] = d["partner"].map(base / base.sum())
    d["treat"] = d["share"] * (d["year"] >= 2015)
    ref = smf.ols("y ~ treat + C(partner) + C(year)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["partner"]})
    assert res.tidy()["estimate"].iloc[0] == pytest.approx(ref.params["treat"], rel=1e-6)
    assert res.tidy()["std_error"].iloc[0] == pytest.approx(ref.bse["treat"], rel=1e-6)


def test_two_by_two_did_is_the_difference_of_means():
    rows = [(p, y, v) for p, vs in {"JPN": (10, 4), "KOR": (12, 7), "USA": (9, 8),
                                    "DEU": (5, 6), "FRA": (3, 3.5), "ITA": (8, 9.5)}.items()
            for y, v in zip((2014, 2015), vs, strict=True)]
    panel = pd.DataFrame(rows, columns=["partner", "year", "value_usd"]).assign(
        source="test", frequency="A", reporter="CHN", flow="export", hs6="284690",
        net_weight_kg=1.0, period=lambda d: d["year"].astype(str))
    event = define_treatment("test event", "2015-01-01", hs6=["284690"])
    res = exposure_did(panel, event, outcome="log", exposure=named(["JPN", "KOR", "USA"]))
    y = np.log(panel.set_index(["partner", "year"])["value_usd"])
    treated, control = ["JPN", "KOR", "USA"], ["DEU", "FRA", "ITA"]

    def change(group):
        return np.mean([y[(p, 2015)] - y[(p, 2014)] for p in group])

    expected = change(treated) - change(control)
    assert res.tidy()["estimate"].iloc[0] == pytest.approx(expected, abs=1e-10)


def test_event_study_matches_statsmodels_and_its_pretrend_statistic():
    panel = exposure_panel(n_partners=25, n_exposed=6, years=range(2010, 2019), seed=8)
    es = event_study(panel, EVENT, hs6="284690", exposure=top_k(6), small_sample="dummies")
    d = _by_hand(panel, k=6)
    names = []
    for k in range(-5, 4):
        if k != -1:
            names.append(f"e{k + 5}")
            d[names[-1]] = d["exposure"] * (d["year"] - 2015 == k)
    ref = smf.ols(f"y ~ {' + '.join(names)} + C(partner) + C(year)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["partner"]})
    np.testing.assert_allclose(es.tidy()["estimate"], ref.params[names], rtol=1e-6)
    np.testing.assert_allclose(es.tidy()["std_error"], ref.bse[names], rtol=1e-6)
    leads = names[:4]
    b, v = ref.params[leads].to_numpy(), ref.cov_params().loc[leads, leads].to_numpy()
    assert es.pretrend.statistic == pytest.approx(b @ np.linalg.solve(v, b) / 4, rel=1e-6)
    assert es.pretrend.df_den == 24


def test_simulated_effect_is_recovered():
    estimates, ses = [], []
    for seed in range(8):
        panel = exposure_panel(n_partners=30, effect=-0.3, seed=100 + seed)
        got = exposure_did(panel, EVENT, hs6="284690", exposure=top_k(8)).tidy().iloc[0]
        estimates.append(got["estimate"])
        ses.append(got["std_error"])
    assert np.mean(estimates) == pytest.approx(-0.3, abs=0.04)
    assert np.max(np.abs((np.array(estimates) + 0.3) / np.array(ses))) < 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pretrend_test_rejects_built_in_pretrends_only(seed):
    kw = dict(hs6="284690", exposure=top_k(8))
    with pytest.warns(PreTrendWarning):
        bad = event_study(exposure_panel(pretrend=0.15, seed=seed), EVENT, **kw)
    assert bad.pretrend.p_value < 0.05
    assert any("PRE-TRENDS" in c for c in bad.caveats)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PreTrendWarning)
        good = event_study(exposure_panel(pretrend=0.0, seed=seed), EVENT, **kw)
    assert good.pretrend.p_value > 0.05


def test_event_study_binning_and_table():
    panel = exposure_panel(n_partners=20, n_exposed=5, seed=9)
    es = event_study(panel, EVENT, hs6="284690", exposure=top_k(5), window=(-3, 2))
    table = es.event_table()
    assert table["event_time"].tolist() == [-3, -2, -1, 0, 1, 2]
    assert table.loc[table["reference"], "estimate"].tolist() == [0.0]
    assert any("binned" in c for c in es.caveats)


# --- bad specifications -------------------------------------------------------------

@pytest.fixture(scope="module")
def small_panel():
    return exposure_panel(n_partners=12, n_exposed=3, years=range(2010, 2018), seed=11)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"event": "2025-04 controls"}, SpecificationError, "outside the data"),
    ({"event": "2030 moon ban"}, SpecificationError, "curated events are"),
    ({"exposure": top_k(0)}, SpecificationError, "empty"),
    ({"exposure": top_k(12)}, SpecificationError, "covers every partner"),
    ({"exposure": top_k(3, baseline=(2012, 2016))}, SpecificationError, "reaches into the post"),
    ({"exposure": named(["BRA"])}, SpecificationError, "BRA"),
    ({"cluster": "reporter"}, SpecificationError, "one level"),
    ({"cluster": "province"}, SpecificationError, "province"),
    ({"outcome": "levels"}, ValueError, "log1p"),
    ({"small_sample": "stata"}, ValueError, "fixest"),
    ({"timing": "soon"}, ValueError, "partial"),
])
def test_bad_specifications_raise_clear_errors(small_panel, kwargs, error, message):
    args = {"event": EVENT, "hs6": "284690", "exposure": top_k(3)} | kwargs
    with pytest.raises(error, match=message):
        exposure_did(small_panel, args.pop("event"), **args)


def test_outcome_without_variation_is_an_error(small_panel):
    flat = small_panel.assign(value_usd=5.0)
    with pytest.raises(SpecificationError, match="no variation"):
        exposure_did(flat, EVENT, hs6="284690", exposure=named(["JPN"]), outcome="log")


def test_term_absorbed_by_fixed_effects_warns_then_errors(small_panel):
    # JPN appears only after the event: on positive flows its post x exposure is its own FE
    late = small_panel[(small_panel["partner"] != "JPN") | (small_panel["year"] >= 2015)]
    with pytest.warns(CollinearityWarning, match="collinear"), pytest.raises(
            SpecificationError, match="collinear"):
        exposure_did(late, EVENT, hs6="284690", exposure=named(["JPN"]), outcome="log")


def test_inputs_are_not_mutated(small_panel):
    before = small_panel.copy()
    exposure_did(small_panel, EVENT, hs6="284690", exposure=top_k(3))
    pd.testing.assert_frame_equal(small_panel, before)


def test_monthly_design_skips_the_partly_treated_month():
    # the 2023-12-21 ban: December 2023 is left out, November is event time -1
    rng = np.random.default_rng(12)
    months = pd.period_range("2023-07", "2024-04", freq="M")
    rows = [(p, m, float(np.exp(rng.normal(3 if p in ("JPN", "KOR") else 1, 0.3))))
            for p in ("JPN", "KOR", "USA", "DEU", "FRA", "ITA") for m in months]
    panel = pd.DataFrame(rows, columns=["partner", "month_p", "value_usd"]).assign(
        source="test", frequency="M", reporter="CHN", flow="export", hs6="850511",
        net_weight_kg=1.0, period=lambda d: d["month_p"].astype(str),
        year=lambda d: d["month_p"].dt.year, month=lambda d: d["month_p"].dt.month)
    kw = dict(frequency="M", outcome="log", exposure=named(["JPN", "KOR"]))
    res = exposure_did(panel.drop(columns="month_p"), "2023-12 technology ban", **kw)
    y = panel[panel["month_p"] != pd.Period("2023-12", "M")].assign(
        y=lambda d: np.log(d["value_usd"]),
        post=lambda d: d["month_p"] >= pd.Period("2024-01", "M"),
        treated=lambda d: d["partner"].isin(["JPN", "KOR"]))
    means = y.groupby(["treated", "post"])["y"].mean()
    expected = (means[True, True] - means[True, False]) - (means[False, True] - means[False, False])
    assert res.tidy()["estimate"].iloc[0] == pytest.approx(expected, abs=1e-10)
    assert any("partly treated period 2023-12" in c for c in res.caveats)
    with warnings.catch_warnings():  # six clusters: the lead test is not the point here
        warnings.simplefilter("ignore", PreTrendWarning)
        es = event_study(panel.drop(columns="month_p"), "2023-12 technology ban", **kw)
    assert es.event_table()["event_time"].tolist() == [-5, -4, -3, -2, -1, 0, 1, 2, 3]
