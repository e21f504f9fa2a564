"""The analysis gate itself, with real threads: slots per user and in all, first come first served, refusals."""

from __future__ import annotations

import threading
import time

import pytest

from web.analysis_gate import AnalysisBusy, AnalysisGate, AnalysisTimeout, Deadline


def hold(gate: AnalysisGate, user: str, release: threading.Event, log: list, *, wait_s: float = 5.0):
    """A thread that takes a slot for ``user`` and keeps it until ``release``; logs (user, "ran"|reason)."""

    def run():
        try:
            with gate.slot(user, wait_s=wait_s):
                log.append((user, "ran"))
                release.wait(10)
        except AnalysisBusy as exc:
            log.append((user, exc.reason))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def until(condition, timeout=5.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_per_user_and_overall_counts_and_the_peak():
    gate, release, log = AnalysisGate(per_user=2, overall=3, queue_length=8), threading.Event(), []
    threads = [hold(gate, "a", release, log) for _ in range(3)] + [hold(gate, "b", release, log)]
    until(lambda: gate.running() == 3)
    time.sleep(0.05)
    assert gate.running("a") == 2 and gate.running("b") == 1 and gate.peak == 3
    release.set()
    for thread in threads:
        thread.join()
    assert sorted(log) == [("a", "ran")] * 3 + [("b", "ran")] and gate.running() == 0 and gate.peak == 3


def test_a_user_at_their_limit_does_not_hold_up_another_user_queued_after_them():
    gate, release, log = AnalysisGate(per_user=1, overall=2, queue_length=8), threading.Event(), []
    first = hold(gate, "a", release, log)
    until(lambda: gate.running("a") == 1)
    waiting = hold(gate, "a", release, log)  # a's second waits for a's first
    time.sleep(0.05)
    other = threading.Event()

    def b():
        with gate.slot("b", wait_s=0.5):
            other.set()

    started = time.monotonic()
    b_thread = threading.Thread(target=b)
    b_thread.start()
    assert other.wait(1.0) and time.monotonic() - started < 0.4
    release.set()
    for thread in (first, waiting, b_thread):
        thread.join()
    assert log == [("a", "ran"), ("a", "ran")]


def test_refusals_say_whose_slots_are_taken_and_a_full_queue_refuses_at_once():
    gate, release, log = AnalysisGate(per_user=1, overall=1, queue_length=1), threading.Event(), []
    holder = hold(gate, "a", release, log)
    until(lambda: gate.running() == 1)
    with pytest.raises(AnalysisBusy) as own:
        with gate.slot("a", wait_s=0.05):
            pass
    assert (own.value.reason, own.value.count, own.value.limit) == ("user", 1, 1)
    assert own.value.retry_after_s >= 1
    with pytest.raises(AnalysisBusy) as server:
        with gate.slot("b", wait_s=0.05):
            pass
    assert (server.value.reason, server.value.count, server.value.limit) == ("server", 1, 1)
    queued = hold(gate, "c", release, log, wait_s=5.0)  # takes the one place in the queue
    until(lambda: gate.waiting() == 1)
    started = time.monotonic()
    with pytest.raises(AnalysisBusy) as full:
        with gate.slot("d", wait_s=5.0):
            pass
    assert full.value.reason == "queue" and time.monotonic() - started < 1.0
    release.set()
    for thread in (holder, queued):
        thread.join()
    assert log == [("a", "ran"), ("c", "ran")]


def test_a_slot_is_given_back_when_the_analysis_fails():
    gate = AnalysisGate(per_user=1, overall=1, queue_length=0)
    with pytest.raises(RuntimeError):
        with gate.slot("a", wait_s=0):
            raise RuntimeError("analysis failed")
    with gate.slot("a", wait_s=0):
        assert gate.running("a") == 1
    assert gate.running() == 0


def test_the_deadline_is_checked_between_steps():
    now = [100.0]
    deadline = Deadline(2.0, clock=lambda: now[0])
    now[0] = 102.0
    deadline.check("constraints")  # exactly the budget: still allowed
    now[0] = 102.001
    with pytest.raises(AnalysisTimeout) as stopped:
        deadline.check("suitability: road")
    assert stopped.value.step == "suitability: road" and stopped.value.budget_s == 2.0


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="per_user=0"):
        AnalysisGate(per_user=0, overall=1, queue_length=1)
