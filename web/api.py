"""JSON API: the summary figures, and every registry layer as OGC API – Features collections.

``/api/collections/<layer>/items`` returns GeoJSON in CRS84 (lon/lat) unless ``crs``
asks for EPSG:4326 (lat/lon), the park's working CRS or EPSG:3857 (OGC API –
Features Part 2), and says which in ``Content-Crs``. Tables (units, leases, …) come
as features with a null geometry. Items are selected by ``bbox`` (in
``bbox-crs``), ``datetime`` (the records' life, ``first_added`` to ``retired_on``)
and equality filters on the queryables (``?status=idle``), ordered by ``sortby``
and paged by ``limit``/``offset`` with ``next``/``prev`` links. Parameters are
checked in :mod:`web.api_params`; the landing page, conformance, OpenAPI document,
queryables and schemas are in :mod:`web.api_meta`. Each document has an HTML
rendition (``?f=html``, or a browser's ``Accept``).

An anonymous visitor of a public layer (``PARKATLAS_PUBLIC_LAYERS``) gets its public
fields and its records in force only (:mod:`web.public`), and sees only the public
collections; signed-in users get every field of every record, retired ones included.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from geo.crs import to_web
from geo.ogc_crs import ApiCrs, api_crs_list, epsg_uri, in_authority_order
from layers.geojson import dumps, feature_collection_text, feature_texts, json_ready
from layers.public_fields import in_force_mask
from layers.registry import REGISTRY
from layers.schema import Field, LayerSpec
from web.api_params import (  # noqa: F401 (int_param, page_params, parse_as_of: imported from here by other pages)
    ItemsQuery,
    crs_param,
    int_param,
    items_query,
    page_params,
    parse_as_of,
)
from web.auth import public_visitor
from web.background import large_park, park_figures, refresh_s
from web.errors import BadRequest, nothing_called
from web.i18n import current_lang, tr
from web.judged import notices, notices_json
from web.negotiation import check_format
from web.park import park, request_day
from web.public import visitor_fields

bp = Blueprint("api", __name__, url_prefix="/api")

#: The topics (``geo.judged``) of the summary's figures: the overview and ``/api/summary`` say which they could not judge.
SUMMARY_TOPICS = ("park_area", "land_supply", "factory_space", "roads", "pipelines", "idle_land", "inefficient_land",
                  "vacancy", "readiness")
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"


def park_info() -> dict:
    meta = park().meta()
    return {key: meta.get(key) for key in ("park_name", "working_epsg", "reference_date")}


@bp.get("/summary")
def summary():
    """The KPI figures of the overview page, as JSON; ``?as_of=YYYY-MM-DD`` counts the records of that day. A large
    park's may be computing in the background (``web.background``): then 202 with ``"computing": true``."""
    day = request_day()
    head = {"park": park_info(), "as_of": day.isoformat(), "not_judged": notices_json(notices(*SUMMARY_TOPICS))}
    figures = park_figures(day)
    if figures is None:  # a large park's figures, computing in the background: ask again later
        response = jsonify({**head, "computing": True})
        response.status_code, response.headers["Retry-After"] = 202, str(refresh_s())
        return response
    # Only a large park's answer says whether it computes (below the threshold it never does: nothing changed).
    return jsonify({**head, **({"computing": False} if large_park() else {}), **figures})


# -- what the request may see ------------------------------------------------------------------------


def visible_specs() -> list[LayerSpec]:
    """The collections of this request: the public layers for an anonymous visitor, else every layer."""
    if public_visitor():
        public = set(current_app.config["PUBLIC_LAYERS"])
        return [spec for spec in REGISTRY.values() if spec.name in public]
    return list(REGISTRY.values())


def collection_spec(layer: str) -> LayerSpec:
    """The collection ``layer`` (the permission hook has already refused one this request may not see)."""
    spec = REGISTRY.get(layer)
    if spec is None:
        raise nothing_called(f"没有集合 {layer!r}；可用集合：{', '.join(REGISTRY)}",
                             f"unknown collection {layer!r}; collections: {', '.join(REGISTRY)}",
                             field="collection", value=layer, allowed=REGISTRY)
    return spec


