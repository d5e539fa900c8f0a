"""A model estimated on a prepared design against the same model from panel rows.

``build_design`` / ``gravity_design`` prepare a model's data once; ``exposure_did``,
``event_study`` and ``gravity`` take the design in place of the panel. Tolerance, and
why: estimates, standard errors, statistics, p-values and intervals to rtol 1e-8,
atol 1e-12 (both paths hand pyfixest the same frame, so they agree to the last bit
today; the tolerance only leaves room for a BLAS that sums in another order);
metadata, caveats, warnings (those of the preparation followed by those of the
estimation) and error texts exactly equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _outcome import outcome as _run
from retrade.errors import SpecificationError
from retrade.models import (
    build_design,
    event_study,
    exposure_did,
    gravity,
    gravity_design,
    named,
    top_k,
)
from retrade.models.events import define_treatment
from retrade.models.simulate import exposure_panel, gravity_panel

RTOL, ATOL = 1e-8, 1e-12
EVENT = "2015 quota removal"
HALT = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])

# (design options, estimation options) of the exposure models
EXPOSURE_CASES = [
    ({"hs6": "284690"}, {}),
    ({"hs6": "284690", "outcome": "ppml", "exposure": top_k(5, exclude=("VNM",))},
     {"cluster": ("partner", "t")}),
    ({"hs6": "284690", "outcome": "share", "years": (2011, 2018)},
     {"small_sample": "dummies", "alpha": 0.1}),
    ({"hs6": "284690", "outcome": "log", "measure": "net_weight_kg",
      "exposure": named(["JPN", "KOR"]), "drop_years": (2013,)}, {"cluster": None}),
    ({"exposure": top_k(6, by="net_weight_kg")}, {"cluster": "nope"}),  # an estimation error
    ({"hs6": "999999"}, {}),  # a preparation error
]


def _same(new, old) -> None:
    """Two results (or two error texts) equal as the tolerance above says."""
    assert isinstance(new, str) == isinstance(old, str), (new, old)
    if isinstance(old, str):
        assert new == old
        return
    pd.testing.assert_frame_equal(new.tidy(), old.tidy(), check_exact=False, rtol=RTOL,
                                  atol=ATOL)
    assert (new.info, new.caveats, type(new)) == (old.info, old.caveats, type(old))


def _on_design(prepare, estimate, panel, event, design_options, options):
    """(result or error text, warnings) of preparing once and estimating on the design."""
    design, prepared = _run(prepare, panel, event, **design_options)
    if isinstance(design, str):
        return design, prepared
    result, estimated = _run(estimate, design, **options)
    return result, prepared + estimated


@pytest.mark.parametrize("case", range(len(EXPOSURE_CASES)))
def test_exposure_models_on_a_design_equal_the_models_from_panel_rows(case):
    design_options, options = EXPOSURE_CASES[case]
    panel = exposure_panel(n_partners=40, seed=2, pretrend=0.05 * (case % 2))
    panel.loc[panel.index[::9], "value_usd"] = 0.0
    for model, extra in ((exposure_did, {}), (event_study, {}),
                         (event_study, {"window": (-3, 2), "reference": -2})):
        old = _run(model, panel, EVENT, **design_options, **options, **extra)
        new = _on_design(build_design, model, panel, EVENT, design_options, {**options, **extra})
        assert new[1] == old[1]
        _same(new[0], old[0])
        if model is event_study and not isinstance(old[0], str):
            assert (new[0].pretrend, new[0].event_times, new[0].reference) == \
                (old[0].pretrend, old[0].event_times, old[0].reference)


@pytest.mark.filterwarnings("ignore")  # two-way clusters: undefined errors for some terms
def test_one_design_gives_both_exposure_models_and_is_left_unchanged():
    panel = exposure_panel(n_partners=30, seed=3)
    design = build_design(panel, EVENT, hs6="284690", outcome="ppml")
    before = design.data.copy()
    for cluster in ("partner", ("partner", "t")):
        _same(exposure_did(design, EVENT, outcome="ppml", cluster=cluster),
              exposure_did(panel, EVENT, hs6="284690", outcome="ppml", cluster=cluster))
        _same(event_study(design, cluster=cluster),
              event_study(panel, EVENT, hs6="284690", outcome="ppml", cluster=cluster))
    pd.testing.assert_frame_equal(design.data, before, check_exact=True)


# (panel options, design options, estimation options) of gravity
GRAVITY_CASES = [
    ({}, {}, {}),
    ({}, {"targets": ("JPN",), "timing": "partial"}, {"cluster": ("exporter", "importer")}),
    ({"hs6": ("284690", "280530"), "product_effect": ("284690",)},
     {"by_hs6": True, "targets": (), "hs6": ["284690", "280530"]},
     {"small_sample": "none", "alpha": 0.1}),
    ({"exporters": ("CHN",)}, {}, {}),  # one reporter: a warning from the preparation
    ({}, {"targets": ()}, {}),  # the term is absorbed: a warning, then an error
]


@pytest.mark.parametrize("case", range(len(GRAVITY_CASES)))
def test_gravity_on_a_design_equals_gravity_from_panel_rows(case):
    panel_options, design_options, options = GRAVITY_CASES[case]
    panel = gravity_panel(seed=2, **panel_options)
    old = _run(gravity, panel, HALT, **design_options, **options)
    new = _on_design(gravity_design, gravity, panel, HALT, design_options, options)
    assert new[1] == old[1]
    _same(new[0], old[0])
    if not isinstance(old[0], str):
        pd.testing.assert_frame_equal(new[0].counterfactual, old[0].counterfactual,
                                      check_exact=False, rtol=RTOL, atol=ATOL)


def test_gravity_design_is_left_unchanged_by_its_estimations():
    design = gravity_design(gravity_panel(seed=5), HALT)
    before = design.data.copy()
    for cluster in ("pair", "exporter", None):
        gravity(design, cluster=cluster).counterfactual  # noqa: B018 - computed on first use
    pd.testing.assert_frame_equal(design.data, before, check_exact=True)


@pytest.mark.parametrize("call, message", [
    (lambda d, g: exposure_did(d, outcome="ppml"),
     "outcome='ppml' differs from the design's outcome='log1p'"),
    (lambda d, g: event_study(d, "2010-09 Japan halt"),
     "event '2010-09 Japan halt' is not the design's ('2015 quota removal')"),
    (lambda d, g: exposure_did(d, drop_years=[2013]),
     "drop_years=[2013] differs from the design's drop_years=()"),
    (lambda d, g: gravity(g, targets=("USA",)),
     "targets=('USA',) differs from the design's targets=None"),
    (lambda d, g: exposure_did(d.data), "event is required with panel rows"),
    (lambda d, g: gravity(d.data), "event is required with panel rows"),
])
def test_a_design_refuses_other_design_options(call, message):
    design = build_design(exposure_panel(n_partners=20, seed=1), EVENT, hs6="284690")
    grav = gravity_design(gravity_panel(seed=1), HALT)
    with pytest.raises(SpecificationError, match=message.replace("(", r"\(").replace(
            ")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        call(design, grav)


def test_a_design_accepts_the_options_it_was_built_with():
    panel = exposure_panel(n_partners=20, seed=1)
    design = build_design(panel, EVENT, hs6=["284690"], exposure=top_k(5), drop_years=[2013])
    again = exposure_did(design, EVENT, hs6=("284690",), exposure=top_k(5), drop_years=(2013,))
    _same(again, exposure_did(design))
    assert np.isfinite(again.tidy()["estimate"]).all()


def _copying(monkeypatch):
    """pyfixest's fits as before: each copying the frame it is given (its default)."""
    import pyfixest as pf

    for name in ("feols", "fepois"):
        method = getattr(pf, name)
        monkeypatch.setattr(pf, name,
                            lambda *a, _m=method, **k: _m(*a, **{**k, "copy_data": True}))


