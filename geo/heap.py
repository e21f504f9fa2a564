"""Giving the freed memory of a large analysis step back to the system.

glibc's allocator keeps the memory of freed NumPy and GEOS buffers below its mmap
threshold (which grows up to 32 MB as large arrays are freed) in its heaps, and
returns it only when the top of a heap is free: after the readiness step of 10⁶
parcels, about 0.6 GB of freed memory stayed resident and the later steps' memory
came on top of it. ``malloc_trim`` returns every free page of the heaps (elsewhere than
glibc, nothing is done there); Arrow's own memory pool (the text columns and key
look-ups) is asked to give back what it keeps for reuse as well.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim") if name else None
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Return the allocators' free memory to the system; whether the C library could (glibc: a few ms)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


__all__ = ["release_free_memory"]
