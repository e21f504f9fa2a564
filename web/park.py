"""The current park from views: the app's one :class:`service.ParkService`.

The park is a GeoPackage (``PARKATLAS_PARK``) or a PostGIS schema
(``PARKATLAS_DATABASE_URL``, which wins when set). The service owns the store, the
day, the rules in force and every cached result (``service.park``); views parse the
request, call it and render. :class:`ParkUnavailable` is answered 503 by ``web.errors``.
"""

from __future__ import annotations

import atexit
import datetime as dt

from flask import Flask, current_app, request

from layers.results_cache import results_cache_for
from layers.rules import RulesError
from layers.stores import close_store, open_store
from service.day import DayError, DayRange, day_allowed
from service.park import ParkService, ParkUnavailable, park_is_new
from service.rules import RulesInForce
from web.errors import BadRequest, error_response
from web.i18n import tr

_EXTENSION = "parkatlas_park"
#: The name views and tests knew the service by before it left ``web``.
ParkCache = ParkService

__all__ = ["ParkCache", "ParkService", "ParkUnavailable", "app_park", "init_app", "open_service", "park", "request_day", "rules",
           "switch_park"]


def open_service(location, config, instance_path: str) -> ParkService:
    """A park service for the park at ``location`` with the app ``config``'s day range and results cache
    (``RESULTS_CACHE_PATH``; a PostGIS park's beside the tile cache in ``instance_path``)."""
    store = open_store(location)
    return ParkService(store, days=DayRange.of(config["AS_OF_EARLIEST"], config["AS_OF_LATEST"]),
                       results_file=results_cache_for(store, config.get("RESULTS_CACHE_PATH"), instance_path))


def init_app(app: Flask) -> None:
    service = open_service(app.config.get("DATABASE_URL") or app.config["PARK_PATH"], app.config, app.instance_path)
    atexit.register(close_store, service.store)  # a PostGIS store holds pooled connections
    app.extensions[_EXTENSION] = service
    app.register_error_handler(RulesError, bad_rules)


def switch_park(app: Flask, location) -> ParkService:
    """Serve the park at ``location`` from ``app`` from now on (a command run on another park: ``seed-tiles
    --park``); the caller closes the returned service's store."""
    service = open_service(location, app.config, app.instance_path)
    app.extensions[_EXTENSION] = service
    return service


def park() -> ParkService:
    """The current app's park service."""
    return current_app.extensions[_EXTENSION]


def park_absent() -> bool:
    """Whether the current app's park holds nothing yet (:func:`service.park.park_is_new`)."""
    return park_is_new(park())


def app_park(app: Flask) -> ParkService:
    """``app``'s park service, outside a request (start-up checks, the audit wrapper)."""
    return app.extensions[_EXTENSION]


def rules() -> RulesInForce:
    """The park's rules in force (a bad override: :func:`bad_rules` answers)."""
    return park().rules()


def bad_rules(exc: RulesError):
    """An override that does not validate is the administrator's to fix: a 500 saying what is wrong (source,
    key, value, what is allowed), whichever page or twin met it first."""
    return error_response(500, "InternalServerError", str(exc))


def request_day(name: str = "as_of") -> dt.date:
    """THE day of this request: ``?as_of=`` (checked against the configured range), else the park's reference
    date, else today; a bad value is a bilingual 400 naming it."""
    try:
        return park().day(request.args.get(name), name=name)
    except DayError as exc:
        raise BadRequest(tr(exc.zh, exc.en), field=name, value=request.args.get(name),
                         allowed=day_allowed(current_app.config)) from None
