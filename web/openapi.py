"""The OpenAPI 3.0 document of the OGC API (``/api/openapi``): every path, parameter and response.

Built from the registry for the collections the request may see, so each
collection's items path lists its own queryables as query parameters: GDAL sends
an attribute filter to the server for exactly the fields it finds there, and QGIS
and GDAL read the page size they may ask for from ``components.parameters.limit``.
Pure: plain values in, a JSON-ready dict out (the view supplies URLs and settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from layers.feature_schema import KIND_TYPES
from layers.schema import Field, LayerSpec

OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
OPENAPI_VERSION = "3.0.3"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
#: The shared parameters of the items paths, by name in ``components.parameters``.
ITEMS_PARAMETER_REFS = ("limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "sortby", "f", "lang")


@dataclass(frozen=True)
class ApiSettings:
    """What the document states besides the registry: where, whose, which CRSs and page sizes, which sign-in."""

    server_url: str
    title: str
    description: str
    crs_uris: Sequence[str]
    default_limit: int
    max_limit: int
    sign_in: bool


def _t(lang: str, zh: str, en: str) -> str:
    """The document's words in its language (``lang=en`` English, otherwise Chinese)."""
    return en if lang == "en" else zh


def field_parameter(spec_field: Field, lang: str) -> dict:
    """A query parameter filtering on ``spec_field`` (equality; repeat it for several accepted values)."""
    label = spec_field.label_en if lang == "en" else spec_field.label_zh
    schema: dict = {"type": KIND_TYPES[spec_field.kind]}
    if spec_field.kind == "date":
        schema["format"] = "date"
    if spec_field.kind == "code":
        schema["enum"] = list(spec_field.allowed_values)
    return {"name": spec_field.name, "in": "query", "required": False, "style": "form", "explode": True,
            "description": _t(lang, f"{label}等于（可重复，取其一）", f"{label} equals (repeat for any of several)"),
            "schema": schema}


def _response(description: str, *media_types: str, ref: str | None = None) -> dict:
    content = {media: {"schema": {"$ref": ref}} if ref and "html" not in media else {} for media in media_types}
    return {"description": description, "content": content}


def _errors() -> dict:
    return {"400": {"$ref": "#/components/responses/InvalidParameter"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": {"$ref": "#/components/responses/NotFound"}}


def _get(operation_id: str, summary: str, tags: list[str], responses: dict, parameters: list[dict]) -> dict:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": tags, "parameters": parameters,
                    "responses": {**responses, **_errors()}}}


def collection_paths(spec: LayerSpec, queryables: Sequence[str], *, lang: str) -> dict:
    """The paths of one collection: its description, items (with one parameter per queryable), one item,
    queryables and feature schema."""
    base = f"/collections/{spec.name}"
    tags = [spec.name]
    refs = [{"$ref": f"#/components/parameters/{name}"} for name in ITEMS_PARAMETER_REFS]
    filters = [field_parameter(item, lang) for item in spec.fields if item.name in queryables]
    format_refs = [{"$ref": "#/components/parameters/f"}, {"$ref": "#/components/parameters/lang"}]
    title = spec.label(lang)

    def words(zh: str, en: str) -> str:
        return _t(lang, f"{title}：{zh}", f"{title}: {en}")

    return {
        base: _get(f"describe_{spec.name}", words("图层说明", "collection"), tags,
                   {"200": _response(_t(lang, "图层说明", "The collection"), "application/json", "text/html",
                                     ref="#/components/schemas/collection")}, format_refs),
        f"{base}/items": _get(f"items_{spec.name}", words("要素", "features"), tags,
                              {"200": _response(_t(lang, "一页要素", "A page of features"), "application/geo+json",
                                                "text/html", ref="#/components/schemas/featureCollection")},
                              refs + filters),
        f"{base}/items/{{featureId}}": _get(
            f"item_{spec.name}", words("单个要素", "one feature"), tags,
            {"200": _response(_t(lang, "单个要素", "One feature"), "application/geo+json", "text/html",
                              ref="#/components/schemas/feature")},
            [{"$ref": "#/components/parameters/featureId"}, {"$ref": "#/components/parameters/crs"}, *format_refs]),
        f"{base}/queryables": _get(f"queryables_{spec.name}", words("可筛选字段", "queryables"), tags,
                                   {"200": _response(_t(lang, "可筛选、排序字段的 JSON Schema",
                                                        "JSON Schema of the fields to filter and sort by"),
                                                     "application/schema+json", "text/html")}, format_refs),
        f"{base}/schema": _get(f"returnables_{spec.name}", words("属性与图形", "properties and geometry"), tags,
                               {"200": _response(_t(lang, "属性与图形的 JSON Schema（第 5 部分）",
                                                    "JSON Schema of the properties and geometry (Part 5)"),
                                                 "application/schema+json", "text/html")}, format_refs),
        f"{base}/feature-schema": _get(f"schema_{spec.name}", words("要素结构", "feature schema"), tags,
                                       {"200": _response(_t(lang, "单个要素的 JSON Schema", "JSON Schema of one feature"),
                                                         "application/schema+json", "text/html")}, format_refs),
    }


