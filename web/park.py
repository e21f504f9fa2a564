"""Access to the current park from views: one store per app, layers cached by store version.

The park is a GeoPackage (``PARKATLAS_PARK``) or a PostGIS schema
(``PARKATLAS_DATABASE_URL``, which wins when set). A layer is read and validated
once per version of the store (file identity for a GeoPackage, the change counter
for PostGIS); an import or edit is seen on the next request. The first access
migrates a PostGIS park's layout to the current one. A park that cannot be read,
or that was changed outside ParkAtlas into values that do not validate, raises
:class:`ParkUnavailable` (answered 503 by ``web.errors``), never a half-drawn page.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pandas as pd
from flask import Flask, current_app

from geo.judged import layer_states
from geo.summary import in_force
from layers.registry import REGISTRY
from layers.store import ParkStoreError
from layers.stores import ParkStore, close_store, migrate_store, open_store
from layers.validate import LayerValidationError

_EXTENSION = "parkatlas_park"
T = TypeVar("T")


class ParkUnavailable(ParkStoreError):
    """The park cannot be served as it is now (missing, unreadable, or changed outside ParkAtlas into values
    that do not validate); pages answer 503 instead of failing half-way.

    ``layer`` names the layer concerned (None for the park as a whole); the message
    (with paths and values) is for the log and ``check-park``, not for the client.
    """

    def __init__(self, message: str, layer: str | None = None):
        super().__init__(message)
        self.layer = layer


@contextmanager
def _unavailable_when_damaged(layer: str | None = None) -> Iterator[None]:
    try:
        yield
    except ParkUnavailable:
        raise
    except (ParkStoreError, LayerValidationError) as exc:
        raise ParkUnavailable(str(exc), layer) from exc


class ParkCache:
    """Validated layers of one park store, re-read when the store's version changes."""

    def __init__(self, store: ParkStore):
        self.store = store
        self._lock = threading.Lock()
        self._version: str | None = None
        self._migrated = False
        self._layers: dict[str, pd.DataFrame] = {}
        self._meta: dict | None = None
        self._derived: dict[Hashable, object] = {}

    def _sync(self) -> str:
        if not self._migrated:
            migrate_store(self.store)
            self._migrated = True
        with _unavailable_when_damaged():
            version = self.store.version()
        if version != self._version:
            self._version = version
            self._layers = {}
            self._meta = None
            self._derived = {}
        return version

    def version(self) -> str:
        """The store's current version (for HTTP validators such as tile ETags)."""
        with self._lock:
            return self._sync()

    def layer(self, name: str) -> pd.DataFrame:
        """The validated layer (shared: callers must not modify it in place).

        :class:`ParkUnavailable` when the park or the layer cannot be read or no longer
        validates (changed outside ParkAtlas while the server runs).
        """
        with self._lock:
            self._sync()
            if name not in self._layers:
                with _unavailable_when_damaged(name):
                    self._layers[name] = self.store.load(name)
            return self._layers[name]

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A result computed from this version of the park, computed once per version.

        Pages call it for figures that take the whole analysis (the overview KPIs),
        so a request does not redo work the park has not changed since. ``key``
        must name everything besides the park that the result depends on (e.g. the
        as-of date). The computation runs outside the lock; two concurrent first
        requests may both compute, and either result is the same.
        """
        with self._lock:
            version = self._sync()
            if key in self._derived:
                return self._derived[key]
        value = compute()
        with self._lock:
            if self._sync() == version:
                self._derived[key] = value
        return value

    def layer_states(self) -> dict[str, str]:
        """Each registry layer's state (``geo.judged``): holds records in force, empty, or absent from the park."""
        def states() -> dict[str, str]:
            with _unavailable_when_damaged():
                present = self.store.layer_names()
            return layer_states({name: len(in_force(self.layer(name))) for name in REGISTRY}, present)

        return self.derived("layer_states", states)

    def meta(self) -> dict:
        with self._lock:
            self._sync()
            if self._meta is None:
                with _unavailable_when_damaged():
                    self._meta = self.store.read_meta()
            return self._meta


def init_app(app: Flask) -> None:
    location = app.config.get("DATABASE_URL") or app.config["PARK_PATH"]
    store = open_store(location)
    atexit.register(close_store, store)  # a PostGIS store holds pooled connections
    app.extensions[_EXTENSION] = ParkCache(store)


def park() -> ParkCache:
    """The current app's park cache."""
    return current_app.extensions[_EXTENSION]

