"""The Examples sections of the models and balancing modules run (doctest).

Tolerance: the printed values in each docstring, as written there.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "retrade.models", "retrade.models.events", "retrade.models.exposure",
    "retrade.models.outcomes", "retrade.models.inference", "retrade.models.results",
    "retrade.models.did", "retrade.models.gravity", "retrade.models.intervention",
    "retrade.models.poisson", "retrade.models.simulate", "retrade.panel.balance",
    "retrade.panel.quality",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
    assert result.attempted > 0 or name == "retrade.models.design"
