"""The app refuses to start on a damaged park instead of serving partial data.

When the app is built to serve (a WSGI server importing it, ``flask run``, or a
test building it), :func:`layers.backup.check_park` runs on the park first; a
problem raises :class:`ParkIntegrityError` with what is wrong and how to
recover (``flask --app app restore BACKUP``). Other CLI commands (``restore``,
``demo``, ``backup``) must work on a damaged park, so they skip the check here
and do their own.
"""

from __future__ import annotations

import click
from flask import Flask

from layers.backup import check_park
from layers.store import ParkStoreError
from web.park import _EXTENSION


class ParkIntegrityError(ParkStoreError):
    """The park is damaged; the application will not serve it."""


def _serving() -> bool:
    """True unless the app is being loaded for a CLI command other than ``run``."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def init_app(app: Flask) -> None:
    app.config.setdefault("PARK_CHECK_ON_START", True)
    if not app.config["PARK_CHECK_ON_START"] or not _serving():
        return
    store = app.extensions[_EXTENSION].store
    try:
        present = store.exists()
    except ParkStoreError as exc:
        raise ParkIntegrityError(f"ParkAtlas will not start: {exc}") from exc
    if not present:
        return  # no park yet (a fresh machine): pages say how to build one
    problems = check_park(store)
    if problems:
        msg = ("ParkAtlas will not start: the park is damaged and would be served incomplete.\n  "
               + "\n  ".join(problems)
               + "\nRestore the last backup with 'flask --app app restore BACKUP.gpkg' "
                 "(or rebuild the demo with 'flask --app app demo').")
        raise ParkIntegrityError(msg)
