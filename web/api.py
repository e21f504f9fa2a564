"""JSON API: the summary figures and every registry layer in the OGC API Features shape.

``/api/collections/<layer>/items`` returns GeoJSON in EPSG:4326 (CRS84 axis
order, lon/lat) so QGIS and other OGC clients can add a layer directly; tables
(units, leases, …) come as features with a null geometry. Views only parse
parameters and call ``layers``/``geo``; every bad parameter is a 400 and every
unknown layer or item a 404, in the one error shape of ``web.errors``.

An anonymous visitor of a public layer (``PARKATLAS_PUBLIC_LAYERS``) gets its public
fields and its records in force only (:mod:`web.public`); signed-in users get every
field of every record, retired ones included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from geo.bbox import check_lonlat_bbox
from geo.crs import WEB_EPSG, to_web
from geo.summary import FIGURE_GROUPS, park_summary
from layers.geojson import dumps, feature_collection_text, feature_texts
from layers.public_fields import in_force_mask
from layers.registry import REGISTRY
from layers.schema import LayerSpec
from web.errors import BadRequest
from web.i18n import current_lang, tr
from web.judged import notices, notices_json
from web.park import park
from web.public import visitor_fields

bp = Blueprint("api", __name__, url_prefix="/api")

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: The topics (``geo.judged``) of the summary's figures: the overview and ``/api/summary`` say which they could not judge.
SUMMARY_TOPICS = ("park_area", "land_supply", "factory_space", "roads", "pipelines", "idle_land", "inefficient_land",
                  "vacancy", "readiness")
GEOJSON = "application/geo+json"


def park_as_of(asked: dt.date | None = None) -> dt.date:
    """The day a page judges the park on: the one asked for, else the park's reference date, else today."""
    if asked is not None:
        return asked
    reference = park().meta().get("reference_date")
    if reference:
        try:
            return dt.date.fromisoformat(str(reference))
        except ValueError:
            pass
    return dt.date.today()


def cached_summary(as_of: dt.date | None = None) -> dict:
    """The park's KPI figures as of ``park_as_of(as_of)``, computed once per park version and day."""
    day = park_as_of(as_of)
    return park().derived(("park_summary", day), lambda: park_summary(summary_layers(), as_of=day))


def summary_layers() -> dict[str, pd.DataFrame]:
    """The layers the summary's figure groups take, from the current park."""
    names = {name for _, layer_names, _ in FIGURE_GROUPS for name in layer_names}
    return {name: park().layer(name) for name in sorted(names)}


def park_info() -> dict:
    meta = park().meta()
    return {key: meta.get(key) for key in ("park_name", "working_epsg", "reference_date")}


@bp.get("/summary")
def summary():
    """The KPI figures of the overview page, as JSON; ``?as_of=YYYY-MM-DD`` counts the records of that day."""
    as_of = parse_as_of(request.args)
    figures = cached_summary(as_of)
    return jsonify({"park": park_info(), "as_of": park_as_of(as_of).isoformat(),
                    "not_judged": notices_json(notices(*SUMMARY_TOPICS)), **figures})


# -- parameters --------------------------------------------------------------------------------------


def _spec(layer: str) -> LayerSpec:
    spec = REGISTRY.get(layer)
    if spec is None:
        raise NotFound(f"unknown collection {layer!r}; collections: {', '.join(REGISTRY)}")
    return spec


