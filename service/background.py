"""Park-wide results computed off the request: pages of a large park do not wait for them.

The first overview of a large park would spend most of its time on the park summary
(readiness, clearance conflicts, land efficiency: 13 s of 14 at 10⁵ parcels). Above a
configured size the page asks :func:`summary_or_start` instead: the figures when the
park service keeps them already, else ``None`` after starting their computation in a
daemon thread — one per park version, rules version and day — through the park
service, so the result lands in its cache and the next request (the page refreshes
itself) finds it there. A computation that failed is not started again in the
background: the next request computes in the request, so its error is answered as any
page's (503 for a damaged park, 500 naming a bad rule override).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from service.park import ParkService, Runner

log = logging.getLogger(__name__)
T = TypeVar("T")


class Background:
    """Computations running in daemon threads, at most one per key and ``max_running`` in all; failures
    remembered by key.

    The cap bounds the memory and CPU of park-wide results (each is hundreds of MB on a large park) that
    requests could otherwise start at will, one per day asked (``?as_of=``): a computation not started
    for want of a slot is asked for again by the page, which refreshes itself.
    """

    def __init__(self, max_running: int = 1):
        self.max_running = max_running
        self._lock = threading.Lock()
        self._threads: dict[Hashable, threading.Thread] = {}
        self._failed: dict[Hashable, BaseException] = {}

    def start(self, key: Hashable, compute: Callable[[], object]) -> bool:
        """Run ``compute()`` in a thread unless one for ``key`` is running already; whether it runs now (False:
        every slot is taken, ask again later)."""
        with self._lock:
            running = self._threads.get(key)
            if running is not None and running.is_alive():
                return True
            # Threads of older versions or days are done or will be: forget them.
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            if len(self._threads) >= self.max_running:
                return False
            thread = threading.Thread(target=self._run, args=(key, compute), daemon=True,
                                      name=f"parkatlas-background-{len(self._threads)}")
            self._threads[key] = thread
        thread.start()
        return True

    def _run(self, key: Hashable, compute: Callable[[], object]) -> None:
        try:
            compute()
        except Exception as exc:  # noqa: BLE001 — kept and raised again by the next request, in the request
            log.warning("background computation %r failed: %s", key, exc)
            with self._lock:
                self._failed[key] = exc

    def failed(self, key: Hashable) -> bool:
        """Whether the computation of ``key`` failed (then it is not started again in the background)."""
        with self._lock:
            return key in self._failed

    def running(self) -> bool:
        """Whether any computation is running."""
        with self._lock:
            return any(thread.is_alive() for thread in self._threads.values())

    def join(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for every running computation; True when none runs any more (tests, CLI)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout_s)
        return not self.running()


def result_key(kind: str, service: ParkService, *args: Hashable) -> tuple:
    """What the park-wide result ``kind`` with ``args`` (its day, options) depends on besides them: the store
    version and the rules version."""
    return kind, service.version(), service.rules_version(), *args


def kept_or_start(key: Hashable, kept: Callable[[], T | None], compute: Callable[[Runner | None], T],
                  background: Background, *, run: Runner | None = None) -> T | None:
    """A park-wide result when the park service keeps it already (``kept()``); else start ``compute(None)`` in the
    background under ``key`` (:func:`result_key`) and answer ``None``.

    After a failure in the background the result is computed here, ``compute(run)``, so the
    request meets the error itself.
    """
    found = kept()
    if found is not None:
        return found
    if background.failed(key):
        return compute(run)
    background.start(key, lambda: compute(None))
    return None


def summary_or_start(service: ParkService, day: dt.date, background: Background, *,
                     run: Runner | None = None) -> dict | None:
    """The park's KPI figures on ``day`` when kept already; else start computing them and answer ``None``."""
    return kept_or_start(result_key("summary", service, day), lambda: service.summary_kept(day),
                         lambda runner: service.summary(day, run=runner), background, run=run)


__all__ = ["Background", "kept_or_start", "result_key", "summary_or_start"]
