"""Park-wide figures of a large park off the request (``service.background``), for the views.

Above ``BACKGROUND_PARCELS`` parcels the overview and ``/api/summary`` do not wait for
the park summary: they answer at once, saying the figures are being computed (the
page refreshes itself every ``BACKGROUND_REFRESH_S`` seconds) while one thread per park
version and day computes them into the park service's cache. Below it (the demo park,
the tests' parks) the figures are computed in the request, as before.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from service.background import Background, summary_or_start
from web.analysis_gate import gated
from web.park import park

_EXTENSION = "parkatlas_background"


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = Background()


def background(app: Flask | None = None) -> Background:
    """The app's background computations."""
    return (app or current_app).extensions[_EXTENSION]


def large_park() -> bool:
    """Whether the park holds more parcels (every record, retired too) than ``BACKGROUND_PARCELS``."""
    return len(park().layer("parcels")) > int(current_app.config["BACKGROUND_PARCELS"])


def park_figures(day: dt.date) -> dict | None:
    """The KPI figures on ``day``; ``None`` while a large park's are computed in the background."""
    if not large_park():
        return park().summary(day, run=gated)
    return summary_or_start(park(), day, background(), run=gated)


def refresh_s() -> int:
    """Seconds after which a page waiting for its figures asks again."""
    return int(current_app.config["BACKGROUND_REFRESH_S"])


__all__ = ["background", "init_app", "large_park", "park_figures", "refresh_s"]
