"""Giving freed memory back to the system between the heavy steps of a build.

A panel build at 10^6 rows makes and drops many arrays of tens of megabytes.
Freed memory is not always returned to the system at once: pyarrow's pool
keeps freed pages for reuse, and glibc's allocator keeps freed heap memory
when it is fragmented (its threshold for giving large blocks their own
mapping rises after the first ones are freed). The process then holds more
than twice the memory it uses. :func:`release_memory` asks both to return
what is free, as Dask's workers do for the same reason ("Memory not released
back to the OS" in the Dask documentation). It frees nothing in use and is a
no-op where glibc is not the allocator.

:func:`jemalloc_pool` runs a block with pyarrow's jemalloc pool as its
default. pyarrow's own default (mimalloc) sets aside memory for each thread
that allocates; reading a small download with pyarrow's CSV threads and
writing it with the store's threads then holds several times the data's
size (an import of 10^4 rows peaked at 198 MB with mimalloc, 163 MB with
jemalloc; 10^6 rows in 1.33 and 1.32 GB: ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
from collections.abc import Iterator


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or ``None`` on other C libraries.

    Looked up among the symbols the process has loaded (``dlopen(NULL)``), which
    include the C library's: ``ctypes.util.find_library`` would run ``ldconfig``
    in a subprocess (1.5 ms or more, in every process that builds or imports).
    """
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS); Windows
        return None


def release_memory() -> None:
    """Return freed memory to the system: pyarrow's pool, then glibc's heap.

    Examples
    --------
    >>> release_memory()
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def jemalloc_pool() -> Iterator[None]:
    """Run the block with pyarrow's jemalloc pool as its default memory pool.

    Nothing changes when the user chose a pool (``ARROW_DEFAULT_MEMORY_POOL``)
    or pyarrow was built without jemalloc (its Windows wheels); the previous
    pool is restored afterwards. Arrays keep the pool they were allocated from,
    so arrays made inside the block stay valid after it.

    Examples
    --------
    >>> import pyarrow as pa
    >>> before = pa.default_memory_pool()
    >>> with jemalloc_pool():
    ...     values = pa.array([1, 2, 3])
    >>> pa.default_memory_pool().backend_name == before.backend_name
    True
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pool = None
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        try:
            pool = pa.jemalloc_memory_pool()
        except NotImplementedError:  # pyarrow built without jemalloc
            pool = None
    if pool is None:
        yield
        return
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
