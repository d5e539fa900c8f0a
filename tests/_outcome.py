"""What a call gave, as equality tests between an old and a new path compare it."""

from __future__ import annotations

import warnings


def outcome(fn, *args, **kwargs):
    """(result or error text, warning messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared as text
            out = f"{type(exc).__name__}: {exc}"
    return out, [str(w.message) for w in caught]
