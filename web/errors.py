"""One JSON error shape for the API, registered on the app.

Blueprint-level 404/405 handlers do not fire for unmatched URLs (pallets/flask
#1498), so the handlers live on the app and branch on the ``/api`` prefix.
Internals go to the log, never to the client.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    """A request the user can fix; its message is shown to them (400)."""


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/tiles/") or request.is_json or (
        request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json"
    )


def error_response(status: int, code: str, message: str):
    if _wants_json():
        return jsonify({"error": {"status": status, "code": code, "message": message}}), status
    return render_template("error.html", status=status, code=code, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def handle_bad_request(exc: BadRequest):
        return error_response(400, "InvalidParameterValue", str(exc))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        return error_response(exc.code or 500, exc.name.replace(" ", ""), exc.description or exc.name)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "InternalServerError", InternalServerError.description)
