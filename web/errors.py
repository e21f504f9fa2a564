"""One JSON error shape for every JSON answer (API, JSON twins, edits, imports), registered on the app.

Blueprint-level 404/405 handlers do not fire for unmatched URLs (pallets/flask
#1498), so the handlers live on the app and ask :func:`wants_json` which answer to give.
Internals go to the log, never to the client. Two failures that are not bugs get
their own status: a park that cannot be served as it is now (missing, or changed
outside ParkAtlas into values that do not validate) is 503, and a save refused
by a full disk is 507 Insufficient Storage (saves are atomic: the park is unchanged).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotFound

from geo.audit_log import layer_name
from layers.store import ParkStoreError, StorageFullError, is_storage_full
from service.park import ParkService, ParkUnavailable, park_is_new
from web.i18n import tr

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    """A request the user can fix; its message is shown to them (400).

    ``field``, ``value`` and ``allowed`` name the parameter at fault, what was sent and what may be sent,
    for clients that point at the field (each is left out of the answer when not given).
    """

    def __init__(self, message: str, *, field: str | None = None, value=None, allowed=None):
        super().__init__(message)
        self.details = named_details(field, value, allowed)


class NothingThere(NotFound):
    """404 for a name the park does not hold, with ``field``, ``value`` and ``allowed`` as :class:`BadRequest`."""

    def __init__(self, message: str, *, field: str | None = None, value=None, allowed=None):
        super().__init__(message)
        self.details = named_details(field, value, allowed)


def named_details(field: str | None, value, allowed) -> dict:
    """The error's ``field``, ``value`` and ``allowed`` members, those given."""
    return {key: item for key, item in (("field", field), ("value", value), ("allowed", allowed)) if item is not None}


def not_one_of(name: str, value, allowed) -> BadRequest:
    """The 400 for a parameter ``name`` whose ``value`` is not among ``allowed``."""
    allowed = [str(item) for item in allowed]
    listed = ", ".join(allowed)
    return BadRequest(tr(f"{name} 必须是 {listed} 之一，收到 {value!r}",
                         f"{name} must be one of {listed}, got {value!r}"),
                      field=name, value=value, allowed=allowed)


def nothing_called(zh: str, en: str, *, field: str, value, allowed=None) -> NothingThere:
    """The 404 for a ``field`` (layer, record, format…) the park has nothing called ``value``; ``zh``/``en``
    say so (and name the ``allowed`` values, which the answer also lists)."""
    return NothingThere(tr(zh, en), field=field, value=value,
                        allowed=None if allowed is None else [str(item) for item in allowed])


def no_record(layer: str, record_id: str) -> NothingThere:
    """The 404 for a record id the layer does not hold."""
    return nothing_called(f"{layer_name(layer)}：没有记录 {record_id!r}", f"{layer}: no record {record_id!r}",
                          field="record_id", value=record_id)


def not_a_number(name: str, value, low: float | None = None, high: float | None = None) -> BadRequest:
    """The 400 for a parameter ``name`` whose ``value`` is not a finite number (within ``low`` … ``high``)."""
    bounds = {key: item for key, item in (("minimum", low), ("maximum", high)) if item is not None}
    if low is not None and high is not None:
        zh, en = f" {low:g} 至 {high:g} 之间的数", f"a number between {low:g} and {high:g}"
    elif low is not None:
        zh, en = f"不小于 {low:g} 的数", f"a number ≥ {low:g}"
    else:
        zh, en = "数", "a number"
    return BadRequest(tr(f"{name} 必须是{zh}，收到 {value!r}", f"{name} must be {en}, got {value!r}"),
                      field=name, value=value, allowed=bounds or "number")


#: Media types that ask for JSON (the OGC API's GeoJSON among them).
JSON_TYPES = ("application/json", "application/geo+json", "application/problem+json")
#: Path prefixes whose every answer is JSON unless ``?f=html`` asks for the page.
JSON_PREFIXES = ("/api/", "/tiles/")


def wants_json() -> bool:
    """Whether the request is a JSON request, whose errors are answered in :func:`error_body`'s shape.

    ``?f=``/``?format=`` decide first (``html`` a page, ``json`` JSON); then an API or tile route, a JSON
    body, or an ``Accept`` header preferring a JSON type makes it JSON (``*/*`` alone does not).
    """
    asked = request.args.get("f") or request.args.get("format")
    if asked in ("html", "json"):
        return asked == "json"
    return (request.path == "/api" or request.path.startswith(JSON_PREFIXES) or request.is_json
            or request.accept_mimetypes.best in JSON_TYPES)


def error_body(status: int, code: str, message: str, **details) -> dict:
    """The one JSON error shape: the OGC API exception (``code``, ``description``) for OGC clients, and
    ``error`` (``status``, ``code``, ``message`` and any ``details`` such as ``field``, ``value``,
    ``allowed``, ``problems``) for the app's own scripts."""
    return {"code": code, "description": message,
            "error": {"status": status, "code": code, "message": message, **details}}


def json_error(status: int, code: str, message: str, **details) -> tuple[Response, int]:
    """:func:`error_body` as a JSON response with its status."""
    return jsonify(error_body(status, code, message, **details)), status


