"""Models: estimators and descriptive models that take panels or series and return results.

Models never fetch, never know store paths and never write files. Each module
owns one thing; import the module you need (``from retrade.models import breaks``).

The export-restriction econometrics (exposure DiD, event studies, intervention
analysis, structural gravity) return :class:`~retrade.models.results.EstimationResult` s,
which keep the package's one results contract (:mod:`retrade.results`: ``.tidy()``,
``.summary()``, ``.plot()``, metadata, an HTML table in Jupyter) plus ``.to_csv()``,
``.to_latex()`` and the underlying fit; :func:`compare` sets several side by side
(maketables). Their entry points are re-exported here, with the designs that prepare a
model's data once for several estimations (:func:`build_design` for the exposure DiD and
event study, :func:`gravity_design` for gravity).

Examples
--------
>>> import retrade.models as rm
>>> "2015 quota removal" in rm.treatments()["name"].tolist()
True
"""

from retrade.models.design import Design, build_design
from retrade.models.did import DiDResult, EventStudyResult, event_study, exposure_did
from retrade.models.events import Treatment, define_treatment, treatment, treatments
from retrade.models.exposure import ExposureSpec, baseline_share, named, top_k
from retrade.models.gravity import GravityDesign, GravityResult, gravity, gravity_design
from retrade.models.intervention import (
    InterventionResult,
    event_index,
    intervention,
    monthly_total,
    placebos,
)
from retrade.models.results import EstimationResult, Result, compare

__all__ = [
    "DiDResult", "Design", "EstimationResult", "EventStudyResult", "ExposureSpec",
    "GravityDesign", "GravityResult", "InterventionResult", "Result", "Treatment",
    "baseline_share", "build_design", "compare", "define_treatment", "event_index",
    "event_study", "exposure_did", "gravity", "gravity_design", "intervention", "monthly_total",
    "named", "placebos", "top_k", "treatment", "treatments",
]
