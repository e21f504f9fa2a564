"""Vector tiles: ``/tiles/<layer>/<z>/<x>/<y>.pbf`` (Mapbox Vector Tile) for every spatial layer.

Also the analysis layer ``parcel_analysis`` (idle status, inefficiency, 亩均 grade and
compliance per parcel, as of ``?as_of=``), tiled in Python from the cached analysis.

Tiles draw what the GeoJSON pages draw: the records in force (``retired_on`` empty, as
:func:`geo.records.in_force` without a day); a retired record — a demolished building,
the parent of a split parcel — is history, not map, whatever its retirement date.

PostGIS parks are tiled by the database (``ST_AsMVT``, all layers of a page tile in
one statement); GeoPackage parks by ``geo.tiles`` from the cached layer, indexed once
per layer version. Where a tile comes from, first to last:

1. the persistent tile cache (:mod:`layers.tile_cache`, a SQLite file beside the
   park), filled by ``flask --app app seed-tiles`` and by every tile made on demand;
2. the in-memory cache (analysis tiles; registry tiles when the file cannot be written);
3. encoding on demand.

Every cache key carries the layer's *token*, a digest of the layer's content: an edit
or import changes it, so an old tile is never served, while the tiles of other
layers — and the tiles of the edited layer that no changed feature reaches — are
carried over (:meth:`layers.tile_cache.TileCacheFile.sync`). The analysis layer
depends on every layer and the day, so its tiles are keyed by the whole park version
and ``as_of`` and kept in memory only.

The ETag of a response is a digest of its layers' tile bytes: a tile whose bytes an
edit did not change keeps its ETag (the browser's copy stays good). Responses say
``Cache-Control: no-cache``, so browsers revalidate each tile (a 304 costs a cache
look-up) and an edit is never hidden behind a stale tile.

``/tiles/<layers>.json`` is the TileJSON of those tiles (URL template, bounds of the
records in force, zooms, each layer's attributes with their types), so clients set
up the layer from one URL.

An anonymous visitor gets tiles of a public layer only when every attribute its
tiles carry (the id and what the map styles by) is among the layer's public fields
(:mod:`web.public`); otherwise 403 naming the fields. Tiles hold no retired record.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import Forbidden, NotFound

from geo import tiles as tile_math
from geo.maps import (
    TILE_AREA_PROPERTY,
    TILE_LAYER_PROPERTY,
    TileSettings,
    layers_bounds,
    tile_columns,
    tile_properties,
)
from geo.records import in_force
from geo.units import M2_PER_MU
from layers.registry import REGISTRY
from layers.tile_cache import LayerState, TileCacheFile, default_cache_path, known_bounds, tile_etag
from web.analysis_gate import Flights, gated
from web.errors import BadRequest
from web.i18n import tr
from web.park import park, request_day
from web.public import hidden_tile_fields

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MVT_MIMETYPE = "application/vnd.mapbox-vector-tile"
#: Changes when what a tile holds changes for the same data (bump to invalidate every cache).
#: 3: retired records are left out.
TILE_FORMAT = "3"
_EXTENSION = "parkatlas_tiles"


class TileCache:
    """Encoded tiles (bytes, ETag) by key, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._tiles.get(key)
            if entry is not None:
                self._tiles.move_to_end(key)
            return entry

    def put(self, key: tuple, data: bytes) -> tuple[bytes, str]:
        entry = (data, tile_etag(data))
        if len(data) > self.max_bytes:
            return entry
        with self._lock:
            if key not in self._tiles:
                self._tiles[key] = entry
                self._bytes += len(data)
                while self._bytes > self.max_bytes:
                    _, (dropped, _) = self._tiles.popitem(last=False)
                    self._bytes -= len(dropped)
        return entry


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
                source = tile_math.tile_source(frame, layer=name, properties=properties, ids=False)
                self._sources[name] = (version, source)
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
            raise NotFound(f"no tiles for {name!r}; tiled layers: {known}")
    return names


