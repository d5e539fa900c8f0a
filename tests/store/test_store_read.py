"""RawStore.read de-duplicates on the key with the newest manifest entry winning, across files."""

from __future__ import annotations

import pyarrow as pa
import pytest

from retrade.errors import StoreError
from retrade.store import Part, RawStore


def test_newest_entry_wins_even_when_timestamps_tie(tmp_path, monkeypatch):
    import retrade.store.manifest as manifest

    store = RawStore(tmp_path)
    monkeypatch.setattr(manifest, "datetime", _Frozen)  # every entry gets the same timestamp
    old = pa.table({"k": [1, 2, 3], "v": [10.0, 20.0, 30.0]})
    new = pa.table({"k": [2, 3, 4], "v": [21.0, 31.0, 41.0]})
    store.write("s", [Part({"p": "b"}, "x", old)], query={}, content_sha256="1")
    store.write("s", [Part({"p": "a"}, "y", new)], query={}, content_sha256="2")
    store.write("s", [Part({"p": "b"}, "x", old)], query={}, content_sha256="3")  # rewritten
    got = store.read("s", key=["k"]).sort_values("k")
    assert got["v"].tolist() == [10.0, 20.0, 30.0, 41.0]
    assert store.read("s", key=["k", "not_stored"])["v"].sort_values().tolist() == [
        10.0, 20.0, 30.0, 41.0]
    with pytest.raises(StoreError, match="lack"):
        store.read("s", key=["nope"])


class _Frozen:
    @staticmethod
    def now(tz=None):
        import datetime as dt

        return dt.datetime(2025, 1, 1, tzinfo=tz)