def queryable_names(spec: LayerSpec) -> tuple[str, ...]:
    """The fields this request may filter and sort ``spec`` by: every field, or an anonymous visitor's public ones."""
    fields = visitor_fields(spec.name)
    return spec.field_names if fields is None else tuple(fields)


def offered_crs() -> list[ApiCrs]:
    """The CRSs of the park's spatial collections, CRS84 first (:func:`geo.ogc_crs.api_crs_list`)."""
    return api_crs_list(int(park().meta().get("working_epsg")))


def storage_crs() -> str:
    return epsg_uri(int(park().meta().get("working_epsg")))


def ogc_json(body: dict, media_type: str = JSON) -> Response:
    """``body`` as JSON typed ``media_type``, its members in the order built (a schema's fields in the
    registry's order, which GDAL and QGIS keep; ``jsonify`` would sort them)."""
    return Response(dumps(body), content_type=media_type)


def link(rel: str, media_type: str, endpoint: str, title: str | None = None, **values) -> dict:
    """One OGC link object to ``endpoint`` (absolute URL)."""
    found = {"rel": rel, "type": media_type, "href": url_for(endpoint, **values, _external=True)}
    if title:
        found["title"] = title
    return found


def self_links(endpoint: str, *, json_type: str = JSON, **values) -> list[dict]:
    """``self`` (JSON) and ``alternate`` (HTML) links of a document, keeping ``lang``."""
    lang = {"lang": request.args["lang"]} if request.args.get("lang") else {}
    return [link("self", json_type, endpoint, **values, **lang),
            link("alternate", HTML, endpoint, tr("本页 HTML 版", "this document as HTML"), **values, **lang, f="html")]


# -- geometries, computed once per park version ---------------------------------------------------------


def crs_geometries(layer: str, crs: ApiCrs) -> np.ndarray:
    """The layer's geometries in ``crs`` (traditional axis order), reprojected once per park version.

    Requests never reproject: PROJ sets itself up once per thread (70–110 ms measured),
    and a threaded server may run every request in a new thread.
    """
    if crs.is_lonlat:
        return lonlat_geometries(layer)
    return park().derived(("crs_geometries", layer, crs.epsg),
                          lambda: park().layer(layer)[["geometry"]].to_crs(crs.epsg).geometry.to_numpy())


def lonlat_geometries(layer: str) -> np.ndarray:
    """The layer's geometries in lon/lat (CRS84 order), reprojected once per park version."""
    return park().derived(("lonlat_geometries", layer),
                          lambda: to_web(park().layer(layer)[["geometry"]]).geometry.to_numpy())


def crs_index(layer: str, crs: ApiCrs) -> shapely.STRtree:
    """A spatial index of :func:`crs_geometries`, built once per park version and CRS."""
    return park().derived(("crs_index", layer, crs.epsg), lambda: shapely.STRtree(crs_geometries(layer, crs)))


def layer_extent_lonlat(layer: str, *, in_force_only: bool = False) -> np.ndarray | None:
    """The layer's extent in lon/lat (of its records in force only, if asked), computed once per park version."""

    def compute():
        geometries = lonlat_geometries(layer)
        if in_force_only:
            geometries = geometries[in_force_positions(layer)]
        return shapely.total_bounds(geometries) if len(geometries) else None

    return park().derived(("extent_lonlat", layer, in_force_only), compute)


def in_force_positions(layer: str) -> np.ndarray:
    """Positions of the layer's records in force (``retired_on`` empty), ascending, once per park version."""
    return park().derived(("in_force_positions", layer), lambda: np.flatnonzero(in_force_mask(park().layer(layer))))


def id_positions(layer: str, id_field: str) -> pd.Index:
    """The layer's ids as a hashed index, built once per park version, for O(1) look-ups by id."""
    return park().derived(("id_index", layer), lambda: pd.Index(park().layer(layer)[id_field]))


# -- collections -------------------------------------------------------------------------------------