def components(settings: ApiSettings, lang: str = "zh") -> dict:
    """Shared parameters, schemas, responses and sign-in schemes (descriptions in ``lang``)."""
    crs_schema = {"type": "string", "format": "uri", "enum": list(settings.crs_uris), "default": settings.crs_uris[0]}
    parameters = {
        "limit": {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
                  "description": _t(lang, "每页要素数；超过上限按上限返回",
                                    "Features per page; more than the maximum gets the maximum."),
                  "schema": {"type": "integer", "minimum": 1, "maximum": settings.max_limit,
                             "default": settings.default_limit}},
        "offset": {"name": "offset", "in": "query", "required": False,
                   "description": _t(lang, "跳过的要素数（上一页、下一页链接自带）",
                                     "Features to skip (the next and prev links carry it)."),
                   "schema": {"type": "integer", "minimum": 0, "default": 0}},
        "bbox": {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
                 "description": _t(lang, "最小 x、最小 y、最大 x、最大 y（或含高程的 6 个数），按 bbox-crs 的轴序",
                                   "min x, min y, max x, max y (or 6 numbers with heights) in bbox-crs's axis order."),
                 "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
        "bbox-crs": {"name": "bbox-crs", "in": "query", "required": False, "schema": crs_schema,
                     "description": _t(lang, "bbox 的坐标系（默认 CRS84）", "CRS of bbox (default CRS84).")},
        "crs": {"name": "crs", "in": "query", "required": False, "schema": crs_schema,
                "description": _t(lang, "返回坐标的坐标系（默认 CRS84），见响应头 Content-Crs",
                                  "CRS of the coordinates returned (default CRS84), stated in Content-Crs.")},
        "datetime": {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": _t(lang, "某日或区间 起/止（.. 表示不限）：当时存在的记录（区间结束前录入、开始前未注销）",
                                       "A day or an interval start/end (.. open): records that existed then "
                                       "(added before its end, not retired before its start).")},
        "sortby": {"name": "sortby", "in": "query", "required": False, "style": "form", "explode": False,
                   "description": _t(lang, "排序字段，逗号分隔，+字段名 升序、-字段名 降序",
                                     "Queryables to order by, comma-separated, each +name (ascending) or -name."),
                   "schema": {"type": "array", "items": {"type": "string"}}},
        "f": {"name": "f", "in": "query", "required": False,
              "description": _t(lang, "返回格式：JSON（默认）或网页", "json (default) or html."),
              "schema": {"type": "string", "enum": ["json", "html"]}},
        "lang": {"name": "lang", "in": "query", "required": False,
                 "description": _t(lang, "标题语言：中文（默认）或英文", "Titles in zh (default) or en."),
                 "schema": {"type": "string", "enum": ["zh", "en"]}},
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "description": _t(lang, "记录编号", "The record's id."),
                      "schema": {"type": "string"}},
    }
    schemas = {
        "exception": {"type": "object", "required": ["code"],
                      "properties": {"code": {"type": "string"}, "description": {"type": "string"}}},
        "link": {"type": "object", "required": ["href"],
                 "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                                "title": {"type": "string"}}},
        "collection": {"type": "object", "required": ["id", "links"],
                       "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                      "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}}},
        "feature": {"type": "object", "required": ["type", "geometry", "properties"],
                    "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                                   "geometry": {"type": "object", "nullable": True},
                                   "properties": {"type": "object", "nullable": True}}},
        "featureCollection": {"type": "object", "required": ["type", "features"],
                              "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                             "features": {"type": "array",
                                                          "items": {"$ref": "#/components/schemas/feature"}},
                                             "numberMatched": {"type": "integer", "minimum": 0},
                                             "numberReturned": {"type": "integer", "minimum": 0},
                                             "links": {"type": "array",
                                                       "items": {"$ref": "#/components/schemas/link"}}}},
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}
    responses = {"InvalidParameter": {"description": _t(lang, "参数无效（消息中指明是哪个）",
                                                        "A parameter is not valid (the message names it)."),
                                      "content": error},
                 "Unauthorized": {"description": _t(lang, "需要登录：HTTP Basic 或 API 令牌（Bearer）",
                                                    "Sign in: HTTP Basic, or an API token (Bearer)."), "content": error},
                 "NotFound": {"description": _t(lang, "没有这个图层或要素", "No such collection or feature."),
                              "content": error}}
    found = {"parameters": parameters, "schemas": schemas, "responses": responses}
    if settings.sign_in:
        found["securitySchemes"] = {"basic": {"type": "http", "scheme": "basic"},
                                    "token": {"type": "http", "scheme": "bearer",
                                              "description": _t(lang, "账户页上生成的个人 API 令牌",
                                                                "A personal API token from the account page.")}}
    return found


