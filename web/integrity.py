"""The app refuses to start on a damaged park instead of serving partial data, and clears crash leftovers.

When the app is built to serve (a WSGI server importing it, ``flask run``, a
test building it, or ``flask serve`` calling :func:`prepare_to_serve`), :func:`layers.backup.check_park` runs on
the park first: the structure, layers dropped outside ParkAtlas, and every layer
changed outside it since it was last validated (a QGIS or sqlite3 edit). A
problem raises :class:`ParkIntegrityError` naming the file, layer, record, field,
bad value and what is allowed, and how to recover. The layers validated here are
kept in the park cache, so the first pages do not validate them again. Before the
check, files that a crashed save or import left beside the park are removed
(:func:`layers.backup.clean_leftovers`). Other CLI commands (``restore``,
``demo``, ``backup``, ``check-park``) must work on a damaged park, so they skip
all this and do their own.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import Flask

from layers.backup import check_park, clean_leftovers, recovery_hint
from layers.io.archive import archive_folder_for
from layers.store import ParkStoreError
from layers.stores import describe
from layers.valid_time import load_rules as load_valid_time_rules
from web.park import app_park

log = logging.getLogger(__name__)

#: When this server process started (this module is imported while the app is built): files of
#: ours older than this cannot belong to a save of this process.
PROCESS_STARTED = time.time()
#: Marks an app whose park was checked (the check runs once per app).
_CHECKED = "parkatlas_park_checked"


class ParkIntegrityError(ParkStoreError):
    """The park is damaged; the application will not serve it."""


def _serving() -> bool:
    """True unless the app is being loaded for a CLI command other than ``run``.

    (``serve`` is an app command: the app is loaded to find it, before its context
    exists, so it calls :func:`prepare_to_serve` itself.)
    """
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def _leftover_folders(app: Flask, store) -> list[Path]:
    """Where our temporary files of a crashed save or import can be: beside the park and in its import archive."""
    path = store.capabilities.file
    if path is not None:
        return [path.parent, archive_folder_for(path)]
    return [Path(app.config.get("IMPORT_ARCHIVE_DIR") or Path(app.instance_path) / "import_archive")]


def init_app(app: Flask) -> None:
    app.config.setdefault("PARK_CHECK_ON_START", True)
    if _serving():
        prepare_to_serve(app)


def prepare_to_serve(app: Flask) -> None:
    """Clear crash leftovers and check the park (once per app); :class:`ParkIntegrityError` when it is damaged."""
    if not app.config["PARK_CHECK_ON_START"] or app.extensions.get(_CHECKED):
        return
    app.extensions[_CHECKED] = True
    load_valid_time_rules()  # a bad PARKATLAS_VALID_TIME file stops the start, naming file, layer and field
    cache = app_park(app)
    store = cache.store
    try:
        removed = clean_leftovers(_leftover_folders(app, store), older_than=PROCESS_STARTED,
                                  keep=store.capabilities.file, lock=store.unaudited.write_lock)
    except OSError as exc:  # a park on a read-only disk can be served; it just has nothing of ours to clear
        log.warning("crash leftovers not cleared: %s", exc)
        removed = []
    for path in removed:
        log.warning("removed %s, left by a save or import that did not finish", path)
    try:
        present = store.exists()
    except ParkStoreError as exc:
        raise ParkIntegrityError(f"ParkAtlas will not start: {exc}") from exc
    if not present:
        return  # no park yet (a fresh machine): pages say how to build one
    problems = check_park(store, load=cache.layer)
    if problems:
        location = describe(store.capabilities.file or app.config.get("DATABASE_URL") or "PARK.gpkg")
        msg = ("ParkAtlas will not start: the park is damaged and would be served incomplete or wrong.\n  "
               + "\n  ".join(problems) + "\n" + recovery_hint(location))
        raise ParkIntegrityError(msg)
