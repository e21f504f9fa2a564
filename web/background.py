"""Park-wide figures of a large park off the request (``service.background``), for the views.

Above ``BACKGROUND_PARCELS`` parcels the overview and ``/api/summary`` do not wait for
the park summary: they answer at once, saying the figures are being computed (the
page refreshes itself every ``BACKGROUND_REFRESH_S`` seconds) while one thread per park
version and day computes them into the park service's cache. The land pages (/land,
/idle, /vacancy, /cases), /infrastructure and /sites and their JSON twins do the same
for their analysis (:func:`computed`): until it is kept they answer a page saying so
that refreshes itself (JSON: 202 with ``"computing": true`` and ``Retry-After``); a
workbook download waits for it. Below the
threshold (the demo park, the tests' parks) everything is computed in the request, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, jsonify, render_template, request

from geo.analysis import LandAnalysis
from layers.registry import spatial_layers
from layers.valid_time import HELD_NOW_FIELD
from service.background import Background, kept_or_start, result_key, summary_or_start
from service.park import Runner
from web.analysis_gate import gated
from web.errors import wants_json
from web.park import park
from web.tiles import tile_service

_EXTENSION = "parkatlas_background"
log = logging.getLogger(__name__)
#: Paths of downloads, which wait for their result in the request.
DOWNLOADS = (".xlsx", ".docx", ".pdf")
T = TypeVar("T")


class Computing(Exception):
    """A large park's land analysis is being computed in the background: the page says so and asks again."""


def init_app(app: Flask) -> None:
    # As many at once as analyses in requests (ANALYSIS_CONCURRENT: 2 cores, one analysis per core).
    app.extensions[_EXTENSION] = Background(max_running=int(app.config["ANALYSIS_CONCURRENT"]))
    app.register_error_handler(Computing, computing_response)


def background(app: Flask | None = None) -> Background:
    """The app's background computations."""
    return (app or current_app).extensions[_EXTENSION]


def large_park() -> bool:
    """Whether the park holds more parcels (every record, retired too) than ``BACKGROUND_PARCELS``."""
    # Counted on one field (one the overview's map reads too): the first page need not load the parcels to know.
    return len(park().fields("parcels", [HELD_NOW_FIELD])) > int(current_app.config["BACKGROUND_PARCELS"])


def park_figures(day: dt.date) -> dict | None:
    """The KPI figures on ``day``; ``None`` while a large park's are computed in the background."""
    if not large_park():
        return park().summary(day, run=gated)
    return summary_or_start(park(), day, background(), run=gated)


def waits_in_request() -> bool:
    """Whether this request is a download (a workbook): it waits for the result rather than being told to."""
    return request.args.get("format") == "xlsx" or request.path.endswith(DOWNLOADS)


def computed(kind: str, args: tuple, kept: Callable[[], T | None], compute: Callable[[Runner | None], T]) -> T:
    """A park-wide result (``kind`` with ``args``: :func:`service.background.result_key`) computed in the request
    for a small park or a download, else the kept one; not kept yet, :class:`Computing` after starting it in the
    background. ``compute(run)`` computes it, ``kept()`` finds it kept."""
    if not large_park() or waits_in_request():
        return compute(gated)
    found = kept_or_start(result_key(kind, park(), *args), kept, compute, background(), run=gated)
    if found is None:
        raise Computing
    return found


def land_analysis(day: dt.date) -> LandAnalysis:
    """The land analysis on ``day`` (:func:`computed`)."""
    service = park()
    return computed("land", (day,), lambda: service.land_kept(day), lambda run: service.land(day, run=run))


def warm_up(app: Flask, *, say: Callable[[str], None] = print) -> threading.Thread:
    """Prepare in a daemon thread what the first visitors would wait for: the overview's figures of the park's day
    (kept by the park service, as a page would keep them) and the tiles of its large layers. ``say`` reports
    when the figures are ready (the server's log). The thread, for tests that wait for it."""
    def work() -> None:
        with app.app_context():
            service = park()
            try:
                tile_service(app).prepare([spec.name for spec in spatial_layers()], service.version())
                started = time.perf_counter()
                day = service.day()
                service.summary(day)
                say(f"warm-up: the figures of {day.isoformat()} are ready ({time.perf_counter() - started:.1f} s)")
            except Exception as exc:  # noqa: BLE001 — the pages meet the error themselves, with its message
                log.warning("warm-up: %s", exc)

    thread = threading.Thread(target=work, daemon=True, name="parkatlas-warm-up")
    thread.start()
    return thread


def computing_response(_: Computing):
    """A page that says the park's figures are computing and refreshes itself; JSON: 202 ``computing: true``."""
    wait = refresh_s()
    if wants_json():
        response = jsonify({"computing": True, "retry_after_s": wait})
        response.status_code = 202
    else:
        response = current_app.make_response(render_template("computing.html", refresh_s=wait))
    response.headers["Retry-After"] = str(wait)
    return response


def refresh_s() -> int:
    """Seconds after which a page waiting for its figures asks again."""
    return int(current_app.config["BACKGROUND_REFRESH_S"])


__all__ = ["Computing", "background", "computed", "computing_response", "init_app", "land_analysis", "large_park",
           "park_figures", "refresh_s", "warm_up"]