def int_param(args: Mapping[str, str], name: str, *, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer query parameter within bounds; :class:`BadRequest` naming it and the value otherwise."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise BadRequest(f"{name} must be {allowed}, got {value}")
    return value


def page_params(args: Mapping[str, str]) -> tuple[int, int]:
    """``(limit, offset)`` of a paged list, each bounded by the app's configuration (400 outside)."""
    config = current_app.config
    limit = int_param(args, "limit", default=config["API_DEFAULT_LIMIT"], minimum=1, maximum=config["API_MAX_LIMIT"])
    offset = int_param(args, "offset", default=0, minimum=0, maximum=config["API_MAX_OFFSET"])
    return limit, offset


def date_param(args: Mapping[str, str], name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` query parameter, or ``None`` when absent."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(f"{name} must be a date written YYYY-MM-DD, got {raw!r}") from None


def parse_as_of(args: Mapping[str, str]) -> dt.date | None:
    """The day asked for with ``?as_of=YYYY-MM-DD`` (None when absent), within the configured range.

    Every view that judges the park on a day reads it here, so a day the analyses
    cannot count in (before ``AS_OF_EARLIEST`` or after ``AS_OF_LATEST``) is one
    clear 400 naming the range, whichever page is asked.
    """
    day = date_param(args, "as_of")
    if day is None:
        return None
    earliest = dt.date.fromisoformat(str(current_app.config["AS_OF_EARLIEST"]))
    latest = dt.date.fromisoformat(str(current_app.config["AS_OF_LATEST"]))
    if not earliest <= day <= latest:
        raise BadRequest(tr(f"as_of 必须在 {earliest} 至 {latest} 之间，收到 {day}",
                            f"as_of must be between {earliest} and {latest}, got {day}"))
    return day


def bbox_param(args: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    """The ``bbox`` parameter as (min lon, min lat, max lon, max lat), or ``None`` when absent."""
    raw = args.get("bbox")
    if raw is None or raw == "":
        return None
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        raise BadRequest(f"bbox must be 4 comma-separated numbers (min lon,min lat,max lon,max lat), got {raw!r}") from None
    try:
        return check_lonlat_bbox(values)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def page_links(*, endpoint: str, values: dict, args: Mapping[str, str], offset: int, limit: int,
               matched: int) -> list[dict]:
    """OGC ``self``/``prev``/``next`` links of one page of ``matched`` items."""
    def link(rel: str, page_offset: int) -> dict:
        query = {**{k: v for k, v in args.items() if k != "offset"}, "offset": page_offset, "limit": limit}
        return {"rel": rel, "type": GEOJSON, "href": url_for(endpoint, **values, **query, _external=True)}

    links = [link("self", offset)]
    if offset > 0:
        links.append(link("prev", max(offset - limit, 0)))
    if offset + limit < matched:
        links.append(link("next", offset + limit))
    return links


# -- collections -------------------------------------------------------------------------------------


def collection_doc(spec: LayerSpec, *, in_force_only: bool = False) -> dict:
    """One collection's description: id, titles, item type, CRS84 extent (of the records in force only
    when ``in_force_only``) and links."""
    lang = current_lang()
    doc = {
        "id": spec.name,
        "title": spec.label(lang),
        "title_zh": spec.label_zh,
        "title_en": spec.label_en,
        "description": spec.description,
        "itemType": "record" if spec.is_table else "feature",
    }
    if not spec.is_table:
        bounds = layer_extent_lonlat(spec.name, in_force_only=in_force_only)
        if bounds is not None and np.all(np.isfinite(bounds)):
            doc["extent"] = {"spatial": {"bbox": [[float(v) for v in bounds]], "crs": CRS84}}
        doc["crs"] = [CRS84]
        doc["storageCrs"] = f"http://www.opengis.net/def/crs/EPSG/0/{park().meta().get('working_epsg')}"
    doc["links"] = [
        {"rel": "self", "type": "application/json",
         "href": url_for("api.collection", layer=spec.name, _external=True)},
        {"rel": "items", "type": GEOJSON,
         "href": url_for("api.items", layer=spec.name, _external=True)},
    ]
    return doc


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


def lonlat_geometries(layer: str) -> np.ndarray:
    """The layer's geometries in lon/lat (CRS84 order), reprojected once per park version.

    Requests never reproject: PROJ sets itself up once per thread (70–110 ms measured),
    and a threaded server may run every request in a new thread.
    """
    return park().derived(("lonlat_geometries", layer),
                          lambda: to_web(park().layer(layer)[["geometry"]]).geometry.to_numpy())


def lonlat_index(layer: str) -> shapely.STRtree:
    """A spatial index of :func:`lonlat_geometries`, built once per park version."""
    return park().derived(("lonlat_index", layer), lambda: shapely.STRtree(lonlat_geometries(layer)))


def id_positions(layer: str, id_field: str) -> pd.Index:
    """The layer's ids as a hashed index, built once per park version, for O(1) look-ups by id."""
    return park().derived(("id_index", layer), lambda: pd.Index(park().layer(layer)[id_field]))


@bp.get("/collections")
def collections():
    """Every layer and table of the registry."""
    return jsonify({
        "collections": [collection_doc(spec) for spec in REGISTRY.values()],
        "links": [{"rel": "self", "type": "application/json", "href": url_for("api.collections", _external=True)}],
    })


@bp.get("/collections/<layer>")
def collection(layer: str):
    spec = _spec(layer)
    return jsonify(collection_doc(spec, in_force_only=visitor_fields(spec.name) is not None))


def _web_page(frame: pd.DataFrame, spec: LayerSpec, positions, fields: tuple[str, ...] | None) -> pd.DataFrame:
    """Rows ``positions`` of the cached layer (only ``fields``, unless ``None``), with their lon/lat
    geometries for a spatial layer."""
    page = frame.iloc[positions]
    if fields is not None:
        page = page[[name for name in fields if name in page.columns] + (["geometry"] if not spec.is_table else [])]
    if spec.is_table:
        return page
    return gpd.GeoDataFrame(pd.DataFrame(page.drop(columns="geometry")),
                            geometry=lonlat_geometries(spec.name)[positions], crs=WEB_EPSG)


@bp.get("/collections/<layer>/items")
def items(layer: str):
    """A page of features, optionally within a lon/lat ``bbox``."""
    spec = _spec(layer)
    args = request.args
    limit, offset = page_params(args)
    bbox = bbox_param(args)
    frame = park().layer(spec.name)
    fields = visitor_fields(spec.name)
    if bbox is not None:
        if spec.is_table:
            raise BadRequest(f"collection {spec.name!r} is a table without geometry; bbox does not apply")
        # Features whose lon/lat geometry intersects the lon/lat box, from the index; only the page is copied.
        positions = np.sort(lonlat_index(spec.name).query(shapely.box(*bbox), predicate="intersects"))
        if fields is not None:
            positions = np.intersect1d(positions, in_force_positions(spec.name), assume_unique=True)
    elif fields is not None:
        positions = in_force_positions(spec.name)
    else:
        positions = None  # every record: the page is a range, no array of the whole layer is made
    matched = len(frame) if positions is None else len(positions)
    page = np.arange(offset, min(offset + limit, matched)) if positions is None else positions[offset:offset + limit]
    features = feature_texts(_web_page(frame, spec, page, fields), id_field=spec.id_field)
    members = {
        "numberMatched": matched,
        "numberReturned": len(features),
        "links": page_links(endpoint="api.items", values={"layer": spec.name}, args=args, offset=offset,
                            limit=limit, matched=matched),
    }
    return Response(feature_collection_text(features, members), mimetype=GEOJSON)


@bp.get("/collections/<layer>/items/<item_id>")
def item(layer: str, item_id: str):
    """One feature by its layer id."""
    spec = _spec(layer)
    frame = park().layer(spec.name)
    fields = visitor_fields(spec.name)
    positions = id_positions(spec.name, spec.id_field).get_indexer([item_id])
    if positions[0] < 0 or (fields is not None and not in_force_mask(frame.iloc[positions[:1]])[0]):
        raise NotFound(f"no {spec.name} item with {spec.id_field} {item_id!r}")
    feature = feature_texts(_web_page(frame, spec, positions[:1], fields), id_field=spec.id_field)[0]
    links = [
        {"rel": "self", "type": GEOJSON,
         "href": url_for("api.item", layer=spec.name, item_id=item_id, _external=True)},
        {"rel": "collection", "type": "application/json",
         "href": url_for("api.collection", layer=spec.name, _external=True)},
    ]
    # Splice the links into the feature object rather than parse and re-serialise it.
    return Response(f'{feature[:-1]},"links":{dumps(links)}}}', mimetype=GEOJSON)
