"""Blocks of a step shared among threads come back in order, each computed once (geo.threads)."""

from __future__ import annotations

import threading
import time

import pytest

import geo.threads as threads_module
from geo.threads import MAX_THREADS, block_threads, in_threads


def test_results_come_back_in_the_order_of_the_items():
    seen = []

    def square(x):
        seen.append(x)
        return x * x

    assert in_threads(square, range(7), threads=2) == [0, 1, 4, 9, 16, 25, 36]
    assert sorted(seen) == list(range(7))  # each item once


def test_a_block_finishing_first_still_comes_back_in_its_place():
    # Block 0 takes 0.2 s, block 1 none: with two threads block 1 is done first, and comes back second.
    done = []

    def slow_first(x):
        time.sleep(0.2 if x == 0 else 0.0)
        done.append(x)
        return x

    assert in_threads(slow_first, [0, 1], threads=2) == [0, 1]
    assert done == [1, 0]


def test_two_threads_run_the_blocks_outside_the_caller_one_thread_inside_it():
    caller = threading.current_thread().name
    assert in_threads(lambda _: threading.current_thread().name, [1, 2], threads=1) == [caller, caller]
    names = in_threads(lambda _: threading.current_thread().name, [1, 2], threads=2)
    assert all(name != caller and name.startswith("blocks") for name in names)
    # A single block needs no thread.
    assert in_threads(lambda _: threading.current_thread().name, [1], threads=2) == [caller]


def test_a_failing_block_raises_in_the_caller():
    def fail_on_three(x):
        if x == 3:
            raise ValueError("block 3")
        return x

    with pytest.raises(ValueError, match="block 3"):
        in_threads(fail_on_three, range(5), threads=2)


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (8, MAX_THREADS)])
def test_threads_are_the_cores_at_most_the_cap(monkeypatch, cores, expected):
    monkeypatch.setattr(threads_module.os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert block_threads() == expected
    assert MAX_THREADS == 2
