"""Access to the current park from views: one store per app, layers cached by store version.

The park is a GeoPackage (``PARKATLAS_PARK``) or a PostGIS schema
(``PARKATLAS_DATABASE_URL``, which wins when set). A layer is read and validated
once per version of the store (file identity for a GeoPackage, the change counter
for PostGIS); an import or edit is seen on the next request. The first access
migrates a PostGIS park's layout to the current one.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd
from flask import Flask, current_app

from layers.stores import ParkStore, close_store, migrate_store, open_store

_EXTENSION = "parkatlas_park"
T = TypeVar("T")


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
        """The validated layer (shared: callers must not modify it in place)."""
        with self._lock:
            self._sync()
            if name not in self._layers:
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

    def meta(self) -> dict:
        with self._lock:
            self._sync()
            if self._meta is None:
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
