"""Expensive analyses on request: a few at a time per user and in all, a short queue, a time budget.

An analysis a request can start — an expansion plan of a posted area, the park's
land analysis as of a day a URL names, the site-search inputs after an edit —
runs inside :func:`run_analysis`, which takes a slot of the application's
:class:`AnalysisGate`:

* at most ``ANALYSIS_PER_USER`` analyses of one user (their account, or their
  address when no one is signed in) and ``ANALYSIS_CONCURRENT`` in all run at
  once; the others wait, first come first served, up to ``ANALYSIS_WAIT_S``
  seconds (a short wait beats a refusal when the analysis ahead takes two
  seconds), with at most ``ANALYSIS_QUEUE`` requests waiting;
* a request that cannot start in time is refused: **429** when the user's own
  analyses hold their slots, **503** when the server's do (or the queue is full),
  both with ``Retry-After`` — the typical analysis time less what the running
  ones have already spent — and a message in the user's language;
* a *timed* analysis gets a :class:`Deadline` of ``ANALYSIS_TIME_S`` seconds,
  which it checks between its steps (``checkpoint(step)``): past the deadline it
  stops there and the request answers **503** naming the step. So the work
  itself is bounded — to the budget plus one step — not only the wait for it; a
  worker thread abandoned at a timeout would keep the CPU and memory busy while
  the next request started. Analyses of the whole park (land, site search) are
  not timed: their cost is the park's size, chosen by the administrator, and
  they are cached per park version.

Memory: the gate bounds how many analyses hold memory at once; each analysis
refuses inputs whose predicted memory exceeds ``ANALYSIS_MEMORY_MB`` (the
expansion grid: cells × measured bytes per cell, ``web.expansion``). Together:
at most ``ANALYSIS_CONCURRENT × ANALYSIS_MEMORY_MB`` for analyses in flight.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask, current_app, g, make_response, request

from service.flights import Flights  # noqa: F401 (web modules import it from here)
from web.errors import error_response
from web.i18n import tr

T = TypeVar("T")
_EXTENSION = "parkatlas_analysis_gate"
#: Analysis times remembered for the Retry-After estimate.
RECENT_RUNS = 20


class AnalysisBusy(Exception):
    """No slot within the wait: ``reason`` is ``user`` (429), ``server`` or ``queue`` (503)."""

    def __init__(self, reason: str, *, retry_after_s: int, count: int, limit: int):
        super().__init__(f"{reason}: {count} of {limit}; retry after {retry_after_s} s")
        self.reason, self.retry_after_s, self.count, self.limit = reason, retry_after_s, count, limit


class AnalysisTimeout(Exception):
    """A timed analysis passed its deadline; it stopped at ``step``."""

    def __init__(self, step: str, *, elapsed_s: float, budget_s: float):
        super().__init__(f"stopped at {step} after {elapsed_s:.1f} s (budget {budget_s:g} s)")
        self.step, self.elapsed_s, self.budget_s = step, elapsed_s, budget_s


class Deadline:
    """``budget_s`` seconds from now; :meth:`check` between an analysis's steps raises once they are spent."""

    def __init__(self, budget_s: float, clock: Callable[[], float] = time.monotonic):
        self.budget_s, self._clock = float(budget_s), clock
        self.started = clock()

    def check(self, step: str) -> None:
        elapsed = self._clock() - self.started
        if elapsed > self.budget_s:
            raise AnalysisTimeout(step, elapsed_s=elapsed, budget_s=self.budget_s)


def no_deadline(step: str) -> None:
    """The checkpoint of an untimed analysis."""


class _Ticket:
    """One waiting request (compared by identity: a user may wait several times)."""

    __slots__ = ("user",)

    def __init__(self, user: str):
        self.user = user


class AnalysisGate:
    """Slots for analyses: ``per_user`` per user and ``overall`` in all, first come first served.

    ``peak`` is the most analyses that ever ran at once (the benchmarks and tests read it).
    """

    def __init__(self, *, per_user: int, overall: int, queue_length: int):
        if per_user < 1 or overall < 1 or queue_length < 0:
            raise ValueError(f"analysis limits must be positive: per_user={per_user}, overall={overall}, "
                             f"queue_length={queue_length}")
        self.per_user, self.overall, self.queue_length = per_user, overall, queue_length
        self._cond = threading.Condition()
        self._running: dict[str, list[float]] = {}
        self._waiting: list[_Ticket] = []
        self._recent: deque[float] = deque(maxlen=RECENT_RUNS)
        self.peak = 0

    def running(self, user: str | None = None) -> int:
        """Analyses running now, of ``user`` or in all."""
        with self._cond:
            return self._count(user)

    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        with self._cond:
            return len(self._waiting)

    def _count(self, user: str | None = None) -> int:
        if user is not None:
            return len(self._running.get(user, ()))
        return sum(len(starts) for starts in self._running.values())

    def _may_start(self, ticket: _Ticket) -> bool:
        """Room in all and for the ticket's user, and no earlier waiter that could go first."""
        if self._count() >= self.overall:
            return False
        for earlier in self._waiting:
            if earlier is ticket:
                break
            if self._count(earlier.user) < self.per_user:
                return False
        return self._count(ticket.user) < self.per_user

    def _reason(self, user: str) -> str:
        """Whose slots are taken: the user's own (``user``) or the server's (``server``)."""
        return "user" if self._count(user) >= self.per_user else "server"

    def _busy(self, reason: str, user: str, *, wait_s: float) -> AnalysisBusy:
        typical = statistics.median(self._recent) if self._recent else wait_s
        now = time.monotonic()
        starts = self._running.get(user, []) if reason == "user" else [s for v in self._running.values() for s in v]
        remaining = min((max(typical - (now - start), 0.0) for start in starts), default=typical)
        count, limit = {"user": (self._count(user), self.per_user), "server": (self._count(), self.overall),
                        "queue": (len(self._waiting), self.queue_length)}[reason]
        return AnalysisBusy(reason, retry_after_s=max(1, math.ceil(remaining)), count=count, limit=limit)

    @contextmanager
    def slot(self, user: str, *, wait_s: float) -> Iterator[None]:
        """Hold a slot for ``user`` while the block runs, waiting up to ``wait_s`` for one.

        Raises :class:`AnalysisBusy` when none is free in time, or at once when the queue is full.
        """
        ticket = _Ticket(user)
        with self._cond:
            if not self._may_start(ticket):
                if len(self._waiting) >= self.queue_length:
                    raise self._busy("queue" if self.queue_length else self._reason(user), user, wait_s=wait_s)
                self._waiting.append(ticket)
                give_up = time.monotonic() + wait_s
                try:
                    while not self._may_start(ticket):
                        remaining = give_up - time.monotonic()
                        if remaining <= 0:
                            raise self._busy(self._reason(user), user, wait_s=wait_s)
                        self._cond.wait(remaining)
                finally:
                    self._waiting.remove(ticket)
                    self._cond.notify_all()  # a waiter behind this one may now be first
            started = time.monotonic()
            self._running.setdefault(user, []).append(started)
            self.peak = max(self.peak, self._count())
        try:
            yield
        finally:
            with self._cond:
                starts = self._running[user]
                starts.remove(started)
                if not starts:
                    del self._running[user]
                self._recent.append(time.monotonic() - started)
                self._cond.notify_all()


