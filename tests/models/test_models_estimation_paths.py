"""The estimation step's (and the preparation's) shorter paths against the code they replaced.

The previous code is in ``tests/_previous_estimation.py``.

Tolerance, and why: every comparison is exact. The coefficient table reads the arrays
pyfixest's one inference pass fills instead of the frames two passes build from the same
arrays; the leads' joint test calls the survival functions scipy's distribution objects
call; the event-time columns hold the same exposure values or 0.0 written another way.
The identification check is a decision (which of two fits that agree runs), compared as
a decision; its sums of squares are formed in another order, which could only move a term
kept with exactly 1e-6 of its variation.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import _previous_estimation as prev
from _outcome import outcome as _run
from retrade.models import build_design, event_study, exposure_did, gravity, gravity_design
from retrade.models.design import dummy_columns
from retrade.models.events import define_treatment
from retrade.models.inference import fit_coefficients, joint_test, wald_test
from retrade.models.simulate import exposure_panel, gravity_panel

EVENT = "2015 quota removal"
HALT = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])


def _fits():
    """Fresh pyfixest fits of each kind: OLS and PPML exposure models, a gravity PPML."""
    panel = exposure_panel(n_partners=30, seed=4)
    yield exposure_did(panel, EVENT, hs6="284690").fit
    yield event_study(panel, EVENT, hs6="284690", cluster=("partner", "t")).fit
    yield event_study(panel, EVENT, hs6="284690", outcome="ppml", window=(-3, 2)).fit
    yield gravity(gravity_panel(seed=2), HALT, cluster=None).fit


@pytest.mark.filterwarnings("ignore")  # two-way clusters: undefined errors for some terms
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_coefficients_equal_the_two_pass_tidy_table(alpha):
    for fit in _fits():
        terms = list(fit._coefnames)[::-1]  # read by name, in another order than the fit's
        names = [f"name of {t}" for t in terms]
        new = fit_coefficients(fit, terms, names, alpha)
        after_new = fit.tidy()
        old = prev._tidy(fit, terms, dict(zip(terms, names, strict=True)), alpha)
        pd.testing.assert_frame_equal(new, old, check_exact=True)
        pd.testing.assert_frame_equal(after_new, fit.tidy(), check_exact=True)  # state as left


@pytest.mark.filterwarnings("ignore")
def test_pretrend_test_equals_the_dataframe_path():
    panel = exposure_panel(n_partners=30, seed=6, pretrend=0.05)
    seen = set()
    for cluster in ("partner", ("partner", "t"), None):
        for window in (None, (-2, 2)):
            fit = event_study(panel, EVENT, hs6="284690", cluster=cluster, window=window).fit
            for leads in ([t for t in fit._coefnames if t.startswith("es_m")],
                          list(fit._coefnames)[:1], []):
                from retrade.models.did import _pretrend

                new, old = _pretrend(fit, leads), prev._pretrend(fit, leads)
                assert new == old
                seen.add(new is None)
    assert seen == {True, False}  # both a test and no test were compared


def test_joint_test_equals_scipys_distribution_objects():
    rng = np.random.default_rng(3)
    for m in (1, 2, 5):
        a = rng.normal(size=(m, m))
        v = a @ a.T + 0.1 * np.eye(m)
        b = rng.normal(size=m)
        terms = [f"b{i}" for i in range(m)]
        coef, vcov = pd.Series(b, index=terms), pd.DataFrame(v, index=terms, columns=terms)
        for df_den in (np.inf, 7.0, 250.0):
            old = prev.wald_test(coef, vcov, terms, df_den)
            assert wald_test(coef, vcov, terms, df_den) == old
            assert joint_test(b, v, terms, df_den) == old


def _design_data():
    data = build_design(exposure_panel(n_partners=25, seed=8), EVENT, hs6="284690").data
    yield data
    with_nan = data.copy()
    with_nan.loc[with_nan.index[::5], "exposure"] = np.nan
    yield with_nan
    yield data[data["rel"] != 2]  # an event time without rows
    yield data.assign(exposure=-data["exposure"] * 0.0)  # negative zeros


@pytest.mark.parametrize("window, ref", [(None, -1), ((-3, 2), -1), ((-2, 1), -2),
                                         ((-1, 3), -1), ((0, 3), -1)])
def test_event_time_columns_equal_one_where_per_event_time(window, ref):
    for data in _design_data():
        new, old = _run(dummy_columns, data, window, ref), _run(prev.dummy_columns, data, window,
                                                                ref)
        assert new[1] == old[1]
        if isinstance(old[0], str):
            assert new[0] == old[0]
            continue
        (new_values, new_columns), (old_values, old_columns) = new[0], old[0]
        assert list(new_columns.items()) == list(old_columns.items())
        assert list(new_values) == list(old_values)
        for name, values in old_values.items():
            np.testing.assert_array_equal(new_values[name], values)
            assert list(np.signbit(new_values[name])) == list(np.signbit(values))


@pytest.mark.parametrize("extra, clear", [(None, True), ("trend", True), ("noise_3", True),
                                          ("noise_4", False), ("noise_5", False),
                                          ("absorbed", False)])
def test_identification_check_decides_as_before(extra, clear):
    """Terms pyfixest keeps with more or less than 1e-6 of their variation left, and one it
    drops (the partner-constant exposure plus noise of sd 1e-3, 1e-4, 1e-5)."""
    from retrade.models.did import _clearly_identified, _estimator, model_frame
    from retrade.models.inference import vcov_choice

    design = build_design(exposure_panel(n_partners=30, seed=4), EVENT, hs6="284690")
    values, columns = dummy_columns(design.data, (-3, 3), -1)
    terms = list(columns)
    noise = np.random.default_rng(0).normal(size=len(design.data))
    exposure = design.data["exposure"]
    extras = {"trend": design.data["t"] * exposure / 10, "absorbed": exposure * 2.0,
              **{f"noise_{e}": exposure + 10.0 ** -e * noise for e in (3, 4, 5)}}
    if extra is not None:
        terms.append(extra)
    data = design.data.assign(**{extra: extras[extra]}) if extra else design.data
    frame = model_frame(data, terms, "partner", values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest names the term it drops
        fit = _estimator(design)(frame, terms, vcov_choice(frame, "partner", "fixest"))
    assert (list(fit._coefnames) == terms) == (extra != "absorbed")
    assert _clearly_identified(fit, frame, terms) == prev._clearly_identified(fit, frame, terms)
    assert _clearly_identified(fit, frame, terms) == clear


def test_undefined_standard_errors_are_named_as_before():
    from retrade.models.did import _variance_notes
    from retrade.models.inference import vcov_choice
    from retrade.results import tidy_frame

    coefs = tidy_frame(["a", "b", "c", "d"], [1.0] * 4, [0.1, np.nan, np.inf, -np.inf],
                       [1.0] * 4, [0.5] * 4, [0.0] * 4, [2.0] * 4)
    vc = vcov_choice(pd.DataFrame({"partner": ["x", "y"], "t": [1, 2]}), ("partner", "t"))
    with pytest.warns(RuntimeWarning, match=r"\['b', 'c', 'd'\]"):
        notes = _variance_notes(coefs, vc)
    assert prev.variance_bad_terms(coefs) == ["b", "c", "d"] and len(notes) == 1


@pytest.mark.parametrize("options", [{}, {"targets": ("JPN",)}, {"targets": ()},
                                     {"by_hs6": True, "targets": (),
                                      "hs6": ["284690", "280530"]}])
def test_gravity_sample_text_equals_the_one_written_at_each_estimation(options):
    panel = gravity_panel(hs6=("284690", "280530"), product_effect=("284690",), seed=2)
    design = gravity_design(panel, HALT, **options)
    assert design.sample == prev.gravity_sample(design.data, design.restricting,
                                                design.targets, design.by_hs6)


@pytest.mark.parametrize("dtype", [object, "string"])
def test_aggregate_partners_equal_one_lookup_per_code(dtype):
    from retrade.panel.measures import aggregate_rows

    codes = ["WLD", "wld", "EUN", "eun", "ASN", "CHN", None, "XOA", "xns", "97", "", " EUN"]
    for values in (codes * 3, codes[:0], [None, None], ["JPN", "EUN"]):
        row, distinct = pd.factorize(pd.Series(values, dtype=dtype))
        new, old = aggregate_rows(row, distinct), prev.aggregate_rows(row, distinct)
        np.testing.assert_array_equal(new, old)
        assert new.dtype == old.dtype
    assert prev.aggregate_rows(*pd.factorize(pd.Series(codes))).sum() == 4  # WLD, EUN, ASN, eun
