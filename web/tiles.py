"""Vector tiles: ``/tiles/<layer>/<z>/<x>/<y>.pbf`` (Mapbox Vector Tile) for every spatial layer.

Also the analysis layer ``parcel_analysis`` (idle status, inefficiency, 亩均 grade and
compliance per parcel, as of ``?as_of=``), tiled in Python from the cached analysis.

Tiles draw what the GeoJSON pages draw: the records in force (``retired_on`` empty, as
:func:`geo.records.in_force` without a day); a retired record — a demolished building,
the parent of a split parcel — is history, not map, whatever its retirement date.

The tiles themselves are made by the park's Flask-free tile service
(:class:`service.tiles.TileService`, which ``flask seed-tiles`` calls too); these routes
parse the request, ask it, and answer. PostGIS parks are tiled by the database
(``ST_AsMVT``, all layers of a page tile in one statement); GeoPackage parks by
``geo.tiles`` from the cached layer, indexed once per layer version. Where a tile comes
from, first to last:

1. the persistent tile cache (:mod:`layers.tile_cache`, a SQLite file beside the
   park), filled by ``flask --app app seed-tiles`` and by every tile made on demand;
2. the in-memory cache (analysis tiles; registry tiles when the file cannot be written);
3. encoding on demand.

Every cache key carries the layer's *token*, a digest of the layer's content: an edit
or import changes it, so an old tile is never served, while the tiles of other
layers — and the tiles of the edited layer that no changed feature reaches — are
carried over (:meth:`layers.tile_cache.TileCacheFile.sync`; after a change written row by
row, :meth:`~layers.tile_cache.TileCacheFile.advance` from the changed records alone). The analysis layer
depends on every layer, the day and the rules, so its tiles are keyed by the whole park
version, ``as_of`` and the rules version and kept in memory only.

The ETag of a response is a digest of its layers' tile bytes: a tile whose bytes an
edit did not change keeps its ETag (the browser's copy stays good). Responses say
``Cache-Control: no-cache``, so browsers revalidate each tile (a 304 costs a cache
look-up) and an edit is never hidden behind a stale tile.

``/tiles/<layers>.json`` is the TileJSON of those tiles (URL template, bounds of the
records in force, zooms, each layer's attributes with their types), so clients set
up the layer from one URL.

An anonymous visitor gets tiles of a public layer with its public fields only
(:mod:`web.public`): an attribute its tiles carry that is not public (what the map
styles by, when the committee did not publish it) is taken out of the bytes on the way
out, key and values (:mod:`geo.mvt_fields`); the page then draws those features in the
fallback colour (TileJSON is for signed-in clients). Tiles hold no retired record.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from geo import tiles as tile_math
from geo.maps import TILE_AREA_PROPERTY, TILE_LAYER_PROPERTY, layers_bounds, tile_columns
from geo.mvt_fields import without_fields
from geo.records import in_force
from layers.registry import REGISTRY
from layers.tile_cache import TileCacheFile, tile_etag
from service.tiles import ANALYSIS_LAYERS, TILE_FORMAT, TileService
from web.analysis_gate import gated
from web.errors import BadRequest, nothing_called
from web.i18n import tr
from web.park import park, request_day
from web.public import hidden_tile_fields

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MVT_MIMETYPE = "application/vnd.mapbox-vector-tile"
_EXTENSION = "parkatlas_tiles"


def tile_service(app: Flask | None = None) -> TileService:
    """The app's tile service (the current app's by default)."""
    return (app or current_app).extensions[_EXTENSION]


def response_etag(layers: str, etags: list[str]) -> str:
    """The ETag of a tile of ``layers`` from its layers' tile ETags (digests of their bytes)."""
    return hashlib.sha1(f"{TILE_FORMAT}|{layers}|{','.join(etags)}".encode()).hexdigest()


def layer_names(layers: str) -> list[str]:
    """The layers named in ``a,b,c`` (each once, in the order given); 404 naming the tiled layers otherwise."""
    names = list(dict.fromkeys(layers.split(",")))
    for name in names:
        spec = REGISTRY.get(name)
        if (spec is None or spec.is_table) and name not in ANALYSIS_LAYERS:
            known = ", ".join([*(n for n, s in REGISTRY.items() if not s.is_table), *ANALYSIS_LAYERS])
            raise nothing_called(f"{name!r} 没有瓦片；有瓦片的图层：{known}",
                                 f"no tiles for {name!r}; tiled layers: {known}",
                                 field="layers", value=name, allowed=known.split(", "))
    return names


def cache_file() -> TileCacheFile | None:
    """The park's persistent tile cache (None when ``TILE_CACHE_PATH`` is ``none``)."""
    return tile_service().cache_file()


def seed(names: list[str], zooms: list[int], **options) -> dict[str, float]:
    """Seed the current park's tiles (:meth:`service.tiles.TileService.seed`)."""
    return tile_service().seed(names, zooms, **options)


def hidden_fields(names: list[str]) -> dict[str, list[str]]:
    """The attributes tiles of ``names`` carry that this request may not see (an anonymous visitor), by layer."""
    return {name: fields for name in names if name not in ANALYSIS_LAYERS and (fields := hidden_tile_fields(name))}


