"""Element-level DiD and event studies against independent computations and known effects.

Tolerances, and why:
* OLS coefficients vs statsmodels OLS with unit and month dummies: rtol 1e-6 (pyfixest
  demeans by alternating projections to 1e-10 rather than inverting the dummy design).
* Element-clustered SEs with ``small_sample="dummies"`` vs statsmodels
  ``cov_type="cluster"`` (G/(G-1) x (N-1)/(N-K), K counting every dummy): rtol 1e-6.
* PPML vs statsmodels GLM Poisson with dummies: rtol 1e-5 on the coefficient (both iterate
  IRLS to ~1e-8 on the deviance).
* Simulations (effect -0.5 built in, noise 0.15 a unit-month, per-seed SE about 0.015):
  the mean over 6 seeds within 0.02 of the truth, and at least 5 of the 6 95% intervals
  contain it (6 of 6 expected 74% of the time at exact coverage; 5 or more 97%). A placebo
  date a year before the controls, on data that end before them: at least 5 of 6 intervals
  contain zero and the mean is within 0.02 of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from retrade.errors import ConfigError, SpecificationError
from retrade.models.elements import element_did, element_event_study
from retrade.models.events import define_treatment
from retrade.models.simulate import element_panel

APRIL = ("Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y")
SEEDS = range(10, 16)


def _by_hand(panel: pd.DataFrame) -> pd.DataFrame:
    """The April design rebuilt here: units without the October elements, April 2025 out."""
    d = panel[~panel["element"].isin(["Eu", "Ho", "Er", "Tm", "Yb"])]
    d = d[d["period"] != "2025-04"].copy()
    d["unit"] = d["hs_original"]
    d["y"] = np.log1p(d["net_weight_kg"].astype(float))
    d["D"] = (d["element"].isin(APRIL) & (d["period"] >= "2025-05")).astype(float)
    return d


def test_did_matches_ols_with_dummies_and_element_clusters():
    panel = element_panel(effect=-0.4, seed=5)
    res = element_did(panel, "2025-04 controls", small_sample="dummies")
    d = _by_hand(panel)
    assert res.info.n_obs == len(d)  # every unit-month traded: no zero fill in this panel
    ref = smf.ols("y ~ D + C(unit) + C(period)", d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["element"])[0]})
    got = res.tidy().iloc[0]
    assert got["estimate"] == pytest.approx(ref.params["D"], rel=1e-6)
    assert got["std_error"] == pytest.approx(ref.bse["D"], rel=1e-6)


def test_ppml_matches_glm_poisson_with_dummies():
    panel = element_panel(effect=-0.4, seed=6)
    res = element_did(panel, "2025-04 controls", outcome="ppml", measure="value_usd")
    d = _by_hand(panel)
    d["v"] = d["value_usd"].astype(float) / 1e6
    ref = smf.glm("v ~ D + C(unit) + C(period)", d, family=sm.families.Poisson()).fit(tol=1e-12)
    assert res.tidy()["estimate"].iloc[0] == pytest.approx(ref.params["D"], rel=1e-5)


def test_known_effect_is_recovered_within_its_interval():
    rows = [element_did(element_panel(effect=-0.5, seed=s), "2025-04 controls").tidy().iloc[0]
            for s in SEEDS]
    estimates = np.array([r["estimate"] for r in rows])
    inside = sum(r["conf_low"] <= -0.5 <= r["conf_high"] for r in rows)
    assert abs(estimates.mean() + 0.5) < 0.02
    assert inside >= 5


def test_a_placebo_date_gives_no_effect():
    placebo = define_treatment("placebo 2024-04", "2024-04-04", elements=APRIL)
    rows = []
    for s in SEEDS:
        before = element_panel(effect=-0.5, seed=s)
        before = before[before["period"] < "2025-04"]
        rows.append(element_did(before, placebo).tidy().iloc[0])
    inside = sum(r["conf_low"] <= 0 <= r["conf_high"] for r in rows)
    assert abs(np.mean([r["estimate"] for r in rows])) < 0.02
    assert inside >= 5


def test_october_extension_and_its_suspension_are_further_events():
    panel = element_panel(effect=-0.5, october_effect=-0.6, seed=7)
    res = element_did(panel)
    terms = res.tidy().set_index("term")["estimate"]
    assert list(terms.index) == ["2025-04 controls: controlled x in force",
                                 "2025-10 controls: controlled x in force",
                                 "2025-10 controls: controlled x after 2025-11-07"]
    assert terms.iloc[0] == pytest.approx(-0.5, abs=0.05)
    assert terms.iloc[1] == pytest.approx(-0.6, abs=0.4)  # one unit-month: wide
    caveats = " ".join(res.caveats)
    assert "may never have bound" in caveats and "MacKinnon and Webb" in caveats
    assert "Stockpiling" in caveats and "Licensing" in caveats and "Reclassification" in caveats
    assert "Eu" in res.treated and set(res.controls) == {"La", "Ce", "Nd", "Pr"}


def test_event_study_recovers_the_path_and_flat_leads():
    es = element_event_study(element_panel(effect=-0.5, seed=8), window=(-6, 4), cluster="unit")
    table = es.event_table().set_index("event_time")
    post, leads = table.loc[0:4], table.loc[-6:-2]
    assert ((post["conf_low"] <= -0.5) & (post["conf_high"] >= -0.5)).sum() >= 4
    assert ((leads["conf_low"] <= 0) & (leads["conf_high"] >= 0)).sum() >= 4
    assert es.pretrend is not None and not es.pretrend.rejects(0.01)
    ax = es.plot()
    assert ax.get_xlabel().startswith("months relative")


def test_partner_units_where_the_data_have_partners():
    panel = element_panel(effect=-0.5, partners=("JPN", "USA", "KOR"), seed=9)
    res = element_did(panel, "2025-04 controls", by_partner=True)
    assert res.info.fixed_effects == ("line x partner", "month")
    assert res.tidy()["estimate"].iloc[0] == pytest.approx(-0.5, abs=0.03)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"outcome": "log"}, ConfigError, "'log'"),
    ({"measure": "tonnes"}, ConfigError, "'tonnes'"),
    ({"events": "2030 controls"}, SpecificationError, "unknown event"),
    ({"flow": "import"}, SpecificationError, "no CHN import rows"),
    ({"events": "2015 quota removal"}, SpecificationError, "no pre-event period"),
])
def test_bad_specifications_are_one_line_errors(kwargs, error, message):
    panel = element_panel(seed=1)
    events = kwargs.pop("events", "2025-04 controls")
    with pytest.raises(error, match=message):
        element_did(panel, events, **kwargs)
