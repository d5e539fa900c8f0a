"""The memory helpers: freed memory returned, and jemalloc as the pool for a block."""

from __future__ import annotations

import pyarrow as pa
import pytest

from retrade.store.memory import jemalloc_pool, release_memory


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


def test_release_memory_keeps_arrays_in_use_intact():
    values = pa.array(range(100_000))
    release_memory()
    assert values.sum().as_py() == sum(range(100_000))


@pytest.mark.skipif(not _has_jemalloc(), reason="this pyarrow is built without jemalloc")
def test_jemalloc_pool_is_the_default_inside_the_block_and_restored_after(monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with jemalloc_pool():
        assert pa.default_memory_pool().backend_name == "jemalloc"
        values = pa.array([f"row {i}" for i in range(1000)])
    assert pa.default_memory_pool().backend_name == before
    # arrays keep the pool they came from: still readable once the block is left
    assert values[999].as_py() == "row 999"


def test_jemalloc_pool_is_restored_when_the_block_fails(monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with pytest.raises(KeyError), jemalloc_pool():
        raise KeyError("boom")
    assert pa.default_memory_pool().backend_name == before


def test_a_pool_the_user_chose_is_left_alone(monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    before = pa.default_memory_pool().backend_name
    with jemalloc_pool():
        assert pa.default_memory_pool().backend_name == before
