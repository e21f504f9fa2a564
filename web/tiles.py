"""Vector tiles: ``/tiles/<layer>/<z>/<x>/<y>.pbf`` (Mapbox Vector Tile) for every spatial layer.

Also the analysis layer ``parcel_analysis`` (idle status, inefficiency, 亩均 grade and
compliance per parcel, as of ``?as_of=``), tiled in Python from the cached analysis.

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

import pandas as pd

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import NotFound

from geo import tiles as tile_math
from geo.maps import TILE_AREA_PROPERTY, TILE_LAYER_PROPERTY, TileSettings, tile_columns, tile_properties
from geo.units import M2_PER_MU
from layers.registry import REGISTRY
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
    """Layers tiled in Python: one :class:`geo.tiles.TileSource` per layer, rebuilt when its version changes."""

    def __init__(self):
        self._sources: dict[str, tuple[str, tile_math.TileSource]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str, version: str, build) -> tile_math.TileSource:
        """The source of layer ``name`` at ``version``; ``build()`` gives (frame, properties) when it must be made."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:  # one build per layer and version, however many requests wait for it
            cached = self._sources.get(name)
            if cached is None or cached[0] != version:
                frame, properties = build()
                self._sources[name] = (version, tile_math.tile_source(frame, layer=name, properties=properties))
                cached = self._sources[name]
            return cached[1]


#: Analysis layers served as tiles (from the cached analysis of the current park, ``?as_of=`` honoured):
#: name → the ``parcel_analysis`` fields each feature carries (the rest by id from the API).
ANALYSIS_LAYERS = {
    "parcel_analysis": ("parcel_id", "idle_status", "inefficiency", "mu_grade", "far_ok", "building_coef_ok",
                        "readiness_label"),
}


def tile_settings(app: Flask | None = None) -> TileSettings:
    """The app's tile settings, for the map builders."""
    config = (app or current_app).config
    return TileSettings(threshold=int(config["TILE_FEATURE_THRESHOLD"]), min_zoom=int(config["TILE_MIN_ZOOM"]))


def tile_etag(version: str, layers: str, z: int, x: int, y: int) -> str:
    return hashlib.sha1(f"{TILE_FORMAT}|{version}|{layers}|{z}/{x}/{y}".encode()).hexdigest()


def _layer_names(layers: str) -> list[str]:
    """The layers named in ``a,b,c`` (each once, in the order given); 404 naming the tiled layers otherwise."""
    names = list(dict.fromkeys(layers.split(",")))
    for name in names:
        spec = REGISTRY.get(name)
        if (spec is None or spec.is_table) and name not in ANALYSIS_LAYERS:
            known = ", ".join([*(n for n, s in REGISTRY.items() if not s.is_table), *ANALYSIS_LAYERS])
            raise NotFound(f"no tiles for {name!r}; tiled layers: {known}")
    return names


def _analysis_frame(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from web.land import analysis_for, as_of_param

    frame = analysis_for(as_of_param()).parcels
    properties = frame[[c for c in ANALYSIS_LAYERS[name] if c in frame.columns]].copy()
    properties[TILE_LAYER_PROPERTY] = name
    return frame, properties


def _analysis_version(version: str) -> str:
    """The store version with the analysis day: tiles of another ``as_of`` are other tiles."""
    from web.land import as_of_param

    return f"{version}|as_of={as_of_param().isoformat()}"


def _database_tiles(store) -> bool:
    """Whether the store makes tiles itself (PostGIS); asked of the store, so wrappers pass it on."""
    return callable(getattr(store, "mvt_tile", None))


def _registry_frame(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = park().layer(name)
    return frame, tile_properties(frame, REGISTRY[name])


def _feature_count(name: str, version: str) -> int:
    counts = current_app.extensions[_EXTENSION]["counts"]
    key = (version, name)
    if key not in counts:
        store = park().store
        if name in ANALYSIS_LAYERS:
            counts[key] = len(park().layer("parcels"))
        elif _database_tiles(store):
            counts[key] = store.count(name)
        else:  # the cached layer's length: building its tile index is only worth it where tiles are drawn
            counts[key] = len(park().layer(name))
    return counts[key]


def _encode(name: str, z: int, x: int, y: int, version: str) -> bytes:
    config = current_app.config
    if z < int(config["TILE_MIN_ZOOM"]) and _feature_count(name, version) > int(config["TILE_FEATURE_THRESHOLD"]):
        return b""  # a large layer is drawn from TILE_MIN_ZOOM on; below it one tile would hold the whole park
    store = park().store
    sources: TileSources = current_app.extensions[_EXTENSION]["sources"]
    if name in ANALYSIS_LAYERS:
        source = sources.get(name, version, lambda: _analysis_frame(name))
    elif _database_tiles(store):
        spec = REGISTRY[name]
        area = TILE_AREA_PROPERTY if name == "parcels" else None
        return store.mvt_tile(name, z, x, y, columns=tile_columns(spec), area_column=area,
                              m2_per_area_unit=M2_PER_MU, layer_column=TILE_LAYER_PROPERTY)
    else:
        source = sources.get(name, version, lambda: _registry_frame(name))
    return tile_math.encode_tile(source, z, x, y)


def _layer_tile(name: str, z: int, x: int, y: int, version: str) -> bytes:
    cache: TileCache = current_app.extensions[_EXTENSION]["cache"]
    if name in ANALYSIS_LAYERS:
        version = _analysis_version(version)
    key = (version, name, z, x, y)
    data = cache.get(key)
    if data is None:
        data = _encode(name, z, x, y, version)
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
    names = _layer_names(layers)
    try:
        tile_math.check_tile(z, x, y, max_zoom=int(current_app.config["TILE_MAX_ZOOM"]))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    version = park().version()
    tagged = _analysis_version(version) if any(name in ANALYSIS_LAYERS for name in names) else version
    etag = tile_etag(tagged, ",".join(names), z, x, y)
    if request.if_none_match.contains(etag):
        return _response(b"", etag, status=304)
    return _response(b"".join(_layer_tile(name, z, x, y, version) for name in names), etag)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {
        "cache": TileCache(int(app.config["TILE_CACHE_MB"]) * 1024 * 1024),
        "sources": TileSources(),
        "counts": {},
    }
    app.register_blueprint(bp)
