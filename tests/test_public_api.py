"""``import retrade as rt``: the curated names are exactly the ones the docstring's table shows.

Tolerance: exact (names).
"""

from __future__ import annotations

import re

import retrade as rt


def documented_names() -> set[str]:
    """Names in the table of ``retrade.__doc__`` (the rows between the ``====`` rules)."""
    lines = rt.__doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if re.fullmatch(r"=+ +=+", line.strip())]
    table = "\n".join(lines[rules[0] + 1: rules[-1]])
    return set(re.findall(r":(?:func|class):`(\w+)`", table))


def test_all_is_the_documented_table():
    assert set(rt.__all__) == documented_names()
    assert len(rt.__all__) == len(set(rt.__all__))


def test_every_public_name_resolves_and_event_index_is_exported():
    for name in rt.__all__:
        assert getattr(rt, name) is not None, name
    from retrade.models.intervention import event_index

    assert rt.event_index is event_index
    assert "event_index" in dir(rt)