# -- the application's gate ------------------------------------------------------------------------------


def gate(app: Flask | None = None) -> AnalysisGate:
    """The application's analysis gate."""
    return (app or current_app).extensions[_EXTENSION]


def user_key() -> str:
    """Whose analysis this request's is: the signed-in account, else the client address."""
    user = g.get("user")
    return f"user:{user.username}" if user is not None else f"addr:{request.remote_addr}"


def run_analysis(compute: Callable[[Callable[[str], None]], T], *, timed: bool = True) -> T:
    """``compute(checkpoint)`` in a slot of the gate; ``checkpoint(step)`` enforces the time budget when ``timed``."""
    config = current_app.config
    with gate().slot(user_key(), wait_s=float(config["ANALYSIS_WAIT_S"])):
        checkpoint = Deadline(float(config["ANALYSIS_TIME_S"])).check if timed else no_deadline
        return compute(checkpoint)


def gated(compute: Callable[[], T]) -> T:
    """``compute()`` in a slot of the gate, untimed: a park-wide analysis (its cost is the park's size, and
    requests for the same one wait for it in the park service)."""
    return run_analysis(lambda checkpoint: compute(), timed=False)


def busy_message(exc: AnalysisBusy) -> str:
    wait = exc.retry_after_s
    if exc.reason == "user":
        return tr(f"您已有 {exc.count} 个分析在运行（每人同时最多 {exc.limit} 个），请 {wait} 秒后再试",
                  f"you already have {exc.count} analyses running (at most {exc.limit} per user at once); "
                  f"try again in {wait} s")
    if exc.reason == "queue":
        return tr(f"服务器正忙：已有 {exc.count} 个分析在排队（最多 {exc.limit} 个），请 {wait} 秒后再试",
                  f"the server is busy: {exc.count} analyses are already waiting (at most {exc.limit}); "
                  f"try again in {wait} s")
    return tr(f"服务器正忙：已有 {exc.count} 个分析在运行（同时最多 {exc.limit} 个），请 {wait} 秒后再试",
              f"the server is busy: {exc.count} analyses are running (at most {exc.limit} at once); "
              f"try again in {wait} s")


def timeout_message(exc: AnalysisTimeout) -> str:
    return tr(f"分析超过了 {exc.budget_s:g} 秒的时间上限，已在“{exc.step}”步骤停止（用时 {exc.elapsed_s:.1f} 秒）；"
              "请缩小范围或加大网格尺寸后再试",
              f"the analysis ran past its {exc.budget_s:g} s budget and was stopped at {exc.step} "
              f"after {exc.elapsed_s:.1f} s; ask for less (a smaller area, a larger cell size)")


def init_app(app: Flask) -> None:
    """The gate from the configuration, and the answers to a refused or stopped analysis."""
    config = app.config
    app.extensions[_EXTENSION] = AnalysisGate(per_user=int(config["ANALYSIS_PER_USER"]),
                                              overall=int(config["ANALYSIS_CONCURRENT"]),
                                              queue_length=int(config["ANALYSIS_QUEUE"]))

    @app.errorhandler(AnalysisBusy)
    def refuse_busy(exc: AnalysisBusy):
        status, code = (429, "TooManyRequests") if exc.reason == "user" else (503, "ServiceUnavailable")
        response = make_response(error_response(status, code, busy_message(exc)))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.errorhandler(AnalysisTimeout)
    def refuse_timeout(exc: AnalysisTimeout):
        current_app.logger.warning("analysis stopped: %s %s: %s", request.method, request.path, exc)
        return error_response(503, "AnalysisTimeout", timeout_message(exc))


__all__ = ["AnalysisBusy", "AnalysisGate", "Flights", "AnalysisTimeout", "Deadline", "gate", "no_deadline", "run_analysis",
           "user_key"]
