"""Access to the current park from views: one store per app, layers cached by file version.

A layer is read and validated once per version of the park file (its mtime and
size); an import or edit that replaces the file is seen on the next request.
"""

from __future__ import annotations

import threading

import pandas as pd
from flask import Flask, current_app

from layers.store import GeoPackageStore

_EXTENSION = "parkatlas_park"


class ParkCache:
    """Validated layers of one park file, re-read when the file changes."""

    def __init__(self, store: GeoPackageStore):
        self.store = store
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._layers: dict[str, pd.DataFrame] = {}
        self._meta: dict | None = None

    def _current_version(self) -> tuple[int, int]:
        stat = self.store.path.stat()
        return (stat.st_mtime_ns, stat.st_size)

    def _sync(self) -> None:
        version = self._current_version()
        if version != self._version:
            self._version = version
            self._layers = {}
            self._meta = None

    def layer(self, name: str) -> pd.DataFrame:
        """The validated layer (shared: callers must not modify it in place)."""
        with self._lock:
            self._sync()
            if name not in self._layers:
                self._layers[name] = self.store.load(name)
            return self._layers[name]

    def meta(self) -> dict:
        with self._lock:
            self._sync()
            if self._meta is None:
                self._meta = self.store.read_meta()
            return self._meta


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = ParkCache(GeoPackageStore(app.config["PARK_PATH"]))


def park() -> ParkCache:
    """The current app's park cache."""
    return current_app.extensions[_EXTENSION]
