"""Request limits: how large a body each endpoint accepts, and JSON parsed within depth, vertex and feature limits.

Body size, in one ``before_request`` hook that runs before any other (before the
sign-in and CSRF check, which may read a form): endpoints that receive files
(:data:`UPLOAD_ENDPOINTS`) accept ``MAX_CONTENT_LENGTH`` (``PARKATLAS_MAX_UPLOAD_MB``),
every other one ``MAX_JSON_BYTES`` (``PARKATLAS_MAX_JSON_MB``) — JSON bodies and
forms are small, and a 72 MB "polygon" should cost nothing to refuse. A declared
``Content-Length`` over the cap is refused at once, before a byte of the body is
read; a chunked body (no length) is read through a stream capped at the same
size (:class:`CappedInput`). Either way: **413** with a
message in the user's language, JSON for JSON clients.

JSON: :func:`json_body` and :func:`json_value` parse with :func:`layers.json_guard.parse_json`
— nesting deeper than ``JSON_MAX_DEPTH`` is refused before parsing, GeoJSON
vertices and features are counted while parsing — and turn a limit into a
**400** naming the limit and the count seen. Every other ``request.get_json()`` of
the application gets the depth check too, from the JSON provider installed here
(a too-deep body then reads as "not JSON", never as a 500).
"""

from __future__ import annotations

import io

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from layers.json_guard import JsonLimitError, JsonLimits, nesting_depth, parse_json
from web.errors import BadRequest, error_response
from web.i18n import tr

#: Endpoints that receive files: they accept ``MAX_CONTENT_LENGTH``; every other endpoint ``MAX_JSON_BYTES``.
#: ``tests/test_web_limits.py`` fails for a view that reads ``request.files`` and is not listed here.
UPLOAD_ENDPOINTS = frozenset({"imports.upload"})


def body_limit(endpoint: str | None, config) -> int | None:
    """The most bytes a request body to ``endpoint`` may have (``None``: no limit)."""
    ceiling = config.get("MAX_CONTENT_LENGTH")
    if endpoint in UPLOAD_ENDPOINTS:
        return ceiling
    small = int(config["MAX_JSON_BYTES"])
    return small if ceiling is None else min(small, int(ceiling))


def _bytes(n: int) -> str:
    return f"{n:,}"


def too_large_message(limit: int, length: int | None) -> str:
    """Why a body was refused (413), in the current language."""
    mb = limit / (1024 * 1024)
    size_zh = f"（{_bytes(length)} 字节）" if length is not None else ""
    size_en = f" ({_bytes(length)} bytes)" if length is not None else ""
    return tr(f"请求体过大{size_zh}：此地址最多接受 {_bytes(limit)} 字节（{mb:g} MB）；请简化图形或分批提交",
              f"the request body is too large{size_en}: this address accepts at most {_bytes(limit)} bytes "
              f"({mb:g} MB); simplify the geometry or send less at a time")


class CappedInput(io.RawIOBase):
    """A WSGI input that refuses (413) the first byte past ``limit``.

    For bodies without a ``Content-Length`` (chunked): werkzeug's own stream limit
    stops reading at its limit without an error, so a longer body would arrive cut
    short instead of refused. Reads are bounded to one byte past the limit, so an
    over-long body costs at most the limit in memory.
    """

    def __init__(self, stream, limit: int):
        super().__init__()
        self._stream, self._limit, self._count = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        room = memoryview(buffer)[:self._limit - self._count + 1]
        if hasattr(self._stream, "readinto"):
            size = self._stream.readinto(room) or 0
        else:
            data = self._stream.read(len(room))
            size = len(data)
            room[:size] = data
        self._count += size
        if self._count > self._limit:
            raise RequestEntityTooLarge(too_large_message(self._limit, None))
        return size


