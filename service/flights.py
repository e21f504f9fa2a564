"""One computation per key at a time: the others wait for it, then find its result cached."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Flights:
    """One lock per key while someone holds or waits for it (then forgotten): one computation per key at a time.

    Requests that need the same tile or the same analysis wait for the one making it,
    then find it cached, instead of each making it (and each taking a gate slot).
    """

    def __init__(self):
        self._locks: dict[tuple, list] = {}
        self._guard = threading.Lock()

    @contextmanager
    def one(self, key: tuple) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]
