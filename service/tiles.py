"""The tile service: vector tiles of a park's layers and of its land analysis, Flask-free.

The tile routes (``web.tiles``) and ``flask seed-tiles`` both call one :class:`TileService`
per park. PostGIS parks are tiled by the database (``ST_AsMVT``); GeoPackage parks by
``geo.tiles`` from the service's cached layers. Where a tile comes from, first to last:
the persistent tile cache (``layers.tile_cache``, filled by seeding and by every tile
made on demand), the in-memory cache, encoding on demand. Registry tiles are keyed by
their layer's *token* (a digest of its content and the settings that shape its tiles);
tiles of the analysis layer ``parcel_analysis`` by park version, day and rules version,
kept in memory only.

After a change written row by row (``ParkService.row_changes``) nothing is read or
fingerprinted whole: each layer's token is derived from its previous token and the
changed records (:func:`row_delta`, :func:`next_token`), the persistent cache drops
only the tiles the changed records reach (``TileCacheFile.advance``), and a layer's
:class:`geo.tiles.TileSource` is patched with them (``geo.tiles.patch_source``).
When the way from the last version is not known, everything is worked out whole.

Working a layer out whole (its token; a GeoPackage layer's tile source) takes seconds on a
large park (4–7 s at 10⁵ parcels), which the first tile after a start would wait for. A
layer with more records than ``TILE_BACKGROUND_FEATURES`` is therefore worked out in a
background thread (one layer after another), and its tiles are read from the store tile by
tile meanwhile (:meth:`TileService.read_tiles`: the records in the tile's box; the same bytes
as its tile source gives, not kept, as no token names them yet).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import tiles as tile_math
from geo.maps import TILE_AREA_PROPERTY, TILE_LAYER_PROPERTY, tile_columns, tile_properties
from geo.maps_land import compliance_class
from geo.records import in_force
from geo.units import M2_PER_MU
from layers.registry import REGISTRY
from layers.schema import LayerSpec
from layers.tile_cache import LayerState, TileCacheFile, default_cache_path, known_bounds, tile_etag
from layers.valid_time import HELD_NOW_FIELD, held_now
from service.flights import Flights
from service.park import ROW_CHANGES_KEPT, ParkService, RowChange, Runner

#: Changes when what a tile holds changes for the same data (bump to invalidate every cache).
#: 3: retired records are left out.
TILE_FORMAT = "3"
#: Analysis layers served as tiles (from the park service's land analysis of the day asked):
#: name → the ``parcel_analysis`` fields each feature carries (the rest by id from the API).
ANALYSIS_LAYERS = {
    "parcel_analysis": ("parcel_id", "idle_status", "inefficiency", "mu_grade", "far_ok", "building_coef_ok",
                        "readiness_label", "compliance"),
}

log = logging.getLogger(__name__)


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

    def drop(self, name: str, key: str, bounds: np.ndarray) -> int:
        """Forget the tiles of layer ``name`` filed under ``key`` that Web Mercator boxes ``bounds`` reach (the tile
        buffer included); returns how many."""
        with self._lock:
            zooms = {k[2] for k in self._tiles if k[:2] == (name, key)}
            dirty = [(name, key, *map(int, row)) for row in tile_math.tiles_touched(bounds, sorted(zooms))]
            gone = [self._tiles.pop(k) for k in dirty if k in self._tiles]
            self._bytes -= sum(len(data) for data, _ in gone)
        return len(gone)


@dataclass(frozen=True)
class RowDelta:
    """What one change written row by row does to a registry layer's tiles.

    Attributes
    ----------
    removed
        Ids of the records the change replaced or retired (their features leave the tiles).
    added
        The changed records in force after the change (their features come), with their tile attributes
        ``properties`` and ids ``keys``.
    digests
        Fingerprints (``geo.tiles.feature_digests``) of the features before, then after the change.
    bounds
        Web Mercator boxes of the features before and after the change (what the change can reach).
    count
        Features in force after minus before.
    """

    removed: pd.Index
    added: gpd.GeoDataFrame
    properties: pd.DataFrame
    keys: pd.Series
    digests: tuple[np.ndarray, np.ndarray]
    bounds: np.ndarray
    count: int

    @property
    def visible(self) -> bool:
        """Whether a tile can show the change (a field the tiles do not carry changes nothing)."""
        before, after = self.digests
        return len(before) != len(after) or bool((np.sort(before) != np.sort(after)).any())


def row_delta(spec: LayerSpec, old_rows: pd.DataFrame | None, new_rows: pd.DataFrame) -> RowDelta:
    """The :class:`RowDelta` of layer ``spec`` whose records ``old_rows`` became ``new_rows`` (by id)."""
    old_rows = new_rows.iloc[:0] if old_rows is None else old_rows
    before, after = in_force(old_rows), in_force(new_rows)
    properties = tile_properties(after, spec)
    digests = (tile_math.feature_digests(before, tile_properties(before, spec)),
               tile_math.feature_digests(after, properties))
    bounds = np.concatenate([tile_math.mercator_bounds(before.geometry), tile_math.mercator_bounds(after.geometry)])
    removed = pd.Index(old_rows[spec.id_field]).union(pd.Index(new_rows[spec.id_field]))
    return RowDelta(removed, after, properties, after[spec.id_field], digests, bounds.reshape(-1, 4),
                    len(after) - len(before))


def next_token(token: str, settings: str, delta: RowDelta) -> str:
    """The layer's token after ``delta``: derived from the one before and the change (every process that
    follows the same changes derives the same), unchanged when no tile can show the change."""
    if not delta.visible:
        return token
    before, after = (np.ascontiguousarray(d, dtype="<u8").tobytes() for d in delta.digests)
    return hashlib.blake2b(b"\0".join([token.encode(), settings.encode(), before, after]), digest_size=16).hexdigest()


@dataclass(frozen=True)
class LayerStep:
    """A registry layer carried from token ``before`` to ``after`` by one change written row by row."""

    before: str
    after: str
    delta: RowDelta


@dataclass(frozen=True)
class LayerView:
    """What the service knows of a registry layer at park ``version``: its token, settings and features in force."""

    version: str
    token: str
    settings: str
    count: int

    @property
    def large(self) -> bool:
        return self.settings.endswith("|large")


class TileSources:
    """Layers tiled in Python: one :class:`geo.tiles.TileSource` per layer, rebuilt when its version changes
    (patched instead when the steps from the version it has are known)."""

    def __init__(self):
        self._sources: dict[str, tuple[str, tile_math.TileSource | tile_math.PatchedSource]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str, version: str, build, *, key_field: str | None = None,
            steps: Callable[[str, str], list[LayerStep] | None] | None = None):
        """The source of layer ``name`` at ``version``; ``build()`` gives (frame, properties) when it must be made.

        ``key_field`` names the record ids (so the source can be patched); ``steps(have, want)`` gives the
        steps from the version the source has to ``version`` (None when not known: then it is built whole).
        """
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:  # one build per layer and version, however many requests wait for it
            cached = self._sources.get(name)
            if cached is None or cached[0] != version:
                source = self._patched(cached, version, steps) if cached is not None and steps else None
                if source is None:
                    frame, properties = build()
                    keys = frame[key_field] if key_field else None
                    source = tile_math.tile_source(frame, layer=name, properties=properties, ids=False, keys=keys)
                self._sources[name] = (version, source)
                cached = self._sources[name]
            return cached[1]

    def ready(self, name: str, version: str, steps: Callable[[str, str], list[LayerStep] | None] | None = None) -> bool:
        """Whether the source of ``name`` at ``version`` is there, or a patch away (:meth:`get` builds nothing)."""
        cached = self._sources.get(name)
        return cached is not None and (cached[0] == version or (steps is not None and steps(cached[0], version)
                                                                is not None))

    @staticmethod
    def _patched(cached, version: str, steps: Callable[[str, str], list[LayerStep] | None]):
        """The cached source patched up to ``version``, or None when the way there is not known."""
        way = steps(cached[0], version)
        source = cached[1]
        for step in way or ():
            delta = step.delta
            source = tile_math.patch_source(source, delta.removed, delta.added, properties=delta.properties,
                                            keys=delta.keys)
            if source is None:
                return None
        return source if way is not None else None


def database_tiles(store) -> bool:
    """Whether the store makes tiles itself (PostGIS); asked of the store, so wrappers pass it on."""
    return store.capabilities.tiles is not None


class TileService:
    """Tiles of one park.

    Parameters
    ----------
    park
        The park service the tiles are made from.
    config
        The settings, read when used (a test or command may change them): ``TILE_FEATURE_THRESHOLD``,
        ``TILE_MIN_ZOOM``, ``TILE_CACHE_MB``, ``TILE_CACHE_PATH`` (``none``: off; unset: beside the park).
    instance_path
        Where a database park's tile cache goes by default.
    """

    def __init__(self, park: ParkService, config: Mapping, *, instance_path: str):
        self.park = park
        self.config = config
        self.instance_path = instance_path
        self.cache = TileCache(int(config["TILE_CACHE_MB"]) * 1024 * 1024)
        self.sources = TileSources()
        self.flights = Flights()
        self._tokens: dict[tuple[str, str], tuple[str, bool]] = {}
        self._views: dict[str, LayerView] = {}
        self._steps: dict[str, deque[LayerStep]] = {}
        # Layer → (token, key) of the in-memory tiles: the key stays while row changes move the token.
        self._memory: dict[str, tuple[str, str]] = {}
        self._memory_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._seeded: dict[tuple[str, str], set[int]] = {}
        self._guard = threading.Lock()
        self._file: TileCacheFile | None | bool = False  # False: not opened yet
        self._working: set[str] = set()  # layers being worked out in the background, or waiting to be
        self._queue: deque[tuple[str, str]] = deque()
        self._worker: threading.Thread | None = None

    # -- settings -------------------------------------------------------------------------------------

    def is_large(self, count: int) -> bool:
        """Whether a layer of ``count`` features is left out of tiles below TILE_MIN_ZOOM."""
        return count > int(self.config["TILE_FEATURE_THRESHOLD"])

    def blank(self, z: int, large: bool) -> bool:
        # A large layer is drawn from TILE_MIN_ZOOM on; below it one tile would hold the whole park.
        return large and z < int(self.config["TILE_MIN_ZOOM"])

    def cache_file(self) -> TileCacheFile | None:
        """The park's persistent tile cache (None when ``TILE_CACHE_PATH`` is ``none`` or cannot be written)."""
        with self._guard:
            if self._file is False:
                configured = self.config.get("TILE_CACHE_PATH")
                if configured and str(configured).lower() == "none":
                    self._file = None
                else:
                    path = configured or default_cache_path(self.park.store, self.instance_path)
                    file = TileCacheFile(path)
                    if not file.usable():  # a read-only folder, say: tiles are still served, from memory
                        log.warning("tile cache %s cannot be written; tiles are kept in memory", path)
                        file = None
                    self._file = file
            return self._file

    def configured_settings(self, name: str) -> str:
        """What shapes a layer's tiles besides its data: format, engine, grid, columns, zoom and threshold."""
        engine = "postgis" if database_tiles(self.park.store) else "python"
        columns = ",".join(tile_columns(REGISTRY[name]))
        return (f"format={TILE_FORMAT}|engine={engine}|extent={tile_math.DEFAULT_EXTENT}|"
                f"buffer={tile_math.DEFAULT_BUFFER}|simplify={tile_math.SIMPLIFY_UNITS}|columns={columns}|"
                f"threshold={int(self.config['TILE_FEATURE_THRESHOLD'])}|min_zoom={int(self.config['TILE_MIN_ZOOM'])}")

    def layer_settings(self, name: str, count: int) -> str:
        """Everything besides the features that shapes a layer's tiles (part of its token); ``count`` in force."""
        return f"{self.configured_settings(name)}|{'large' if self.is_large(count) else 'small'}"

    # -- registry layers ------------------------------------------------------------------------------------

    def registry_frame(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The layer's records in force (what the pages draw) and their tile attributes."""
        frame = in_force(self.park.layer(name))
        return frame, tile_properties(frame, REGISTRY[name])

    def layer_state(self, name: str, old: LayerState | None = None) -> LayerState:
        """Fingerprints and boxes of layer ``name`` as it is now (boxes of features ``old`` knows are reused).

        PostGIS computes them itself (no layer is loaded); a GeoPackage layer is read from the service.
        """
        store = self.park.store
        if database_tiles(store):
            from layers.postgis_tiles import feature_fingerprints

            digests, bounds = feature_fingerprints(store.capabilities.database, name,
                                                  tuple(tile_columns(REGISTRY[name])))
            return LayerState.make(self.layer_settings(name, len(digests)), digests, bounds)
        frame, properties = self.registry_frame(name)
        digests = tile_math.feature_digests(frame, properties)
        bounds, missing = known_bounds(old, digests)
        if missing.any():
            bounds[missing] = tile_math.mercator_bounds(frame.geometry[missing])
        return LayerState.make(self.layer_settings(name, len(frame)), digests, bounds)

    def layer_token(self, name: str, version: str, *, whole: bool = True) -> tuple[str, bool] | None:
        """The (token, large) of registry layer ``name`` at park ``version``, syncing the tile cache to it.

        From the row changes since the version last worked out when they are known (at the cost of the
        change), or as the tile cache file recorded this version, else from the whole layer — or, with
        ``whole=False``, None instead of working it out whole or waiting for another thread doing so.
        """
        key = (version, name)
        known = self._tokens.get(key)
        if known is not None:
            return known
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(blocking=whole):  # one sync per layer and version, however many requests wait for it
            return None
        try:
            known = self._tokens.get(key)
            if known is None:
                previous = self._views.get(name)
                advanced = self._advanced(name, version)
                view = advanced[0] if advanced else self._recorded(name, version)
                if view is None:
                    if not whole:
                        return None
                    view = self._worked_out(name, version)
                self._carry_memory(name, previous, view, advanced[1] if advanced else None)
                if advanced or self.park.version() == version:  # a request overtaken by a save read newer data
                    self._views[name] = view
                known = (view.token, view.large)
                self._tokens = {k: v for k, v in self._tokens.items() if k[0] == version}
                self._tokens[key] = known
        finally:
            lock.release()
        return known

    def _recorded(self, name: str, version: str) -> LayerView | None:
        """The layer's view at ``version`` as the tile cache file recorded it (by this process or another)."""
        file = self.cache_file()
        recorded = file.version_state(self._version_key(name, version), name) if file is not None else None
        return LayerView(version, *recorded) if recorded is not None else None

    def _version_key(self, name: str, version: str) -> str:
        # The file remembers park version → token; keyed with the settings too, so a new
        # format or configuration is worked out again (and drops the tiles) rather than looked up.
        return f"{version}|{self.configured_settings(name)}"

    def _worked_out(self, name: str, version: str) -> LayerView:
        """The layer's view at ``version`` from the whole layer (or as another process recorded it)."""
        file = self.cache_file()
        if file is None:
            made = self.layer_state(name)
            return LayerView(version, made.token, made.settings, len(made.digests))
        counted: list[int] = []

        def build(old: LayerState | None) -> LayerState:
            made = self.layer_state(name, old)
            counted.append(len(made.digests))
            return made

        token, settings = file.sync(name, self._version_key(name, version), build)
        if counted:
            return LayerView(version, token, settings, counted[0])
        recorded = file.version_state(self._version_key(name, version), name)
        return LayerView(version, token, settings, recorded[2] if recorded and recorded[0] == token else -1)

    def _changes(self, name: str, since: str, version: str) -> list[tuple[pd.DataFrame | None, pd.DataFrame]] | None:
        """The (old_rows, new_rows) of layer ``name`` in the row changes from park version ``since`` to
        ``version``, oldest first; None when the way is not known."""
        chain: list[RowChange] | None = self.park.row_changes(since)
        if chain is None:
            return None
        at, changes = since, []
        for change in chain:
            if at == version:
                break
            changes.extend([change.layers[name]] if name in change.layers else [])
            at = change.after
        return changes if at == version else None

    def _advanced(self, name: str, version: str) -> tuple[LayerView, np.ndarray | None] | None:
        """The layer's view at ``version`` from the last one and the row changes since, at the cost of the
        change (the tiles they reach are dropped, the tile source will be patched), with the boxes the changes
        reach (None when another process's token holds); None when the way is not known."""
        view = self._views.get(name)
        changes = self._changes(name, view.version, version) if view is not None and view.count >= 0 else None
        if changes is None:
            return None
        spec, token, count, steps = REGISTRY[name], view.token, view.count, []
        for old_rows, new_rows in changes:
            delta = row_delta(spec, old_rows, new_rows)
            count += delta.count
            if self.layer_settings(name, count) != view.settings:  # large ↔ small: every zoom may change
                return None
            after = next_token(token, view.settings, delta)
            if after != token:
                steps.append(LayerStep(token, after, delta))
            token = after
        bounds = np.concatenate([np.empty((0, 4)), *(step.delta.bounds for step in steps)])
        file = self.cache_file()
        if file is not None:
            made = file.advance(name, self._version_key(name, version), previous=view.token, token=token,
                                settings=view.settings, count=count, bounds=bounds)
            if made is None:
                return None
            if made[0] != token:  # another process worked this version out whole first: its token holds
                return LayerView(version, made[0], made[1], made[2]), None
        self._steps.setdefault(name, deque(maxlen=ROW_CHANGES_KEPT)).extend(steps)
        return LayerView(version, token, view.settings, count), bounds

    def _carry_memory(self, name: str, previous: LayerView | None, view: LayerView,
                      bounds: np.ndarray | None) -> None:
        """Keep the in-memory tiles of ``previous`` that the row changes' boxes ``bounds`` do not reach, under the
        token of ``view`` (none are kept when the layer was worked out whole: ``bounds`` None)."""
        with self._memory_lock:
            held = self._memory.get(name)
            if bounds is not None and previous is not None and held is not None and held[0] == previous.token:
                self.cache.drop(name, held[1], bounds)
                self._memory[name] = (view.token, held[1])
            elif held is None or held[0] != view.token:
                self._memory[name] = (view.token, view.token)

    def _memory_key(self, name: str, token: str) -> str:
        """The key the in-memory tiles of ``token`` are filed under (the token itself unless it is current)."""
        held = self._memory.get(name)
        return held[1] if held is not None and held[0] == token else token

    def _steps_between(self, name: str, have: str, want: str) -> list[LayerStep] | None:
        """The steps that carry layer ``name`` from token ``have`` to ``want``, oldest first (None: not known)."""
        way, at = [], have
        for step in list(self._steps.get(name, ())):
            if at == want:
                break
            if step.before == at:
                way.append(step)
                at = step.after
        return way if at == want else None

    def render(self, names: list[str], z: int, x: int, y: int, *,
               tokens: dict[str, tuple[str, bool]]) -> dict[str, bytes]:
        """Encode tile (z, x, y) of registry layers ``names`` (PostGIS: one statement for all of them).

        ``tokens`` gives each layer's (token, large) from :meth:`layer_token`.
        """
        wanted = [name for name in names if not self.blank(z, tokens[name][1])]
        out = {name: b"" for name in names}
        if database_tiles(self.park.store):
            out.update(self._database_tiles(wanted, z, x, y))
            return out
        for name in wanted:
            out[name] = tile_math.encode_tile(self._source(name, tokens[name][0]), z, x, y)
        return out

    def _database_tiles(self, names: list[str], z: int, x: int, y: int) -> dict[str, bytes]:
        """Tile (z, x, y) of ``names`` made by the database, in one statement."""
        from layers.postgis_tiles import LayerRequest, mvt_tiles

        requests = [LayerRequest(name, tuple(tile_columns(REGISTRY[name])),
                                 TILE_AREA_PROPERTY if name == "parcels" else None, M2_PER_MU,
                                 TILE_LAYER_PROPERTY) for name in names]
        return mvt_tiles(self.park.store.capabilities.database, requests, z, x, y) if requests else {}

    def _source(self, name: str, token: str):
        """The tile source of layer ``name`` at ``token`` (patched up to it, or built from the whole layer)."""
        return self.sources.get(name, token, lambda: self.registry_frame(name), key_field=REGISTRY[name].id_field,
                                steps=functools.partial(self._steps_between, name))

    # -- the analysis layer ------------------------------------------------------------------------------

    def analysis_tile(self, name: str, z: int, x: int, y: int, version: str, *, day: dt.date,
                      run: Runner | None = None) -> tuple[bytes, str]:
        """Tile (z, x, y) of analysis layer ``name`` from the park service's land analysis of ``day``."""
        key = (f"{version}|as_of={day.isoformat()}|rules={self.park.rules_version()}", name, z, x, y)
        entry = self.cache.get(key)
        if entry is None:
            large = self.is_large(int(self.park.layer("parcels")["retired_on"].isna().sum()))  # as the page counts
            data = b""
            if not self.blank(z, large):
                def build():
                    frame = self.park.land(day, run=run).parcels
                    frame = frame.assign(compliance=compliance_class(frame))  # what /land colours by
                    properties = frame[[c for c in ANALYSIS_LAYERS[name] if c in frame.columns]].copy()
                    properties[TILE_LAYER_PROPERTY] = name
                    return frame, properties

                data = tile_math.encode_tile(self.sources.get(name, key[0], build), z, x, y)
            entry = self.cache.put(key, data)
        return entry

    # -- tiles of a request --------------------------------------------------------------------------------

    def layer_tiles(self, names: list[str], z: int, x: int, y: int, version: str, *, day: dt.date,
                    run: Runner | None = None) -> list[tuple[bytes, str]]:
        """(bytes, ETag) of tile (z, x, y) of each layer in ``names``, from the caches or made now.

        Concurrent requests for a tile nobody has made yet encode it once: the others wait
        for it and then find it cached. ``day`` (and ``run``) serve the analysis layers.
        """
        file = self.cache_file()
        tokens = {}
        for name in names:
            token = None if name in ANALYSIS_LAYERS else self.token_now(name, version)
            if token is not None:
                tokens[name] = token
        found = {name: self.analysis_tile(name, z, x, y, version, day=day, run=run)
                 for name in names if name in ANALYSIS_LAYERS}
        found.update(self._cached(file, list(tokens), tokens, z, x, y))
        # A large layer not worked out yet, or whose tile source is still being built: this tile alone, not kept.
        later = [name for name in names if name not in found and not self._ready(name, tokens.get(name), z)]
        found.update(self.read_tiles(later, z, x, y))
        missing = [name for name in names if name not in found]
        if missing:
            with self.flights.one((z, x, y)):
                found.update(self._cached(file, missing, tokens, z, x, y))  # made by the request this one waited for
                missing = [name for name in names if name not in found]
                made = self.render(missing, z, x, y, tokens=tokens) if missing else {}
                # Made from this version's data only if no save came in between; otherwise serve, never keep.
                current = not made or self.park.version() == version
                for name, data in made.items():
                    found[name] = self._keep(file, name, tokens[name][0], z, x, y, data) if current \
                        else (data, tile_etag(data))
        return [found[name] for name in names]

    # -- large layers: worked out in the background, their first tiles read tile by tile -----------------------

    def in_background(self, name: str) -> bool:
        """Whether registry layer ``name`` has more records than ``TILE_BACKGROUND_FEATURES``: then its token (a
        digest of every feature) and its tile source are made in the background, and its tiles are read from the
        store tile by tile meanwhile, so the first map of a large park does not wait for the whole layer."""
        return len(self.park.fields(name, [HELD_NOW_FIELD])) > int(self.config["TILE_BACKGROUND_FEATURES"])

    def token_now(self, name: str, version: str) -> tuple[str, bool] | None:
        """:meth:`layer_token` at once: None for a large layer (:meth:`in_background`) whose token would have to
        be worked out whole (started in the background) or is being worked out."""
        known = self.layer_token(name, version, whole=False)
        if known is None and not self.in_background(name):
            known = self.layer_token(name, version)
        if known is None:
            self._later(name, version)
        return known

    def prepare(self, names: list[str], version: str) -> list[str]:
        """Start making the large layers among ``names`` ready for tiles in the background (a server starting);
        the layers started."""
        started = [name for name in names if self.layer_token(name, version, whole=False) is None
                   and self.in_background(name)]
        for name in started:
            self._later(name, version)
        return started

    def _ready(self, name: str, token: tuple[str, bool] | None, z: int) -> bool:
        """Whether a tile of registry layer ``name`` can be rendered now, without working anything out whole."""
        if name in ANALYSIS_LAYERS:
            return True
        if token is None:
            return False
        if database_tiles(self.park.store) or self.blank(z, token[1]):
            return True
        if self.sources.ready(name, token[0], functools.partial(self._steps_between, name)) or \
                not self.in_background(name):
            return True
        self._later(name, self.park.version())
        return False

    def _later(self, name: str, version: str) -> None:
        """Work out layer ``name``'s token at ``version`` and, tiled in Python, its tile source, in the background:
        one layer after another in one daemon thread, so the tile requests meanwhile share the interpreter with one
        such job rather than with every large layer's at once."""
        with self._guard:
            if name in self._working:
                return
            self._working.add(name)
            self._queue.append((name, version))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, daemon=True, name="parkatlas-tiles")
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._guard:
                if not self._queue:
                    self._worker = None
                    return
                name, version = self._queue.popleft()
            try:
                token, _ = self.layer_token(name, version)
                if not database_tiles(self.park.store):
                    self._source(name, token)
            except Exception as exc:  # noqa: BLE001 — the tile requests meet the error themselves
                log.warning("tiles of %s could not be prepared in the background: %s", name, exc)
            finally:
                with self._guard:
                    self._working.discard(name)

    def read_tiles(self, names: list[str], z: int, x: int, y: int) -> dict[str, tuple[bytes, str]]:
        """(bytes, ETag) of tile (z, x, y) of registry layers ``names``, read from the store for this tile alone
        (the records in the tile's box; PostGIS: as :meth:`render`). The same tiles as the layer's source gives."""
        if not names:
            return {}
        store = self.park.store
        large = {name: self.is_large(int(held_now(self.park.fields(name, [HELD_NOW_FIELD])).sum())) for name in names}
        wanted = [name for name in names if not self.blank(z, large[name])]
        out = {name: b"" for name in names}
        if database_tiles(store):
            out.update(self._database_tiles(wanted, z, x, y))
        else:
            box = tile_math.tile_box_in(store.working_crs(), z, x, y)
            for name in wanted:
                frame = in_force(store.load(name, bbox=box))
                source = tile_math.tile_source(frame, layer=name, properties=tile_properties(frame, REGISTRY[name]),
                                               ids=False)
                out[name] = tile_math.encode_tile(source, z, x, y)
        return {name: (data, tile_etag(data)) for name, data in out.items()}

    def _cached(self, file: TileCacheFile | None, names: list[str], tokens: dict[str, tuple[str, bool]],
                z: int, x: int, y: int) -> dict[str, tuple[bytes, str]]:
        """(bytes, ETag) of the registry layers in ``names`` whose tile (z, x, y) is cached (file, then memory)."""
        rows = file.tiles({name: tokens[name][0] for name in names}, z, x, y) if file is not None else {}
        found = {}
        for name in names:
            token = tokens[name][0]
            row = rows.get(name)
            if row is not None and row[0] is not None:
                found[name] = row
            elif row is None and file is not None and z in self._seeded_zooms(file, name, token):
                found[name] = (b"", tile_etag(b""))  # every tile of this zoom that holds features has a row
            else:
                entry = self.cache.get((name, self._memory_key(name, token), z, x, y))
                if entry is not None:
                    found[name] = entry
        return found

    def _seeded_zooms(self, file: TileCacheFile, name: str, token: str) -> set[int]:
        # Seeded zooms only grow for a token; a process that misses a newer seeding only encodes more.
        if (name, token) not in self._seeded:
            self._seeded[(name, token)] = file.seeded_zooms(name, token)
        return self._seeded[(name, token)]

    def _keep(self, file: TileCacheFile | None, name: str, token: str, z: int, x: int, y: int,
              data: bytes) -> tuple[bytes, str]:
        """Store a tile made on demand in the persistent cache, or in memory when the file cannot take it."""
        if file is not None and file.try_put_tile(name, token, z, x, y, data):
            return data, tile_etag(data)
        with self._memory_lock:  # the key and the put as one: a row change in between drops it, or it files apart
            return self.cache.put((name, self._memory_key(name, token), z, x, y), data)

    # -- seeding ---------------------------------------------------------------------------------------------

    def seed(self, names: list[str], zooms: list[int], *, batch: int = 200,
             progress: Callable[[str], None] | None = None) -> dict[str, float]:
        """Render every tile of ``zooms`` that features of ``names`` reach into the persistent cache.

        The tile set comes from the features' boxes (with the tile buffer), vectorised;
        tiles already cached under the layer's current token are skipped. Returns the
        number of tiles rendered and their bytes, and the seconds taken.
        """
        started = time.perf_counter()
        version = self.park.version()  # first: no cache file is made beside a park that is not there
        file = self.cache_file()
        if file is None:
            msg = "the tile cache is switched off or cannot be written (TILE_CACHE_PATH); there is nothing to seed"
            raise ValueError(msg)
        todo: dict[tuple[int, int, int], list[str]] = {}
        tokens = {}
        for name in names:
            token, large = tokens[name] = self.layer_token(name, version)
            state = file.state(name)
            if state is None or state.token != token:
                msg = f"layer {name!r} changed while seeding; run seed-tiles again"
                raise RuntimeError(msg)
            drawn = [z for z in zooms if not self.blank(z, large)]
            touched = tile_math.tiles_touched(file.reach(name), drawn)
            for z in drawn:
                done = file.present(name, token, z)
                for _, tx, ty in touched[touched[:, 0] == z].tolist():
                    if (tx, ty) not in done:
                        todo.setdefault((z, tx, ty), []).append(name)
        rendered, size = 0, 0
        pending: dict[str, list] = {name: [] for name in names}
        keys = sorted(todo)
        for i, (z, x, y) in enumerate(keys, 1):
            made = self.render(todo[(z, x, y)], z, x, y, tokens=tokens)
            for name, data in made.items():
                pending[name].append((z, x, y, data))
                size += len(data)
            rendered += len(made)
            if i % batch == 0 or i == len(keys):
                if self.park.version() != version:
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
        self._seeded.clear()
        return {"tiles": rendered, "bytes": size, "seconds": time.perf_counter() - started}


__all__ = ["ANALYSIS_LAYERS", "TILE_FORMAT", "LayerStep", "LayerView", "RowDelta", "TileCache", "TileService",
           "TileSources", "database_tiles", "next_token", "row_delta"]
