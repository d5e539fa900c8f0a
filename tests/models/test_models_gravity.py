"""Structural gravity (PPML) and Poisson counterfactual predictions against statsmodels.

Tolerances, and why:
* PPML coefficient vs statsmodels GLM Poisson with exporter-year, importer-year and
  pair dummies: rtol 1e-5 (both iterate IRLS to ~1e-8 on the deviance).
* Clustered SE: compared without small-sample correction (CRV0 on both sides), rtol
  1e-4. With three-way dummies the rank deficiency statsmodels finds is larger than
  the one-per-extra-FE pyfixest subtracts, so the (N-1)/(N-K) factors differ by
  design; the uncorrected sandwich is the like-for-like comparison.
* Counterfactual predictions from fixed-effects-only (and with-regressor) Poisson fits
  vs statsmodels GLM predictions: rtol 1e-6 (recovery of the fixed effects is exact
  up to the IRLS tolerance).
* Simulation (effect -0.5 built in, per-seed SE about 0.025): mean over 5 seeds within
  0.05 of the truth; the imputation effect within 0.05 of exp(-0.5) - 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from retrade.errors import CollinearityWarning, SpecificationError, require
from retrade.models.events import define_treatment
from retrade.models.gravity import gravity
from retrade.models.poisson import poisson_predict
from retrade.models.simulate import gravity_panel

# statsmodels warns that the three-way dummy design is rank deficient; that is expected
pytestmark = pytest.mark.filterwarnings(
    "ignore::statsmodels.tools.sm_exceptions.SingularMatrixWarning")

HALT = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
EVERYONE = define_treatment("everyone", "2016-01-01", hs6=["284690"])
SMALL = dict(exporters=("CHN", "AUS", "USA", "MYS"), importers=("JPN", "USA", "DEU", "KOR", "NLD"),
             years=range(2013, 2019))


def _by_hand(panel: pd.DataFrame) -> pd.DataFrame:
    d = panel.rename(columns={"reporter": "exporter", "partner": "importer", "value_usd": "y"})
    d = d[["exporter", "importer", "year", "y"]].copy()
    d["R"] = ((d["exporter"] == "CHN") & d["importer"].isin(["JPN", "USA"])
              & (d["year"] >= 2016)).astype(float)
    d["pair"] = d["exporter"] + d["importer"]
    return d


def test_ppml_gravity_matches_glm_poisson_with_dummies():
    panel = gravity_panel(**SMALL, seed=7)
    res = gravity(panel, HALT, small_sample="none")
    d = _by_hand(panel)
    assert len(d) == res.info.n_obs  # no zero flows at this scale, nothing dropped
    ref = smf.glm("y ~ R + C(exporter):C(year) + C(importer):C(year) + C(pair)", d,
                  family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": d["pair"], "use_correction": False}, tol=1e-12)
    got = res.tidy().iloc[0]
    assert got["estimate"] == pytest.approx(ref.params["R"], rel=1e-5)
    assert got["std_error"] == pytest.approx(ref.bse["R"], rel=1e-4)


@pytest.mark.parametrize("formula, sm_formula", [
    ("y ~ 1 | g + h", "y ~ C(g) + C(h)"),
    ("y ~ x | g + h", "y ~ x + C(g) + C(h)"),
])
def test_poisson_counterfactual_predictions_match_statsmodels(formula, sm_formula):
    pf = require("pyfixest", "models")
    rng = np.random.default_rng(3)
    d = pd.DataFrame([(f"g{i}", f"h{t}") for i in range(8) for t in range(6)], columns=["g", "h"])
    d["x"] = rng.normal(size=len(d))
    d["y"] = rng.poisson(np.exp(1.5 + 0.3 * d["x"] + 0.2 * d.index % 4)).astype(float)
    held_out = (d["g"] == "g2") & d["h"].isin(["h4", "h5"])
    fit = pf.fepois(formula, data=d[~held_out])
    ref = smf.glm(sm_formula, d[~held_out], family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(poisson_predict(fit, ["g", "h"], d), ref.predict(d), rtol=1e-6)


def test_imputation_counterfactual_matches_statsmodels():
    panel = gravity_panel(**SMALL, seed=8)
    res = gravity(panel, HALT)
    d = _by_hand(panel)
    d["ey"], d["iy"] = d["exporter"] + d["year"].astype(str), d["importer"] + d["year"].astype(str)
    untreated, treated = d[d["R"] == 0], d[d["R"] == 1]
    ref = smf.glm("y ~ C(ey) + C(iy) + C(pair)", untreated, family=sm.families.Poisson()).fit(
        tol=1e-12)
    expected = treated.assign(cf=ref.predict(treated)).groupby("year")["cf"].sum()
    got = res.counterfactual.set_index("year")["counterfactual"]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_simulated_restriction_and_imputation_effect_are_recovered():
    estimates, effects = [], []
    for seed in range(5):
        res = gravity(gravity_panel(effect=-0.5, seed=20 + seed), HALT)
        estimates.append(res.tidy()["estimate"].iloc[0])
        effects.append(res.effect())
    assert np.mean(estimates) == pytest.approx(-0.5, abs=0.05)
    assert np.mean(effects) == pytest.approx(np.expm1(-0.5), abs=0.05)


def test_product_variation_identifies_an_economy_wide_measure():
    panel = gravity_panel(hs6=("284690", "280530"), product_effect=("284690",), effect=-0.4,
                          targets=("JPN", "USA", "DEU", "KOR", "NLD", "FRA", "IND", "THA"), seed=9)
    res = gravity(panel, EVERYONE, hs6=["284690", "280530"], by_hs6=True)
    got = res.tidy().iloc[0]
    assert abs(got["estimate"] + 0.4) < 4 * got["std_error"]
    assert "pair_hs6" in res.info.fixed_effects


def test_china_only_post_dummy_is_collinear_with_exporter_time_effects():
    with pytest.warns(CollinearityWarning, match="exporter and year"), pytest.raises(
            SpecificationError, match="collinear"):
        gravity(gravity_panel(**SMALL, seed=1), EVERYONE)


@pytest.mark.parametrize("event, kwargs, message", [
    ("2025-04 controls", {"hs6": "284690"}, "outside the data"),
    (HALT, {"targets": ["BRA"]}, "zero everywhere"),
    (HALT, {"cluster": "province"}, "province"),
    (HALT, {"flow": "re-export"}, "flow must be"),
])
def test_gravity_bad_specifications(event, kwargs, message):
    with pytest.raises((SpecificationError, ValueError), match=message):
        gravity(gravity_panel(**SMALL, seed=1), event, **kwargs)