def no_park_response():
    """A park with no data yet: 404 ``NoPark``; the page says how its first import creates it."""
    message = tr("园区还没有数据。导入第一个文件（如地块的 Shapefile、国土 TXT 或界址点坐标表）即建立园区。",
                 "The park holds no data yet. Importing a first file (parcels as a Shapefile, a 国土 TXT, a "
                 "boundary-point table …) creates it.")
    if wants_json():
        return json_error(404, "NoPark", message)
    return render_template("no_park.html", message=message), 404


def error_response(status: int, code: str, message: str, **details):
    """The error as JSON for a JSON request (:func:`wants_json`), else as the error page for a browser."""
    if wants_json():
        return json_error(status, code, message, **details)
    return render_template("error.html", status=status, code=code, title=status_title(status, code),
                           message=message), status


#: The error page's title per status, in both languages (the JSON ``code`` stays the English name).
STATUS_TITLES = {
    400: ("请求有误", "Bad request"),
    401: ("需要登录", "Sign-in required"),
    403: ("没有权限", "Forbidden"),
    404: ("页面不存在", "Not found"),
    405: ("不支持此请求方法", "Method not allowed"),
    409: ("与当前数据冲突", "Conflict"),
    410: ("已不存在", "Gone"),
    412: ("数据已被他人修改", "Precondition failed"),
    413: ("上传内容过大", "Content too large"),
    415: ("不支持的内容类型", "Unsupported media type"),
    422: ("内容无法处理", "Unprocessable content"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("服务器内部错误", "Internal server error"),
    503: ("园区数据暂不可用", "Park unavailable"),
    507: ("磁盘空间不足", "Insufficient storage"),
}


def status_title(status: int, code: str) -> str:
    """The error page's title in the user's language (the ``code`` itself for a status without one)."""
    titles = STATUS_TITLES.get(status)
    return tr(*titles) if titles else code


def http_message(exc: HTTPException) -> str:
    """The exception's own description, or werkzeug's generic one in the user's language."""
    generic = GENERIC_MESSAGES.get(exc.code or 500)
    if generic and exc.description == type(exc).description:
        return tr(*generic)
    return exc.description or exc.name


#: The user's-language wording of werkzeug's generic descriptions (used when a view gave none of its own).
GENERIC_MESSAGES = {
    400: ("请求无效：服务器无法理解所发送的内容", "The request could not be understood (it is malformed)."),
    401: ("需要登录", "Sign-in is required."),
    403: ("没有权限访问此页面或执行此操作", "You are not allowed to see this page or do this."),
    404: ("未找到：服务器上没有这个地址", "Not found: there is no such address on the server."),
    405: ("此地址不接受该请求方法", "This address does not accept that request method."),
    409: ("请求与服务器上的当前数据冲突", "The request conflicts with the current state of the data."),
    413: ("所发送的内容超过了允许的大小", "What was sent is larger than allowed."),
    415: ("不支持所发送内容的媒体类型", "The media type of what was sent is not supported."),
    429: ("请求过于频繁，请稍后再试", "Too many requests; try again later."),
    500: ("服务器出错，未能完成请求；错误已记入日志", "The server failed to complete the request; the error is logged."),
}


def storage_full_response(exc: Exception):
    """507: a write refused by a full disk (whatever raised it); saves are atomic, so nothing changed."""
    log.error("disk full on %s %s: %s", request.method, request.path, exc)
    return error_response(507, "InsufficientStorage", tr(
        "磁盘已满，未保存：园区数据保持不变。请释放磁盘空间后重试。",
        "The disk is full; nothing was saved and the park is unchanged. Free some disk space and try again."))


def init_app(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def handle_bad_request(exc: BadRequest):
        return error_response(400, "InvalidParameterValue", str(exc), **exc.details)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        return error_response(exc.code or 500, exc.name.replace(" ", ""), http_message(exc),
                              **getattr(exc, "details", {}))

    @app.errorhandler(ParkStoreError)  # ParkUnavailable from the layer cache, or a direct read of the file
    def handle_park_unavailable(exc: ParkStoreError):
        if isinstance(exc, StorageFullError):
            return storage_full_response(exc)
        service = next((e for e in current_app.extensions.values() if isinstance(e, ParkService)), None)
        if service is not None and park_is_new(service):  # nothing imported yet: where to start, not an error
            return no_park_response()
        # The details (file paths, records, values) go to the log; check-park prints them for the administrator.
        log.error("park unavailable on %s %s: %s", request.method, request.path, exc)
        layer = exc.layer if isinstance(exc, ParkUnavailable) else None
        zh_layer, en_layer = (f"（{layer_name(layer)}图层）", f" (layer {layer!r})") if layer else ("", "")
        return error_response(503, "ParkUnavailable", tr(
            f"园区数据{zh_layer}当前无法使用：文件缺失、损坏，或在 ParkAtlas 之外被改成了无效的值。"
            "请告知系统管理员：在服务器上检查园区数据（检查命令 check-park）并修正，或从最近的备份恢复（恢复命令 restore）。",
            f"The park's data{en_layer} cannot be served as it is now: missing, damaged, or changed outside ParkAtlas "
            "into values that do not validate. Tell the administrator: they check the park's data on the server (the "
            "check-park command) and correct it, or restore the last backup (the restore command)."))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if is_storage_full(exc):
            return storage_full_response(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "InternalServerError", tr(*GENERIC_MESSAGES[500]))
