"""Every option's allowed values, in one place, as ``Literal`` types (pyfixest's ``literals.py``).

A function types an option with one of these aliases and checks it with
:func:`retrade.errors.check_choice`, which reads the allowed values off the
alias; :func:`values` gives them as a tuple. Like :mod:`retrade.errors`, this
module imports no other part of retrade, so every layer can use it.

>>> from retrade.errors import check_choice
>>> check_choice("measure", "value_usd", Measure)
>>> values(Measure)
('value_usd', 'net_weight_kg')
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

# -- the catalog and the panel
Stage = Literal["ores", "compounds", "metals", "magnets"]
Scheme = Literal["comtrade", "m49", "iso3", "iso2", "name"]
Frequency = Literal["A", "M"]
Flow = Literal["import", "export", "re-import", "re-export"]
DeclaredFlow = Literal["import", "export"]  # what a China customs file or monthly table is
Measure = Literal["value_usd", "net_weight_kg"]
Level = Literal["stage", "hs6"]
ShareBasis = Literal["auto", "direct", "mirror"]
MirrorMode = Literal["auto", "never", "always"]
PartnerTotal = Literal["world", "partners"]
QualityCheck = Literal["gap", "collapse", "spike", "unit_value", "estimated", "value_no_weight"]
QualityLevel = Literal["partner", "reporter"]

# -- fetching
Endpoint = Literal["preview", "data"]
CensusFlow = Literal["imports", "exports"]
CensusDataset = Literal["hs", "porths"]
Classification = Literal["HS", "H0", "H1", "H2", "H3", "H4", "H5", "H6"]

# -- the export-restriction models
Outcome = Literal["log1p", "log", "ppml", "unit_value", "share"]
SmallSample = Literal["fixest", "dummies", "none"]
Timing = Literal["full", "partial"]
Direction = Literal["restriction", "liberalization"]
ExposureKind = Literal["top_k", "share", "named"]
ExposureBy = Literal["value_usd", "net_weight_kg", "share"]
GravityFlow = Literal["export", "import"]
Term = Literal["step", "pulse", "ramp"]
InterventionTransform = Literal["log", "level"]
CovType = Literal["oim", "opg", "robust", "approx"]
ElementOutcome = Literal["log1p", "ppml"]
ElementMeasure = Literal["net_weight_kg", "value_usd", "value_cny", "element_kg"]

# -- breaks, trends and capacity
BreakModel = Literal["mean", "trend"]
BreakCov = Literal["classical", "hac"]
BreakCriterion = Literal["bic", "lwz"]
BreakInterval = Literal["auto", "asymptotic", "bootstrap", "none"]
MineBasis = Literal["preferred", "edition"]
ProjectionMetric = Literal["nonchina_t", "china_t", "world_supply_t", "demand_t",
                           "share_of_supply", "supply_demand_ratio", "share_of_demand_met"]

# -- series and forecasts
SeriesKind = Literal["share", "level", "value"]
SeriesTransform = Literal["auto", "logit", "log", "log1p", "none"]
ForecastKind = Literal["share", "level"]  # what the forecast models take
Role = Literal["china_share", "china_exports", "overseas_share", "other"]
ForecastModel = Literal["ets", "autoarima", "autotheta", "sarimax", "prophet", "naive", "snaive",
                        "ensemble"]
SelectionCriterion = Literal["mase", "msis"]
ScoreBy = Literal["model", "h"]

# -- the report
SectionStatus = Literal["ok", "failed", "needs_data", "skipped"]


def values(alias: Any) -> tuple[str, ...]:
    """The allowed values of a ``Literal`` alias, in the order written.

    Examples
    --------
    >>> values(Frequency)
    ('A', 'M')
    """
    if get_origin(alias) is not Literal:
        raise TypeError(f"{alias!r} is not a Literal type")
    return tuple(get_args(alias))
