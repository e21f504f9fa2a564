"""Vector tiles: ``/tiles/<layer>/<z>/<x>/<y>.pbf`` (Mapbox Vector Tile) for every spatial layer.

PostGIS parks are tiled by the database (``ST_AsMVT``); GeoPackage parks by
``geo.tiles`` from the cached layer, indexed once per park version. Every tile
carries an ETag derived from the store's version, and responses say
``Cache-Control: no-cache``: browsers revalidate each tile (a 304 costs nothing),
so an edit or import is never hidden behind a stale tile. Encoded tiles are kept
in a bounded in-memory cache keyed by the same version.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import NotFound

from geo import tiles as tile_math
from geo.maps import TILE_AREA_PROPERTY, TILE_LAYER_PROPERTY, TileSettings, tile_columns, tile_properties
from geo.units import M2_PER_MU
from layers.registry import REGISTRY
from layers.schema import LayerSpec
from web.errors import BadRequest
from web.park import park

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MVT_MIMETYPE = "application/vnd.mapbox-vector-tile"
#: Changes when what a tile holds changes for the same data (bump to invalidate browser caches).
TILE_FORMAT = "1"
_EXTENSION = "parkatlas_tiles"


class TileCache:
    """Encoded tiles by (version, layer, z, x, y), least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
            return data

    def put(self, key: tuple, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped)


class TileSources:
    """GeoPackage parks: one :class:`geo.tiles.TileSource` per layer, rebuilt when the park's version changes."""

    def __init__(self):
        self._sources: dict[str, tuple[str, tile_math.TileSource]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, spec: LayerSpec, version: str) -> tile_math.TileSource:
        with self._guard:
            lock = self._locks.setdefault(spec.name, threading.Lock())
        with lock:  # one build per layer and version, however many requests wait for it
            cached = self._sources.get(spec.name)
            if cached is None or cached[0] != version:
                frame = park().layer(spec.name)
                source = tile_math.tile_source(frame, layer=spec.name, properties=tile_properties(frame, spec))
                self._sources[spec.name] = (version, source)
                cached = self._sources[spec.name]
            return cached[1]


def tile_settings(app: Flask | None = None) -> TileSettings:
    """The app's tile settings, for the map builders."""
    config = (app or current_app).config
    return TileSettings(threshold=int(config["TILE_FEATURE_THRESHOLD"]), min_zoom=int(config["TILE_MIN_ZOOM"]))


def tile_etag(version: str, layers: str, z: int, x: int, y: int) -> str:
    return hashlib.sha1(f"{TILE_FORMAT}|{version}|{layers}|{z}/{x}/{y}".encode()).hexdigest()


def _spatial_specs(layers: str) -> list[LayerSpec]:
    """The layers named in ``a,b,c`` (each once, in the order given); 404 naming the tiled layers otherwise."""
    specs = []
    for name in dict.fromkeys(layers.split(",")):
        spec = REGISTRY.get(name)
        if spec is None or spec.is_table:
            known = ", ".join(n for n, s in REGISTRY.items() if not s.is_table)
            raise NotFound(f"no tiles for {name!r}; tiled layers: {known}")
        specs.append(spec)
    return specs


def _database_tiles(store) -> bool:
    """Whether the store makes tiles itself (PostGIS); asked of the store, so wrappers pass it on."""
    return callable(getattr(store, "mvt_tile", None))


def _feature_count(spec: LayerSpec, version: str) -> int:
    counts = current_app.extensions[_EXTENSION]["counts"]
    key = (version, spec.name)
    if key not in counts:
        store = park().store
        if _database_tiles(store):
            counts[key] = store.count(spec.name)
        else:  # the cached layer's length: building its tile index is only worth it where tiles are drawn
            counts[key] = len(park().layer(spec.name))
    return counts[key]


def _encode(spec: LayerSpec, z: int, x: int, y: int, version: str) -> bytes:
    config = current_app.config
    if z < int(config["TILE_MIN_ZOOM"]) and _feature_count(spec, version) > int(config["TILE_FEATURE_THRESHOLD"]):
        return b""  # a large layer is drawn from TILE_MIN_ZOOM on; below it one tile would hold the whole park
    store = park().store
    if _database_tiles(store):
        area = TILE_AREA_PROPERTY if spec.name == "parcels" else None
        return store.mvt_tile(spec.name, z, x, y, columns=tile_columns(spec), area_column=area,
                              m2_per_area_unit=M2_PER_MU, layer_column=TILE_LAYER_PROPERTY)
    source = current_app.extensions[_EXTENSION]["sources"].get(spec, version)
    return tile_math.encode_tile(source, z, x, y)


def _layer_tile(spec: LayerSpec, z: int, x: int, y: int, version: str) -> bytes:
    cache: TileCache = current_app.extensions[_EXTENSION]["cache"]
    key = (version, spec.name, z, x, y)
    data = cache.get(key)
    if data is None:
        data = _encode(spec, z, x, y, version)
        cache.put(key, data)
    return data


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
    specs = _spatial_specs(layers)
    try:
        tile_math.check_tile(z, x, y, max_zoom=int(current_app.config["TILE_MAX_ZOOM"]))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    version = park().version()
    etag = tile_etag(version, ",".join(spec.name for spec in specs), z, x, y)
    if request.if_none_match.contains(etag):
        return _response(b"", etag, status=304)
    return _response(b"".join(_layer_tile(spec, z, x, y, version) for spec in specs), etag)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {
        "cache": TileCache(int(app.config["TILE_CACHE_MB"]) * 1024 * 1024),
        "sources": TileSources(),
        "counts": {},
    }
    app.register_blueprint(bp)
