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

from service.park import ParkService, Runner

log = logging.getLogger(__name__)


class Background:
    """Computations running in daemon threads, at most one per key; failures remembered by key."""

    def __init__(self):
        self._lock = threading.Lock()
        self._threads: dict[Hashable, threading.Thread] = {}
        self._failed: dict[Hashable, BaseException] = {}

    def start(self, key: Hashable, compute: Callable[[], object]) -> None:
        """Run ``compute()`` in a thread unless one for ``key`` is running already."""
        with self._lock:
            running = self._threads.get(key)
            if running is not None and running.is_alive():
                return
            # Threads of older versions or days are done or will be: forget them.
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            thread = threading.Thread(target=self._run, args=(key, compute), daemon=True,
                                      name=f"parkatlas-background-{len(self._threads)}")
            self._threads[key] = thread
        thread.start()

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


def result_key(kind: str, service: ParkService, day: dt.date) -> tuple:
    """What the park-wide result ``kind`` of ``day`` depends on: the store version, the rules version and the day."""
    return kind, service.version(), service.rules_version(), day


def kept_or_start(kind: str, service: ParkService, day: dt.date, background: Background, *,
                  run: Runner | None = None):
    """The park-wide result ``kind`` (``summary``: the KPI figures; ``land``: the land analysis) on ``day`` when
    the park service keeps it already; else start computing it and answer ``None``.

    After a failure in the background the result is computed here, with ``run``, so the
    request meets the error itself.
    """
    kept, compute = {"summary": (service.summary_kept, service.summary), "land": (service.land_kept, service.land)}[kind]
    found = kept(day)
    if found is not None:
        return found
    key = result_key(kind, service, day)
    if background.failed(key):
        return compute(day, run=run)
    background.start(key, lambda: compute(day))
    return None


def summary_or_start(service: ParkService, day: dt.date, background: Background, *,
                     run: Runner | None = None) -> dict | None:
    """The park's KPI figures on ``day`` when kept already; else start computing them and answer ``None``."""
    return kept_or_start("summary", service, day, background, run=run)


__all__ = ["Background", "kept_or_start", "result_key", "summary_or_start"]