def _analysis_frame(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = park().land(request_day(), run=gated).parcels
    properties = frame[[c for c in ANALYSIS_LAYERS[name] if c in frame.columns]].copy()
    properties[TILE_LAYER_PROPERTY] = name
    return frame, properties


def _analysis_version(version: str) -> str:
    """The store version with the analysis day and the rules version: tiles of another ``as_of``, or under an
    edited override, are other tiles."""
    return f"{version}|as_of={request_day().isoformat()}|rules={park().rules_version()}"


def _database_tiles(store) -> bool:
    """Whether the store makes tiles itself (PostGIS); asked of the store, so wrappers pass it on."""
    return callable(getattr(store, "mvt_tile", None))


def _registry_frame(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The layer's records in force (what the pages draw) and their tile attributes."""
    frame = in_force(park().layer(name))
    return frame, tile_properties(frame, REGISTRY[name])


def _state() -> dict:
    return current_app.extensions[_EXTENSION]


def _is_large(count: int) -> bool:
    """Whether a layer of ``count`` features is left out of tiles below TILE_MIN_ZOOM."""
    return count > int(current_app.config["TILE_FEATURE_THRESHOLD"])


def _blank(z: int, large: bool) -> bool:
    # A large layer is drawn from TILE_MIN_ZOOM on; below it one tile would hold the whole park.
    return large and z < int(current_app.config["TILE_MIN_ZOOM"])


def cache_file() -> TileCacheFile | None:
    """The park's persistent tile cache (None when ``TILE_CACHE_PATH`` is ``none``)."""
    state = _state()
    with state["guard"]:
        if "file" not in state:
            configured = current_app.config.get("TILE_CACHE_PATH")
            if configured and str(configured).lower() == "none":
                state["file"] = None
            else:
                path = configured or default_cache_path(park().store, current_app.instance_path)
                file = TileCacheFile(path)
                if not file.usable():  # a read-only folder, say: tiles are still served, from memory
                    current_app.logger.warning("tile cache %s cannot be written; tiles are kept in memory", path)
                    file = None
                state["file"] = file
        return state["file"]


def _configured_settings(name: str) -> str:
    """What shapes a layer's tiles besides its data: format, engine, grid, columns, zoom and threshold."""
    config = current_app.config
    engine = "postgis" if _database_tiles(park().store) else "python"
    columns = ",".join(tile_columns(REGISTRY[name]))
    return (f"format={TILE_FORMAT}|engine={engine}|extent={tile_math.DEFAULT_EXTENT}|"
            f"buffer={tile_math.DEFAULT_BUFFER}|simplify={tile_math.SIMPLIFY_UNITS}|columns={columns}|"
            f"threshold={int(config['TILE_FEATURE_THRESHOLD'])}|min_zoom={int(config['TILE_MIN_ZOOM'])}")


def _layer_settings(name: str, count: int) -> str:
    """Everything besides the features that shapes a layer's tiles (part of its token); ``count`` features in force."""
    return f"{_configured_settings(name)}|{'large' if _is_large(count) else 'small'}"


def layer_state(name: str, old: LayerState | None = None) -> LayerState:
    """Fingerprints and boxes of layer ``name`` as it is now (boxes of features ``old`` knows are reused).

    PostGIS computes them itself (no layer is loaded); a GeoPackage layer is read from the cache.
    """
    store = park().store
    if _database_tiles(store):
        from layers.postgis_tiles import feature_fingerprints

        digests, bounds = feature_fingerprints(store, name, tuple(tile_columns(REGISTRY[name])))
        return LayerState.make(_layer_settings(name, len(digests)), digests, bounds)
    frame, properties = _registry_frame(name)
    digests = tile_math.feature_digests(frame, properties)
    bounds, missing = known_bounds(old, digests)
    if missing.any():
        bounds[missing] = tile_math.mercator_bounds(frame.geometry[missing])
    return LayerState.make(_layer_settings(name, len(frame)), digests, bounds)


def layer_token(name: str, version: str) -> tuple[str, bool]:
    """The (token, large) of registry layer ``name`` at park ``version``, syncing the tile cache to it."""
    state = _state()
    key = (version, name)
    known = state["tokens"].get(key)
    if known is not None:
        return known
    with state["guard"]:
        lock = state["locks"].setdefault(name, threading.Lock())
    with lock:  # one sync per layer and version, however many requests wait for it
        known = state["tokens"].get(key)
        if known is None:
            file = cache_file()
            if file is None:
                made = layer_state(name)
                token, settings = made.token, made.settings
            else:
                # The file remembers park version → token; keyed with the settings too, so a new
                # format or configuration is worked out again (and drops the tiles) rather than looked up.
                token, settings = file.sync(name, f"{version}|{_configured_settings(name)}",
                                            lambda old: layer_state(name, old))
            known = (token, settings.endswith("|large"))
            state["tokens"] = {k: v for k, v in state["tokens"].items() if k[0] == version}
            state["tokens"][key] = known
    return known


def render(names: list[str], z: int, x: int, y: int, *, tokens: dict[str, tuple[str, bool]]) -> dict[str, bytes]:
    """Encode tile (z, x, y) of registry layers ``names`` (PostGIS: one statement for all of them).

    ``tokens`` gives each layer's (token, large) from :func:`layer_token`.
    """
    wanted = [name for name in names if not _blank(z, tokens[name][1])]
    out = {name: b"" for name in names}
    store = park().store
    if _database_tiles(store):
        from layers.postgis_tiles import LayerRequest, mvt_tiles

        requests = [LayerRequest(name, tuple(tile_columns(REGISTRY[name])),
                                 TILE_AREA_PROPERTY if name == "parcels" else None, M2_PER_MU,
                                 TILE_LAYER_PROPERTY) for name in wanted]
        out.update(mvt_tiles(store, requests, z, x, y))
        return out
    sources: TileSources = _state()["sources"]
    for name in wanted:
        source = sources.get(name, tokens[name][0], lambda name=name: _registry_frame(name))
        out[name] = tile_math.encode_tile(source, z, x, y)
    return out


def _analysis_tile(name: str, z: int, x: int, y: int, version: str) -> tuple[bytes, str]:
    state = _state()
    key = (_analysis_version(version), name, z, x, y)
    entry = state["cache"].get(key)
    if entry is None:
        large = _is_large(int(park().layer("parcels")["retired_on"].isna().sum()))  # as the page counts them
        data = b""
        if not _blank(z, large):
            source = state["sources"].get(name, key[0], lambda: _analysis_frame(name))
            data = tile_math.encode_tile(source, z, x, y)
        entry = state["cache"].put(key, data)
    return entry


def layer_tiles(names: list[str], z: int, x: int, y: int, version: str) -> list[tuple[bytes, str]]:
    """(bytes, ETag) of tile (z, x, y) of each layer in ``names``, from the caches or made now.

    Concurrent requests for a tile nobody has made yet encode it once: the others wait
    for it and then find it cached (a page asks for its first view's tiles all at once,
    and several visitors open the same view).
    """
    file = cache_file()
    tokens = {name: layer_token(name, version) for name in names if name not in ANALYSIS_LAYERS}
    found = {name: _analysis_tile(name, z, x, y, version) for name in names if name in ANALYSIS_LAYERS}
    found.update(_cached(file, list(tokens), tokens, z, x, y))
    missing = [name for name in names if name not in found]
    if missing:
        with _state()["flights"].one((z, x, y)):
            found.update(_cached(file, missing, tokens, z, x, y))  # made by the request this one waited for
            missing = [name for name in names if name not in found]
            made = render(missing, z, x, y, tokens=tokens) if missing else {}
            # Made from this version's data only if no save came in between; otherwise serve, never keep.
            current = not made or park().version() == version
            for name, data in made.items():
                found[name] = _keep(file, name, tokens[name][0], z, x, y, data) if current else (data, tile_etag(data))
    return [found[name] for name in names]


def _cached(file: TileCacheFile | None, names: list[str], tokens: dict[str, tuple[str, bool]],
            z: int, x: int, y: int) -> dict[str, tuple[bytes, str]]:
    """(bytes, ETag) of the registry layers in ``names`` whose tile (z, x, y) is cached (file, then memory)."""
    rows = file.tiles({name: tokens[name][0] for name in names}, z, x, y) if file is not None else {}
    found = {}
    for name in names:
        token = tokens[name][0]
        row = rows.get(name)
        if row is not None and row[0] is not None:
            found[name] = row
        elif row is None and file is not None and z in _seeded(file, name, token):
            found[name] = (b"", tile_etag(b""))  # every tile of this zoom that holds features has a row
        else:
            entry = _state()["cache"].get((name, token, z, x, y))
            if entry is not None:
                found[name] = entry
    return found


def _seeded(file: TileCacheFile, name: str, token: str) -> set[int]:
    # Seeded zooms only grow for a token; a process that misses a newer seeding only encodes more.
    seeded = _state()["seeded"]
    if (name, token) not in seeded:
        seeded[(name, token)] = file.seeded_zooms(name, token)
    return seeded[(name, token)]


def _keep(file: TileCacheFile | None, name: str, token: str, z: int, x: int, y: int, data: bytes) -> tuple[bytes, str]:
    """Store a tile made on demand in the persistent cache, or in memory when the file cannot take it."""
    if file is not None and file.try_put_tile(name, token, z, x, y, data):
        return data, tile_etag(data)
    return _state()["cache"].put((name, token, z, x, y), data)


def seed(names: list[str], zooms: list[int], *, batch: int = 200,
         progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Render every tile of ``zooms`` that features of ``names`` reach into the persistent cache.

    The tile set comes from the features' boxes (with the tile buffer), vectorised;
    tiles already cached under the layer's current token are skipped. Returns the
    number of tiles rendered and their bytes, and the seconds taken.
    """
    import time

    started = time.perf_counter()
    version = park().version()  # first: no cache file is made beside a park that is not there
    file = cache_file()
    if file is None:
        msg = "the tile cache is switched off or cannot be written (TILE_CACHE_PATH); there is nothing to seed"
        raise ValueError(msg)
    todo: dict[tuple[int, int, int], list[str]] = {}
    tokens = {}
    for name in names:
        token, large = tokens[name] = layer_token(name, version)
        state = file.state(name)
        if state is None or state.token != token:
            msg = f"layer {name!r} changed while seeding; run seed-tiles again"
            raise RuntimeError(msg)
        drawn = [z for z in zooms if not _blank(z, large)]
        touched = tile_math.tiles_touched(state.bounds, drawn)
        for z in drawn:
            done = file.present(name, token, z)
            for _, tx, ty in touched[touched[:, 0] == z].tolist():
                if (tx, ty) not in done:
                    todo.setdefault((z, tx, ty), []).append(name)
    rendered, size = 0, 0
    pending: dict[str, list] = {name: [] for name in names}
    keys = sorted(todo)
    for i, (z, x, y) in enumerate(keys, 1):
        made = render(todo[(z, x, y)], z, x, y, tokens=tokens)
        for name, data in made.items():
            pending[name].append((z, x, y, data))
            size += len(data)
        rendered += len(made)
        if i % batch == 0 or i == len(keys):
            if park().version() != version:
                msg = "the park was saved while seeding; run seed-tiles again (nothing of the new data was kept)"
                raise RuntimeError(msg)
            for name, rows in pending.items():
                if rows:
                    file.put_tiles(name, tokens[name][0], rows)
                    rows.clear()
            if progress:
                progress(f"{i}/{len(keys)} tiles")
    for name in names:
        file.mark_seeded(name, tokens[name][0], zooms)
    file.checkpoint()
    _state()["seeded"].clear()
    return {"tiles": rendered, "bytes": size, "seconds": time.perf_counter() - started}


def check_visible(names: list[str]) -> None:
    """403 when tiles of ``names`` would carry a field this request may not see (an anonymous visitor)."""
    hidden = {name: fields for name in names if name not in ANALYSIS_LAYERS and (fields := hidden_tile_fields(name))}
    if hidden:
        listed = "; ".join(f"{name}: {', '.join(fields)}" for name, fields in hidden.items())
        raise Forbidden(tr(f"瓦片包含未公开的字段（{listed}），匿名访问不提供；请登录或将其加入 PARKATLAS_PUBLIC_FIELDS",
                           f"these tiles carry fields that are not public ({listed}); sign in, or add them to "
                           "PARKATLAS_PUBLIC_FIELDS"))


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
    check_visible(names)
    try:
        tile_math.check_tile(z, x, y, max_zoom=int(current_app.config["TILE_MAX_ZOOM"]))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    parts = layer_tiles(names, z, x, y, park().version())
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
    check_visible(names)
    joined = ",".join(names)
    bounds, counts = park().derived(("tilejson", joined), lambda: _tilejson_extent(tuple(names)))
    config = current_app.config
    max_zoom = int(config["TILE_MAX_ZOOM"])
    zooms = {name: int(config["TILE_MIN_ZOOM"]) if _is_large(counts[name]) else 0 for name in names}
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
    """Fresh tile state for ``app`` (its park changed: ``seed-tiles --park``)."""
    app.extensions[_EXTENSION] = {
        "cache": TileCache(int(app.config["TILE_CACHE_MB"]) * 1024 * 1024),
        "sources": TileSources(),
        "tokens": {},
        "locks": {},
        "seeded": {},
        "guard": threading.Lock(),
        "flights": Flights(),
    }


def init_app(app: Flask) -> None:
    reset(app)
    app.register_blueprint(bp)
