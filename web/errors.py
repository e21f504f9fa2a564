"""One JSON error shape for the API, registered on the app.

Blueprint-level 404/405 handlers do not fire for unmatched URLs (pallets/flask
#1498), so the handlers live on the app and branch on the ``/api`` prefix.
Internals go to the log, never to the client. Two failures that are not bugs get
their own status: a park that cannot be served as it is now (missing, or changed
outside ParkAtlas into values that do not validate) is 503, and a save refused
by a full disk is 507 Insufficient Storage (saves are atomic: the park is unchanged).
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from layers.store import ParkStoreError, StorageFullError, is_storage_full
from service.park import ParkUnavailable
from web.i18n import tr

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    """A request the user can fix; its message is shown to them (400)."""


def _wants_json() -> bool:
    if request.args.get("f") == "html":
        return False
    return request.path == "/api" or request.path.startswith(("/api/", "/tiles/")) or request.is_json or (
        request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json"
    )


def error_response(status: int, code: str, message: str):
    """The error as JSON for API clients — the OGC API exception (``code``, ``description``) and, for the
    app's own scripts, ``error`` with the status — or as the error page for a browser."""
    if _wants_json():
        return jsonify({"code": code, "description": message,
                        "error": {"status": status, "code": code, "message": message}}), status
    return render_template("error.html", status=status, code=code, message=message), status


def storage_full_response(exc: Exception):
    """507: a write refused by a full disk (whatever raised it); saves are atomic, so nothing changed."""
    log.error("disk full on %s %s: %s", request.method, request.path, exc)
    return error_response(507, "InsufficientStorage", tr(
        "磁盘已满，未保存：园区数据保持不变。请释放磁盘空间后重试。",
        "The disk is full; nothing was saved and the park is unchanged. Free some disk space and try again."))


def init_app(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def handle_bad_request(exc: BadRequest):
        return error_response(400, "InvalidParameterValue", str(exc))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        return error_response(exc.code or 500, exc.name.replace(" ", ""), exc.description or exc.name)

    @app.errorhandler(ParkStoreError)  # ParkUnavailable from the layer cache, or a direct read of the file
    def handle_park_unavailable(exc: ParkStoreError):
        if isinstance(exc, StorageFullError):
            return storage_full_response(exc)
        # The details (file paths, records, values) go to the log; check-park prints them for the administrator.
        log.error("park unavailable on %s %s: %s", request.method, request.path, exc)
        layer = exc.layer if isinstance(exc, ParkUnavailable) else None
        zh_layer, en_layer = (f"（图层 {layer}）", f" (layer {layer!r})") if layer else ("", "")
        return error_response(503, "ParkUnavailable", tr(
            f"园区数据{zh_layer}当前无法使用：文件缺失、损坏，或在 ParkAtlas 之外被改成了无效的值。"
            "请管理员运行 'flask --app app check-park' 查看问题并修正，或用 'flask --app app restore 备份.gpkg' 恢复最近的备份。",
            f"The park's data{en_layer} cannot be served as it is now: missing, damaged, or changed outside ParkAtlas "
            "into values that do not validate. An administrator should run 'flask --app app check-park' to see "
            "the problem and correct it, or restore the last backup with 'flask --app app restore BACKUP.gpkg'."))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if is_storage_full(exc):
            return storage_full_response(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "InternalServerError", InternalServerError.description)