def collection_doc(spec: LayerSpec, *, in_force_only: bool = False) -> dict:
    """One collection's description: id, titles, item type, CRS84 extent (of the records in force only
    when ``in_force_only``), the CRSs it is offered in, and links to its items, schema and queryables."""
    lang = current_lang()
    doc = {
        "id": spec.name,
        "title": spec.label(lang),
        "title_zh": spec.label_zh,
        "title_en": spec.label_en,
        "description": spec.describe(lang),
        "itemType": "record" if spec.is_table else "feature",
    }
    if not spec.is_table:
        bounds = layer_extent_lonlat(spec.name, in_force_only=in_force_only)
        if bounds is not None and np.all(np.isfinite(bounds)):
            doc["extent"] = {"spatial": {"bbox": [[float(v) for v in bounds]], "crs": offered_crs()[0].uri}}
        doc["crs"] = [crs.uri for crs in offered_crs()]
        doc["storageCrs"] = storage_crs()
    values = {"layer": spec.name}
    schema_title = tr("要素的 JSON Schema", "JSON Schema of the features")
    doc["links"] = [
        *self_links("api.collection", **values),
        link("items", GEOJSON, "api.items", tr("要素", "Items"), **values),
        link("items", HTML, "api.items", tr("要素（HTML）", "Items (HTML)"), **values, f="html"),
        # GDAL reads "describedBy" (case and all), the IANA relation is "describedby": both, to one schema.
        link("describedby", SCHEMA_JSON, "api.feature_schema", schema_title, **values),
        link("describedBy", SCHEMA_JSON, "api.feature_schema", schema_title, **values),
        link("http://www.opengis.net/def/rel/ogc/1.0/schema", SCHEMA_JSON, "api.schema",
             tr("属性与几何的 JSON Schema", "JSON Schema of the properties and geometry"), **values),
        link("http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA_JSON, "api.queryables",
             tr("可查询字段", "Queryables"), **values),
    ]
    return doc


@bp.get("/collections")
def collections():
    """The collections this request may see (every layer and table, or the public ones for an anonymous visitor)."""
    fmt = check_format()
    specs = visible_specs()
    body = {
        "collections": [collection_doc(spec, in_force_only=visitor_fields(spec.name) is not None) for spec in specs],
        "crs": [crs.uri for crs in offered_crs()],
        "links": self_links("api.collections"),
    }
    if fmt == "html":
        return render_template("api/collections.html", doc=body, specs=specs)
    return ogc_json(body)


@bp.get("/collections/<layer>")
def collection(layer: str):
    fmt = check_format()
    spec = collection_spec(layer)
    doc = collection_doc(spec, in_force_only=visitor_fields(spec.name) is not None)
    if fmt == "html":
        return render_template("api/collection.html", doc=doc, spec=spec, queryables=queryable_names(spec))
    return ogc_json(doc)


# -- items -------------------------------------------------------------------------------------------


