"""Freed memory of many mid-sized arrays goes back to the system only when asked (glibc's heaps)."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pytest

from geo.heap import release_free_memory

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="malloc_trim is glibc's")


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import resource

    return pages * resource.getpagesize() / 2**20


def test_freed_heap_memory_is_returned_only_when_released():
    # 3 000 arrays of 64 KiB (below the mmap threshold: from the heap), all but the last freed; the live last one
    # keeps the heap's top in use, so free() alone gives nothing back.
    arrays = [np.ones(8192) for _ in range(3000)]
    keep = arrays[-1]
    del arrays
    before = resident_mb()
    assert release_free_memory() is True
    after = resident_mb()
    assert before - after > 100, (before, after)  # ~190 MB freed; at least 100 MB of it given back
    assert keep.sum() == 8192.0