def cap_request_body() -> None:
    """Set this request's body cap by endpoint and refuse a declared length over it (before anything reads it)."""
    limit = body_limit(request.endpoint, current_app.config)
    if limit is None:
        return
    length = request.content_length
    if length is not None and length > limit:
        raise RequestEntityTooLarge(too_large_message(limit, length))
    if length is None:  # chunked: counted as it is read
        request.environ["wsgi.input"] = CappedInput(request.environ["wsgi.input"], limit)
    # Flask's own cap, one byte over ours: its stream for chunked bodies (on CappedInput) reads one byte
    # past its limit before it stops, and that byte is what shows CappedInput a body too long.
    request.max_content_length = limit + 1


# -- JSON ------------------------------------------------------------------------------------------------


def json_limits(*, max_vertices: int | None = None, max_features: int | None = None) -> JsonLimits:
    """The configured nesting limit with these GeoJSON counts."""
    return JsonLimits(max_depth=int(current_app.config["JSON_MAX_DEPTH"]), max_vertices=max_vertices,
                      max_features=max_features)


def limit_message(exc: JsonLimitError) -> str:
    """A refused document (400): which limit, the count seen, the limit, in the current language."""
    seen, limit = exc.seen, exc.limit
    if exc.limit_name == "depth":
        return tr(f"JSON 嵌套过深：{seen} 层，最多允许 {limit} 层",
                  f"the JSON is nested {seen} levels deep; at most {limit} levels are accepted")
    if exc.limit_name == "vertices":
        return tr(f"图形至少有 {seen} 个顶点，最多允许 {limit} 个（请简化图形）",
                  f"the geometry has at least {seen} vertices; at most {limit} are accepted (simplify it)")
    return tr(f"要素过多：至少 {seen} 个，最多允许 {limit} 个",
              f"too many features: at least {seen}; at most {limit} are accepted")


def json_value(data: bytes | str, limits: JsonLimits):
    """JSON text parsed within ``limits``; ``None`` when it is not JSON; :class:`BadRequest` over a limit."""
    try:
        return parse_json(data, limits)
    except JsonLimitError as exc:
        raise BadRequest(limit_message(exc)) from None
    except ValueError:
        return None


def json_body(limits: JsonLimits | None = None):
    """The request's JSON body within ``limits`` (default: the nesting limit only); ``None`` when it is not JSON.

    The body is read once here; the hook above has already capped its size.
    """
    return json_value(request.get_data(cache=True), limits or json_limits())


class DepthCheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing text nested deeper than ``JSON_MAX_DEPTH`` before parsing it.

    The refusal is a ``ValueError``, so ``request.get_json(silent=True)`` reads such a
    body as ``None`` and ``get_json()`` answers 400 — where the recursion of the
    standard parser raised ``RecursionError`` (500).
    """

    def loads(self, s, **kwargs):
        raw = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        depth, limit = nesting_depth(raw), int(self._app.config["JSON_MAX_DEPTH"])
        if depth > limit:
            raise JsonLimitError("depth", limit, depth)
        return super().loads(raw, **kwargs)


def init_app(app: Flask) -> None:
    """The body cap (first of all hooks), its 413 answer, and the depth-checked JSON provider."""
    app.before_request_funcs.setdefault(None, []).insert(0, cap_request_body)
    app.json = DepthCheckedJSONProvider(app)

    @app.errorhandler(RequestEntityTooLarge)
    def refuse_too_large(exc: RequestEntityTooLarge):
        limit, length = body_limit(request.endpoint, current_app.config), request.content_length
        if limit is not None and (length is None or length > limit):
            return error_response(413, "RequestEntityTooLarge", too_large_message(limit, length))
        # The body is within its cap: a form field over MAX_FORM_MEMORY_SIZE, or too many parts.
        field = int(current_app.config.get("MAX_FORM_MEMORY_SIZE") or 0)
        return error_response(413, "RequestEntityTooLarge",
                              tr(f"表单字段过大或字段过多：每个字段最多 {_bytes(field)} 字节",
                                 f"a form field is too large, or there are too many: at most {_bytes(field)} bytes "
                                 "per field"))


__all__ = ["UPLOAD_ENDPOINTS", "body_limit", "json_body", "json_limits", "json_value", "limit_message"]
