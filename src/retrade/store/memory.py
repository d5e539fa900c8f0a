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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or ``None`` on other C libraries."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
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
