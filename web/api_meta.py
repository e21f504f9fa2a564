"""The OGC API's index and schemas: landing page, conformance, OpenAPI document, queryables, feature schemas.

QGIS and GDAL start from the landing page alone (``/api`` or ``/api/``): its
``service-desc`` link (the OpenAPI 3.0 document, typed
``application/vnd.oai.openapi+json;version=3.0``), ``conformance`` and ``data``
(the collections). ``service-doc`` is an HTML page of the same document, served
by the app (no CDN: parks run offline). Each collection links its
``describedBy`` JSON Schema and its queryables (:mod:`layers.feature_schema`),
so clients type dates, booleans and numbers from the registry, not from guesses.

An anonymous visitor of a deployment with public layers reads these too, listing
the public layers and their public fields only.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for

from layers.feature_schema import feature_schema, fields_schemas, queryables, returnables
from web.api import (
    HTML,
    JSON,
    SCHEMA_JSON,
    bp,
    collection_spec,
    link,
    offered_crs,
    ogc_json,
    queryable_names,
    self_links,
    visible_specs,
)
from web.api import (
    init_app as init_api,
)
from web.i18n import current_lang, tr
from web.negotiation import check_format
from web.openapi import CONFORMANCE, OPENAPI_JSON, ApiSettings, openapi_document
from web.park import park
from web.public import visitor_fields


def api_title() -> str:
    name = park().meta().get("park_name") or "ParkAtlas"
    return f"{name} — ParkAtlas OGC API"


@bp.get("/", strict_slashes=False)
def landing():
    """The landing page: what the API is and where everything is (``/api`` and ``/api/``)."""
    fmt = check_format()
    body = {
        "title": api_title(),
        "description": tr("园区各图层与属性表，OGC API – Features（第 1、2 部分）", "The park's layers and tables as "
                          "OGC API – Features (Parts 1 and 2)"),
        "links": [
            *self_links("api.landing"),
            link("service-desc", OPENAPI_JSON, "api.openapi", tr("OpenAPI 3.0 定义", "OpenAPI 3.0 definition")),
            link("service-doc", HTML, "api.openapi", tr("API 文档", "API documentation"), f="html"),
            link("conformance", JSON, "api.conformance", tr("符合的标准", "Conformance classes")),
            link("http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON, "api.conformance"),
            link("data", JSON, "api.collections", tr("图层与属性表", "Layers and tables")),
            link("http://www.opengis.net/def/rel/ogc/1.0/data", JSON, "api.collections"),
        ],
    }
    if fmt == "html":
        return render_template("api/landing.html", doc=body, specs=visible_specs())
    return ogc_json(body)


@bp.get("/conformance")
def conformance():
    """The conformance classes the API implements."""
    body = {"conformsTo": list(CONFORMANCE)}
    if check_format() == "html":
        return render_template("api/conformance.html", doc=body)
    return ogc_json(body)


def api_settings() -> ApiSettings:
    config = current_app.config
    return ApiSettings(server_url=url_for("api.landing", _external=True).rstrip("/"), title=api_title(),
                       description=tr("园区图层的 OGC API – Features", "OGC API – Features of the park's layers"),
                       crs_uris=[crs.uri for crs in offered_crs()], default_limit=int(config["API_DEFAULT_LIMIT"]),
                       max_limit=int(config["API_MAX_LIMIT"]), sign_in=bool(config["AUTH_REQUIRED"]))


@bp.get("/openapi")
def openapi():
    """The OpenAPI 3.0 document (``service-desc``), or its HTML page (``service-doc``, ``?f=html``)."""
    fmt = check_format()
    document = openapi_document(api_settings(), [(spec, queryable_names(spec)) for spec in visible_specs()],
                                lang=current_lang())
    if fmt == "html":
        return render_template("api/openapi.html", doc=document)
    return ogc_json(document, OPENAPI_JSON)


def schema_response(layer: str, build, endpoint: str, kind: str):
    """A JSON Schema of collection ``layer`` built by ``build`` (with the fields this request may see), or its
    HTML page (a table of the fields)."""
    spec = collection_spec(layer)
    fmt = check_format()
    url = url_for(endpoint, layer=spec.name, _external=True)
    doc = build(spec, queryable_names(spec), lang=current_lang(), url=url)
    if fmt == "html":
        fields = fields_schemas(spec, visitor_fields(spec.name), lang=current_lang())
        return render_template("api/schema.html", spec=spec, doc=doc, fields=fields, kind=kind)
    return ogc_json(doc, SCHEMA_JSON)


@bp.get("/collections/<layer>/queryables", endpoint="queryables")
def queryables_view(layer: str):
    """The fields of ``layer`` to filter (``?field=value``) and sort (``sortby``) by, as a JSON Schema."""
    return schema_response(layer, queryables, "api.queryables", "queryables")


@bp.get("/collections/<layer>/feature-schema", endpoint="feature_schema")
def feature_schema_view(layer: str):
    """The JSON Schema of one feature of ``layer`` as the items carry it (the ``describedBy`` link)."""
    return schema_response(layer, feature_schema, "api.feature_schema", "schema")


@bp.get("/collections/<layer>/schema", endpoint="schema")
def schema_view(layer: str):
    """The feature's properties and geometry, flat, as a JSON Schema (OGC API – Features Part 5)."""
    return schema_response(layer, returnables, "api.schema", "schema")


def init_app(app) -> None:
    """The whole OGC API: the index and schema views above are on ``bp`` now, so register it."""
    init_api(app)