def visible_parts(names: list[str], parts: list[tuple[bytes, str]]) -> list[tuple[bytes, str]]:
    """Each layer's (tile, ETag) as this request may see it: the attributes it may not see taken out of the bytes
    (:func:`geo.mvt_fields.without_fields`), with the ETag of what is sent."""
    hidden = hidden_fields(names)
    if not hidden:
        return parts
    out = []
    for name, (data, etag) in zip(names, parts):
        shown = without_fields(data, {name: hidden[name]}) if name in hidden else data
        out.append((shown, etag if shown is data else tile_etag(shown)))
    return out


def _response(data: bytes, etag: str, status: int = 200) -> Response:
    response = Response(data, status=status, mimetype=MVT_MIMETYPE)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/<layers>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layers: str, z: int, x: int, y: int):
    """One Mapbox Vector Tile of one or several spatial layers (``parcels`` or ``zones,parcels,roads``).

    A tile is a sequence of layer messages, so a multi-layer tile is its layers'
    tiles one after the other. The body is empty where the layers have nothing.
    """
    names = layer_names(layers)
    try:
        tile_math.check_tile(z, x, y, max_zoom=int(current_app.config["TILE_MAX_ZOOM"]))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    day = request_day() if any(name in ANALYSIS_LAYERS for name in names) else None
    parts = visible_parts(names, tile_service().layer_tiles(names, z, x, y, park().version(), day=day, run=gated))
    etag = response_etag(",".join(names), [etag for _, etag in parts])
    if request.if_none_match.contains(etag):
        return _response(b"", etag, status=304)
    return _response(b"".join(data for data, _ in parts), etag)


#: TileJSON field types of the registry's kinds, as tile tools write them (MVT values are text, number or bool).
TILEJSON_TYPES = {"str": "String", "code": "String", "date": "String", "int": "Number", "float": "Number",
                  "bool": "Boolean"}
TILEJSON_VERSION = "3.0.0"
#: Zoom a TileJSON client opens the park at, within the tile set's zooms.
TILEJSON_CENTER_ZOOM = 15


def tile_fields(name: str) -> dict[str, str]:
    """The attributes the tiles of registry layer ``name`` carry, with their TileJSON types."""
    spec = REGISTRY[name]
    fields = {column: TILEJSON_TYPES[spec.field(column).kind] for column in tile_columns(spec)}
    fields[TILE_LAYER_PROPERTY] = "String"
    if name == "parcels":
        fields[TILE_AREA_PROPERTY] = "Number"
    return fields


def _tilejson_extent(names: tuple[str, ...]) -> tuple[list[list[float]] | None, dict[str, int]]:
    """([[south, west], [north, east]] of the records in force, or None) and each layer's count in force."""
    frames = {name: in_force(park().layer(name)) for name in names}
    return layers_bounds(list(frames.values())), {name: len(frame) for name, frame in frames.items()}


@bp.get("/<layers>.json")
def tilejson(layers: str):
    """TileJSON 3.0 of the tiles of ``layers`` (``parcels`` or ``zones,parcels,…``): URL, bounds, zooms, fields."""
    names = layer_names(layers)
    analysis = [name for name in names if name in ANALYSIS_LAYERS]
    if analysis:
        raise NotFound(tr(f"分析图层 {', '.join(analysis)} 没有 TileJSON（其字段随分析日期而定）",
                          f"no TileJSON for the analysis layer {', '.join(analysis)} (its fields depend on the day)"))
    joined = ",".join(names)
    bounds, counts = park().derived(("tilejson", joined), lambda: _tilejson_extent(tuple(names)))
    config = current_app.config
    max_zoom = int(config["TILE_MAX_ZOOM"])
    zooms = {name: int(config["TILE_MIN_ZOOM"]) if tile_service().is_large(counts[name]) else 0 for name in names}
    template = url_for("tiles.tile", layers=joined, z=0, x=0, y=0, _external=True)
    doc = {
        "tilejson": TILEJSON_VERSION,
        "name": f"{park().meta().get('park_name') or 'ParkAtlas'}: {joined}",
        "scheme": "xyz",
        "tiles": [template.removesuffix("/0/0/0.pbf") + "/{z}/{x}/{y}.pbf"],
        "minzoom": min(zooms.values()),
        "maxzoom": max_zoom,
        "vector_layers": [{"id": name, "description": tr(REGISTRY[name].label_zh, REGISTRY[name].label_en),
                           "minzoom": zooms[name], "maxzoom": max_zoom, "fields": tile_fields(name)}
                          for name in names],
    }
    if bounds is not None:
        (south, west), (north, east) = bounds
        doc["bounds"] = [west, south, east, north]
        doc["center"] = [(west + east) / 2, (south + north) / 2,
                         min(max(TILEJSON_CENTER_ZOOM, doc["minzoom"]), max_zoom)]
    return jsonify(doc)


def reset(app: Flask) -> None:
    """A fresh tile service for ``app``'s park (at start, and when a command points the app at another park)."""
    with app.app_context():
        app.extensions[_EXTENSION] = TileService(park(), app.config, instance_path=app.instance_path)


def init_app(app: Flask) -> None:
    reset(app)
    app.register_blueprint(bp)