def equals_mask(column: pd.Series, values: tuple) -> np.ndarray:
    """Which records hold one of ``values`` (dates compared as days; a missing value matches nothing)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = tuple(pd.Timestamp(value) for value in values)
    return np.asarray(column.isin(values).fillna(False), dtype=bool)


def lifetime_mask(frame: pd.DataFrame, start: dt.date | None, end: dt.date | None) -> np.ndarray:
    """Which records exist on some day from ``start`` to ``end`` (``None``: open): added on or before
    ``end`` (or when unknown) and not retired on or before ``start`` — :func:`geo.records.in_force` over an interval."""
    keep = np.ones(len(frame), dtype=bool)
    if end is not None and "first_added" in frame.columns:
        keep &= ~np.asarray((frame["first_added"] > pd.Timestamp(end)).fillna(False), dtype=bool)
    if start is not None and "retired_on" in frame.columns:
        keep &= ~np.asarray((frame["retired_on"] <= pd.Timestamp(start)).fillna(False), dtype=bool)
    return keep


def narrowed(positions: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
    """The positions (all records when ``None``) where ``mask`` holds, ascending."""
    return np.flatnonzero(mask) if positions is None else positions[mask[positions]]


def sorted_positions(frame: pd.DataFrame, positions: np.ndarray | None,
                     sortby: tuple[tuple[str, bool], ...]) -> np.ndarray:
    """``positions`` (all records when ``None``) ordered by ``sortby``; missing values last, ties in layer order."""
    base = np.arange(len(frame)) if positions is None else positions
    names = [name for name, _ in sortby]
    keys = frame.iloc[base][names].reset_index(drop=True)
    order = keys.sort_values(by=names, ascending=[not descending for _, descending in sortby],
                             na_position="last", kind="stable").index.to_numpy()
    return base[order]


def selected_positions(spec: LayerSpec, frame: pd.DataFrame, query: ItemsQuery, *,
                       in_force_only: bool) -> np.ndarray | None:
    """Positions of the records the query selects, in the order asked; ``None`` for every record in layer
    order (the page is then a range: no array of the whole layer is made)."""
    positions = None
    if query.bbox is not None:
        found = crs_index(spec.name, query.bbox_crs).query(shapely.box(*query.bbox), predicate="intersects")
        positions = np.sort(found)
    if in_force_only:
        in_force = in_force_positions(spec.name)
        positions = in_force if positions is None else np.intersect1d(positions, in_force, assume_unique=True)
    for spec_field, values in query.filters:
        column = frame[spec_field.name] if spec_field.name in frame.columns else pd.Series(pd.NA, index=frame.index)
        positions = narrowed(positions, equals_mask(column, values))
    if query.datetime is not None:
        positions = narrowed(positions, lifetime_mask(frame, *query.datetime))
    if query.sortby:
        positions = sorted_positions(frame, positions, query.sortby)
    return positions


def page_frame(frame: pd.DataFrame, spec: LayerSpec, positions, fields: tuple[str, ...] | None,
               crs: ApiCrs | None) -> pd.DataFrame:
    """Rows ``positions`` of the cached layer (only ``fields``, unless ``None``), with their geometries in
    ``crs``'s axis order for a spatial layer."""
    page = frame.iloc[positions]
    if fields is not None:
        page = page[[name for name in fields if name in page.columns] + (["geometry"] if not spec.is_table else [])]
    if spec.is_table:
        return page
    geometries = in_authority_order(crs_geometries(spec.name, crs)[positions], crs)
    return gpd.GeoDataFrame(pd.DataFrame(page.drop(columns="geometry")), geometry=geometries)


def page_links(*, endpoint: str, values: dict, args, offset: int, limit: int, matched: int) -> list[dict]:
    """OGC ``self``/``alternate``/``prev``/``next`` links of one page of ``matched`` items."""
    def page_link(rel: str, page_offset: int, media_type: str = GEOJSON, **extra) -> dict:
        query = {**{k: v for k, v in args.items() if k not in ("offset", "f")}, "offset": page_offset, "limit": limit,
                 **extra}
        return {"rel": rel, "type": media_type, "href": url_for(endpoint, **values, **query, _external=True)}

    links = [page_link("self", offset), page_link("alternate", offset, HTML, f="html")]
    if offset > 0:
        links.append(page_link("prev", max(offset - limit, 0)))
    if offset + limit < matched:
        links.append(page_link("next", offset + limit))
    return links


def with_content_crs(response: Response, crs: ApiCrs | None) -> Response:
    """The response, saying the CRS of its coordinates (Part 2: ``Content-Crs: <uri>``)."""
    if crs is not None:
        response.headers["Content-Crs"] = f"<{crs.uri}>"
    return response


