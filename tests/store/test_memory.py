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


def _glibc() -> bool:
    import platform

    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not _glibc(), reason="malloc_trim is glibc's")
def test_malloc_trim_is_found_among_the_loaded_symbols_without_a_subprocess(monkeypatch):
    import subprocess

    from retrade.store import memory

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    memory._malloc_trim.cache_clear()
    try:
        trim = memory._malloc_trim()
        assert trim is not None
        assert trim(0) in (0, 1)  # 1: memory was returned, 0: there was none to return
    finally:
        memory._malloc_trim.cache_clear()


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