def openapi_document(settings: ApiSettings, collections: Sequence[tuple[LayerSpec, Sequence[str]]], *,
                     lang: str) -> dict:
    """The whole document for ``collections`` (each with the queryables the request may use)."""
    json_html = ("application/json", "text/html")
    index = [{"$ref": "#/components/parameters/f"}, {"$ref": "#/components/parameters/lang"}]
    paths = {
        "/": _get("landing", _t(lang, "首页", "Landing page"), ["index"],
                  {"200": _response(_t(lang, "API 各部分的链接", "Links to the API"), *json_html)}, index),
        "/conformance": _get("conformance", _t(lang, "符合的标准类别", "Conformance classes"), ["index"],
                             {"200": _response(_t(lang, "符合的标准类别", "The conformance classes"), *json_html)},
                             index),
        "/openapi": _get("openapi", _t(lang, "本文档", "This document"), ["index"],
                         {"200": _response(_t(lang, "OpenAPI 文档", "The OpenAPI document"), OPENAPI_JSON,
                                           "text/html")}, index),
        "/collections": _get("collections", _t(lang, "图层列表", "The collections"), ["index"],
                             {"200": _response(_t(lang, "全部图层", "Every collection"), *json_html)}, index),
    }
    for spec, queryables in collections:
        paths.update(collection_paths(spec, queryables, lang=lang))
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": settings.title, "version": "1.0.0", "description": settings.description,
                 "contact": {"name": settings.title}},
        "servers": [{"url": settings.server_url}],
        "tags": [{"name": "index"}] + [{"name": spec.name, "description": spec.label(lang)}
                                       for spec, _ in collections],
        "paths": paths,
        "components": components(settings, lang),
    }
    if settings.sign_in:
        document["security"] = [{"basic": []}, {"token": []}]
    return document