@bp.get("/collections/<layer>/items")
def items(layer: str):
    """A page of features, selected, ordered and projected as the parameters ask."""
    spec = collection_spec(layer)
    fmt = check_format()
    query = items_query(request.args, spec, queryable_names(spec), offered_crs())
    frame = park().layer(spec.name)
    fields = visitor_fields(spec.name)
    positions = selected_positions(spec, frame, query, in_force_only=fields is not None)
    matched = len(frame) if positions is None else len(positions)
    stop = min(query.offset + query.limit, matched)
    page = np.arange(query.offset, stop) if positions is None else positions[query.offset:stop]
    links = [*page_links(endpoint="api.items", values={"layer": spec.name}, args=request.args,
                         offset=query.offset, limit=query.limit, matched=matched),
             link("collection", JSON, "api.collection", spec.label(current_lang()), layer=spec.name)]
    rows = page_frame(frame, spec, page, fields, query.crs)
    if fmt == "html":
        return render_template("api/items.html", spec=spec, rows=html_rows(rows, spec), matched=matched,
                               offset=query.offset, fields=html_fields(spec, fields),
                               prev_offset=max(query.offset - query.limit, 0) if query.offset > 0 else None,
                               next_offset=stop if stop < matched else None)
    features = feature_texts(rows, id_field=spec.id_field)
    members = {"numberMatched": matched, "numberReturned": len(features),
               "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "links": links}
    return with_content_crs(Response(feature_collection_text(features, members), mimetype=GEOJSON), query.crs)


@bp.get("/collections/<layer>/items/<item_id>")
def item(layer: str, item_id: str):
    """One feature by its layer id (``crs`` as for the items)."""
    spec = collection_spec(layer)
    fmt = check_format()
    unknown = [name for name in request.args if name not in ("f", "lang", "crs")]
    if unknown:
        raise BadRequest(tr(f"未知参数 {', '.join(map(repr, unknown))}；可用：f, lang, crs",
                            f"unknown parameter {', '.join(map(repr, unknown))}; parameters: f, lang, crs"))
    crs = crs_param(request.args, "crs", spec, offered_crs())
    frame = park().layer(spec.name)
    fields = visitor_fields(spec.name)
    positions = id_positions(spec.name, spec.id_field).get_indexer([item_id])
    if positions[0] < 0 or (fields is not None and not in_force_mask(frame.iloc[positions[:1]])[0]):
        raise nothing_called(f"{spec.label_zh}中没有编号为 {item_id!r} 的要素",
                             f"no {spec.name} item with {spec.id_field} {item_id!r}",
                             field=spec.id_field, value=item_id)
    rows = page_frame(frame, spec, positions[:1], fields, crs)
    links = [*self_links("api.item", json_type=GEOJSON, layer=spec.name, item_id=item_id),
             link("collection", JSON, "api.collection", spec.label(current_lang()), layer=spec.name)]
    if fmt == "html":
        return render_template("api/item.html", spec=spec, row=html_rows(rows, spec)[0],
                               fields=html_fields(spec, fields))
    feature = feature_texts(rows, id_field=spec.id_field)[0]
    # Splice the links into the feature object rather than parse and re-serialise it.
    return with_content_crs(Response(f'{feature[:-1]},"links":{dumps(links)}}}', mimetype=GEOJSON), crs)


# -- HTML renditions ---------------------------------------------------------------------------------


def html_fields(spec: LayerSpec, fields: tuple[str, ...] | None) -> list[Field]:
    """The registry fields an HTML table shows, in the layer's order."""
    shown = spec.field_names if fields is None else fields
    return [item for item in spec.fields if item.name in shown]


def html_rows(rows: pd.DataFrame, spec: LayerSpec) -> list[dict]:
    """Each row as JSON-ready values with its id and geometry type (the page shows attributes, not shapes)."""
    values = json_ready(rows).to_dict("records")
    kinds = rows.geometry.geom_type.tolist() if "geometry" in rows.columns and len(rows) else [None] * len(rows)
    return [{"id": value.get(spec.id_field), "geometry_type": kind, "values": value}
            for value, kind in zip(values, kinds)]


def here(**changes) -> str:
    """The URL of this request with some query parameters changed (``None`` drops one): the HTML pages'
    language, format and paging links."""
    args = {**request.args.to_dict(), **changes}
    return url_for(request.endpoint, **(request.view_args or {}), **{k: v for k, v in args.items() if v is not None})


def init_app(app) -> None:
    """Register the API's blueprint; :func:`web.api_meta.init_app` calls this once its index and schema views
    are on ``bp`` (so this module never imports that one)."""
    app.jinja_env.globals["api_here"] = here
    app.register_blueprint(bp)