@pytest.mark.filterwarnings("ignore")  # two-way clusters: undefined errors for some terms
@pytest.mark.parametrize("outcome", ["log1p", "ppml"])
def test_fits_that_skip_pyfixests_copy_equal_the_copying_fits(outcome, monkeypatch):
    """The models hand pyfixest a frame built for the one fit, so it is not copied
    (``copy_data=False``): same estimates as with the copy, and the design unchanged."""
    panel = exposure_panel(n_partners=30, seed=4)
    design = build_design(panel, EVENT, hs6="284690", outcome=outcome)
    grav = gravity_design(gravity_panel(seed=6), HALT)
    before, grav_before = design.data.copy(), grav.data.copy()
    calls = [lambda: exposure_did(design, cluster=("partner", "t")), lambda: event_study(design),
             lambda: gravity(grav)]
    new = [call() for call in calls]
    new_counterfactual = new[2].counterfactual
    with monkeypatch.context() as m:
        _copying(m)
        old = [call() for call in calls]
        old_counterfactual = old[2].counterfactual
    for a, b in zip(new, old, strict=True):
        _same(a, b)
    pd.testing.assert_frame_equal(new_counterfactual, old_counterfactual, check_exact=True)
    pd.testing.assert_frame_equal(design.data, before, check_exact=True)
    pd.testing.assert_frame_equal(grav.data, grav_before, check_exact=True)
