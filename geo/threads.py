"""Independent blocks of a large step shared among threads.

The readiness steps work in blocks (of parcels, of road lines) that share nothing
but read-only inputs, and spend their time in NumPy and GEOS, which release the GIL:
two threads take about half the wall time on two cores. Results come back in the
blocks' order, so whatever is put together from them is the same as in one thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from geo.heap import release_free_memory

T = TypeVar("T")
R = TypeVar("R")

#: Threads at most: each holds one block's arrays (a few hundred MB at 10⁶ parcels), so more threads would raise
#: the peak memory by as much each; two keep the 10⁶ analysis within its 6 GB (bench/README.md, session 11).
MAX_THREADS = 2


def block_threads() -> int:
    """Threads for block steps: the cores this process may run on, at most :data:`MAX_THREADS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(MAX_THREADS, cores))


def in_threads(function: Callable[[T], R], items: Sequence[T], *, threads: int | None = None) -> list[R]:
    """``[function(item) for item in items]``, the items shared among ``threads`` (default :func:`block_threads`)."""
    threads = block_threads() if threads is None else threads

    def block(item: T) -> R:
        try:
            return function(item)
        finally:
            # The block's arrays are freed by now; glibc would keep them in this thread's heap, beside the
            # other threads' (and the land steps') memory.
            release_free_memory()

    if threads <= 1 or len(items) <= 1:
        return [block(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items)), thread_name_prefix="blocks") as pool:
        return list(pool.map(block, items))


__all__ = ["MAX_THREADS", "block_threads", "in_threads"]
